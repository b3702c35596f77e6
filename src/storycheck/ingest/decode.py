"""Bytes to text: refuse binary data, detect the encoding, repair mojibake.

News arrives in every encoding and is often double-decoded somewhere upstream ("â€™" for "’").
charset-normalizer guesses the encoding when UTF-8 fails; ftfy then undoes mojibake that survived
a wrong decode earlier in the page's life.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import ftfy
from charset_normalizer import from_bytes

from storycheck.errors import InputError

# Leading bytes of common binary formats that a text guesser might still "decode".
_BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"PK\x03\x04",
    b"\x7fELF",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"SQLite format 3",
    b"ID3",
    b"OggS",
    b"RIFF",
)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Guesses that, for English text, almost always mean Windows-1252.
_WESTERN_LOOKALIKES = frozenset(
    {"cp1250", "cp1254", "cp1257", "latin_1", "iso8859_2", "iso8859_9", "iso8859_15", "mac_roman"}
)
# Share of control characters (other than whitespace) above which bytes are not text.
_MAX_CONTROL_SHARE = 0.02


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    mojibake_fixed: bool


def looks_binary(data: bytes) -> bool:
    """True for bytes that are a known binary format or full of NUL and control characters."""
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192]:
        return True
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return bool(sample) and controls / len(sample) > _MAX_CONTROL_SHARE


def decode_bytes(data: bytes, where: str, declared: str | None = None) -> Decoded:
    """Decode ``data`` to clean Unicode text, or raise InputError saying why it is not text.

    ``declared`` is an encoding named by the container (an HTTP header, a JSON parser's choice);
    it is tried first but not trusted blindly.
    """
    if not data.strip():
        raise InputError(where, "empty input")
    bom = next((enc for mark, enc in _BOMS if data.startswith(mark)), None)
    if bom is None and looks_binary(data):
        raise InputError(where, "binary file (not text); give text, HTML, JSON, JSONL or WARC")
    text, encoding = _decode(data, bom or declared)
    if text is None:
        raise InputError(where, "undecodable bytes: no text encoding fits this input")
    # Keep curly quotes: they are the text as published, and quote extraction reads them.
    fixed = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFC")
    return Decoded(
        text=fixed,
        encoding=encoding,
        mojibake_fixed=fixed != unicodedata.normalize("NFC", text),
    )


def _decode(data: bytes, declared: str | None) -> tuple[str | None, str]:
    for encoding in (declared, "utf-8"):
        if not encoding:
            continue
        try:
            return data.decode(encoding), encoding.lower()
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None, ""
    if best.encoding in _WESTERN_LOOKALIKES:
        # Single-byte Latin code pages differ in a handful of letters and the guesser cannot tell
        # them apart on English text; Windows-1252 is by far the commonest for English news.
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return str(best), best.encoding
