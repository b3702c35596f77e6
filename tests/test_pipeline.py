"""Re-runs skip finished work, stage changes redo only what changed, and a killed run resumes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from conftest import REPORT, settings
from storycheck import pipeline
from storycheck.pipeline import ingest
from storycheck.store import MIGRATIONS, SCHEMA_VERSION, Store


def _corpus(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = REPORT.replace("14 ships", f"{i + 3} ships").replace("two dock", f"{i} dock")
        (folder / f"doc{i:04}.txt").write_text(body * 3, encoding="utf-8")
    return folder


def test_rerun_is_idempotent(tmp_path):
    folder = _corpus(tmp_path / "in", 5)
    with Store.open(tmp_path / "story.db") as store:
        first = ingest([str(folder)], store, settings())
        second = ingest([str(folder)], store, settings())
        assert (first.added, second.added, second.unchanged) == (5, 0, 5)
        assert store.count_documents() == 5


def test_changed_stage_version_reruns_that_stage_and_those_after(tmp_path, monkeypatch):
    folder = _corpus(tmp_path / "in", 3)
    calls: list[str] = []
    with Store.open(tmp_path / "story.db") as store:
        ingest([str(folder)], store, settings())
        stages = tuple(
            replace(s, version=s.version + 1, run=_counting(s.run, calls, s.name))
            if s.name == "segment"
            else replace(s, run=_counting(s.run, calls, s.name))
            for s in pipeline.STAGES
        )
        monkeypatch.setattr(pipeline, "STAGES", stages)
        result = ingest([str(folder)], store, settings())
    assert result.updated == 3
    # Stages before the changed one are skipped; those after it read its output, so they follow.
    assert calls == ["segment", "claims"] * 3


def _counting(run, calls: list[str], name: str):
    def wrapped(doc, settings):
        calls.append(name)
        run(doc, settings)

    return wrapped


def test_schema_version_is_recorded(tmp_path):
    with Store.open(tmp_path / "story.db"):
        pass
    db = sqlite3.connect(tmp_path / "story.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _count(db_path: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT count(*) FROM documents").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _descendants(pid: int) -> set[int]:
    """Processes below ``pid`` (Linux /proc), read while it is alive."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def test_killed_run_resumes_without_duplicates(tmp_path):
    n = 500
    folder = _corpus(tmp_path / "in", n)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "storycheck", "analyze", str(folder), "--out", str(out), "-q"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _count(out / "story.db") < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    helpers = _descendants(process.pid)
    assert helpers, "the run used worker processes"
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    stored = _count(out / "story.db")
    assert 20 <= stored < n, "the run was not killed half-way"
    # Its workers notice and leave rather than linger with their models loaded.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in helpers)

    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    db = sqlite3.connect(out / "story.db")
    assert db.execute("SELECT count(*), count(DISTINCT id) FROM documents").fetchone() == (n, n)
    # Every document has every stage recorded and its sentences, none twice.
    stages = len(pipeline.STAGES) + 1
    assert db.execute("SELECT count(*) FROM stage_runs").fetchone()[0] == n * stages
    per_doc = db.execute("SELECT count(*) FROM sentences GROUP BY document").fetchall()
    assert {c for (c,) in per_doc} == {9}


def test_worker_processes_store_the_same_documents_in_input_order(tmp_path):
    folder = _corpus(tmp_path / "in", 30)
    (folder / "bad.txt").write_bytes(b"\x00\x01binary")
    stored = {}
    for workers in (1, 2):
        with Store.open(tmp_path / f"w{workers}.db") as store:
            result = ingest([str(folder)], store, settings(workers=workers))
            assert result.added == 30 and [e.where for e in result.errors] == [
                str(folder / "bad.txt")
            ]
            stored[workers] = [(d.id, d.text, d.sentences) for d in store.documents()]
    assert stored[1] == stored[2]


def test_despinning_can_be_turned_off_and_on_again(tmp_path):
    from storycheck.repair.spinner import spin

    spun = spin(REPORT.split("\n", 1)[1] * 3, seed=4).text
    path = tmp_path / "spun.txt"
    path.write_text(spun)
    with Store.open(tmp_path / "s.db") as store:
        ingest([str(path)], store, settings(despin=False))
        (doc,) = store.documents()
        assert doc.text == doc.cleaned and not doc.spun and doc.spin_score is None
        assert doc.repairs == doc.suspects == []
        again = ingest([str(path)], store, settings())
        assert again.updated == 1  # the setting is part of the stage's input
        (doc,) = store.documents()
        assert doc.spun and doc.repairs and doc.text != doc.cleaned
        for repair in doc.repairs:
            assert doc.text[repair.start : repair.end] == repair.restored
        twice = ingest([str(path)], store, settings(despin_rounds=2))
        assert twice.updated == 1  # so are the despinner's rounds
        (doc,) = store.documents()
        assert doc.spun and doc.repairs
        for repair in doc.repairs:
            assert doc.text[repair.start : repair.end] == repair.restored


def test_suspects_point_into_the_repaired_text(tmp_path, monkeypatch):
    """The despinner's offsets point into the cleaned text; a word it left alone but suspects
    must land on itself in the repaired text, after the repairs before it changed lengths."""
    from storycheck.repair import despin

    def fake(text: str, rounds: int = 1) -> despin.DespinResult:
        a, b = text.index("successful"), text.index("achromatic")
        return despin.DespinResult(
            text[:a] + "in" + text[a + 10 :], 0.9, True,
            [despin.Repair(a, a + 10, "successful", "in", 0.95)],
            [despin.Suspect(b, b + 10, "achromatic", "white", 0.7)],
        )  # fmt: skip

    monkeypatch.setattr(despin, "despin", fake)
    path = tmp_path / "spun.txt"
    path.write_text("The dam was successful the river. It broke after achromatic rain, and the "
                    "town below it flooded within the hour.\n")  # fmt: skip
    with Store.open(tmp_path / "s.db") as store:
        ingest([str(path)], store, settings())
        (doc,) = store.documents()
    (suspect,) = doc.suspects
    assert doc.text[suspect.start : suspect.end] == "achromatic" == suspect.observed
    assert (suspect.likely, suspect.suspicion) == ("white", 0.7)
    assert doc.text[doc.repairs[0].start : doc.repairs[0].end] == "in"


def test_a_store_from_before_suspects_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript("".join(MIGRATIONS[:-1]) + f"PRAGMA user_version = {SCHEMA_VERSION - 1};")
    db.close()
    text = tmp_path / "in.txt"
    text.write_text(REPORT)
    with Store.open(path) as store:
        ingest([str(text)], store, settings())
        (doc,) = store.documents()
        assert doc.suspects == []
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_spun_headline_is_repaired_with_its_text(demo):
    """The demo's spun copy was made by storycheck's spinner from the Herald's report: its
    headline comes back as the Herald's title, and the repairs still point into the text."""
    _, story = demo
    by_file = {d["uri"].rsplit("/", 1)[-1]: d for d in story["documents"]}
    spun, herald = by_file["06-spun-copy.txt"], by_file["01-herald-report.html"]
    assert spun["title_source"] == "headline" and spun["spin"]["spun"]
    assert spun["title"] == herald["title"]
    for repair in spun["spin"]["repairs"]:
        assert spun["text"][repair["start"] : repair["end"]] == repair["restored"]
    for suspect in spun["spin"]["suspects"]:
        assert spun["text"][suspect["start"] : suspect["end"]] == suspect["observed"]
    assert all(not d["spin"]["repairs"] for d in story["documents"] if d is not spun)
