"""The deterministic consistency layer: numbers, dates, names and negation, compared exactly.

Small NLI models read "about 1,200 residents" and "about 2,100 residents" as near-paraphrases,
and "in 2010" as compatible with "in 2015": they learned word overlap, not arithmetic. Where a
claim and a sentence are about the same thing (most of the claim's words are there), this layer
compares what the model is weakest at, after normalisation ("nine" = 9; "between 2008 and
2013" covers 2010), and its finding overrides the model: a conflict makes the pair refute, and
values that all agree keep a model's "refutes" from resting on nothing but a rewording. Shared
words are not enough for numbers and dates: news is full of like events (trials, floods) with
their own counts and years, so values are compared only where the two share a name or one
names nothing, a date only with the other's date of the same thing, and a rate's numbers only
with a rate's. Verbs of opposite meaning (rose / fell, from WordNet: see ``opposites``) with
the same subject conflict too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, TypeVar

from wordfreq import zipf_frequency

from storycheck.claims import dates, quantities
from storycheck.crosscheck import exclusive, opposites
from storycheck.models.nlp import load_nlp

Finding = Literal["conflict", "agree", "none"]
V = TypeVar("V")

# Share of the claim's content words the evidence must have before its numbers, dates, names
# and negation are compared: below it the two may simply be about different things.
SAME_TOPIC = 0.5
# A negation right before "until" puts off what it negates rather than denying it: "It
# wasn't until 2010 that the first convictions were recorded" says they were, in 2010. "No."
# before a number is "number" ("the No. 32 car").
_NEGATION = re.compile(
    r"(?:\b(?:not|cannot|no(?!\.\s*\d)|never|none|nobody|nothing|neither|nor|without|denied|"
    r"denies|deny|refused|refuses|failed|fails)\b|n['’]t\b)(?!\s+until\b)",
    re.IGNORECASE,
)
# Words either side of a date that say what it is the date of.
DATE_CONTEXT = 8
# A sentence that states a rate ("two cases are reported every day").
_RATE = re.compile(
    r"\b(?:(?:a|per|every|each)\s+(?:day|week|month|year|hour|minute|second)|daily|weekly"
    r"|monthly|annually|yearly|hourly)\b",
    re.IGNORECASE,
)
# A sentence's first word at least this common (Zipf scale) is an ordinary word, not a name.
_COMMON_ZIPF = 4.0
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+|\d[\d,.]*")
_NAME = re.compile(r"\b[A-Z][^\W\d_]+(?:\s+[A-Z][^\W\d_]+)*")
# Where a sentence divides into clauses, for finding the one a claim restates.
_CLAUSE = re.compile(
    r"[,;:()]\s*|\s+(?:and|but|then|while|whereas|although|though|because|after|before)\s+",
    re.IGNORECASE,
)
# Words of a sentence frame and of names when matching them: punctuation is not a word.
_FRAME_WORD = re.compile(r"\w+(?:['’]\w+)*")
_APOSTROPHE = re.compile("['’]")
# What stands between a name and another set beside it to describe it ("Jess Phillips, the
# Safeguarding Minister,"); the second must be followed by a comma too.
_APPOSITION = re.compile(r",\s*(?:(?:the|a|an)\s+)?", re.IGNORECASE)
_STOP = frozenset(
    "the a an and or but of to in on at for by with from as is are was were be been being it its "
    "this that these those he she they we you i his her their our has have had will would said "
    "says say told also than then there which who whom whose what when where why how about "
    "did does do can could may might should".split()
)
# The reason given when the evidence names another thing beside the one a claim restricts to.
NOT_ONLY = "not only"
# Letters kept of each content word when comparing wordings.
_STEM = 6


@dataclass(frozen=True)
class Check:
    """What the exact comparison found, and why (for the evidence's explanation)."""

    finding: Finding
    reasons: tuple[str, ...] = field(default=())


def check(claim: str, evidence: str) -> Check:
    """Compare the values a claim and an evidence sentence state, if they share a topic."""
    if topic_overlap(claim, evidence) < SAME_TOPIC:
        return Check("none")
    compared: list[tuple[str, Finding]] = []
    if not _other_subjects(claim, evidence):
        compared = [
            ("number", _compare_numbers(claim, evidence)),
            ("date", _compare_dates(claim, evidence)),
        ]
    conflicts = [f"{name}s differ" for name, finding in compared if finding == "conflict"]
    agreements = [f"{name}s agree" for name, finding in compared if finding == "agree"]
    if _negation_differs(claim, evidence):
        conflicts.append("one is negated")
    swapped = _swapped_names(claim, evidence)
    if swapped:
        conflicts.append(f"names differ: {swapped}")
    opposite = _opposite_verbs(claim, evidence)
    if opposite:
        conflicts.append(f"opposite verbs: {opposite}")
    beside = _named_beside(claim, evidence)
    if beside:
        conflicts.append(f"{NOT_ONLY}: {beside}")
    if conflicts:
        return Check("conflict", tuple(conflicts))
    if agreements:
        return Check("agree", tuple(agreements))
    return Check("none")


def topic_overlap(claim: str, evidence: str) -> float:
    """Share of the claim's content words (numbers aside) that the evidence also has."""
    ours = _content(claim)
    return len(ours & _content(evidence)) / len(ours) if ours else 0.0


def states_values(text: str) -> bool:
    """Whether a text states a number, an amount, a span of time or a date."""
    return bool(_quantities(text) or _dates(text))


def shared_words(a: str, b: str) -> float:
    """Share of the shorter text's content words that the other also has: symmetric, so a long
    sentence and a short restatement of its core still meet."""
    ours, theirs = _content(a), _content(b)
    return len(ours & theirs) / min(len(ours), len(theirs)) if ours and theirs else 0.0


def _other_subjects(claim: str, evidence: str) -> bool:
    """Whether both texts name things and share none of them, not one word: then they are
    most likely about two things, and their numbers and dates say nothing either way.
    "11 men convicted in Derbyshire" in November 2010 and "the 2012 Rochdale prosecution" of
    nine men are two trials, not a contradiction; nor do two films agree because their year
    does. One shared name keeps them on one subject: two reports of the Corran dam's collapse
    may name different villages and still disagree on how many people left them. Month and
    weekday names belong to dates, not subjects."""
    ours, theirs = _subject_names(claim), _subject_names(evidence)
    if not ours or not theirs:
        return False
    claim_words, evidence_words = _folded_words(claim), _folded_words(evidence)
    return not any(_folded_words(m.group()) & evidence_words for m in ours) and not any(
        _folded_words(m.group()) & claim_words for m in theirs
    )


def _subject_names(text: str) -> list[re.Match[str]]:
    """The names of a text outside its date expressions ("November 2010", "on Monday")."""
    spans = [(d.char_start, d.char_end) for d in _dates(text)]
    return [m for m in _names(text) if not any(a < m.end() and m.start() < b for a, b in spans)]


def _compare_numbers(claim: str, evidence: str) -> Finding:
    """The claim's numbers against the evidence's (see ``_same_measure``), unless one states a
    rate and the other does not: "two cases are reported every day" and "800 cases were
    reopened" measure different things, though both count cases."""
    if bool(_RATE.search(claim)) != bool(_RATE.search(evidence)):
        return "none"
    ours, theirs = _quantities(claim), _quantities(evidence)
    units = {q.unit for q in theirs}
    return _compare(ours, theirs, quantities.bears_on, lambda a, b: _same_measure(a, b, units))


def _same_measure(
    claim: quantities.Quantity, evidence: quantities.Quantity, units: set[str | None]
) -> bool:
    """Whether to compare a claim's quantity with an evidence quantity: a claim figure with a
    unit meets only the evidence's figures of that unit when it has some, so that "waiting over
    43 months ... from 7,613" does not agree with the bare 7,613 beside "over 12 months". A bare
    claim figure still meets any count ("9" and "nine men")."""
    return claim.unit is None or claim.unit not in units or evidence.unit == claim.unit


def _compare_dates(claim: str, evidence: str) -> Finding:
    """The claim's dates against the evidence's dates of the same thing: a date is compared only
    with one whose nearest words (``DATE_CONTEXT`` either side) share a content word with its
    own. "The 2014 Jay report" meets no date in "led by Professor Alexis Jay, which uncovered
    ... 1,400 children exploited between 1997 and 2013": those are the years of the abuse."""
    return _compare(
        _dates(claim),
        _dates(evidence),
        dates.compare_dates,
        lambda a, b: _meets(_date_context(claim, a), _date_context(evidence, b)),
    )


def _date_context(text: str, date: dates.DateExpr) -> set[str]:
    """The content words among the ``DATE_CONTEXT`` words either side of a date."""
    before = _WORD.findall(text[: date.char_start])[-DATE_CONTEXT:]
    after = _WORD.findall(text[date.char_end :])[:DATE_CONTEXT]
    return _content(" ".join(before + after))


def _meets(ours: set[str], theirs: set[str]) -> bool:
    """Whether some cut word of ours is one of theirs, or a shorter form of it or the other way
    round ("order" and "ordere", cut from "ordered")."""
    return any(w.startswith(v) or v.startswith(w) for w in ours for v in theirs)


def _compare(
    ours: Sequence[V],
    theirs: Sequence[V],
    compare: Callable[[V, V], str],
    related: Callable[[V, V], bool] = lambda a, b: True,
) -> Finding:
    """Each claim value against the evidence's (those ``related`` to it): a value that agrees
    with one of the evidence's counts as agreeing; a value that only conflicts (same kind,
    different amount) conflicts, but not with an evidence value another claim value agrees
    with: that one is accounted for ("Thanou, the 100m silver medallist, and the 200m champion
    Kenteris" against "Kenteris, who won 200m gold"). One that is only compatible with an
    evidence value (both can be true, the evidence does not state it) is not contradicted,
    since that value may be the one about the same thing, and keeps the whole from agreeing.

    A claim value accounts for one evidence value, the agreeing one nearest its own place in
    the sentence: "inflation fell below 10%" agrees with "6-7%" too, but restates "below 10%",
    and must leave "growth of 6-7%" to contradict "growth of 25-28%"."""
    if not ours or not theirs:
        return "none"
    results = [[compare(a, b) if related(a, b) else None for b in theirs] for a in ours]
    taken: set[int] = set()
    for i, row in enumerate(results):
        free = [j for j, found in enumerate(row) if found == "agree" and j not in taken]
        if free:
            taken.add(min(free, key=lambda j: abs(j - i)))
    found: Finding = "none"
    unbacked = False
    for row in results:
        if "agree" in row:
            found = "agree"
        elif "compatible" in row:
            unbacked = True
        elif any(r == "conflict" and j not in taken for j, r in enumerate(row)):
            return "conflict"
    return "none" if unbacked else found


@lru_cache(maxsize=4096)
def _quantities(text: str) -> list:
    return quantities.find_quantities(text)


@lru_cache(maxsize=4096)
def _dates(text: str) -> list:
    return dates.find_dates(text)


def _negated(text: str) -> bool:
    return len(_NEGATION.findall(text)) % 2 == 1


def _negation_differs(claim: str, evidence: str) -> bool:
    """Whether some clause of the claim and an evidence clause that restates it (has every one
    of its content words) differ in negation. Clause by clause, because a "not" elsewhere in a
    long sentence ("Aldridge did not attend, and the council approved the plan") says nothing
    about the part the claim restates; every word, because a denial of one thing is no
    contradiction of a statement about another ("X is not an American series" against "X is a
    French series" supports it). Of the clauses sharing as many words, the one with the fewest
    others is the restatement: "it's about us" is not "but it's not about the opposition"."""
    theirs = [(c, _content(c)) for c in _clauses(evidence)]
    for part in _clauses(claim):
        ours = _content(part)
        if not ours:
            continue
        best, words = max(theirs, key=lambda c: (len(ours & c[1]), -len(c[1] - ours)))
        if _negated(part) != _negated(best) and (
            _covered(ours, words) or _covered(ours - _modifiers(part, evidence, words), words)
        ):
            return True
    return False


def _modifiers(text: str, other: str, theirs: set[str]) -> set[str]:
    """Cut words of ``text`` that only narrow a noun that ``other`` names bare, with nothing
    narrowing it there: a denial of the wider thing denies the narrower one ("no officer has
    faced charges" against "Police officers have been charged"). A noun narrowed on both sides
    is left alone: "an American series" and "a French animated series" are different things.
    ``theirs``: the cut words of the clause of ``other`` being compared. Both texts are parsed,
    so it is asked only when some word of ``text`` is missing there."""
    bare = {noun for noun in _bare_nouns(other) if _meets({noun}, theirs)}
    return {
        modifier
        for modifier, head in _noun_modifiers(text)
        if _meets({head}, bare) and not _meets({modifier}, theirs)
    }


@lru_cache(maxsize=1024)  # parses are larger than the other cached readings
def _parse(text: str):
    return load_nlp()(text)


def _noun_modifiers(text: str) -> set[tuple[str, str]]:
    """(modifier, noun) cut-word pairs: the nouns and adjectives set before a noun to narrow
    it ("police" in "police officers", "criminal" in "criminal charges")."""
    return {(_cut(token.text), _cut(token.head.text)) for token in _parse(text) if _narrows(token)}


def _bare_nouns(text: str) -> set[str]:
    """Cut words of the nouns that nothing narrows ("officer" in "no officer has")."""
    return {
        _cut(token.text)
        for token in _parse(text)
        if token.pos_ in ("NOUN", "PROPN") and not any(_narrows(c) for c in token.children)
    }


def _narrows(token) -> bool:
    return (
        token.dep_ in ("compound", "amod")
        and token.head.pos_ in ("NOUN", "PROPN")
        and token.i < token.head.i
    )


def _cut(word: str) -> str:
    return word.lower().strip("'’")[:_STEM]


def _covered(ours: set[str], theirs: set[str]) -> bool:
    """Whether each of our cut words meets one of theirs (see ``_meets``)."""
    return all(_meets({w}, theirs) for w in ours)


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c.strip()] or [text]


def _content(text: str) -> set[str]:
    """Content words cut to their first letters: a stem crude enough to need no model, which
    still matches "evacuated" with "evacuation"."""
    return {
        _cut(w)
        for w in _WORD.findall(text)
        if not w[0].isdigit() and w.lower() not in _STOP and len(w) > 2 and not _NEGATION.search(w)
    }


def _swapped_names(claim: str, evidence: str) -> str | None:
    """A name in the claim that the evidence replaces with another in the same sentence frame
    ("Keogh ordered the review" vs "Penhallow ordered the review"): each side has a name the
    other never mentions, the two stand between the same words (two before or two after), and
    every other content word of the claim is in the evidence.

    A name counts as mentioned when all of its words occur in the other text, in any case and
    without accents ("Ellis" in "Bret Easton Ellis", "Noel" for "Noël"), so a shortened name,
    a pronoun sentence ("it spiritually signifies") or a nationality the evidence adds
    ("an American actress") is not a swap."""
    ours, theirs = _names(claim), _names(evidence)
    claim_words, evidence_words = _folded_words(claim), _folded_words(evidence)
    only_ours = [m for m in ours if not _folded_words(m.group()) <= evidence_words]
    only_theirs = [m for m in theirs if not _folded_words(m.group()) <= claim_words]
    if not only_ours or not only_theirs:
        return None
    rest_ours = _content(claim) - _content(" ".join(m.group() for m in ours))
    rest_theirs = _content(evidence) - _content(" ".join(m.group() for m in theirs))
    if not rest_ours or not rest_ours <= rest_theirs:
        return None
    for a in only_ours:
        for b in only_theirs:
            if _same_frame(_frame(claim, a), _frame(evidence, b)):
                return f"{a.group()} / {b.group()}"
    return None


def _named_beside(claim: str, evidence: str) -> str | None:
    """For a claim that restricts what its subject is or does ("Ekta Kapoor only worked in
    film", see ``exclusive``), a word of it that the evidence joins to another the claim does
    not name ("an Indian TV and film producer"), as "film and TV": the other breaks the
    restriction. The claim's subject is left out: "Kapoor and her mother founded a studio"
    restricts nothing she worked in."""
    if exclusive.reading(claim, evidence) is None:
        return None
    doc = _parse(claim)
    subject = {t.i for s in doc if s.dep_ in ("nsubj", "nsubjpass") for t in s.subtree}
    # Lemmas, not cut words: "prosecutors and lawyers" say nothing of "Director of Public
    # Prosecutions".
    ours = {t.lemma_.lower() for t in doc if t.i not in subject and _names_a_thing(t)}
    named = _content(claim)
    for token in _parse(evidence):
        if not _names_a_thing(token) or token.lemma_.lower() not in ours:
            continue
        for other in token.conjuncts:
            unnamed = not _meets({_cut(other.text)}, named)
            if unnamed and _names_a_thing(other) and not _denied(other):
                return f"{token.text} and {other.text}"
    return None


def _names_a_thing(token) -> bool:
    """A noun, name or adjective: what a restriction is to ("film", "American"), not a verb
    ("served as senator and then retired" joins two events of one career)."""
    return token.pos_ in ("NOUN", "PROPN", "ADJ") and token.is_alpha


def _denied(token) -> bool:
    """Whether a word is denied where it stands ("no sons", "not red")."""
    return any(_NEGATION.match(c.text) for c in token.children if c.dep_ in ("neg", "det"))


def _opposite_verbs(claim: str, evidence: str) -> str | None:
    """A verb of the claim whose opposite the evidence uses instead, for the same subject
    ("Musk praised Starmer" against "Musk criticised Starmer"), as "praise / criticize".

    The evidence must not also use the claim's verb, nor the claim the opposite ("shares rose
    while bonds fell" contradicts neither), and both or neither must be negated ("did not win"
    against "lost" agrees). The subject is the nearest capitalised words before each verb, or
    none in both (``_verb_subjects``): "Chelsea won" and "Arsenal lost" may describe one match."""
    if _negated(claim) != _negated(evidence):
        return None
    ours, theirs = _verb_subjects(claim), _verb_subjects(evidence)
    for verb, other in _unmatched_opposites(ours, theirs):
        if _same_subject(ours[verb], theirs[other]):
            return f"{verb} / {other}"
    return None


def opposite_verb_unmatched(claim: str, evidence: str) -> bool:
    """Whether the evidence uses the opposite of a claim verb and not the verb itself, whatever
    the subjects: "Musk has sharply criticized Starmer" cannot support "Starmer praised Musk's
    claims", though it shares nearly every word with it."""
    return bool(_unmatched_opposites(_verb_subjects(claim), _verb_subjects(evidence)))


def _unmatched_opposites(ours: dict[str, V], theirs: dict[str, V]) -> list[tuple[str, str]]:
    """(claim verb, evidence verb) pairs of opposites where each text uses only its own one."""
    return [
        (verb, other)
        for verb in ours
        if verb not in theirs
        for other in opposites.load().opposite.get(verb, ())
        if other in theirs and other not in ours
    ]


@lru_cache(maxsize=4096)
def _verb_subjects(text: str) -> dict[str, frozenset[str]]:
    """Each verb with opposites that a text uses, with the folded words of the nearest
    capitalised words before its first use, stop words aside (empty when there are none). A
    sentence's first word counts: "Chelsea lost" has a subject, and "Ministers praised" has
    one that another "Ministers criticised" shares. A name in apposition counts with the one it
    describes: "Jess Phillips, the Safeguarding Minister, had dismissed" has both. Cached: the
    conflict check and the support rule of ``stance.decide`` both read it for each pair."""
    names = [m for m in _NAME.finditer(text) if _folded_words(m.group()) - _STOP]
    found: dict[str, frozenset[str]] = {}
    for verb, start in opposites.verbs_in(text):
        before = [m for m in names if m.end() <= start]
        subject = set(_folded_words(before[-1].group()) - _STOP) if before else set()
        if len(before) > 1 and _in_apposition(text, before[-2], before[-1]):
            subject |= _folded_words(before[-2].group()) - _STOP
        found.setdefault(verb, frozenset(subject))
    return found


def _in_apposition(text: str, first: re.Match[str], second: re.Match[str]) -> bool:
    """Whether the second name is set beside the first to describe it, between commas."""
    between = text[first.end() : second.start()]
    return bool(_APPOSITION.fullmatch(between)) and text[second.end() :].startswith(",")


def _same_subject(a: frozenset[str], b: frozenset[str]) -> bool:
    """No name before either verb, or names sharing a word ("Elon Musk" and "Musk")."""
    return bool(a & b) if a or b else True


def _fold(text: str) -> str:
    """Lowercase without accents, for comparing how two texts spell a name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _folded_words(text: str) -> set[str]:
    """The folded words of a text, and the parts of a word with an apostrophe: a name must
    count as mentioned by its possessive ("Frankfurt's") or inside "O'Sullivan"."""
    words = _FRAME_WORD.findall(_fold(text))
    return {part for word in words for part in (word, *_APOSTROPHE.split(word))}


def _frame(text: str, match: re.Match[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two words before a name and the two after it, folded."""
    before = _FRAME_WORD.findall(_fold(text[: match.start()]))[-2:]
    after = _FRAME_WORD.findall(_fold(text[match.end() :]))[:2]
    return tuple(before), tuple(after)


def _same_frame(a: tuple[tuple[str, ...], ...], b: tuple[tuple[str, ...], ...]) -> bool:
    """Two full words on one side are the same."""
    return any(len(x) == 2 and x == y for x, y in zip(a, b, strict=True))


def _names(text: str) -> list[re.Match[str]]:
    """Capitalised words, except a common word that is capitalised only because it opens the
    sentence ("Residents were evacuated")."""
    return [
        m
        for m in _NAME.finditer(text)
        if m.start() > 0 or zipf_frequency(m.group().split()[0].lower(), "en") < _COMMON_ZIPF
    ]
