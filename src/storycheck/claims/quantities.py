"""Numbers in English news text, normalised to a value, a unit and a qualifier.

Sources report the same count in different words ("nine men", "9"; "1.4 million", "1,400,000";
"about 7,200", "more than 7,000"), so each number becomes a :class:`Quantity` and two of them are
compared as intervals by :func:`compare_quantities`. Decisions:

* ``unit`` is "%" for per cent, "percentage point" for points, an ISO code for money ("£",
  "pounds" -> "GBP"; "p"/"pence" is hundredths of a pound), "fraction" for "two-thirds", "half
  of", "one in five" (value between 0 and 1), and otherwise the counted noun, singular by a small
  rule set ("children" -> "child", "men" -> "man", "cases" -> "case") so that "one child" and
  "1,400 children" share a unit. Adjectives before the noun are skipped ("800 historic cases").
  A unit of measure may be written apart or onto the number ("5 km", "5km", "128GB"), and a
  span of time made one word ("a three-month audit") is read as one.
* Vague plurals give their conservative lower bound with qualifier "at_least": "hundreds of" is
  100, "dozens of" 12, "tens of thousands" 10,000, "several hundred" 100.
* "between 5 and 10", "5-10" and "five to ten" are ranges (``high``); "from 5% to 7%" is a
  change, two quantities; "3-1", a falling pair joined by a dash, is a score and no quantity.
* Not quantities: whatever :func:`~storycheck.claims.dates.find_dates` claims (years, "12 May",
  "two years ago"), times, phone numbers, ordinals, numbers glued to letters other than a unit
  of measure, hyphens or slashes ("COVID-19", "G7", "24/7", "12-year-old"), numbers after a
  label ("Section 28", "Article 50", "Boeing 737"), and "one" used as a pronoun ("one of the
  men", "no one").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

from storycheck.claims.dates import date_spans


@dataclass(frozen=True)
class Quantity:
    """A number in the text with what it counts: ``text == source[char_start:char_end]``."""

    char_start: int
    char_end: int
    text: str
    value: float
    unit: str | None
    qualifier: str | None
    high: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "value": self.value,
            "unit": self.unit,
            "text": self.text,
            "qualifier": self.qualifier,
            "high": self.high,
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {w: i for i, w in enumerate(_UNITS)} | {w: 10 * i for i, w in enumerate(_TENS, 2)}
_SCALES = {
    "hundred": 100,
    "thousand": 10**3,
    "million": 10**6,
    "billion": 10**9,
    "trillion": 10**12,
}
_SUFFIXES = {"k": 10**3, "m": 10**6, "mn": 10**6, "bn": 10**9, "tn": 10**12, "trn": 10**12}
_VAGUE = (
    {"tens": 10, "dozen": 12, "dozens": 12, "scores": 20}
    | _SCALES
    | {f"{word}s": value for word, value in _SCALES.items()}
)
_DENOMINATORS = {"half": 2, "halves": 2, "third": 3, "quarter": 4, "fifth": 5, "sixth": 6,
                 "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}  # fmt: skip
_CURRENCIES = {"£": "GBP", "$": "USD", "US$": "USD", "€": "EUR", "¥": "JPY", "A$": "AUD",
               "C$": "CAD", "HK$": "HKD", "NZ$": "NZD", "GBP": "GBP", "USD": "USD",
               "EUR": "EUR"}  # fmt: skip
_CURRENCY_NOUNS = {"pound": "GBP", "sterling": "GBP", "dollar": "USD", "euro": "EUR", "yen": "JPY"}
_CODES = frozenset(_CURRENCIES.values())


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation, longest first so that "eighteen" is not read as "eight"."""
    return "|".join(sorted(words, key=len, reverse=True))


# Units of measure, written apart from the number or onto it ("5 km", "5km", "40GB"). "m" is
# apart (below): after a number it is "million" as often as metres.
_MEASURES = frozenset(
    "km kg mm cm mg ml ft mi ha mph kph kw mw gw kwh mwh gwh twh kb mb gb tb mhz ghz".split()
)
_MEASURE = _alternatives(_MEASURES)
_FIRST = _alternatives(_WORD_VALUES)
_ANY = _alternatives([*_WORD_VALUES, *_SCALES, "dozen"])
_SCALE = _alternatives(_SCALES)
_FEW = "one|two|three|four|five|six|seven|eight|nine|ten"
_BODY = (
    r"(?:(?P<vague>(?:tens|hundreds)\s+of\s+(?:thousands|millions|billions)"
    r"|(?:several|a\s+few|many)(?:\s+(?:dozen|hundred|thousand|million|billion)\b)+"
    r"|dozens|hundreds|thousands|millions|billions|scores(?=\s+of\b))\b"
    rf"|(?P<fraction>(?P<numerator>{_FEW}|a)(?P<joint>[-\s])(?P<denominator>halves|half"
    r"|(?:third|quarter|fifth|sixth|seventh|eighth|ninth|tenth)s?)\b"
    r"|half(?=\s+(?:of|the|its|their|his|her|our|all)\b))"
    rf"|(?P<ratio>(?P<part>{_FEW}|\d{{1,3}})\s+in\s+(?:every\s+)?(?P<whole>{_FEW}|twenty"
    r"|a\s+hundred|\d{1,3})\b)"
    r"|(?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
    rf"(?:(?P<measure>{_MEASURE})|(?P<suffix>bn|mn|tn|trn|m|k|p)|\s*(?P<scale>{_SCALE})\b)?"
    rf"|(?P<words>(?:(?:half\s+an?|an?)\s+(?:{_SCALE}|dozen)|(?:{_FIRST}))\b"
    rf"(?:(?:-|\s+)(?:{_ANY})\b"
    rf"|(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))\s+and\s+(?:{_ANY})\b)*))"
)
# A number ends before a space or punctuation, not inside a word, code, time, slash or compound.
_END = r"(?![\w/]|[.,:]\d|-(?!plus\b|odd\b)[A-Za-z])"
_CORE = re.compile(r"(?<![\w.,/:-])" + _BODY + _END, re.IGNORECASE)
_NUMBER = re.compile(_BODY + _END, re.IGNORECASE)

# A currency sign, also one set apart from the figure as in tokenised text ("$ 170.8 million").
_CURRENCY_BEFORE = re.compile(
    r"(?P<sign>(?<![A-Za-z])(?:US|A|C|HK|NZ)\$|\$|£|€|¥|(?<![A-Za-z])(?:GBP|USD|EUR)(?=\s))\s?$"
)
_QUALIFIERS = {
    "at_least": r"at\s+least|no\s+(?:fewer|less)\s+than|not\s+less\s+than|a\s+minimum\s+of",
    "at_most": r"at\s+most|no\s+more\s+than|not\s+more\s+than|a\s+maximum\s+of",
    "about": r"about|around|approximately|roughly|some|nearly|almost|close\s+to|more\s+or\s+less"
    r"|an\s+estimated|estimated|circa|approx\.",
    # "just over $1bn" is about $1bn, not any sum above it: $10bn contradicts it
    "just_over": r"(?:just|slightly|a\s+little)\s+(?:more\s+than|over|above|in\s+excess\s+of)",
    "just_under": r"(?:just|slightly|a\s+little)\s+(?:less\s+than|fewer\s+than|under|below)",
    "more_than": r"(?:well\s+)?(?:more\s+than|over|above|in\s+excess\s+of|upwards\s+of"
    r"|exceeding)",
    "less_than": r"(?:well\s+)?(?:less\s+than|fewer\s+than|under|below)",
    "up_to": r"up\s+to|as\s+many\s+as|as\s+much\s+as",
    "exactly": r"exactly|precisely",
}
_QUALIFIER_BEFORE = re.compile(
    "(?:"
    + "|".join(rf"(?P<{name}>\b(?:{words}))" for name, words in _QUALIFIERS.items())
    + r")\s+$",
    re.IGNORECASE,
)
_QUALIFIER_AFTER = re.compile(
    r"(?P<at_least>\s+or\s+(?:more|over|above)\b|\s*-?plus\b|\+)"
    r"|(?P<at_most>\s+or\s+(?:fewer|less|under|below)\b)|(?P<about>\s+or\s+so\b|-odd\b)",
    re.IGNORECASE,
)
_LEAD = re.compile(r"\b(?P<word>between|from)\s+$", re.IGNORECASE)
# "three-month", "10-year", "three-decade": a span of time made one word, but not an age.
_SPAN_OF_TIME = re.compile(
    rf"(?<![\w.,/:-])(?P<number>\d+(?:\.\d+)?|(?:{_ANY})(?:-(?:{_ANY}))*)"
    r"-(?P<unit>century|decade|year|month|week|day|hour|minute)\b(?!-)",
    re.IGNORECASE,
)
_JOIN = re.compile(
    r"(?:\s*(?P<dash>[-–—])\s*|\s+(?P<word>to|and)\s+)"
    r"(?P<sign>(?:US|A|C|HK|NZ)\$|\$|£|€|¥)?",
    re.IGNORECASE,
)
_PERCENT = re.compile(
    r"\s*(?:%|per\s?cent\b|percent\b)|\s+(?P<points>percentage\s+points?)\b", re.IGNORECASE
)
_OF = re.compile(r"\s+of\b", re.IGNORECASE)
# Clock times: "5pm", "6 o'clock", "ten past six", "a quarter past six".
_TIME_AFTER = re.compile(
    r"\s*(?:[ap]\.?m\.?(?!\w)|o['’]clock\b|(?:GMT|BST|UTC)\b)|\s+past\s+(?:\d|one|two|three"
    r"|four|five|six|seven|eight|nine|ten|eleven|twelve|midnight|noon)\b",
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(
    r"\b(?:quarter|half|five|ten|twenty|twenty-five|\d{1,2})\s+past\s+$", re.IGNORECASE
)
_ADDRESS_AFTER = re.compile(
    r"(?:\s+[A-Z][a-z]+)+\s+(?:Street|Road|Avenue|Lane|Square|Place|Drive|Close|Terrace"
    r"|Gardens|Crescent)\b"
)
_PHONE = re.compile(
    r"(?:\+\d{1,3}[\s.-]?\(?\d{1,5}\)?|\(0\d{1,5}\)|\b0\d{2,5})(?:[\s.-]?\d{3,4}){2}\b"
    r"|\b\d{3}[.-]\d{3}[.-]\d{4}\b|\(\d{3}\)\s?\d{3}[\s.-]\d{4}\b"
)
_WORD_BEFORE = re.compile(r"\b(?P<word>[A-Za-z]+)\.?\s+$")
_ONE_BEFORE = re.compile(r"\b(?:no|the|any|every|each|which|this|that)\s+$", re.IGNORECASE)
# Before a number word that stands for things already named: "the two", "all three".
_REFERENCE_BEFORE = re.compile(r"\b(?:the|these|those|all)\s+$", re.IGNORECASE)
_RUN = re.compile(
    r"[ \t]+(?:of[ \t]+(?:(?:the|these|those|their|its|his|her|our|all)[ \t]+)?)?"
    r"(?P<words>[A-Za-z][A-Za-z'’-]*(?:[ \t]+[A-Za-z][A-Za-z'’-]*){0,3})"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# Words that end a counted-noun phrase, or that stand before a number without labelling it.
_STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or but nor is are was were be been being has
    have had will would could should may might can must did do does that which who whom whose
    this these those it its their his her our your my we they he she i you them him us not no
    as than then so if when while after before since until about over under into onto per each
    every all some any such also only just still even more most less least very said says say
    told according across around between during including against among through up down out off
    again there here where how what why because like near nearly almost another other others
    ago old aged age approximately roughly exactly precisely estimated above below""".split()
)
# Labels that make the number after them a name: "Section 28", "Article 50", "page 3".
_LABELS = frozenset(
    """section sections article articles clause chapter part paragraph schedule rule regulation
    page pages room flight route platform junction line bus no nos number version level tier
    stage phase grade category step question item figure fig table exhibit act amendment vol
    volume issue episode series ward block unit floor gate terminal lot box pier exit highway
    interstate channel track row seat model type class division league""".split()
)
_ADJECTIVES = frozenset(
    """new more further other additional extra young old small large big historic total
    different separate local major minor former current known recent potential possible likely
    individual full senior junior female male elderly vulnerable same similar foreign
    international national private public main key top real high low few many several first
    last next previous british american european""".split()
)
_ADJECTIVE_ENDINGS = ("ed", "ly", "ous", "ful", "able", "ible")
_IRREGULAR = {
    "children": "child", "people": "person", "feet": "foot", "teeth": "tooth", "mice": "mouse",
    "geese": "goose", "lives": "life", "wives": "wife", "knives": "knife", "leaves": "leaf",
    "thieves": "thief", "wolves": "wolf", "halves": "half", "shelves": "shelf", "crises": "crisis",
    "analyses": "analysis", "theses": "thesis", "pence": "penny",
}  # fmt: skip
_NOT_PLURAL = frozenset(
    """news series species means politics economics physics athletics lens bus gas yes thus plus
    perhaps always whereas besides towards afterwards sometimes unless specimen abdomen regimen
    stamen""".split()
)
# Nouns a count of many takes in the singular.
_INVARIANT = (
    frozenset(
        "staff police sheep fish aircraft personnel crew cattle deer livestock offspring".split()
    )
    | _MEASURES
)
# "one" is a number only before a counted noun that makes no idiom ("one day", "one way").
_ONE_IDIOMS = frozenset("day time way thing point hand side another other more last".split())


class _Reading(NamedTuple):
    """A number as written: ``mantissa * multiplier``, kept apart so a range can share it."""

    mantissa: Decimal
    multiplier: Decimal
    qualifier: str | None
    unit: str | None

    @property
    def value(self) -> Decimal:
        return self.mantissa * self.multiplier


def _words_value(text: str) -> Decimal | None:
    """Number words to a value: "twenty-one", "one hundred and five", "half a million"."""
    tokens = re.split(r"[\s-]+", text.lower())
    share = Decimal(1)
    if tokens[0] == "half":
        share, tokens = Decimal("0.5"), tokens[1:]
    total, group, previous = 0, 0, ""
    if tokens[0] in ("a", "an"):
        group, tokens = 1, tokens[1:]
    for token in tokens:
        if token == "and":
            continue
        if token in _WORD_VALUES:
            value = _WORD_VALUES[token]
            if previous in _WORD_VALUES and (value >= 10 or _WORD_VALUES[previous] < 20):
                return None  # "five six", "twenty thirty": a list, not one number
            group += value
        elif token in ("hundred", "dozen"):
            group = (group or 1) * (100 if token == "hundred" else 12)
        else:
            total, group = total + (group or 1) * _SCALES[token], 0
        previous = token
    return (total + group) * share


def _read(m: re.Match[str]) -> _Reading | None:
    """The value of a matched number, with the qualifier and unit its wording implies."""
    one = Decimal(1)
    if m["vague"]:
        value = math.prod(_VAGUE.get(word, 1) for word in m["vague"].lower().split())
        return _Reading(Decimal(value), one, "at_least", None)
    if m["fraction"]:
        if m["denominator"] is None:  # "half of"
            return _Reading(Decimal("0.5"), one, None, "fraction")
        numerator = 1 if m["numerator"].lower() == "a" else _WORD_VALUES[m["numerator"].lower()]
        denominator = _DENOMINATORS[m["denominator"].lower().removesuffix("s")]
        return _Reading(Decimal(numerator) / Decimal(denominator), one, None, "fraction")
    if m["ratio"]:
        part = _words_value(m["part"]) if m["part"].isalpha() else Decimal(m["part"])
        whole = _words_value(m["whole"]) if not m["whole"].isdigit() else Decimal(m["whole"])
        if not part or not whole or part >= whole:
            return None
        return _Reading(part / whole, one, None, "fraction")
    if m["digits"]:
        mantissa = Decimal(m["digits"].replace(",", ""))
        if m["measure"]:
            return _Reading(mantissa, one, None, m["measure"].lower())
        suffix = (m["suffix"] or "").lower()
        if suffix == "p":
            return _Reading(mantissa, Decimal("0.01"), None, "GBP")
        scale = _SUFFIXES.get(suffix) or _SCALES.get((m["scale"] or "").lower(), 1)
        return _Reading(mantissa, Decimal(scale), None, None)
    value = _words_value(m["words"])
    if value is None:
        return None
    last = m["words"].lower().split()[-1]
    if last in _SCALES and last != "hundred" and value % _SCALES[last] == 0:
        return _Reading(value / _SCALES[last], Decimal(_SCALES[last]), None, None)
    return _Reading(value, one, None, None)


def parse_number(words: str) -> float | None:
    """The value of a number written in digits or words, or None when it is not one.

    "twenty-one" -> 21, "1,400" -> 1400, "3.5bn" -> 3.5e9, "a hundred" -> 100, "two-thirds" ->
    0.667; a vague plural gives its lower bound ("hundreds" -> 100).
    """
    m = _NUMBER.fullmatch(words.strip())
    reading = _read(m) if m else None
    return None if reading is None else float(reading.value)


def _is_plural(word: str) -> bool:
    lower = word.lower()
    if lower in _IRREGULAR or (lower.endswith("men") and lower not in _NOT_PLURAL):
        return True
    if lower in _NOT_PLURAL or not (word[0].islower() or word[:-1].isupper()):
        return False
    return len(word) >= 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is"))


def _singular(word: str) -> str:
    """The singular of a plural noun by a few rules; irregular nouns from a short list."""
    if word[:-1].isupper():  # "MPs"
        return word[:-1]
    lower = word.lower()
    if lower in _IRREGULAR:
        return _IRREGULAR[lower]
    if lower.endswith("men"):
        return lower[:-3] + "man"
    if lower.endswith("ies") and len(lower) > 4:
        return lower[:-3] + "y"
    if lower.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return lower[:-2]
    return lower[:-1]


def _counted_noun(text: str, pos: int, one: bool) -> tuple[str | None, int]:
    """The noun a number counts and where it ends, read from the next few words.

    After "one" it is the first word that is no adjective ("one new case"); after other numbers
    the first plural ("800 historic cases"), else a noun without a plural form ("300 staff",
    "5 km"): any other word is more likely a verb ("thousands protested").
    """
    run = _RUN.match(text, pos)
    if run is None:
        return None, pos
    invariant: tuple[str | None, int] = (None, pos)
    for word in _WORD.finditer(run["words"]):
        token = re.sub(r"['’]s?$", "", word[0])
        lower = token.lower()
        if not token or lower in _STOPWORDS or lower in _WORD_VALUES or lower in _SCALES:
            break
        end = run.start("words") + word.end()
        adjective = lower in _ADJECTIVES or lower.endswith(_ADJECTIVE_ENDINGS)
        if one and not adjective and token.islower():
            return (_singular(token) if _is_plural(token) else lower), end
        if not one and _is_plural(token):
            return _singular(token), end
        if invariant[0] is None and lower in _INVARIANT:
            invariant = (lower, end)
    return invariant


def _overlaps(span: tuple[int, int], blocked: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in blocked)


def _is_label(text: str, start: int) -> bool:
    """A name rather than an amount: "Section 28", "Article 50", "Boeing 737"."""
    before = _WORD_BEFORE.search(text, max(0, start - 24), start)
    if before is None:
        return False
    word = before["word"]
    lower = word.lower()
    if lower in _LABELS:
        return True
    return not word.islower() and lower not in _STOPWORDS and lower not in _WORD_VALUES


def _pronoun(text: str, m: re.Match[str], noun: str | None) -> bool:
    """A number word that stands for something rather than counting it: "one" in "one of the
    men", "no one", "one day"; "the two" and "all three" with no noun after them ("a row
    between the two centred on ..."), which point back at things already named. Counted, the
    two of "the two" would conflict with any figure a sentence on the same topic gives."""
    word = (m["words"] or "").lower()
    if not word:
        return False
    before = max(0, m.start() - 8)
    if word != "one":
        return noun is None and bool(_REFERENCE_BEFORE.search(text, before, m.start()))
    if _ONE_BEFORE.search(text, before, m.start()) or _OF.match(text, m.end()):
        return True
    return noun is None or noun in _ONE_IDIOMS


class _Range(NamedTuple):
    low: Decimal
    high: Decimal
    end: int
    sign: str | None
    measure: str | None  # written after the second number only: "3-5km"


def _range(
    text: str, m: re.Match[str], reading: _Reading, lead: str | None, blocked: list[tuple[int, int]]
) -> _Range | int | None:
    """The range that starts with ``m`` ("5-10", "between 5 and 10", "£1-2m"), or None; or,
    for a score ("won 3-1"), where the next number may start."""
    join = _JOIN.match(text, m.end())
    if join is None or not (m["digits"] or m["words"]):
        return None
    word = (join["word"] or "-").lower()
    if (word == "and" and lead != "between") or (word == "to" and lead == "from"):
        return None  # "5 and 10" is two numbers; "from 5 to 10" is a change
    second = _NUMBER.match(text, join.end())
    if second is None or not (second["digits"] or second["words"]):
        return None
    other = _read(second)
    if other is None or _overlaps(second.span(), blocked):
        return None
    low = reading.value
    if reading.multiplier == 1 and other.multiplier > 1 and reading.mantissa < other.mantissa:
        low = reading.mantissa * other.multiplier  # the multiplier is shared: "5 to 10 million"
    if other.value > low:
        measure = other.unit if other.unit in _MEASURES else None
        return _Range(low, other.value, second.end(), join["sign"], measure)
    if join["dash"] and m["digits"] and second["digits"]:
        return second.end()
    return None


def _quantity(
    text: str, m: re.Match[str], blocked: list[tuple[int, int]]
) -> tuple[Quantity | None, int]:
    """The quantity whose number is ``m``, or None; and where the next one may start."""
    reading = _read(m)
    digits = m["digits"] or ""
    if reading is None or (digits[:1] == "0" and digits[1:2].isdigit()):
        return None, m.end()
    if _TIME_AFTER.match(text, m.end()) or _ADDRESS_AFTER.match(text, m.end()):
        return None, m.end()
    if _TIME_BEFORE.search(text, max(0, m.start() - 20), m.start()):
        return None, m.end()
    spaced = m["fraction"] and m["joint"] == " " and m["denominator"].lower() in _DENOMINATORS
    if spaced and m["denominator"].lower() != "halves" and not _OF.match(text, m.end()):
        return None, m.end()  # "a third time", "a quarter century"; but "a third of"
    start, end, unit, qualifier = m.start(), m.end(), reading.unit, reading.qualifier
    sign = _CURRENCY_BEFORE.search(text, max(0, start - 4), start)
    if sign:
        start, unit = sign.start(), _CURRENCIES[sign["sign"].strip()]
    lead = _LEAD.search(text, max(0, start - 10), start)
    if lead is None:
        before = _QUALIFIER_BEFORE.search(text, max(0, start - 32), start)
        if before and before.lastgroup and qualifier is None:
            start, qualifier = before.start(), before.lastgroup
    value, high = reading.value, None
    span = _range(text, m, reading, lead["word"].lower() if lead else None, blocked)
    if isinstance(span, int):
        return None, span  # a score
    if span is not None:
        value, high, end = span.low, span.high, span.end
        start = lead.start() if lead and lead["word"].lower() == "between" else start
        unit = unit or (_CURRENCIES[span.sign] if span.sign else span.measure)
    percent = _PERCENT.match(text, end)
    if percent and unit is None:
        unit, end = ("percentage point" if percent["points"] else "%"), percent.end()
    after = _QUALIFIER_AFTER.match(text, end)
    if after and after.lastgroup and qualifier is None:
        qualifier, end = after.lastgroup, after.end()
    if (
        digits
        and not m["suffix"]
        and not sign
        and not qualifier
        and not unit
        and _is_label(text, start)
    ):
        return None, end
    noun = None
    if unit is None:
        noun, noun_end = _counted_noun(text, end, value == 1)
        if noun is not None and not _overlaps((end, noun_end), blocked):
            end = noun_end
            if noun == "penny":
                unit, value, high = "GBP", value / 100, None if high is None else high / 100
            else:
                unit = _CURRENCY_NOUNS.get(noun, noun)
    if unit is None and span is None and (m["suffix"] or "").lower() == "m":
        # "m" is "million" with money or a counted noun ("£5m", "1.5m people"), and metres when
        # nothing is counted ("the 200m champion", "the 10,000m final")
        value, unit = reading.mantissa, "m"
    if _pronoun(text, m, noun):
        return None, m.end()
    final_high = None if high is None else float(high)
    return Quantity(start, end, text[start:end], float(value), unit, qualifier, final_high), end


def find_quantities(text: str) -> list[Quantity]:
    """The quantities in ``text``, in order, none overlapping a date of :func:`find_dates`."""
    found: list[Quantity] = []
    blocked: list[tuple[int, int]] | None = None  # dates and phone numbers, found when needed
    resume = 0
    for m in _CORE.finditer(text):
        if blocked is None:
            blocked = date_spans(text) + [p.span() for p in _PHONE.finditer(text)]
        if m.start() < resume or _overlaps(m.span(), blocked):
            continue
        quantity, resume = _quantity(text, m, blocked)
        if quantity is not None:
            found.append(quantity)
    found += _spans_of_time(text, [(q.char_start, q.char_end) for q in found])
    return sorted(found, key=lambda q: q.char_start)


def _spans_of_time(text: str, taken: list[tuple[int, int]]) -> list[Quantity]:
    """Spans of time written as one word before a noun: "a three-month audit", "a 10-year
    sentence" (compared with "jailed for eight years"); not an age ("a 12-year-old")."""
    found = []
    for m in _SPAN_OF_TIME.finditer(text):
        value = parse_number(m["number"])
        if value is None or _overlaps(m.span(), taken):
            continue
        found.append(Quantity(m.start(), m.end(), m.group(), value, m["unit"].lower(), None))
    return found


# --- comparison -------------------------------------------------------------------------------

# "about 1,200" covers 10% either side: 1,080 to 1,320.
ABOUT_TOLERANCE = 0.10
_ROUNDED = re.compile(
    r"(?:\.(?P<decimals>\d+)|\d)(?:(?P<suffix>bn|mn|tn|trn|m|k)|\s*(?P<digit_scale>million"
    r"|billion|trillion))\b|\b[a-z]+\s+(?P<word_scale>million|billion|trillion)\b",
    re.IGNORECASE,
)


class _Interval(NamedTuple):
    low: float
    high: float
    low_open: bool
    high_open: bool

    def contains(self, point: float) -> bool:
        above = self.low < point or (self.low == point and not self.low_open)
        return above and (point < self.high or (point == self.high and not self.high_open))

    def within(self, other: _Interval) -> bool:
        """Whether every value this interval allows, ``other`` allows too."""
        low = other.low < self.low or (
            other.low == self.low and (self.low_open or not other.low_open)
        )
        high = self.high < other.high or (
            self.high == other.high and (self.high_open or not other.high_open)
        )
        return low and high


def _rounding(q: Quantity) -> float:
    """Half the last written digit of a number given with a multiplier: "1.4 million" is
    rounded to the nearest 100,000, so it covers 1.35 to 1.45 million."""
    m = _ROUNDED.search(q.text)
    if m is None or q.qualifier == "exactly" or q.unit == "m":  # metres are no multiplier
        return 0.0
    if m["suffix"]:
        scale = _SUFFIXES[m["suffix"].lower()]
    else:
        scale = _SCALES[(m["digit_scale"] or m["word_scale"]).lower()]
    return scale * 10.0 ** -len(m["decimals"] or "") / 2


# Spans of time, in days: "more than forty years" and "40 days" are compared as durations.
_DAYS = {"century": 36525.0, "decade": 3652.5, "year": 365.25, "month": 365.25 / 12,
         "week": 7.0, "day": 1.0, "hour": 1 / 24, "minute": 1 / 1440}  # fmt: skip
# How loosely a month or a year is meant when set against another unit: "a month" is 28 to 31
# days and may mean 30, "a year" may mean 52 weeks.
_CALENDAR = {"month": 0.05, "year": 0.005}


def _scale(unit: str | None) -> float:
    """What a quantity's value is multiplied by to compare it: shares in percent, spans of
    time in days."""
    return 100.0 if unit == "fraction" else _DAYS.get(unit or "", 1.0)


# Qualifiers of a figure near its bound, on one side of it ("just over $1bn").
_NEAR = ("just_over", "just_under")
# How far apart two bounds the same way may lie and still describe one figure: "more than 800"
# is written of 800 to 1,600 at most, so "more than 1,700" says another thing.
BOUND_SPREAD = 2.0
# The bounds read so: a vague plural's is "at_least" and is left out.
_ABOVE = ("more_than",)
_BELOW = ("less_than", "at_most", "up_to")


def _interval(q: Quantity, other_unit: str | None) -> _Interval:
    """The values a quantity allows, in percent for fractions and days for spans of time (a
    month or a year a little wider when compared with ``other_unit``, another span)."""
    factor = _scale(q.unit)
    value = q.value * factor
    top = value if q.high is None else q.high * factor
    slack = _rounding(q) * factor
    if other_unit != q.unit:
        slack += top * _CALENDAR.get(q.unit or "", 0.0)
    low, high = value - slack, top + slack
    if q.qualifier == "about":
        low, high = low - value * ABOUT_TOLERANCE, high + top * ABOUT_TOLERANCE
    elif q.qualifier == "just_over":
        return _Interval(low, high + top * ABOUT_TOLERANCE, not slack, False)
    elif q.qualifier == "just_under":
        return _Interval(low - value * ABOUT_TOLERANCE, high, False, not slack)
    elif q.qualifier in ("at_least", "more_than"):
        return _Interval(low, math.inf, q.qualifier == "more_than" and not slack, False)
    elif q.qualifier in ("at_most", "up_to", "less_than"):
        return _Interval(-math.inf, high, False, q.qualifier == "less_than" and not slack)
    return _Interval(low, high, False, False)


def _comparable(a: str | None, b: str | None) -> bool:
    """Same unit or two spans of time, or a count without a noun against a count with one
    ("9", "nine men"); never a bare number against money, a share, a measure or a span of time
    (an age of 30 is no distance, and 67 is not "more than forty years")."""
    a, b = ("%" if a == "fraction" else a), ("%" if b == "fraction" else b)
    if a == b or (a in _DAYS and b in _DAYS):
        return True
    special = _CODES | _MEASURES | _DAYS.keys() | {"%", "percentage point", "m"}
    return (a is None and b not in special) or (b is None and a not in special)


def compare_quantities(a: Quantity, b: Quantity) -> Literal["agree", "conflict", "unrelated"]:
    """Whether two sources' quantities can both be true.

    "unrelated" when they measure different things (units differ: "cases" and "children", "%"
    and "GBP"); otherwise "agree" when the values they allow overlap (qualifiers, ranges, the
    rounding of "1.4 million" and the 10% of "about" widen a value into an interval), else
    "conflict".
    """
    if not _comparable(a.unit, b.unit):
        return "unrelated"
    x, y = _interval(a, b.unit), _interval(b, a.unit)
    low, high = max(x.low, y.low), min(x.high, y.high)
    if low < high or (low == high and x.contains(low) and y.contains(low)):
        return "agree"
    return "conflict"


def bears_on(
    claim: Quantity, evidence: Quantity
) -> Literal["agree", "compatible", "conflict", "unrelated"]:
    """What a source's quantity says of a claim's: "conflict" and "unrelated" as in
    :func:`compare_quantities`; "agree" only when the evidence states a figure the claim allows,
    "compatible" when both can be true but the evidence does not state the claim's figure. Both
    can be true of "more than 80%" and "more than 95%", but the first does not back the second.
    A bound in the evidence backs only a claim bounded the same way and no further ("more than
    95%" backs "more than 80%"); the figure of "about 1,180", "1.4 million" or "5 to 10" must
    itself lie within what the claim allows.

    Two bounds the same way ("more than", "over"; "under", "up to", "at most") are read as a
    reporter writes them, for a figure not far past the bound, or a most that is reached: "more
    than $187bn" conflicts with "more than $60bn" and "a range of up to 37 metres" with "up to
    10 metres", the larger bound being more than ``BOUND_SPREAD`` times the smaller. A vague
    plural's bound ("thousands") says nothing of how far past it the figure lies, and is read
    literally, as is "at least"."""
    found = compare_quantities(claim, evidence)
    if found != "agree":
        return found
    allowed, given = _interval(claim, evidence.unit), _interval(evidence, claim.unit)
    if _far_apart(claim.qualifier, evidence.qualifier, allowed, given):
        return "conflict"
    if math.isinf(given.low) or math.isinf(given.high) or evidence.qualifier in _NEAR:
        inside = given.within(allowed)
    else:
        factor = _scale(evidence.unit)
        stated = [evidence.value, evidence.value if evidence.high is None else evidence.high]
        inside = all(allowed.contains(v * factor) for v in stated)
    return "agree" if inside else "compatible"


def _far_apart(ours: str | None, theirs: str | None, a: _Interval, b: _Interval) -> bool:
    """Whether two bounds the same way lie more than ``BOUND_SPREAD`` times apart."""
    if ours in _ABOVE and theirs in _ABOVE and a.low > 0 and b.low > 0:
        return max(a.low, b.low) > BOUND_SPREAD * min(a.low, b.low)
    if ours in _BELOW and theirs in _BELOW and a.high > 0 and b.high > 0:
        return max(a.high, b.high) > BOUND_SPREAD * min(a.high, b.high)
    return False
