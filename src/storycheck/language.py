"""Language identification, so English-only models never see text they cannot read."""

from __future__ import annotations

import re
from functools import cache

from lingua import LanguageDetector, LanguageDetectorBuilder

# Enough text to decide (several sentences); detection time grows with length.
_SAMPLE_CHARS = 1000
# Below this many words the guess is unreliable (a nav stub reads as Esperanto), so no verdict.
_MIN_WORDS = 8
# English prose is about 40% function words; other languages written in Latin script share
# almost none of these. Above this share the text is English without asking the slower model.
_ENGLISH_SHARE = 0.25
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the of and to a in is was that for it on with as by at from he she they his her their "
    "this have has had be been are were not but or an which who will would said its also".split()
)
_WORD = re.compile(r"[^\W\d_]+")


@cache
def _detector() -> LanguageDetector:
    # Low-accuracy mode loads in a fraction of a second and is reliable on paragraphs; it is only
    # weak on a few words, which documents are not.
    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def detect(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or ``None`` when it cannot be told."""
    sample = text[:_SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if len(words) < _MIN_WORDS:
        return None
    if sum(w in _ENGLISH_FUNCTION_WORDS for w in words) / len(words) >= _ENGLISH_SHARE:
        return "en"
    language = _detector().detect_language_of(sample)
    return language.iso_code_639_1.name.lower() if language is not None else None
