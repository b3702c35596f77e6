"""Quotations in news text with their speaker: direct quotes, reported speech, credited outlets.

A claim checked across sources is only as good as its attribution: "the minister said taxes would
rise" and "taxes will rise" are different claims. This module finds who is quoted saying what, as
a cascade of small rules over the spaCy parse that ``load_nlp()`` gives every document:

1. quote marks are paired on the raw text (curly, straight, double and single), paragraph by
   paragraph, so apostrophes and the habit of reopening a quote on each new paragraph are settled
   before the parser, which splits sentences inside quotes, is involved;
2. each quoted passage is tied to a cue verb (``say``, ``tell``, ``warn`` ...): the one right
   after it (``"...," she said``), one the parse links it to, one elsewhere in its sentence, a
   colon introducing it, or the attribution it continues; passages with no attribution (scare
   quotes, titles) are dropped;
3. cue verbs not used by a direct quote give reported speech: their clausal complement is the
   content and their subject the speaker; ``according to X`` is a cue of its own;
4. speakers written as pronouns, surnames or "the spokesman" are resolved to a named mention, and
   an outlet the quote is credited to ("told the Times", "the BBC reported") is kept as ``via``.

Rules rather than a trained tagger because the tool runs offline on whatever the user feeds it and
each attribution should be explainable; ``bench/quotes_polnear.py`` keeps the rules honest on
annotated news.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storycheck.records import Quote

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Speech and attribution verbs, as lemmas. Verbs of thinking (believe, think) and of evidence
# (show, find) attribute too, but nobody is quoted saying anything.
CUE_VERBS = frozenset(
    "say tell add claim argue warn insist deny write tweet post state announce report explain "
    "note suggest assert declare acknowledge admit confirm reveal allege maintain stress "
    "emphasise emphasize contend predict promise pledge vow threaten complain concede respond "
    "reply recall observe remark comment counter testify indicate conclude assure reiterate "
    "boast joke quip speculate proclaim caution retort exclaim shout recount ask urge agree "
    "continue charge lament blog".split()
)
# Verbs whose content can be an infinitive ("vowed to resign") rather than a that-clause.
INFINITIVE_CUES = frozenset("promise pledge vow threaten".split())
ACCORDING_TO = "according to"

SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
# A cue verb without a subject of its own borrows its governor's: "..., adding that ...",
# "she said ... and warned that ...", "went on to say", "is quoted as saying", "Durbin, noting
# ..., said".
SUBJECT_DONOR_DEPS = frozenset({"advcl", "conj", "xcomp", "pcomp", "prep", "parataxis"})
# A cue set into the clause it reports: "The plan, he said, will fail."
PARENTHETICAL_DEPS = frozenset({"parataxis"})
# Dependents that end a speaker phrase: "Ms Ruiz, the harbourmaster, who ..." is "Ms Ruiz".
SPEAKER_CUT_DEPS = frozenset({"appos", "relcl", "acl", "punct", "parataxis"})
RELATIVE_PRONOUNS = frozenset({"who", "which", "that"})
NOMINAL_POS = frozenset({"PROPN", "PRON", "NOUN"})
NON_SPEAKER_ENTITIES = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY"})
# Complementisers and punctuation trimmed from the edges of reported content.
COMPLEMENTISERS = frozenset({"that"})
EDGE_CHARS = " \t\n,;:—–-"

# Quote marks. Straight marks open or close by the characters around them; two apostrophes
# ('') and two backticks (``) stand for double marks in text converted from old typesetting.
DOUBLE_OPEN = ("“", "„", "``")
DOUBLE_CLOSE = ("”",)
STRAIGHT_DOUBLE = ('"', "''")
SINGLE_OPEN = "‘"
STRAIGHT_SINGLE = "'"
QUOTE_MARK = re.compile(r"''|``|[“”„‘’\"']")
QUOTE_CHARS = "“”„‘’\"'`"
NON_SPACE = re.compile(r"\S")
BEFORE_OPENING = "([{—–-/:" + QUOTE_CHARS
AFTER_CLOSING = ".,;:!?)]}—–-…" + QUOTE_CHARS
SENTENCE_END = ".!?:"
# Up to this many quoted words inside a sentence are a scare quote, title or partial quote.
FRAGMENT_MAX_WORDS = 4
# How far after a closing mark its "he said" may be; right after a quote closed on a comma
# (``"...," he wondered``), any verb with a subject frames it.
TRAILING_FRAME_TOKENS = 8
TRAILING_ANY_VERB_TOKENS = 2
CONTINUING_MARKS = ",?!"
# A headline-style colon frame ("Starmer: 'We will fix the NHS'") names its speaker in a few
# words; a longer clause before a colon is an introduction, not a speaker.
COLON_SPEAKER_MAX_TOKENS = 5

PERSON_PRONOUNS = {"he": "m", "she": "f"}
ORG_PRONOUNS = frozenset({"it", "they"})
# Titles that are part of a name as the press writes it ("Sir Keir Starmer").
NAME_TITLES = frozenset({"Sir", "Dame", "Lord", "Lady", "Baroness", "Baron"})
HONORIFICS = frozenset({"Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Miss"})
MALE_TITLES = frozenset({"Mr", "Mr.", "Sir", "Lord", "Baron"})
FEMALE_TITLES = frozenset({"Mrs", "Mrs.", "Ms", "Ms.", "Miss", "Dame", "Lady", "Baroness"})
# Nouns naming someone who speaks for an organisation: "a Home Office spokesman".
ROLE_NOUNS = frozenset(
    "spokesman spokeswoman spokesperson representative official source aide adviser advisor "
    "statement".split()
)
NAMED_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "FAC"})

# News outlets, by the words their names are made of; only read where an outlet can stand (the
# one told, the one reporting, the medium of an interview).
OUTLET = re.compile(
    r"\b(?:BBC|ITV|Sky|CNN|MSNBC|NBC|CBS|ABC|NPR|PBS|Fox|Reuters|AP|AFP|Bloomberg|Politico|"
    r"POLITICO|Axios|Breitbart|HuffPost|Huffington|Newsweek|Buzzfeed|BuzzFeed|Vox|Slate|"
    r"Guardian|Telegraph|Times|Post|Journal|Herald|Tribune|Gazette|Chronicle|Mail|Mirror|"
    r"Express|Independent|Observer|Standard|Economist|Spectator|Press|News|Radio|Channel|"
    r"Magazine|Verify|Newsnight|[Nn]ewspaper|[Mm]agazine|[Bb]roadcaster)\b"
)
# Words that govern an outlet in the frame of a quote: "told X", "speaking to X", "interview
# with X", "writing in X", "on X" (a programme), "according to X".
VIA_GOVERNORS = frozenset({"tell", "to", "with", "in", "on"})
VIA_DEPS = frozenset({"dobj", "dative", "pobj"})
# Entities that can be outlets; other words must end in an outlet word themselves, so "Press
# Secretary" is not one.
OUTLET_LABELS = frozenset({"ORG", "WORK_OF_ART", "PRODUCT"})
POSSESSIVE_MARKS = frozenset({"'s", "’s", "'", "’"})


def find_quotes(doc: Doc) -> list[Quote]:
    """Direct and reported quotations in ``doc`` (a parse of one document), in text order."""
    parsed = _Parsed(doc)
    direct = _direct_attributions(parsed)
    attributions = direct + _reported_attributions(parsed, direct)
    attributions += _according_attributions(parsed)
    attributions.sort(key=lambda a: a.start)
    resolver = _Resolver(parsed)
    return [_to_quote(parsed, a, resolver) for a in attributions]


class _Parsed:
    """A parsed document with what the rules look up again and again, computed once: its text
    (``Doc.text`` and ``Token.sent`` walk the whole document on every call), its quoted passages
    and which one each token falls in, and where sentences start."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text
        self.passages = quoted_passages(self.text)
        self._passage_starts = [s for s, _ in self.passages]
        self._token_starts = [t.idx for t in doc]
        self._sentence_starts = [s.start for s in doc.sents]
        self.token_passage = [self._passage_at(t.idx) for t in doc]

    def _passage_at(self, char: int) -> int:
        """Index of the passage holding ``char`` (its quote marks included), or -1."""
        k = bisect_right(self._passage_starts, char + 2) - 1
        if k >= 0 and self.passages[k][0] - 2 <= char <= self.passages[k][1]:
            return k
        return -1

    def inside(self, token: Token) -> bool:
        return self.token_passage[token.i] >= 0

    def next_passage(self, char: int) -> tuple[int, int] | None:
        """The first passage starting at or after ``char``."""
        k = bisect_left(self._passage_starts, char)
        return self.passages[k] if k < len(self.passages) else None

    def words(self, start: int, end: int) -> list[Token]:
        """The tokens of a character span without punctuation, whose attachment the parser
        guesses at."""
        first = max(bisect_right(self._token_starts, start) - 1, 0)
        last = bisect_left(self._token_starts, end)
        return [t for t in self.doc[first:last] if not (t.is_punct or t.is_space)]

    def token_at(self, char: int) -> Token:
        """The token holding ``char``."""
        return self.doc[max(bisect_right(self._token_starts, char) - 1, 0)]

    def sentence(self, token: Token) -> Span:
        """The parser's sentence holding ``token``."""
        k = bisect_right(self._sentence_starts, token.i) - 1
        end = self._sentence_starts[k + 1] if k + 1 < len(self._sentence_starts) else len(self.doc)
        return self.doc[self._sentence_starts[k] : end]

    def clip(self, span: Span, anchor: Token) -> Span:
        """The part of ``span`` in the anchor's paragraph: the parser's sentences cross line
        breaks, and headlines run into bodies."""
        first = self.text.rfind("\n", 0, anchor.idx) + 1
        last = self.text.find("\n", anchor.idx)
        last = len(self.text) if last < 0 else last
        inside = [t.i for t in span if first <= t.idx < last and not t.is_space]
        return self.doc[inside[0] : inside[-1] + 1] if inside else self.doc[anchor.i : anchor.i]

    def lead_end(self, start: int) -> int:
        """Where the text before a quote's content ends, its opening mark and spaces skipped."""
        while start > 0 and (self.text[start - 1].isspace() or self.text[start - 1] in QUOTE_CHARS):
            start -= 1
        return start


# --- 1. Quote marks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mark:
    at: int
    end: int
    double: bool
    opens: bool
    closes: bool
    possessive: bool = False  # a single mark after "s" with words going on: "the voters' views"


def quoted_passages(text: str) -> list[tuple[int, int]]:
    """Character spans inside paired quote marks, whitespace and a trailing comma trimmed.

    Works paragraph by paragraph (a line break ends one): a quote left open at the end of a
    paragraph continues when the next paragraph reopens it or closes it, else a double quote ends
    with its paragraph and an unclosed single mark is taken for an apostrophe and dropped. Marks of
    the other kind inside a quote are nested quotes and ignored.
    """
    spans: list[tuple[int, int]] = []
    opened: _Mark | None = None
    prev_end = 0
    for start, end in _paragraphs(text):
        marks = [m for f in QUOTE_MARK.finditer(text, start, end) if (m := _classify_mark(text, f))]
        if opened is not None:
            if marks and _reopens(text, start, marks[0], opened):
                marks = marks[1:]
            elif not _closes_first(marks, opened):
                if opened.double:
                    spans.append((opened.end, prev_end))
                opened = None
        for i, mark in enumerate(marks):
            if opened is None:
                if mark.opens:
                    opened = mark
            elif mark.double == opened.double and mark.closes:
                if mark.possessive and _closes_later(marks[i + 1 :]):
                    continue
                spans.append((opened.end, mark.at))
                opened = None
        prev_end = end
    if opened is not None and opened.double:
        spans.append((opened.end, prev_end))
    return [span for s, e in spans if (span := _trim_passage(text, s, e))]


def _closes_first(marks: list[_Mark], opened: _Mark) -> bool:
    """Whether the first mark of the open quote's kind in a paragraph can only close it: the
    quote runs on from the paragraph before."""
    first = next((m for m in marks if m.double == opened.double), None)
    return first is not None and first.closes and not (first.opens or first.possessive)


def _closes_later(marks: list[_Mark]) -> bool:
    """Whether a later single mark can close the quote, so an apostrophe of possession (``'It is
    the voters' choice,' she said``) need not."""
    return any(m.closes and not (m.double or m.possessive) for m in marks)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def _reopens(text: str, paragraph_start: int, mark: _Mark, opened: _Mark) -> bool:
    """Whether a paragraph opens with the same kind of mark as the quote still open."""
    first = NON_SPACE.search(text, paragraph_start)
    at_start = first is not None and mark.at == first.start()
    return at_start and mark.opens and mark.double == opened.double


def _classify_mark(text: str, found: re.Match[str]) -> _Mark | None:
    """The roles a quote mark can play here, or None for an apostrophe. Curly marks are trusted
    unless the characters around them say the typist picked the wrong one (``rapists“ while``)."""
    mark, at, end = found.group(), found.start(), found.end()
    before = text[at - 1] if at > 0 else " "
    after = text[end] if end < len(text) else " "
    at_word_start = before.isspace() or before in BEFORE_OPENING
    at_word_end = after.isspace() or after in AFTER_CLOSING
    if mark in DOUBLE_OPEN:
        wrong_way = not at_word_start and at_word_end
        return _Mark(at, end, True, not wrong_way, wrong_way)
    if mark in DOUBLE_CLOSE:
        wrong_way = at_word_start and after.isalnum()
        return _Mark(at, end, True, wrong_way, not wrong_way)
    if mark in STRAIGHT_DOUBLE:
        opens = at_word_start and not after.isspace()
        return _Mark(at, end, True, opens, not at_word_start or at_word_end)
    if mark == SINGLE_OPEN:
        return _Mark(at, end, False, True, False)
    if before.isalnum() and after.isalnum():
        return None  # don't, O'Neill, Clinton’s
    opens = mark == STRAIGHT_SINGLE and at_word_start and after.isalnum()
    closes = not before.isspace() and at_word_end
    possessive = before == "s" and after == " " and text[end + 1 : end + 2].isalnum()
    return _Mark(at, end, False, opens, closes, possessive) if opens or closes else None


def _trim_passage(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    if sum(ch.isalnum() for ch in text[start:end]) < 2:
        return None  # nothing quoted, or the 'n' of "rock 'n' roll"
    return start, end


# --- 2. Direct quotes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Who said it, and with which word."""

    cue: str | None
    cue_token: Token | None
    speaker: Span


@dataclass(frozen=True)
class _Attribution:
    start: int
    end: int
    direct: bool
    frame: _Frame


def _direct_attributions(parsed: _Parsed) -> list[_Attribution]:
    """One attribution per quoted passage that has a speaker. A passage inside a cue's reported
    clause (``said the plan "was a disaster"``) is left to reported speech, and a few quoted words
    inside a sentence (a scare quote, a title, a nickname) are no quotation of their own."""
    found: list[_Attribution] = []
    for k, (start, end) in enumerate(parsed.passages):
        words = parsed.words(start, end)
        if not words:
            continue
        cue = _framing_cue(parsed, k, words)
        if cue is not None and _in_reported_clause(parsed, cue, words):
            continue
        if len(words) <= FRAGMENT_MAX_WORDS and _is_embedded(parsed, start):
            continue
        frame = None
        if cue is not None:
            frame = _cue_frame(parsed, cue, end if cue.i > words[-1].i else 0)
        frame = frame or _colon_frame(parsed, start) or _continued_frame(parsed, words, found)
        if frame is not None:
            found.append(_Attribution(start, end, True, frame))
    return found


def _framing_cue(parsed: _Parsed, k: int, words: list[Token]) -> Token | None:
    """The cue verb of a quoted passage found within its paragraph, most reliable place first;
    after a colon (``Bundy says ..., who responds: "Okay!"``) the colon frame decides."""
    start, end = parsed.passages[k]
    after = _cue_after(parsed, k, words)
    if after is None and _after_colon(parsed, start):
        return None
    for cue in (after, _cue_in_parse(parsed, words), _cue_in_sentence(parsed, words)):
        if cue is not None and _same_paragraph(parsed.text, cue.idx, start, end):
            return cue
    return None


def _cue_after(parsed: _Parsed, k: int, words: list[Token]) -> Token | None:
    """``"...," she said`` or ``"...?" asked the minister``: a cue with a speaker in the few words
    after the closing mark, unless the quote ended its sentence with a full stop."""
    text, end = parsed.text, parsed.passages[k][1]
    if text[end - 1] == ".":
        return None
    continuing = text[end - 1 : end + 3].strip(" " + QUOTE_CHARS)[:1] in CONTINUING_MARKS
    words_after = 0
    for token in parsed.doc[words[-1].i + 1 : words[-1].i + 1 + TRAILING_FRAME_TOKENS]:
        if parsed.token_passage[token.i] == k:
            continue
        if "\n" in token.text or parsed.inside(token):
            return None
        if token.is_punct:
            if token.text in ".!?;":
                return None
            continue
        words_after += 1
        any_verb = continuing and words_after <= TRAILING_ANY_VERB_TOKENS and token.pos_ == "VERB"
        if (any_verb or _is_cue(token)) and _cue_frame(parsed, token, end) is not None:
            return token
    return None


def _cue_in_parse(parsed: _Parsed, words: list[Token]) -> Token | None:
    """A cue verb outside the quote that governs it or hangs off it, nearest first:
    ``He said: "..."`` (said governs), ``"..." — he said`` parsed as parataxis (said hangs off)."""
    outside: list[Token] = []
    for token in words:
        if not parsed.inside(token.head):
            outside.append(token.head)
        outside += [c for c in token.children if not parsed.inside(c) and c.pos_ == "VERB"]
    outside.sort(key=lambda t: _distance(t, words))
    for token in outside:
        for candidate in (token, token.head):
            if _is_cue(candidate) and not parsed.inside(candidate):
                return candidate
    return None


def _cue_in_sentence(parsed: _Parsed, words: list[Token]) -> Token | None:
    """A cue verb with a subject elsewhere in the sentences the quote starts and ends in, nearest
    first: for parses that attach the frame to nothing in the quote."""
    first, last = parsed.sentence(words[0]), parsed.sentence(words[-1])
    frame = [t for t in parsed.doc[first.start : last.end] if not parsed.inside(t)]
    frame.sort(key=lambda t: _distance(t, words))
    return next((t for t in frame if _is_cue(t) and _subject_of(t) is not None), None)


def _distance(token: Token, words: list[Token]) -> int:
    return min(abs(token.i - words[0].i), abs(token.i - words[-1].i))


def _same_paragraph(text: str, char: int, start: int, end: int) -> bool:
    """Whether no line break separates ``char`` from the passage ``start``-``end``."""
    gap = text[end:char] if char >= end else text[char:start]
    return "\n" not in gap


def _is_cue(token: Token) -> bool:
    return token.lemma_ in CUE_VERBS and token.pos_ in {"VERB", "AUX"}


def _in_reported_clause(parsed: _Parsed, cue: Token, words: list[Token]) -> bool:
    """Whether the quote is a fragment of the cue's reported clause, which holds other words too:
    ``told BBC Verify that the CPS "made the decision"``."""
    clause = _content_child(cue)
    if clause is None:
        return False
    span = parsed.clip(_subtree_span(clause), clause)
    if not (span.start <= words[0].i and words[-1].i < span.end):
        return False
    inside = {t.i for t in words}
    return any(
        t.i not in inside and not (t.is_punct or t.is_space or _is_complementiser(t)) for t in span
    )


def _is_embedded(parsed: _Parsed, start: int) -> bool:
    """Whether a quote opens mid-sentence, right after a word (``a "bedroom tax" on``)."""
    lead = parsed.lead_end(start)
    return lead > 0 and parsed.text[lead - 1].isalnum() and "\n" not in parsed.text[lead:start]


def _cue_frame(parsed: _Parsed, cue: Token, frame_start: int = 0) -> _Frame | None:
    """The cue with its speaker. A subject the parser put inside a quote or before the frame
    (which starts at character ``frame_start``), or none where a name follows the cue (``"...,"
    said David Brock``), is a parse error: the name beside the cue is taken instead."""
    subject = _subject_of(cue)
    if subject is None:
        subject = _neighbour_subject(parsed, cue, (cue.i + 1,))
    elif parsed.inside(subject) or subject.idx < frame_start:
        subject = _neighbour_subject(parsed, cue, (cue.i - 1, cue.i + 1))
    if subject is None:
        return None
    return _Frame(cue.lemma_, cue, _speaker_phrase(parsed, subject))


def _neighbour_subject(parsed: _Parsed, cue: Token, places: tuple[int, ...]) -> Token | None:
    """The noun phrase head of the first name or pronoun at one of ``places`` (token indices)."""
    doc = parsed.doc
    for i in places:
        if 0 <= i < len(doc) and _could_speak(doc[i]) and not parsed.inside(doc[i]):
            token = doc[i]
            while token.dep_ == "compound" and token.head.i != token.i:
                token = token.head
            return token
    return None


def _could_speak(token: Token) -> bool:
    return token.pos_ in NOMINAL_POS and token.ent_type_ not in NON_SPEAKER_ENTITIES


def _colon_frame(parsed: _Parsed, start: int) -> _Frame | None:
    """``Ms Ruiz said:`` or a headline's ``Ruiz:`` right before the opening quote mark."""
    if not _after_colon(parsed, start):
        return None
    colon = parsed.token_at(parsed.lead_end(start) - 1)
    sentence = parsed.sentence(colon)
    frame = [t for t in parsed.doc[sentence.start : colon.i] if not parsed.inside(t)]
    cue = next((t for t in reversed(frame) if _is_cue(t)), None)
    if cue is not None:
        return _cue_frame(parsed, cue)
    words = [t for t in parsed.clip(parsed.doc[sentence.start : colon.i], colon) if not t.is_punct]
    if 0 < len(words) <= COLON_SPEAKER_MAX_TOKENS and _is_name_like(words[-1]):
        return _Frame(None, None, parsed.doc[words[0].i : words[-1].i + 1])
    return None


def _after_colon(parsed: _Parsed, start: int) -> bool:
    lead = parsed.lead_end(start)
    return lead > 0 and parsed.text[lead - 1] == ":"


def _is_name_like(token: Token) -> bool:
    """Headlines lose the parser its cues, so a capitalised word counts as a name there."""
    return token.ent_type_ in NAMED_LABELS or token.pos_ == "PROPN" or token.is_title


def _continued_frame(
    parsed: _Parsed, words: list[Token], found: list[_Attribution]
) -> _Frame | None:
    """The frame a quote opening a sentence with none of its own continues: the speaker of the
    sentence just before, whether of a quote (``"...," he said. "..."``) or of reported speech
    (``Ms Ruiz said the crane was old. "It was due for ..."``)."""
    text, start = parsed.text, words[0].idx
    lead = parsed.lead_end(start)
    if lead == 0 or (text[lead - 1] not in SENTENCE_END and "\n" not in text[lead:start]):
        return None
    limit = parsed.sentence(parsed.token_at(lead - 1)).start_char
    previous = found[-1] if found and found[-1].end >= limit else None
    for i in range(words[0].i - 1, -1, -1):
        token = parsed.doc[i]
        if token.idx < limit or (previous is not None and token.idx < previous.end):
            break
        if not parsed.inside(token) and _is_cue(token) and (frame := _cue_frame(parsed, token)):
            return frame
    return previous.frame if previous is not None else None


# --- 3. Reported speech ---------------------------------------------------------------------------


def _reported_attributions(parsed: _Parsed, direct: list[_Attribution]) -> list[_Attribution]:
    """Each cue verb outside quotes not already framing a direct quote, with a clause it reports
    and a subject."""
    used = {a.frame.cue_token.i for a in direct if a.frame.cue_token is not None}
    found: list[_Attribution] = []
    for token in parsed.doc:
        if token.i in used or not _is_cue(token) or parsed.inside(token):
            continue
        frame = _cue_frame(parsed, token)
        content = _reported_content(parsed, token)
        if frame is None or content is None:
            continue
        bounds = _content_bounds(parsed, content)
        if bounds is not None:
            found.append(_Attribution(*bounds, False, frame))
    return found


def _reported_content(parsed: _Parsed, cue: Token) -> Span | None:
    """The cue's clausal complement, or the clause a parenthetical cue sits in."""
    clause = _content_child(cue)
    if clause is not None:
        return parsed.clip(_subtree_span(clause), cue)
    if cue.dep_ in PARENTHETICAL_DEPS:
        head = parsed.clip(_subtree_span(cue.head), cue)
        return _without_edge(head, _subtree_span(cue))
    return None


def _content_child(cue: Token) -> Token | None:
    """The clause a cue reports: a that-clause first, then one after the cue, then one before
    it (``The plan will fail, he said``); the parser hands some cues several."""
    clauses = [
        c
        for c in cue.children
        if c.dep_ == "ccomp" or (c.dep_ == "xcomp" and cue.lemma_ in INFINITIVE_CUES)
    ]
    clauses.sort(key=lambda c: (not any(_is_complementiser(t) for t in c.lefts), c.i < cue.i))
    return clauses[0] if clauses else None


def _is_complementiser(token: Token) -> bool:
    return token.dep_ == "mark" and token.lower_ in COMPLEMENTISERS


def _according_attributions(parsed: _Parsed) -> list[_Attribution]:
    """``According to X, ...`` and ``..., according to X``: the rest of the sentence is the
    content, X the speaker. After a cue verb (``said, according to CNN``) it credits the cue's
    quote instead, which ``_via`` reads."""
    found: list[_Attribution] = []
    for token in parsed.doc:
        if token.lower_ != "according" or parsed.inside(token) or _is_cue(_clause_of(token)):
            continue
        to = next((c for c in token.children if c.lower_ == "to"), None)
        source = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
        if source is None:
            continue
        sentence = parsed.clip(parsed.sentence(token), token)
        bounds = _content_bounds(parsed, _without_edge(sentence, _subtree_span(token)))
        if bounds is not None:
            speaker = _speaker_phrase(parsed, source)
            found.append(_Attribution(*bounds, False, _Frame(ACCORDING_TO, token, speaker)))
    return found


def _clause_of(token: Token) -> Token:
    """The verb whose clause a modifier belongs to (a modifier of a noun reports on its clause)."""
    head = token.head
    while head.pos_ not in {"VERB", "AUX"} and head.head.i != head.i:
        head = head.head
    return head


def _without_edge(clause: Span, phrase: Span) -> Span:
    """The clause without an attribution phrase at either edge of it; whole when the phrase is
    in the middle (``The plan, he said, will fail``), as the claim spans both sides."""
    doc = clause.doc
    words = [t.i for t in clause if not (t.is_punct or t.is_space)]
    if words:
        clause = doc[words[0] : words[-1] + 1]
    if phrase.start <= clause.start:
        return doc[min(phrase.end, clause.end) : clause.end]
    if phrase.end >= clause.end:
        return doc[clause.start : phrase.start]
    return clause


def _content_bounds(parsed: _Parsed, content: Span) -> tuple[int, int] | None:
    """Character bounds of reported content: edges trimmed, and a quoted passage it runs into
    (``saying it was "our greatest night."``) taken in whole."""
    bounds = _trimmed_bounds(parsed.text, content)
    if bounds is None:
        return None
    start, end = bounds
    following = parsed.next_passage(end)
    if following is not None and not parsed.text[end : following[0]].strip(" " + QUOTE_CHARS):
        end = following[1]
    return start, end


def _trimmed_bounds(text: str, span: Span) -> tuple[int, int] | None:
    """Character bounds of ``span`` without an edge complementiser and edge punctuation; None
    when fewer than two words remain."""
    tokens = [t for t in span if not t.is_space]
    while tokens and (_is_complementiser(tokens[0]) or _is_edge_punct(tokens[0])):
        tokens.pop(0)
    while tokens and _is_edge_punct(tokens[-1]) and tokens[-1].text not in "?!":
        tokens.pop()
    if sum(not t.is_punct for t in tokens) < 2:
        return None
    start, end = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
    while start < end and text[start] in EDGE_CHARS:
        start += 1
    while end > start and text[end - 1] in EDGE_CHARS:
        end -= 1
    return _unquoted_edges(text, start, end)


def _is_edge_punct(token: Token) -> bool:
    """Punctuation to trim from content edges; quote marks stay, as they may pair inside."""
    return token.is_punct and token.text not in QUOTE_CHARS


def _unquoted_edges(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop a quote mark at either edge that has no partner inside the content."""
    if start < end and text[start] in QUOTE_CHARS and not _has_quote(text, start + 1, end):
        start += 1
    if start < end and text[end - 1] in QUOTE_CHARS and not _has_quote(text, start, end - 1):
        end -= 1
    return (start, end) if start < end else None


def _has_quote(text: str, start: int, end: int) -> bool:
    return any(ch in QUOTE_CHARS for ch in text[start:end])


def _subtree_span(token: Token) -> Span:
    return token.doc[token.left_edge.i : token.right_edge.i + 1]


# --- 4. Speakers ----------------------------------------------------------------------------------


def _subject_of(cue: Token) -> Token | None:
    """The cue's subject, or its governor's for participles and coordinated verbs; a clause
    modifying a noun without a subject of its own (``a statement saying``) speaks for the noun."""
    verb = cue
    for _ in range(3):
        subject = next((c for c in verb.children if c.dep_ in SUBJECT_DEPS), None)
        if subject is not None:
            return None if subject.dep_ == "nsubjpass" and subject.lower_ == "it" else subject
        if verb.dep_ in {"relcl", "acl"}:
            return verb.head
        if verb.dep_ not in SUBJECT_DONOR_DEPS or verb.head.i == verb.i:
            return None
        verb = verb.head
    return None


def _speaker_phrase(parsed: _Parsed, head: Token) -> Span:
    """The noun phrase of ``head`` as far as its first appositive, relative clause or comma, and
    within its paragraph."""
    end = head.i + 1
    for child in head.rights:
        if child.dep_ in SPEAKER_CUT_DEPS:
            break
        end = child.right_edge.i + 1
    start = head.left_edge.i
    while start < head.i and (parsed.doc[start].is_punct or parsed.doc[start].dep_ == "cc"):
        start += 1
    return parsed.clip(parsed.doc[start:end], head)


@dataclass(frozen=True)
class _Mention:
    start: int
    name: str
    surname: str
    subject: bool


class _Resolver:
    """Names for speakers as written: pronouns to the nearest fitting named mention before them,
    surnames to the fullest form of the name in the document, spokespeople to their organisation,
    relative pronouns to the noun they stand for."""

    def __init__(self, parsed: _Parsed) -> None:
        self.parsed = parsed
        self.people: list[_Mention] = []
        self.orgs: list[_Mention] = []
        self.gender: dict[str, str] = {}
        self.full_names: dict[str, str] = {}
        self.role_orgs: dict[str, str] = {}
        for ent in parsed.doc.ents:
            if ent.label_ == "PERSON" and not parsed.inside(ent.root):
                self._add_person(ent)
            elif ent.label_ == "ORG" and not parsed.inside(ent.root):
                self.orgs.append(_Mention(ent.start_char, ent.text, ent[-1].text, _is_subject(ent)))

    def _add_person(self, ent: Span) -> None:
        name = _with_titles(ent)
        surname = ent[-1].text
        self.people.append(_Mention(ent.start_char, name, surname, _is_subject(ent)))
        if len(name) > len(self.full_names.get(surname, "")):
            self.full_names[surname] = name
        titles = {ent[0].text} | ({ent.doc[ent.start - 1].text} if ent.start > 0 else set())
        if titles & MALE_TITLES:
            self.gender[surname] = "m"
        elif titles & FEMALE_TITLES:
            self.gender[surname] = "f"

    def name(self, speaker: Span) -> str | None:
        """The name ``speaker`` stands for, or None; called in text order, as a spokesman whose
        organisation is stated once speaks for it in later sentences too."""
        head = speaker.root
        word = head.lower_
        if len(speaker) == 1 and word in PERSON_PRONOUNS:
            return self._nearest_person(speaker.start_char, PERSON_PRONOUNS[word])
        if len(speaker) == 1 and word in ORG_PRONOUNS:
            return _nearest(self.orgs, speaker.start_char)
        if len(speaker) == 1 and word in RELATIVE_PRONOUNS and head.head.dep_ == "relcl":
            return self.name(_speaker_phrase(self.parsed, head.head.head))
        if head.text in self.full_names:
            return self.full_names[head.text]
        if head.ent_type_ in NAMED_LABELS:
            return _entity_name(head)
        if head.pos_ == "PROPN":
            return _proper_name(head)
        if head.lemma_ in ROLE_NOUNS:
            named = [t for t in speaker if t.ent_type_ in NAMED_LABELS]
            if named:
                self.role_orgs[head.lemma_] = _entity_name(named[0])
            return self.role_orgs.get(head.lemma_)
        return None

    def _nearest_person(self, before: int, gender: str) -> str | None:
        fitting = [m for m in self.people if self.gender.get(m.surname, gender) == gender]
        found = _nearest(fitting, before)
        return self.full_names.get(found.split()[-1], found) if found else None


def _nearest(mentions: list[_Mention], before: int) -> str | None:
    """The last mention before ``before`` that is a subject, else the last one: "he" most often
    continues the sentence subject, not whoever was last named."""
    earlier = [m for m in mentions if m.start < before]
    subjects = [m for m in earlier if m.subject]
    return (subjects or earlier)[-1].name if earlier else None


def _is_subject(ent: Span) -> bool:
    root = ent.root
    return root.dep_ in SUBJECT_DEPS or (
        root.dep_ in {"compound", "appos"} and root.head.dep_ in SUBJECT_DEPS
    )


def _entity_name(token: Token) -> str:
    """The named entity ``token`` is part of, as a name: "the Port Authority" is "Port
    Authority", as the tagger leaves the article out of most names, and "Fox News's" is "Fox
    News", as it sometimes takes a possessive in."""
    ent = next(e for e in token.doc.ents if e.start <= token.i < e.end)
    if ent.label_ == "PERSON":
        return _with_titles(ent)
    start = ent.start + 1 if len(ent) > 1 and ent[0].lower_ == "the" else ent.start
    end = next((t.i for t in ent[1:] if t.lower_ in POSSESSIVE_MARKS), ent.end)
    return token.doc[start:end].text


def _proper_name(head: Token) -> str:
    """A name the entity tagger missed: the proper nouns compounded into ``head``, without
    plain honorifics."""
    doc, start = head.doc, head.i
    while start > 0 and _is_name_part(doc[start - 1], head):
        start -= 1
    while start < head.i and doc[start].text in HONORIFICS:
        start += 1
    return doc[start : head.i + 1].text


def _is_name_part(token: Token, head: Token) -> bool:
    return token.dep_ == "compound" and token.head.i == head.i and token.pos_ == "PROPN"


def _with_titles(ent: Span) -> str:
    """A person's name with the titles that belong to it ("Sir"), without plain honorifics
    ("Ms"), so every mention of one person resolves to the same string."""
    start, end = ent.start, ent.end
    while start > 0 and ent.doc[start - 1].text in NAME_TITLES:
        start -= 1
    while start < end - 1 and ent.doc[start].text in HONORIFICS:
        start += 1
    return ent.doc[start:end].text


# --- 5. Outlets -----------------------------------------------------------------------------------


def _via(attribution: _Attribution) -> str | None:
    """The outlet a quote is credited to: the speaker itself when an outlet reports, else an
    outlet in the frame (``told the Times``, ``in an interview with Sky News``)."""
    frame = attribution.frame
    reporting = _outlet_name(frame.speaker.root)
    if reporting is not None:
        return reporting
    if frame.cue_token is None:
        return None
    for token in frame.cue_token.subtree:
        if token.dep_ not in VIA_DEPS or token.head.lemma_.lower() not in VIA_GOVERNORS:
            continue
        if attribution.start <= token.idx < attribution.end:
            continue
        name = _outlet_name(token)
        if name is not None:
            return name
    return None


def _outlet_name(token: Token) -> str | None:
    """The outlet ``token`` names, or its possessor names (``the BBC's Today programme``)."""
    for candidate in (token, *(c for c in token.children if c.dep_ == "poss")):
        if candidate.ent_type_ in OUTLET_LABELS and OUTLET.search(_entity_name(candidate)):
            return _entity_name(candidate)
        if _is_proper(candidate) and OUTLET.fullmatch(candidate.text):
            return _proper_name(candidate)
    return None


def _is_proper(token: Token) -> bool:
    return token.pos_ == "PROPN" and token.ent_type_ != "PERSON"


def _to_quote(parsed: _Parsed, attribution: _Attribution, resolver: _Resolver) -> Quote:
    speaker = attribution.frame.speaker
    name = resolver.name(speaker)
    return Quote(
        start=attribution.start,
        end=attribution.end,
        text=parsed.text[attribution.start : attribution.end],
        speaker_text=speaker.text,
        speaker_name=name,
        speaker_start=speaker.start_char,
        speaker_end=speaker.end_char,
        cue=attribution.frame.cue,
        direct=attribution.direct,
        via=_via(attribution),
    )
