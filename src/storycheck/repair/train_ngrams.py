"""Build the despinner's trigram counts from the training split of bbc-news.

Usage: ``python -m storycheck.repair.train_ngrams PATH_TO_BBC_NEWS [--extra DIR ...]``. Only
bbc-news articles outside the held-out split are read; ``--extra`` adds other clean news folders
(the shipped model also read polnear's train and dev text, never its test compartment).
N-grams seen once are dropped (MIN_COUNT): they are most of the distinct n-grams but little of
the evidence, and keeping them would make the shipped file
large and closer to a copy of the articles.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from storycheck.repair import ngram
from storycheck.repair.corpus import articles

MIN_COUNT = 2


def texts(root: Path, extra: list[Path]):
    for _, text in articles(root, "ngram"):
        yield text
    for folder in extra:
        for path in sorted(folder.rglob("*.txt")):
            try:
                yield path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def build(root: Path, out: Path, extra: list[Path] = ()) -> None:
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    tri: Counter[tuple[str, str, str]] = Counter()
    for text in texts(root, list(extra)):
        toks = ngram.context_tokens(text)
        uni.update(toks)
        bi.update(zip(toks, toks[1:], strict=False))
        tri.update(zip(toks, toks[1:], toks[2:], strict=False))
    vocab = sorted(w for w, c in uni.items() if c >= MIN_COUNT)
    ids = {w: i for i, w in enumerate(vocab)}
    size = len(vocab)
    hist_count = [0] * size
    hist_types = [0] * size
    for (a, _b), c in bi.items():
        if a in ids:
            hist_count[ids[a]] += c
            hist_types[ids[a]] += 1
    bi_hist_types: Counter[tuple[str, str]] = Counter()
    for a, b, _c in tri:
        bi_hist_types[(a, b)] += 1
    bi_rows = sorted(
        (ids[a] * size + ids[b], c, 0, bi_hist_types[(a, b)])
        for (a, b), c in bi.items()
        if c >= MIN_COUNT and a in ids and b in ids
    )
    tri_rows = sorted(
        ((ids[a] * size + ids[b]) * size + ids[c], n)
        for (a, b, c), n in tri.items()
        if n >= MIN_COUNT and a in ids and b in ids and c in ids
    )
    # The bigram table doubles as the trigram history table: (count as history, followers).
    ngram.save(
        out,
        vocab,
        hist_count,
        hist_types,
        [r[0] for r in bi_rows],
        [r[1] for r in bi_rows],
        [r[3] for r in bi_rows],
        [r[0] for r in tri_rows],
        [r[1] for r in tri_rows],
    )
    print(f"{len(vocab)} words, {len(bi_rows)} bigrams, {len(tri_rows)} trigrams -> {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bbc", type=Path, help="path to the bbc-news folder")
    parser.add_argument("--out", type=Path, default=ngram.MODEL_PATH)
    parser.add_argument(
        "--extra", type=Path, nargs="*", default=[],
        help="more folders of clean news *.txt (e.g. polnear/train/text polnear/dev/text)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    build(args.bbc, args.out, args.extra)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
