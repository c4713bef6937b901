"""Reference engine: SQLite FTS5 over the visible current-path messages of an export.

    python bench/fts5_reference.py EXPORT.zip [--db PATH] [--repeat R]

``build`` streams the export's conversation files (flat memory), extracts the same
messages as ``synth_export.current_path_messages`` and inserts them in one transaction;
``tokenize`` picks the FTS5 tokenizer (``bench/recall.py`` builds one with ``porter`` and one
with ``trigram`` over several exports).
``run_queries`` runs ``QUERY_MIX`` as grouped queries (top 10 conversations by best
bm25, via ``min(rank)``) and reports latency percentiles. ``QUERY_MIX`` entries carry both the user-facing
syntax (``query``) and its FTS5 form (``fts5``) so another engine can reuse them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

if __package__:
    from .synth_export import current_path_messages
else:
    from synth_export import current_path_messages  # type: ignore[no-redef]  # run as a script

Query = dict[str, Any]

UNICODE61 = "unicode61 remove_diacritics 2"
SCHEMA = """CREATE VIRTUAL TABLE messages USING fts5(
    conversation_id UNINDEXED, message_id UNINDEXED, role UNINDEXED, create_time UNINDEXED,
    title, text, tokenize = '{tokenize}')"""
# bm25() is refused inside an aggregate; the hidden ``rank`` column is bm25(messages).
GROUPED = (
    "SELECT conversation_id, min(rank) AS score FROM messages "
    "WHERE messages MATCH ?{filters} GROUP BY conversation_id ORDER BY score LIMIT 10"
)
FILTER_COLUMNS = ("conversation_id", "role")


def _q(kind: str, query: str, fts5: str | None = None, **filters: str) -> Query:
    return {"kind": kind, "query": query, "fts5": fts5 or query, "filters": filters}


QUERY_MIX: list[Query] = [
    # single common terms
    _q("common", "example"),
    _q("common", "data"),
    _q("common", "time"),
    _q("common", "problem"),
    _q("common", "important"),
    _q("common", "people"),
    # rare terms (tail words, names, a camelCase identifier, "soufflé" folded to ascii)
    _q("rare", "kerfuffle"),
    _q("rare", "reykjavik"),
    _q("rare", "zbigniew"),
    _q("rare", "wistful"),
    _q("rare", "fetchInvoiceList"),
    _q("rare", "souffle"),
    # 2-3 term AND
    _q("and", "deploy kubernetes"),
    _q("and", "chicken garlic oven"),
    _q("and", "pandas dataframe"),
    _q("and", "flight hotel budget"),
    _q("and", "password encryption"),
    _q("and", "react component state"),
    # OR
    _q("or", "docker OR podman"),
    _q("or", "postgres OR mysql"),
    _q("or", "guitar OR piano"),
    _q("or", "resume OR interview"),
    # phrases
    _q("phrase", '"connection pool"'),
    _q("phrase", '"machine learning"'),
    _q("phrase", '"sourdough starter"'),
    _q("phrase", '"compound interest"'),
    _q("phrase", '"cover letter"'),
    # prefixes
    _q("prefix", "deploy*"),
    _q("prefix", "recip*"),
    _q("prefix", "config*"),
    _q("prefix", "transact*"),
    # exclusions
    _q("not", "python -django", "python NOT django"),
    _q("not", "budget -travel", "budget NOT travel"),
    _q("not", "react -typescript", "react NOT typescript"),
    # code identifiers (tokenised into phrases by both engines)
    _q("identifier", "parse_config", '"parse_config"'),
    _q("identifier", "os.path.join", '"os.path.join"'),
    _q("identifier", "v1.2.3", '"v1.2.3"'),
    # filtered on an unindexed column
    _q("filtered", "error", role="user"),
    _q("filtered", "recipe", role="user"),
    _q("filtered", '"connection pool"', role="user"),
    _q("filtered", "pandas dataframe", role="assistant"),
    # CJK: unicode61 keeps a run of CJK characters as one token, so these mostly miss
    _q("cjk", "数据库"),
    _q("cjk", "データベース"),
]


def _iter_array(fh: io.TextIOBase, chunk: int = 1 << 20) -> Iterator[Any]:
    """Yield the elements of a top-level JSON array one at a time (flat memory)."""
    dec = json.JSONDecoder()
    skip = re.compile(r"[\s,]*")
    buf, pos, started = "", 0, False
    while True:
        m = skip.match(buf, pos)
        pos = m.end() if m else pos
        if pos < len(buf):
            if not started:
                if buf[pos] != "[":
                    raise ValueError("expected a JSON array")
                started, pos = True, pos + 1
                continue
            if buf[pos] == "]":
                return
            try:
                obj, end = dec.raw_decode(buf, pos)
            except json.JSONDecodeError:
                pass  # incomplete element: read more below
            else:
                yield obj
                pos = end
                continue
        more = fh.read(chunk)
        if not more:
            raise ValueError("truncated or invalid JSON array")
        buf, pos = buf[pos:] + more, 0


def iter_export(zip_path: str) -> Iterator[dict[str, Any]]:
    """Conversations from ``conversations.json`` or ``conversations-NNN.json`` entries."""
    with zipfile.ZipFile(zip_path) as zf:
        names = sorted(n for n in zf.namelist() if re.fullmatch(r"conversations(-\d+)?\.json", n.rsplit("/", 1)[-1]))
        for name in names:
            with zf.open(name) as raw:
                yield from _iter_array(io.TextIOWrapper(raw, encoding="utf-8"))


def _rows(conv: dict[str, Any]) -> list[tuple[str, str, str, float, str, str]]:
    cid = conv.get("id") or conv.get("conversation_id") or ""
    title = (conv.get("title") or "").strip()
    return [(cid, m.id, m.role, m.create_time, title, m.text) for m in current_path_messages(conv)]


def build(
    zip_paths: str | Sequence[str], db_path: str, batch: int = 5000, *, tokenize: str = UNICODE61
) -> dict[str, float]:
    """Index the export(s) into a fresh FTS5 database; returns timings (s) and counts."""
    if os.path.exists(db_path):
        os.remove(db_path)
    t_start = time.perf_counter()
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute(SCHEMA.format(tokenize=tokenize))
    con.execute("BEGIN")
    sql = "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)"
    parse = insert = 0.0
    convs = 0
    rows: list[tuple[str, str, str, float, str, str]] = []
    total_rows = 0
    paths = [zip_paths] if isinstance(zip_paths, str) else zip_paths
    it = (conv for path in paths for conv in iter_export(path))
    while True:
        t = time.perf_counter()
        conv = next(it, None)
        if conv is not None:
            rows += _rows(conv)
            convs += 1
        parse += time.perf_counter() - t
        if rows and (conv is None or len(rows) >= batch):
            t = time.perf_counter()
            con.executemany(sql, rows)
            insert += time.perf_counter() - t
            total_rows += len(rows)
            rows = []
        if conv is None:
            break
    t = time.perf_counter()
    con.execute("COMMIT")
    commit = time.perf_counter() - t
    t = time.perf_counter()
    con.execute("INSERT INTO messages(messages) VALUES ('optimize')")
    optimize = time.perf_counter() - t
    con.close()
    return {
        "conversations": convs,
        "messages": total_rows,
        "parse_s": parse,
        "insert_s": insert + commit,
        "optimize_s": optimize,
        "total_s": time.perf_counter() - t_start,
        "db_bytes": os.path.getsize(db_path),
    }


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def _stats(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": _pct(ms, 50), "p95_ms": _pct(ms, 95), "max_ms": max(ms)}


def run_queries(db_path: str, queries: Iterable[Query] = QUERY_MIX, repeat: int = 5) -> dict[str, Any]:
    """Run each query once untimed (counts, warm-up), then ``repeat`` times timed.

    Returns ``overall`` and ``by_kind`` latency stats (ms) and a ``per_query`` list with
    the number of matching messages and conversations and the top-10 size.
    """
    con = sqlite3.connect(db_path)
    per_query: list[dict[str, Any]] = []
    for q in queries:
        filters = q.get("filters") or {}
        if set(filters) - set(FILTER_COLUMNS):
            raise ValueError(f"unsupported filter in {q}")
        where = "".join(f" AND {col} = ?" for col in filters)
        params = (q["fts5"], *filters.values())
        matches, convs = con.execute(
            f"SELECT count(*), count(DISTINCT conversation_id) FROM messages WHERE messages MATCH ?{where}", params
        ).fetchone()
        top = con.execute(GROUPED.format(filters=where), params).fetchall()
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            con.execute(GROUPED.format(filters=where), params).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        per_query.append(
            {
                **q,
                "matches": matches,
                "conversations": convs,
                "top": len(top),
                "median_ms": statistics.median(times),
                "times_ms": times,
            }
        )
    con.close()
    kinds = dict.fromkeys(q["kind"] for q in per_query)
    return {
        "overall": _stats([t for q in per_query for t in q["times_ms"]]),
        "by_kind": {k: _stats([t for q in per_query if q["kind"] == k for t in q["times_ms"]]) for k in kinds},
        "per_query": per_query,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("export", help="export ZIP")
    ap.add_argument("--db", help="database path (default: a temporary file)")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or os.path.join(tmp, "fts5.db")
        b = build(args.export, db)
        print(f"conversations {b['conversations']}  messages {b['messages']}  db {b['db_bytes'] / 1e6:.1f} MB")
        print(
            f"build: parse {b['parse_s']:.2f}s  insert {b['insert_s']:.2f}s  "
            f"optimize {b['optimize_s']:.2f}s  total {b['total_s']:.2f}s"
        )
        r = run_queries(db, repeat=args.repeat)
    print(f"{'kind':<11}{'query':<26}{'matches':>9}{'convs':>7}{'median ms':>11}")
    for q in r["per_query"]:
        print(f"{q['kind']:<11}{q['query']:<26}{q['matches']:>9}{q['conversations']:>7}{q['median_ms']:>11.2f}")
    print(f"\n{'kind':<11}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for kind, s in [*r["by_kind"].items(), ("ALL", r["overall"])]:
        print(f"{kind:<11}{s['p50_ms']:>9.2f}{s['p95_ms']:>9.2f}{s['max_ms']:>9.2f}")


if __name__ == "__main__":
    main()
