"""A provenance benchmark corpus built from the bbc-news articles, with its ground truth.

    python bench/provenance_corpus.py PATH_TO_BBC_NEWS [--docs 200] [--seed 0] [--out DIR]

Writes ``corpus.jsonl`` (one document a line: text, title, url, published, source), ``truth.jsonl``
(one derivation edge a line: source url, target url, kind) and ``docs.tsv`` (what each document
is) into DIR, for inspection.

The corpus is a pure function of (articles, n_docs, seed). Every document is one of:

* an **original**: a bbc article on an invented outlet (``outletNN.example``) and date;
  some originals have derivatives, the rest stand alone (other articles on the same topics, which
  must get no edge);
* a derivative of one original, published later on another outlet, of kind
  ``copy`` (verbatim, or trimmed to its first 50-80% of paragraphs), ``republication``
  (verbatim plus an aggregator tail), ``spun_copy`` (storycheck's spinner, one of a few seeds),
  ``rewrite`` (sentences dropped and reordered a little, light word edits) or ``quotation`` (a
  contiguous third of the original's sentences inside another bbc article that is not otherwise
  in the corpus).

Before anything else the bbc articles are deduplicated: byte-identical ones after collapsing
whitespace, and near-duplicates (BBC reuses background paragraphs and publishes updated versions
of a story: pairs sharing five or more word 8-grams), so that no two originals share text and the
only true edges are the ones made here. Ground truth is the set of (source, target, kind) edges,
by url; derivatives of the same original are siblings, not edges.

Kinds are spread evenly over the derivatives. Half of the corpus is originals while the deduped
articles suffice (about 3,000 documents); beyond that each original gets more derivatives, up to
MAX_PER_SOURCE each on average (about 7,000 documents from bbc-news's 1,859 distinct articles).

Larger corpora follow the **large plan**, used only where that even plan cannot be built (so
every corpus the even plan builds is unchanged): half of the articles are originals and the other
half quotation hosts, quotations are capped at those hosts and the surplus is spread evenly over
the other four kinds, and each original with derivatives gets up to LARGE_MAX_PER_SOURCE on
average (about 27,000 documents from bbc-news). With so many derivatives per original, the spun
copies of one original are each spun by a different spinner account (no two spun copies of the
same text are identical); verbatim copies of one original still are, by construction.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

KINDS = ("copy", "republication", "spun_copy", "rewrite", "quotation")
# How a derivative was made; ``trimmed_copy`` is of kind ``copy``.
VARIANTS = ("copy", "trimmed_copy", "republication", "spun_copy", "rewrite", "quotation")
VARIANT_KIND = {v: ("copy" if v == "trimmed_copy" else v) for v in VARIANTS}
# Spinner dictionaries (one per spinner "account"): seeds that neither the despinning model's
# training (1000 + i) nor the despinning benchmark (5000 + i) uses, so each is unseen.
SPIN_SEEDS = tuple(range(7000, 7012))
OUTLETS = 48
# Share of originals that get no derivative at all.
STANDALONE_SHARE = 0.3
# Most derivatives per original, on average, when the corpus is large for the articles available.
MAX_PER_SOURCE = 16
# The same for the large plan (originals and quotation hosts half the articles each): enough for
# about 27,000 documents from bbc-news's 1,859 distinct articles, and no more.
LARGE_MAX_PER_SOURCE = 40
# Near-duplicate filter: articles sharing this many word 8-grams are one story.
NEAR_DUP_NGRAM = 8
NEAR_DUP_SHARED = 5
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

_WORD = re.compile(r"\w+")
# Sentence ends: ., ! or ? (optionally closing a quote) before a space and a capital, digit or
# opening quote. BBC prose writes "Mr Smith", so abbreviations rarely break this.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“‘'A-Z0-9])|(?<=[.!?][\"”’'])\s+(?=[\"“‘'A-Z0-9])")

# Light rewrite edits, each applied to an occurrence with the rewrite's edit probability.
SYNONYMS = {
    "said": "stated",
    "says": "states",
    "told": "informed",
    "big": "large",
    "buy": "purchase",
    "bought": "purchased",
    "start": "begin",
    "started": "began",
    "help": "assist",
    "helped": "assisted",
    "show": "demonstrate",
    "shows": "demonstrates",
    "rise": "increase",
    "rose": "increased",
    "fell": "dropped",
    "about": "around",
    "firm": "company",
    "expected": "anticipated",
    "important": "significant",
    "main": "principal",
    "many": "numerous",
    "need": "require",
    "needs": "requires",
    "try": "attempt",
    "get": "obtain",
    "however": "but",
    "also": "additionally",
    "chance": "opportunity",
    "plans": "proposals",
    "hit": "struck",
}
CONTRACTIONS = {
    "do not": "don't",
    "does not": "doesn't",
    "did not": "didn't",
    "is not": "isn't",
    "are not": "aren't",
    "was not": "wasn't",
    "were not": "weren't",
    "will not": "won't",
    "would not": "wouldn't",
    "could not": "couldn't",
    "has not": "hasn't",
    "have not": "haven't",
    "cannot": "can't",
    "it is": "it's",
    "we are": "we're",
    "they are": "they're",
    "I am": "I'm",
}
EXPANSIONS = {v: k for k, v in CONTRACTIONS.items()}
_EDITS = {**SYNONYMS, **CONTRACTIONS, **EXPANSIONS}
_EDIT_RE = re.compile(
    r"\b(" + "|".join(re.escape(k) for k in sorted(_EDITS, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Article:
    """One bbc article: ``key`` is its path under the bbc folder (``topic/NNN.txt``)."""

    key: str
    topic: str
    title: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Doc:
    """One corpus document. ``variant`` is ``original`` or how it was derived (see VARIANTS);
    ``article`` is the bbc article whose text it mostly is (the host article for a quotation);
    ``roots`` every bbc article whose text it contains; ``group`` the original it belongs with."""

    url: str
    title: str
    text: str
    published: str
    outlet: str
    variant: str
    article: str
    topic: str
    roots: tuple[str, ...]
    group: int
    meta: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def kind(self) -> str | None:
        return VARIANT_KIND.get(self.variant)

    def record(self) -> dict[str, str]:
        return {
            "text": self.text,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "source": self.outlet,
        }


@dataclass(frozen=True)
class Edge:
    source: str  # url of the original
    target: str  # url of the derivative
    kind: str


@dataclass
class Corpus:
    docs: list[Doc]
    edges: list[Edge]
    seed: int
    articles_available: int  # bbc articles left after deduplication
    articles_dropped: int  # duplicates and near-duplicates removed

    def by_url(self) -> dict[str, Doc]:
        return {d.url: d for d in self.docs}

    def composition(self) -> Counter[str]:
        return Counter(d.variant for d in self.docs)

    def prefix(self, n_docs: int) -> Corpus:
        """A sub-corpus of exactly ``n_docs`` documents made of whole groups (an original with all
        its derivatives), taken in group order; standalone originals fill the last places."""
        sizes = Counter(d.group for d in self.docs)
        if n_docs >= len(self.docs):
            return self
        chosen: set[int] = set()
        total = 0
        for group in sorted(sizes):
            if total + sizes[group] <= n_docs:
                chosen.add(group)
                total += sizes[group]
            if total == n_docs:
                break
        docs = [d for d in self.docs if d.group in chosen]
        urls = {d.url for d in docs}
        edges = [e for e in self.edges if e.source in urls and e.target in urls]
        return Corpus(docs, edges, self.seed, self.articles_available, self.articles_dropped)


# --- reading the articles -----------------------------------------------------------------------


def read_article(path: Path, key: str) -> Article | None:
    """Headline line, blank line, paragraphs; None when there is no body."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    lines = raw.replace("\r\n", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return None
    title = " ".join(lines[0].split())
    body = "\n".join(lines[1:])
    paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
    if not paragraphs or not title:
        return None
    return Article(key, key.split("/")[0], title, paragraphs)


def load_articles(bbc_dir: Path) -> tuple[list[Article], int]:
    """Every usable article sorted by path, deduplicated; and how many were dropped."""
    found: list[Article] = []
    seen: set[str] = set()
    dropped = 0
    for path in sorted(Path(bbc_dir).glob("*/*.txt")):
        article = read_article(path, path.relative_to(bbc_dir).as_posix())
        if article is None:
            continue
        flat = " ".join((article.title + " " + article.text).split())
        if flat in seen:
            dropped += 1
            continue
        seen.add(flat)
        found.append(article)
    kept = _drop_near_duplicates(found)
    return kept, dropped + len(found) - len(kept)


def _ngrams(text: str, n: int) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _drop_near_duplicates(articles: list[Article]) -> list[Article]:
    """Remove articles until no two share NEAR_DUP_SHARED word 8-grams (most-linked first)."""
    owners: dict[str, list[int]] = defaultdict(list)
    for i, article in enumerate(articles):
        for gram in _ngrams(article.title + "\n" + article.text, NEAR_DUP_NGRAM):
            owners[gram].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for ids in owners.values():
        if len(ids) > 1:
            for a in range(len(ids)):
                for b in range(a + 1, len(ids)):
                    shared[(ids[a], ids[b])] += 1
    links: dict[int, set[int]] = defaultdict(set)
    for (a, b), count in shared.items():
        if count >= NEAR_DUP_SHARED:
            links[a].add(b)
            links[b].add(a)
    removed: set[int] = set()
    while links:
        worst = max(links, key=lambda i: (len(links[i]), i))  # ties: drop the later article
        removed.add(worst)
        for other in links.pop(worst):
            links[other].discard(worst)
            if not links[other]:
                del links[other]
    return [a for i, a in enumerate(articles) if i not in removed]


# --- text operations ----------------------------------------------------------------------------


def split_sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s.strip()]


def _match_case(word: str, replacement: str) -> str:
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    if word[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def light_edits(text: str, rng: random.Random, share: float) -> tuple[str, int]:
    """Replace each editable word or phrase with probability ``share``; also count the edits."""
    count = 0

    def edit(match: re.Match[str]) -> str:
        nonlocal count
        word = match.group(0)
        replacement = _EDITS.get(word) or _EDITS.get(word.lower())
        if replacement is None or rng.random() >= share:
            return word
        count += 1
        return _match_case(word, replacement)

    return _EDIT_RE.sub(edit, text), count


def trim(article: Article, rng: random.Random) -> tuple[str, float]:
    """The first 50-80% of the paragraphs (of the sentences when there are under 3 paragraphs)."""
    share = rng.uniform(0.5, 0.8)
    paragraphs = list(article.paragraphs)
    if len(paragraphs) >= 3:
        keep = min(len(paragraphs) - 1, max(1, round(share * len(paragraphs))))
        return "\n\n".join(paragraphs[:keep]), keep / len(paragraphs)
    sentences = [(i, s) for i, p in enumerate(paragraphs) for s in split_sentences(p)]
    keep = min(len(sentences) - 1, max(1, round(share * len(sentences))))
    out: list[list[str]] = [[] for _ in paragraphs]
    for i, sentence in sentences[:keep]:
        out[i].append(sentence)
    return "\n\n".join(" ".join(p) for p in out if p), keep / max(1, len(sentences))


def rewrite(article: Article, rng: random.Random) -> tuple[str, str, dict[str, object]]:
    """Drop 10-30% of the sentences, swap a few neighbours, reorder a few paragraphs, edit words."""
    paragraphs = [split_sentences(p) for p in article.paragraphs]
    slots = [(i, j) for i, p in enumerate(paragraphs) for j in range(len(p))]
    drop_share = rng.uniform(0.1, 0.3)
    n_drop = min(len(slots) - 2, max(1, round(drop_share * len(slots))))
    dropped = set(rng.sample(slots, max(0, n_drop)))
    kept = [[s for j, s in enumerate(p) if (i, j) not in dropped] for i, p in enumerate(paragraphs)]
    kept = [p for p in kept if p]
    swaps = 0
    for sentences in kept:
        if len(sentences) >= 2 and rng.random() < 0.3:
            j = rng.randrange(len(sentences) - 1)
            sentences[j], sentences[j + 1] = sentences[j + 1], sentences[j]
            swaps += 1
    for i in range(2, len(kept)):  # the opening paragraph stays first, as rewriters keep the lede
        if rng.random() < 0.25:
            kept[i - 1], kept[i] = kept[i], kept[i - 1]
            swaps += 1
    if not swaps:  # a rewrite always moves something
        movable = [p for p in kept if len(p) >= 2]
        if movable:
            sentences = rng.choice(movable)
            j = rng.randrange(len(sentences) - 1)
            sentences[j], sentences[j + 1] = sentences[j + 1], sentences[j]
            swaps += 1
        elif len(kept) >= 3:
            kept[1], kept[2] = kept[2], kept[1]
            swaps += 1
    edit_share = rng.uniform(0.5, 0.9)
    text, edits = light_edits("\n\n".join(" ".join(p) for p in kept), rng, edit_share)
    title, _ = light_edits(article.title, rng, edit_share)
    meta = {"dropped": n_drop, "sentences": len(slots), "swaps": swaps, "edits": edits}
    return text, title, meta


_COMMON_STARTS = frozenset(
    "The A An It Its This That These Those There They He She We In On At For But And However "
    "Some Many Most".split()
)
QUOTE_STYLES = ("reported_paragraph", "reported_inline", "according_to", "curly_quotes", "bare")


def quotation(
    source: Article, host: Article, outlet_name: str, rng: random.Random
) -> tuple[str, str, str]:
    """A contiguous third of ``source``'s sentences inside ``host``'s text: (text, quote, style)."""
    sentences = [s for p in source.paragraphs for s in split_sentences(p)]
    k = len(sentences) if len(sentences) < 3 else max(2, round(len(sentences) / 3))
    start = rng.randrange(len(sentences) - k + 1)
    quote = " ".join(sentences[start : start + k])
    style = rng.choice(QUOTE_STYLES)
    if style == "reported_paragraph":
        block = [f"As {outlet_name} reported:", quote]
    elif style == "reported_inline":
        block = [f'As {outlet_name} reported: "{quote}"']
    elif style == "according_to":
        first, _, rest = quote.partition(" ")
        if first in _COMMON_STARTS:  # "According to X, the ..."; names keep their capital
            first = first.lower()
        block = [f"According to {outlet_name}, {first} {rest}"]
    elif style == "curly_quotes":
        block = [f"“{quote}”"]
    else:
        block = [quote]
    paragraphs = list(host.paragraphs)
    at = rng.randint(1, len(paragraphs))
    return "\n\n".join(paragraphs[:at] + block + paragraphs[at:]), quote, style


def tail(
    source_title: str, source_url: str, outlet_name: str, domain: str, rng: random.Random
) -> str:
    where = rng.choice([outlet_name, domain, source_url])
    forms = [
        f"Read Full Article at {where}",
        f"This article originally appeared on {where}.",
        "Source link",
        f"The post {source_title} appeared first on {outlet_name}.",
    ]
    return rng.choice(forms)


def _spin(text: str, seed: int) -> str:
    from storycheck.repair.spinner import spin  # WordNet loads on first use

    return spin(text, seed=seed).text


# --- building -----------------------------------------------------------------------------------


def _allocate(n_derived: int, hosts: int | None = None) -> dict[str, int]:
    """Derivative counts per variant: kinds even, ``copy`` split between whole and trimmed. With
    ``hosts``, quotations are at most that many and the surplus is spread over the other kinds."""
    kinds = KINDS
    per_kind: dict[str, int] = {}
    if hosts is not None and n_derived // len(KINDS) > hosts:  # the even share of quotations
        per_kind["quotation"] = hosts
        kinds = tuple(k for k in KINDS if k != "quotation")
        n_derived -= hosts
    per_kind |= {k: n_derived // len(kinds) for k in kinds}
    for k in kinds[: n_derived % len(kinds)]:
        per_kind[k] += 1
    counts = {v: per_kind[v] for v in VARIANTS if v in per_kind}
    counts["trimmed_copy"] = per_kind["copy"] // 2
    counts["copy"] = per_kind["copy"] - counts["trimmed_copy"]
    return counts


@dataclass(frozen=True)
class Plan:
    originals: int
    sources: int  # originals with derivatives: the first ``sources`` of the originals
    counts: dict[str, int]  # derivatives per variant
    large: bool  # the large plan (see the module's docstring)


def plan(n_docs: int, available: int) -> Plan:
    """How ``n_docs`` documents are made from ``available`` articles: the even plan where it can
    be built, else the large plan."""
    n_derived = n_docs // 2
    while n_derived < n_docs and n_docs - n_derived + _allocate(n_derived)["quotation"] > available:
        n_derived += 1
    n_orig = n_docs - n_derived
    n_sources = min(n_derived, max(1, round(n_orig * (1 - STANDALONE_SHARE))))
    if n_orig >= 2 and n_derived <= n_sources * MAX_PER_SOURCE:
        return Plan(n_orig, n_sources, _allocate(n_derived), large=False)
    n_orig = (available + 1) // 2
    n_derived = n_docs - n_orig
    n_sources = min(n_derived, max(1, round(n_orig * (1 - STANDALONE_SHARE))))
    if n_orig < 2 or n_derived < 1 or n_derived > n_sources * LARGE_MAX_PER_SOURCE:
        raise ValueError(f"{n_docs} documents need more than the {available} distinct articles")
    return Plan(n_orig, n_sources, _allocate(n_derived, available - n_orig), large=True)


def _slug(title: str) -> str:
    words = _WORD.findall(title.lower())[:6]
    return "-".join(words) or "story"


@dataclass
class _Draft:
    """A document before its url (which needs its final position) is known."""

    title: str
    text: str
    time: datetime
    outlet: int
    variant: str
    article: Article
    host: Article | None = None
    source: int | None = None  # index of the original's draft
    meta: dict[str, object] = field(default_factory=dict)


def build(bbc_dir: Path, n_docs: int, seed: int) -> Corpus:
    """The corpus of ``n_docs`` documents for ``seed``; the same arguments give the same corpus."""
    articles, dropped = load_articles(Path(bbc_dir))
    rng = random.Random(seed)
    pool = list(articles)
    rng.shuffle(pool)
    the_plan = plan(n_docs, len(pool))
    n_orig, n_sources, counts = the_plan.originals, the_plan.sources, the_plan.counts
    hosts = iter(pool[n_orig : n_orig + counts["quotation"]])  # each article used once at most
    variants = [v for v in VARIANTS for _ in range(counts[v])]
    rng.shuffle(variants)
    # pool[:n_sources] get derivatives: one each first, then the rest at random.
    assigned = [
        (i if i < n_sources else rng.randrange(n_sources), v) for i, v in enumerate(variants)
    ]
    drafts = [
        _Draft(
            title=article.title,
            text=article.text,
            time=EPOCH + timedelta(minutes=rng.randrange(365 * 24 * 60)),
            outlet=rng.randrange(OUTLETS),
            variant="original",
            article=article,
        )
        for article in pool[:n_orig]
    ]
    group_order = list(range(n_orig))
    rng.shuffle(group_order)
    group_of = {original: g for g, original in enumerate(group_order)}
    spin_seeds: dict[int, set[int]] = defaultdict(set)  # the large plan's, per original

    for src, variant in assigned:
        original = drafts[src]
        article = original.article
        delay = math.exp(rng.uniform(math.log(10), math.log(10 * 24 * 60)))  # 10 min to 10 days
        draft = _Draft(
            title=article.title,
            text=article.text,
            time=original.time + timedelta(minutes=round(delay)),
            outlet=rng.choice([o for o in range(OUTLETS) if o != original.outlet]),
            variant=variant,
            article=article,
            source=src,
        )
        if variant == "trimmed_copy":
            draft.text, share = trim(article, rng)
            draft.meta = {"kept_share": round(share, 3)}
        elif variant == "republication":
            draft.meta = {"tail_seed": rng.random()}  # the tail may name the source's url: later
        elif variant == "spun_copy":
            if the_plan.large:
                spin_seed = _spin_seed(rng, spin_seeds[src])
            else:
                spin_seed = rng.choice(SPIN_SEEDS)
            draft.title = _spin(article.title, spin_seed)
            draft.text = _spin(article.text, spin_seed)
            draft.meta = {"spin_seed": spin_seed}
        elif variant == "rewrite":
            draft.text, draft.title, draft.meta = rewrite(article, rng)
        elif variant == "quotation":
            draft.host = next(hosts)
            draft.title = draft.host.title
            name = _outlet_name(original.outlet)
            draft.text, quote, style = quotation(article, draft.host, name, rng)
            draft.meta = {"quote": quote, "style": style}
        drafts.append(draft)

    order = list(range(len(drafts)))
    rng.shuffle(order)
    url_of = {
        d: f"https://{_domain(drafts[d].outlet)}/{_slug(drafts[d].title)}-{position}"
        for position, d in enumerate(order)
    }
    docs: list[Doc] = []
    edges: list[Edge] = []
    for d in order:
        draft = drafts[d]
        src = draft.source
        if draft.variant == "republication":
            original = drafts[draft.source]
            line = tail(
                original.title,
                url_of[draft.source],
                _outlet_name(original.outlet),
                _domain(original.outlet),
                random.Random(draft.meta.pop("tail_seed")),
            )
            draft.text = f"{draft.text}\n\n{line}"
            draft.meta["tail"] = line
        main = draft.host or draft.article
        roots = (main.key,) if draft.host is None else (draft.host.key, draft.article.key)
        docs.append(
            Doc(
                url=url_of[d],
                title=draft.title,
                text=draft.text,
                published=draft.time.isoformat(),
                outlet=_domain(draft.outlet),
                variant=draft.variant,
                article=main.key,
                topic=main.topic,
                roots=roots,
                group=group_of[d if src is None else src],
                meta=draft.meta,
            )
        )
        if src is not None:
            edges.append(Edge(url_of[src], url_of[d], VARIANT_KIND[draft.variant]))
    return Corpus(docs, edges, seed, len(articles), dropped)


def _spin_seed(rng: random.Random, used: set[int]) -> int:
    """A spinner account no other spun copy of the same original used: one of SPIN_SEEDS while
    some are left, then the seeds after them (also outside the despinning model's training)."""
    fresh = [s for s in SPIN_SEEDS if s not in used]
    seed = rng.choice(fresh) if fresh else max(used) + 1
    used.add(seed)
    return seed


def _domain(outlet: int) -> str:
    return f"outlet{outlet:02d}.example"


def _outlet_name(outlet: int) -> str:
    return f"Outlet {outlet:02d}"


def write_jsonl(corpus: Corpus, path: Path) -> None:
    """The documents as storycheck reads them: one JSON object per line, in corpus order."""
    with open(path, "w", encoding="utf-8") as out:
        for doc in corpus.docs:
            out.write(json.dumps(doc.record(), ensure_ascii=False) + "\n")


def write_truth(corpus: Corpus, folder: Path) -> None:
    with open(folder / "truth.jsonl", "w", encoding="utf-8") as out:
        for edge in corpus.edges:
            out.write(json.dumps(edge.__dict__) + "\n")
    with open(folder / "docs.tsv", "w", encoding="utf-8") as out:
        out.write("url\tvariant\tarticle\ttopic\tpublished\tgroup\tmeta\n")
        for d in corpus.docs:
            meta = json.dumps(d.meta, ensure_ascii=False)
            out.write(
                f"{d.url}\t{d.variant}\t{d.article}\t{d.topic}\t{d.published}\t{d.group}\t{meta}\n"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bbc", type=Path, help="the bbc-news folder (<topic>/<NNN>.txt)")
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    default_out = Path(tempfile.gettempdir()) / "storycheck-provenance-corpus"
    parser.add_argument("--out", type=Path, default=default_out, help=f"default {default_out}")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    corpus = build(args.bbc, args.docs, args.seed)
    took = time.perf_counter() - start
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(corpus, args.out / "corpus.jsonl")
    write_truth(corpus, args.out)
    print(f"command: python {' '.join(sys.argv)}")
    print(
        f"{len(corpus.docs)} documents, {len(corpus.edges)} edges, built in {took:.1f} s "
        f"({corpus.articles_available} distinct articles, {corpus.articles_dropped} dropped)"
    )
    for variant, count in sorted(corpus.composition().items()):
        print(f"  {variant:14} {count}")
    print(f"written to {args.out}/corpus.jsonl, truth.jsonl, docs.tsv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
