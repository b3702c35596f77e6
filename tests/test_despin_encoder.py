"""MiniLM's both-sided reading for the despinner: context moves a candidate's score the right
way, windows join without seams, and the trainer fits a head that loads."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ngram_articles
from storycheck.repair.encoder import WINDOW, Head, SiteEncoder, load_encoder, tokenize


def _gain(text: str, word: str, original: str) -> float:
    """How much better the head scores ``original`` than ``word`` at ``word`` in ``text``."""
    enc = load_encoder()
    start = text.index(word)
    vectors = enc.read(text, [(start, start + len(word))])
    return float(enc.scores(vectors, original)[0] - enc.scores(vectors, word)[0])


def test_context_after_the_word_moves_its_score():
    """Only the words after "kid" say it stood for "child" here: left-to-right models cannot
    see them, MiniLM reads both sides at once."""
    abuse = _gain("Police charged him with kid sexual abuse offences in the town.", "kid", "child")
    goats = _gain("The goat had a kid on the farm last spring, the farmer said.", "kid", "child")
    assert abuse > goats + 1.0


def test_a_wrong_sense_reads_as_such_in_context():
    spun = _gain("Helium said the plan would cut waiting times in half.", "Helium", "he")
    real = _gain("The balloon was filled with helium before the launch.", "helium", "he")
    assert spun > real + 2.0


def test_a_word_reads_alike_wherever_the_windows_fall():
    """Far into a long text a word is read from another window, at another place in it; its
    vector must stay close to a short text's reading of it, and closer than its neighbour's."""
    enc = load_encoder()
    sentence = "The port authority said fourteen ships were diverted to Kelham on Tuesday. "
    filler = "Engineers inspected the quay and the cranes for damage after the storm. "

    def read(text: str, word: str) -> np.ndarray:
        start = text.index(word)
        return enc.hidden(text, [(start, start + len(word))])[0]

    def cosine(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    short = read(filler * 4 + sentence + filler * 4, "diverted")
    for repeats in (0, 5, 13, 21, 34):
        text = filler * repeats + sentence + filler * 40
        assert len(tokenize(text)[0]) > 2 * WINDOW
        here = read(text, "diverted")
        assert cosine(here, short) > 0.8
        assert cosine(here, short) > cosine(read(text, " were"), short) + 0.2


def test_spans_without_word_pieces_read_as_zeros():
    enc = load_encoder()
    text = "Rain fell on Monday."
    vectors = enc.hidden(text, [(0, 4), (4, 5), (5, 9)])
    assert vectors[0].any() and vectors[2].any()
    assert not vectors[1].any()  # a space holds no word piece
    assert not enc.hidden("", [(0, 0)]).any()


def test_missing_head_names_reinstalling(tmp_path):
    from storycheck.errors import MissingResourceError

    with pytest.raises(MissingResourceError, match="reinstall"):
        Head.load(tmp_path / "absent.npz")


def test_missing_reader_names_the_install_step(tmp_path):
    from storycheck.errors import MissingResourceError

    with pytest.raises(MissingResourceError, match="storycheck.repair.encoder"):
        SiteEncoder(folder=tmp_path)


def test_trainer_tunes_a_reader_that_ships(tmp_path, monkeypatch):
    """``train_encoder`` on a few spun articles: the head and MiniLM changes it writes build an
    int8 reader that puts the truth first on more fitted sites than pass 1 did, and the changes
    are real (the built reader reads differently from the packaged MiniLM, the embedder's)."""
    from storycheck.models.embed import onnx_dir
    from storycheck.models.lowrank import DELTA
    from storycheck.repair import train_encoder
    from storycheck.repair.encoder import build

    made = ngram_articles(tmp_path, 3)
    arts = train_encoder.collect(tmp_path, made, seed=1)
    assert len(arts) == made
    truth = np.concatenate([a.truth for a in arts])
    assert len(truth) > 50 and (truth > 0).any() and (truth == 0).any()
    monkeypatch.setattr(train_encoder, "HIDDEN", 32)
    monkeypatch.setattr(train_encoder, "HELD_OUT", 1000)  # fit all three (article 0 is held)
    arrays = train_encoder.train(arts, epochs=8, seed=0, lr=2e-3)
    deltas = [k for k in arrays if k.startswith(DELTA)]
    assert len(deltas) == 2 * 6 * 6  # up and down of six linear layers in each of six blocks
    path = tmp_path / "head.npz"
    np.savez_compressed(path, **arrays)
    reader = SiteEncoder(Head.load(path), build(tmp_path / "reader", path))
    right = sum(ok for _, ok in train_encoder.reader_right(reader, arts[1:]))
    placed_right = sum(p == t for a in arts[1:] for p, t in zip(a.in_place, a.truth, strict=True))
    assert right > placed_right
    plain = SiteEncoder(folder=onnx_dir()).hidden(arts[1].text, arts[1].spans)
    tuned = reader.hidden(arts[1].text, arts[1].spans)
    assert np.abs(tuned - plain).mean() > 0.01


def test_trainer_spins_each_article_again_with_other_dictionaries(tmp_path):
    """``collect(spins=2)``: each article a second time, spun differently, under the same
    number (so an article held back is held back in both spins); seeds that would reach the
    benchmarks' are refused."""
    from storycheck.repair import train_encoder

    made = ngram_articles(tmp_path, 2)
    arts = train_encoder.collect(tmp_path, made, seed=1, spins=2)
    assert [a.number for a in arts] == [0, 1, 0, 1]
    assert arts[0].cands != arts[2].cands and arts[1].cands != arts[3].cands
    with pytest.raises(ValueError, match="benchmark seeds"):
        train_encoder.collect(tmp_path, made, seed=1, spins=1001)
