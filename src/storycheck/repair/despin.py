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
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from storycheck.errors import MissingResourceError
from storycheck.models.lm import CausalLM, load_lm
from storycheck.repair.ngram import BOS, TOKEN, NgramModel, load_model, normalize
from storycheck.repair.spinner import DEFAULT_STOPWORDS
from storycheck.repair.wordnet import SpinTable, load_table


@dataclass(frozen=True)
class Params:
    """Every hand-set weight and threshold of the despinner, in one place.

    Set by a grid search on spins of the bbc-news *training* split (seeds 1000-1023; see
    docs/despin.md), then checked on held-out articles with unseen seeds by
    ``bench/despin_bbc.py``. The learnt weights (which types to replace, document score) live in
    ``data/despin-weights-v1.json``, written by ``python -m storycheck.repair.train_despin``.
    """

    linked_share: float = 0.3  # assumed share of replacements from linked synsets (channel)
    top_k: int = 40  # candidate originals kept per site, by prior
    w_channel: float = 1.0  # weight of log P(spun | original) when ranking originals
    w_lm: float = 1.0  # weight of SmolLM2's left-context evidence when ranking (0: not loaded)
    lm_chunk_chars: int = 6000  # text per LM forward pass (~1,300 tokens; the model allows 8k)
    seen_penalty: float = 4.0  # original also occurs unchanged in the document
    first_pass_bias: float = 3.0  # pass 1 (context for pass 2) replaces when gain > -this
    digit_penalty: float = 3.0  # a lone digit needs this much more evidence to become a word
    prior_margin: float = 2.0  # detection: a site whose best original is this much likelier
    prior_margin_high: float = 5.0  # ... and a clearer one (log-odds, natural log)
    clip: float = 50.0  # log-prob gains are clipped to this before the classifier


PARAMS = Params()
# The pipeline reruns the despin stage when this changes: bump it with the weights or Params.
VERSION = 1
WEIGHTS_PATH = Path(__file__).parent / "data" / "despin-weights-v1.json"


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
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


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
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))

    @classmethod
    def from_json(cls, data: dict) -> Trees:
        trees = tuple(
            tuple((int(f), float(t), int(a), int(b), float(v), bool(leaf))
                  for f, t, a, b, v, leaf in tree)
            for tree in data["trees"]
        )  # fmt: skip
        return cls(trees=trees, baseline=float(data["baseline"]), threshold=data["threshold"])


@dataclass(frozen=True)
class Weights:
    replace: Trees | Logistic  # per word type: was it spun (and is the best original right)?
    detect: Logistic  # per document: is it spun?


def load_weights(path: Path = WEIGHTS_PATH) -> Weights:
    if not path.is_file():
        raise MissingResourceError(f"despinner weights missing at {path}: reinstall storycheck")
    data = json.loads(path.read_text(encoding="utf-8"))
    return Weights(
        replace=Trees.from_json(data["replace"]),
        detect=Logistic(**{k: (tuple(v) if isinstance(v, list) else v)
                           for k, v in data["detect"].items()}),
    )  # fmt: skip


@dataclass(frozen=True)
class Repair:
    start: int  # offsets into the input text
    end: int
    observed: str
    restored: str
    confidence: float


@dataclass(frozen=True)
class DespinResult:
    text: str
    score: float
    spun: bool
    repairs: list[Repair]


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


def _candidate_word(raw: str) -> bool:
    if len(raw) == 1 and raw.isdigit():
        return raw != "0"
    return raw.islower() and raw[0].isalpha() and raw not in DEFAULT_STOPWORDS


class Despinner:
    """Holds the loaded resources; ``despin`` is safe to call many times."""

    def __init__(
        self,
        params: Params = PARAMS,
        table: SpinTable | None = None,
        model: NgramModel | None = None,
        weights: Weights | None = None,
    ) -> None:
        self.params = params
        self.table = table or load_table()
        self.model = model or load_model()
        self.weights = weights or load_weights()
        self._cands: dict[str, list[tuple[str, list[str], float]]] = {}
        self._margin: dict[str, float] = {}

    @cached_property
    def lm(self) -> CausalLM | None:
        """SmolLM2, loaded when the first spun text needs it: clean stories never pay for it."""
        return load_lm() if self.params.w_lm else None

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

    def candidates(self, key: str) -> list[tuple[str, list[str], float]]:
        """Top candidate originals of ``key``: (original, its tokens, log channel)."""
        hit = self._cands.get(key)
        if hit is not None:
            return hit
        scored = []
        for original, tier in self.table.reverse.get(key, ()):
            log_chan = math.log(self.channel(key, original, tier))
            words = [normalize(m.group()) for m in TOKEN.finditer(original)]
            prior = sum(math.log(self.model.p1(w)) for w in words) + log_chan
            scored.append((prior, original, words, log_chan))
        scored.sort(key=lambda row: -row[0])
        hit = [(o, w, c) for _, o, w, c in scored[: self.params.top_k]]
        self._cands[key] = hit
        seen_p1 = sum(math.log(self.model.p1(normalize(m.group()))) for m in TOKEN.finditer(key))
        margin = scored[0][0] - seen_p1 if scored else -math.inf
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
            if not raw or not _candidate_word(raw):
                i += 1
                continue
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
            if found is None and raw.lower() in reverse:
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
        intensity: float,
        lm: _LeftLM | None = None,
    ) -> tuple[str, list[float]] | None:
        """Best original for one observed type, and the features the replace model reads."""
        p = self.params
        cands = self.candidates(key)
        if not cands:
            return None
        logprob = self.model.logprob
        contexts = [_context(slots, s.index, s.length) for s in group]
        # Gains are against the word actually seen, not pass 1's choice sitting in the slots.
        seen_words = [normalize(m.group()) for m in TOKEN.finditer(key)]
        base = [logprob(left, seen_words, right) for left, right in contexts]
        ranked = []
        lm_rows = lm.rows(group) if lm is not None else []
        lm_base = lm.score(lm_rows, key) if lm_rows else 0.0
        lm_best = -p.clip
        for original, words, log_chan in cands:
            per = [logprob(left, words, right) - b
                   for (left, right), b in zip(contexts, base, strict=True)]  # fmt: skip
            is_seen = original in seen
            lm_gain = lm.score(lm_rows, original) - lm_base if lm_rows else 0.0
            lm_best = max(lm_best, lm_gain)
            rank = (sum(per) + p.w_lm * lm_gain + p.w_channel * log_chan
                    - p.seen_penalty * is_seen)  # fmt: skip
            if key.isdigit():
                rank -= p.digit_penalty
            ranked.append((rank, original, words, log_chan, per, is_seen, lm_gain))
        ranked.sort(key=lambda row: -row[0])
        rank, original, words, log_chan, per, is_seen, lm_gain = ranked[0]
        gap = rank - ranked[1][0] if len(ranked) > 1 else p.clip
        c = p.clip
        total = max(-c, min(c, sum(per)))
        key_p1 = sum(math.log(self.model.p1(w)) for w in key.split())
        orig_p1 = sum(math.log(self.model.p1(w)) for w in words)
        features = [
            total,
            total / len(per),
            math.log(len(per)),
            log_chan,
            key_p1,
            orig_p1,
            float(is_seen),
            min(c, gap),
            float(" " in key),
            max(-c, min(c, min(per))),
            max(-c, min(c, max(per))),
            float(key in self.table.forward),
            float(key.isdigit()),
            math.log(len(cands)),
            max(-c, min(c, sum(base) / len(base) - key_p1)),  # how well the word seen fits
            max(-c, min(c, self.margin(key))),
            intensity,
            max(-c, min(c, lm_gain)),
            max(-c, min(c, lm_gain)) / max(len(lm_rows), 1),
            max(-c, min(c, lm_best)) - max(-c, min(c, lm_gain)),
            float(len(lm_rows) > 0),
        ]
        return original, features

    def _decide(
        self,
        sites: list[_Site],
        slots: list[list[str]],
        seen: set[str],
        final: bool,
        intensity: float = 0.0,
        lm: _LeftLM | None = None,
    ) -> dict[str, tuple[str, float, list[float], str]]:
        """One decision per observed type: (original or the key itself, confidence, features,
        best original even when not taken).

        ``slots`` holds the context words at each token position (empty where a restored phrase
        got shorter, several where it got longer). The first pass uses a fixed margin; the final
        pass asks the learnt replace model."""
        by_key: dict[str, list[_Site]] = defaultdict(list)
        for site in sites:
            by_key[site.key].append(site)
        out: dict[str, tuple[str, float, list[float], str]] = {}
        for key, group in by_key.items():
            ranked = self._rank(key, group, slots, seen, intensity, lm)
            if ranked is None:
                continue
            original, features = ranked
            if final:
                prob = self.weights.replace.prob(features)
                replace = prob >= self.weights.replace.threshold
            else:
                prob = 1.0
                replace = features[0] + features[3] + self.params.first_pass_bias > 0
            out[key] = (original if replace else key, prob, features, original)
        return out

    def analyse(self, text: str, force: bool = False):
        """Tokens, sites, score and per-type decisions (``force`` skips the gate; for training)."""
        toks = _tokenize(text)
        sites = self._sites(text, toks)
        score = self.score(toks, sites)
        if not sites or (score < self.weights.detect.threshold and not force):
            return toks, sites, score, None
        slots = [[t.norm] for t in toks]
        covered = {j for s in sites for j in range(s.index, s.index + s.length)}
        # Words left as they were. Only those followed by a space count: seed 000's spinner
        # never touched a word with punctuation after it ("gang" at a line end, "scandal?").
        seen = {
            t.raw
            for j, t in enumerate(toks)
            if t.raw.islower() and j not in covered and text[t.end : t.end + 1] == " "
        }
        first = self._decide(sites, slots, seen, final=False)
        # Share of site types pass 1 replaced: how hard this document was spun.
        intensity = sum(v[0] != k for k, v in first.items()) / max(len(first), 1)
        for site in sites:
            choice = first.get(site.key, (site.key,))[0]
            if choice != site.key:
                slots[site.index] = [normalize(m.group()) for m in TOKEN.finditer(choice)]
                for j in range(site.index + 1, site.index + site.length):
                    slots[j] = []
        lm = _LeftLM(self.lm, text, toks, sites, first) if self.lm is not None else None
        final = self._decide(sites, slots, seen, True, intensity, lm)
        return toks, sites, score, _one_source_each(final)

    def despin(self, text: str) -> DespinResult:
        toks, sites, score, decisions = self.analyse(text)
        if decisions is None:
            return DespinResult(text=text, score=score, spun=False, repairs=[])
        return self._apply(text, toks, sites, decisions, score)

    def _apply(self, text, toks, sites, decisions, score) -> DespinResult:
        repairs: list[Repair] = []
        pieces: list[str] = []
        cursor = 0
        for site in sites:
            choice, confidence = decisions[site.key][:2] if site.key in decisions else (site.key, 1)
            if choice == site.key:
                continue
            start = toks[site.index].start
            end = toks[site.index + site.length - 1].end
            observed = text[start:end]
            if observed[:1].isupper():
                choice = choice[:1].upper() + choice[1:]
            repairs.append(Repair(start, end, observed, choice, round(confidence, 4)))
            pieces.append(text[cursor:start])
            pieces.append(choice)
            cursor = end
        pieces.append(text[cursor:])
        return DespinResult(text="".join(pieces), score=score, spun=True, repairs=repairs)


def _one_source_each(decisions: dict) -> dict:
    """A spinner gives each word one replacement, so two different words seen cannot both
    stand for the same original: keep the more confident claim, leave the others."""
    claims: dict[str, list[str]] = defaultdict(list)
    for key, (choice, *_rest) in decisions.items():
        if choice != key:
            claims[choice].append(key)
    for keys in claims.values():
        if len(keys) > 1:
            keys.sort(key=lambda k: -decisions[k][1])
            for loser in keys[1:]:
                _, prob, features, best = decisions[loser]
                decisions[loser] = (loser, prob, features, best)
    return decisions


class _LeftLM:
    """SmolLM2's next-word distributions over the first-pass restoration, one forward pass per
    chunk. For each site it keeps the distribution predicting the site's first token from the
    (restored) text before it, so every candidate original is scored with one lookup: the log
    probability of its first sub-word. That adds long left context to the trigram's window."""

    def __init__(self, lm: CausalLM, text: str, toks: list[_Token], sites: list[_Site],
                 first: dict) -> None:  # fmt: skip
        import numpy as np

        self.lm = lm
        pieces: list[str] = []
        starts: list[int] = []
        cursor = length = 0
        for site in sites:
            a, b = toks[site.index].start, toks[site.index + site.length - 1].end
            choice = first[site.key][0] if site.key in first else site.key
            piece = text[a:b] if choice == site.key else choice
            pieces.append(text[cursor:a])
            length += a - cursor
            starts.append(length)
            pieces.append(piece)
            length += len(piece)
            cursor = b
        pieces.append(text[cursor:])
        restored = "".join(pieces)
        self._row: dict[int, tuple[int, bool]] = {}  # site token index -> (row, space before)
        blocks = []
        offset = row_base = 0
        site_iter = iter(zip(sites, starts, strict=True))
        pending = next(site_iter, None)
        for chunk in _chunks(restored, PARAMS.lm_chunk_chars):
            ids, offsets = lm.encode(chunk)
            by_start = {a: j for j, (a, _b) in enumerate(offsets) if j}
            wanted = []
            while pending is not None and pending[1] < offset + len(chunk):
                site, start = pending
                local = start - offset
                if local - 1 in by_start and chunk[local - 1] == " ":
                    wanted.append((site.index, by_start[local - 1] - 1, True))
                elif local in by_start:
                    wanted.append((site.index, by_start[local] - 1, False))
                pending = next(site_iter, None)
            if wanted:
                blocks.append(lm.next_token_logprobs(ids, [w[1] for w in wanted]))
                for k, (index, _row, space) in enumerate(wanted):
                    self._row[index] = (row_base + k, space)
                row_base += len(wanted)
            offset += len(chunk)
        self.table = np.concatenate(blocks) if blocks else np.zeros((0, 1), dtype=np.float32)
        self._ids: dict[tuple[str, bool], int] = {}

    def rows(self, group: list[_Site]) -> list[tuple[int, bool]]:
        return [self._row[s.index] for s in group if s.index in self._row]

    def first_id(self, word: str, space: bool) -> int:
        key = (word, space)
        hit = self._ids.get(key)
        if hit is None:
            ids = self.lm.tokenizer((" " if space else "") + word, add_special_tokens=False)
            hit = self._ids[key] = ids["input_ids"][0]
        return hit

    def score(self, rows: list[tuple[int, bool]], word: str) -> float:
        return float(sum(self.table[r, self.first_id(word, sp)] for r, sp in rows))


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


@lru_cache(maxsize=1)
def default_despinner() -> Despinner:
    return Despinner()


def despin(text: str) -> DespinResult:
    """Repair one document; clean text comes back byte-identical with spun=False."""
    return default_despinner().despin(text)


def despin_many(texts: list[str]) -> list[DespinResult]:
    """Batch form: the resources load once and the per-word candidate caches are shared."""
    engine = default_despinner()
    return [engine.despin(t) for t in texts]


def to_json(result: DespinResult) -> dict:
    """The repair log as ``storycheck despin --json`` prints it."""
    return {
        "score": round(result.score, 4),
        "spun": result.spun,
        "repairs": [
            {
                "start": r.start,
                "end": r.end,
                "observed": r.observed,
                "restored": r.restored,
                "confidence": round(r.confidence, 4),
            }
            for r in result.repairs
        ],
    }
