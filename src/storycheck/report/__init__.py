"""Human-readable reports of a story: one self-contained HTML page per story.json."""

from storycheck.report.html import render_report, segments, write_report

__all__ = ["render_report", "segments", "write_report"]
