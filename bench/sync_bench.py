"""Sync benchmark: N conversations from the fake ChatGPT backend (tests/fake_backend.py, 127.0.0.1).

Reports the first sync's wall time and requests, and what a second sync with nothing changed costs (it
must be list pages only: no conversation bodies).

    python bench/sync_bench.py [N]
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "server")]

from chatgpt_history_mcp.chatgpt.backend import BackendClient, Credentials  # noqa: E402
from chatgpt_history_mcp.ingest.sync import sync_history  # noqa: E402
from chatgpt_history_mcp.store.history import HistoryStore  # noqa: E402
from fake_backend import FakeAccount, FakeBackend  # noqa: E402

WORDS = [
    "deploy",
    "cluster",
    "garden",
    "recipe",
    "budget",
    "travel",
    "python",
    "rust",
    "invoice",
    "schema",
    "lesson",
    "guitar",
    "marathon",
    "mortgage",
    "sourdough",
    "camera",
    "telescope",
    "poetry",
    "chemistry",
    "violin",
    "kayak",
]


def account(n: int, seed: int = 1) -> FakeAccount:
    rnd = random.Random(seed)
    acct = FakeAccount()
    projects = [acct.add_project(f"Project {i}") for i in range(5)]
    for i in range(n):
        turns = [" ".join(rnd.choices(WORDS, k=rnd.randint(8, 60))) for _ in range(rnd.choice((2, 4, 8, 16)))]
        where = rnd.random()
        acct.add_conversation(
            turns,
            title=f"Conversation {i} {rnd.choice(WORDS)}",
            project=projects[i % 5] if where < 0.4 else None,
            archived=0.4 <= where < 0.45,
        )
    return acct


def kinds(requests: list[Any]) -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    for r in requests:
        path = r.path
        if path.startswith("/backend-api/conversation/"):
            counts["bodies"] += 1
        elif path == "/backend-api/conversations":
            counts["list pages"] += 1
        elif "/gizmos/" in path:
            counts["project pages"] += 1
        else:
            counts[path] += 1
    return dict(counts)


async def run(store: HistoryStore, fb: FakeBackend) -> tuple[float, Any]:
    started = time.perf_counter()
    async with BackendClient(Credentials(session_token=fb.session_token), base_url=fb.url) as client:
        report = await sync_history(store, client)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int, nargs="?", default=1000)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp, FakeBackend(account(n)) as fb:
        store = HistoryStore(Path(tmp))
        first, report = anyio.run(run, store, fb)
        first_requests = list(fb.requests)
        fb.clear_requests()
        second, again = anyio.run(run, store, fb)
        second_requests = list(fb.requests)
        print(f"sync benchmark: {n:,} conversations from the fake backend on 127.0.0.1 (concurrency 2)")
        print(f"first sync   {first:7.2f} s  {report.summary()}")
        print(f"             {len(first_requests):,} requests: {kinds(first_requests)}")
        print(f"second sync  {second:7.2f} s  {again.summary()}")
        print(f"             {len(second_requests):,} requests: {kinds(second_requests)}")
        bodies = kinds(second_requests).get("bodies", 0)
        print(f"second sync fetched bodies: {bodies} (must be 0)")
        store.close()


if __name__ == "__main__":
    main()
