"""Quotes and their speakers in short news texts: each attribution form, speaker resolution,
quotes across sentences and paragraphs, apostrophes, outlets credited, and plain narrative."""

from __future__ import annotations

import pytest

from storycheck.claims.quotes import Quote, find_quotes, quoted_passages
from storycheck.models.nlp import load_nlp


@pytest.fixture(scope="module")
def quotes():
    nlp = load_nlp()

    def _quotes(text: str) -> list[Quote]:
        found = find_quotes(nlp(text))
        for quote in found:  # offsets are the contract: every span must be the text it names
            assert text[quote.start : quote.end] == quote.text
            if quote.speaker_start is not None:
                assert text[quote.speaker_start : quote.speaker_end] == quote.speaker_text
        return found

    return _quotes


def only(found: list[Quote]) -> Quote:
    assert len(found) == 1, found
    return found[0]


def test_reported_speech_with_said(quotes):
    quote = only(quotes("The harbourmaster said the berth would stay closed until Friday."))
    assert quote.text == "the berth would stay closed until Friday"
    assert (quote.speaker_text, quote.cue, quote.direct) == ("The harbourmaster", "say", False)


def test_says_that_drops_the_complementiser(quotes):
    quote = only(quotes("Dana Okafor says that the crane was forty years old."))
    assert quote.text == "the crane was forty years old"
    assert quote.speaker_name == "Dana Okafor"


def test_said_before_the_speaker(quotes):
    quote = only(quotes('"We will not reopen berth four," said harbourmaster Dana Okafor.'))
    assert quote.text == "We will not reopen berth four"
    assert quote.direct
    assert quote.speaker_text == "harbourmaster Dana Okafor"
    assert quote.speaker_name == "Dana Okafor"


def test_according_to(quotes):
    quote = only(quotes("According to the port authority, 14 ships were diverted to Kelham."))
    assert quote.text == "14 ships were diverted to Kelham"
    assert (quote.speaker_text, quote.cue) == ("the port authority", "according to")


@pytest.mark.parametrize(
    ("text", "cue", "content"),
    [
        ("The union claimed that the crane had not been inspected.", "claim", "the crane had"),
        ("Port managers argued that the quay was safe.", "argue", "the quay was safe"),
        ("The coastguard warned that more storms were coming.", "warn", "more storms"),
        ("Ms Okafor added that two workers were still in hospital.", "add", "two workers"),
        ("The operator insisted that every crane had passed its checks.", "insist", "every"),
        ("The company denied that it had ignored the warnings.", "deny", "it had ignored"),
        ("Mr Patel wrote that the port had been neglected for years.", "write", "the port"),
        ("The mayor tweeted that the harbour would reopen on Monday.", "tweet", "the harbour"),
    ],
)
def test_cue_verbs_are_lemmatised(quotes, text, cue, content):
    quote = only(quotes(text))
    assert quote.cue == cue
    assert quote.text.startswith(content)


def test_told_an_outlet_that_with_a_quoted_fragment(quotes):
    text = 'Sir Keir Starmer told BBC Verify that the CPS "made the decision independently".'
    quote = only(quotes(text))
    assert quote.text == 'the CPS "made the decision independently"'
    assert quote.speaker_name == "Sir Keir Starmer"
    assert (quote.cue, quote.direct, quote.via) == ("tell", False, "BBC Verify")


def test_pronoun_resolves_to_the_person_who_fits(quotes):
    text = 'Mr Patel met Ms Okafor at the gate.\n"We will rebuild the quay by spring," she said.'
    quote = only(quotes(text))
    assert (quote.speaker_text, quote.speaker_name) == ("she", "Okafor")


def test_pronoun_resolves_to_the_full_name(quotes):
    text = "Dana Okafor walked along the quay.\n“We will fight,” she said. “And we will win.”"
    first, second = quotes(text)
    assert (first.text, second.text) == ("We will fight", "And we will win.")
    assert first.speaker_name == second.speaker_name == "Dana Okafor"
    assert second.speaker_start == first.speaker_start  # the second continues the first's frame


def test_it_resolves_to_an_organisation(quotes):
    text = "Selwick Harbour Ltd cut 40 jobs on Monday. It said demand for shipping had collapsed."
    quote = only(quotes(text))
    assert (quote.speaker_text, quote.speaker_name) == ("It", "Selwick Harbour Ltd")


def test_spokesman_speaks_for_the_organisation_named(quotes):
    text = (
        'A spokesman for the Port Authority said: "We are reviewing every crane."\n'
        "The spokesman added that the review would take a month."
    )
    first, second = quotes(text)
    assert first.text == "We are reviewing every crane."
    assert first.speaker_text == "A spokesman for the Port Authority"
    assert second.speaker_text == "The spokesman"
    assert first.speaker_name == second.speaker_name == "Port Authority"


def test_quote_of_two_sentences(quotes):
    quote = only(quotes('"The crane fell at seven. Two men were hurt," said Ana Ruiz.'))
    assert quote.text == "The crane fell at seven. Two men were hurt"
    assert quote.speaker_name == "Ana Ruiz"


def test_paragraph_reopening_a_quote_continues_it(quotes):
    text = (
        "Ana Ruiz, the harbourmaster, said:\n"
        '"The crane fell at seven.\n'
        '"Two men were hurt and the berth is shut."\n'
        "Work stopped on Tuesday."
    )
    quote = only(quotes(text))
    assert quote.text == 'The crane fell at seven.\n"Two men were hurt and the berth is shut.'
    assert quote.speaker_text == "Ana Ruiz"


def test_quote_closed_in_the_next_paragraph(quotes):
    quote = only(quotes('"The crane fell at seven.\nTwo men were hurt," said Ana Ruiz.'))
    assert quote.text == "The crane fell at seven.\nTwo men were hurt"
    assert quote.speaker_name == "Ana Ruiz"


def test_single_quotes_in_a_headline(quotes):
    text = "Okafor: 'We will not reopen the berth'\nDana Okafor spoke at the quay on Tuesday."
    quote = only(quotes(text))
    assert quote.text == "We will not reopen the berth"
    assert (quote.speaker_text, quote.speaker_name) == ("Okafor", "Dana Okafor")


def test_apostrophes_inside_single_quotes(quotes):
    quote = only(quotes("The minister said: 'It's the workers' choice, not ours.'"))
    assert quote.text == "It's the workers' choice, not ours."


@pytest.mark.parametrize(
    "text",
    [
        "It's the voters' choice, and the council's plan hasn't changed since the '90s.",
        "O'Neill's crew rock 'n' roll at the docks' annual party.",
    ],
)
def test_apostrophes_are_not_quote_marks(quotes, text):
    assert quoted_passages(text) == []
    assert quotes(text) == []


def test_typeset_double_apostrophes_are_quote_marks():
    text = "''We have been patient,'' Mr. Patel said."
    assert [text[s:e] for s, e in quoted_passages(text)] == ["We have been patient"]


@pytest.mark.parametrize(
    ("text", "speaker", "via"),
    [
        (
            "Ms Okafor told the Selwick Gazette that the crane had been due for inspection.",
            "Ms Okafor",
            "Selwick Gazette",
        ),
        ("The BBC reported that the talks had collapsed.", "The BBC", "BBC"),
        (
            "In an interview with Sky News, Mr Patel said he would not resign.",
            "Mr Patel",
            "Sky News",
        ),
        ('"We have been patient," Mr Patel said, according to Reuters.', "Mr Patel", "Reuters"),
        (
            "Speaking to the BBC's Today programme, Ms Okafor said the berth would reopen.",
            "Ms Okafor",
            "BBC",
        ),
    ],
)
def test_quote_credited_to_another_outlet(quotes, text, speaker, via):
    quote = only(quotes(text))
    assert (quote.speaker_text, quote.via) == (speaker, via)


@pytest.mark.parametrize(
    "text",
    [
        "Ms Okafor told reporters that the crane was old.",
        "The Press Secretary said the talks would resume on Monday.",
    ],
)
def test_no_outlet_for_people(quotes, text):
    assert only(quotes(text)).via is None


@pytest.mark.parametrize(
    "text",
    [
        "A container crane collapsed at Port Selwick on Tuesday, injuring two dock workers. "
        "Engineers inspected the quay.",
        'The so-called "bedroom tax" was scrapped in 2024 after a long campaign.',
        'The film "Dock Strike" opens on Friday at the Selwick Odeon.',
    ],
)
def test_no_quotes_in_plain_narrative(quotes, text):
    assert quotes(text) == []


def test_to_json_has_every_field(quotes):
    quote = only(quotes('"We will rebuild," said Dana Okafor.'))
    assert quote.to_json() == {
        "start": 1,
        "end": 16,
        "text": "We will rebuild",
        "speaker_text": "Dana Okafor",
        "speaker_name": "Dana Okafor",
        "speaker_start": 24,
        "speaker_end": 35,
        "cue": "say",
        "direct": True,
        "via": None,
    }
