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
from storycheck.records import (
    Claim,
    Document,
    Mention,
    Quote,
    Sentence,
    Signal,
    SpinRepair,
    SpinSuspect,
)

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
    """
    ALTER TABLE sentences ADD COLUMN checkworthiness REAL;
    CREATE TABLE claims (
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        sentence INTEGER NOT NULL,      -- the sentence's idx
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        kind TEXT NOT NULL,             -- quantity | event | attribution | other
        checkworthiness REAL NOT NULL,
        numbers TEXT NOT NULL,          -- JSON: normalised quantities
        dates TEXT NOT NULL,            -- JSON: normalised dates and periods
        PRIMARY KEY (document, idx)
    );
    CREATE TABLE quotes (
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        speaker_text TEXT, speaker_name TEXT, speaker_start INTEGER, speaker_end INTEGER,
        cue TEXT,
        direct INTEGER NOT NULL,
        via TEXT,                       -- the outlet the quote is credited to
        PRIMARY KEY (document, idx)
    );
    CREATE TABLE mentions (             -- names as the entity model found them, per document
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        type TEXT NOT NULL,             -- person | organisation | place
        PRIMARY KEY (document, idx)
    );
    CREATE TABLE entities (             -- written by the story stage from all mentions
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        aliases TEXT NOT NULL,          -- JSON list of the names used
        documents TEXT NOT NULL         -- JSON list of document ids
    );
    CREATE TABLE entity_mentions (      -- every mention with its entity, including aliases
        document TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        start_char INTEGER NOT NULL,    -- the model missed but the story knows
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        entity TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
        PRIMARY KEY (document, start_char)
    );
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        date_start TEXT, date_end TEXT, date_text TEXT NOT NULL, precision TEXT,
        text TEXT NOT NULL,
        documents TEXT NOT NULL,        -- JSON list of document ids
        claims TEXT NOT NULL            -- JSON list of claim ids
    );
    CREATE TABLE claim_groups (         -- one proposition across documents, contested first
        id TEXT PRIMARY KEY,
        statement TEXT NOT NULL,
        status TEXT NOT NULL,           -- contested | corroborated | single_source
        independent_sources INTEGER NOT NULL,
        contradicting_sources INTEGER NOT NULL,
        members TEXT NOT NULL,          -- JSON: claim, document, stance, origin
        documents TEXT NOT NULL         -- JSON list of document ids
    );
    """,
    """
    -- JSON: words the despinner left as published although they still look spun
    ALTER TABLE documents ADD COLUMN suspects TEXT NOT NULL DEFAULT '[]';
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
# Document fields held as JSON lists in one column each, with the record type of their items.
_JSON_COLUMNS: dict[str, type] = {"signals": Signal, "repairs": SpinRepair, "suspects": SpinSuspect}


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
        values = [getattr(doc, c) for c in _DOCUMENT_COLUMNS] + [
            json.dumps([item.to_json() for item in getattr(doc, c)], ensure_ascii=False)
            for c in _JSON_COLUMNS
        ]
        columns = (*_DOCUMENT_COLUMNS, *_JSON_COLUMNS)
        with self._db:
            self._db.execute(
                f"INSERT INTO documents ({', '.join(columns)}, added_at) "
                f"VALUES ({', '.join('?' * (len(values) + 1))}) "
                "ON CONFLICT(id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in columns[1:]),
                (*values, now),
            )
            self._db.execute("DELETE FROM sentences WHERE document = ?", (doc.id,))
            self._db.executemany(
                "INSERT INTO sentences (document, idx, start_char, end_char, text, "
                "checkworthiness) VALUES (?, ?, ?, ?, ?, ?)",
                [(doc.id, s.index, s.start, s.end, s.text, s.checkworthiness)
                 for s in doc.sentences],
            )  # fmt: skip
            self._save_claims(doc)
            self._db.executemany(
                "INSERT OR REPLACE INTO stage_runs (document, stage, version, input_hash, done_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(doc.id, name, v, h, now) for name, (v, h) in stages.items()],
            )

    def _save_claims(self, doc: Document) -> None:
        for table in ("claims", "quotes", "mentions"):
            self._db.execute(f"DELETE FROM {table} WHERE document = ?", (doc.id,))
        self._db.executemany(
            "INSERT INTO claims (document, idx, sentence, start_char, end_char, text, kind, "
            "checkworthiness, numbers, dates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (doc.id, c.index, c.sentence, c.start, c.end, c.text, c.kind, c.checkworthiness,
                 _json(c.numbers), _json(c.dates))
                for c in doc.claims
            ],
        )  # fmt: skip
        self._db.executemany(
            "INSERT INTO quotes (document, idx, start_char, end_char, text, speaker_text, "
            "speaker_name, speaker_start, speaker_end, cue, direct, via) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (doc.id, i, q.start, q.end, q.text, q.speaker_text, q.speaker_name,
                 q.speaker_start, q.speaker_end, q.cue, int(q.direct), q.via)
                for i, q in enumerate(doc.quotes)
            ],
        )  # fmt: skip
        self._db.executemany(
            "INSERT INTO mentions (document, idx, start_char, end_char, text, type) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(doc.id, i, m.start, m.end, m.text, m.type) for i, m in enumerate(doc.mentions)],
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
            f"SELECT {', '.join((*_DOCUMENT_COLUMNS, *_JSON_COLUMNS))} FROM documents {where}",
            params,
        )
        docs = []
        width = len(_DOCUMENT_COLUMNS)
        for row in cursor.fetchall():
            fields = dict(zip(_DOCUMENT_COLUMNS, row[:width], strict=True))
            fields["spun"] = bool(fields["spun"])
            doc = Document(**fields)
            for (column, record), raw in zip(_JSON_COLUMNS.items(), row[width:], strict=True):
                setattr(doc, column, [record(**item) for item in json.loads(raw)])
            doc.sentences = self.sentences(doc.id)
            self._load_claims(doc)
            docs.append(doc)
        return docs

    def sentences(self, document_id: str) -> list[Sentence]:
        rows = self._db.execute(
            "SELECT idx, start_char, end_char, text, checkworthiness FROM sentences "
            "WHERE document = ? ORDER BY idx",
            (document_id,),
        ).fetchall()
        return [Sentence(*row) for row in rows]

    def _load_claims(self, doc: Document) -> None:
        where = "WHERE document = ? ORDER BY idx"
        doc.claims = [
            Claim(idx, sentence, start, end, text, kind, score, tuple(json.loads(numbers)),
                  tuple(json.loads(dates)))
            for idx, sentence, start, end, text, kind, score, numbers, dates in self._db.execute(
                "SELECT idx, sentence, start_char, end_char, text, kind, checkworthiness, "
                f"numbers, dates FROM claims {where}", (doc.id,)
            )
        ]  # fmt: skip
        doc.quotes = [
            Quote(start, end, text, speaker, name, s_start, s_end, cue, bool(direct), via)
            for start, end, text, speaker, name, s_start, s_end, cue, direct, via
            in self._db.execute(
                "SELECT start_char, end_char, text, speaker_text, speaker_name, speaker_start, "
                f"speaker_end, cue, direct, via FROM quotes {where}", (doc.id,)
            )
        ]  # fmt: skip
        doc.mentions = [
            Mention(*row)
            for row in self._db.execute(
                f"SELECT start_char, end_char, text, type FROM mentions {where}", (doc.id,)
            )
        ]

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

    def save_story_claims(
        self,
        entities: list[dict[str, Any]],
        mentions: list[tuple[str, int, int, str, str]],
        events: list[dict[str, Any]],
        stage: tuple[str, int, str],
    ) -> None:
        """Replace the story's entities, resolved mentions (document, start, end, text, entity)
        and events."""
        with self._db:
            for table in ("entity_mentions", "events", "entities"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.executemany(
                "INSERT INTO entities (id, name, type, aliases, documents) VALUES (?, ?, ?, ?, ?)",
                [(e["id"], e["name"], e["type"], _json(e["aliases"]), _json(e["documents"]))
                 for e in entities],
            )  # fmt: skip
            self._db.executemany(
                "INSERT INTO entity_mentions (document, start_char, end_char, text, entity) "
                "VALUES (?, ?, ?, ?, ?)",
                mentions,
            )
            self._db.executemany(
                "INSERT INTO events (id, date_start, date_end, date_text, precision, text, "
                "documents, claims) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (e["id"], e["date"]["start"], e["date"]["end"], e["date"]["text"],
                     e["date"].get("precision"), e["text"], _json(e["documents"]),
                     _json(e["claims"]))
                    for e in events
                ],
            )  # fmt: skip
            self._record_corpus_stage(*stage)

    def save_claim_groups(self, groups: list[dict[str, Any]], stage: tuple[str, int, str]) -> None:
        with self._db:
            self._db.execute("DELETE FROM claim_groups")
            self._db.executemany(
                "INSERT INTO claim_groups (id, statement, status, independent_sources, "
                "contradicting_sources, members, documents) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (g["id"], g["statement"], g["status"], g["independent_sources"],
                     g["contradicting_sources"], _json(g["members"]), _json(g["documents"]))
                    for g in groups
                ],
            )  # fmt: skip
            self._record_corpus_stage(*stage)

    def claim_groups(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, statement, status, independent_sources, contradicting_sources, members, "
            "documents FROM claim_groups ORDER BY rowid"
        ).fetchall()
        return [
            {"id": i, "statement": st, "members": json.loads(m), "documents": json.loads(d),
             "independent_sources": n, "contradicting_sources": c, "status": status}
            for i, st, status, n, c, m, d in rows
        ]  # fmt: skip

    def entities(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, name, type, aliases, documents FROM entities ORDER BY rowid"
        ).fetchall()
        return [
            {"id": i, "name": n, "type": t, "aliases": json.loads(a), "documents": json.loads(d)}
            for i, n, t, a, d in rows
        ]

    def entity_mentions(self) -> dict[str, list[tuple[int, int, str, str]]]:
        """By document: (start, end, text, entity id) of every resolved mention, in order."""
        found: dict[str, list[tuple[int, int, str, str]]] = {}
        for doc, start, end, text, entity in self._db.execute(
            "SELECT document, start_char, end_char, text, entity FROM entity_mentions "
            "ORDER BY document, start_char"
        ):
            found.setdefault(doc, []).append((start, end, text, entity))
        return found

    def events(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT id, date_start, date_end, date_text, precision, text, documents, claims "
            "FROM events ORDER BY date_start, rowid"
        ).fetchall()
        return [
            {"id": i, "date": {"start": s, "end": e, "text": t, "precision": p}, "text": text,
             "documents": json.loads(docs), "claims": json.loads(claims)}
            for i, s, e, t, p, text, docs, claims in rows
        ]  # fmt: skip

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

    def origins(self) -> dict[str, str]:
        """Each document's origin, itself where provenance found none: the unit sources are
        counted in, so copies of one report count once."""
        rows = self._db.execute("SELECT id, coalesce(origin, id) FROM documents").fetchall()
        return {str(doc): str(origin) for doc, origin in rows}

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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
