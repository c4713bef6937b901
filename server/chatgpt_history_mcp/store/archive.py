"""The conversation archive: normalized conversations in SQLite, the store's source of truth.

SQLite gives atomic, crash-safe writes and consistent reads while a writer works (WAL). The full-text
index is derived from it: every write also queues the conversation in ``pending_index`` in the same
transaction, and the queue is emptied only once the index has committed, so a crash between the two is
repaired on the next start.

The schema only ever grows by tables (``CREATE TABLE IF NOT EXISTS`` on every open): an archive written by an
earlier release opens as it was and gains the tables it lacks (``gizmos``, the names of projects and custom
GPTs, came after the first releases), losing nothing.

Opening runs SQLite's ``quick_check`` (every page read once; for 10,000 conversations 30–100 ms when the file is
in the OS cache, about a second from a cold disk): a damaged archive is refused with what to do, never served
half-read. Damage it misses (inside a stored body) is refused when that body is read.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from chatgpt_history_mcp.errors import ArchiveDamaged
from chatgpt_history_mcp.model import Conversation, Gizmo, to_epoch
from chatgpt_history_mcp.results import Automation, Memory

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT,
    create_time REAL,
    update_time REAL,
    model TEXT,
    project_id TEXT,
    is_archived INTEGER NOT NULL DEFAULT 0,
    is_starred INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    message_count INTEGER NOT NULL,
    change_key TEXT,
    body BLOB NOT NULL,
    stored_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_update ON conversations(update_time);
CREATE INDEX IF NOT EXISTS conversations_create ON conversations(create_time);
CREATE INDEX IF NOT EXISTS conversations_project ON conversations(project_id);
CREATE TABLE IF NOT EXISTS pending_index (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS sync_queue (id TEXT PRIMARY KEY, listed_update REAL);
CREATE TABLE IF NOT EXISTS memories (
    id TEXT PRIMARY KEY, position INTEGER, content TEXT, created_at TEXT, updated_at TEXT, fetched_at REAL
);
CREATE TABLE IF NOT EXISTS automations (
    id TEXT PRIMARY KEY, position INTEGER, title TEXT, body TEXT NOT NULL, fetched_at REAL
);
CREATE TABLE IF NOT EXISTS sync_state (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS gizmos (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT, deleted INTEGER NOT NULL DEFAULT 0, fetched_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    file_id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    name TEXT,
    conversation_id TEXT,
    origin TEXT NOT NULL,
    text BLOB,
    stored_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS files_content ON files(sha256);
CREATE TABLE IF NOT EXISTS files_gone (file_id TEXT PRIMARY KEY, reason TEXT NOT NULL, checked_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files_wanted (
    file_id TEXT NOT NULL, conversation_id TEXT NOT NULL, wanted_at REAL NOT NULL,
    PRIMARY KEY (file_id, conversation_id)
);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    fingerprint TEXT,
    imported_at REAL,
    outcome TEXT,
    detail TEXT,
    conversations INTEGER
);
"""

Order = Literal["updated", "created", "oldest"]
_ORDER_SQL = {
    "updated": "update_time DESC, id",
    "created": "create_time DESC, id",
    "oldest": "create_time ASC, id",
}


@dataclass(frozen=True)
class ConversationRow:
    """A conversation's listing facts, read without its body."""

    id: str
    title: str | None
    create_time: float | None
    update_time: float | None
    model: str | None
    project_id: str | None
    is_archived: bool
    message_count: int


@dataclass(frozen=True)
class StoredFile:
    """A file the store keeps: the id messages name it by, its content's SHA-256 (where its bytes are, see
    :mod:`.blobs`), what its bytes are, what it was called and the conversation it came with."""

    file_id: str
    sha256: str
    size: int
    mime_type: str
    name: str | None
    conversation_id: str | None
    origin: str


@dataclass(frozen=True)
class WantedFile:
    """A file the store lacks and the stored conversations that name it (a download asks in the first)."""

    file_id: str
    conversation_ids: tuple[str, ...]


_FILE_COLUMNS = "file_id, sha256, size, mime_type, name, conversation_id, origin"


@dataclass(frozen=True)
class SourceRow:
    path: str
    kind: str
    fingerprint: str | None
    imported_at: float | None
    outcome: str | None
    detail: str | None
    conversations: int | None


class Archive:
    """SQLite archive. Reads use a connection per thread; writes go through :meth:`transaction`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with contextlib.closing(self._connect()) as db:
            try:
                problems = [row[0] for row in db.execute("PRAGMA quick_check(3)")]
            except sqlite3.DatabaseError as exc:  # not a database at all, or a header too damaged to read
                raise damaged(path, str(exc)) from exc
            if problems != ["ok"]:
                lines = [line for row in problems for line in row.splitlines() if not line.startswith("***")]
                raise damaged(path, "; ".join(lines[:2]))
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    # -- writing -------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[ArchiveWriter]:
        """One atomic write: committed when the block ends, rolled back entirely if it raises."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            yield ArchiveWriter(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def requeue_all(self) -> None:
        """Queue every conversation for indexing (the index was rebuilt empty)."""
        with self.transaction() as w:
            w.db.execute("INSERT OR IGNORE INTO pending_index (id) SELECT id FROM conversations")

    def clear_pending(self, ids: Iterable[str]) -> None:
        with self.transaction() as w:
            w.db.executemany("DELETE FROM pending_index WHERE id = ?", ((i,) for i in ids))

    # -- reading -------------------------------------------------------------------------------------

    def change_keys(self, ids: Iterable[str] | None = None) -> dict[str, tuple[str | None, float | None]]:
        """The change key and update time of the stored conversations among ``ids`` (all when None), by id."""
        rows = self._rows("SELECT id, change_key, update_time FROM conversations", "id", ids)
        return {cid: (key, updated) for cid, key, updated in rows}

    def _rows(self, select: str, key: str, ids: Iterable[str] | None) -> list[Any]:
        """The rows of ``select`` whose ``key`` is among ``ids`` (every row when None), asked for in chunks of
        500 (SQLite bounds the parameters of one statement)."""
        if ids is None:
            return self._db.execute(select).fetchall()
        wanted = list(dict.fromkeys(ids))
        rows: list[Any] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows += self._db.execute(f"{select} WHERE {key} IN ({','.join('?' * len(chunk))})", chunk)
        return rows

    def get(self, conversation_id: str) -> Conversation | None:
        row = self._db.execute("SELECT body FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return self._body(conversation_id, row[0]) if row else None

    def get_many(self, ids: list[str]) -> dict[str, Conversation]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(f"SELECT id, body FROM conversations WHERE id IN ({marks})", ids)
        return {cid: self._body(cid, body) for cid, body in rows}

    def _body(self, conversation_id: str, body: bytes) -> Conversation:
        try:
            return Conversation.model_validate_json(zlib.decompress(body))
        except (zlib.error, ValidationError) as exc:
            raise damaged(self.path, f"the stored body of conversation {conversation_id} cannot be read") from exc

    def iter_ids(self, ids: Iterable[str]) -> Iterator[Conversation]:
        """The conversations of ``ids`` that exist, one at a time (memory stays flat)."""
        for cid in ids:
            conv = self.get(cid)
            if conv is not None:
                yield conv

    def pending(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM pending_index")]

    def listing(
        self,
        *,
        limit: int,
        offset: int = 0,
        order: Order = "updated",
        project: str | None = None,
        archived: bool | None = None,
        after: float | None = None,
        before: float | None = None,
    ) -> tuple[list[ConversationRow], int]:
        where: list[str] = []
        args: list[object] = []
        if project is not None:
            where.append("project_id = ?")
            args.append(project)
        if archived is not None:
            where.append("is_archived = ?")
            args.append(int(archived))
        if after is not None:
            where.append("update_time >= ?")
            args.append(after)
        if before is not None:
            where.append("create_time <= ?")
            args.append(before)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = self._db.execute(f"SELECT count(*) FROM conversations {clause}", args).fetchone()[0]
        rows = self._db.execute(
            "SELECT id, title, create_time, update_time, model, project_id, is_archived, message_count "
            f"FROM conversations {clause} ORDER BY {_ORDER_SQL[order]} LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        return [
            ConversationRow(
                id=r[0],
                title=r[1],
                create_time=r[2],
                update_time=r[3],
                model=r[4],
                project_id=r[5],
                is_archived=bool(r[6]),
                message_count=r[7],
            )
            for r in rows
        ], int(total)

    def counts(self) -> dict[str, int]:
        conversations, messages = self._db.execute(
            "SELECT count(*), coalesce(sum(message_count), 0) FROM conversations"
        ).fetchone()
        return {"conversations": conversations, "messages": messages}

    def project_ids(self) -> set[str]:
        """The project and custom GPT ids the stored conversations carry (read from the index alone)."""
        rows = self._db.execute("SELECT DISTINCT project_id FROM conversations WHERE project_id IS NOT NULL")
        return {r[0] for r in rows}

    def project_activity(self) -> dict[str, tuple[int, float | None]]:
        """Each project or custom GPT id the stored conversations carry: how many, and the newest activity."""
        rows = self._db.execute(
            "SELECT project_id, count(*), max(coalesce(update_time, create_time)) FROM conversations "
            "WHERE project_id IS NOT NULL GROUP BY project_id"
        )
        return {pid: (count, last) for pid, count, last in rows}

    def gizmos(self) -> dict[str, Gizmo]:
        """The projects and custom GPTs a sync named (or found deleted), by id."""
        rows = self._db.execute("SELECT id, kind, name, deleted FROM gizmos")
        return {r[0]: Gizmo(id=r[0], kind=r[1], name=r[2], deleted=bool(r[3])) for r in rows}

    def file(self, file_id: str) -> StoredFile | None:
        row = self._db.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE file_id = ?", (file_id,)).fetchone()
        return StoredFile(*row) if row else None

    def files(self, ids: Iterable[str] | None = None) -> dict[str, StoredFile]:
        """The stored files among ``ids`` (every stored file when None), by id."""
        return {r[0]: StoredFile(*r) for r in self._rows(f"SELECT {_FILE_COLUMNS} FROM files", "file_id", ids)}

    def file_hashes(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT DISTINCT sha256 FROM files")}

    def file_counts(self) -> tuple[int, int]:
        """How many files the store keeps and their bytes on disk (each content once)."""
        count = self._db.execute("SELECT count(*) FROM files").fetchone()[0]
        size = self._db.execute("SELECT coalesce(sum(size), 0) FROM (SELECT DISTINCT sha256, size FROM files)")
        return int(count), int(size.fetchone()[0])

    def gone_files(self) -> dict[str, str]:
        """Files ChatGPT said are gone (or refused), by id: why. A sync does not ask for them again."""
        return {r[0]: r[1] for r in self._db.execute("SELECT file_id, reason FROM files_gone")}

    def wanted_files(self) -> list[WantedFile]:
        """Files stored conversations name that the store lacks and ChatGPT has not said are gone (keeping a file
        or marking it gone takes it off the list): what a sync downloads, the newest conversations' files first."""
        rows = self._db.execute(
            "SELECT w.file_id, w.conversation_id FROM files_wanted w "
            "LEFT JOIN conversations c ON c.id = w.conversation_id "
            "ORDER BY coalesce(c.update_time, c.create_time) DESC, w.wanted_at, w.file_id, w.conversation_id"
        )
        wanted: dict[str, tuple[str, ...]] = {}
        for fid, cid in rows:
            wanted[fid] = (*wanted.get(fid, ()), cid)
        return [WantedFile(fid, cids) for fid, cids in wanted.items()]

    def wanted_count(self) -> int:
        """How many files :meth:`wanted_files` lists (without reading and ordering them)."""
        return int(self._db.execute("SELECT count(DISTINCT file_id) FROM files_wanted").fetchone()[0])

    def change_key(self, conversation_id: str) -> str | None:
        row = self._db.execute("SELECT change_key FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row[0] if row else None

    def queued(self) -> list[str]:
        """Conversations a sync listed as newer but has not fetched yet (a sync that stopped early)."""
        return [r[0] for r in self._db.execute("SELECT id FROM sync_queue ORDER BY listed_update DESC")]

    def memories(self) -> tuple[list[Memory], float | None]:
        rows = self._db.execute("SELECT id, content, created_at, updated_at FROM memories ORDER BY position")
        fetched = self.sync_value("memories_fetched_at")
        kept = [Memory(id=r[0], content=r[1] or "", created_at=r[2], updated_at=r[3]) for r in rows]
        return kept, float(fetched) if fetched else None

    def automations(self) -> tuple[list[dict[str, Any]], float | None]:
        rows = self._db.execute("SELECT body FROM automations ORDER BY position").fetchall()
        fetched = self.sync_value("automations_fetched_at")
        return [json.loads(r[0]) for r in rows], float(fetched) if fetched else None

    def sync_value(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def sources(self) -> list[SourceRow]:
        rows = self._db.execute(
            "SELECT path, kind, fingerprint, imported_at, outcome, detail, conversations FROM sources ORDER BY path"
        )
        return [SourceRow(*r) for r in rows]

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class ArchiveWriter:
    """Writes inside one open transaction."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def put(self, conv: Conversation, change_key: str | None) -> None:
        body = zlib.compress(_stored_json(conv), 1)
        self.db.execute(
            "INSERT OR REPLACE INTO conversations (id, title, create_time, update_time, model, project_id, "
            "is_archived, is_starred, source, message_count, change_key, body, stored_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conv.id,
                conv.title,
                to_epoch(conv.create_time),
                to_epoch(conv.update_time),
                conv.model,
                conv.project_id,
                int(conv.is_archived),
                int(conv.is_starred),
                conv.source,
                len(conv.transcript()),
                change_key,
                body,
                time.time(),
            ),
        )
        self.db.execute("INSERT OR IGNORE INTO pending_index (id) VALUES (?)", (conv.id,))

    def holds(self, conv: Conversation) -> bool:
        """Whether the archive holds exactly this conversation, whichever source delivered it (this transaction's
        writes included): a copy read again that changed nothing stored needs no write and no re-index."""
        row = self.db.execute("SELECT source, body FROM conversations WHERE id = ?", (conv.id,)).fetchone()
        if row is None:
            return False
        try:
            stored = zlib.decompress(row[1])
        except zlib.error:  # a damaged body: the new copy replaces it
            return False
        return _stored_json(conv.model_copy(update={"source": row[0]})) == stored

    def stored_source(self, conversation_id: str) -> str | None:
        """Where the stored copy came from (``export`` or ``api``), or None when there is none."""
        row = self.db.execute("SELECT source FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row[0] if row else None

    def set_change_key(self, conversation_id: str, change_key: str) -> None:
        """Record a new change key for a stored conversation that stays as it is."""
        self.db.execute("UPDATE conversations SET change_key = ? WHERE id = ?", (change_key, conversation_id))

    def enqueue(self, items: list[tuple[str, float | None]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO sync_queue (id, listed_update) VALUES (?, ?)", items)

    def dequeue(self, ids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM sync_queue WHERE id = ?", ((i,) for i in ids))

    def replace_memories(self, memories: list[Memory], fetched_at: float) -> None:
        self.db.execute("DELETE FROM memories")
        self.db.executemany(
            "INSERT OR REPLACE INTO memories (id, position, content, created_at, updated_at, fetched_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(m.id, i, m.content, m.created_at, m.updated_at, fetched_at) for i, m in enumerate(memories)],
        )
        self.set_sync_value("memories_fetched_at", str(fetched_at))

    def replace_automations(self, automations: list[dict[str, Any]], fetched_at: float) -> None:
        self.db.execute("DELETE FROM automations")
        self.db.executemany(
            "INSERT OR REPLACE INTO automations (id, position, title, body, fetched_at) VALUES (?, ?, ?, ?, ?)",
            [
                (str(a.get("id") or f"automation-{i}"), i, Automation.from_backend(a).title, json.dumps(a), fetched_at)
                for i, a in enumerate(automations)
            ],
        )
        self.set_sync_value("automations_fetched_at", str(fetched_at))

    def put_gizmos(self, gizmos: Iterable[Gizmo], fetched_at: float) -> None:
        """Keep what the backend said of these projects and custom GPTs. A deleted one keeps the name it had: the
        person still knows it by that name, and its conversations stay in the history."""
        self.db.executemany(
            "INSERT INTO gizmos (id, kind, name, deleted, fetched_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = coalesce(excluded.name, gizmos.name), "
            "deleted = excluded.deleted, fetched_at = excluded.fetched_at",
            [(g.id, g.kind, g.name, int(g.deleted), fetched_at) for g in gizmos],
        )

    def put_file(self, stored: StoredFile, text: str | None) -> None:
        """Record a kept file (its bytes already in place, see :mod:`.blobs`) and the text read from it."""
        body = zlib.compress(text.encode(), 6) if text else None
        self.db.execute(
            f"INSERT OR REPLACE INTO files ({_FILE_COLUMNS}, text, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                stored.file_id,
                stored.sha256,
                stored.size,
                stored.mime_type,
                stored.name,
                stored.conversation_id,
                stored.origin,
                body,
                time.time(),
            ),
        )
        self.db.execute("DELETE FROM files_gone WHERE file_id = ?", (stored.file_id,))
        self.unwant_file(stored.file_id)

    def file_text(self, file_id: str) -> str | None:
        """The text read from a stored file (this transaction's writes included)."""
        row = self.db.execute("SELECT text FROM files WHERE file_id = ?", (file_id,)).fetchone()
        return zlib.decompress(row[0]).decode() if row and row[0] else None

    def mark_gone(self, file_id: str, reason: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files_gone (file_id, reason, checked_at) VALUES (?, ?, ?)",
            (file_id, reason, time.time()),
        )
        self.unwant_file(file_id)

    def want_file(self, file_id: str, conversation_id: str) -> None:
        """Note a file ``conversation_id`` names that no source had, for a sync to download (unless it is gone)."""
        self.db.execute(
            "INSERT OR IGNORE INTO files_wanted (file_id, conversation_id, wanted_at) "
            "SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM files_gone WHERE file_id = ?)",
            (file_id, conversation_id, time.time(), file_id),
        )

    def unwant_file(self, file_id: str) -> None:
        self.db.execute("DELETE FROM files_wanted WHERE file_id = ?", (file_id,))

    def set_sync_value(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)", (key, value))

    def record_source(
        self, path: str, kind: str, fingerprint: str | None, outcome: str, detail: str, conversations: int | None
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources (path, kind, fingerprint, imported_at, outcome, detail, conversations) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (path, kind, fingerprint, time.time(), outcome, detail, conversations),
        )


def _stored_json(conv: Conversation) -> bytes:
    """A conversation's body as stored (before compression)."""
    return conv.model_dump_json(exclude_defaults=True).encode()


def damaged(path: Path, problem: str) -> ArchiveDamaged:
    return ArchiveDamaged(
        f"the archive {path} is damaged ({problem}), so it is not used: its answers could be wrong or cut short. "
        "Keep the file (sqlite3's .recover may save part of it) and start a new data folder (move this one "
        "away, or set --data-dir / CHATGPT_HISTORY_DATA_DIR), then import your ChatGPT export again (and sync, "
        "if you use it). The search index can be rebuilt, but the archive is the one copy of your history here."
    )
