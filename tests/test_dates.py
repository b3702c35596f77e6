"""Dates and periods in news sentences: the days they cover, their precision, their comparison."""

from __future__ import annotations

from datetime import date

import pytest

from storycheck.claims.dates import DateExpr, compare_dates, find_dates

# A Wednesday.
ANCHOR = date(2014, 6, 18)


def _marked(sentence: str) -> tuple[str, str]:
    """ "It fell [last year]." -> ("It fell last year.", "last year"): the span is in brackets."""
    span = sentence[sentence.index("[") + 1 : sentence.index("]")]
    return sentence.replace("[", "").replace("]", ""), span


def _only(text: str, anchor: date | None = ANCHOR) -> DateExpr:
    found = find_dates(text, anchor)
    assert len(found) == 1, found
    return found[0]


# (sentence with [the span], start, end, precision): the same with or without an anchor.
ABSOLUTE = [
    ("Abuse went on [between 2008 and 2013].", "2008-01-01", "2013-12-31", "year"),
    ("It ran [from 2008 to 2013].", "2008-01-01", "2013-12-31", "year"),
    ("It ran [April 2010 to March 2011].", "2010-04-01", "2011-03-31", "month"),
    ("It ran [from April 2010 to March 2011].", "2010-04-01", "2011-03-31", "month"),
    ("It ran [December 2011 to February 2012].", "2011-12-01", "2012-02-29", "month"),
    ("It ran [December to February 2012].", "2011-12-01", "2012-02-29", "month"),
    ("It ran [between April and June 2012].", "2012-04-01", "2012-06-30", "month"),
    ("It ran [April-June 2012].", "2012-04-01", "2012-06-30", "month"),
    ("It ran [2016-2017].", "2016-01-01", "2017-12-31", "year"),
    ("It ran in [2016-17].", "2016-01-01", "2017-12-31", "year"),
    ("It ran in [2008 – 2013].", "2008-01-01", "2013-12-31", "year"),
    ("It ran [2008 - 2013].", "2008-01-01", "2013-12-31", "year"),
    # a timeline's spaced dash before a count is no range
    ("[November 2010] - 11 men convicted", "2010-11-01", "2010-11-30", "month"),
    ("[2012] - 9 men convicted", "2012-01-01", "2012-12-31", "year"),
    # the slash: the UK financial year, April to March
    ("Spending in [2016/17] rose.", "2016-04-01", "2017-03-31", "year"),
    ("Spending in [2016/2017] rose.", "2016-04-01", "2017-03-31", "year"),
    ("Spending in [1999/00] rose.", "1999-04-01", "2000-03-31", "year"),
    # months and days
    ("It opened in [May 2012].", "2012-05-01", "2012-05-31", "month"),
    ("It opened in [May of 2012].", "2012-05-01", "2012-05-31", "month"),
    ("It opened in [Sept. 2012].", "2012-09-01", "2012-09-30", "month"),
    ("It opened on [12 May 2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [12th May 2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [the 12th of May 2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [May 12, 2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [May 12th 2012].", "2012-05-12", "2012-05-12", "day"),
    # Text from tokenised corpora puts a space before the comma.
    ("It opened on [May 12 , 2012] .", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [12 May , 2012] .", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [Tuesday 12 May 2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [Jan 3, 2013].", "2013-01-03", "2013-01-03", "day"),
    ("It opened on [2012-05-12].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [12/05/2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [12.05.2012].", "2012-05-12", "2012-05-12", "day"),
    ("It opened on [05/25/2012].", "2012-05-25", "2012-05-25", "day"),
    ("It ran [12-14 May 2012].", "2012-05-12", "2012-05-14", "day"),
    ("It ran [May 12-14, 2012].", "2012-05-12", "2012-05-14", "day"),
    ("It ran [between 12 and 14 May 2012].", "2012-05-12", "2012-05-14", "day"),
    ("It ran [between May 12 and 14, 2012].", "2012-05-12", "2012-05-14", "day"),
    ("It ran [from 1 May 2012 to 3 June 2012].", "2012-05-01", "2012-06-03", "day"),
    # early, mid, late
    ("It opened in [early May 2012].", "2012-05-01", "2012-05-12", "month"),
    ("It opened in [mid-May 2012].", "2012-05-10", "2012-05-21", "month"),
    ("It opened in [late May 2012].", "2012-05-19", "2012-05-31", "month"),
    ("It opened in [early 2012].", "2012-01-01", "2012-04-30", "year"),
    ("It opened in [mid-2012].", "2012-04-01", "2012-08-31", "year"),
    ("It opened in [late 2012].", "2012-08-01", "2012-12-31", "year"),
    ("It opened at [the end of 2012].", "2012-08-01", "2012-12-31", "year"),
    ("It opened at [the start of 2012].", "2012-01-01", "2012-04-30", "year"),
    # seasons, quarters, halves
    ("It opened in [summer 2019].", "2019-06-01", "2019-08-31", "season"),
    ("It opened in [the summer of 2019].", "2019-06-01", "2019-08-31", "season"),
    ("It opened in [autumn 2015].", "2015-09-01", "2015-11-30", "season"),
    ("It opened in [spring 2015].", "2015-03-01", "2015-05-31", "season"),
    ("It opened in [winter 2019].", "2019-12-01", "2020-02-29", "season"),
    ("Sales fell in [Q3 2015].", "2015-07-01", "2015-09-30", "month"),
    ("Sales fell in [the first quarter of 2012].", "2012-01-01", "2012-03-31", "month"),
    ("Sales fell in [the second half of 2013].", "2013-07-01", "2013-12-31", "month"),
    ("Sales fell in [H1 2013].", "2013-01-01", "2013-06-30", "month"),
    # years, decades, centuries
    ("It opened in [2012].", "2012-01-01", "2012-12-31", "year"),
    ("In [2012] it opened.", "2012-01-01", "2012-12-31", "year"),
    ("[2012] was a hard year.", "2012-01-01", "2012-12-31", "year"),
    ("The [2012] elections were close.", "2012-01-01", "2012-12-31", "year"),
    ("It was built in [1066].", "1066-01-01", "1066-12-31", "year"),
    ("Abuse went on in [the 1990s].", "1990-01-01", "1999-12-31", "decade"),
    ("Abuse went on in [the '80s].", "1980-01-01", "1989-12-31", "decade"),
    ("Abuse went on in [the eighties].", "1980-01-01", "1989-12-31", "decade"),
    ("Abuse went on in [the 00s].", "2000-01-01", "2009-12-31", "decade"),
    ("Prices peaked in [the mid-2010s].", "2013-01-01", "2016-12-31", "decade"),
    ("Prices peaked in [the early 1990s].", "1990-01-01", "1993-12-31", "decade"),
    ("Prices peaked in [the late 1980s].", "1986-01-01", "1989-12-31", "decade"),
    ("It was built in [the 19th century].", "1800-01-01", "1899-12-31", "century"),
    ("It was built in [the nineteenth century].", "1800-01-01", "1899-12-31", "century"),
    ("It is a [twenty-first century] problem.", "2000-01-01", "2099-12-31", "century"),
    ("It was built in [the early 20th century].", "1900-01-01", "1939-12-31", "century"),
    ("It has [19th-century] walls.", "1800-01-01", "1899-12-31", "century"),
    # open periods
    ("It was banned [before 2010].", None, "2009-12-31", "year"),
    ("It was legal [until 2015].", None, "2015-12-31", "year"),
    ("It was legal [till March 2015].", None, "2015-03-31", "month"),
    # "not until" puts a thing off to the date: it happened then
    ("It wasn't until [2010] that charges were brought.", "2010-01-01", "2010-12-31", "year"),
    ("It was not until [May 2010] that charges were brought.", "2010-05-01", "2010-05-31", "month"),
]


@pytest.mark.parametrize(("sentence", "start", "end", "precision"), ABSOLUTE)
@pytest.mark.parametrize("anchor", [ANCHOR, None])
def test_absolute_dates(
    sentence: str, start: str | None, end: str, precision: str, anchor: date | None
) -> None:
    text, span = _marked(sentence)
    d = _only(text, anchor)
    assert (d.text, d.start, d.end, d.precision, d.relative) == (span, start, end, precision, False)
    assert text[d.char_start : d.char_end] == d.text


# (sentence with [the span], start, end, precision), resolved against ANCHOR, a Wednesday.
RELATIVE = [
    ("It fell [last year].", "2013-01-01", "2013-12-31", "year"),
    ("It fell [this year].", "2014-01-01", "2014-12-31", "year"),
    ("It falls [next year].", "2015-01-01", "2015-12-31", "year"),
    ("It fell [last month].", "2014-05-01", "2014-05-31", "month"),
    ("It fell [this month].", "2014-06-01", "2014-06-30", "month"),
    ("It falls [next month].", "2014-07-01", "2014-07-31", "month"),
    ("It fell [last week].", "2014-06-09", "2014-06-15", "day"),
    ("It falls [next week].", "2014-06-23", "2014-06-29", "day"),
    ("It fell [yesterday].", "2014-06-17", "2014-06-17", "day"),
    ("It fell [today].", "2014-06-18", "2014-06-18", "day"),
    ("It falls [tomorrow].", "2014-06-19", "2014-06-19", "day"),
    ("It fell [last night].", "2014-06-17", "2014-06-17", "day"),
    ("It fell [this morning].", "2014-06-18", "2014-06-18", "day"),
    ("It fell [two years ago].", "2012-01-01", "2012-12-31", "year"),
    ("It fell [3 months ago].", "2014-03-01", "2014-03-31", "month"),
    ("It fell [10 days ago].", "2014-06-08", "2014-06-08", "day"),
    ("It fell [two weeks ago].", "2014-06-02", "2014-06-08", "day"),
    ("It fell [a decade ago].", "2004-01-01", "2004-12-31", "year"),
    # weekdays: the latest on or before the anchor; last/next strictly before/after
    ("Police said on [Tuesday].", "2014-06-17", "2014-06-17", "day"),
    ("Police said on [Wednesday].", "2014-06-18", "2014-06-18", "day"),
    ("Police said on [Thursday].", "2014-06-12", "2014-06-12", "day"),
    ("Police said [Tuesday]'s vote was fair.", "2014-06-17", "2014-06-17", "day"),
    ("Police said [last Wednesday].", "2014-06-11", "2014-06-11", "day"),
    ("Police meet [next Friday].", "2014-06-20", "2014-06-20", "day"),
    ("Police meet [next Wednesday].", "2014-06-25", "2014-06-25", "day"),
    # months and days without a year: the nearest to the anchor
    ("It fell in [early January].", "2014-01-01", "2014-01-12", "month"),
    ("It fell in [March].", "2014-03-01", "2014-03-31", "month"),
    ("It falls in [December].", "2014-12-01", "2014-12-31", "month"),
    ("It fell [last May].", "2014-05-01", "2014-05-31", "month"),
    ("It fell [last July].", "2013-07-01", "2013-07-31", "month"),
    ("It falls [next May].", "2015-05-01", "2015-05-31", "month"),
    ("It fell on [12 May].", "2014-05-12", "2014-05-12", "day"),
    ("It fell on [May 12].", "2014-05-12", "2014-05-12", "day"),
    ("It ran [from 5 May to 2 June].", "2014-05-05", "2014-06-02", "day"),
    ("It fell [last summer].", "2013-06-01", "2013-08-31", "season"),
    ("It falls [this winter].", "2014-12-01", "2015-02-28", "season"),
    # rolling windows end at the anchor
    ("It rose over [the past five years].", "2009-06-18", "2014-06-18", "year"),
    ("It rose in [the last 12 months].", "2013-06-18", "2014-06-18", "month"),
    ("It rose in [the past year].", "2013-06-18", "2014-06-18", "year"),
    ("It will rise in [the next two weeks].", "2014-06-18", "2014-07-02", "day"),
    # since and after end at the anchor when there is one
    ("It has risen [since 2010].", "2010-01-01", "2014-06-18", "year"),
    ("It has risen [since the 1980s].", "1980-01-01", "2014-06-18", "decade"),
    ("It has risen [since last year].", "2013-01-01", "2014-06-18", "year"),
    ("It has risen [after 2010].", "2011-01-01", "2014-06-18", "year"),
    ("It has risen [since March].", "2014-03-01", "2014-06-18", "month"),
]


@pytest.mark.parametrize(("sentence", "start", "end", "precision"), RELATIVE)
def test_relative_dates(sentence: str, start: str, end: str, precision: str) -> None:
    text, span = _marked(sentence)
    d = _only(text)
    assert (d.text, d.start, d.end, d.precision, d.relative) == (span, start, end, precision, True)


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("It fell last year.", None, "year"),
        ("Police said on Tuesday.", None, "day"),
        ("It fell on 12 May.", None, "day"),
        ("It fell two years ago.", None, "year"),
        ("It fell in early January.", None, "month"),
        ("It fell last summer.", None, "season"),
        # open at the end with no anchor to close it: absolute
        ("It has risen since 2010.", "2010-01-01", "year"),
        ("It has risen since the 1980s.", "1980-01-01", "decade"),
    ],
)
def test_without_anchor(text: str, start: str | None, precision: str) -> None:
    """Relative dates are kept without an anchor, unresolved, so their spans stay claimed."""
    d = _only(text, None)
    assert (d.start, d.end, d.precision, d.relative) == (start, None, precision, start is None)


@pytest.mark.parametrize("year", [1999, 2012, 2016, 2020])
@pytest.mark.parametrize("anchor", [None, ANCHOR, date(2012, 2, 29), date(2020, 12, 31)])
@pytest.mark.parametrize("template", ["in {}", "{} was hard", "the {} budget", "by {}, it said"])
def test_bare_year_is_never_a_day(year: int, anchor: date | None, template: str) -> None:
    """dateparser would give a bare year the anchor's month and day; the whole year it is."""
    d = _only(template.format(year), anchor)
    assert (d.start, d.end, d.precision) == (f"{year}-01-01", f"{year}-12-31", "year")


def test_since_a_later_year_stays_open() -> None:
    d = _only("It has risen since 2016.", date(2012, 2, 29))
    assert (d.start, d.end, d.relative) == ("2016-01-01", None, False)


@pytest.mark.parametrize(
    "text",
    [
        "Theresa May said so.",
        "The Mayor of London spoke.",
        "It has been hard since May took office.",
        "Talks between Cameron and May ended.",
        "Protesters will march on the capital.",
        "Many people in their 20s left.",
        "2000 people marched.",
        "More than 2000 protesters came.",
        "It cost £2012.",
        "The 1,400 children were moved.",
        "COVID-19 cases fell in Section 28 areas of the G7.",
        "Prices rose 5% in a month.",
        "It was the third time in the summer.",
        "Call 020 7946 0958.",
    ],
)
def test_not_a_date(text: str) -> None:
    assert find_dates(text, ANCHOR) == []


def test_several_dates_in_a_sentence() -> None:
    text = (
        "Between 2008 and 2013, and since the 1980s, abuse was reported; on Tuesday police spoke."
    )
    assert [d.text for d in find_dates(text, ANCHOR)] == [
        "Between 2008 and 2013",
        "since the 1980s",
        "Tuesday",
    ]


@pytest.mark.parametrize(
    ("a", "b", "verdict"),
    [
        ("between 2008 and 2013", "in 2010", "agree"),
        ("in 2010", "in 2015", "conflict"),
        ("in May 2012", "in 2012", "agree"),
        ("on 12 May 2012", "on May 12, 2012", "agree"),
        ("on 12 May 2012", "on 13 May 2012", "conflict"),
        ("in 2016/17", "in March 2017", "agree"),
        ("in 2016/17", "in May 2017", "conflict"),
        ("in the 1990s", "in 1995", "agree"),
        ("in the 19th century", "in 1901", "conflict"),
        ("since 2010", "in 2015", "agree"),
        ("since 2010", "in 2005", "conflict"),
        ("before 2010", "in 2012", "conflict"),
        ("before 2010", "until 2015", "agree"),
        ("last year", "in 2013", "unrelated"),
        ("on Tuesday", "on Tuesday", "unrelated"),
        # days written without a year are compared as if in one year
        ("on January 1", "on 1 January", "agree"),
        ("on March 15", "on January 1", "conflict"),
        ("from 12 to 14 May", "on 13 May", "agree"),
        ("between 12 and 14 May", "on 12 May", "agree"),
        ("on 29 February", "on 1 March", "conflict"),
        # ... but not with a dated day, nor when relative to today
        ("on March 15", "on March 15, 2024", "unrelated"),
        ("last May", "on 12 May", "unrelated"),
    ],
)
def test_compare_dates(a: str, b: str, verdict: str) -> None:
    first, second = _only(a, None), _only(b, None)
    assert compare_dates(first, second) == verdict
    assert compare_dates(second, first) == verdict


def test_compare_resolved_relative_dates() -> None:
    assert compare_dates(_only("last year"), _only("in 2013", None)) == "agree"
    assert compare_dates(_only("yesterday"), _only("on 17 June 2014")) == "agree"
    assert compare_dates(_only("yesterday"), _only("on 18 June 2014")) == "conflict"


def test_29_february_takes_a_leap_year_or_stays_unresolved() -> None:
    assert _only("on 29 February", date(2012, 6, 1)).start == "2012-02-29"
    assert _only("on 29 February", date(2014, 6, 1)).start is None


def test_weekday_range_is_habitual() -> None:
    """ "Monday to Friday" names no week: it stays unresolved rather than run backwards."""
    d = _only("It opens Monday to Friday.")
    assert (d.text, d.start, d.end) == ("Monday to Friday", None, None)


def test_first_century_starts_in_year_one() -> None:
    d = _only("It was built in the 1st century.", None)
    assert (d.start, d.end, d.precision) == ("0001-01-01", "0099-12-31", "century")


def test_to_json() -> None:
    d = _only("It opened in May 2012.")
    assert d.to_json() == {
        "start": "2012-05-01",
        "end": "2012-05-31",
        "text": "May 2012",
        "precision": "month",
        "relative": False,
        "char_start": 13,
        "char_end": 21,
    }
