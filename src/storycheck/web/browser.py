"""Headless Chromium for the browser tests and the screenshot script (Playwright, dev extra).

Playwright's own browser downloads need the internet; storycheck drives the system's Chromium
(Debian's ``chromium`` package, which setup.sh installs) instead. The flags keep it from
reaching for Google's services at start-up, which a closed network answers with a stream of
refused connections and console noise.
"""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

from storycheck.errors import MissingResourceError

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_FLAGS = (
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)


def chromium_path() -> str:
    """The Chromium to drive: ``STORYCHECK_CHROMIUM``, else ``chromium`` on the PATH."""
    found = os.environ.get("STORYCHECK_CHROMIUM") or shutil.which("chromium")
    if not found:
        raise MissingResourceError(
            "Chromium not found: run setup.sh (it installs Debian's chromium) "
            "or set STORYCHECK_CHROMIUM to a Chromium or Chrome executable"
        )
    return found


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium browser, started with the flags above."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=list(CHROMIUM_FLAGS))
