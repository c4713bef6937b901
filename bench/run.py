"""The benchmark: our import and search against a SQLite FTS5 reference, on one synthetic export.

    python bench/run.py N [--long] [--seed S] [--keep DIR] [--repeat R]

Steps, all on the same data: the export of N conversations (cached under bench/out/; ``--long`` for the
profile with longer messages, see ``synth_export``), the FTS5 build and its query latency over
``QUERY_MIX``, our import in a fresh process (time, throughput, peak RSS, sizes), our search latency over
the same queries in process and, as an agent waits for it, through a real MCP stdio client
(``search_conversations`` calls to ``serve`` on the imported store), a re-import of the unchanged export,
a re-import of a changed one (2 % of conversations continued, 1 % new), and the time from spawning
``serve`` over stdio to the ``tools/list`` answer. Prints a table with the targets and writes
bench/out/results-N[-long].json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

from chatgpt_history_mcp.store.history import HistoryStore

if __package__:
    from .fts5_reference import QUERY_MIX, _stats, build, run_queries
    from .synth_export import (
        DEFAULT,
        END,
        GENERAL,
        LONG,
        Profile,
        _entry,
        _message,
        _text,
        iter_conversations,
        make_conversation,
        write_export,
    )
else:  # run as a script
    from fts5_reference import QUERY_MIX, _stats, build, run_queries  # type: ignore[no-redef]
    from synth_export import (  # type: ignore[no-redef]
        DEFAULT,
        END,
        GENERAL,
        LONG,
        Profile,
        _entry,
        _message,
        _text,
        iter_conversations,
        make_conversation,
        write_export,
    )

BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
MARKER = "benchfollowupmarker"  # only in the messages the changed export adds
MB = 1e6
Json = dict[str, Any]
#: Search over MCP stdio as an agent waits for it (issue 10): N -> (p95 ms, max ms).
MCP_TARGETS: dict[int, tuple[float, float | None]] = {
    1_000: (30.0, None),
    10_000: (100.0, None),
    30_000: (150.0, 500.0),
}


# --- exports ---------------------------------------------------------------------------------


def changed_counts(n: int) -> tuple[int, int]:
    """(continued, new) conversations in the changed export."""
    return max(1, round(n * 0.02)), max(1, round(n * 0.01))


def _continue(conv: Json, rng: random.Random) -> None:
    """Append one visible user message to the current branch, later than everything before."""
    t = conv["update_time"] + rng.uniform(3600, 7 * 86400)
    text = f"Follow-up ({MARKER}): " + " ".join(GENERAL.draw(rng, rng.randint(8, 30))) + "?"
    msg = _message(rng, "user", t, _text(text))
    parent = conv["current_node"]
    conv["mapping"][msg["id"]] = {"id": msg["id"], "message": msg, "parent": parent, "children": []}
    conv["mapping"][parent]["children"].append(msg["id"])
    conv["current_node"] = msg["id"]
    conv["update_time"] = round(t + 1, 6)


def _shift(conv: Json, dt: float) -> None:
    conv["create_time"] += dt
    conv["update_time"] += dt
    for node in conv["mapping"].values():
        if node["message"] and node["message"].get("create_time") is not None:
            node["message"]["create_time"] += dt


def write_changed(out: Path, n: int, seed: int, profile: Profile = DEFAULT) -> None:
    """The same export, with ``changed_counts(n)`` conversations continued and new (newest first)."""
    n_mod, n_new = changed_counts(n)
    rng = random.Random(f"changed:{seed}")
    modified = set(rng.sample(range(n), n_mod))
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, zf.open(_entry("conversations.json"), "w") as fh:
        fh.write(b"[")
        for j in range(n_new):
            conv = make_conversation(n + j, 2 * n, seed, profile)  # ids unseen in the export; moved after its newest
            _shift(conv, END + (n_new - j) * 600 - conv["create_time"])
            fh.write(enc.encode(conv).encode() + b",")
        for i, conv in enumerate(iter_conversations(n, seed, profile)):
            if i in modified:
                _continue(conv, rng)
            fh.write((b"," if i else b"") + enc.encode(conv).encode())
        fh.write(b"]")


def _suffix(profile: Profile) -> str:
    return "" if profile is DEFAULT else f"-{profile.name}"


def ensure_exports(n: int, seed: int, profile: Profile = DEFAULT) -> tuple[Path, Path, Json]:
    OUT.mkdir(exist_ok=True)
    stem = f"export-{n}-s{seed}{_suffix(profile)}"
    base, changed = OUT / f"{stem}.zip", OUT / f"{stem}-changed.zip"
    timings: Json = {}
    writers: list[tuple[Path, Callable[[Path], object]]] = [
        (base, lambda p: write_export(str(p), n, seed, profile=profile)),
        (changed, lambda p: write_changed(p, n, seed, profile)),
    ]
    for path, write in writers:
        if path.exists():
            timings[path.name] = "cached"
            continue
        t = time.perf_counter()
        tmp = path.with_suffix(".tmp")
        write(tmp)
        os.replace(tmp, path)
        timings[path.name] = round(time.perf_counter() - t, 2)
    return base, changed, timings


# --- our side --------------------------------------------------------------------------------


def import_in_child(data_dir: Path, export: Path) -> Json:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(BENCH / "_import_child.py"), str(data_dir), str(export)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise SystemExit(f"import failed ({proc.returncode}):\n{proc.stderr}")
    result: Json = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - t
    return result


def _latency_report(per_query: list[Json]) -> Json:
    kinds = dict.fromkeys(q["kind"] for q in per_query)
    return {
        "overall": _stats([t for q in per_query for t in q["times_ms"]]),
        "by_kind": {k: _stats([t for q in per_query if q["kind"] == k for t in q["times_ms"]]) for k in kinds},
        "per_query": per_query,
    }


def _role(q: Json) -> str | None:
    filters = q.get("filters") or {}
    if set(filters) - {"role"}:
        raise ValueError(f"unsupported filter in {q}")
    role: str | None = filters.get("role")
    return role


def search_latency(data_dir: Path, repeat: int) -> Json:
    """Like ``run_queries``: each query once untimed (warm), then ``repeat`` times timed."""
    t = time.perf_counter()
    store = HistoryStore(data_dir)
    open_s = time.perf_counter() - t
    per_query: list[Json] = []
    first_ms = None
    try:
        for q in QUERY_MIX:
            role = _role(q)
            t = time.perf_counter()
            page = store.search(q["query"], limit=10, role=role)
            if first_ms is None:
                first_ms = (time.perf_counter() - t) * 1000
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                store.search(q["query"], limit=10, role=role)
                times.append((time.perf_counter() - t) * 1000)
            per_query.append({"kind": q["kind"], "query": q["query"], "results": len(page.results), "times_ms": times})
    finally:
        store.close()
    return {"open_s": open_s, "first_query_ms": first_ms, **_latency_report(per_query)}


def _serve_params(data_dir: Path) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "chatgpt_history_mcp", "serve"],
        env={"CHATGPT_HISTORY_DATA_DIR": str(data_dir)},
    )


async def _mcp_latency(data_dir: Path, repeat: int) -> Json:
    async with Client(_serve_params(data_dir)) as client:
        t = time.perf_counter()
        status = await client.call_tool("history_status", {})  # waits for the store to open
        ready_s = time.perf_counter() - t
        if status.is_error:
            raise SystemExit(f"history_status failed over MCP: {status.content}")
        per_query: list[Json] = []
        for q in QUERY_MIX:
            args: Json = {"query": q["query"], "limit": 10}
            if role := _role(q):
                args["role"] = role
            first = await client.call_tool("search_conversations", args)  # untimed: warm, and checked
            if first.is_error:
                raise SystemExit(f"search_conversations {args} failed over MCP: {first.content}")
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                await client.call_tool("search_conversations", args)
                times.append((time.perf_counter() - t) * 1000)
            results = len((first.structured_content or {}).get("results", []))
            per_query.append({"kind": q["kind"], "query": q["query"], "results": results, "times_ms": times})
    return {"ready_s": ready_s, **_latency_report(per_query)}


def mcp_search_latency(data_dir: Path, repeat: int) -> Json:
    """Search latency as an agent waits for it: ``search_conversations`` over a real stdio client, each
    query once untimed, then ``repeat`` times timed (the client's round trip, JSON-RPC and all)."""
    return asyncio.run(_mcp_latency(data_dir, repeat))


def check_changed(data_dir: Path, n: int) -> Json:
    """After the changed import: the added messages are findable, and nothing is left unindexed."""
    store = HistoryStore(data_dir)
    try:
        found, offset = 0, 0
        while True:
            page = store.search(MARKER, limit=100, offset=offset)
            found += len(page.results)
            if page.next_offset is None:
                break
            offset = page.next_offset
        status = store.status()
    finally:
        store.close()
    n_mod, n_new = changed_counts(n)
    return {
        "marker_found": found,
        "marker_expected": n_mod,
        "conversations": status.conversations,
        "conversations_expected": n + n_new,
        "indexed": status.indexed,
        "pending_index": status.pending_index,
    }


async def _spawn_once(data_dir: Path) -> tuple[float, int]:
    t = time.perf_counter()
    async with Client(_serve_params(data_dir)) as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - t
    return elapsed, len(tools.tools)


def spawn_to_tools(data_dir: Path | None, runs: int = 5) -> Json:
    """Median seconds from spawning ``serve`` to the ``tools/list`` answer; ``None``: a fresh empty dir each run."""
    times, tools = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as empty:
            elapsed, tools = asyncio.run(_spawn_once(data_dir or Path(empty)))
        times.append(elapsed)
    return {"median_s": statistics.median(times), "times_s": times, "tools": tools}


# --- report ----------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(r: Json) -> None:
    n, mcp, fts, fq, imp, s, re1, re2, chk, sp = (
        r["n"],
        r["search_mcp"],
        r["fts5_build"],
        r["fts5_queries"],
        r["import"],
        r["search"],
        r["reimport_unchanged"],
        r["reimport_changed"],
        r["changed_check"],
        r["spawn"],
    )
    print(
        f"\nchatgpt-history-mcp benchmark: N={n:,} conversations ({r['profile']} profile), seed {r['seed']}, "
        f"repeat {r['repeat']}  "
        f"(Python {platform.python_version()}, {os.cpu_count()} CPUs)"
    )
    print(
        f"export {r['export_bytes'] / MB:.1f} MB zip, {r['export_json_bytes'] / n / 1e3:.1f} KB of JSON per "
        f"conversation; generation: {r['generation']}"
    )
    print(f"conversations {imp['conversations']:,}, messages {imp['messages']:,} (FTS5 rows {fts['messages']:,})")

    print("\n-- build / import --")
    print(
        f"FTS5 build            {fts['total_s']:8.2f} s   parse {fts['parse_s']:.2f}, insert {fts['insert_s']:.2f}, "
        f"optimize {fts['optimize_s']:.2f}; db {fts['db_bytes'] / MB:.1f} MB"
    )
    rate = f"{imp['conversations'] / imp['import_s']:,.0f} conv/s, {imp['messages'] / imp['import_s']:,.0f} msg/s"
    print(f"our import            {imp['import_s']:8.2f} s   {rate}; process {imp['process_s']:.2f} s")
    print(
        f"  peak RSS            self {imp['rss_self_bytes'] / MB:.0f} MB, "
        f"max child {imp['rss_child_max_bytes'] / MB:.0f} MB, "
        f"bound self + 2 x child {imp['rss_total_bound_bytes'] / MB:.0f} MB"
    )
    print(
        f"  on disk             index {imp['index_bytes'] / MB:.1f} MB ({imp['index_segments']} segments), "
        f"archive {imp['archive_bytes'] / MB:.1f} MB"
        + (f" (+ wal {imp['archive_wal_bytes'] / MB:.1f} MB)" if imp["archive_wal_bytes"] else "")
    )
    print(f"re-import unchanged   {re1['import_s']:8.2f} s   outcome {re1['report']['outcome']}")
    rep = re2["report"]
    n_mod, n_new = changed_counts(n)
    print(
        f"re-import changed     {re2['import_s']:8.2f} s   {rep['added']} added, {rep['updated']} updated, "
        f"{rep['unchanged']} unchanged, {rep['older']} older, {rep['invalid']} invalid "
        f"(expected {n_new} added, {n_mod} updated); peak RSS bound {re2['rss_total_bound_bytes'] / MB:.0f} MB"
    )
    print(
        f"  check               marker found in {chk['marker_found']}/{chk['marker_expected']}, conversations "
        f"{chk['conversations']:,}/{chk['conversations_expected']:,}, indexed {chk['indexed']:,}, "
        f"pending {chk['pending_index']}; index {re2['index_segments']} segments, "
        f"{re2['index_deleted_docs']} deleted docs"
    )

    print(f"\n-- search latency (ms), warm, {r['repeat']} repeats per query --")
    print(
        f"{'kind':<11}{'FTS5 p50':>9}{'p95':>8}{'max':>8}   {'ours p50':>9}{'p95':>8}{'max':>8}   "
        f"{'MCP p50':>9}{'p95':>8}{'max':>8}"
    )
    for kind, ours in [*s["by_kind"].items(), ("ALL", s["overall"])]:
        ref = fq["overall"] if kind == "ALL" else fq["by_kind"][kind]
        over = mcp["overall"] if kind == "ALL" else mcp["by_kind"][kind]
        print(
            f"{kind:<11}{ref['p50_ms']:>9.2f}{ref['p95_ms']:>8.2f}{ref['max_ms']:>8.2f}   "
            f"{ours['p50_ms']:>9.2f}{ours['p95_ms']:>8.2f}{ours['max_ms']:>8.2f}   "
            f"{over['p50_ms']:>9.2f}{over['p95_ms']:>8.2f}{over['max_ms']:>8.2f}"
        )
    print("(FTS5 and ours: in process; MCP: search_conversations over a stdio client, round trip)")
    after = r["search_after_changed"]["overall"]
    print(
        f"store open {s['open_s'] * 1000:.0f} ms, first query {s['first_query_ms']:.0f} ms; after the changed "
        f"import: p50 {after['p50_ms']:.2f}, p95 {after['p95_ms']:.2f}, max {after['max_ms']:.2f}"
    )
    empty = [q["query"] for q, f in zip(s["per_query"], fq["per_query"], strict=True) if f["top"] and not q["results"]]
    if empty:
        print(f"queries FTS5 answers but we return nothing for: {empty}")
    print(
        f"\n-- spawn to tools/list (median of {len(sp['empty']['times_s'])}) --\n"
        f"empty data dir {sp['empty']['median_s']:.2f} s, imported store {sp['store']['median_s']:.2f} s "
        f"({sp['store']['tools']} tools)"
    )

    at = "" if n == 10_000 else " *"
    print("\n-- targets --")
    rows = [
        ("import / FTS5 build", r["ratios"]["import_over_fts5_build"], 4.0, "x"),
        ("search p95 / FTS5 p95", r["ratios"]["search_p95_over_fts5_p95"], 3.0, "x"),
        ("re-import unchanged / import", r["ratios"]["reimport_over_import"], 0.10, "x"),
        ("re-import changed / import", r["ratios"]["reimport_changed_over_import"], 0.10, "x"),
        ("import wall" + at, imp["import_s"], 100.0, "s"),
        ("peak RSS (self + 2 x child)" + at, imp["rss_total_bound_bytes"] / MB, 800.0, "MB"),
        ("search p95" + at, s["overall"]["p95_ms"], 100.0, "ms"),
        ("search max" + at, s["overall"]["max_ms"], 500.0, "ms"),
        ("spawn to tools/list, empty dir", sp["empty"]["median_s"], 1.0, "s"),
        ("spawn to tools/list, imported store", sp["store"]["median_s"], 1.0, "s"),
    ]
    for size, (p95, top) in MCP_TARGETS.items():
        if size == n:
            rows.append((f"search p95 over MCP (N={size:,})", mcp["overall"]["p95_ms"], p95, "ms"))
            if top is not None:
                rows.append((f"search max over MCP (N={size:,})", mcp["overall"]["max_ms"], top, "ms"))
    for name, value, target, unit in rows:
        print(f"{name:<38}{value:>10.3f} {unit:<3} <= {target:<6g} {_verdict(value <= target)}")
    if at:
        print(f"* the target is set for N=10,000; this run is N={n:,}")


# --- main ------------------------------------------------------------------------------------


def _source_stamp() -> float:
    """Newest mtime of the product's sources: a run that sees it change mixed two versions."""
    import chatgpt_history_mcp

    return max(p.stat().st_mtime for p in Path(chatgpt_history_mcp.__file__).parent.rglob("*.py"))


def _json_bytes(export: Path) -> int:
    with zipfile.ZipFile(export) as zf:
        return sum(i.file_size for i in zf.infolist() if i.filename.startswith("conversations"))


def run(n: int, seed: int, repeat: int, work: Path, profile: Profile = DEFAULT) -> Json:
    stamp = _source_stamp()
    export, changed, generation = ensure_exports(n, seed, profile)
    data_dir, db = work / "store", work / "fts5.db"
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"export {export.name}: {generation}; FTS5 build …", file=sys.stderr, flush=True)
    fts = build(str(export), str(db))
    fq = run_queries(str(db), QUERY_MIX, repeat)
    print("import …", file=sys.stderr, flush=True)
    imp = import_in_child(data_dir, export)
    print("search …", file=sys.stderr, flush=True)
    s = search_latency(data_dir, repeat)
    print("search over MCP stdio …", file=sys.stderr, flush=True)
    mcp = mcp_search_latency(data_dir, repeat)
    print("re-imports …", file=sys.stderr, flush=True)
    re1 = import_in_child(data_dir, export)
    re2 = import_in_child(data_dir, changed)
    chk = check_changed(data_dir, n)
    after = search_latency(data_dir, repeat)
    print("spawn …", file=sys.stderr, flush=True)
    spawn = {"empty": spawn_to_tools(None), "store": spawn_to_tools(data_dir)}
    if _source_stamp() != stamp:
        raise SystemExit("the product's sources changed during the run; its numbers mix two versions: run it again")
    return {
        "n": n,
        "profile": profile.name,
        "seed": seed,
        "repeat": repeat,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "export_bytes": export.stat().st_size,
        "export_json_bytes": _json_bytes(export),
        "generation": generation,
        "fts5_build": fts,
        "fts5_queries": fq,
        "import": imp,
        "search": s,
        "search_mcp": mcp,
        "reimport_unchanged": re1,
        "reimport_changed": re2,
        "changed_check": chk,
        "search_after_changed": after,
        "spawn": spawn,
        "ratios": {
            "import_over_fts5_build": imp["import_s"] / fts["total_s"],
            "search_p95_over_fts5_p95": s["overall"]["p95_ms"] / fq["overall"]["p95_ms"],
            "reimport_over_import": re1["import_s"] / imp["import_s"],
            "reimport_changed_over_import": re2["import_s"] / imp["import_s"],
        },
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of conversations (1000, 10000, 30000: the sizes with targets)")
    ap.add_argument("--long", action="store_true", help="the corpus with longer messages (~25 KB per conversation)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="keep the store and FTS5 db in DIR (its store/ and fts5.db are replaced)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    args = ap.parse_args(argv)
    profile = LONG if args.long else DEFAULT
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = run(args.n, args.seed, args.repeat, args.keep, profile)
    else:
        with tempfile.TemporaryDirectory(prefix="chatgpt-history-bench-") as tmp:
            results = run(args.n, args.seed, args.repeat, Path(tmp), profile)
    out = OUT / f"results-{args.n}{_suffix(profile)}.json"
    out.write_text(json.dumps(results, indent=2))
    print_report(results)
    print(f"\nfull numbers: {out}")


if __name__ == "__main__":
    main()
