"""Recall evaluation: does search find the chat a person remembers? This project against SQLite FTS5.

    python bench/recall.py [--filler N] [--mcp] [--misses] [--json OUT]

The corpus is the sample export, the evaluation's own chats (``recall_corpus``) and N filler
conversations from ``synth_export`` (2,000 by default) as distractors, so that ranking matters. The
queries are ``recall_queries.json``: each has a kind and the conversations a fair judge accepts.

Systems, all in the same run over the same three ZIPs:

- **ours**: ``HistoryStore.search`` in process, on a temporary store filled by the project's importer;
- **ours (MCP)**, with ``--mcp``: ``search_conversations`` over a real stdio client to ``serve``;
- **fts5-porter**: SQLite FTS5, ``porter unicode61 remove_diacritics 2``, the query as an OR of quoted
  words, title weighted 3;
- **fts5-trigram**: FTS5 ``trigram``, the same OR of quoted words (words under 3 characters dropped).

The FTS5 tables hold what ``fts5_reference`` extracts: the visible messages of the current branch.

For each, per kind and overall: R@1, R@5, R@10 (share of queries with an accepted conversation at rank
<= k) and MRR@10 (mean of 1/rank of the first accepted one, 0 past rank 10). ``--misses`` lists the
queries ours does not rank first; ``--json`` writes every number and every query's ranks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mcp import Client, StdioServerParameters

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore

if __package__:
    from . import recall_corpus
    from .fts5_reference import UNICODE61, build, iter_export
    from .synth_export import write_export
else:  # run as a script
    import recall_corpus  # type: ignore[no-redef]
    from fts5_reference import UNICODE61, build, iter_export  # type: ignore[no-redef]
    from synth_export import write_export  # type: ignore[no-redef]

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
SAMPLE = BENCH.parent / "examples" / "sample-export.zip"
QUERIES = BENCH / "recall_queries.json"
KINDS = ("topic", "detail", "code", "paraphrase", "cjk", "other-language", "sentence", "hidden", "pasted")
DEPTH = 10  # ranks looked at: R@10 and MRR@10
Json = dict[str, Any]
Ranker = Callable[[str], list[str]]  # query -> conversation ids, best first


class Query(NamedTuple):
    kind: str
    query: str
    accept: frozenset[str]


def load_queries(path: Path = QUERIES) -> list[Query]:
    raw = json.loads(path.read_text(encoding="utf-8"))["queries"]
    return [Query(q["kind"], q["query"], frozenset(q["accept"])) for q in raw]


def sample_ids() -> set[str]:
    return {c.get("id") or c["conversation_id"] for c in iter_export(str(SAMPLE))}


def corpus_ids() -> set[str]:
    """Every conversation a label may name: the sample export's and the evaluation's own."""
    return sample_ids() | {c["id"] for c in recall_corpus.iter_conversations()}


# --- the corpus ------------------------------------------------------------------------------


def exports(filler: int, seed: int) -> list[Path]:
    """The three ZIPs: sample, the evaluation's chats (rewritten: cheap), filler (cached under bench/out/)."""
    OUT.mkdir(exist_ok=True)
    own = OUT / "recall-corpus.zip"
    recall_corpus.write_export(str(own))
    paths = [SAMPLE, own]
    if filler:
        path = OUT / f"recall-filler-{filler}-s{seed}.zip"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            write_export(str(tmp), filler, seed)
            os.replace(tmp, path)
        paths.append(path)
    return paths


# --- the systems -------------------------------------------------------------------------------


def import_store(data_dir: Path, paths: Sequence[Path]) -> Json:
    t = time.perf_counter()
    store = HistoryStore(data_dir)
    try:
        reports = [import_export(store, p) for p in paths]
        status = store.status()
    finally:
        store.close()
    bad = [r for r in reports if r.invalid or r.outcome != "imported"]
    if bad or status.pending_index:
        raise SystemExit(f"import incomplete: {bad}, {status.pending_index} conversations not indexed")
    return {"seconds": time.perf_counter() - t, "conversations": status.conversations, "messages": status.messages}


def fts5_match(query: str, min_len: int = 1) -> str | None:
    """The query as an OR of quoted words (``\\w+`` runs, as unicode61 splits them); None when none is left."""
    words = [w for w in re.findall(r"\w+", query) if len(w) >= min_len]
    return " OR ".join(f'"{w}"' for w in dict.fromkeys(words)) or None


# A conversation scores its best message; bm25() is refused in an aggregate, so the weights are set on the
# hidden rank column. They follow the columns: conversation_id, message_id, role, create_time, title, text.
_RANKED = (
    "SELECT conversation_id, min(rank) AS best FROM messages "
    "WHERE messages MATCH ? AND rank MATCH 'bm25(0, 0, 0, 0, 3.0, 1.0)' "
    "GROUP BY conversation_id ORDER BY best LIMIT ?"
)


def fts5_ranker(con: sqlite3.Connection, min_len: int) -> Ranker:
    def rank(query: str) -> list[str]:
        match = fts5_match(query, min_len)
        return [] if match is None else [cid for cid, _ in con.execute(_RANKED, (match, DEPTH))]

    return rank


def store_ranker(store: HistoryStore) -> Ranker:
    return lambda query: [r.conversation_id for r in store.search(query, limit=DEPTH).results]


async def _mcp_ranks(data_dir: Path, queries: Sequence[Query]) -> list[Json]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp", "serve"],
        env={"CHATGPT_HISTORY_DATA_DIR": str(data_dir)},
    )
    out: list[Json] = []
    async with Client(params) as client:
        for q in queries:
            t = time.perf_counter()
            result = await client.call_tool("search_conversations", {"query": q.query, "limit": DEPTH})
            ms = (time.perf_counter() - t) * 1000
            if result.is_error:
                error = " ".join(getattr(block, "text", "") for block in result.content)
                out.append({"ids": [], "ms": ms, "error": error})
            else:
                results = (result.structured_content or {}).get("results", [])
                out.append({"ids": [r["conversation_id"] for r in results], "ms": ms})
    return out


def run_ranker(rank: Ranker, queries: Sequence[Query]) -> list[Json]:
    """Each query's ranked ids and time; an error is recorded as an empty ranking (a miss), not raised."""
    out: list[Json] = []
    for q in queries:
        t = time.perf_counter()
        try:
            entry: Json = {"ids": rank(q.query)}
        except Exception as exc:  # a query the system cannot take is a miss, reported with --misses
            entry = {"ids": [], "error": f"{type(exc).__name__}: {exc}"}
        entry["ms"] = (time.perf_counter() - t) * 1000
        out.append(entry)
    return out


# --- scoring ------------------------------------------------------------------------------------


def first_rank(ids: Sequence[str], accept: frozenset[str]) -> int | None:
    return next((i for i, cid in enumerate(ids[:DEPTH], 1) if cid in accept), None)


def metrics(ranks: Sequence[int | None]) -> Json:
    n = len(ranks)

    def at(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    return {"n": n, "R@1": at(1), "R@5": at(5), "R@10": at(10), "MRR@10": sum(1 / r for r in ranks if r) / n}


def score(queries: Sequence[Query], runs: Sequence[Json]) -> Json:
    ranks = [first_rank(run["ids"], q.accept) for q, run in zip(queries, runs, strict=True)]
    by_kind = {k: metrics([r for q, r in zip(queries, ranks, strict=True) if q.kind == k]) for k in KINDS}
    times = [run["ms"] for run in runs]
    return {
        "overall": metrics(ranks),
        "by_kind": by_kind,
        "ranks": ranks,
        "p50_ms": statistics.median(times),
        "max_ms": max(times),
        "errors": sum(1 for run in runs if "error" in run),
    }


# --- report ----------------------------------------------------------------------------------------


def print_table(systems: dict[str, Json]) -> None:
    names = list(systems)
    head = f"{'kind':<15}{'n':>4} " + "".join(f"| {name:<27}" for name in names)
    sub = f"{'':<20}" + "".join(f"| {'R@1':>5}{'R@5':>6}{'R@10':>6}{'MRR':>7}   " for _ in names)
    print(head)
    print(sub)
    for kind in [*KINDS, "ALL"]:
        cells = []
        for name in names:
            m = systems[name]["overall"] if kind == "ALL" else systems[name]["by_kind"][kind]
            cells.append(f"| {m['R@1'] * 100:>5.1f}{m['R@5'] * 100:>6.1f}{m['R@10'] * 100:>6.1f}{m['MRR@10']:>7.3f}   ")
        n = m["n"]
        print(f"{kind:<15}{n:>4} " + "".join(cells))
    print("(R@k in %, MRR@10 from 0 to 1)")
    for name, s in systems.items():
        errors = f", {s['errors']} errors" if s["errors"] else ""
        print(f"{name}: query p50 {s['p50_ms']:.1f} ms, max {s['max_ms']:.0f} ms{errors}")


def print_misses(queries: Sequence[Query], systems: dict[str, Json], runs: Json, titles: dict[str, str]) -> None:
    """Every query ours does not rank first: its rank beside the others', what it returned instead."""
    names = list(systems)
    print(f"\n-- misses: queries ours does not rank first (ranks: {', '.join(names)}; '-' = not in the top 10) --")
    for i, q in enumerate(queries):
        ours = systems["ours"]["ranks"][i]
        if ours == 1:
            continue
        ranks = " ".join(f"{'-' if (r := systems[n]['ranks'][i]) is None else r:>2}" for n in names)
        text = " ".join(q.query.split())
        text = text if len(text) <= 90 else text[:87] + "…"
        print(f"[{q.kind}] {ranks}  {text!r}")
        print(f"    wanted: {' | '.join(titles.get(c, c) for c in sorted(q.accept))}")
        got = runs["ours"][i]
        if "error" in got:
            print(f"    error:  {got['error'][:200]}")
        top = [titles.get(c, c) for c in got["ids"][:3]]
        print(f"    ours:   {' | '.join(top) if top else '(nothing)'}")


def _titles(paths: Sequence[Path]) -> dict[str, str]:
    return {
        c.get("id") or c.get("conversation_id") or "": " ".join((c.get("title") or "(untitled)").split())
        for path in paths
        for c in iter_export(str(path))
    }


# --- main -------------------------------------------------------------------------------------------


def evaluate(work: Path, filler: int, seed: int, mcp: bool) -> tuple[list[Query], Json]:
    queries = load_queries()
    paths = exports(filler, seed)
    timings: Json = {}
    runs: dict[str, list[Json]] = {}

    print("import …", file=sys.stderr, flush=True)
    data_dir = work / "store"
    imported = import_store(data_dir, paths)
    timings["import_s"] = imported["seconds"]
    store = HistoryStore(data_dir)
    try:
        runs["ours"] = run_ranker(store_ranker(store), queries)
    finally:
        store.close()
    if mcp:
        print("search over MCP stdio …", file=sys.stderr, flush=True)
        runs["ours (MCP)"] = asyncio.run(_mcp_ranks(data_dir, queries))

    for name, tokenize, min_len in (
        ("fts5-porter", f"porter {UNICODE61}", 1),
        ("fts5-trigram", "trigram", 3),
    ):
        print(f"{name} …", file=sys.stderr, flush=True)
        db = work / f"{name}.db"
        timings[f"{name}_build_s"] = build([str(p) for p in paths], str(db), tokenize=tokenize)["total_s"]
        con = sqlite3.connect(db)
        try:
            runs[name] = run_ranker(fts5_ranker(con, min_len), queries)
        finally:
            con.close()

    systems = {name: score(queries, r) for name, r in runs.items()}
    result = {
        "corpus": {
            "exports": [p.name for p in paths],
            "conversations": imported["conversations"],
            "messages": imported["messages"],
            "filler": filler,
            "seed": seed,
        },
        "queries": len(queries),
        "timings": timings,
        "systems": systems,
        "per_query": [
            {
                "kind": q.kind,
                "query": q.query,
                "accept": sorted(q.accept),
                **{name: {"rank": systems[name]["ranks"][i], **runs[name][i]} for name in runs},
            }
            for i, q in enumerate(queries)
        ],
    }
    result["titles"] = _titles(paths)
    return queries, result


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--filler", type=int, default=2000, help="synthetic distractor conversations (default 2000)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the filler conversations")
    ap.add_argument("--mcp", action="store_true", help="also search through a real MCP stdio client")
    ap.add_argument("--misses", action="store_true", help="list the queries ours does not rank first")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write every number and every query's ranks")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="chatgpt-history-recall-") as tmp:
        queries, result = evaluate(Path(tmp), args.filler, args.seed, args.mcp)
    result["timings"]["total_s"] = time.perf_counter() - started
    titles = result.pop("titles")
    corpus, t = result["corpus"], result["timings"]
    print(
        f"\nrecall evaluation: {result['queries']} queries over {corpus['conversations']:,} conversations "
        f"({', '.join(corpus['exports'])}); {corpus['messages']:,} messages"
    )
    print(
        f"import {t['import_s']:.1f} s, FTS5 builds {t['fts5-porter_build_s']:.1f} + "
        f"{t['fts5-trigram_build_s']:.1f} s, whole run {t['total_s']:.0f} s\n"
    )
    print_table(result["systems"])
    if args.misses:
        runs = {name: [q[name] for q in result["per_query"]] for name in result["systems"]}
        print_misses(queries, result["systems"], runs, titles)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False))
        print(f"\nall numbers: {args.json}")


if __name__ == "__main__":
    main()
