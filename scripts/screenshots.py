"""Screenshots of stories' reports at desktop and phone widths, for review, with console errors.

    python scripts/screenshots.py examples/demo ../shared/seeds --out screenshots

Each argument is a story folder that ``storycheck analyze`` wrote (it holds report.html), or a
folder of inputs, which is analyzed first into ``OUT/NAME``. For each report the script saves
``NAME-desktop.png`` and ``NAME-phone.png`` (full page) under ``OUT``, prints any console
error or uncaught exception the page produced, and exits 1 if there was one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from storycheck.api import analyze
from storycheck.web.browser import launch

WIDTHS = {"desktop": 1280, "phone": 390}


def report_of(folder: Path, out: Path) -> Path:
    """The report.html of a story folder, analyzing a folder of inputs first."""
    if (folder / "report.html").is_file():
        return folder / "report.html"
    return analyze([folder], out / folder.resolve().name).report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    failed = False
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for folder in args.folders:
            report = report_of(folder, args.out)
            name = folder.resolve().name
            for label, width in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": 900})
                errors: list[str] = []
                page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.goto(report.as_uri())
                page.wait_for_load_state("load")
                shot = args.out / f"{name}-{label}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"{shot}  ({width}px, {len(errors)} console errors)")
                for error in errors:
                    print(f"  error: {error}")
                failed |= bool(errors)
                page.close()
        browser.close()
    print(f"command: python scripts/screenshots.py {' '.join(sys.argv[1:])}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
