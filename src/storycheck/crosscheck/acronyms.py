"""Acronyms a story defines ("Director of Public Prosecutions (DPP)"), written out in full.

A report spells a body's name out once and then uses its initials: "Serving as DPP from 2008 to
2013". A claim that says "Director of Public Prosecutions" shares no word with that sentence,
so BM25 does not find it, the consistency layer finds the two on different topics, and the
stance model, which has never seen "DPP", calls the pair neutral. The story itself says what
the initials stand for; writing them out in the texts that are compared (never in the texts
shown) lets all three see one name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# "Long Form Words (ABBR)": the initials in brackets, after the words they abbreviate.
_DEFINED = re.compile(r"\((?P<abbr>[A-Z]{2,6})\)")
_WORD = re.compile(r"[A-Za-z][\w'’&-]*")
# Small words a name may contain without giving a letter: "Director of Public Prosecutions".
_LINKS = frozenset("of and for the on in to at".split())
# Words before the brackets read when looking for the long form.
_MAX_WORDS = 10


def find_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Each acronym the texts define, with its long form. An acronym given two different long
    forms is left out: the story does not say which one a bare use means."""
    found: dict[str, set[str]] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            long_form = _long_form(text[: m.start()], m["abbr"])
            if long_form:
                found.setdefault(m["abbr"], set()).add(long_form)
    return {abbr: next(iter(forms)) for abbr, forms in found.items() if len(forms) == 1}


def _long_form(before: str, abbr: str) -> str | None:
    """The words just before the brackets whose capitals spell ``abbr``, or None."""
    words = list(_WORD.finditer(before))[-_MAX_WORDS:]
    if not words or before[words[-1].end() :].strip():
        return None  # no name right before the brackets
    letters = ""
    for n in range(len(words) - 1, -1, -1):
        word = words[n].group()
        if word.lower() in _LINKS and letters:
            continue
        if not word[0].isupper():
            return None
        letters = word[0] + letters
        if letters == abbr:
            return before[words[n].start() : words[-1].end()]
        if not abbr.endswith(letters):
            return None
    return None


def expand(text: str, acronyms: dict[str, str]) -> str:
    """``text`` with each acronym of ``acronyms`` written out, except where it stands in
    brackets after its long form (the definition itself)."""
    if not acronyms:
        return text

    def written_out(m: re.Match[str]) -> str:
        long_form = acronyms[m.group()]
        defined = text[: m.start()].rstrip().endswith(f"{long_form} (")
        return m.group() if defined else long_form

    return _pattern(frozenset(acronyms)).sub(written_out, text)


@lru_cache(maxsize=8)
def _pattern(acronyms: frozenset[str]) -> re.Pattern[str]:
    """One pattern for all of a story's acronyms, built once: ``expand`` runs on every sentence."""
    return re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(acronyms))) + r")\b")
