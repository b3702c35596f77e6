"""Detect article spinning and undo it.

How (docs/despin.md has the measured figures):
1. Every lowercase word or phrase that is a possible WordNet replacement is a *site*; its
   candidate originals come from the reverse spin table (a spun word is a lemma of a synset of
   the original, or of a linked synset), each with a channel probability: a spinner picks one
   replacement uniformly from the original's synonyms (or, less often, linked words).
2. Detection is cheap and runs on everything: the share of sites whose best original is far more
   common than the word seen, and how surprising the text is to a news trigram model. A logistic
   score calibrated on spun and clean news decides; clean text goes back byte-identical.
3. Restoration decides once per word *type* (a spinner keeps one replacement per word), summing
   trigram evidence over all of its occurrences, with the left and right context restored in a
   first pass. A word that occurs unchanged elsewhere in the document was not spun, so it is
   unlikely to be the original of something else.
4. SmolLM2 reads the first-pass restoration once: its next-word distributions give every
   candidate left-context evidence. A learnt linear ranker weighs that evidence with the
   trigram gains, the channel and what the candidate is (frequency, length, stop word, digit),
   and for the types still in doubt (``Params.branch_gap``) the top originals are scored in
   place with the words after them, as branches of that one reading; the replace model reads
   how much better they fit there than the word seen.
5. MiniLM, tuned for the job, reads the same restoration in both directions at once
   (``encoder.py``): one more score per candidate at every site, from the words on both sides,
   for the ranker and the replace model.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from storycheck.errors import MissingResourceError
from storycheck.models.lm import CausalLM, Prefix, load_lm
from storycheck.repair.encoder import SiteEncoder, load_encoder
from storycheck.repair.ngram import BOS, TOKEN, NgramModel, load_model, normalize
from storycheck.repair.spinner import DEFAULT_STOPWORDS
from storycheck.repair.wordnet import SpinTable, load_table


@dataclass(frozen=True)
class Params:
    """Every hand-set weight and threshold of the despinner, in one place.

    Set by a grid search on spins of the bbc-news *training* split (seeds 1000-1023; see
    docs/despin.md), then checked on held-out articles with unseen seeds by
    ``bench/despin_bbc.py``. The right-context settings (``branch_*``) trade restoration
    against speed and were chosen on 40 held-out articles (docs/despin.md). The learnt weights
    (how to rank originals, which types to replace, document score) live in
    ``data/despin-weights-v6.json``, written by ``python -m storycheck.repair.train_despin``;
    those of the rounds after the first (``rounds``) in ``LATER_WEIGHTS_PATH`` when it is set.
    """

    linked_share: float = 0.3  # assumed share of replacements from linked synsets (channel)
    top_k: int = 40  # candidate originals kept per site, by prior
    w_channel: float = 1.0  # weight of log P(spun | original) when ranking originals
    w_lm: float = 1.0  # weight of SmolLM2's left-context evidence when ranking (0: not loaded)
    lm_chunk_chars: int = 6000  # text per LM forward pass (~1,300 tokens; the model allows 8k)
    seen_penalty: float = 4.0  # original also occurs unchanged in the document
    first_pass_bias: float = 3.0  # pass 1 (context for pass 2) replaces when gain > -this
    prior_margin: float = 2.0  # detection: a site whose best original is this much likelier
    prior_margin_high: float = 5.0  # ... and a clearer one (log-odds, natural log)
    clip: float = 50.0  # log-prob gains are clipped to this before the classifier
    branch_top: int = 2  # top originals scored with right context by SmolLM2 ...
    # ... when the first leads the second by less than this (math.inf: every type). The
    # replace model is trained for this setting (train_despin uses it), so change them together.
    branch_gap: float = 3.0
    w_branch: float = 2.0  # weight of that right-context gain when choosing among them
    right_words: int = 2  # words after the site read with each original in doubt
    encoder: bool = True  # MiniLM's both-sided evidence in pass 2 (the weights expect it)
    # Pass 2 runs this many times in all, each later run reading the text the one before it
    # restored instead of pass 1's, with weights fitted for that cleaner context. 2 restores
    # 1.3-1.8 spun tokens in a hundred more at equal damage, at half the speed on spun text
    # (docs/despin.md, "Two rounds").
    rounds: int = 1
    # A word left as it is whose replace probability reaches this is listed as a suspect, with
    # its likely original: at 0.5, 72-79% of those listed in held-out spins were spun (docs).
    suspect_floor: float = 0.5
    # A word left as it is that another type was restored to is replaced by its best original
    # when its replace probability reaches this (``_claimed``; docs/despin.md).
    claimed_threshold: float = 0.5


PARAMS = Params()
# Most rounds offered to users: a third restored 7 more of 4,508 spun tokens than two, at two
# thirds of their speed (docs/despin.md, "Two rounds").
MAX_ROUNDS = 2
# Chunks of one document whose attention cache is kept for right-context branches.
BRANCH_CHUNKS = 8
# The pipeline reruns the despin stage when this changes: bump it with the weights, Params or
# the decision rules (4: a losing claimant of an original is decided again, not left; 5: digit
# originals never crowd words out of a site's candidates;
# 6: MiniLM's both-sided evidence in the ranker and the replace model; 7: phrases that open
# with a stop word are sites; 8: MiniLM tuned for the job reads both sides; 9: rounds after
# the first decide with their own weights; 10: words left alone that still look spun are listed;
# 11: SmolLM2 tuned for the job, the weights refitted for it, and the first round's weights in
# every round; 12: a word another type was restored to is replaced at a lower bar; 13: round
# numbers without separators are sites).
VERSION = 13
WEIGHTS_PATH = Path(__file__).parent / "data" / "despin-weights-v6.json"
# The ranker and replace model of the rounds after the first, when they have their own: fitted
# on second-round features with the first round's weights held fixed (``train_despin --rounds
# 2 --out FILE``), so refit them whenever WEIGHTS_PATH changes. (Their document score is fitted
# too, and never read.) None: those rounds decide with WEIGHTS_PATH's. Version 11 ships none:
# refitted for it, they restored less at equal damage than the first round's weights
# (docs/despin.md, "Two rounds").
LATER_WEIGHTS_PATH: Path | None = None
# SmolLM2's low-rank changes (``train_lm``): the weights are fitted with them in place.
LM_CHANGES_PATH = WEIGHTS_PATH.with_name("despin-lm-v1.npz")
# What the learnt ranker reads about each candidate original of a type (``_rank_features``).
RANK_FEATURES = (
    "trigram gain, sum over occurrences",
    "trigram gain, mean",
    "trigram gain, lowest",
    "trigram gain, highest",
    "SmolLM2 left-context gain, sum",
    "SmolLM2 left-context gain, mean over the sites read",
    "log P(seen | original)",
    "original occurs unchanged in the document",
    "log unigram frequency of the original",
    "words in the original minus words seen",
    "original is one word",
    "original is a stop word (spinners leave those alone)",
    "original contains a digit (spinners leave digits alone)",
    "MiniLM both-sided gain, sum over occurrences",
    "MiniLM both-sided gain, mean",
)


@dataclass(frozen=True)
class Logistic:
    """A standardised logistic model with its decision threshold."""

    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float = 0.5

    def prob(self, features: list[float]) -> float:
        x = self.bias
        for f, w, m, s in zip(features, self.weights, self.mean, self.scale, strict=True):
            x += w * (f - m) / s
        return 1.0 / (1.0 + math.exp(-_clip(x, 50.0)))


@dataclass(frozen=True)
class Trees:
    """A boosted ensemble of regression trees (exported from scikit-learn at training time, so
    run time needs no scikit-learn). Each tree is a tuple of nodes: (feature, threshold, left,
    right, value, is_leaf); a sample goes left when its feature is <= threshold."""

    trees: tuple[tuple[tuple[int, float, int, int, float, bool], ...], ...]
    baseline: float
    threshold: float = 0.5

    def prob(self, features: list[float]) -> float:
        x = self.baseline
        for nodes in self.trees:
            node = nodes[0]
            while not node[5]:
                node = nodes[node[2] if features[node[0]] <= node[1] else node[3]]
            x += node[4]
        return 1.0 / (1.0 + math.exp(-_clip(x, 50.0)))

    @classmethod
    def from_json(cls, data: dict) -> Trees:
        trees = tuple(
            tuple((int(f), float(t), int(a), int(b), float(v), bool(leaf))
                  for f, t, a, b, v, leaf in tree)
            for tree in data["trees"]
        )  # fmt: skip
        return cls(trees=trees, baseline=float(data["baseline"]), threshold=data["threshold"])


@dataclass(frozen=True)
class Linear:
    """A linear score over ``RANK_FEATURES``: the learnt ranker of candidate originals."""

    weights: tuple[float, ...]

    def score(self, features: list[float]) -> float:
        return sum(w * f for w, f in zip(self.weights, features, strict=True))


@dataclass(frozen=True)
class Weights:
    replace: Trees | Logistic  # per word type: was it spun (and is the best original right)?
    detect: Logistic  # per document: is it spun?
    rank: Linear | None = None  # None: the hand-set ranking of pass 1 (training's first stage)


def load_weights(path: Path = WEIGHTS_PATH) -> Weights:
    if not path.is_file():
        raise MissingResourceError(f"despinner weights missing at {path}: reinstall storycheck")
    data = json.loads(path.read_text(encoding="utf-8"))
    if len(data["rank"]["weights"]) != len(RANK_FEATURES):
        raise MissingResourceError(f"despinner weights at {path} do not fit this version")
    return Weights(
        replace=Trees.from_json(data["replace"]),
        detect=Logistic(**{k: (tuple(v) if isinstance(v, list) else v)
                           for k, v in data["detect"].items()}),
        rank=Linear(tuple(data["rank"]["weights"])),
    )  # fmt: skip


@dataclass(frozen=True)
class Repair:
    start: int  # offsets into the input text
    end: int
    observed: str
    restored: str
    confidence: float


@dataclass(frozen=True)
class Suspect:
    """A word left as it is that still looks spun: the replace model's probability that
    ``likely`` was there before (``suspicion``) fell short of its threshold, not of
    ``Params.suspect_floor``. Offsets are into the input text, like a repair's."""

    start: int
    end: int
    observed: str
    likely: str
    suspicion: float


@dataclass(frozen=True)
class DespinResult:
    text: str
    score: float
    spun: bool
    repairs: list[Repair]
    suspects: list[Suspect] = field(default_factory=list)


@dataclass
class _Token:
    start: int
    end: int
    raw: str
    norm: str


@dataclass
class _Site:
    index: int  # token index of the first word
    length: int  # tokens covered
    key: str  # lowercased observed word or phrase


@dataclass(frozen=True)
class _Original:
    """A candidate original of an observed word or phrase, with what is fixed about it."""

    text: str
    words: list[str]
    log_chan: float  # log P(seen | original)
    log_freq: float  # log unigram probability, summed over its words
    stopword: bool
    digit: bool


@dataclass
class _Candidate:
    rank: float
    orig: _Original
    per: list[float]  # trigram gain over the word seen, per occurrence
    is_seen: bool
    lm_gain: float  # SmolLM2 left-context gain, summed over the sites it read
    both_gain: float  # MiniLM both-sided gain, mean over occurrences
    features: list[float]  # what the learnt ranker reads (pass 2 only)


@dataclass
class _Ranking:
    rows: list[_Candidate]  # best first
    base: list[float]  # trigram log-prob of the word seen, per occurrence
    lm_sites: int  # occurrences SmolLM2 read


@dataclass
class _FirstPass:
    """Pass 1's decisions (or an earlier round's of pass 2) and the text they restore
    (``spans`` and ``in_place`` per site): what pass 2 reads."""

    decisions: dict[str, _Decision]
    slots: list[list[str]]
    seen: set[str]
    text: str
    spans: list[tuple[int, int]]
    in_place: list[str]


@dataclass
class _Decision:
    """What to do with one observed type. ``choice`` is the original put in its place, or the
    type itself when it stays; ``best`` is the best original even when not taken."""

    choice: str
    confidence: float
    features: list[float]  # what the replace model read
    best: str
    ranking: _Ranking


def _tokenize(text: str) -> list[_Token]:
    out: list[_Token] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        if line.strip():
            out.append(_Token(offset, offset, "", BOS))
            for m in TOKEN.finditer(line):
                raw = m.group()
                out.append(_Token(offset + m.start(), offset + m.end(), raw, normalize(raw)))
        offset += len(line)
    return out


# Round numbers without separators ("1000000" for million): WordNet lists them among number
# words' lemmas, and news never writes them so, but a spinner does. Other numbers are the
# author's ("2010", "35", "1,000").
SPUN_DIGITS = re.compile(r"10{3,}")


def _candidate_word(raw: str) -> bool:
    """Whether a single word may be a spinner's replacement. A lone digit 1-9 may (news
    spells those out; seed 000's spinner made "five" into "5"), and so may ``SPUN_DIGITS``."""
    if raw[:1].isdigit():
        return (len(raw) == 1 and raw != "0") or SPUN_DIGITS.fullmatch(raw) is not None
    return raw.islower() and raw[0].isalpha() and raw not in DEFAULT_STOPWORDS


class Despinner:
    """Holds the loaded resources; ``despin`` is safe to call many times."""

    def __init__(
        self,
        params: Params = PARAMS,
        table: SpinTable | None = None,
        model: NgramModel | None = None,
        weights: Weights | None = None,
        later: Weights | None = None,
    ) -> None:
        self.params = params
        self.table = table or load_table()
        self.model = model or load_model()
        self.weights = weights or load_weights()
        if later is not None:
            self.later = later
        self._cands: dict[str, list[_Original]] = {}
        self._margin: dict[str, float] = {}

    @cached_property
    def later(self) -> Weights:
        """The weights of the rounds after the first, loaded when a second round runs."""
        return load_weights(LATER_WEIGHTS_PATH) if LATER_WEIGHTS_PATH else self.weights

    @cached_property
    def lm(self) -> CausalLM | None:
        """SmolLM2 tuned for the job, loaded when the first spun text needs it: clean stories
        never pay for it."""
        return load_lm(LM_CHANGES_PATH) if self.params.w_lm else None

    @cached_property
    def encoder(self) -> SiteEncoder | None:
        """MiniLM, loaded with SmolLM2 when the first spun text needs it."""
        return load_encoder() if self.params.encoder else None

    # -- candidates -------------------------------------------------------------------------
    def channel(self, spun: str, original: str, tier: int) -> float:
        """P(spun | original): the spinner's uniform pick within a tier."""
        synonyms, linked = self.table.forward[original]
        group = linked if tier else synonyms
        other = synonyms if tier else linked
        share = self.params.linked_share if tier else 1 - self.params.linked_share
        if not other:
            share = 1.0
        return share / len(group)

    def candidates(self, key: str) -> list[_Original]:
        """Top candidate originals of ``key``, by prior (frequency times channel)."""
        hit = self._cands.get(key)
        if hit is not None:
            return hit
        scored = []
        for original, tier in self.table.reverse.get(key, ()):
            log_chan = math.log(self.channel(key, original, tier))
            words = [normalize(m.group()) for m in TOKEN.finditer(original)]
            log_freq = sum(math.log(self.model.p1(w)) for w in words)
            digit = any(ch.isdigit() for ch in original)
            stop = original in DEFAULT_STOPWORDS
            orig = _Original(original, words, log_chan, log_freq, stop, digit)
            scored.append((log_freq + log_chan, orig))
        # A spinner leaves digits alone, so they go last: "cardinal" stands for any number
        # word, and its 300 digit lemmas, common in news, would fill the top_k on their own.
        scored.sort(key=lambda row: (row[1].digit, -row[0]))
        hit = [orig for _, orig in scored[: self.params.top_k]]
        self._cands[key] = hit
        seen_p1 = sum(math.log(self.model.p1(normalize(m.group()))) for m in TOKEN.finditer(key))
        margin = max(prior for prior, _ in scored) - seen_p1 if scored else -math.inf
        self._margin[key] = margin
        return hit

    def margin(self, key: str) -> float:
        if key not in self._margin:
            self.candidates(key)
        return self._margin[key]

    # -- sites ------------------------------------------------------------------------------
    def _sites(self, text: str, toks: list[_Token]) -> list[_Site]:
        reverse = self.table.reverse
        sites: list[_Site] = []
        i = 0
        while i < len(toks):
            raw = toks[i].raw
            if not raw:
                i += 1
                continue
            # A phrase may open with a stop word ("to a lesser extent" for "less", "the great
            # unwashed" for "people"); a single word may not.
            found = None
            for size in range(min(self.table.max_words, len(toks) - i), 1, -1):
                last = toks[i + size - 1]
                span = toks[i : i + size]
                if not span[0].raw.islower() or not all(
                    t.raw and (t.raw.islower() or t.raw.isdigit()) for t in span
                ):
                    continue
                if any(text[a.end : b.start] != " " for a, b in zip(span, span[1:], strict=False)):
                    continue
                phrase = text[toks[i].start : last.end]
                if phrase in reverse:
                    found = _Site(i, size, phrase)
                    break
            if found is None and _candidate_word(raw) and raw.lower() in reverse:
                found = _Site(i, 1, raw.lower())
            if found is not None:
                sites.append(found)
                i += found.length
            else:
                i += 1
        return sites

    # -- detection --------------------------------------------------------------------------
    def doc_features(self, toks: list[_Token], sites: list[_Site]) -> list[float]:
        """Cheap document features: shares of words at sites whose best original is much more
        common than the word seen (spinners pick rare synonyms), mean trigram log-prob per word
        (spun text is surprising), and 1/sqrt(words) so short texts are judged more cautiously."""
        words = sum(1 for t in toks if t.raw) or 1
        margins = [(self.margin(s.key), s.length) for s in sites]
        low = sum(n for m, n in margins if m > self.params.prior_margin)
        high = sum(n for m, n in margins if m > self.params.prior_margin_high)
        norms = [t.norm for t in toks]
        p3 = self.model.p3
        logp = 0.0
        for i in range(2, len(norms)):
            if toks[i].raw:
                logp += math.log(p3(norms[i - 2], norms[i - 1], norms[i]))
        return [low / words, high / words, logp / words, 1 / math.sqrt(words)]

    def score(self, toks: list[_Token], sites: list[_Site]) -> float:
        return self.weights.detect.prob(self.doc_features(toks, sites))

    # -- restoration ------------------------------------------------------------------------
    def _rank(
        self,
        key: str,
        group: list[_Site],
        slots: list[list[str]],
        seen: set[str],
        lm: _ContextLM | None = None,
        both: _BothSides | None = None,
        weights: Weights | None = None,
    ) -> _Ranking | None:
        """Every candidate original of one observed type, best first. With SmolLM2's reading
        (pass 2) the learnt ranker orders them; pass 1 (and training's first stage, before a
        ranker exists) adds trigram context, channel and the seen-elsewhere penalty by hand."""
        p = self.params
        learnt = weights.rank if weights is not None and lm is not None else None
        cands = self.candidates(key)
        if not cands:
            return None
        logprob = self.model.logprob
        contexts = [_context(slots, s.index, s.length) for s in group]
        # Gains are against the word actually seen, not pass 1's choice sitting in the slots.
        seen_words = [normalize(m.group()) for m in TOKEN.finditer(key)]
        base = [logprob(left, seen_words, right) for left, right in contexts]
        rows = []
        lm_rows = lm.rows(group) if lm is not None else []
        lm_base = lm.score(lm_rows, key) if lm_rows else 0.0
        both_rows = both.rows(group) if both is not None else []
        both_base = both.scores(both_rows, key) if both_rows else None
        for orig in cands:
            per = [logprob(left, orig.words, right) - b
                   for (left, right), b in zip(contexts, base, strict=True)]  # fmt: skip
            is_seen = orig.text in seen
            lm_gain = lm.score(lm_rows, orig.text) - lm_base if lm_rows else 0.0
            both_sum = both_mean = 0.0
            if both_base is not None:
                both_gain = both.scores(both_rows, orig.text) - both_base
                both_sum, both_mean = float(both_gain.sum()), float(both_gain.mean())
            features = (_rank_features(orig, per, is_seen, lm_gain, len(lm_rows),
                                       len(seen_words), both_sum, both_mean, p.clip)
                        if lm is not None else [])  # fmt: skip
            if learnt is not None:
                rank = learnt.score(features)
            else:
                rank = (sum(per) + p.w_lm * lm_gain + p.w_channel * orig.log_chan
                        - p.seen_penalty * is_seen)  # fmt: skip
            rows.append(_Candidate(rank, orig, per, is_seen, lm_gain, both_mean, features))
        rows.sort(key=lambda row: -row.rank)
        return _Ranking(rows, base, len(lm_rows))

    def _in_doubt(self, ranking: _Ranking) -> list[str]:
        """The originals worth a right-context check: the top few, when the first does not
        lead the second by ``branch_gap``."""
        rows = ranking.rows
        if len(rows) > 1 and rows[0].rank - rows[1].rank >= self.params.branch_gap:
            return []
        return [row.orig.text for row in rows[: self.params.branch_top]]

    def _branch_gains(
        self, by_key: dict[str, list[_Site]], rankings: dict[str, _Ranking], lm: _ContextLM
    ) -> dict[str, dict[str, float]]:
        """For each type in doubt: each top original's right-context gain over the word seen,
        at the first site the model read. One batched pass for the whole document."""
        asked: dict[str, tuple[int, list[str]]] = {}
        for key, ranking in rankings.items():
            doubt = self._in_doubt(ranking)
            where = lm.where(by_key[key]) if doubt else None
            if where is not None:
                asked[key] = (where, doubt)
        scores = lm.branches([(i, w) for key, (i, doubt) in asked.items() for w in [key, *doubt]])
        return {
            key: {w: scores[(i, w)] - scores[(i, key)] for w in doubt}
            for key, (i, doubt) in asked.items()
        }

    def _features(
        self,
        key: str,
        ranking: _Ranking,
        gains: dict[str, float],
        intensity: float,
    ) -> tuple[str, list[float]]:
        """The chosen original and the features the replace model reads about it. With
        right-context gains, the original in doubt with the best rank plus weighted gain wins."""
        p, c = self.params, self.params.clip
        rows = ranking.rows
        if gains:  # the margin of the choice made, among the originals in doubt
            joint = sorted(((r.rank + p.w_branch * gains[r.orig.text], r) for r in rows
                            if r.orig.text in gains), key=lambda x: -x[0])  # fmt: skip
            best = joint[0][1]
            gap = joint[0][0] - joint[1][0] if len(joint) > 1 else c
            branch = gains[best.orig.text]
        else:
            branch = 0.0
            best = rows[0]
            gap = best.rank - rows[1].rank if len(rows) > 1 else c
        per = best.per
        total = _clip(sum(per), c)
        key_p1 = sum(math.log(self.model.p1(w)) for w in key.split())
        lm_best = _clip(max(r.lm_gain for r in rows), c)
        lm_gain = _clip(best.lm_gain, c)
        both_gain = _clip(best.both_gain, c)
        features = [
            total,
            total / len(per),
            math.log(len(per)),
            best.orig.log_chan,
            key_p1,
            best.orig.log_freq,
            float(best.is_seen),
            _clip(gap, c),
            float(" " in key),
            _clip(min(per), c),
            _clip(max(per), c),
            float(key in self.table.forward),
            float(key.isdigit()),
            math.log(len(rows)),
            _clip(sum(ranking.base) / len(ranking.base) - key_p1, c),  # word seen fits?
            _clip(self.margin(key), c),
            intensity,
            lm_gain,
            lm_gain / max(ranking.lm_sites, 1),
            lm_best - lm_gain,
            float(ranking.lm_sites > 0),
            _clip(branch, c),  # right context: the original against the word seen
            float(bool(gains)),
            _clip(max(gains.values(), default=0.0), c) - _clip(branch, c),
            both_gain,  # both-sided context: the original against the word seen
            _clip(max(r.both_gain for r in rows), c) - both_gain,
        ]
        return best.orig.text, features

    def _decide(
        self,
        sites: list[_Site],
        slots: list[list[str]],
        seen: set[str],
        weights: Weights | None = None,
        intensity: float = 0.0,
        lm: _ContextLM | None = None,
        both: _BothSides | None = None,
    ) -> dict[str, _Decision]:
        """One decision per observed type.

        ``slots`` holds the context words at each token position (empty where a restored phrase
        got shorter, several where it got longer). Pass 1 (no ``weights``) uses a fixed margin;
        pass 2 adds right-context evidence (``_in_doubt``) and asks the round's learnt models."""
        by_key: dict[str, list[_Site]] = defaultdict(list)
        for site in sites:
            by_key[site.key].append(site)
        rankings = {}
        for key, group in by_key.items():
            ranking = self._rank(key, group, slots, seen, lm, both, weights)
            if ranking is not None:
                rankings[key] = ranking
        if weights is not None and lm is not None:
            gains = self._branch_gains(by_key, rankings, lm)
        else:
            gains = {}
        out: dict[str, _Decision] = {}
        for key, ranking in rankings.items():
            if weights is not None:
                out[key] = self._replace_or_keep(
                    key, ranking, gains.get(key, {}), intensity, weights
                )
                continue
            original, features = self._features(key, ranking, {}, intensity)
            replace = features[0] + features[3] + self.params.first_pass_bias > 0
            out[key] = _Decision(original if replace else key, 1.0, features, original, ranking)
        if weights is None:
            return out
        return self._claimed(self._one_source_each(out, gains, intensity, weights))

    def _replace_or_keep(
        self,
        key: str,
        ranking: _Ranking,
        gains: dict[str, float],
        intensity: float,
        weights: Weights,
    ) -> _Decision:
        """The learnt replace model's decision about the best original of one type."""
        original, features = self._features(key, ranking, gains, intensity)
        model = weights.replace
        prob = model.prob(features)
        replace = prob >= model.threshold
        return _Decision(original if replace else key, prob, features, original, ranking)

    def _one_source_each(
        self,
        decisions: dict[str, _Decision],
        gains: dict[str, dict[str, float]],
        intensity: float,
        weights: Weights,
    ) -> dict[str, _Decision]:
        """A spinner gives each word one replacement, so two different words seen cannot both
        stand for the same original. The surest claim keeps it; each other claimant is decided
        again without the originals already taken, since its next original may be the truth
        ("bypast" wanted "gone", which "lost" stood for; "bypast" was spun from "departed")."""
        taken: set[str] = set()
        for key in sorted(decisions, key=lambda k: -decisions[k].confidence):
            decision = decisions[key]
            if decision.choice == key:
                continue
            if decision.choice in taken:
                ranking = decision.ranking
                rows = [row for row in ranking.rows if row.orig.text not in taken]
                if not rows:
                    decision.choice = decision.best = key
                    continue
                left = {w: g for w, g in gains.get(key, {}).items() if w not in taken}
                decision = decisions[key] = self._replace_or_keep(
                    key, _Ranking(rows, ranking.base, ranking.lm_sites), left, intensity, weights
                )
            if decision.choice != key:
                taken.add(decision.choice)
        return decisions

    def _claimed(self, decisions: dict[str, _Decision]) -> dict[str, _Decision]:
        """A spinner replaces a word everywhere it occurs, so once a type is restored to word X,
        the author's X's are gone and the X's seen are replacements too. A type X the replace
        model left alone is then replaced by its best original, if no other type took that, at
        the lower bar ``Params.claimed_threshold``; each word so replaced may claim another.
        On development spins this restored 0.2-0.4 points more spun tokens and changed no more clean
        ones (docs/despin.md, version 12)."""
        taken = {d.choice for key, d in decisions.items() if d.choice != key}
        order = sorted(decisions, key=lambda k: -decisions[k].confidence)
        grew = True
        while grew:
            grew = False
            for key in order:
                decision = decisions[key]
                if (decision.choice == key and key in taken and decision.best not in taken
                        and decision.confidence >= self.params.claimed_threshold):  # fmt: skip
                    decision.choice = decision.best
                    taken.add(decision.best)
                    grew = True
        return decisions

    def first_pass(self, text: str, toks: list[_Token], sites: list[_Site]) -> _FirstPass:
        """Pass 1 (trigram context, hand-set margin) and the text it restores: the context
        that SmolLM2 and MiniLM read in pass 2."""
        slots = [[t.norm] for t in toks]
        covered = {j for s in sites for j in range(s.index, s.index + s.length)}
        # Words left as they were. Only those followed by a space count: seed 000's spinner
        # never touched a word with punctuation after it ("gang" at a line end, "scandal?").
        seen = {
            t.raw
            for j, t in enumerate(toks)
            if t.raw.islower() and j not in covered and text[t.end : t.end + 1] == " "
        }
        return self._restored(text, toks, sites, self._decide(sites, slots, seen), seen)

    def _restored(
        self,
        text: str,
        toks: list[_Token],
        sites: list[_Site],
        decisions: dict[str, _Decision],
        seen: set[str],
    ) -> _FirstPass:
        """The text ``decisions`` restore, with its context slots and each site's span in it:
        what pass 2 reads."""
        slots = [[t.norm] for t in toks]
        pieces: list[str] = []
        spans: list[tuple[int, int]] = []
        in_place: list[str] = []
        cursor = length = 0
        for site in sites:
            a, b = toks[site.index].start, toks[site.index + site.length - 1].end
            choice = decisions[site.key].choice if site.key in decisions else site.key
            if choice != site.key:
                slots[site.index] = [normalize(m.group()) for m in TOKEN.finditer(choice)]
                for j in range(site.index + 1, site.index + site.length):
                    slots[j] = []
            piece = text[a:b] if choice == site.key else choice
            pieces.append(text[cursor:a])
            length += a - cursor
            pieces.append(piece)
            spans.append((length, length + len(piece)))
            in_place.append(choice)
            length += len(piece)
            cursor = b
        pieces.append(text[cursor:])
        return _FirstPass(decisions, slots, seen, "".join(pieces), spans, in_place)

    def analyse(self, text: str, force: bool = False):
        """Tokens, sites, score and per-type decisions (``force`` skips the gate; for training)."""
        toks = _tokenize(text)
        sites = self._sites(text, toks)
        score = self.score(toks, sites)
        if not sites or (score < self.weights.detect.threshold and not force):
            return toks, sites, score, None
        fp = self.first_pass(text, toks, sites)
        # Share of site types pass 1 replaced: how hard this document was spun.
        intensity = sum(d.choice != k for k, d in fp.decisions.items()) / max(len(fp.decisions), 1)
        final = self._second_pass(sites, fp, intensity, self.weights)
        for _ in range(self.params.rounds - 1):
            # A spinner's neighbouring words are spun too: read again with them restored.
            fp = self._restored(text, toks, sites, final, fp.seen)
            final = self._second_pass(sites, fp, intensity, self.later)
        return toks, sites, score, final

    def _second_pass(
        self, sites: list[_Site], fp: _FirstPass, intensity: float, weights: Weights
    ) -> dict[str, _Decision]:
        """Pass 2 over the restoration ``fp``: SmolLM2 and MiniLM read it, then the learnt
        models decide every type."""
        lm = (_ContextLM(self.lm, fp.text, sites, fp.spans, self.params)
              if self.lm is not None else None)  # fmt: skip
        both = _BothSides(self.encoder, fp, sites) if self.encoder is not None else None
        return self._decide(sites, fp.slots, fp.seen, weights, intensity, lm, both)

    def despin(self, text: str) -> DespinResult:
        toks, sites, score, decisions = self.analyse(text)
        if decisions is None:
            return DespinResult(text=text, score=score, spun=False, repairs=[])
        return self._apply(text, toks, sites, decisions, score)

    def _apply(self, text, toks, sites, decisions, score) -> DespinResult:
        repairs: list[Repair] = []
        suspects: list[Suspect] = []
        pieces: list[str] = []
        cursor = 0
        for site in sites:
            decision = decisions.get(site.key)
            if decision is None:
                continue
            start = toks[site.index].start
            end = toks[site.index + site.length - 1].end
            observed = text[start:end]
            if decision.choice == site.key:
                if decision.best != site.key and decision.confidence >= self.params.suspect_floor:
                    likely = _case_like(observed, decision.best)
                    suspects.append(
                        Suspect(start, end, observed, likely, round(decision.confidence, 4))
                    )
                continue
            choice = _case_like(observed, decision.choice)
            repairs.append(Repair(start, end, observed, choice, round(decision.confidence, 4)))
            pieces.append(text[cursor:start])
            pieces.append(choice)
            cursor = end
        pieces.append(text[cursor:])
        return DespinResult("".join(pieces), score, True, repairs, suspects)


def _case_like(observed: str, word: str) -> str:
    """``word`` capitalised when the word it stands in for was (a sentence's first word)."""
    return word[:1].upper() + word[1:] if observed[:1].isupper() else word


def _clip(x: float, limit: float) -> float:
    """``x`` held within +-``limit``: log-probability gains are huge where a model never saw a
    word, and ``exp`` overflows on them."""
    return max(-limit, min(limit, x))


def _rank_features(
    orig: _Original,
    per: list[float],
    is_seen: bool,
    lm_gain: float,
    lm_sites: int,
    seen_words: int,
    both_sum: float,
    both_mean: float,
    clip: float,
) -> list[float]:
    """``RANK_FEATURES`` of one candidate original."""
    total = sum(per)
    return [
        _clip(total, clip),
        _clip(total / len(per), clip),
        _clip(min(per), clip),
        _clip(max(per), clip),
        _clip(lm_gain, clip),
        _clip(lm_gain / max(lm_sites, 1), clip),
        orig.log_chan,
        float(is_seen),
        orig.log_freq,
        float(len(orig.words) - seen_words),
        float(len(orig.words) == 1),
        float(orig.stopword),
        float(orig.digit),
        _clip(both_sum, clip),
        _clip(both_mean, clip),
    ]


class _BothSides:
    """MiniLM's reading of the first-pass restoration: a vector per site, against which each
    candidate is scored; ``keep`` terms add the head's learnt preference for the word seen and
    for the word pass 1 left in place."""

    def __init__(self, encoder: SiteEncoder, first: _FirstPass, sites: list[_Site]) -> None:
        self.encoder = encoder
        self.vectors = encoder.read(first.text, first.spans)
        self._row = {site.index: row for row, site in enumerate(sites)}
        self._in_place = first.in_place
        self._sites = sites

    def rows(self, group: list[_Site]) -> list[int]:
        return [self._row[s.index] for s in group]

    def scores(self, rows: list[int], word: str) -> np.ndarray:
        """The head's score of ``word`` at each of the rows' sites."""
        keep = self.encoder.head.keep
        out = self.encoder.scores(self.vectors[rows], word)
        if word == self._sites[rows[0]].key:
            out = out + keep[0]
        return out + keep[1] * np.array([self._in_place[r] == word for r in rows])


class _ContextLM:
    """SmolLM2 over the first-pass restoration, read once per chunk of text.

    Two kinds of evidence come from that one reading. For every site, the distribution of the
    token after the restored text to its left scores each candidate original by its first
    sub-word with a lookup (long left context the trigram's window lacks). For the types in
    doubt, ``branches`` scores the top candidates and the word seen written in place, together
    with the next words after them, as continuations of the same cached reading: the right
    context that tells "child sexual abuse" from "kid sexual abuse". The word the first pass
    left in place is read from the reading itself, at no cost."""

    def __init__(self, lm: CausalLM, restored: str, sites: list[_Site],
                 spans: list[tuple[int, int]], params: Params) -> None:  # fmt: skip
        self.lm = lm
        # site token index -> (table row, space before, chunk, prefix row, words after it)
        self._site: dict[int, tuple[int, bool, int, int, str]] = {}
        self._prefixes: list[Prefix | None] = []
        blocks = []
        offset = row_base = 0
        site_iter = iter((site, a, b) for site, (a, b) in zip(sites, spans, strict=True))
        pending = next(site_iter, None)
        for chunk in _chunks(restored, params.lm_chunk_chars):
            ids, offsets = lm.encode(chunk)
            by_start = {a: j for j, (a, _b) in enumerate(offsets) if j}
            wanted = []
            while pending is not None and pending[1] < offset + len(chunk):
                site, start, end = pending
                local = start - offset
                after = _words_after(chunk, end - offset, params.right_words)
                if local - 1 in by_start and chunk[local - 1] == " ":
                    wanted.append((site.index, by_start[local - 1] - 1, True, after))
                elif local in by_start:
                    wanted.append((site.index, by_start[local] - 1, False, after))
                pending = next(site_iter, None)
            if wanted:
                prefix = lm.read(ids)
                # Branches need a chunk's attention cache (~30 MB): a long document keeps its
                # first few, and types first seen later go without right context.
                self._prefixes.append(prefix if len(self._prefixes) < BRANCH_CHUNKS else None)
                blocks.append(lm.next_token_logprobs(prefix, [w[1] for w in wanted]))
                for k, (index, row, space, after) in enumerate(wanted):
                    self._site[index] = (row_base + k, space, len(self._prefixes) - 1, row, after)
                row_base += len(wanted)
            offset += len(chunk)
        self.table = np.concatenate(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)

    def rows(self, group: list[_Site]) -> list[tuple[int, bool]]:
        return [self._site[s.index][:2] for s in group if s.index in self._site]

    def score(self, rows: list[tuple[int, bool]], word: str) -> float:
        first = self.lm.first_token
        return float(sum(self.table[r, first(" " + word if sp else word)] for r, sp in rows))

    def where(self, group: list[_Site]) -> int | None:
        """The first site of a type whose reading is kept for branches (its token index)."""
        return next((s.index for s in group if s.index in self._site
                     and self._prefixes[self._site[s.index][2]] is not None), None)  # fmt: skip

    def branches(self, asked: list[tuple[int, str]]) -> dict[tuple[int, str], float]:
        """log P(word and the words after the site | text before it) for each (site, word),
        one batched pass per chunk."""
        by_chunk: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for index, word in asked:
            by_chunk[self._site[index][2]].append((index, word))
        out: dict[tuple[int, str], float] = {}
        for chunk, items in by_chunk.items():
            texts, rows = [], []
            for index, word in items:
                _, space, _, row, after = self._site[index]
                texts.append((" " if space else "") + word + after)
                rows.append(row)
            branches = list(zip(rows, self.lm.token_ids(texts), strict=True))
            prefix = self._prefixes[chunk]
            assert prefix is not None  # ``where`` only offers sites of kept chunks
            scores = self.lm.branch_logprobs(prefix, branches)
            out.update(zip(items, scores, strict=True))
        return out


def _words_after(text: str, end: int, n: int) -> str:
    """What follows a site up to ``n`` words, within its line: punctuation stuck to the site
    stays with it. Matched in place, since it runs for every site of a chunk."""
    return _after_pattern(n).match(text, end).group()


@lru_cache(maxsize=4)
def _after_pattern(n: int) -> re.Pattern[str]:
    return re.compile(rf"[^\s]*(?:[^\S\n]+[^\s]+){{0,{n}}}")


def _chunks(text: str, limit: int) -> list[str]:
    """Split at line ends into pieces of at most ``limit`` characters; a longer line is cut
    at spaces (the model takes at most 8k tokens, and cost grows with length)."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit) + 1 or limit
            pieces.append(line[:cut])
            line = line[cut:]
        pieces.append(line)
    out: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece) > limit:
            out.append(current)
            current = ""
        current += piece
    if current:
        out.append(current)
    return out


def _context(slots: list[list[str]], index: int, length: int) -> tuple[tuple[str, str], tuple]:
    """Two words left and two right of a site, read through restored slots."""
    left: list[str] = []
    j = index - 1
    while j >= 0 and len(left) < 2:
        left[:0] = slots[j][-(2 - len(left)) :]
        j -= 1
    while len(left) < 2:
        left.insert(0, BOS)
    right: list[str] = []
    j = index + length
    while j < len(slots) and len(right) < 2:
        right.extend(slots[j][: 2 - len(right)])
        j += 1
    return (left[0], left[1]), tuple(right)


@lru_cache(maxsize=2)
def default_despinner(rounds: int = PARAMS.rounds) -> Despinner:
    return Despinner(dataclasses.replace(PARAMS, rounds=rounds))


def despin(text: str, rounds: int = PARAMS.rounds) -> DespinResult:
    """Repair one document; clean text comes back byte-identical with spun=False. ``rounds=2``
    restores a little more of a spun text at half the speed (``Params.rounds``)."""
    return default_despinner(rounds).despin(text)


def despin_many(texts: list[str]) -> list[DespinResult]:
    """Batch form: the resources load once and the per-word candidate caches are shared."""
    engine = default_despinner()
    return [engine.despin(t) for t in texts]


def to_json(result: DespinResult) -> dict:
    """The repair log as ``storycheck despin --json`` prints it (confidences and suspicions are
    rounded when the words are made, in ``Despinner._apply``)."""
    return {
        "score": round(result.score, 4),
        "spun": result.spun,
        "repairs": [dataclasses.asdict(r) for r in result.repairs],
        "suspects": [dataclasses.asdict(s) for s in result.suspects],
    }
