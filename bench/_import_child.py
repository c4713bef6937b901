"""One import in a fresh process, for clean RSS numbers; prints one JSON line (used by ``bench/run.py``).

    python bench/_import_child.py DATA_DIR EXPORT.zip

Imports at top level on purpose: like ``python -m chatgpt_history_mcp import``, whose spawned index
workers re-import the main module, the workers here carry the same imports.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore


def tree_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (0 when missing)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def _rusage_bytes(who: int) -> int:
    return resource.getrusage(who).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def self_peak_bytes() -> int:
    """This process's peak RSS. Not ru_maxrss on Linux: it keeps the parent's peak across fork + exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return _rusage_bytes(resource.RUSAGE_SELF)


def run(data_dir: Path, export: str) -> dict[str, object]:
    started = time.perf_counter()
    store = HistoryStore(data_dir)
    opened = time.perf_counter()
    report = import_export(store, export)
    imported = time.perf_counter()
    status = store.status()
    ix = store.index._ix  # Whoosh internals, for the shape of the index only
    segments, deleted = len(ix._segments()), ix.doc_count_all() - ix.doc_count()
    store.close()
    closed = time.perf_counter()
    self_rss = self_peak_bytes()
    # The largest waited-for child (the index workers, joined at commit); a worker's figure includes this
    # process's peak when it was spawned (fork copies the high-water mark), so it is an upper bound.
    child_rss = _rusage_bytes(resource.RUSAGE_CHILDREN)
    return {
        "report": report.model_dump(),
        "open_s": opened - started,
        "import_s": imported - opened,
        "wall_s": closed - started,
        "conversations": status.conversations,
        "messages": status.messages,
        "indexed": status.indexed,
        "pending_index": status.pending_index,
        "rss_self_bytes": self_rss,
        "rss_self_rusage_bytes": _rusage_bytes(resource.RUSAGE_SELF),
        "rss_child_max_bytes": child_rss,
        "rss_total_bound_bytes": self_rss + 2 * child_rss,  # two index workers at most
        "index_bytes": tree_bytes(data_dir / "index"),
        "index_segments": segments,
        "index_deleted_docs": deleted,
        "archive_bytes": tree_bytes(data_dir / "archive.sqlite3"),
        "archive_wal_bytes": tree_bytes(data_dir / "archive.sqlite3-wal"),
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), sys.argv[2])))
