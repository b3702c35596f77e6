"""The spinner: one replacement per word type, case kept, ground truth that lines up."""

from __future__ import annotations

import pytest

from storycheck.repair.spinner import Spinner, SpinSettings, main

TEXT = (
    "The prime minister said in a statement that he would meet the union leaders on Monday. "
    "He said the talks were important, and in the end he agreed to a new deal with five unions "
    "in London. Critics said the deal was weak."
)


@pytest.fixture(scope="module")
def spun():
    return Spinner(SpinSettings(seed=7)).spin(TEXT)


def test_spans_line_up_with_both_texts(spun):
    for span in spun.spans:
        assert spun.text[span.start : span.end] == span.spun
        assert TEXT[span.src_start : span.src_end] == span.original
        assert span.spun != span.original
    # Undoing the spans gives the input back exactly.
    rebuilt, cursor = [], 0
    for span in spun.spans:
        rebuilt.append(spun.text[cursor : span.start] + span.original)
        cursor = span.end
    assert "".join(rebuilt) + spun.text[cursor:] == TEXT


def test_one_replacement_per_word_type(spun):
    seen: dict[str, set[str]] = {}
    for span in spun.spans:
        seen.setdefault(span.original.lower(), set()).add(span.spun.lower())
    assert seen and all(len(v) == 1 for v in seen.values())


def test_same_seed_same_dictionary_other_seed_differs():
    a = Spinner(SpinSettings(seed=7)).spin(TEXT).text
    assert Spinner(SpinSettings(seed=7)).spin(TEXT).text == a
    assert any(Spinner(SpinSettings(seed=s)).spin(TEXT).text != a for s in range(8, 12))


def test_proper_nouns_capitals_stopwords_and_numbers_with_separators_kept():
    text = "London and Paris spent £1,400 on 2.5 tonnes of the stuff in March."
    spun = Spinner(SpinSettings(seed=3, keep_share=0.0)).spin(text)
    for kept in ("London", "Paris", "£1,400", "2.5", "March", " the ", " and ", " of "):
        assert kept in spun.text
    assert spun.spans  # "spent", "tonnes", "stuff", "in" ... are spinnable


def test_keep_share_one_changes_nothing():
    assert Spinner(SpinSettings(seed=1, keep_share=1.0)).spin(TEXT).text == TEXT


def test_capitalized_words_keep_case_when_touched():
    spinner = Spinner(SpinSettings(seed=2, keep_share=0.0, touch_capitalized=True))
    spun = spinner.spin("Government agreed.")
    first = spun.spans[0]
    assert first.original == "Government" and first.spun[0].isupper()


def test_function_words_spun_like_real_spinners():
    # seed 000 shows in->successful, he->helium, as->arsenic: WordNet's wrong senses.
    spinner = Spinner(SpinSettings(seed=0, keep_share=0.0, linked_share=0.0))
    assert spinner.replacement("he") in {"helium", "atomic number 2"}
    assert spinner.replacement("between") == "betwixt"


def test_cli_prints_spun_text(tmp_path, capsys):
    path = tmp_path / "a.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert main([str(path), "--seed", "7"]) == 0
    assert capsys.readouterr().out == Spinner(SpinSettings(seed=7)).spin(TEXT).text
    assert main([str(tmp_path / "missing.txt")]) == 2
