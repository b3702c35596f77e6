"""WordNet set-up (an install step) and the spin-relation table used at run time.

Debian's ``wordnet-base`` ships the WordNet 3.0 database under /usr/share/wordnet but omits the
``lexnames`` file nltk's reader needs, and nltk only searches its own data path. The install step
``python -m storycheck.repair.wordnet`` therefore copies the Debian files (about 28 MB) into
``sys.prefix/share/nltk_data/corpora/wordnet`` (on nltk's default path inside a virtualenv),
writes ``lexnames``, and compiles the *spin table*: for every lemma, the words a WordNet-driven
spinner could put in its place. Reading that table is a fast pickle load, where walking all
117k synsets through nltk takes half a minute, so run time never touches nltk.

The step is idempotent: run it again and it only replaces what is missing or stale.
"""

from __future__ import annotations

import argparse
import pickle
import re
import shutil
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from storycheck.errors import MissingResourceError
from storycheck.models import data_dir

INSTALL_HINT = (
    "run the install step `bash setup.sh` (it runs `python -m storycheck.repair.wordnet` after "
    "`apt-get install wordnet-base`)"
)
DEBIAN_WORDNET = Path("/usr/share/wordnet")
WORDNET_FILES = (
    "data.noun", "data.verb", "data.adj", "data.adv",
    "index.noun", "index.verb", "index.adj", "index.adv",
    "noun.exc", "verb.exc", "adj.exc", "adv.exc",
)  # fmt: skip
# The 45 lexicographer files of WordNet 3.0, in their numbered order (lexnames(5WN)); the third
# column is the syntactic category (1 noun, 2 verb, 3 adjective, 4 adverb).
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food "
    "noun.group noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl "
).split()  # noqa: SIM905
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
TABLE_VERSION = 1
# Lemmas spinners emit are plain words; drop entries with odd characters or very long phrases.
_LEMMA_OK = re.compile(r"^[a-z0-9][a-z0-9' -]*$")
MAX_PHRASE_WORDS = 5


def nltk_wordnet_dir() -> Path:
    return Path(sys.prefix) / "share" / "nltk_data" / "corpora" / "wordnet"


def table_path() -> Path:
    return data_dir() / f"spin-wordnet-v{TABLE_VERSION}.pkl"


def lexnames_text() -> str:
    lines = []
    for number, name in enumerate(LEXNAMES):
        lines.append(f"{number:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}")
    return "\n".join(lines) + "\n"


def _synset_lines(path: Path):
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("  "):
                yield line.split(" | ")[0].split()


def sense_index_text(root: Path) -> str:
    """Rebuild ``index.sense`` (Debian omits it; nltk reads it when it opens WordNet).

    Each line is ``lemma%ss_type:lex_filenum:lex_id:head_word:head_id offset sense_number
    tag_count``; nltk uses only the key and the offset, so sense numbers are written as 1 and
    tag counts as 0. Satellite adjectives carry the first word of their head synset.
    """
    ss_number = {"n": 1, "v": 2, "a": 3, "r": 4, "s": 5}
    heads: dict[str, tuple[str, str]] = {}
    for fields in _synset_lines(root / "data.adj"):
        if fields[2] == "a":
            heads[fields[0]] = (fields[4].lower(), str(int(fields[5], 16)).zfill(2))
    lines = []
    for pos in ("noun", "verb", "adj", "adv"):
        for fields in _synset_lines(root / f"data.{pos}"):
            offset, lex_filenum, ss_type, count = fields[0], fields[1], fields[2], fields[3]
            words = fields[4 : 4 + 2 * int(count, 16)]
            head = ("", "")
            if ss_type == "s":
                rest = fields[4 + 2 * int(count, 16) :]
                for i in range(1, len(rest) - 3, 4):
                    if rest[i] == "&":
                        head = heads.get(rest[i + 1], ("", ""))
                        break
            for word, lex_id in zip(words[::2], words[1::2], strict=True):
                lemma = re.sub(r"\(.*\)$", "", word).lower()
                key = (
                    f"{lemma}%{ss_number[ss_type]}:{lex_filenum}:{str(int(lex_id, 16)).zfill(2)}"
                    f":{head[0]}:{head[1]}"
                )
                lines.append(f"{key} {offset} 1 0")
    lines.sort()
    return "\n".join(lines) + "\n"


def install_nltk_wordnet(source: Path = DEBIAN_WORDNET, target: Path | None = None) -> Path:
    """Copy the Debian WordNet files where nltk looks and write the missing ``lexnames``."""
    target = target or nltk_wordnet_dir()
    missing = [name for name in WORDNET_FILES if not (source / name).is_file()]
    if missing:
        raise MissingResourceError(
            f"WordNet files missing under {source} ({', '.join(missing)}): "
            "install Debian's wordnet-base first, then " + INSTALL_HINT
        )
    target.mkdir(parents=True, exist_ok=True)
    for name in WORDNET_FILES:
        # Copies, not symlinks: nltk refuses files whose real path leaves its data root.
        copy, original = target / name, source / name
        if copy.is_symlink():
            copy.unlink()
        if copy.is_file() and copy.stat().st_size == original.stat().st_size:
            continue
        shutil.copyfile(original, copy)
    sense_index = target / "index.sense"
    if not sense_index.is_file():
        sense_index.write_text(sense_index_text(target))
    lexnames = target / "lexnames"
    text = lexnames_text()
    if not lexnames.is_file() or lexnames.read_text() != text:
        lexnames.write_text(text)
    return target


def _norm(name: str) -> str | None:
    word = name.replace("_", " ").lower()
    if not _LEMMA_OK.match(word) or len(word.split()) > MAX_PHRASE_WORDS:
        return None
    return word


@dataclass(frozen=True)
class SpinTable:
    """Spin relations compiled from WordNet.

    ``forward[w] = (synonyms, linked)``: lemmas sharing a synset with ``w`` (any sense, which is
    how spinners pick wrong senses) and lemmas of linked synsets (similar-to, also-see) or
    derivationally related forms. ``reverse[s]`` lists ``(w, tier)`` for every lemma ``w`` whose
    forward sets contain ``s`` (tier 0 synonym, 1 linked): the candidate originals of a spun ``s``.
    ``max_words`` is the longest phrase among the keys, for longest-match lookup.
    """

    forward: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    reverse: dict[str, tuple[tuple[str, int], ...]]
    max_words: int


def build_table() -> SpinTable:
    """Walk every synset once (about 30 s) and collect the spin relations."""
    from nltk.corpus import wordnet as wn

    syn: dict[str, set[str]] = {}
    linked: dict[str, set[str]] = {}
    for synset in wn.all_synsets():
        names = [n for n in (_norm(lem.name()) for lem in synset.lemmas()) if n]
        near = [
            n
            for other in synset.similar_tos() + synset.also_sees()
            for n in (_norm(lem.name()) for lem in other.lemmas())
            if n
        ]
        for lemma in synset.lemmas():
            word = _norm(lemma.name())
            if not word:
                continue
            syn.setdefault(word, set()).update(names)
            link = linked.setdefault(word, set())
            link.update(near)
            for rel in lemma.derivationally_related_forms():
                other = _norm(rel.name())
                if other:
                    link.add(other)
    forward: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    reverse_lists: dict[str, list[tuple[str, int]]] = {}
    for word, synonyms in syn.items():
        tier0 = tuple(sorted(synonyms - {word}))
        tier1 = tuple(sorted(linked.get(word, set()) - synonyms - {word}))
        if not tier0 and not tier1:
            continue
        forward[word] = (tier0, tier1)
        for tier, group in enumerate((tier0, tier1)):
            for spun in group:
                reverse_lists.setdefault(spun, []).append((word, tier))
    reverse = {spun: tuple(sorted(pairs)) for spun, pairs in reverse_lists.items()}
    max_words = max(len(k.split()) for k in list(forward) + list(reverse))
    return SpinTable(forward=forward, reverse=reverse, max_words=max_words)


def write_table(path: Path | None = None) -> Path:
    path = path or table_path()
    table = build_table()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        pickle.dump(
            (TABLE_VERSION, table.forward, table.reverse, table.max_words), handle, protocol=5
        )
    tmp.replace(path)
    return path


@lru_cache(maxsize=1)
def load_table() -> SpinTable:
    """The compiled spin table; MissingResourceError naming the install step when absent."""
    path = table_path()
    if not path.is_file():
        raise MissingResourceError(f"WordNet spin table not found at {path}: {INSTALL_HINT}")
    with path.open("rb") as handle:
        version, forward, reverse, max_words = pickle.load(handle)
    if version != TABLE_VERSION:
        raise MissingResourceError(f"WordNet spin table at {path} is stale: {INSTALL_HINT}")
    return SpinTable(forward=forward, reverse=reverse, max_words=max_words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEBIAN_WORDNET)
    parser.add_argument("--force", action="store_true", help="rebuild the spin table")
    args = parser.parse_args(argv)
    try:
        target = install_nltk_wordnet(args.source)
    except MissingResourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"nltk WordNet ready at {target}")
    path = table_path()
    if args.force or not path.is_file():
        write_table(path)
    print(f"spin table ready at {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
