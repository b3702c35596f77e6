"""Verbs of opposite meaning (rose / fell, praised / criticised, acquitted / convicted).

A small stance model reads "Musk praised Starmer" and "Musk criticised Starmer" as near-
paraphrases: the sentences share every word but one. WordNet lists such pairs as verb antonyms.
The install step (``python -m storycheck.crosscheck.opposites``, after the WordNet step) compiles
them, with every inflected form WordNet's own morphology maps back to each verb, into a small JSON
table, so that run time never loads nltk (about 8 s).

Some of WordNet's pairs are not opposed in news: converses that tell one event from each side
(buy / sell, lend / borrow) and verbs whose common senses are unrelated (come / go, have / lack,
open / close of a market's day). ``NOT_OPPOSED`` leaves them out. The consistency layer uses the
rest only where both verbs have the same subject: "Chelsea won" and "Arsenal lost" may well
describe one match.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wordfreq import zipf_frequency

from storycheck.errors import MissingResourceError
from storycheck.models import data_dir

TABLE_VERSION = 3
INSTALL_HINT = (
    "run the install step `bash setup.sh` (it runs `python -m storycheck.crosscheck.opposites` "
    "after `python -m storycheck.repair.wordnet`)"
)
# WordNet verb antonyms that do not contradict each other in news text: converses (one event
# told from either side), and pairs whose everyday senses are not opposites.
NOT_OPPOSED = frozenset(
    frozenset(pair.split("/"))
    for pair in (
        "buy/sell borrow/lend export/import deposit/withdraw download/upload give/take "
        "attack/defend defend/prosecute charge/discharge credit/debit retail/wholesale "
        "come/go move/stay change/stay depart/stay arrive/leave enter/exit back/front "
        "advance/back hit/miss have/miss attend/miss have/lack break/keep break/make "
        "find/lose lose/profit sit/stand lie/stand lie/sit ride/walk rise/set cool/heat "
        "let/prevent level/raise gain/reduce hide/show ignore/know ignore/notice enjoy/suffer "
        "issue/recall delay/rush stand/yield gather/spread differ/equal bounce/clear "
        "bore/interest idle/work idle/run erase/record refresh/tire act/refrain blur/focus "
        "feed/starve divide/multiply divide/unite differentiate/integrate close/open"
    ).split()
)
# Opposites that news reports set against each other and WordNet does not list as verb
# antonyms ("the council approved the plan" / "rejected the plan"; a court or a minister
# "dismissed" an appeal that another report says was upheld or approved). Pairs with a common
# noun form are left out (a "cut", "support", "ban"): verbs are found by their word forms alone.
EXTRA_OPPOSED = (
    ("approve", "reject"),
    ("uphold", "overturn"),
    ("approve", "dismiss"),
    ("uphold", "dismiss"),
    ("accept", "dismiss"),
)
_WORD = re.compile(r"[A-Za-z]+")
# Regular English verb endings: WordNet's morphology confirms which of the forms made with them
# really belong to the verb.
_ENDINGS = ("s", "es", "ed", "d", "ing")


@dataclass(frozen=True)
class Opposites:
    """``forms[word]`` is the verbs a word form may be; ``opposite[verb]`` their antonyms."""

    forms: dict[str, tuple[str, ...]]
    opposite: dict[str, tuple[str, ...]]

    def verbs(self, word: str) -> tuple[str, ...]:
        return self.forms.get(word.lower(), ())


def table_path() -> Path:
    return data_dir() / f"opposites-v{TABLE_VERSION}.json"


def build() -> Opposites:
    """Collect WordNet's one-word verb antonyms, with ``EXTRA_OPPOSED``, and the forms of each
    verb."""
    from nltk.corpus import wordnet as wn

    antonyms = [
        (lemma.name(), other.name())
        for synset in wn.all_synsets("v")
        for lemma in synset.lemmas()
        for other in lemma.antonyms()
    ]
    opposite: dict[str, set[str]] = {}
    for a, b in [*antonyms, *EXTRA_OPPOSED]:
        if "_" in a + b or frozenset((a, b)) in NOT_OPPOSED:
            continue
        opposite.setdefault(a, set()).add(b)
        opposite.setdefault(b, set()).add(a)
    irregular: dict[str, set[str]] = {}
    for line in (Path(wn.root.path) / "verb.exc").read_text().splitlines():
        form, *bases = line.split()
        for base in bases:
            irregular.setdefault(base, set()).add(form)
    forms: dict[str, set[str]] = {}
    for verb in opposite:
        for spelling in _spellings(verb):
            candidates = {spelling, *irregular.get(spelling, ())} | _regular_forms(spelling)
            for form in candidates:
                if form == verb or _is_form(form, spelling):
                    forms.setdefault(form, set()).add(verb)
    return Opposites(
        forms={f: tuple(sorted(v)) for f, v in sorted(forms.items())},
        opposite={v: tuple(sorted(o)) for v, o in sorted(opposite.items())},
    )


def _is_form(form: str, verb: str) -> bool:
    """Whether WordNet's morphology reads ``form`` as the verb and the word is in use: morphology
    alone accepts made-up forms like "associatees". (``wn._morphy`` lists every base a form
    may have, "found": found, find; the public ``morphy`` keeps only the shortest.)"""
    from nltk.corpus import wordnet as wn

    return verb in wn._morphy(form, wn.VERB) and zipf_frequency(form, "en") > 0


def _spellings(verb: str) -> set[str]:
    """The verb and its British spelling, where WordNet has one (criticize, criticise)."""
    return {verb, verb[:-3] + "ise"} if verb.endswith("ize") else {verb}


def _regular_forms(verb: str) -> set[str]:
    """Forms the regular endings make, with the usual spelling changes (tries, stopping)."""
    stems = {verb, verb[:-1], verb + verb[-1]}
    made = {stem + ending for stem in stems for ending in _ENDINGS}
    return made | {verb[:-1] + "ied", verb[:-1] + "ies"}


def write(path: Path | None = None) -> Path:
    path = path or table_path()
    table = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    payload = {"version": TABLE_VERSION, "forms": table.forms, "opposite": table.opposite}
    tmp.write_text(json.dumps(payload, indent=0, sort_keys=True))
    tmp.replace(path)
    return path


@lru_cache(maxsize=1)
def load() -> Opposites:
    """The compiled table; MissingResourceError naming the install step when absent."""
    path = table_path()
    if not path.is_file():
        raise MissingResourceError(f"verb opposites table not found at {path}: {INSTALL_HINT}")
    payload = json.loads(path.read_text())
    if payload.get("version") != TABLE_VERSION:
        raise MissingResourceError(f"verb opposites table at {path} is stale: {INSTALL_HINT}")
    return Opposites(
        forms={f: tuple(v) for f, v in payload["forms"].items()},
        opposite={v: tuple(o) for v, o in payload["opposite"].items()},
    )


def verbs_in(text: str) -> list[tuple[str, int]]:
    """Each verb of the table a text uses, with the offset of the word that uses it."""
    table = load()
    return [
        (verb, m.start())
        for m in _WORD.finditer(text)
        if m.start() == 0 or not m.group()[0].isupper()  # "Rose" inside a sentence is a name
        for verb in table.verbs(m.group())
    ]


def main() -> int:
    try:
        path = write()
    except LookupError as exc:
        print(f"error: nltk WordNet is not installed ({exc}): {INSTALL_HINT}", file=sys.stderr)
        return 2
    print(f"verb opposites table ready at {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
