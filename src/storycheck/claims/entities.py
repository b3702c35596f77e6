"""Named entities: mentions in each document, merged into story-wide entities with aliases.

spaCy finds the mentions; the story decides which belong together. A name written in full in one
document ("Sir Keir Starmer") tells us who a bare surname ("Starmer") means in every document,
and "Crown Prosecution Service (CPS)" or simply the initials tell us what "CPS" stands for. The
merge is a union of three kinds of evidence, each a small rule:

1. the same name once honorifics, "the" and possessives are gone ("Mr Starmer" = "Starmer");
2. a one-word person name (or a one-word organisation or place that is really a surname, which the
   small spaCy model often mislabels) joins the one full person name in the story ending in it;
3. an all-capitals short name joins the organisation whose initials spell it.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from storycheck.records import EntityType, Mention

if TYPE_CHECKING:
    from spacy.tokens import Doc

# spaCy's labels that name a person, organisation or place; the rest (dates, money, NORP...) are
# read by other extractors or do not name a checkable actor.
_LABELS: dict[str, EntityType] = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
HONORIFICS = frozenset(
    "mr mrs ms miss mx dr sir dame lord lady baroness baron prof professor rev reverend "
    "president senator judge justice minister chancellor secretary".split()
)
# Prepositions before a name that make it a place, whatever the small model's label.
_PLACE_WORDS = frozenset("in at near outside across around".split())
# Small words that initials skip: "Director of Public Prosecutions" is "DPP".
_INITIALS_SKIP = frozenset("of the and for on in to at".split())
_ACRONYM = re.compile(r"^[A-Z][A-Z&]{1,7}$")
_POSSESSIVE = re.compile(r"['’]s?$")
_SPACE = re.compile(r"\s+")
# Characters a mention never starts or ends with (left behind by a cut at a sentence break).
_EDGE = " \t\n.,;:!?\"'“”‘’()"


def mentions(doc: Doc, sentence_starts: Sequence[int] = ()) -> list[Mention]:
    """Person, organisation and place mentions in a parsed text, trimmed of "the" and "'s".

    The small model sometimes runs a name across a sentence break ("on X. Keir Starmer"); a
    mention is cut at the first of ``sentence_starts`` inside it, keeping the longer side.
    """
    found = []
    for ent in doc.ents:
        kind = _LABELS.get(ent.label_)
        if kind is None:
            continue
        if kind == "person" and ent.start > 0 and doc[ent.start - 1].lower_ in _PLACE_WORDS:
            kind = "place"  # "in Hollin Cross": people are not where things happen in
        start, end = _within_sentence(ent.start_char, ent.end_char, sentence_starts)
        text = doc.text[start:end]
        start += len(text) - len(text.lstrip(_EDGE))
        text = text.strip(_EDGE)
        if text.lower().startswith("the "):
            start, text = start + 4, text[4:]
        possessive = _POSSESSIVE.search(text)
        if possessive and possessive.start() > 0:
            text = text[: possessive.start()]
        if any(c.isalpha() for c in text):
            found.append(Mention(start, start + len(text), text, kind))
    return found


def _within_sentence(start: int, end: int, sentence_starts: Sequence[int]) -> tuple[int, int]:
    cut = bisect.bisect_right(sentence_starts, start)
    if cut < len(sentence_starts) and sentence_starts[cut] < end:
        boundary = sentence_starts[cut]
        return (start, boundary) if boundary - start > end - boundary else (boundary, end)
    return start, end


def name_key(text: str) -> str:
    """A mention's name for matching: casefolded words, honorifics, "the" and possessives gone."""
    words = _SPACE.sub(" ", _POSSESSIVE.sub("", text.strip())).replace(".", "").split(" ")
    while len(words) > 1 and words[0].lower() in HONORIFICS | {"the"}:
        words = words[1:]
    return " ".join(words).casefold()


def initials(text: str) -> str:
    """ "Crown Prosecution Service" -> "CPS"; words in lower case or small words are skipped."""
    words = [w for w in re.split(r"[\s-]+", text) if w and w.lower() not in _INITIALS_SKIP]
    return "".join(w[0] for w in words if w[0].isupper())


@dataclass
class Entity:
    """One person, organisation or place of the story, under every name the documents use."""

    id: str
    name: str
    type: EntityType
    aliases: list[str]
    documents: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "type": self.type, "aliases": self.aliases,
                "documents": self.documents}  # fmt: skip


@dataclass
class Resolution:
    """The story's entities, and every mention in each document with the entity it names."""

    entities: list[Entity]
    mentions: dict[str, list[tuple[Mention, str]]] = field(default_factory=dict)
    of_key: dict[str, str] = field(default_factory=dict)

    def by_name(self, name: str) -> str | None:
        """The entity a name (a quote's speaker as resolved) belongs to, if any."""
        return self.of_key.get(name_key(name))


def resolve(documents: Iterable[tuple[str, str, Sequence[Mention]]]) -> Resolution:
    """Merge the mentions of every (document id, text, mentions) into story-wide entities (see
    the module docstring), then find the names the model missed: every alias of an entity, where
    it stands as a word in any document, is a mention too."""
    documents = list(documents)
    items = [(doc, m) for doc, _, ms in documents for m in ms]
    union = _Union()
    by_key: dict[str, list[int]] = defaultdict(list)
    for n, (_, m) in enumerate(items):
        by_key[name_key(m.text)].append(n)
    for members in by_key.values():
        for n in members[1:]:
            union.join(members[0], n)
    _join_surnames(items, by_key, union)
    _join_initials(items, by_key, union)

    groups: dict[int, list[int]] = defaultdict(list)
    for n in range(len(items)):
        groups[union.find(n)].append(n)
    resolution = Resolution([])
    for members in groups.values():
        entity = _entity([items[n] for n in members])
        resolution.entities.append(entity)
        for n in members:
            doc, mention = items[n]
            resolution.mentions.setdefault(doc, []).append((mention, entity.id))
            resolution.of_key.setdefault(name_key(mention.text), entity.id)
    _spread(resolution, documents)
    resolution.entities.sort(key=lambda e: (-len(e.documents), e.name))
    return resolution


def _spread(resolution: Resolution, documents: list[tuple[str, str, Sequence[Mention]]]) -> None:
    """Add alias occurrences the model did not tag, and the documents they put entities in."""
    by_alias = {a: e for e in resolution.entities for a in e.aliases if _spreadable(a)}
    surnames = Counter(_surname(e) for e in resolution.entities)
    for entity in resolution.entities:
        surname = _surname(entity)
        if surname and surnames[surname] == 1 and _spreadable(surname):
            by_alias.setdefault(surname, entity)
    if not by_alias:
        return
    entities = {e.id: e for e in resolution.entities}
    names = "|".join(map(re.escape, sorted(by_alias, key=len, reverse=True)))
    pattern = re.compile(rf"(?<![\w&])({names})(?!\w)")
    for doc, text, _ in documents:
        found = resolution.mentions.setdefault(doc, [])
        taken = sorted((m.start, m.end) for m, _ in found)
        for match in pattern.finditer(text):
            start, end = match.span()
            at = bisect.bisect_right(taken, (start, end))
            if (at and taken[at - 1][1] > start) or (at < len(taken) and taken[at][0] < end):
                continue
            entity = by_alias[match.group()]
            found.append((Mention(start, end, match.group(), entity.type), entity.id))
            if doc not in entity.documents:
                entities[entity.id].documents.append(doc)
        found.sort(key=lambda pair: pair[0].start)


def _surname(entity: Entity) -> str | None:
    """The last word of a person's full name: reports name people in full once, then by it."""
    words = entity.name.split()
    return words[-1] if entity.type == "person" and len(words) > 1 else None


def _spreadable(alias: str) -> bool:
    """Aliases safe to look for as plain words: capitalised and not too short to be common."""
    return alias[:1].isupper() and (len(alias) >= 4 or bool(_ACRONYM.match(alias)))


def _join_surnames(
    items: list[tuple[str, Mention]], by_key: dict[str, list[int]], union: _Union
) -> None:
    """A one-word name joins the only full person name in the story that ends in it."""
    full_by_last: dict[str, set[str]] = defaultdict(set)
    for key, members in by_key.items():
        if " " in key and any(items[n][1].type == "person" for n in members):
            full_by_last[key.rsplit(" ", 1)[1]].add(key)
    for key, members in by_key.items():
        if " " in key or len(full_by_last.get(key, ())) != 1:
            continue
        kinds = {items[n][1].type for n in members}
        if "person" not in kinds and "place" in kinds:
            continue  # "Washington" the city stays apart from George Washington
        (full,) = full_by_last[key]
        union.join(members[0], by_key[full][0])


def _join_initials(
    items: list[tuple[str, Mention]], by_key: dict[str, list[int]], union: _Union
) -> None:
    """An acronym joins the only multi-word organisation whose initials spell it."""
    by_initials: dict[str, set[str]] = defaultdict(set)
    for key, members in by_key.items():
        mention = items[members[0]][1]
        if " " in key and mention.type == "organisation":
            letters = initials(mention.text)
            if len(letters) >= 2:
                by_initials[letters].add(key)
    for members in by_key.values():
        text = items[members[0]][1].text
        if _ACRONYM.match(text) and len(by_initials.get(text.replace("&", ""), ())) == 1:
            (full,) = by_initials[text.replace("&", "")]
            union.join(members[0], by_key[full][0])


def _entity(members: list[tuple[str, Mention]]) -> Entity:
    """Name an entity by its most used full form; its type is what most of its full-name
    mentions say (a bare surname is the small model's usual mislabel)."""
    texts = Counter(m.text for _, m in members)
    full = [m for _, m in members if " " in name_key(m.text)]
    types = Counter(m.type for m in full or [m for _, m in members])
    kind: EntityType = types.most_common(1)[0][0]
    forms = Counter({t: c for t, c in texts.items() if " " in name_key(t)}) or texts
    name = max(forms, key=lambda t: (forms[t], _untitled(t), len(t)))
    documents = list(dict.fromkeys(doc for doc, _ in members))
    digest = hashlib.blake2b(f"{kind}\0{name_key(name)}".encode(), digest_size=6).hexdigest()
    return Entity(f"e-{digest}", name, kind, sorted(texts, key=lambda t: (-texts[t], t)), documents)


def _untitled(text: str) -> bool:
    """Prefer "Keir Starmer" to "Sir Keir Starmer" as the display name when equally common."""
    return name_key(text) == text.casefold()


class _Union:
    """Union-find over mention numbers."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}

    def find(self, n: int) -> int:
        root = n
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        while n != root:
            self._parent[n], n = root, self._parent.get(n, n)
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)
