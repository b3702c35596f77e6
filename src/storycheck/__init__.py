"""storycheck: check a news story across its sources, offline.

The Python API and the ``storycheck`` command run the same functions::

    import storycheck
    outcome = storycheck.analyze(["articles/"], "out/")
    print(outcome.report)
"""

from __future__ import annotations

__version__ = "0.1.0"

from storycheck.api import Outcome, analyze  # noqa: E402

__all__ = ["Outcome", "analyze", "__version__"]
