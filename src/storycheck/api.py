"""The public entry points, shared by the CLI and Python callers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from storycheck.config import DEFAULT_SETTINGS, Settings
from storycheck.crosscheck.stance import stances
from storycheck.export import story_json, write_json
from storycheck.pipeline import Progress, RunResult, cross_document, ingest, ingest_raw
from storycheck.report import write_report
from storycheck.store import Store
from storycheck.verify import StoryVerifier, Verdict, claim_review

__all__ = ["Outcome", "StoryVerifier", "Verdict", "analyze", "analyze_story", "claim_review",
           "open_story", "stances"]  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    """Where ``analyze`` wrote its outputs, and what the run did."""

    run: RunResult
    database: Path
    story: Path
    report: Path


def analyze(
    inputs: Iterable[str | Path],
    out: str | Path,
    settings: Settings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    status: Callable[[str], None] | None = None,
) -> Outcome:
    """Read ``inputs`` (files, folders, globs, ``-``, URLs) into the story in ``out``.

    Writes ``out/story.db``, ``out/story.json`` and ``out/report.html``. Inputs that cannot be
    read are listed in the result and in story.json's ``errors``; they never stop the run.
    ``progress`` follows the per-document stages; ``status`` names each cross-document stage as
    it starts.
    """
    specs = [str(i) for i in inputs]
    return _finish(out, lambda store: ingest(specs, store, settings, progress), status)


def analyze_story(
    scaled: str | Path,
    story: str,
    out: str | Path,
    settings: Settings = DEFAULT_SETTINGS,
    progress: Progress | None = None,
    status: Callable[[str], None] | None = None,
) -> Outcome:
    """``analyze`` for one story of a ``storycheck scale`` output folder: its records are read
    back from the Parquet tables, then every stage runs as for any other story."""
    from storycheck.scale.load import story_records

    records = story_records(Path(scaled), story)
    return _finish(out, lambda store: ingest_raw(records, store, settings, progress), status)


def _finish(
    out: str | Path, read: Callable[[Store], RunResult], status: Callable[[str], None] | None
) -> Outcome:
    """Read documents into the story in ``out``, run the cross-document stages, write it all."""
    out_dir = Path(out)
    database = out_dir / "story.db"
    with Store.open(database) as store:
        run = read(store)
        cross_document(store, status)
        story = story_json(store)
    story_path = write_json(story, out_dir / "story.json")
    report_path = write_report(story, out_dir / "report.html")
    return Outcome(run, database, story_path, report_path)


def open_story(story: str | Path) -> StoryVerifier:
    """Load a story that ``analyze`` wrote, ready to verify claims against."""
    return StoryVerifier.open(Path(story))
