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
_err = Console(stderr=True, highlight=False)

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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only errors and the final paths.")
    ] = False,
) -> None:
    """Read documents into a story and write story.db, story.json and report.html."""
    settings = dataclasses.replace(
        DEFAULT_SETTINGS,
        max_document_bytes=max_bytes,
        languages=tuple(lang) if lang else DEFAULT_SETTINGS.languages,
        allow_private_addresses=allow_private,
        despin=not no_despin,
    )
    _run(paths, out, settings, quiet)


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
    result = despinner.despin(text)
    if as_json:
        print(json.dumps(despinner.to_json(result), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(result.text)


def _run(paths: list[str], out: Path, settings: Settings, quiet: bool) -> None:
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
            outcome = api.analyze(
                paths, out, settings, progress, lambda stage: bar.update(task, description=stage)
            )
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
