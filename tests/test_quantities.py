"""Numbers in news sentences: value, unit, qualifier and range, what is no quantity, comparison."""

from __future__ import annotations

import pytest

from storycheck.claims.dates import date_spans
from storycheck.claims.quantities import (
    Quantity,
    bears_on,
    compare_quantities,
    find_quantities,
    parse_number,
)


def _only(text: str) -> Quantity:
    found = find_quantities(text)
    assert len(found) == 1, found
    return found[0]


def _marked(sentence: str) -> tuple[str, str]:
    """ "It rose [5%]." -> ("It rose 5%.", "5%"): the expected span is written in brackets."""
    span = sentence[sentence.index("[") + 1 : sentence.index("]")]
    return sentence.replace("[", "").replace("]", ""), span


# (sentence with [the span], value, unit, qualifier, high)
CASES = [
    # the brief's own examples
    ("Police said [at least 1,400 children] were abused.", 1400, "child", "at_least", None),
    ("There were [more than 800 historic cases].", 800, "case", "more_than", None),
    ("It bought the firm for [just over $1bn].", 1e9, "USD", "just_over", None),
    # tokenised text sets the sign apart
    ("It grossed [more than $ 170.8 million] at home.", 170.8e6, "USD", "more_than", None),
    ("There were [well over 800 cases].", 800, "case", "more_than", None),
    ("Prices rose [5%] in a month.", 5, "%", None, None),
    ("Prices rose [5 per cent] in a month.", 5, "%", None, None),
    ("[Nine men] were jailed on Friday.", 9, "man", None, None),
    ("It brought [about 7,200 prosecutions].", 7200, "prosecution", "about", None),
    ("The total was [4,794] in the end.", 4794, None, None, None),
    ("He won a [£1.2m] contract.", 1_200_000, "GBP", None, None),
    ("They set up a [$3 billion] fund.", 3e9, "USD", None, None),
    ("[A dozen officers] attended.", 12, "officer", None, None),
    ("[Hundreds of people] marched.", 100, "person", "at_least", None),
    ("It took [between 5 and 10 people].", 5, "person", None, 10),
    # percentages and points
    ("Prices rose [2.5 percent].", 2.5, "%", None, None),
    ("Prices rose [five per cent].", 5, "%", None, None),
    ("Output fell [0.5%].", 0.5, "%", None, None),
    ("Turnout fell [5.5 percentage points].", 5.5, "percentage point", None, None),
    ("Inflation fell to [less than 5%].", 5, "%", "less_than", None),
    ("Rents rose [5-10%] this spring.", 5, "%", None, 10),
    ("A [2.3%] fall in sales.", 2.3, "%", None, None),
    # money
    ("It cost [3.5bn] in all.", 3.5e9, None, None, None),
    ("The EU offered [€5bn].", 5e9, "EUR", None, None),
    ("It paid [US$3bn].", 3e9, "USD", None, None),
    ("A [50p] rise on the tax.", 0.5, "GBP", None, None),
    ("It was fined [£5,000].", 5000, "GBP", None, None),
    ("It was fined [£5k].", 5000, "GBP", None, None),
    ("It was worth [1.2 million pounds].", 1_200_000, "GBP", None, None),
    ("They lost [millions of pounds].", 1e6, "GBP", "at_least", None),
    ("The fee was [5,000 dollars].", 5000, "USD", None, None),
    ("Tickets cost [20 euros].", 20, "EUR", None, None),
    ("The bill was [80 pence].", 0.8, "GBP", None, None),
    ("It costs [in excess of £5m].", 5e6, "GBP", "more_than", None),
    ("Bids ranged [£1.2m-£1.5m].", 1_200_000, "GBP", None, 1_500_000),
    ("Repairs will cost [£1-2m].", 1e6, "GBP", None, 2e6),
    # ranges
    ("We need [5-10 people].", 5, "person", None, 10),
    ("We need [five to ten people].", 5, "person", None, 10),
    ("It hit [between 5 and 10 million homes].", 5e6, "home", None, 1e7),
    ("Waits of [3 to 4 hours].", 3, "hour", None, 4),
    # scales and number words
    ("[About 1.4 million people] voted.", 1_400_000, "person", "about", None),
    ("It has [1,250,000 visitors].", 1_250_000, "visitor", None, None),
    ("[Twenty-one people] died.", 21, "person", None, None),
    ("[One hundred and twenty people] died.", 120, "person", None, None),
    ("He kept [a hundred and fifty sheep].", 150, "sheep", None, None),
    ("It will build [half a million homes].", 500_000, "home", None, None),
    ("[Two million viewers] watched.", 2e6, "viewer", None, None),
    ("[Two dozen eggs] were sold.", 24, "egg", None, None),
    ("[One man] was arrested.", 1, "man", None, None),
    ("Only [one new case] was found.", 1, "case", None, None),
    # vague plurals: their lower bound
    ("[Tens of thousands of protesters] met.", 10_000, "protester", "at_least", None),
    ("[Several hundred residents] left.", 100, "resident", "at_least", None),
    ("Police made [dozens of arrests].", 12, "arrest", "at_least", None),
    ("[Thousands] protested outside.", 1000, None, "at_least", None),
    ("[A few thousand fans] came.", 1000, "fan", "at_least", None),
    ("[Hundreds of thousands of homes] lost power.", 100_000, "home", "at_least", None),
    ("[Scores of boats] sank.", 20, "boat", "at_least", None),
    # fractions, between 0 and 1
    ("[Two-thirds] of voters agreed.", 2 / 3, "fraction", None, None),
    ("[Half] of the men were freed.", 0.5, "fraction", None, None),
    ("[A third] of staff left.", 1 / 3, "fraction", None, None),
    ("[Three quarters] of homes flooded.", 0.75, "fraction", None, None),
    ("[One in five] children is poor.", 0.2, "fraction", None, None),
    ("[1 in 10] adults smoke.", 0.1, "fraction", None, None),
    ("[Nearly two-thirds] of members voted.", 2 / 3, "fraction", "about", None),
    # qualifiers
    ("[Nearly 2,000 people] came.", 2000, "person", "about", None),
    ("It cut [almost 300 jobs].", 300, "job", "about", None),
    ("It built [around 50 houses].", 50, "house", "about", None),
    ("It bought [roughly 40 companies].", 40, "company", "about", None),
    ("It employs [some 7,200 people].", 7200, "person", "about", None),
    ("The plan puts [up to 500 jobs] at risk.", 500, "job", "up_to", None),
    ("[As many as 60 officers] were hurt.", 60, "officer", "up_to", None),
    ("There are [fewer than 500 nurses].", 500, "nurse", "less_than", None),
    ("Children [under 18 months] were seen.", 18, "month", "less_than", None),
    ("Classes of [no more than 20 pupils].", 20, "pupil", "at_most", None),
    ("It lets [at most 3 children] in.", 3, "child", "at_most", None),
    ("There were [no fewer than 12 witnesses].", 12, "witness", "at_least", None),
    ("They burned [over 100 churches].", 100, "church", "more_than", None),
    ("It held [exactly 42 boxes].", 42, "box", "exactly", None),
    ("It needs [1,000 or more people].", 1000, "person", "at_least", None),
    ("It has [10 or fewer beds].", 10, "bed", "at_most", None),
    ("A [1,000-plus] crowd came.", 1000, None, "at_least", None),
    ("They found [30-odd boats].", 30, "boat", "about", None),
    # counted nouns: the singular, adjectives and proper names skipped
    ("It sent [300 police officers].", 300, "officer", None, None),
    ("The [12 women] were freed.", 12, "woman", None, None),
    ("Police questioned the [two men] again.", 2, "man", None, None),
    ("[Six gunmen] fled.", 6, "gunman", None, None),
    ("It covers [40 cities].", 40, "city", None, None),
    ("[Eight MPs] rebelled.", 8, "MP", None, None),
    ("They sent [800 British troops].", 800, "troop", None, None),
    ("In all [2000 people] came.", 2000, "person", None, None),
    ("There were [300 staff] on site.", 300, "staff", None, None),
    ("The route is [5 km] long.", 5, "km", None, None),
    # a unit of measure written onto the number, in any case; a range takes the second's
    ("The route is [5KM] long.", 5, "km", None, None),
    ("Gusts of [70mph] hit the coast.", 70, "mph", None, None),
    ("The phone has [128GB] of storage.", 128, "gb", None, None),
    ("The phone has [128 GB] of storage.", 128, "gb", None, None),
    ("The queue stretched [3-5km].", 3, "km", None, 5),
    # a span of time made one word before a noun, but not an age
    ("They ordered a [three-month] audit.", 3, "month", None, None),
    ("He was given a [10-year] sentence.", 10, "year", None, None),
    ("It ended a [three-decade] career.", 3, "decade", None, None),
    ("She signed a [twenty-five-year] lease.", 25, "year", None, None),
    # "m" is "million" with money or a counted noun, metres when nothing is counted
    ("It cost [£5m].", 5_000_000, "GBP", None, None),
    ("It reached [1.5m viewers].", 1_500_000, "viewer", None, None),
    ("He is the Olympic [200m] champion.", 200, "m", None, None),
    ("She won the [10,000m] final.", 10_000, "m", None, None),
    ("Mr Smith, [45], said so.", 45, None, None, None),
]


@pytest.mark.parametrize(("sentence", "value", "unit", "qualifier", "high"), CASES)
def test_quantity_is_normalised(
    sentence: str, value: float, unit: str | None, qualifier: str | None, high: float | None
) -> None:
    text, span = _marked(sentence)
    q = _only(text)
    assert (q.text, q.unit, q.qualifier) == (span, unit, qualifier)
    assert q.value == pytest.approx(value)
    assert q.high == (None if high is None else pytest.approx(high))
    assert text[q.char_start : q.char_end] == q.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "from ... to ..." is a change, two quantities
        ("Rates rose from 5% to 7%.", [("5%", 5.0), ("7%", 7.0)]),
        ("Cases rose from 300 to 450 cases.", [("300", 300.0), ("450 cases", 450.0)]),
        # years and dates belong to dates, the counts beside them to quantities
        ("In 2012, 500 people died.", [("500 people", 500.0)]),
        ("Rotherham, 1997-2013: 1,400 victims.", [("1,400 victims", 1400.0)]),
        ("On 12 May 2012 nine men were jailed.", [("nine men", 9.0)]),
        ("Between 2008 and 2013 some 40 homes were sold.", [("some 40 homes", 40.0)]),
        # a timeline's spaced dash after a date is no range (nor a score)
        ("May 2012 - 9 men from Halden convicted", [("9 men", 9.0)]),
        ("November 2010 - 11 men convicted in Corran", [("11 men", 11.0)]),
    ],
)
def test_several_quantities_in_a_sentence(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(q.text, q.value) for q in find_quantities(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Section 28 was repealed.",
        "Article 50 was triggered.",
        "Section 28 rules were dropped.",
        "COVID-19 cases fell.",
        "The G7 summit opened.",
        "A 5G mast burned.",
        "Call 020 7946 0958 for details.",
        "Call +44 20 7946 0958 for details.",
        "Call (555) 123-4567 today.",
        "One of the men said so.",
        "No one was hurt.",
        "He was the one who left.",
        "One day he left.",
        "A row between the two centred on the inquiry.",
        "All three were freed on appeal.",
        "It happened in 2012.",
        "It happened on 12 May 2012.",
        "It happened two years ago.",
        "It happened in the 1990s.",
        "It was built in the 19th century.",
        "They met at 5pm.",
        "They met at 5 p.m.",
        "They met at 10:30.",
        "It failed at about a quarter past six.",
        "It failed at ten past six.",
        "He went out in the 3rd round.",
        "A 12-year-old boy was hurt.",
        "It offers 24/7 care.",
        "City won 3-1.",
        "Boeing 737 jets were grounded.",
        "He lives at 10 Downing Street.",
        "Number 10 said nothing.",
        "Abc123 is a code.",
        "It was a third time lucky.",
        "Many people in their 20s left.",
    ],
)
def test_not_a_quantity(text: str) -> None:
    assert find_quantities(text) == []


def test_quantities_never_overlap_dates() -> None:
    text = (
        "Between 2008 and 2013 at least 1,400 children were abused, and two years ago "
        "about 7,200 cases from May 2012 were reviewed by 30 officers."
    )
    dates = date_spans(text)
    found = find_quantities(text)
    assert [q.text for q in found] == [
        "at least 1,400 children",
        "about 7,200 cases",
        "30 officers",
    ]
    for q in found:
        assert all(q.char_end <= start or q.char_start >= end for start, end in dates)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("twenty-one", 21),
        ("1,400", 1400),
        ("3.5bn", 3.5e9),
        ("a hundred", 100),
        ("1.4 million", 1_400_000),
        ("a dozen", 12),
        ("half a million", 500_000),
        ("two-thirds", 2 / 3),
        ("hundreds", 100),
        ("ninety-nine thousand", 99_000),
        ("five six", None),
        ("many", None),
    ],
)
def test_parse_number(words: str, value: float | None) -> None:
    assert parse_number(words) == (None if value is None else pytest.approx(value))


@pytest.mark.parametrize(
    ("a", "b", "verdict"),
    [
        ("about 1,200 people", "1,180 people", "agree"),
        ("about 1,200 people", "1,400 people", "conflict"),
        ("more than 800 cases", "1,000 cases", "agree"),
        ("more than 800 cases", "fewer than 500 cases", "conflict"),
        ("more than 800 cases", "800 cases", "conflict"),
        ("at least 800 cases", "800 cases", "agree"),
        ("1,200 children", "2,100 children", "conflict"),
        ("nine men", "9", "agree"),
        ("just under two per cent", "just under 2%", "agree"),
        ("more than $ 170.8 million", "$ 170.9 million", "agree"),
        ("nine men", "ten men", "conflict"),
        ("5%", "5 per cent", "agree"),
        ("5%", "5 men", "unrelated"),
        ("5 percentage points", "5%", "unrelated"),
        ("£1.2m", "$1.2m", "unrelated"),
        ("£1.2m", "£1,200,000", "agree"),
        ("800 cases", "800 children", "unrelated"),
        ("1.4 million people", "1,432,000 people", "agree"),
        ("1.4 million people", "1,500,000 people", "conflict"),
        ("between 5 and 10 people", "7 people", "agree"),
        ("between 5 and 10 people", "12 people", "conflict"),
        ("half of voters", "50%", "agree"),
        ("two-thirds of voters", "40%", "conflict"),
        ("hundreds of people", "1,400 people", "agree"),
        ("hundreds of people", "fewer than 50 people", "conflict"),
        ("up to 500 jobs", "450 jobs", "agree"),
        ("up to 500 jobs", "600 jobs", "conflict"),
        ("exactly 42 boxes", "42 boxes", "agree"),
        ("1,000 or more people", "more than 2,000 people", "agree"),
        ("less than 5%", "5%", "conflict"),
        ("5 km", "6 km", "conflict"),
        # a bare number is no measure: an age is no distance
        ("30", "100m", "unrelated"),
        ("the 200m final", "the 607m final", "conflict"),
        # spans of time meet in days; a month or a year is meant loosely against another unit
        ("for two years", "for 24 months", "agree"),
        ("for 30 days", "for one month", "agree"),
        ("for 52 weeks", "for one year", "agree"),
        ("for 18 months", "for two years", "conflict"),
        ("for three decades", "for 30 years", "agree"),
        ("for three decades", "for 20 years", "conflict"),
        ("for two centuries", "for 200 years", "agree"),
        ("for 18 months", "for 19 months", "conflict"),
        ("a 10-year sentence", "jailed for eight years", "conflict"),
        ("a two-year contract", "signed for 24 months", "agree"),
        ("lived there for more than forty years", "for 40 days", "conflict"),
        ("aged 67", "lived there for more than forty years", "unrelated"),
        ("5", "5 km", "unrelated"),
        # "just over" and "just under" stay near their figure, on its side
        ("just over $1bn", "just over $10bn", "conflict"),
        ("more than $1bn", "more than $10bn", "agree"),
        ("just over 1,000 people", "1,050 people", "agree"),
        ("just over 1,000 people", "1,000 people", "conflict"),
        ("slightly less than 500 jobs", "480 jobs", "agree"),
        ("a little under 500 jobs", "300 jobs", "conflict"),
    ],
)
def test_compare_quantities(a: str, b: str, verdict: str) -> None:
    first, second = _only(a), _only(b)
    assert compare_quantities(first, second) == verdict
    assert compare_quantities(second, first) == verdict


@pytest.mark.parametrize(
    ("claim", "evidence", "verdict"),
    [
        # a bound backs a claim bounded the same way and no further
        ("more than 80% of shares", "more than 95% of shares", "agree"),
        ("more than 95% of shares", "more than 80% of shares", "compatible"),
        ("at least 800 cases", "more than 800 cases", "agree"),
        ("more than 800 cases", "at least 800 cases", "compatible"),
        ("1,000 cases", "more than 800 cases", "compatible"),
        ("up to 500 jobs", "up to 300 jobs", "agree"),
        # two bounds the same way describe a figure not far past them: far apart, they conflict
        ("more than $187bn", "more than $60bn", "conflict"),
        ("more than $60bn", "more than $187bn", "conflict"),
        ("fewer than 100 cases", "under 500 cases", "conflict"),
        ("a range of up to 37 metres", "up to 10 metres", "conflict"),
        ("more than 1,100 cases", "more than 800 cases", "compatible"),
        # a vague plural is a bound only
        ("tens of thousands of people", "thousands of people", "compatible"),
        # a figure backs a claim that allows it
        ("more than 800 cases", "1,000 cases", "agree"),
        ("about 1,200 people", "roughly 1,180 people", "agree"),
        ("1,180 people", "about 1,200 people", "compatible"),
        ("between 5 and 10 people", "7 people", "agree"),
        ("7 people", "between 5 and 10 people", "compatible"),
        ("1.4 million people", "1,432,000 people", "agree"),
        ("nine men", "9", "agree"),
        ("just under two per cent", "just under 2%", "agree"),
        ("more than $ 170.8 million", "$ 170.9 million", "agree"),
        # the rest as compare_quantities
        ("more than 800 cases", "fewer than 500 cases", "conflict"),
        ("800 cases", "800 children", "unrelated"),
    ],
)  # fmt: skip
def test_bears_on_reads_the_evidence_against_the_claim(
    claim: str, evidence: str, verdict: str
) -> None:
    assert bears_on(_only(claim), _only(evidence)) == verdict


def test_to_json() -> None:
    q = _only("They said at least 1,400 children.")
    assert q.to_json() == {
        "value": 1400.0,
        "unit": "child",
        "text": "at least 1,400 children",
        "qualifier": "at_least",
        "high": None,
        "char_start": 10,
        "char_end": 33,
    }
