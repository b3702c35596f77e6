"""The story store: one SQLite file per story, readable in any SQLite browser.

This module owns the schema and every SQL statement. The schema version is SQLite's
``user_version``; ``MIGRATIONS[n]`` takes a store from version n to n + 1, so old stores open in
new releases. Each document is written in one transaction with its sentences and stage records,
which is what makes a killed run resumable without duplicates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from storycheck.errors import StorycheckError
from storycheck.records import Document, Sentence, Signal, SpinRepair

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,            -- SHA-256 prefix of the raw bytes
        uri TEXT NOT NULL,              -- its URL when known, else the path it was read from
        input TEXT NOT NULL,            -- where it was read: path, path:line, path#record
        format TEXT NOT NULL,           -- text | markdown | html | json
        raw BLOB NOT NULL,              -- the input exactly as read
        extracted TEXT NOT NULL,        -- main text before cleaning
        cleaned TEXT NOT NULL,          -- boilerplate cut, before despinning
        text TEXT NOT NULL,             -- cleaned and despun: what every later stage reads
        title TEXT, title_source TEXT, author TEXT, published TEXT,
        source TEXT, site_name TEXT, canonical_url TEXT, language TEXT, encoding TEXT,
        republished_from TEXT,
        genre TEXT NOT NULL DEFAULT 'unknown',
        signals TEXT NOT NULL DEFAULT '[]',   -- JSON list of cut boilerplate and other evidence
        spin_score REAL,
        spun INTEGER NOT NULL DEFAULT 0,
        repairs TEXT NOT NULL DEFAULT '[]',   -- JSON: words the despinner restored
        origin TEXT,                    -- the document this one's story started from
        profile TEXT,                   -- JSON: why the genre, and the signals behind it
        added_at TEXT NOT NULL
    );
    CREATE TABLE derivations (
        source TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        target TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,             -- copy | republication | spun_copy | rewrite | quotation
        score REAL NOT NULL,            -- share of the target the source accounts for
        source_coverage REAL NOT NULL,
        target_coverage REAL NOT NULL,
        identity REAL NOT NULL,
        word_order REAL NOT NULL,
        direction TEXT NOT NULL,        -- the evidence that decided which came first
        shared TEXT NOT NULL,           -- JSON list of aligned passages (character offsets)
        PRIMARY KEY (source, target)
    );
    CREATE TABLE embeddings (
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        kind TEXT NOT NULL,             -- lead | sentences
        input_hash TEXT NOT NULL,       -- hash of the texts embedded, so edits invalidate
        dim INTEGER NOT NULL,
        vectors BLOB NOT NULL,          -- float16, row-major, one row per text
        PRIMARY KEY (document, model, kind)
    );
    CREATE TABLE corpus_runs (
        stage TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        input_hash TEXT NOT NULL,
        done_at TEXT NOT NULL
    );
    CREATE TABLE sentences (
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (document, idx)
    );
    CREATE TABLE stage_runs (
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        stage TEXT NOT NULL,
        version INTEGER NOT NULL,
        input_hash TEXT NOT NULL,
        done_at TEXT NOT NULL,
        PRIMARY KEY (document, stage)
    );
    CREATE TABLE input_errors (
        input TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_DOCUMENT_COLUMNS = (
    "id",
    "uri",
    "input",
    "format",
    "raw",
    "extracted",
    "cleaned",
    "text",
    "title",
    "title_source",
    "author",
    "published",
    "source",
    "site_name",
    "canonical_url",
    "language",
    "encoding",
    "republished_from",
    "genre",
    "spin_score",
    "spun",
)


class Store:
    """Reads and writes one story database."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Store]:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            _migrate(connection)
            yield cls(connection)
        finally:
            connection.close()

    # Documents ---------------------------------------------------------------------------------

    def stage_runs(self, document: str) -> dict[str, tuple[int, str]]:
        """Each stage that has run on ``document``: its version and the hash of its input."""
        rows = self._db.execute(
            "SELECT stage, version, input_hash FROM stage_runs WHERE document = ?", (document,)
        ).fetchall()
        return {stage: (int(version), str(key)) for stage, version, key in rows}

    def save(self, doc: Document, stages: dict[str, tuple[int, str]]) -> None:
        """Write a document, its sentences and the stages that produced them, all or nothing."""
        now = _now()
        values = [getattr(doc, c) for c in _DOCUMENT_COLUMNS]
        signals = json.dumps([s.to_json() for s in doc.signals], ensure_ascii=False)
        repairs = json.dumps([r.to_json() for r in doc.repairs], ensure_ascii=False)
        with self._db:
            json_columns = ("signals", "repairs")
            self._db.execute(
                f"INSERT INTO documents ({', '.join(_DOCUMENT_COLUMNS + json_columns)}, added_at) "
                f"VALUES ({', '.join('?' * (len(values) + 3))}) "
                "ON CONFLICT(id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in (*_DOCUMENT_COLUMNS[1:], *json_columns)),
                (*values, signals, repairs, now),
            )
            self._db.execute("DELETE FROM sentences WHERE document = ?", (doc.id,))
            self._db.executemany(
                "INSERT INTO sentences (document, idx, start_char, end_char, text) "
                "VALUES (?, ?, ?, ?, ?)",
                [(doc.id, s.index, s.start, s.end, s.text) for s in doc.sentences],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO stage_runs (document, stage, version, input_hash, done_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(doc.id, name, v, h, now) for name, (v, h) in stages.items()],
            )

    def document(self, document_id: str) -> Document | None:
        rows = self._documents("WHERE id = ?", (document_id,))
        return rows[0] if rows else None

    def documents(self) -> list[Document]:
        """All documents in the order they were first added."""
        return self._documents("ORDER BY rowid", ())

    def count_documents(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def _documents(self, where: str, params: tuple[str, ...]) -> list[Document]:
        cursor = self._db.execute(
            f"SELECT {', '.join(_DOCUMENT_COLUMNS)}, signals, repairs FROM documents {where}",
            params,
        )
        docs = []
        for row in cursor.fetchall():
            fields = dict(zip(_DOCUMENT_COLUMNS, row[:-2], strict=True))
            fields["spun"] = bool(fields["spun"])
            doc = Document(**fields)
            doc.signals = [Signal(**s) for s in json.loads(row[-2])]
            doc.repairs = [SpinRepair(**r) for r in json.loads(row[-1])]
            doc.sentences = self.sentences(doc.id)
            docs.append(doc)
        return docs

    def sentences(self, document_id: str) -> list[Sentence]:
        rows = self._db.execute(
            "SELECT idx, start_char, end_char, text FROM sentences WHERE document = ? ORDER BY idx",
            (document_id,),
        ).fetchall()
        return [Sentence(*row) for row in rows]

    # Cross-document stages ---------------------------------------------------------------------

    def corpus_stage_current(self, stage: str, version: int, input_hash: str) -> bool:
        row = self._db.execute(
            "SELECT version, input_hash FROM corpus_runs WHERE stage = ?", (stage,)
        ).fetchone()
        return row is not None and (int(row[0]), str(row[1])) == (version, input_hash)

    def save_provenance(
        self,
        derivations: list[dict[str, Any]],
        documents: dict[str, tuple[str, str, dict[str, Any]]],
        stage: tuple[str, int, str],
    ) -> None:
        """Replace all derivations, and set each document's (origin, genre, profile)."""
        with self._db:
            self._db.execute("DELETE FROM derivations")
            self._db.executemany(
                "INSERT INTO derivations (source, target, kind, score, source_coverage, "
                "target_coverage, identity, word_order, direction, shared) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d["source"], d["target"], d["kind"], d["score"], d["source_coverage"],
                        d["target_coverage"], d["identity"], d["order"], d["direction"],
                        json.dumps(d["shared"]),
                    )
                    for d in derivations
                ],
            )  # fmt: skip
            self._db.executemany(
                "UPDATE documents SET origin = ?, genre = ?, profile = ? WHERE id = ?",
                [
                    (origin, genre, json.dumps(profile, ensure_ascii=False), doc_id)
                    for doc_id, (origin, genre, profile) in documents.items()
                ],
            )
            self._record_corpus_stage(*stage)

    def _record_corpus_stage(self, stage: str, version: int, input_hash: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO corpus_runs (stage, version, input_hash, done_at) "
            "VALUES (?, ?, ?, ?)",
            (stage, version, input_hash, _now()),
        )

    def derivations(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT source, target, kind, score, source_coverage, target_coverage, identity, "
            "word_order, direction, shared FROM derivations ORDER BY rowid"
        ).fetchall()
        keys = ("source", "target", "kind", "score", "source_coverage", "target_coverage",
                "identity", "order", "direction")  # fmt: skip
        return [dict(zip(keys, row[:-1], strict=True), shared=json.loads(row[-1])) for row in rows]

    def document_extras(self) -> dict[str, tuple[str | None, dict[str, Any] | None]]:
        """Each document's origin and profile, written by the provenance stage."""
        rows = self._db.execute("SELECT id, origin, profile FROM documents").fetchall()
        return {i: (o, json.loads(p) if p else None) for i, o, p in rows}

    # Embeddings cache --------------------------------------------------------------------------

    def vectors(
        self, model: str, kind: str, documents: Sequence[str]
    ) -> dict[str, tuple[str, np.ndarray]]:
        """Cached vectors by document: (hash of the embedded texts, float32 array)."""
        found = {}
        for start in range(0, len(documents), 500):
            chunk = list(documents[start : start + 500])
            rows = self._db.execute(
                "SELECT document, input_hash, dim, vectors FROM embeddings WHERE model = ? AND "
                f"kind = ? AND document IN ({', '.join('?' * len(chunk))})",
                (model, kind, *chunk),
            ).fetchall()
            for doc, key, dim, blob in rows:
                array = np.frombuffer(blob, dtype=np.float16).reshape(-1, dim)
                found[doc] = (key, array.astype(np.float32))
        return found

    def save_vectors(self, model: str, kind: str, rows: list[tuple[str, str, np.ndarray]]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (document, model, kind, input_hash, dim, "
                "vectors) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (doc, model, kind, key, array.shape[1], array.astype(np.float16).tobytes())
                    for doc, key, array in rows
                ],
            )

    # Input errors of the latest run ------------------------------------------------------------

    def replace_errors(self, errors: list[tuple[str, str]]) -> None:
        now = _now()
        with self._db:
            self._db.execute("DELETE FROM input_errors")
            self._db.executemany(
                "INSERT OR REPLACE INTO input_errors (input, reason, at) VALUES (?, ?, ?)",
                [(where, reason, now) for where, reason in errors],
            )

    def errors(self) -> list[tuple[str, str]]:
        rows = self._db.execute("SELECT input, reason FROM input_errors ORDER BY rowid")
        return [(str(a), str(b)) for a, b in rows.fetchall()]


def _migrate(connection: sqlite3.Connection) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorycheckError(
            f"story.db has schema version {version}, newer than this storycheck "
            f"({SCHEMA_VERSION}); upgrade storycheck"
        )
    for target in range(version, SCHEMA_VERSION):
        # One script per step so that a migration and its version bump commit together.
        connection.executescript(
            f"BEGIN; {MIGRATIONS[target]} PRAGMA user_version = {target + 1}; COMMIT;"
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
