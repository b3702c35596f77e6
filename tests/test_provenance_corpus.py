"""The provenance benchmark's corpus generator (bench/provenance_corpus.py) on tiny articles.

The articles are made here from a word list, so that no two share a phrase by accident; the
bbc-news data is never read.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


pc = _load("provenance_corpus")

WORDS = (
    "harbour council market river engineer budget station village teacher museum bridge "
    "railway hospital election farmer airport factory orchestra library festival minister "
    "storm garden stadium tunnel quarry vineyard ferry lighthouse castle bakery brewery "
    "painter novelist striker goalkeeper referee surgeon nurse pilot sailor miner baker "
    "approved rejected delayed opened closed repaired expanded funded praised criticised "
    "announced questioned welcomed visited inspected reported planned promised built sold "
    "northern southern coastal rural historic modern quiet busy ancient wealthy famous local "
    "yesterday today recently finally suddenly quietly openly slowly quickly again "
    "ambitious costly unusual popular narrow wide heavy bright early late crowded empty"
).split()
TOPICS = ("business", "sport", "tech")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 14))]
    if rng.random() < 0.4:
        words.insert(rng.randint(1, len(words) - 1), "said")
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _article(rng: random.Random) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
    paragraphs = [
        " ".join(_sentence(rng) for _ in range(rng.randint(2, 3))) for _ in range(rng.randint(4, 6))
    ]
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n"


@pytest.fixture(scope="module")
def bbc(tmp_path_factory) -> Path:
    """18 distinct articles in three topics, plus a duplicate, a near-duplicate and a bad byte."""
    root = tmp_path_factory.mktemp("bbc")
    rng = random.Random(11)
    texts = []
    for i in range(18):
        folder = root / TOPICS[i % 3]
        folder.mkdir(exist_ok=True)
        texts.append(_article(rng))
        (folder / f"{i:03d}.txt").write_text(texts[-1], encoding="utf-8")
    # The same text with other whitespace, and an updated version sharing most of its sentences.
    (root / "business" / "100.txt").write_text(texts[0].replace("\n\n", "\n \n"), "utf-8")
    (root / "sport" / "101.txt").write_text(texts[1] + "\n" + _sentence(rng) + "\n", "utf-8")
    (root / "tech" / "102.txt").write_bytes(_article(rng).encode() + b"Caf\xe9 closed.\n")
    return root


@pytest.fixture(scope="module")
def corpus(bbc):
    return pc.build(bbc, 24, seed=5)


def _sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in pc.split_sentences(p)]


def test_loading_dedupes_and_survives_bad_bytes(bbc):
    articles, dropped = pc.load_articles(bbc)
    keys = {a.key for a in articles}
    assert dropped == 2
    assert "business/100.txt" not in keys and "sport/101.txt" not in keys
    assert "tech/102.txt" in keys  # read with the bad byte replaced
    assert len(articles) == 19


def test_same_seed_same_corpus(bbc, corpus):
    again = pc.build(bbc, 24, seed=5)
    assert [d.record() for d in again.docs] == [d.record() for d in corpus.docs]
    assert again.edges == corpus.edges
    other = pc.build(bbc, 24, seed=6)
    assert [d.record() for d in other.docs] != [d.record() for d in corpus.docs]


def test_size_mix_and_every_kind(corpus):
    assert len(corpus.docs) == 24
    mix = corpus.composition()
    assert mix["original"] == 12
    assert {e.kind for e in corpus.edges} == set(pc.KINDS)
    assert set(mix) == {"original", *pc.VARIANTS}
    assert len({d.url for d in corpus.docs}) == 24


def test_edges_run_from_an_earlier_original_on_another_outlet(corpus):
    docs = corpus.by_url()
    targets = [e.target for e in corpus.edges]
    assert len(targets) == len(set(targets)) == 12  # each derivative has one source
    for edge in corpus.edges:
        source, target = docs[edge.source], docs[edge.target]
        assert source.variant == "original" and target.variant != "original"
        assert target.published > source.published  # same ISO format and time zone throughout
        assert target.outlet != source.outlet
        assert pc.VARIANT_KIND[target.variant] == edge.kind


def test_verbatim_copies_contain_the_source(corpus):
    docs = corpus.by_url()
    for edge in corpus.edges:
        source, target = docs[edge.source], docs[edge.target]
        if target.variant == "copy":
            assert target.text == source.text and target.title == source.title
        elif target.variant == "republication":
            assert target.text.startswith(source.text + "\n\n")
            line = target.text[len(source.text) :].strip()
            assert line == target.meta["tail"]
            assert re.match(
                r"Read Full Article at|This article originally|Source link|The post", line
            )
        elif target.variant == "trimmed_copy":
            assert source.text.startswith(target.text)
            assert 0.3 < len(target.text) / len(source.text) < 0.95


def test_spun_and_rewritten_copies_change_the_words(corpus):
    docs = corpus.by_url()
    for edge in corpus.edges:
        source, target = docs[edge.source], docs[edge.target]
        if target.variant == "spun_copy":
            assert target.meta["spin_seed"] in pc.SPIN_SEEDS
            assert target.text != source.text
            ratio = len(target.text.split()) / len(source.text.split())
            assert 0.8 < ratio < 1.25
        elif target.variant == "rewrite":
            kept, total = len(_sentences(target.text)), len(_sentences(source.text))
            assert 0.6 <= kept / total < 1
            assert target.meta["swaps"] >= 1


def test_quotation_is_a_third_of_the_source_inside_another_article(bbc, corpus):
    docs = corpus.by_url()
    articles = {a.key: a for a in pc.load_articles(bbc)[0]}
    quotations = [e for e in corpus.edges if e.kind == "quotation"]
    assert quotations
    for edge in quotations:
        source, target = docs[edge.source], docs[edge.target]
        quote = target.meta["quote"]
        assert target.meta["style"] in pc.QUOTE_STYLES
        assert quote[1:] in target.text  # "According to X, the ..." lowers the first letter
        source_sentences = _sentences(source.text)
        quoted = pc.split_sentences(quote)
        start = source_sentences.index(quoted[0])
        assert source_sentences[start : start + len(quoted)] == quoted  # contiguous
        assert len(quoted) == max(2, round(len(source_sentences) / 3))
        host = articles[target.article]
        assert target.article != source.article and target.title == host.title
        assert all(p in target.text for p in host.paragraphs)
        # The host article appears nowhere else in the corpus.
        assert [d.url for d in corpus.docs if host.key in d.roots] == [target.url]


def test_originals_share_no_text(corpus):
    originals = [d for d in corpus.docs if d.variant == "original"]
    grams = [pc._ngrams(d.text, 8) for d in originals]
    for i in range(len(originals)):
        for j in range(i + 1, len(originals)):
            assert not grams[i] & grams[j]
    sources = {e.source for e in corpus.edges}
    assert any(d.url not in sources for d in originals)  # some originals stand alone


def test_prefix_keeps_whole_groups(corpus):
    part = corpus.prefix(10)
    assert len(part.docs) == 10
    urls = {d.url for d in part.docs}
    groups = {d.group for d in part.docs}
    assert {d.url for d in corpus.docs if d.group in groups} == urls
    assert all(e.source in urls and e.target in urls for e in part.edges)
    assert len(part.edges) == sum(d.variant != "original" for d in part.docs)


def test_write_jsonl(tmp_path, corpus):
    path = tmp_path / "corpus.jsonl"
    pc.write_jsonl(corpus, path)
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert len(records) == 24
    assert all(set(r) == {"text", "title", "url", "published", "source"} for r in records)


def test_too_many_documents_for_the_articles(bbc):
    with pytest.raises(ValueError):
        pc.build(bbc, 400, seed=0)


def test_benchmark_scoring(corpus):
    bench = _load("provenance_bbc")
    docs = corpus.by_url()
    edges = corpus.edges
    by_source: dict[str, list[str]] = {}
    for e in edges:
        by_source.setdefault(e.source, []).append(e.target)
    siblings = next(targets for targets in by_source.values() if len(targets) > 1)
    originals = [d for d in corpus.docs if d.variant == "original"]
    a, b = next(
        (x, y) for x in originals for y in originals if x.topic == y.topic and x.url < y.url
    )
    predicted = [(e.source, e.target, e.kind) for e in edges[2:]]
    predicted[0] = (
        predicted[0][0],
        predicted[0][1],
        "rewrite" if edges[2].kind != "rewrite" else "copy",
    )
    predicted.append((edges[0].target, edges[0].source, edges[0].kind))  # reversed
    predicted.append((siblings[0], siblings[1], "copy"))
    predicted.append((a.url, b.url, "copy"))
    s = bench.score(predicted, corpus)
    assert (s.found, s.correct, s.truth) == (len(edges) + 1, len(edges) - 2, len(edges))
    assert (s.reversed, s.siblings) == (1, 1)
    assert s.unrelated_same_topic == s.unrelated_originals_same_topic == 1
    assert s.kind_accuracy == (len(edges) - 3) / (len(edges) - 2)
    assert s.direction_accuracy == (len(edges) - 2) / (len(edges) - 1)
    assert docs[a.url].variant == "original"


def test_benchmark_scoring_without_kinds(corpus):
    bench = _load("provenance_bbc")
    s = bench.score([(e.source, e.target, None) for e in corpus.edges], corpus)
    assert (s.precision, s.recall, s.direction_accuracy) == (1.0, 1.0, 1.0)
    assert s.kind_accuracy is None and s.kind_precision("copy") is None


# --- the large plan: corpora the even plan can build come out as they always did (the
# provenance benchmark's figures were measured on them); larger ones use each article once, as an
# original or as one quotation's host.

SMALL_WORDS = (
    "harbour council market river engineer budget station village teacher museum bridge "
    "railway hospital election farmer airport factory orchestra library festival minister "
    "storm garden stadium tunnel quarry vineyard ferry lighthouse castle bakery brewery "
    "approved rejected delayed opened closed repaired expanded funded praised criticised "
    "northern southern coastal rural historic modern quiet busy ancient wealthy famous local"
).split()


@pytest.fixture(scope="module")
def small_bbc(tmp_path_factory) -> Path:
    """20 articles of random words in three topics, for the large plan: no two share a phrase."""
    root = tmp_path_factory.mktemp("bbc")
    rng = random.Random(3)
    for i in range(20):
        folder = root / ("business", "sport", "tech")[i % 3]
        folder.mkdir(exist_ok=True)
        sentences = [
            " ".join(rng.choice(SMALL_WORDS) for _ in range(rng.randint(9, 14))).capitalize() + "."
            for _ in range(rng.randint(8, 12))
        ]
        paragraphs = [" ".join(sentences[k : k + 2]) for k in range(0, len(sentences), 2)]
        title = " ".join(rng.choice(SMALL_WORDS) for _ in range(5)).capitalize()
        (folder / f"{i:03d}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n")
    return root


def _digest(corpus) -> str:
    lines = [json.dumps(d.record(), ensure_ascii=False) for d in corpus.docs]
    lines += [json.dumps(e.__dict__) for e in corpus.edges]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_even_plan_unchanged():
    """Sizes the even plan builds keep its numbers (those of bbc-news's 1,859 articles)."""
    assert pc.plan(200, 1859) == pc.Plan(
        100, 70, {"copy": 10, "republication": 20, "spun_copy": 20, "rewrite": 20,
                  "quotation": 20, "trimmed_copy": 10}, large=False)  # fmt: skip
    assert pc.plan(5000, 1859) == pc.Plan(
        1074, 752, {"copy": 393, "republication": 785, "spun_copy": 785, "rewrite": 785,
                    "quotation": 785, "trimmed_copy": 393}, large=False)  # fmt: skip
    assert not pc.plan(7003, 1859).large
    assert pc.plan(7004, 1859).large


def test_small_corpus_builds_as_before(small_bbc):
    """The digest of a corpus the generator built before the large plan existed."""
    corpus = pc.build(small_bbc, 40, seed=1)
    assert not pc.plan(40, corpus.articles_available).large
    assert _digest(corpus) == "43ba5ac401e86b45357f90403f74a85af8be271f466e5c6137da683af056f27c"


def test_large_plan_caps_quotations_and_raises_the_per_original_limit():
    big = pc.plan(25_000, 1859)
    assert big.large and big.originals == 930 and big.sources == 651
    assert big.counts["quotation"] == 1859 - 930  # every article left over hosts one quotation
    assert sum(big.counts.values()) == 25_000 - 930
    copies = big.counts["copy"] + big.counts["trimmed_copy"]
    others = [copies] + [big.counts[k] for k in ("republication", "spun_copy", "rewrite")]
    assert max(others) - min(others) <= 1  # the surplus spread evenly over the other kinds
    assert sum(big.counts.values()) <= big.sources * pc.LARGE_MAX_PER_SOURCE
    with pytest.raises(ValueError):
        pc.plan(930 + 651 * pc.LARGE_MAX_PER_SOURCE + 1, 1859)


def test_large_corpus_uses_each_article_once(small_bbc):
    corpus = pc.build(small_bbc, 200, seed=2)
    assert pc.plan(200, corpus.articles_available).large
    assert len(corpus.docs) == 200 == len({d.url for d in corpus.docs})
    docs = corpus.by_url()
    originals = {d.article for d in corpus.docs if d.variant == "original"}
    hosts = [d.article for d in corpus.docs if d.variant == "quotation"]
    assert len(hosts) == len(set(hosts)) == corpus.articles_available - len(originals)
    assert not set(hosts) & originals
    spins: dict[str, list[int]] = defaultdict(list)
    for edge in corpus.edges:
        source, target = docs[edge.source], docs[edge.target]
        assert source.variant == "original" and target.published > source.published
        assert target.group == source.group
        if target.variant == "spun_copy":
            spins[edge.source].append(target.meta["spin_seed"])
        if target.variant != "quotation":
            assert target.article == source.article
    assert max(len(s) for s in spins.values()) > 1
    assert all(len(s) == len(set(s)) for s in spins.values())  # one spinner account each
    derivatives = Counter(e.source for e in corpus.edges)
    assert max(derivatives.values()) > pc.MAX_PER_SOURCE // 2


def test_prefix_of_a_large_corpus_keeps_its_truth(small_bbc):
    corpus = pc.build(small_bbc, 200, seed=2)
    part = corpus.prefix(140)
    urls = {d.url for d in part.docs}
    assert len(part.docs) == 140
    assert {d.url for d in corpus.docs if d.group in {d.group for d in part.docs}} == urls
    assert part.edges == [e for e in corpus.edges if e.target in urls]
    assert all(e.source in urls for e in part.edges)
