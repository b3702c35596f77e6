"""Profile each document as a reader would: report, opinion, republication, aggregator, rewrite.

The genre comes from a short cascade over signals a person would notice (a "Source link" tail,
being a copy of another document, first person and swearing, attributions and datelines), and
every signal is returned so story.json can show why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from storycheck.records import Document, Genre

# Opinion: first-person words per 100 words outside quotations. Reports use almost none outside
# quotes; columns and posts use several (seed 002: about 3; BBC reports: 0).
OPINION_FIRST_PERSON = 1.0
# Report: attributions ("said", "told", "according to") per sentence; wire reports run at 0.3+.
REPORT_ATTRIBUTIONS = 0.1

_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|mine|myself|we|we're|our|ours|us)\b")
_PROFANITY = re.compile(
    r"\b(?:fuck\w*|shit|shits|shitty|bullshit|crap|bollocks|arse|arsehole|bastards?)\b"
)
_EMOTIVE = re.compile(
    r"\b(?:outrageous|disgraceful|shameful|appalling|absurd|pathetic|utterly|absolutely|"
    r"scandalous|disgusting|ridiculous|insane|stellar)\b"
)
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|according to|stated|stating|announced|confirmed|added|reported|"
    r"claimed|argued|accused|denied|insisted|warned|noted|emphasi[sz]ed)\b"
)
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]{2,40}(?:,[^\n]{0,30})?\s*(?:\([A-Za-z .]+\))?\s*[-–—]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

_AGGREGATOR_SIGNALS = frozenset({"source_link"})
_REPUBLICATION_KINDS = frozenset({"copy", "republication", "spun_copy"})


@dataclass(frozen=True)
class Profile:
    genre: Genre
    reason: str
    signals: dict[str, float | int | bool | str | None]


def profile(doc: Document, derived_as: str | None) -> Profile:
    """``derived_as`` is the kind of the derivation that makes ``doc`` a copy, if any."""
    text = doc.text
    outside = _QUOTED.sub(" ", text).lower()
    words = max(1, len(_WORD.findall(text)))
    sentences = max(1, len(doc.sentences))
    signals: dict[str, float | int | bool | str | None] = {
        "first_person_per_100_words": round(100 * len(_FIRST_PERSON.findall(outside)) / words, 2),
        "profanity": len(_PROFANITY.findall(outside)),
        "emotive_words": len(_EMOTIVE.findall(outside)),
        "exclamations": outside.count("!"),
        "quotations": len(_QUOTED.findall(text)),
        "attributions_per_sentence": round(len(_ATTRIBUTION.findall(text)) / sentences, 2),
        "dateline": bool(_DATELINE.match(text)),
        "tails": ", ".join(s.kind for s in doc.signals) or None,
        "spin_score": doc.spin_score,
        "derived_as": derived_as,
    }
    genre, reason = _genre(doc, derived_as, signals)
    return Profile(genre, reason, signals)


def _genre(
    doc: Document, derived_as: str | None, signals: dict[str, float | int | bool | str | None]
) -> tuple[Genre, str]:
    kinds = {s.kind for s in doc.signals}
    if kinds & _AGGREGATOR_SIGNALS:
        return "aggregator", "ends with an aggregator's source link"
    if doc.republished_from:
        return "republication", f"says it republishes {doc.republished_from}"
    if derived_as in _REPUBLICATION_KINDS:
        return "republication", f"is a {derived_as.replace('_', ' ')} of another document"
    if doc.spun:
        return "republication", "is a spun copy of a text not in this story"
    if derived_as == "rewrite":
        return "rewrite", "rewrites another document"
    first_person = float(signals["first_person_per_100_words"] or 0)
    if first_person >= OPINION_FIRST_PERSON or signals["profanity"]:
        return "opinion", "writes in the first person or swears, outside quotations"
    attributions = float(signals["attributions_per_sentence"] or 0)
    if attributions >= REPORT_ATTRIBUTIONS or signals["dateline"]:
        return "report", "attributes what it says to named sources"
    return "unknown", "shows none of the signals of a genre"
