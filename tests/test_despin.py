"""The despinner: spun text restored, clean text untouched byte for byte, names kept."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from conftest import DEMO
from storycheck.errors import MissingResourceError
from storycheck.repair import wordnet
from storycheck.repair.despin import (
    LATER_WEIGHTS_PATH,
    PARAMS,
    RANK_FEATURES,
    Despinner,
    DespinResult,
    Params,
    Repair,
    Suspect,
    Weights,
    _tokenize,
    default_despinner,
    despin,
    despin_many,
)
from storycheck.repair.evaluate import (
    DAMAGE_MIXED,
    DAMAGE_WHOLE,
    MIXED,
    NOT_A_CANDIDATE,
    OTHER_PUT_BACK,
    REFUSED,
    compare,
    losses,
)
from storycheck.repair.spinner import Spinner, SpinResult, SpinSettings, SpinSpan

CLEAN = [
    "The government said in a statement that the talks between the two sides went well on "
    'Monday, and he expects a deal in the coming weeks. "We are in a good place," Mr Smith '
    "said.\n",
    "Shares in the company rose 4% to 312p after it reported a pre-tax profit of £1.2bn for the "
    "year to March, up from £950m a year earlier.\r\nAnalysts had expected a smaller rise.\r\n",
    "Arsenal beat Chelsea 2-1 at the Emirates on Saturday.  Thierry Henry scored twice in the "
    "second half as the home side moved three points clear at the top of the table.\n\n",
    "The minister told MPs the new rules would come into force next year, but critics said the "
    "plans did not go far enough to protect workers on low pay.",
]

STORY = (
    "The prime minister has promised to cut the number of people waiting for hospital treatment "
    "in England by the end of the year. Speaking in London on Monday, he said the government "
    "would spend more money on new clinics and would train thousands of extra nurses. Critics "
    "said the plan was not enough and that patients would still face long delays. The health "
    "secretary said the reforms would make a real difference, and that waiting times had "
    "already started to fall in many areas. Doctors said they welcomed the extra money but "
    "warned that staff shortages remained the biggest problem facing the service. The "
    "opposition said the promise was a gimmick and that the government had failed to keep "
    "similar promises in the past. A report published last week found that more than four "
    "million people were waiting for treatment, the highest number on record.\n"
)


def test_seed_000_style_function_words_restored():
    spun = (
        "Helium said successful a statement that the talks betwixt the two sides went well on "
        "Monday, and helium expects a deal successful the coming weeks.\n"
    )
    result = despin(spun)
    assert result.spun and result.score > 0.5
    pairs = {(r.observed, r.restored) for r in result.repairs}
    assert {("successful", "in"), ("betwixt", "between"), ("helium", "he")} <= pairs
    assert "said in a statement that the talks between the two sides" in result.text
    assert "and he expects a deal in the coming weeks" in result.text


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_is_returned_byte_identical(text):
    result = despin(text)
    assert result.text == text
    assert result.spun is False and result.repairs == []
    assert 0.0 <= result.score < 0.5


def test_empty_and_odd_inputs():
    for text in ("", "\n\n", "12345", "!!!", "Hello"):
        result = despin(text)
        assert result.text == text and not result.repairs


@pytest.fixture(scope="module")
def round_trip():
    spin = Spinner(SpinSettings(seed=11)).spin(STORY)
    return spin, despin(spin.text)


def test_round_trip_restores_most_spun_words(round_trip):
    spin, result = round_trip
    assert result.spun
    tally = compare(spin, result)
    assert tally.spun >= 20
    assert tally.restored_share >= 0.5, result.text
    assert tally.damaged <= 2


def test_repairs_line_up_with_input(round_trip):
    spin, result = round_trip
    rebuilt, cursor = [], 0
    for repair in result.repairs:
        assert spin.text[repair.start : repair.end] == repair.observed
        assert 0.0 <= repair.confidence <= 1.0
        rebuilt.append(spin.text[cursor : repair.start] + repair.restored)
        cursor = repair.end
    assert "".join(rebuilt) + spin.text[cursor:] == result.text


def test_a_second_round_reads_the_first_rounds_repairs(round_trip, monkeypatch):
    """``rounds=2`` runs pass 2 again over the text the first run restored, not pass 1's, and
    decides with the later rounds' weights (the first round's where none of their own ship)."""
    spin, once = round_trip
    engine = default_despinner(2)
    read: list[tuple[str, Weights]] = []
    second_pass = engine._second_pass

    def spy(sites, fp, intensity, weights):
        read.append((fp.text, weights))
        return second_pass(sites, fp, intensity, weights)

    monkeypatch.setattr(engine, "_second_pass", spy)
    twice = engine.despin(spin.text)
    assert [text == once.text for text, _ in read] == [False, True]
    assert read[0][1] is engine.weights and read[1][1] is engine.later
    assert (engine.later is engine.weights) == (LATER_WEIGHTS_PATH is None)
    tally = compare(spin, twice)
    assert tally.restored_share >= 0.5 and tally.damaged <= 2, twice.text
    for text in CLEAN:
        assert despin(text, rounds=2).text == text


def test_the_last_rounds_decisions_stand(round_trip):
    """A second round whose replace model refuses everything undoes the first round's repairs:
    the output is the last round's, not a merge of the two."""
    spin, once = round_trip
    shipped = default_despinner().weights
    never = dataclasses.replace(shipped.replace, threshold=2.0)  # a probability never reaches 2
    engine = Despinner(Params(rounds=2), later=dataclasses.replace(shipped, replace=never))
    assert once.repairs
    assert engine.despin(spin.text).repairs == []


def test_suspects_are_words_left_alone_that_still_look_spun(round_trip):
    """A type the replace model refuses, but thinks more likely spun than not, is listed with
    its likely original; with every repair refused, the repaired words become suspects."""
    spin, once = round_trip
    shipped = default_despinner().weights
    threshold = shipped.replace.threshold
    assert once.repairs
    repaired = {(r.start, r.end): r.restored for r in once.repairs}
    for suspect in once.suspects:
        assert (suspect.start, suspect.end) not in repaired
        assert spin.text[suspect.start : suspect.end] == suspect.observed != suspect.likely
        assert PARAMS.suspect_floor <= suspect.suspicion < threshold
    never = dataclasses.replace(shipped.replace, threshold=2.0)  # a probability never reaches 2
    refused = Despinner(weights=dataclasses.replace(shipped, replace=never)).despin(spin.text)
    assert refused.repairs == [] and refused.text == spin.text
    listed = {(s.start, s.end): s.likely for s in refused.suspects}
    assert repaired.items() <= listed.items()
    spans = {(s.start, s.end) for s in spin.spans}
    assert sum(at in spans for at in listed) >= 0.8 * len(listed)
    quiet = Despinner(dataclasses.replace(PARAMS, suspect_floor=1.01)).despin(spin.text)
    assert quiet.suspects == [] and quiet.repairs == once.repairs
    for text in CLEAN:
        assert despin(text).suspects == []


def test_one_original_is_given_to_one_word_seen(round_trip):
    """A spinner gives each word one replacement: two words seen never restore to one original.
    When two claim the same one, the surer keeps it and the other is decided again without it."""
    spin, _ = round_trip
    engine = default_despinner()
    decisions = engine.analyse(spin.text)[3]
    restored = [d.choice for key, d in decisions.items() if d.choice != key]
    assert len(restored) == len(set(restored))
    sure = sorted(
        (key for key, d in decisions.items() if d.choice != key and len(d.ranking.rows) > 1),
        key=lambda key: -decisions[key].confidence,
    )
    first, second = sure[0], sure[1]
    taken = decisions[first].choice
    decisions[second].choice = taken  # as if both had chosen it
    decided = engine._one_source_each(decisions, {}, 0.5, engine.weights)
    assert decided[first].choice == taken
    assert decided[second].best != taken and decided[second].choice != taken


def test_a_word_another_type_was_restored_to_is_replaced_too(round_trip):
    """A spinner replaces a word everywhere, so once a type is restored to word X, the X's seen
    are replacements as well: a type X left alone is replaced by its best original at the lower
    bar ``claimed_threshold``, unless that original is taken."""
    spin, _ = round_trip
    engine = default_despinner()
    bar = engine.params.claimed_threshold
    decisions = engine.analyse(spin.text)[3]
    restored = {d.choice for key, d in decisions.items() if d.choice != key}
    for key, d in decisions.items():  # the shipped decisions already obey the rule
        assert not (d.choice == key and key in restored and d.confidence >= bar
                    and d.best not in restored)  # fmt: skip
    kept = [k for k, d in decisions.items() if d.choice == k and d.best not in restored | {k}]
    claimant = next(k for k, d in decisions.items() if d.choice != k)
    x, low = kept[0], kept[1]
    decisions[claimant].choice = x  # as if the claimant had been restored to the word seen x
    decisions[x].confidence = (bar + engine.weights.replace.threshold) / 2
    decisions[low].confidence = bar / 2
    decided = engine._claimed(decisions)
    assert decided[x].choice == decided[x].best != x
    assert decided[low].choice == low  # not claimed: stays
    decided[claimant].choice = low  # claimed, but below the bar: stays
    assert engine._claimed(decided)[low].choice == low


def test_every_token_lost_has_one_cause(round_trip):
    """The benchmark's account of the losses covers each spun token not restored and each
    clean token changed once."""
    spin, _ = round_trip
    engine = Despinner(dataclasses.replace(PARAMS, suspect_floor=0.0))
    result = engine.despin(spin.text)
    tally = compare(spin, result)
    lost = losses(spin, result, lambda word: [o.text for o in engine.candidates(word)])
    damage = lost[DAMAGE_MIXED] + lost[DAMAGE_WHOLE]
    assert damage == tally.damaged
    assert lost.total() - damage == tally.spun - tally.restored > 0


def test_causes_of_loss_read_from_repairs_suspects_and_truth():
    """A word the spinner used for two originals is a mixed type; a wrong repair put another
    original back; a suspect naming the truth was refused; a repair where nothing was spun
    changed a clean token; an original the word cannot lead to was not a candidate."""
    text = "a kid and a kid met a big dog"
    spans = [SpinSpan(2, 5, 2, 7, "child", "kid"), SpinSpan(12, 15, 14, 18, "goat", "kid"),
             SpinSpan(16, 19, 19, 30, "encountered", "met"),
             SpinSpan(22, 25, 33, 38, "large", "big")]  # fmt: skip
    spin = SpinResult(text, spans)
    repairs = [Repair(22, 25, "big", "great", 0.9), Repair(26, 29, "dog", "hound", 0.9)]
    result = DespinResult(text, 0.9, True, repairs, [Suspect(16, 19, "met", "encountered", 0.6)])
    known = {"kid": ["child", "goat"], "met": ["encountered"], "big": ["large", "great"]}
    lost = losses(spin, result, lambda word: known.get(word, []))
    assert lost == {MIXED: 2, REFUSED: 1, OTHER_PUT_BACK: 1, DAMAGE_WHOLE: 1}
    known["big"] = ["great"]
    assert losses(spin, result, lambda word: known.get(word, []))[NOT_A_CANDIDATE] == 1


def test_number_words_stay_candidates_behind_many_digit_lemmas():
    """WordNet links every number word and some 300 digit lemmas to "cardinal"; a spinner leaves
    digits alone, so the words must not be crowded out of a site's candidates by them."""
    engine = default_despinner()
    candidates = [orig.text for orig in engine.candidates("cardinal")]
    assert {"three", "million"} <= set(candidates)
    digits = [i for i, word in enumerate(candidates) if any(ch.isdigit() for ch in word)]
    assert all(i > candidates.index("three") for i in digits)
    result = despin(
        "The firm said successful a statement that it would cut three cardinal jobs and that "
        "helium would close the plant connected Monday.\n"
    )
    assert "three million jobs" in result.text


def test_digit_forms_news_never_writes_are_sites():
    """WordNet lists "1000000" among million's lemmas and "5" among five's, and news never
    writes them so: a spinner did. Numbers as news writes them stay the author's."""
    engine = default_despinner()
    text = "some 250 1000000 homes and 35 firms in 2010 lost 5 of 1,000 lines"
    keys = {site.key for site in engine._sites(text, _tokenize(text))}
    assert {"1000000", "5"} <= keys
    assert not {"250", "35", "2010", "1,000"} & keys


def test_a_phrase_may_open_with_a_stop_word():
    """Spinners put in WordNet phrases that open with a stop word ("to a greater extent" for
    "more", "the great unwashed" for "people"); each must be read as one site. A stop word on
    its own is never one."""
    engine = default_despinner()
    text = "Prices rose to a greater extent than wages, and the great unwashed paid.\n"
    keys = [site.key for site in engine._sites(text, _tokenize(text))]
    assert {"to a greater extent", "the great unwashed"} <= set(keys)
    assert not {"to", "a", "the", "and"} & set(keys)
    result = despin(
        "Helium said successful a statement that prices had risen to a greater extent than "
        "wages connected Monday, and that the great unwashed would pay arsenic a result.\n"
    )
    pairs = {(r.observed, r.restored) for r in result.repairs}
    assert {("to a greater extent", "more"), ("the great unwashed", "people")} <= pairs


def test_proper_nouns_quotes_and_numbers_are_not_repaired():
    text = (
        "The company said successful a statement that Apple would pay $1,400 to 2,008 workers "
        "betwixt March and May 2005, and that helium would meet the unions connected Monday "
        'successful London. "Freedom is not free," said Mr Grant, quoting Lincoln. Helium '
        "added that 13 towns and 7 cities were affected successful Kent, arsenic the storm "
        "moved north betwixt Friday and Sunday.\n"
    )
    result = despin(text)
    assert result.spun
    for kept in ("Apple", "$1,400", "2,008", "March", "May 2005", '"Freedom is not free,"',
                 "Mr Grant", "Lincoln", "13 towns", "7 cities", "Kent"):  # fmt: skip
        assert kept in result.text
    for repair in result.repairs:
        assert repair.observed.islower()
        assert not re.search(r"\d", repair.observed)


def test_batch_matches_single():
    texts = [CLEAN[0], Spinner(SpinSettings(seed=3)).spin(STORY).text]
    assert despin_many(texts) == [despin(t) for t in texts]
    assert all(isinstance(r, DespinResult) for r in despin_many(texts))


def test_ranker_learns_which_feature_marks_the_original():
    """Synthetic spun types: the true original stands out on one feature, the rest is noise.
    The fitted ranker must weigh that feature most and put the truth first on new types."""
    from storycheck.repair.train_despin import fit_ranker

    rng = np.random.default_rng(0)
    marker = RANK_FEATURES.index("log P(seen | original)")

    def types(n: int) -> list[tuple[np.ndarray, int, float]]:
        out = []
        for _ in range(n):
            size = int(rng.integers(2, 8))
            x = rng.normal(size=(size, len(RANK_FEATURES)))
            truth = int(rng.integers(size))
            x[truth, marker] += 3.0
            out.append((x, truth, float(rng.integers(1, 4))))
        return out

    weights = np.array(fit_ranker(types(300)).weights)
    assert int(np.argmax(np.abs(weights))) == marker and weights[marker] > 0
    held_out = types(200)
    right = sum(int(np.argmax(x @ weights)) == truth for x, truth, _ in held_out)
    assert right >= 0.8 * len(held_out)


def test_missing_wordnet_names_the_install_step(tmp_path, monkeypatch):
    monkeypatch.setenv("STORYCHECK_DATA_DIR", str(tmp_path))
    wordnet.load_table.cache_clear()
    try:
        with pytest.raises(MissingResourceError, match="setup.sh"):
            wordnet.load_table()
    finally:
        monkeypatch.delenv("STORYCHECK_DATA_DIR")
        wordnet.load_table.cache_clear()


def test_lexnames_has_the_45_lexicographer_files():
    lines = wordnet.lexnames_text().splitlines()
    assert len(lines) == 45
    assert lines[0] == "00\tadj.all\t3" and lines[44] == "44\tadj.ppl\t3"
    assert lines[3] == "03\tnoun.Tops\t1" and lines[29] == "29\tverb.body\t2"


def test_chunks_cover_text_and_respect_limit():
    from storycheck.repair.despin import _chunks

    text = ("word " * 50 + "\n") * 3 + "x" * 30 + " tail\n"
    pieces = _chunks(text, 64)
    assert "".join(pieces) == text
    assert all(len(p) <= 64 for p in pieces)


def test_long_single_line_document():
    spun = Spinner(SpinSettings(seed=5)).spin(STORY.replace("\n", " ") * 9).text
    result = despin(spun)
    assert result.spun and result.repairs
    for repair in result.repairs:
        assert spun[repair.start : repair.end] == repair.observed


@pytest.mark.parametrize("per_pass", [512, 6])
def test_branches_score_like_the_text_written_out(per_pass, monkeypatch):
    """SmolLM2's branch scores (continuations on the cached reading of a text) equal the log
    probability of the same words read in place, for branches at different points of one text,
    in one pass or several; and the reading is unchanged afterwards."""
    import torch

    from storycheck.models import lm as lm_module
    from storycheck.models.lm import load_lm

    monkeypatch.setattr(lm_module, "BRANCH_TOKENS", per_pass)

    lm = load_lm()
    text = "The minister said on Monday that the new rules would come into force next year."
    ids, _ = lm.encode(text)
    prefix = lm.read(ids)
    encode = lm.tokenizer
    branches = [
        (2, encode(" stated on Monday", add_special_tokens=False)["input_ids"]),
        (2, encode(" aforesaid connected Monday", add_special_tokens=False)["input_ids"]),
        (2, encode(" said on Monday", add_special_tokens=False)["input_ids"]),  # the text's own
        (6, encode(" the old rules", add_special_tokens=False)["input_ids"]),
        (9, encode(" would", add_special_tokens=False)["input_ids"]),
    ]
    scores = lm.branch_logprobs(prefix, branches)
    for (row, tokens), score in zip(branches, scores, strict=True):
        with torch.inference_mode():
            logits = lm.model(torch.tensor([ids[: row + 1] + tokens])).logits[0].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        expected = sum(float(logprobs[row + k, t]) for k, t in enumerate(tokens))
        assert score == pytest.approx(expected, abs=0.05 * len(tokens) + 0.1)
    assert scores[0] > scores[1]  # the plain English beats the spun words
    assert prefix.cache.get_seq_length() == len(ids)


def test_a_clean_compound_in_spun_text_stays_whole():
    """The demo's spun copy kept "spillway" (the spinner left it alone). Split into pieces, it
    scores below "spill" before "gives way" under SmolLM2, so any setting that lets right context
    decide more types has turned it into "spill" (docs/despin.md): it must stay."""
    spun = (DEMO / "06-spun-copy.txt").read_text()
    assert spun.count("spillway") == 4
    result = despin(spun)
    assert result.spun
    assert not [r for r in result.repairs if r.observed == "spillway"]
    assert result.text.startswith("Corran dam spillway gives way")


def test_trainer_fits_the_second_round_with_the_first_held_fixed(tmp_path, monkeypatch):
    """``train_despin --rounds 2``: the first round decides with the shipped weights, once per
    spin although both of the trainer's passes need it, and the file written loads as the
    weights of later rounds."""
    from storycheck.repair import train_despin
    from storycheck.repair.corpus import part_of
    from storycheck.repair.despin import load_weights

    texts = [(DEMO / name).read_text() for name in ("03-aggregator-copy.txt", "04-opinion.md")]
    made = 0
    for n in range(40):
        rel = f"news/{n:03d}.txt"
        if part_of(rel) == "classifier" and made < 4:
            (tmp_path / "news").mkdir(exist_ok=True)
            (tmp_path / rel).write_text(texts[made % 2] * 2, encoding="utf-8")
            made += 1
    shipped = load_weights()
    rounds: list[bool] = []
    second_pass = Despinner._second_pass

    def spy(self, sites, fp, intensity, weights):
        rounds.append(weights == shipped)
        return second_pass(self, sites, fp, intensity, weights)

    monkeypatch.setattr(Despinner, "_second_pass", spy)
    out = tmp_path / "later.json"
    assert (
        train_despin.main([str(tmp_path), "--docs", "4", "--rounds", "2", "--out", str(out)]) == 0
    )
    assert rounds.count(True) == 4 and rounds.count(False) == 8
    later = load_weights(out)
    assert later.rank is not None and later.rank != shipped.rank
    if LATER_WEIGHTS_PATH is None:  # nowhere to write by default: the file must be named
        with pytest.raises(SystemExit):
            train_despin.main([str(tmp_path), "--rounds", "2"])
