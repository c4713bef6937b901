"""The server as hosts see it: spawn to tools/list over stdio, and search latency over Streamable HTTP.

    python bench/hosts_bench.py [N=10000] [--seed S] [--runs R] [--rounds K] [--clients C]

1. Spawn -> tools/list over stdio: R times each, ``chatgpt-history-mcp serve --data-dir D`` started by the MCP
   stdio client, initialize, tools/list, timed from spawn to the answer; for an empty store and for a store of N
   synthetic conversations (the export from ``synth_export``, cached in bench/out/ and shared with
   ``bench/run.py``; imported once with ``chatgpt-history-mcp import`` into bench/out/hosts-store-N-sS/, reused
   while it holds N conversations, all indexed). Also spawn -> first successful ``search_conversations``
   answer on the N store (the store opens in a background thread).
2. Search over Streamable HTTP: ``serve --transport http --auth-token T`` on a free loopback port, C concurrent
   MCP clients (own session each) each running ``QUERY_MIX`` (the mix of ``bench/run.py``) K rounds through
   ``search_conversations``; per-call latency p50/p95/max and throughput; then the same with one client.

Prints a table and writes bench/out/hosts.json (hosts-N.json when N is not 10,000).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

if __package__:
    from .fts5_reference import _stats
    from .run import OUT, QUERY_MIX, _source_stamp
    from .synth_export import write_export
else:  # run as a script
    from fts5_reference import _stats  # type: ignore[no-redef]
    from run import OUT, QUERY_MIX, _source_stamp  # type: ignore[no-redef]
    from synth_export import write_export  # type: ignore[no-redef]

Json = dict[str, Any]
#: The search timed from spawn (a representative two-term query of the mix).
FIRST_QUERY = "deploy kubernetes"
SPAWN_TARGET_S = 1.0


def _command() -> list[str]:
    """The installed console script (as hosts run it), else ``python -m``."""
    script = Path(sys.executable).with_name("chatgpt-history-mcp")
    found = str(script) if script.exists() else shutil.which("chatgpt-history-mcp")
    return [found] if found else [sys.executable, "-m", "chatgpt_history_mcp"]


def _env() -> dict[str, str]:
    """The parent's environment without this project's settings, so only ``--data-dir`` counts."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_HISTORY_")}


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- the store -------------------------------------------------------------------------------


def _status(data_dir: Path) -> Json | None:
    if not data_dir.is_dir():
        return None
    proc = subprocess.run(
        [*_command(), "status", "--json", "--data-dir", str(data_dir)], capture_output=True, text=True, env=_env()
    )
    if proc.returncode:
        return None
    try:
        status: Json = json.loads(proc.stdout)
    except ValueError:
        return None
    return status


def ensure_store(n: int, seed: int) -> tuple[Path, Json]:
    """The store of N synthetic conversations: cached when it holds N, all indexed; else built again."""
    OUT.mkdir(exist_ok=True)
    data_dir = OUT / f"hosts-store-{n}-s{seed}"
    info: Json = {"data_dir": str(data_dir)}
    status = _status(data_dir)
    if status and status["conversations"] == n and status["indexed"] == n and not status["pending_index"]:
        info.update(store="cached", messages=status["messages"])
        return data_dir, info
    export = OUT / f"export-{n}-s{seed}.zip"  # the same name as bench/run.py's, so either reuses it
    if export.exists():
        info["generation"] = "cached"
    else:
        _log(f"generating {export.name} …")
        t = time.perf_counter()
        tmp = export.with_suffix(".tmp")
        write_export(str(tmp), n, seed)
        os.replace(tmp, export)
        info["generation_s"] = round(time.perf_counter() - t, 2)
    _log(f"importing {export.name} into {data_dir} …")
    shutil.rmtree(data_dir, ignore_errors=True)
    t = time.perf_counter()
    proc = subprocess.run(
        [*_command(), "import", "--data-dir", str(data_dir), str(export)], capture_output=True, text=True, env=_env()
    )
    if proc.returncode:
        raise SystemExit(f"import failed ({proc.returncode}):\n{proc.stderr}")
    info["import_s"] = round(time.perf_counter() - t, 2)
    status = _status(data_dir)
    if not status or status["conversations"] != n or status["indexed"] != n:
        raise SystemExit(f"the imported store is not complete: {status}")
    info.update(store="built", messages=status["messages"])
    return data_dir, info


# --- 1. spawn over stdio ---------------------------------------------------------------------


def _stdio(data_dir: Path) -> Client:
    cmd = _command()
    params = StdioServerParameters(command=cmd[0], args=[*cmd[1:], "serve", "--data-dir", str(data_dir)])
    return Client(params)


async def _spawn_once(data_dir: Path, search: bool) -> Json:
    t = time.perf_counter()
    async with _stdio(data_dir) as client:
        tools = await client.list_tools()
        out: Json = {"tools_s": time.perf_counter() - t, "tools": len(tools.tools)}
        if search:
            while True:  # the tool waits for the store; an error (still opening) is retried
                result = await client.call_tool("search_conversations", {"query": FIRST_QUERY})
                if not result.is_error:
                    break
                await asyncio.sleep(0.05)
            out["search_s"] = time.perf_counter() - t
            out["results"] = len(result.structured_content["results"])
    return out


def _spread(values: list[float]) -> Json:
    return {"median_s": statistics.median(values), "min_s": min(values), "max_s": max(values), "times_s": values}


def spawn_bench(data_dir: Path | None, runs: int, search: bool) -> Json:
    """``runs`` spawns; ``None``: a fresh empty data dir each run."""
    rows = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="chatgpt-history-hosts-") as empty:
            rows.append(asyncio.run(_spawn_once(data_dir or Path(empty) / "data", search)))
    out: Json = {"tools_list": _spread([r["tools_s"] for r in rows]), "tools": rows[-1]["tools"]}
    if search:
        out["first_search"] = _spread([r["search_s"] for r in rows])
        out["first_search"]["results"] = rows[-1]["results"]
    return out


# --- 2. search over Streamable HTTP ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def http_server(data_dir: Path, token: str) -> Iterator[str]:
    port = _free_port()
    args = ["serve", "--transport", "http", "--port", str(port), "--auth-token", token, "--data-dir", str(data_dir)]
    process = subprocess.Popen(
        [*_command(), *args], env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the HTTP server exited ({process.returncode}):\n{process.stderr.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the HTTP server did not come up in 30 s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _http_client(url: str, token: str) -> Client:
    headers = {"Authorization": f"Bearer {token}"}
    return Client(streamable_http_client(f"{url}/mcp", http_client=httpx2.AsyncClient(headers=headers)))


def _args(q: Json) -> Json:
    return {"query": q["query"], "limit": 10, **(q.get("filters") or {})}


async def _call(client: Client, q: Json) -> float:
    t = time.perf_counter()
    result = await client.call_tool("search_conversations", _args(q))
    elapsed = (time.perf_counter() - t) * 1000
    if result.is_error:
        text = " ".join(getattr(b, "text", "") for b in result.content)
        raise RuntimeError(f"search_conversations {q['query']!r} failed: {text}")
    return elapsed


async def _load(url: str, token: str, clients: int, rounds: int) -> Json:
    """``clients`` sessions, connected first, then started together; each runs the mix ``rounds`` times from
    its own starting point in it (so they do not all ask the same query at once)."""
    start = asyncio.Event()
    connected = 0
    all_connected = asyncio.Event()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    mix = len(QUERY_MIX)

    async def one(i: int) -> None:
        nonlocal connected
        async with _http_client(url, token) as client:
            connected += 1
            if connected == clients:
                all_connected.set()
            await start.wait()
            offset = i * mix // clients
            for k in range(rounds * mix):
                latencies[i].append(await _call(client, QUERY_MIX[(offset + k) % mix]))

    tasks = [asyncio.create_task(one(i)) for i in range(clients)]
    await asyncio.wait_for(all_connected.wait(), 60)
    t = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - t
    flat = [x for per in latencies for x in per]
    return {
        "clients": clients,
        "rounds": rounds,
        "calls": len(flat),
        "wall_s": wall,
        "calls_per_s": len(flat) / wall,
        "latency": _stats(flat),
        "mean_ms": statistics.fmean(flat),
    }


async def _warm(url: str, token: str) -> float:
    """One session running the whole mix once, untimed for the results (opens the store, warms caches)."""
    t = time.perf_counter()
    async with _http_client(url, token) as client:
        for q in QUERY_MIX:
            await _call(client, q)
    return time.perf_counter() - t


def http_bench(data_dir: Path, clients: int, rounds: int) -> Json:
    token = secrets.token_urlsafe(24)
    with http_server(data_dir, token) as url:
        warm_s = asyncio.run(_warm(url, token))
        concurrent = asyncio.run(_load(url, token, clients, rounds))
        single = asyncio.run(_load(url, token, 1, rounds))
    return {"warmup_s": warm_s, "concurrent": concurrent, "single": single}


# --- report ----------------------------------------------------------------------------------


def _ok(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def print_report(r: Json) -> None:
    n, sp_empty, sp_store, h = r["n"], r["spawn_empty"], r["spawn_store"], r["http"]
    print(
        f"\nchatgpt-history-mcp hosts benchmark: N={n:,} conversations ({r['store']['messages']:,} messages), "
        f"seed {r['seed']}\nmachine: {r['machine']['cpus']} CPUs ({r['machine']['processor']}), "
        f"{r['machine']['system']}, Python {r['machine']['python']}; server command: {' '.join(r['command'])}"
    )
    st = r["store"]
    made = ", ".join(f"{k.removesuffix('_s')} {v} s" for k, v in st.items() if k.endswith("_s"))
    print(f"store: {st['store']}{f' ({made})' if made else ''}, {st['data_dir']}")

    print(f"\n-- spawn -> answer over stdio, {r['runs']} runs each (s) --")
    print(f"{'':<40}{'median':>8}{'min':>8}{'max':>8}   target")
    rows = [
        ("tools/list, empty store", sp_empty["tools_list"], SPAWN_TARGET_S),
        (f"tools/list, {n:,} store", sp_store["tools_list"], SPAWN_TARGET_S),
        (f"first search_conversations, {n:,} store", sp_store["first_search"], None),
    ]
    for name, s, target in rows:
        verdict = f"<= {target:g} s {_ok(s['median_s'], target)}" if target else "(info)"
        print(f"{name:<40}{s['median_s']:>8.3f}{s['min_s']:>8.3f}{s['max_s']:>8.3f}   {verdict}")
    print(
        f"(tools: {sp_store['tools']}; first search {FIRST_QUERY!r} -> {sp_store['first_search']['results']} results, "
        "timed from spawn, after initialize + tools/list)"
    )

    c, s1 = h["concurrent"], h["single"]
    print(
        f"\n-- search_conversations over Streamable HTTP, {n:,} store, {len(QUERY_MIX)} queries x {c['rounds']} "
        f"rounds per client (ms) --"
    )
    print(f"{'clients':<10}{'calls':>7}{'p50':>9}{'p95':>9}{'max':>9}{'mean':>9}{'calls/s':>10}{'wall s':>9}")
    for row in (c, s1):
        lat = row["latency"]
        print(
            f"{row['clients']:<10}{row['calls']:>7}{lat['p50_ms']:>9.1f}{lat['p95_ms']:>9.1f}{lat['max_ms']:>9.1f}"
            f"{row['mean_ms']:>9.1f}{row['calls_per_s']:>10.1f}{row['wall_s']:>9.2f}"
        )
    ratio = r["ratios"]
    print(
        f"{c['clients']} clients / 1 client: p50 x{ratio['p50']:.2f}, p95 x{ratio['p95']:.2f}, "
        f"max x{ratio['max']:.2f}, throughput x{ratio['throughput']:.2f}  (warm-up: one mix in {h['warmup_s']:.2f} s)"
    )
    if r.get("sources_changed"):
        print("WARNING: the product's sources changed during the run; the numbers may mix two versions")


# --- main ------------------------------------------------------------------------------------


def run(n: int, seed: int, runs: int, clients: int, rounds: int) -> Json:
    stamp = _source_stamp()
    data_dir, store = ensure_store(n, seed)
    _log(f"spawn, empty store ({runs} runs) …")
    sp_empty = spawn_bench(None, runs, search=False)
    _log(f"spawn, {n:,} store ({runs} runs) …")
    sp_store = spawn_bench(data_dir, runs, search=True)
    _log(f"HTTP search, {clients} clients then 1, {rounds} rounds …")
    h = http_bench(data_dir, clients, rounds)
    c, s1 = h["concurrent"], h["single"]
    return {
        "n": n,
        "seed": seed,
        "runs": runs,
        "command": _command(),
        "machine": {
            "cpus": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "processor": platform.processor() or platform.machine(),
            "system": platform.platform(),
            "python": platform.python_version(),
        },
        "store": store,
        "spawn_empty": sp_empty,
        "spawn_store": sp_store,
        "http": h,
        "ratios": {
            "p50": c["latency"]["p50_ms"] / s1["latency"]["p50_ms"],
            "p95": c["latency"]["p95_ms"] / s1["latency"]["p95_ms"],
            "max": c["latency"]["max_ms"] / s1["latency"]["max_ms"],
            "throughput": c["calls_per_s"] / s1["calls_per_s"],
        },
        "sources_changed": _source_stamp() != stamp,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=10_000, help="conversations in the store (default 10000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=7, help="spawns per store")
    ap.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    ap.add_argument("--rounds", type=int, default=3, help="times each client runs the query mix")
    args = ap.parse_args(argv)
    results = run(args.n, args.seed, args.runs, args.clients, args.rounds)
    OUT.mkdir(exist_ok=True)
    out = OUT / ("hosts.json" if args.n == 10_000 else f"hosts-{args.n}.json")
    out.write_text(json.dumps(results, indent=2))
    print_report(results)
    print(f"\nfull numbers: {out}")


if __name__ == "__main__":
    main()
