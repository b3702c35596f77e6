"""The ``storycheck`` command: a thin layer over ``storycheck.api``.

Exit status: 0 on success; 2 on bad usage, or when no input at all could be read. Each input that
cannot be read is reported on stderr as one line and skipped; it never stops the others.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from storycheck import api
from storycheck.config import DEFAULT_SETTINGS, Settings
from storycheck.errors import StorycheckError
from storycheck.ingest.decode import decode_bytes
from storycheck.repair import despin as despinner

app = typer.Typer(
    help="Check a news story across its sources: what each document says, which copy which, "
    "and which claims independent sources back.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
_err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per message

EXIT_BAD_INPUT = 2


@app.command()
def analyze(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders, globs, '-' for stdin, or http(s) URLs.", show_default=False
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for story.db, story.json, report.html.")
    ] = Path("storycheck-out"),
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Largest document accepted, in bytes.")
    ] = DEFAULT_SETTINGS.max_document_bytes,
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", help="Language to keep (ISO 639-1); repeat for more."),
    ] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Let URLs reach loopback and private addresses.")
    ] = False,
    no_despin: Annotated[
        bool, typer.Option("--no-despin", help="Analyse spun text as published (faster).")
    ] = False,
    despin_rounds: Annotated[
        int,
        typer.Option(
            "--despin-rounds",
            min=1,
            max=despinner.MAX_ROUNDS,
            help="2: read spun text again with its first repairs in place (more restored, "
            "half the speed).",
        ),
    ] = DEFAULT_SETTINGS.despin_rounds,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors and the final paths.")
    ] = False,
    story: Annotated[
        str | None,
        typer.Option(
            "--story", help="PATH is a `storycheck scale` output folder: analyze this story of it."
        ),
    ] = None,
) -> None:
    """Read documents into a story and write story.db, story.json and report.html."""
    settings = _settings(max_bytes, lang, allow_private, no_despin, despin_rounds)
    if story is not None and len(paths) != 1:
        _err.print("storycheck: --story takes exactly one `storycheck scale` folder", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    _run(paths, out, settings, quiet, story)


def _settings(
    max_bytes: int,
    lang: list[str] | None,
    allow_private: bool,
    no_despin: bool,
    despin_rounds: int = DEFAULT_SETTINGS.despin_rounds,
) -> Settings:
    return dataclasses.replace(
        DEFAULT_SETTINGS,
        max_document_bytes=max_bytes,
        languages=tuple(lang) if lang else DEFAULT_SETTINGS.languages,
        allow_private_addresses=allow_private,
        despin=not no_despin,
        despin_rounds=despin_rounds,
    )


@app.command()
def scale(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="JSONL(.gz), WARC(.gz), Parquet files or folders of them.", show_default=False
        ),
    ],
    out: Annotated[
        str, typer.Option("--out", "-o", help="Folder or URI for the Parquet tables.")
    ] = "storycheck-scale",
    master: Annotated[
        str, typer.Option("--master", help="Spark master URL; local mode on every core by default.")
    ] = "local[*,4]",
    lang: Annotated[list[str] | None, typer.Option("--lang", help="Language to keep.")] = None,
    no_despin: Annotated[bool, typer.Option("--no-despin", help="Skip despinning.")] = False,
    no_claims: Annotated[
        bool,
        typer.Option(
            "--no-claims",
            help="Skip the claims stage (most of the per-document time); the claims table stays "
            "empty and `analyze --story` still extracts a story's claims.",
        ),
    ] = False,
) -> None:
    """Run a crawl on Apache Spark: documents, copies and derivations, stories and claims.

    Writes Parquet tables under OUT; `storycheck analyze OUT --story ID` then finishes one story.
    """
    try:
        from storycheck.scale.job import run
    except ImportError as err:
        _err.print(f"storycheck: scale needs the [spark] extra ({err}); run setup.sh", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    settings = _settings(DEFAULT_SETTINGS.max_document_bytes, lang, False, no_despin)
    summary = run(paths, out, master, settings, skip=frozenset({"claims"} if no_claims else ()))
    for stage, seconds in summary.seconds.items():
        _err.print(f"{stage}: {seconds:.1f} s", markup=False)
    print(f"{summary.documents} documents, {summary.errors} errors, {summary.derivations} "
          f"derivations, {summary.stories} stories: {out}")  # fmt: skip
    if summary.documents == 0:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the demo's outputs.")] = Path(
        "storycheck-demo"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Analyze the bundled demo story and print where its report is."""
    with importlib.resources.as_file(
        importlib.resources.files("storycheck") / "demo_story"
    ) as folder:
        _run([str(folder)], out, DEFAULT_SETTINGS, quiet)


@app.command()
def despin(
    path: Annotated[str, typer.Argument(help="A text file, or '-' for standard input.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the repair log and spin score as JSON.")
    ] = False,
    rounds: Annotated[
        int,
        typer.Option(
            "--rounds",
            min=1,
            max=despinner.MAX_ROUNDS,
            help="Read a spun text again with its first repairs in place: 2 restores a little "
            "more, at half the speed.",
        ),
    ] = despinner.PARAMS.rounds,
) -> None:
    """Undo article spinning: print the repaired text (or, with --json, what was repaired)."""
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        text = decode_bytes(data, "<stdin>" if path == "-" else path).text
    except OSError as err:
        _err.print(f"storycheck: {path}: cannot read: {err.strerror or err}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    except StorycheckError as err:
        _err.print(f"storycheck: {err}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    result = despinner.despin(text, rounds=rounds)
    if as_json:
        print(json.dumps(despinner.to_json(result), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(result.text)


@app.command()
def verify(
    claim: Annotated[
        str | None, typer.Argument(help="The claim to check.", show_default=False)
    ] = None,
    story: Annotated[
        Path, typer.Option("--story", "-s", help="A folder written by `storycheck analyze`.")
    ] = Path("storycheck-out"),
    claims_file: Annotated[
        Path | None,
        typer.Option("--claims", help="A file of claims, one per line (JSONL out), or '-'."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    claimreview: Annotated[
        bool, typer.Option("--claimreview", help="Print schema.org ClaimReview JSON-LD.")
    ] = False,
) -> None:
    """Check a claim against a story: a verdict, its confidence and the evidence sentences."""
    claims = _claims(claim, claims_file)
    try:
        verifier = api.open_story(story)
    except StorycheckError as err:
        _err.print(f"storycheck: {err}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    indent = None if claims_file else 2  # one line per claim is JSONL
    for verdict in verifier.verify(claims):
        if claimreview:
            review = api.claim_review(verdict, verifier.documents, DEFAULT_SETTINGS.reviewer)
            print(json.dumps(review, ensure_ascii=False, indent=indent))
        elif as_json or claims_file is not None:
            print(json.dumps(verdict.to_json(), ensure_ascii=False, indent=indent))
        else:
            _print_verdict(verdict, verifier.documents)


def _claims(claim: str | None, claims_file: Path | None) -> list[str]:
    if (claim is None) == (claims_file is None):
        _err.print("storycheck: give one CLAIM or --claims FILE", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    if claim is not None:
        return [claim]
    assert claims_file is not None
    try:
        text = sys.stdin.read() if str(claims_file) == "-" else claims_file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        _err.print(f"storycheck: {claims_file}: cannot read: {err}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    return [line.strip() for line in text.splitlines() if line.strip()]


def _print_verdict(verdict: api.Verdict, documents: dict[str, dict]) -> None:
    print(f"{verdict.verdict.replace('_', ' ')} (confidence {verdict.confidence:.2f}, "
          f"{verdict.independent_sources} independent sources): {verdict.claim}")  # fmt: skip
    for item in verdict.evidence:
        title = documents.get(item.document, {}).get("title") or item.document
        print(f"  {item.stance:8} {item.score:.2f}  {title} [{item.start}:{item.end}]")
        print(f"           {item.text}")


@app.command()
def stance(
    pairs: Annotated[
        str, typer.Argument(help='JSONL of {"claim", "evidence"} per line, or \'-\'.')
    ],
) -> None:
    """Label (claim, evidence) pairs: supports, refutes or neutral, with the model's scores.

    One JSON object per input line, in order; a line that is not a pair gets {"error": ...}.
    """
    try:
        lines = (sys.stdin.read() if pairs == "-" else Path(pairs).read_text("utf-8")).splitlines()
    except (OSError, UnicodeDecodeError) as err:
        _err.print(f"storycheck: {pairs}: cannot read: {err}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    parsed: list[tuple[str, str] | str] = [_pair(line) for line in lines if line.strip()]
    judged = iter(api.stances([p for p in parsed if isinstance(p, tuple)]))
    bad = 0
    for number, item in enumerate(parsed, start=1):
        if isinstance(item, str):
            bad += 1
            _err.print(f"storycheck: {pairs}:{number}: {item}", markup=False)
            print(json.dumps({"error": item}))
        else:
            print(json.dumps(next(judged).to_json(), ensure_ascii=False))
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def serve(
    story: Annotated[Path, typer.Argument(help="A folder written by `storycheck analyze`.")],
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on; only this machine by default.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="TCP port.")] = 8000,
) -> None:
    """Show a story in the browser: the report, a box to verify claims, and a JSON API."""
    import uvicorn

    from storycheck.web import LOOPBACK_HOSTS, create_app

    loopback = host in LOOPBACK_HOSTS
    try:
        web_app = create_app(story, allowed_hosts=LOOPBACK_HOSTS if loopback else ("*",))
    except StorycheckError as err:
        _err.print(f"storycheck: {err}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from err
    if not loopback:
        _err.print(
            f"storycheck: listening on {host}: anyone who can reach this machine can read the "
            "story and use the API",
            markup=False,
        )
    shown = f"[{host}]" if ":" in host else host
    _err.print(f"serving {story} at http://{shown}:{port}/ (Ctrl-C to stop)", markup=False)
    uvicorn.run(web_app, host=host, port=port, log_level="warning")


def _pair(line: str) -> tuple[str, str] | str:
    """A (claim, evidence) pair from one JSONL line, or why the line is not one."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return f"not JSON: {err.msg}"
    if not isinstance(record, dict):
        return "not a JSON object"
    claim, evidence = record.get("claim"), record.get("evidence")
    if not isinstance(claim, str) or not isinstance(evidence, str):
        return 'needs string fields "claim" and "evidence"'
    return claim, evidence


def _run(
    paths: list[str], out: Path, settings: Settings, quiet: bool, story: str | None = None
) -> None:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[docs]} documents"),
        TimeElapsedColumn(),
        console=_err,
        disable=quiet or not _err.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("analyze", total=None, docs=0)

        def progress(done: int, total: int, documents: int) -> None:
            bar.update(task, completed=done, total=total, docs=documents)

        try:

            def status(stage: str) -> None:
                bar.update(task, description=stage)

            if story is None:
                outcome = api.analyze(paths, out, settings, progress, status)
            else:
                outcome = api.analyze_story(Path(paths[0]), story, out, settings, progress, status)
        except StorycheckError as err:
            _err.print(f"storycheck: {err}", markup=False)
            raise typer.Exit(EXIT_BAD_INPUT) from err
    run = outcome.run
    for error in run.errors:
        _err.print(f"skipped {error}", markup=False, soft_wrap=True)
    if not quiet:
        _err.print(
            f"{run.documents} documents ({run.added} new, {run.updated} updated, "
            f"{run.unchanged} unchanged), {len(run.errors)} inputs skipped",
            markup=False,
        )
    print(f"report: {outcome.report}")
    print(f"story:  {outcome.story}")
    if run.documents == 0:
        _err.print("storycheck: no document could be read from the inputs", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)


def main() -> None:
    """Console entry point (click maps usage errors to exit status 2)."""
    app(prog_name="storycheck")
