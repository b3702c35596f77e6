"""Every tunable limit and threshold in one place, each with the reason for its value."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Run settings. The CLI builds one from its options; the Python API takes one directly."""

    # Largest document accepted, in bytes of raw input. News articles are rarely above 1 MB of
    # HTML; 20 MB leaves room for bloated pages while refusing archives and media by mistake.
    max_document_bytes: int = 20 * 1024 * 1024
    # Languages kept. The claim, stance and despinning models are English-only, so other languages
    # are reported and skipped rather than analysed badly.
    languages: tuple[str, ...] = ("en",)
    # URL fetching: refuse loopback, private and link-local addresses unless asked (SSRF guard).
    allow_private_addresses: bool = False
    fetch_timeout_s: float = 20.0
    max_redirects: int = 5
    user_agent: str = "storycheck/0.1 (+offline news verification)"
    # Undo article spinning. Off, spun text is analysed as published (provenance still tells a
    # spun copy by its word-for-word substitutions); detection costs clean text little, but
    # restoring spun text is the slowest stage.
    despin: bool = True
    # Runs of the despinner's second pass (``Params.rounds``, which says what 2 gains and
    # costs): 2 reads a spun text again with its first repairs in place.
    despin_rounds: int = 1
    # Processes for the per-document stages; 0 means one per CPU core.
    workers: int = 0
    # Author named in ClaimReview output.
    reviewer: str = "storycheck"


DEFAULT_SETTINGS = Settings()
