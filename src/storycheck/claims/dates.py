"""Dates and periods in English news text, each normalised to an inclusive range of days.

Every expression becomes a :class:`DateExpr` whose ``start`` and ``end`` are the first and last
day it covers, so two sources can be compared by overlap whatever their wording: "in 2010" lies
inside "between 2008 and 2013", "May 2012" inside "2012".

The grammar is a set of named regular expressions of our own, because the precision of a date is
decided by its shape and general parsers decide it wrongly for news: dateparser reads a bare
"2012" as today's month and day in 2012. The conventions, each one tested:

* A bare year is the whole year. "2016-2017" and "2016-17" are calendar years; "2016/17" is the
  UK financial year, 1 April 2016 to 31 March 2017, the usual sense of the slash in UK reporting.
* Relative expressions ("yesterday", "last year", "on Tuesday", "12 May" with no year) are
  resolved against ``anchor``, the publication date. Without an anchor they are still returned,
  with ``start`` and ``end`` None and ``relative`` True, so their numbers never become quantities
  and the spans found do not depend on the anchor.
* A weekday alone ("on Tuesday") is the latest such day on or before the anchor, since news
  reports what happened; "last Tuesday" is strictly before it, "next Tuesday" strictly after.
  A day or month without a year takes the year that puts it nearest the anchor.
* "early", "mid" and "late" narrow a period to its first 40%, its middle 40% (30-70%) or its last
  40%; they overlap because writers are loose: "mid-2010s" is 2013-2016, "early January" 1-12
  January. "the start of" reads as early, "the middle of" as mid, "the end of" as late.
* Seasons are meteorological and northern: spring is March-May, summer June-August, autumn
  September-November, and winter 2019 is December 2019 to February 2020.
* "the 19th century" is 1800-1899 and "the 80s" the 1980s ("the 00s", "the 10s": 2000s, 2010s).
* Weeks ("last week", "two weeks ago") run Monday to Sunday and have precision "day", the
  finest precision there is; quarters and halves of a year have precision "month".
* "since X" and "after X" are open at the end, closed at the anchor when there is one (so they
  count as relative); "before X" and "until X" are open at the start, but "not until X" ("It
  wasn't until 2010 that ...") is X itself.
* Spans leave out plain prepositions ("in", "on", "during") and keep the words that change the
  period ("since", "before", "between ... and", "from ... to", "last", "early").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal, NamedTuple

# Finest first: a range of two expressions takes the coarser precision of the two.
PRECISIONS = ("day", "month", "season", "year", "decade", "century")


@dataclass(frozen=True)
class DateExpr:
    """A date or period in the text: its span and the days it covers (ISO, inclusive)."""

    char_start: int
    char_end: int
    text: str
    start: str | None
    end: str | None
    precision: str
    relative: bool

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "precision": self.precision,
            "relative": self.relative,
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


class _Period(NamedTuple):
    start: date | None
    end: date | None
    precision: str
    relative: bool


_MONTH_ABBREVIATIONS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_WEEKDAY_NAMES = "monday tuesday wednesday thursday friday saturday sunday".split()
_SEASON_MONTHS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_COUNTS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_ORDINALS = {word: n for n, word in enumerate(_ORDINAL_WORDS, start=1)}
_DECADE_WORDS = "twenties thirties forties fifties sixties seventies eighties nineties".split()

# Named pieces of the grammar, written into the patterns below as {NAME}.
_FRAGMENTS = {
    "MONTH_FULL": "(?:January|February|March|April|May|June|July|August|September|October"
    "|November|December)",
    "MONTH_ABBR": r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?",
    "DAY": r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?",
    "YEAR": r"(?:1\d{3}|20\d{2})",
    "WEEKDAY": "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)",
    "PART": r"(?i:early|mid|late|(?:the\s+)?(?:start|beginning|end|middle)\s+of(?:\s+the)?)",
    "COUNT": "(?:" + "|".join(sorted(_COUNTS, key=len, reverse=True)) + r"|\d{1,3})",
    "ORDINAL": r"(?:twenty[-\s](?:first|second)|" + "|".join(_ORDINALS) + ")",
}
_FRAGMENTS["MONTH"] = "(?:{MONTH_FULL}\\b|{MONTH_ABBR})".format(**_FRAGMENTS)


def _pattern(template: str) -> re.Pattern[str]:
    for name, fragment in _FRAGMENTS.items():
        template = template.replace("{" + name + "}", fragment)
    return re.compile(template)


# --- calendar arithmetic ---------------------------------------------------------------------


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(any_day: date) -> date:
    return _add_months(any_day, 1) - timedelta(days=1)


def _shift(day: date, months: int) -> date:
    """The same day of the month ``months`` later, clamped to that month's last day."""
    first = _add_months(day, months)
    return first.replace(day=min(day.day, _month_end(first).day))


def _month(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, _month_end(first)


def _years(first: int, last: int) -> tuple[date, date]:
    return date(first, 1, 1), date(last, 12, 31)


def _week(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def _season(year: int, season: str) -> tuple[date, date]:
    first = date(year, _SEASON_MONTHS[season], 1)
    return first, _month_end(_add_months(first, 2))


# Tenths of a period that early, mid and late keep.
_PART_TENTHS = {"early": (0, 4), "mid": (3, 7), "late": (6, 10)}


def _part_name(raw: str | None) -> str | None:
    if raw is None:
        return None
    words = raw.lower()
    if "mid" in words:  # "mid", "middle"
        return "mid"
    return "late" if "late" in words or "end" in words else "early"


def _narrow(span: tuple[date, date], precision: str, part: str | None) -> tuple[date, date]:
    """Keep the early, mid or late part of a period, counted in days, months or years."""
    if part is None:
        return span
    lo, hi = _PART_TENTHS[part]
    start, end = span
    if precision == "month":
        n = (end - start).days + 1
        return start + timedelta(days=n * lo // 10), start + timedelta(days=n * hi // 10 - 1)
    if precision in ("year", "season"):
        n = (end.year - start.year) * 12 + end.month - start.month + 1
        return _add_months(start, n * lo // 10), _month_end(_add_months(start, n * hi // 10 - 1))
    n = end.year - start.year + 1
    return date(start.year + n * lo // 10, 1, 1), date(start.year + n * hi // 10 - 1, 12, 31)


def _nearest_year(anchor: date, month: int, day: int) -> int:
    """The year that puts this month and day nearest the anchor (news looks both ways)."""
    years = (anchor.year - 1, anchor.year, anchor.year + 1)
    return min(years, key=lambda y: abs((date(y, month, min(day, 28)) - anchor).days))


# --- resolvers: one per kind of expression ----------------------------------------------------
# Each takes the match, the anchor and a year lent by the other end of a range ("12 to 14 May
# 2012"), and returns the period, or None when the match is not a date after all.

_Resolver = Callable[[re.Match[str], date | None, int | None], _Period | None]


def _month_number(name: str) -> int:
    return _MONTH_ABBREVIATIONS.index(name[:3].lower()) + 1


def _day_number(text: str) -> int:
    return int(text.rstrip("stndrh"))


def _yearless(
    month: int, days: tuple[int, int], anchor: date | None, year: int | None, precision: str
) -> _Period | None:
    """A day, days or month written without a year: lent one, or the one nearest the anchor."""
    if _day(2000, month, days[1]) is None or days[0] > days[1]:  # 2000: 29 February exists
        return None
    relative = year is None
    if year is None and anchor is not None:
        year = _nearest_year(anchor, month, days[0])
    first = None if year is None else _day(year, month, days[0])
    last = None if year is None else _day(year, month, days[1])
    if first is None or last is None:  # no year, or 29 February in a common year
        return _Period(None, None, precision, True)
    return _Period(first, last, precision, relative)


def _dated(
    month: int, days: tuple[int, int], year_text: str | None, anchor: date | None, lent: int | None
) -> _Period | None:
    if year_text is None:
        return _yearless(month, days, anchor, lent, "day")
    first, last = _day(int(year_text), month, days[0]), _day(int(year_text), month, days[1])
    ok = first is not None and last is not None and first <= last
    return _Period(first, last, "day", False) if ok else None


def _iso(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    found = _day(int(m["y"]), int(m["m"]), int(m["d"]))
    return None if found is None else _Period(found, found, "day", False)


def _numeric(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    """12/05/2012 is day first (UK), unless only month first makes sense (05/25/2012)."""
    a, b = int(m["a"]), int(m["b"])
    day, month = (b, a) if a <= 12 < b else (a, b)
    found = _day(int(m["y"]), month, day)
    return None if found is None else _Period(found, found, "day", False)


def _one_day(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    day = _day_number(m["d"])
    return _dated(_month_number(m["m"]), (day, day), m["y"], anchor, lent)


def _day_range(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    days = (_day_number(m["d1"]), _day_number(m["d2"]))
    return _dated(_month_number(m["m"]), days, m["y"], anchor, lent) if days[0] < days[1] else None


def _month_year(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    span = _narrow(_month(int(m["y"]), _month_number(m["m"])), "month", _part_name(m["part"]))
    return _Period(*span, "month", False)


def _bare_month(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    month, part, rel = _month_number(m["m"]), _part_name(m["part"]), (m["rel"] or "").lower()
    if not rel:
        found = _yearless(month, (15, 15), anchor, lent, "month")
        if found is None or found.start is None:
            return found
        start, end = _narrow(_month(found.start.year, month), "month", part)
        return _Period(start, end, "month", found.relative)
    if anchor is None:
        return _Period(None, None, "month", True)
    year = anchor.year
    if rel == "last":
        year -= month >= anchor.month
    elif rel == "next":
        year += month <= anchor.month
    return _Period(*_month(year, month), "month", True)


def _season_of(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    season, rel = m["s"].lower(), (m["rel"] or "").lower()
    if m["y"]:
        span = _narrow(_season(int(m["y"]), season), "season", _part_name(m["part"]))
        return _Period(*span, "season", False)
    if not rel:
        return None  # "in the summer" alone names no year and no clear one
    if anchor is None:
        return _Period(None, None, "season", True)
    candidates = [_season(anchor.year + k, season) for k in (-2, -1, 0, 1)]
    if rel == "last":
        span = [c for c in candidates if c[1] < anchor][-1]
    elif rel == "next":
        span = next(c for c in candidates if c[0] > anchor)
    else:  # this: the one under way or the coming one this year
        span = next(c for c in candidates if c[1] >= anchor)
    return _Period(*span, "season", True)


def _quarter(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    year = int(m["y"])
    if m["q"] or m["h"]:
        kind, index = ("quarter", int(m["q"][1])) if m["q"] else ("half", int(m["h"][1]))
    else:
        kind, word = m["qh"].lower(), m["ord"].lower()
        index = {"final": 4, "last": 4}.get(word) or _ORDINALS[word]
        if kind == "half":
            index = 2 if word in ("final", "last") else index
    months = 3 if kind == "quarter" else 6
    if index * months > 12:
        return None
    first = date(year, (index - 1) * months + 1, 1)
    return _Period(first, _month_end(_add_months(first, months - 1)), "month", False)


# A four-digit number is a count, not a year, after a currency sign or a word of amount, before
# "%" or a counted noun, unless a preposition of time makes it a year ("in 2000 people...").
_COUNT_BEFORE = re.compile(
    r"(?:[£$€¥]|\b(?:more|less|fewer)\s+than|\bat\s+(?:least|most)|\b(?:about|around|nearly"
    r"|almost|approximately|roughly|some|over|under|up\s+to|estimated|exactly|only))\s*$",
    re.IGNORECASE,
)
_YEAR_BEFORE = re.compile(
    r"(?:\b(?:in|since|from|until|till|by|during|of|before|after|between|and|through|circa|c\."
    r"|year|the|early|mid|late)|['’]s)[\s-]*$",
    re.IGNORECASE,
)
_COUNT_AFTER = re.compile(
    r"\s*(?:%|per\s?cent\b|percent\b)|\s+(?:people|men|women|children|persons|households|homes"
    r"|jobs|staff|workers|pupils|students|patients|deaths|cases|troops|votes|tonnes|miles"
    r"|metres|years|days|hours|pounds|dollars|euros)\b",
    re.IGNORECASE,
)


def _reads_as_year(m: re.Match[str]) -> bool:
    before = m.string[max(0, m.start() - 24) : m.start()]
    if _COUNT_BEFORE.search(before):
        return False
    if _YEAR_BEFORE.search(before):
        return True
    return int(m["y"]) >= 1800 and not _COUNT_AFTER.match(m.string, m.end())


def _year(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    part = _part_name(m["part"])
    if part is None and not _reads_as_year(m):
        return None
    year = int(m["y"])
    return _Period(*_narrow(_years(year, year), "year", part), "year", False)


_SPACED_DASH = re.compile(r"\s[-–]\s")


def _year_range(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    first, tail = int(m["y1"]), m["y2"]
    if len(tail) == 2 and _SPACED_DASH.search(m.group()):
        return None  # "November 2010 - 11 men convicted": a timeline, see _YEAR_END
    last = int(tail) if len(tail) == 4 else first // 100 * 100 + int(tail)
    if len(tail) == 2 and last <= first:
        if (first % 100, tail) != (99, "00"):
            return None  # "2012-05" is no range of years
        last += 100  # 1999-00
    if m["sep"] == "/":
        # UK financial year: 1 April to 31 March.
        if last != first + 1:
            return None
        return _Period(date(first, 4, 1), date(last, 3, 31), "year", False)
    return _Period(*_years(first, last), "year", False) if first < last <= first + 100 else None


def _decade(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    if m["y4"]:
        first = int(m["y4"])
    elif not (m["the"] or m["the2"]):
        return None  # "in their 20s" is an age
    elif m["y2"]:
        tens = int(m["y2"])
        first = (2000 if tens < 20 else 1900) + tens
    else:
        first = 1920 + 10 * _DECADE_WORDS.index(m["w"].lower())
    span = _narrow(_years(first, first + 9), "decade", _part_name(m["part"]))
    return _Period(*span, "decade", False)


def _century(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    if m["n"]:
        number = int(m["n"])
    else:
        words = m["nw"].lower().replace("-", " ").split()
        number = _ORDINALS[words[-1]] + (20 if len(words) == 2 else 0)
    if not 1 <= number <= 21:
        return None
    first = (number - 1) * 100
    span = _narrow(_years(max(first, 1), first + 99), "century", _part_name(m["part"]))
    return _Period(*span, "century", False)


def _relative_day(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    if anchor is None:
        return _Period(None, None, "day", True)
    words = m[0].lower()
    offset = -1 if words.startswith(("yesterday", "last")) else int(words == "tomorrow")
    day = anchor + timedelta(days=offset)
    return _Period(day, day, "day", True)


def _unit_precision(unit: str) -> str:
    return {"week": "day", "centur": "century"}.get(unit, unit)


def _calendar_unit(anchor: date, unit: str, step: int) -> tuple[date, date] | None:
    """The calendar year, month, week, decade or century ``step`` units from the anchor's."""
    if unit == "year":
        return _years(anchor.year + step, anchor.year + step)
    if unit == "month":
        first = _add_months(anchor, step)
        return first, _month_end(first)
    if unit == "week":
        return _week(anchor + timedelta(weeks=step))
    if unit in ("decade", "centur"):
        size = 10 if unit == "decade" else 100
        first = (anchor.year // size + step) * size
        return _years(first, first + size - 1)
    return None


def _months_in(unit: str) -> int:
    return {"year": 12, "month": 1, "decade": 120, "centur": 1200}.get(unit, 0)


def _relative_unit(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    """'last year' is the calendar year; 'the past year', 'the last five years' roll back."""
    unit, rel = m["u"].lower(), m["rel"].lower().split()[-1]
    rolling = bool(m["the"] or m["n"]) or rel in ("past", "previous", "coming")
    if not rolling and unit == "day":
        return None
    if anchor is None:
        return _Period(None, None, _unit_precision(unit), True)
    if not rolling:
        step = {"last": -1, "this": 0, "next": 1}[rel]
        span = _calendar_unit(anchor, unit, step)
        return None if span is None else _Period(*span, _unit_precision(unit), True)
    count = _COUNTS.get((m["n"] or "one").lower()) or int(m["n"])
    sign = 1 if rel in ("next", "coming") else -1
    if unit in ("week", "day"):
        other = anchor + timedelta(days=sign * count * (7 if unit == "week" else 1))
    else:
        other = _shift(anchor, sign * count * _months_in(unit))
    start, end = sorted((anchor, other))
    return _Period(start, end, _unit_precision(unit), True)


def _ago(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    unit = m["u"].lower()
    precision = "year" if unit == "decade" else _unit_precision(unit)
    if anchor is None:
        return _Period(None, None, precision, True)
    count = _COUNTS.get(m["n"].lower()) or int(m["n"])
    if unit == "day":
        day = anchor - timedelta(days=count)
        return _Period(day, day, "day", True)
    if unit == "week":
        return _Period(*_week(anchor - timedelta(weeks=count)), "day", True)
    if unit == "month":
        first = _add_months(anchor, -count)
        return _Period(first, _month_end(first), "month", True)
    year = anchor.year - count * (10 if unit == "decade" else 1)
    return _Period(*_years(year, year), "year", True)


def _weekday(m: re.Match[str], anchor: date | None, lent: int | None) -> _Period | None:
    if anchor is None:
        return _Period(None, None, "day", True)
    target, rel = _WEEKDAY_NAMES.index(m["wd"].lower()), (m["rel"] or "").lower()
    back = (anchor.weekday() - target) % 7
    if rel == "last":
        back = back or 7
    elif rel == "next":
        back = -((target - anchor.weekday()) % 7 or 7)
    day = anchor - timedelta(days=back)
    return _Period(day, day, "day", True)


# --- the grammar ------------------------------------------------------------------------------


# Cheap tests run once per text; a kind of expression is only looked for when all of its gates
# pass, which keeps the scan fast (most news sentences hold no date). Gates in lower case are
# tested on the lower-cased text, the others on the text.
_GATES = {
    "digit": re.compile(r"\d"),
    "year": re.compile(r"\d{4}"),
    "month": re.compile("Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"),
    "weekday": re.compile("(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"),
    "season": re.compile("spring|summer|autumn|winter|fall"),
    "relative": re.compile("yesterday|today|tomorrow|tonight|last|this|next|past|previous|coming"),
    "ago": re.compile(r"\bago\b"),
    "decade": re.compile(r"0['’]?s\b|ties\b"),
    "century": re.compile("centur"),
    "quarter": re.compile(r"quarter|half|\b[qh][1-4]\b"),
}
_CASED_GATES = frozenset({"month", "weekday"})


@dataclass(frozen=True)
class _Kind:
    name: str
    gates: tuple[str, ...]
    pattern: re.Pattern[str]
    resolve: _Resolver
    lends_year: bool = False  # may take its year from the other end of a range


# What may not follow a year: a longer word or number, or the dash of a range ("2012-13",
# "2008 – 2013"). A dash spaced on both sides before a small number is a timeline's
# ("November 2010 - 11 men convicted"), not a range.
_YEAR_END = r"(?![\w%/]|[.,:]\d|[-–]\s?\d|\s[-–]\d|\s+[-–]\s+{YEAR}(?!\d))"
_KINDS = (
    _Kind(
        "iso",
        ("year",),
        _pattern(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d-])"),
        _iso,
    ),
    _Kind(
        "numeric",
        ("year",),
        _pattern(r"(?<![\d/.])(?P<a>\d{1,2})([/.])(?P<b>\d{1,2})\2(?P<y>\d{4})(?![\d/]|\.\d)"),
        _numeric,
    ),
    _Kind(
        "day_month",
        ("month", "digit"),
        _pattern(
            r"(?:(?P<wd>{WEEKDAY}),?\s+)?(?:(?i:the)\s+)?(?<![\d,.])(?P<d>{DAY})(?:\s+of)?\s+"
            r"(?P<m>{MONTH})(?:\s?,?\s+(?P<y>{YEAR})(?!\d))?"
        ),
        _one_day,
        lends_year=True,
    ),
    _Kind(
        "month_day",
        ("month", "digit"),
        _pattern(
            r"(?:(?P<wd>{WEEKDAY}),?\s+)?(?P<m>{MONTH})\s+(?P<d>{DAY})(?![\d:]|,\d)"
            r"(?:\s?,?\s+(?P<y>{YEAR})(?!\d))?"
        ),
        _one_day,
        lends_year=True,
    ),
    _Kind(
        "days_month",
        ("month", "digit"),
        _pattern(
            r"(?:(?P<btw>(?i:between))\s+)?(?<![\d,.])(?P<d1>{DAY})"
            r"(?(btw)\s+and\s+|\s*(?:-|–|to)\s*)(?P<d2>{DAY})\s+(?P<m>{MONTH})"
            r"(?:\s?,?\s+(?P<y>{YEAR})(?!\d))?"
        ),
        _day_range,
        lends_year=True,
    ),
    _Kind(
        "month_days",
        ("month", "digit"),
        _pattern(
            r"(?:(?P<btw>(?i:between))\s+)?(?P<m>{MONTH})\s+(?P<d1>{DAY})"
            r"(?(btw)\s+and\s+|\s*[-–]\s*)(?P<d2>{DAY})(?!\d)"
            r"(?:\s?,?\s+(?P<y>{YEAR})(?!\d))?"
        ),
        _day_range,
        lends_year=True,
    ),
    _Kind(
        "month_year",
        ("month", "year"),
        _pattern(
            r"(?:(?P<part>{PART})[-\s]+)?(?P<m>{MONTH})(?:\s+of)?,?\s+(?P<y>{YEAR})" + _YEAR_END
        ),
        _month_year,
    ),
    _Kind(
        "month",
        ("month",),
        _pattern(
            r"(?:\b(?P<ctx>(?i:in|during|since|until|till|by|before|after|between|from|and|to))"
            r"\s+)?(?P<body>(?:(?P<rel>(?i:last|next|this))\s+|(?P<part>{PART})[-\s]+)?"
            r"(?P<m>{MONTH_FULL})\b(?!['’]s))"
        ),
        _bare_month,
        lends_year=True,
    ),
    _Kind(
        "season",
        ("season",),
        _pattern(
            r"\b(?:(?P<rel>(?i:last|this|next))\s+|(?:(?i:the)\s+)?(?:(?P<part>{PART})[-\s]+)?)"
            r"(?P<s>(?i:spring|summer|autumn|winter|fall))\b(?:\s+(?i:of))?"
            r"(?:\s?,?\s+(?P<y>{YEAR})(?!\d))?"
        ),
        _season_of,
    ),
    _Kind(
        "quarter",
        ("quarter", "year"),
        _pattern(
            r"\b(?:(?i:the)\s+)?(?:(?P<q>Q[1-4])|(?P<h>H[12])|(?P<ord>(?i:first|second|third"
            r"|fourth|final|last))\s+(?P<qh>(?i:quarter|half)))(?:\s+(?i:of))?,?\s+(?P<y>{YEAR})"
            r"(?!\d)"
        ),
        _quarter,
    ),
    _Kind(
        "year",
        ("year",),
        _pattern(
            r"(?<![\w£$€.,/:])(?<!\d[-–])(?:(?P<part>{PART})[-\s]+)?(?P<y>{YEAR})" + _YEAR_END
        ),
        _year,
    ),
    _Kind(
        "year_range",
        ("year",),
        _pattern(
            r"(?<![\w£$€.,/:])(?P<y1>{YEAR})\s*(?P<sep>[-–/])\s*(?P<y2>\d{4}|\d{2})"
            r"(?![\w%/]|[.,:]\d)"
        ),
        _year_range,
    ),
    _Kind(
        "decade",
        ("decade",),
        _pattern(
            r"(?<!\w)(?:(?P<the>(?i:the))\s+)?(?:(?P<part>{PART})[-\s]+)?(?:(?P<the2>(?i:the))\s+)?"
            r"(?:(?P<y4>1\d\d0|20\d0)['’]?s|['’]?(?P<y2>\d0)['’]?s|(?P<w>(?i:"
            + "|".join(_DECADE_WORDS)
            + r")))\b"
        ),
        _decade,
    ),
    _Kind(
        "century",
        ("century",),
        _pattern(
            r"(?<!\w)(?:(?i:the)\s+)?(?:(?P<part>{PART})[-\s]+)?(?:(?P<n>\d{1,2})(?:st|nd|rd|th)"
            r"|(?P<nw>(?i:{ORDINAL})))[-\s]+(?i:century)\b"
        ),
        _century,
    ),
    _Kind(
        "relative_day",
        ("relative",),
        _pattern(
            r"(?i:\b(?:yesterday|today|tomorrow|tonight|last\s+night"
            r"|this\s+(?:morning|afternoon|evening))\b)"
        ),
        _relative_day,
    ),
    _Kind(
        "relative_unit",
        ("relative",),
        _pattern(
            r"(?i:\b(?P<rel>last|this|next|(?P<the>the)\s+(?:past|last|previous|coming|next)"
            r"|past|previous|coming)\s+(?:(?P<n>{COUNT})\s+)?(?P<u>year|month|week|day|decade"
            r"|centur)(?:s|y|ies)?\b)"
        ),
        _relative_unit,
    ),
    _Kind(
        "ago",
        ("ago",),
        _pattern(r"(?i:\b(?P<n>{COUNT})\s+(?P<u>year|month|week|day|decade)s?\s+ago\b)"),
        _ago,
    ),
    _Kind(
        "weekday",
        ("weekday",),
        _pattern(r"(?:\b(?P<rel>(?i:last|next|this))\s+)?\b(?P<wd>{WEEKDAY})\b"),
        _weekday,
    ),
)

_JOIN = re.compile(r"\s*(?P<join>-|–|—|to|until|till|through|and)\s*", re.IGNORECASE)
# "not until 2010" is 2010 itself ("It wasn't until 2010 that the first convictions were
# recorded"), not a time before it: there "until" is no operator.
_OPERATOR = re.compile(
    r"\b(?P<op>since|before|after|(?<!not )(?<!n't )(?<!n’t )(?:until|till)|between|from)\s+$",
    re.IGNORECASE,
)
# "May" is also a surname and a verb: it needs "in" or "during", or a word of its own
# ("last May", "early May"), or the other end of a range.
_STRONG_CONTEXT = frozenset("in during since until till by before after".split())


@dataclass(frozen=True)
class _Atom:
    start: int
    end: int
    kind: _Kind
    match: re.Match[str]
    needs_partner: bool


@dataclass(frozen=True)
class _Found:
    """One expression: an atom, or two joined into a range, with the operator before it."""

    start: int
    end: int
    first: _Atom
    last: _Atom | None
    operator: str | None


def _needs_partner(kind: _Kind, m: re.Match[str]) -> bool:
    if kind.name != "month" or m["rel"] or m["part"]:
        return False
    context = (m["ctx"] or "").lower()
    return context not in (("in", "during") if m["m"] == "May" else _STRONG_CONTEXT)


def _atoms(text: str) -> list[_Atom]:
    """Every grammatical date in the text; where two overlap, the longer wins."""
    lower = text.lower()
    passed = {
        name
        for name, gate in _GATES.items()
        if gate.search(text if name in _CASED_GATES else lower)
    }
    candidates = []
    for kind in _KINDS:
        if not passed.issuperset(kind.gates):
            continue
        for m in kind.pattern.finditer(text):
            if kind.resolve(m, None, None) is None:
                continue
            start, end = m.span("body") if "body" in kind.pattern.groupindex else m.span()
            candidates.append(_Atom(start, end, kind, m, _needs_partner(kind, m)))
    candidates.sort(key=lambda a: (a.start - a.end, a.start))
    chosen: list[_Atom] = []
    for atom in candidates:
        if all(atom.end <= c.start or atom.start >= c.end for c in chosen):
            chosen.append(atom)
    return sorted(chosen, key=lambda a: a.start)


def _operator(text: str, start: int) -> re.Match[str] | None:
    return _OPERATOR.search(text, max(0, start - 10), start)


def _combine(text: str, atoms: list[_Atom]) -> Iterator[_Found]:
    """Join atoms into ranges ("between A and B", "from A to B", "A-B"), add operators."""
    i = 0
    while i < len(atoms):
        first = atoms[i]
        op = _operator(text, first.start)
        word = op["op"].lower() if op else None
        if i + 1 < len(atoms):
            last = atoms[i + 1]
            join = _JOIN.fullmatch(text, first.end, last.start)
            if join and (join["join"].lower() != "and" or word == "between"):
                start = op.start() if op and word in ("between", "from") else first.start
                yield _Found(start, last.end, first, last, None)
                i += 2
                continue
        if not first.needs_partner:
            if word in ("between", "from"):
                word = None
            yield _Found(op.start() if word else first.start, first.end, first, None, word)
        i += 1


@lru_cache(maxsize=4096)
def _scan(text: str) -> tuple[_Found, ...]:
    """The expressions of a text, whatever the anchor (cached: quantities asks again)."""
    return tuple(_combine(text, _atoms(text)))


def date_spans(text: str) -> list[tuple[int, int]]:
    """The character spans :func:`find_dates` returns, for any anchor.

    :mod:`storycheck.claims.quantities` leaves these spans alone, so that the "2012" of a date
    or the "two" of "two years ago" is never also a quantity.
    """
    return [(found.start, found.end) for found in _scan(text)]


def _resolve_atom(atom: _Atom, anchor: date | None, lent: int | None = None) -> _Period:
    period = atom.kind.resolve(atom.match, anchor, lent)
    assert period is not None  # the scan kept only atoms that resolve without an anchor
    return period


def _coarser(a: str, b: str) -> str:
    return max(a, b, key=PRECISIONS.index)


def _resolve(found: _Found, anchor: date | None) -> _Period:
    first = _resolve_atom(found.first, anchor)
    if found.last is not None:
        last = _resolve_atom(found.last, anchor)
        borrows = found.first.kind.lends_year and not found.first.match.groupdict().get("y")
        if borrows and not found.first.match.groupdict().get("rel") and last.start is not None:
            lent = last.start.year
            first = _resolve_atom(found.first, anchor, lent)
            if first.start is not None and first.start > last.start:
                first = _resolve_atom(found.first, anchor, lent - 1)
        precision = _coarser(first.precision, last.precision)
        relative = first.relative or last.relative
        if first.start is not None and last.end is not None and first.start > last.end:
            return _Period(None, None, precision, relative)  # "Monday to Friday": habitual
        return _Period(first.start, last.end, precision, relative)
    if found.operator is None or first.start is None or first.end is None:
        return first
    if found.operator in ("since", "after"):
        start = first.start if found.operator == "since" else first.end + timedelta(days=1)
        end = anchor if anchor is not None and anchor >= start else None
        return _Period(start, end, first.precision, first.relative or end is not None)
    if found.operator == "before":
        return _Period(None, first.start - timedelta(days=1), first.precision, first.relative)
    return _Period(None, first.end, first.precision, first.relative)  # until, till


def _iso_or_none(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def find_dates(text: str, anchor: date | None = None) -> list[DateExpr]:
    """The dates and periods in ``text``, in order, resolved against ``anchor`` when given."""
    found = []
    for expression in _scan(text):
        period = _resolve(expression, anchor)
        found.append(
            DateExpr(
                expression.start,
                expression.end,
                text[expression.start : expression.end],
                _iso_or_none(period.start),
                _iso_or_none(period.end),
                period.precision,
                period.relative,
            )
        )
    return found


def compare_dates(a: DateExpr, b: DateExpr) -> Literal["agree", "conflict", "unrelated"]:
    """Whether two sources' dates can both be true: "agree" when the periods overlap.

    Overlap, not equality, because sources state one event at different precisions ("May 2012",
    "2012") or as a span and a point ("between 2008 and 2013", "2010"). A date that could not be
    resolved (relative, with no anchor) is "unrelated" to everything, except that two days or
    months written without a year ("on March 15", "on January 1") are compared as if in one
    year: a report of the same event gives the same day.
    """
    if (a.start is None and a.end is None) or (b.start is None and b.end is None):
        x, y = _yearless_reading(a), _yearless_reading(b)
        if x is None or y is None:
            return "unrelated"
        return "agree" if x.start <= y.end and y.start <= x.end else "conflict"
    overlap = (a.start or "0000") <= (b.end or "9999") and (b.start or "0000") <= (a.end or "9999")
    return "agree" if overlap else "conflict"


# The year a date written without one is read in when two such dates are compared: a leap
# year, so that 29 February exists.
_SHARED_YEAR = 2000


def _yearless_reading(expr: DateExpr) -> _Period | None:
    """A day, days or month written without a year and not relative to today ("15 March",
    "May", but not "last May"), read in ``_SHARED_YEAR``; None for anything else."""
    found = _scan(expr.text)
    if len(found) != 1 or found[0].last is not None or found[0].operator is not None:
        return None
    atom = found[0].first
    groups = atom.match.groupdict()
    if not atom.kind.lends_year or groups.get("y") or groups.get("rel"):
        return None
    period = _resolve_atom(atom, None, _SHARED_YEAR)
    return period if period.start is not None and period.end is not None else None
