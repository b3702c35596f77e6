"""Provenance on texts written for the test: every kind of reuse, its direction, and no edges
between independent reports of one event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import settings
from storycheck.pipeline import cross_document, ingest
from storycheck.provenance import find_derivations
from storycheck.repair.spinner import spin
from storycheck.store import Store

ORIGINAL = [
    "A container crane collapsed at Port Selwick on Tuesday morning, injuring two dock workers.",
    "The 60-metre crane fell across berth four shortly after seven o'clock as a ship was being "
    "unloaded.",
    "Harbourmaster Dana Okafor said the injured men were taken to the county hospital and were "
    "in a stable condition.",
    "The port authority diverted fourteen ships to the neighbouring port of Kelham while "
    "engineers inspected the quay.",
    "Inspectors from the Health and Safety Executive arrived at the port in the afternoon and "
    "sealed off the site.",
    "Union officials said they had raised concerns about the age of the cranes at a meeting "
    "with managers last year.",
    "The crane was installed in 1994 and had passed its most recent safety inspection in March.",
    "Okafor said berth four would stay closed until every crane on the quay had been checked.",
    "Shipping companies warned that the closure could delay deliveries across the region for "
    "several weeks.",
]
# An independent report of the same event: same facts, its own words and quotes.
INDEPENDENT = [
    "Two workers were hurt when a crane toppled over at Port Selwick early on Tuesday.",
    "Witnesses described a loud crack before the structure came down onto the quayside near a "
    "cargo vessel.",
    "A spokesman for the port said both men had been treated in hospital for their injuries.",
    "Ships due at Selwick were sent on to Kelham, the nearest deep-water harbour, the spokesman "
    "added.",
    "The safety regulator confirmed it had opened an investigation into the collapse.",
    "A crane driver who asked not to be named told us the machines had been creaking for months.",
    "Local councillor Ray Mistry called for an urgent review of equipment at the docks.",
]
OTHER = [
    "The Selwick ferry service will add two evening crossings to Harlow Island from next month.",
    "Ferry operator Bluewater said demand had grown steadily since the new terminal opened in "
    "the spring.",
    "Tickets for the extra crossings go on sale on Friday, the company said in a statement.",
    "Island residents have campaigned for later sailings for several years, citing work and "
    "hospital appointments on the mainland.",
    "Bluewater said it would review the timetable again in the autumn.",
]
# The host text of the quotation: in no other document.
HOST = [
    "Islanders packed the community hall on Thursday to hear plans for the new ferry pier.",
    "Several speakers asked whether the port could cope with more traffic after this week's "
    "accident.",
    "Council leader Amy Brandt said safety at the docks would be on the agenda of the next "
    "meeting.",
    "The pier plans go out to public consultation in June and residents can comment online.",
]


def _text(sentences: list[str]) -> str:
    return "\n".join(sentences)


def _rewrite(sentences: list[str]) -> list[str]:
    edited = [s.replace(" said ", " stated ").replace("Tuesday", "Tuesday,") for s in sentences]
    return [edited[1], edited[0], edited[3], edited[2], edited[5], edited[4], edited[7]]


CORPUS = {
    "original": (_text(ORIGINAL), "2026-05-12", "gazette.example"),
    "independent": (_text(INDEPENDENT), "2026-05-12", "courier.example"),
    "other": (_text(OTHER), "2026-05-11", "gazette.example"),
    "copy": (_text(ORIGINAL), "2026-05-13", "copier.example"),
    "republished": (
        _text(ORIGINAL) + "\nRead Full Article at Selwick Gazette.",
        "2026-05-13",
        "pile.example",
    ),
    "trimmed": (_text(ORIGINAL[:6]), "2026-05-14", "trim.example"),
    "spun": (spin(_text(ORIGINAL), seed=11).text, "2026-05-14", "spin.example"),
    "rewrite": (_text(_rewrite(ORIGINAL)), "2026-05-15", "rewrite.example"),
    "quotation": (
        _text(HOST[:2] + ["As the Selwick Gazette reported:"] + ORIGINAL[2:5] + HOST[2:]),
        "2026-05-15",
        "islander.example",
    ),
}


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prov")
    lines = [
        {
            "text": text,
            "url": f"https://{outlet}/{name}",
            "published": date,
            "title": f"Report {name}",
        }
        for name, (text, date, outlet) in CORPUS.items()
    ]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    with Store.open(folder / "story.db") as store:
        ingest([str(folder / "corpus.jsonl")], store, settings())
        docs = store.documents()
    names = {d.id: d.uri.rsplit("/", 1)[1] for d in docs}
    return docs, names, find_derivations(docs)


def _edges(story) -> dict[tuple[str, str], str]:
    _, names, found = story
    return {(names[e.source], names[e.target]): e.kind for e in found.derivations}


def test_every_kind_of_reuse_is_found_with_its_direction(story):
    assert _edges(story) == {
        ("original", "copy"): "copy",
        ("original", "republished"): "republication",
        ("original", "trimmed"): "copy",
        ("original", "spun"): "spun_copy",
        ("original", "rewrite"): "rewrite",
        ("original", "quotation"): "quotation",
    }


def test_independent_reports_and_copies_count_as_origins(story):
    docs, names, found = story
    by_name = {n: i for i, n in names.items()}
    copies = [by_name[n] for n in ("original", "copy", "republished", "spun", "rewrite")]
    assert found.independent_sources(copies) == 1
    assert found.independent_sources(copies + [by_name["independent"]]) == 2
    # A quotation does not make the quoting text a copy: it stays its own origin.
    assert found.origins[by_name["quotation"]] == by_name["quotation"]


def test_shared_passages_point_at_the_same_text(story):
    docs, names, found = story
    text = {d.id: d.text for d in docs}
    for edge in found.derivations:
        assert edge.shared
        for passage in edge.shared:
            source = text[edge.source][passage.source_start : passage.source_end]
            target = text[edge.target][passage.target_start : passage.target_end]
            assert source and target
            if edge.kind in ("copy", "republication", "quotation"):
                assert source == target


def test_quotation_passage_is_the_quoted_third(story):
    docs, names, found = story
    (edge,) = [e for e in found.derivations if names[e.target] == "quotation"]
    text = {d.id: d.text for d in docs}[edge.target]
    quoted = " ".join(text[p.target_start : p.target_end] for p in edge.shared)
    assert "Harbourmaster Dana Okafor" in quoted and "Inspectors from the Health" in quoted
    assert "pier" not in quoted and "Islanders" not in quoted


def test_no_edges_without_shared_text(tmp_path):
    docs = []
    with Store.open(tmp_path / "s.db") as store:
        for name, sentences in (("a", ORIGINAL), ("b", INDEPENDENT), ("c", OTHER)):
            path = tmp_path / f"{name}.txt"
            path.write_text(_text(sentences))
            ingest([str(path)], store, settings())
        docs = store.documents()
    assert find_derivations(docs).derivations == []


def test_analyze_stores_derivations_and_profiles_once(tmp_path):
    texts = {
        "report.txt": _text(ORIGINAL),
        "aggregated.txt": _text(ORIGINAL) + "\nSource link",
        "post.md": "# Why I worry about our docks\n\nI walk past berth four every day, and I "
        "have watched those cranes rust for years.\n" + ORIGINAL[2] + "\nWe deserve better "
        "than this, and I will keep asking why nobody listened.",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    with Store.open(tmp_path / "s.db") as store:
        ingest([str(tmp_path)], store, settings())
        assert "provenance" in cross_document(store)
        assert cross_document(store) == []  # nothing changed: nothing redone
        genres = {Path(d.uri).name: d.genre for d in store.documents()}
        derivations = store.derivations()
    assert genres == {"report.txt": "report", "aggregated.txt": "aggregator", "post.md": "opinion"}
    assert [(d["kind"], d["direction"]) for d in derivations] == [
        ("republication", "target carries a republication tail")
    ]


# The original told again sentence by sentence in other words: few shared word sequences.
PARAPHRASE = [
    "Two dock workers were injured on Tuesday morning when a container crane came down at Port "
    "Selwick.",
    "Shortly after 7am the 60-metre crane toppled across berth four while a vessel was being "
    "unloaded.",
    "According to harbourmaster Dana Okafor, the two injured men were taken to the county "
    "hospital, where they are stable.",
    "Fourteen ships were redirected by the port authority to nearby Kelham as engineers "
    "examined the quay.",
    "Health and Safety Executive inspectors reached the port that afternoon and cordoned off "
    "the area.",
    "Union representatives said they had warned managers last year about how old the cranes were.",
    "Installed in 1994, the crane had passed its latest safety check in March.",
    "Berth four will remain shut until all the cranes on the quay have been inspected, Okafor "
    "said.",
    "Shipping firms cautioned that the closure may hold up deliveries around the region for weeks.",
]


def test_paraphrased_rewrite_is_a_rewrite_not_a_spun_copy(tmp_path):
    records = [
        {"text": _text(ORIGINAL), "url": "https://gazette.example/a", "published": "2026-05-12"},
        {"text": _text(PARAPHRASE), "url": "https://brief.example/b", "published": "2026-05-13"},
        {"text": _text(INDEPENDENT), "url": "https://courier.example/c", "published": "2026-05-12"},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    with Store.open(tmp_path / "s.db") as store:
        ingest([str(path)], store, settings())
        docs = store.documents()
        cross_document(store)
        derivations = store.derivations()
        names = {d.id: d.uri.rsplit("/", 1)[1] for d in docs}
        assert [(names[d["source"]], names[d["target"]], d["kind"]) for d in derivations] == [
            ("a", "b", "rewrite")
        ]
        # Leads are embedded (and cached) only for documents no copy edge explains already.
        cached = store.vectors("all-MiniLM-L6-v2-int8", "lead", [d.id for d in docs])
        assert {names[i] for i in cached} == {"a", "c"}


def test_embedding_alignment_tells_a_paraphrase_from_an_independent_report(tmp_path):
    from storycheck.models.embed import load_embedder
    from storycheck.provenance.features import features
    from storycheck.provenance.semantic import align_semantic

    path = tmp_path / "c.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": _text(s), "url": f"https://x.example/{i}"}) + "\n"
            for i, s in enumerate((ORIGINAL, PARAPHRASE, INDEPENDENT))
        )
    )
    with Store.open(tmp_path / "s.db") as store:
        ingest([str(path)], store, settings())
        docs = store.documents()
    feats = [features(d) for d in docs]
    embedder = load_embedder()
    vectors = [embedder.embed([s.text for s in d.sentences]) for d in docs]
    paraphrase = align_semantic(feats[0], feats[1], vectors[0], vectors[1])
    independent = align_semantic(feats[0], feats[2], vectors[0], vectors[2])
    assert paraphrase.coverage_b > 0.9 and paraphrase.order == 1.0
    assert independent.coverage_b < 0.3


def test_undated_copies_are_directed_by_attribution(tmp_path):
    quoted = ORIGINAL[2:6]
    records = [
        {"text": _text(ORIGINAL), "url": "https://www.bbc.example/news/1", "source": "BBC"},
        {
            "text": _text(HOST[:2] + ["The BBC reported the details:"] + quoted + HOST[2:]),
            "url": "https://islander.example/2",
        },
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in reversed(records)))
    with Store.open(tmp_path / "s.db") as store:
        ingest([str(path)], store, settings())
        docs = store.documents()
    (edge,) = find_derivations(docs).derivations
    names = {d.id: d.source for d in docs}
    assert (names[edge.source], names[edge.target]) == ("bbc.example", "islander.example")
    assert edge.kind == "quotation"
    assert edge.direction == "target names the source's outlet"
