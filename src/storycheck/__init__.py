"""storycheck: check a news story across its sources, offline.

The Python API and the ``storycheck`` command run the same functions::

    import storycheck
    outcome = storycheck.analyze(["articles/"], "out/")
    print(outcome.report)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Outcome", "analyze", "__version__"]

if TYPE_CHECKING:
    from storycheck.api import Outcome, analyze


def __getattr__(name: str) -> Any:
    """Load the API on first use: ``import storycheck.models.lm`` (an install step) should not
    import the whole pipeline, and its models, first."""
    if name in ("Outcome", "analyze"):
        from storycheck import api

        return getattr(api, name)
    raise AttributeError(f"module 'storycheck' has no attribute {name!r}")
