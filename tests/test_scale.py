"""``storycheck scale`` in Spark local mode: the same derivations and stories as ``analyze``,
bad records as error rows, re-runs without duplicates, a killed worker retried, and one story
finished from the Parquet output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import DEMO, HTML_PAGE, REPORT, jsonl, settings

pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("pyspark")

from storycheck.api import analyze  # noqa: E402
from storycheck.cli import app  # noqa: E402
from storycheck.repair.despin import PARAMS  # noqa: E402
from storycheck.scale.job import CRASH_DRILL, run, session  # noqa: E402

CRANE_URL = "https://selwickherald.example/crane"
CRANE = {"title": "Harbour crane collapses at Port Selwick", "url": CRANE_URL,
         "text": REPORT.split("\n", 1)[1], "date_publish": "2026-05-12",
         "source_domain": "selwickherald.example"}  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo story, a second story (a crane collapse, reported twice), a malformed record,
    and a Parquet file holding a republished copy of the crane report."""
    folder = tmp_path_factory.mktemp("crawl")
    shutil.copytree(DEMO, folder / "demo")
    (folder / "crane.html").write_text(HTML_PAGE, encoding="utf-8")
    (folder / "crawl.jsonl").write_text(jsonl(CRANE) + "{not json\n", encoding="utf-8")
    copy = {**CRANE, "url": "https://aggregator.example/crane-copy", "date_publish": "2026-05-13",
            "source_domain": "aggregator.example",
            "text": CRANE["text"] + "Read Full Article at Selwick Herald\n"}  # fmt: skip
    parquet = folder / "parquet"
    parquet.mkdir()
    import pyarrow as pa

    pq.write_table(pa.Table.from_pylist([copy]), parquet / "part-0.parquet")
    (folder / "copy.jsonl").write_text(jsonl(copy), encoding="utf-8")  # analyze reads this one
    return folder


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The crash drill's folder (``job.CRASH_DRILL``): a run finds it armed only when a test
    arms it."""
    return tmp_path_factory.mktemp("drill")


@pytest.fixture(scope="module")
def spark(drill: Path):
    """Local mode with two cores and four tries per task, as a cluster retries a lost task."""
    spark = session("local[2,4]", conf={f"spark.executorEnv.{CRASH_DRILL}": str(drill)})
    yield spark
    spark.stop()


def _scale_inputs(corpus: Path) -> list[str]:
    return [str(corpus / "demo"), str(corpus / "crane.html"), str(corpus / "crawl.jsonl"),
            str(corpus / "parquet")]  # fmt: skip


@pytest.fixture(scope="module")
def scaled(corpus: Path, spark, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scaled")
    run(_scale_inputs(corpus), out, settings=settings(), spark=spark)
    return out


@pytest.fixture(scope="module")
def analyzed(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("analyzed")
    inputs = [corpus / "demo", corpus / "crane.html", corpus / "crawl.jsonl", corpus / "copy.jsonl"]
    outcome = analyze(inputs, out, settings())
    return json.loads(outcome.story.read_text(encoding="utf-8"))


def _table(folder: Path, name: str) -> list[dict]:
    import pyarrow.dataset as ds

    return ds.dataset(folder / name, format="parquet", partitioning="hive").to_table().to_pylist()


def _edges(derivations: list[dict], uri: dict[str, str]) -> set[tuple]:
    return {(uri[d["source"]], uri[d["target"]], d["kind"], d["direction"]) for d in derivations}


def test_derivations_and_stories_equal_analyze(scaled: Path, analyzed: dict) -> None:
    docs = _table(scaled, "documents")
    uri = {d["id"]: d["uri"] for d in docs}
    analyzed_uri = {d["id"]: d["uri"] for d in analyzed["documents"]}
    assert sorted(uri.values()) == sorted(analyzed_uri.values())
    ours = _edges(_table(scaled, "derivations"), uri)
    theirs = _edges(analyzed["derivations"], analyzed_uri)
    assert ours == theirs
    assert "https://aggregator.example/crane-copy" in {e[1] for e in ours}, "the Parquet copy"
    by_story: dict[str, set[str]] = {}
    for row in _table(scaled, "stories"):
        by_story.setdefault(row["story"], set()).add(uri[row["document"]])
    expected = {frozenset(analyzed_uri[d] for d in s["documents"]) for s in analyzed["stories"]}
    assert {frozenset(s) for s in by_story.values()} == expected
    assert len(expected) == 2, "the reservoir story and the crane story"


def _listed(suspects: list[dict]) -> set[tuple[int, str]]:
    return {(s["start"], s["likely"]) for s in suspects}


def _sure(suspects: list[dict]) -> set[tuple[int, str]]:
    return _listed([s for s in suspects if s["suspicion"] >= PARAMS.suspect_floor + 0.05])


def test_document_rows_match_story_json_fields(scaled: Path, analyzed: dict) -> None:
    theirs = {d["uri"]: d for d in analyzed["documents"]}
    for row in _table(scaled, "documents"):
        doc = theirs[row["uri"]]
        assert (row["title"], row["published"], row["genre"], row["spun"]) == (
            doc["title"], doc["published"], doc["genre"], doc["spin"]["spun"]
        )  # fmt: skip
        ours, theirs_ = json.loads(row["repairs"]), doc["spin"]["repairs"]
        # The same repairs. Confidences may differ a little across processes: the language
        # model's sums depend on thread counts, and a tree split can turn on that difference.
        assert [(r["start"], r["restored"]) for r in ours] == [
            (r["start"], r["restored"]) for r in theirs_
        ]
        assert [r["confidence"] for r in ours] == pytest.approx(
            [r["confidence"] for r in theirs_], abs=0.05
        )
        # The same suspects, but for those within that difference of the floor.
        ours, theirs_ = json.loads(row["suspects"]), doc["spin"]["suspects"]
        assert _sure(ours) <= _listed(theirs_) and _sure(theirs_) <= _listed(ours)
    sentences = _table(scaled, "sentences")
    assert len(sentences) == sum(len(d["sentences"]) for d in analyzed["documents"])
    claims = _table(scaled, "claims")
    assert {c["text"] for c in claims} == {c["text"] for c in analyzed["claims"]}


def test_a_bad_record_is_an_error_row(scaled: Path) -> None:
    errors = _table(scaled, "errors")
    assert [e["input"].rsplit("/", 1)[-1] for e in errors] == ["crawl.jsonl:2"]
    assert "malformed JSON" in errors[0]["reason"]


def test_one_story_finishes_on_a_laptop(scaled: Path, tmp_path: Path) -> None:
    crane = next(d["story"] for d in _table(scaled, "documents") if d["uri"] == CRANE_URL)
    result = CliRunner().invoke(
        app, ["analyze", str(scaled), "--story", crane, "--out", str(tmp_path), "-q"]
    )
    assert result.exit_code == 0, result.output
    story = json.loads((tmp_path / "story.json").read_text(encoding="utf-8"))
    assert CRANE_URL in {d["uri"] for d in story["documents"]}
    assert len(story["documents"]) == 3 and len(story["stories"]) == 1
    assert (tmp_path / "report.html").is_file()
    missing = CliRunner().invoke(app, ["analyze", str(scaled), "--story", "s-nope", "--out",
                                       str(tmp_path / "x")])  # fmt: skip
    assert missing.exit_code == 2 and "no story 's-nope'" in missing.stderr


def test_rerun_with_a_killed_worker_gives_the_same_rows(
    corpus: Path, scaled: Path, spark, drill: Path, tmp_path: Path
) -> None:
    """The same output folder again, while a Python worker dies in the middle of a task: Spark
    retries the task, the tables come out the same, and nothing is duplicated."""
    out = tmp_path / "again"
    shutil.copytree(scaled, out)
    before = {name: _table(out, name) for name in ("documents", "derivations", "stories")}
    (drill / "armed").touch()
    try:
        run(_scale_inputs(corpus), out, settings=settings(), spark=spark)
    finally:
        (drill / "armed").unlink()
    assert (drill / "fired").is_file(), "a Python worker died during the run"
    key = {"documents": "id", "derivations": "target", "stories": "document"}
    for name, rows in before.items():
        after = _table(out, name)
        assert len(after) == len(rows), name
        assert sorted(after, key=lambda r: r[key[name]]) == sorted(rows, key=lambda r: r[key[name]])


def test_scale_command_without_claims(corpus: Path, spark, tmp_path: Path) -> None:
    """The CLI on the crane records (a JSONL line, a malformed one, a Parquet copy): the copy is
    found, the bad line is an error row, and ``--no-claims`` leaves the claims table empty."""
    out = tmp_path / "crane"
    result = CliRunner().invoke(
        app,
        ["scale", str(corpus / "crawl.jsonl"), str(corpus / "parquet"), "--out", str(out),
         "--master", "local[2,4]", "--no-claims"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 documents, 1 errors, 1 derivations, 1 stories" in result.stdout
    uri = {d["id"]: d["uri"] for d in _table(out, "documents")}
    (edge,) = _table(out, "derivations")
    assert (uri[edge["source"]], uri[edge["target"]]) == (
        CRANE_URL, "https://aggregator.example/crane-copy"
    )  # fmt: skip
    assert _table(out, "claims") == [] and len(_table(out, "sentences")) > 0
