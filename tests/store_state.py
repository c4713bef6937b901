"""A store observed from outside, to show that a failed write left it exactly as it was: every row of every table
of the archive, every index file in use byte for byte, and what searches of the sample find."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from chatgpt_history_mcp.search.index import index_schema
from chatgpt_history_mcp.store.history import HistoryStore

#: What a search of the sample finds; a failed write must not change any of it.
SEARCHES = ("sourdough", "lisbon", "crashloopbackoff", "parse_config", "机器学习", "houseplant", "starter flour")


def logical_dump(data_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the archive, read through a separate read-only connection."""
    with contextlib.closing(sqlite3.connect(f"file:{data_dir / 'archive.sqlite3'}?mode=ro", uri=True)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in tables}


def index_files(data_dir: Path) -> tuple[dict[str, str], frozenset[str]]:
    """The index files in use (the table of contents and the segments it lists) with the hash of their
    bytes, and the names of the other files (segments a cancelled write left, removed by the next commit)."""
    folder = data_dir / "index"
    ix = whoosh_index.open_dir(str(folder), schema=index_schema())
    try:
        toc = ix._read_toc()  # the generation searches read
    finally:
        ix.close()
    live = {f"_MAIN_{toc.generation}.toc", "VERSION", "MAIN_WRITELOCK"}
    segments = tuple(f"{segment.segment_id()}." for segment in toc.segments)
    used, other = {}, set()
    for p in sorted(folder.iterdir()):
        if p.name in live or p.name.startswith(segments):
            used[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            other.add(p.name)
    return used, frozenset(other)


def searches(store: HistoryStore) -> dict[str, list[tuple[str, str]]]:
    return {q: [(r.conversation_id, r.title) for r in store.search(q, limit=20).results] for q in SEARCHES}


@dataclasses.dataclass
class Observed:
    dump: str
    index: dict[str, str]
    unused: frozenset[str]
    searches: dict[str, list[tuple[str, str]]] | None


def observe(store: HistoryStore, *, search: bool = True) -> Observed:
    dump = hashlib.sha256(repr(logical_dump(store.data_dir)).encode()).hexdigest()
    return Observed(dump, *index_files(store.data_dir), searches(store) if search else None)
