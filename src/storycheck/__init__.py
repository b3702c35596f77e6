"""storycheck: check a news story across its sources, offline.

The Python API and the ``storycheck`` command run the same functions::

    import storycheck
    outcome = storycheck.analyze(["articles/"], "out/")
    print(outcome.report)
    story = storycheck.open_story("out/")
    print(story.verify(["About 1,200 people were evacuated."])[0].verdict)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Outcome", "analyze", "open_story", "stances", "__version__"]
_API = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:
    from storycheck.api import Outcome, analyze, open_story, stances


def __getattr__(name: str) -> Any:
    """Load the API on first use: ``import storycheck.models.lm`` (an install step) should not
    import the whole pipeline, and its models, first."""
    if name in _API:
        from storycheck import api

        return getattr(api, name)
    raise AttributeError(f"module 'storycheck' has no attribute {name!r}")
