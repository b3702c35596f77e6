"""The Parquet tables ``scale`` writes, column by column (see docs/scaling.md).

Nested story.json values (repairs, suspects, signals, a document's genre profile, a claim's
numbers and dates, a derivation's shared passages) are JSON strings: every engine that reads
Parquet can read them, and their shape is story.json's, documented once.
"""

from __future__ import annotations

from pyspark.sql.types import (
    BinaryType,
    BooleanType,
    DoubleType,
    IntegerType,
    StringType,
    StructField,
    StructType,
)


def _table(*columns: tuple[str, object]) -> StructType:
    return StructType([StructField(name, kind, nullable=True) for name, kind in columns])


_S, _I, _D, _B = StringType(), IntegerType(), DoubleType(), BooleanType()

TABLES: dict[str, StructType] = {
    "documents": _table(
        ("id", _S), ("uri", _S), ("input", _S), ("format", _S), ("source", _S),
        ("site_name", _S), ("title", _S), ("published", _S), ("author", _S), ("language", _S),
        ("genre", _S), ("origin", _S), ("story", _S), ("spin_score", _D), ("spun", _B),
        ("repairs", _S), ("suspects", _S), ("signals", _S), ("profile", _S), ("text", _S),
        ("month", _S),
    ),
    "sentences": _table(
        ("document", _S), ("index", _I), ("start", _I), ("end", _I), ("text", _S),
        ("checkworthiness", _D), ("month", _S),
    ),
    "claims": _table(
        ("id", _S), ("document", _S), ("sentence", _I), ("start", _I), ("end", _I),
        ("text", _S), ("kind", _S), ("checkworthiness", _D), ("numbers", _S), ("dates", _S),
        ("month", _S),
    ),
    "records": _table(
        ("document", _S), ("story", _S), ("where", _S), ("uri", _S), ("format", _S),
        ("data", BinaryType()), ("fields", _S),
    ),
    "derivations": _table(
        ("source", _S), ("target", _S), ("kind", _S), ("score", _D), ("source_coverage", _D),
        ("target_coverage", _D), ("identity", _D), ("order", _D), ("direction", _S),
        ("shared", _S),
    ),
    "stories": _table(("document", _S), ("story", _S)),
    "errors": _table(("input", _S), ("reason", _S)),
}  # fmt: skip
