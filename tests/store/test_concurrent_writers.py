"""Hardening: readers keep being served while other processes write the store, and writers exclude each other.

Real processes throughout: an MCP server over stdio and one over Streamable HTTP answer a stream of tool calls
while a CLI ``import`` of a few hundred synthetic conversations and then a CLI ``sync`` against the fake backend
write the same data folder, and fresh CLI ``search`` processes open the store mid-write. Afterwards the store
must be whole (SQLite integrity, index = archive) and free (the write lock taken at once).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.locking import WriteLock
from fake_backend import FakeBackend, sample_account
from sample import ALL_SAMPLE, REPO, SAMPLE, SOURDOUGH
from servers import http_server as serve_http

pytestmark = pytest.mark.anyio

SYNTH = 450  # past the importer's PARALLEL_AFTER (400): index worker processes take part too
TOKEN = "hardening-concurrency-token-7d1e"
BUSY = "another import or sync is writing"
SYNC_BUSY = "a sync of this history is already running"


def synth_export(path: Path, n: int, seed: int) -> list[dict[str, Any]]:
    """A synthetic export of ``n`` conversations (bench/synth_export.py); returns their raw bodies."""
    sys.path.insert(0, str(REPO))
    from bench.synth_export import iter_conversations, write_export

    write_export(str(path), n, seed=seed)
    return list(iter_conversations(n, seed))


def probes(bodies: list[dict[str, Any]], count: int) -> list[tuple[str, str]]:
    """(conversation id, a phrase query of its title) for ``count`` titled conversations."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for body in bodies:
        title = body.get("title") or ""
        if len(title.split()) >= 3 and title not in seen and '"' not in title:
            seen.add(title)
            found.append((body["id"], f'"{title}"'))
        if len(found) == count:
            break
    return found


def env_for(tmp: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHATGPT_")}
    return {
        **base,
        "HOME": str(tmp / "home"),
        "CHATGPT_HISTORY_DATA_DIR": str(tmp / "data"),
        "CHATGPT_HISTORY_CONFIG_DIR": str(tmp / "config"),
        "CHATGPT_SYNC_PACING": "0",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        **extra,
    }


def cli(tmp: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", *args],
        env=env_for(tmp, **extra),
        capture_output=True,
        text=True,
        timeout=180,
    )


@contextmanager
def http_server(tmp: Path) -> Iterator[str]:
    with serve_http(env_for(tmp), "--auth-token", TOKEN) as served:
        yield served.url


def http_client(url: str) -> Client:
    auth = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
    return Client(streamable_http_client(f"{url}/mcp", http_client=auth), cache=None)


def stdio_client(tmp: Path, **extra: str) -> Client:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "chatgpt_history_mcp", "serve"], env=env_for(tmp, **extra)
    )
    return Client(params, cache=None)


def import_sample(data: Path) -> None:
    from chatgpt_history_mcp.ingest.exports import import_export

    store = HistoryStore(data)
    try:
        assert import_export(store, SAMPLE).added == ALL_SAMPLE
    finally:
        store.close()


def ids_of(result: Any) -> list[str]:
    return [r["conversation_id"] for r in result.structured_content["results"]]


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


# -- the readers -------------------------------------------------------------------------------------------


@dataclass
class Call:
    phase: str
    latency: float


@dataclass
class Readers:
    """Tool calls made in a loop by many tasks, what they saw and how long each took."""

    phase: str = "idle"
    calls: list[Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: Probe queries that must, once found, stay found (a writer never makes a committed conversation vanish).
    watched: dict[str, str] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    async def loop(self, name: str, client: Client, baseline_messages: int) -> None:
        seen_total = 0
        found: set[str] = set()
        step = 0
        while not self.stop.is_set():
            step += 1
            phase, started = self.phase, time.perf_counter()
            try:
                kind = step % 4
                if kind == 0:
                    result = await client.call_tool("search_conversations", {"query": "sourdough starter", "limit": 20})
                    assert not result.is_error, text_of(result)
                    assert SOURDOUGH in ids_of(result), "a stored conversation went missing from search"
                elif kind == 1:
                    result = await client.call_tool("get_conversation", {"conversation_id": SOURDOUGH, "limit": 200})
                    assert not result.is_error, text_of(result)
                    assert result.structured_content["total_messages"] == baseline_messages
                elif kind == 2:
                    result = await client.call_tool("list_conversations", {"limit": 5})
                    assert not result.is_error, text_of(result)
                    total = result.structured_content["total"]
                    assert total >= seen_total, f"the conversation count went back from {seen_total} to {total}"
                    seen_total = total
                else:
                    for cid, query in list(self.watched.items()):
                        result = await client.call_tool("search_conversations", {"query": query, "limit": 50})
                        assert not result.is_error, text_of(result)
                        if cid in ids_of(result):
                            found.add(cid)
                        else:
                            assert cid not in found, f"{cid} was found, then no longer"
            except Exception as exc:
                self.errors.append(f"{name} [{phase}]: {exc!r}")
            self.calls.append(Call(phase, time.perf_counter() - started))

    def during(self, *phases: str) -> list[Call]:
        return [c for c in self.calls if c.phase in phases]


@asynccontextmanager
async def reading(readers: Readers, clients: list[tuple[str, Client, int]], baseline: int) -> AsyncIterator[None]:
    async with anyio.create_task_group() as group:
        for name, client, tasks in clients:
            for i in range(tasks):
                group.start_soon(readers.loop, f"{name}#{i}", client, baseline)
        try:
            yield
        finally:
            readers.stop.set()


def cli_searches(tmp: Path, stop: threading.Event, results: list[str]) -> None:
    """Fresh processes opening the store while it is written: each must find the stored conversation."""
    while not stop.is_set():
        done = cli(tmp, "search", "sourdough starter", "--json")
        if done.returncode != 0:
            results.append(f"exit {done.returncode}: {done.stderr[-500:]}")
        elif SOURDOUGH not in {r["conversation_id"] for r in json.loads(done.stdout)["results"]}:
            results.append(f"missing: {done.stdout[:300]} {done.stderr[-300:]}")
        else:
            results.append("ok")


async def in_thread(fn: Callable[[], Any]) -> Any:
    return await anyio.to_thread.run_sync(fn)


def check_store(data: Path, expected: int) -> None:
    """The store after the writers: SQLite whole, index = archive, nothing pending, the lock free."""
    db = sqlite3.connect(data / "archive.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM conversations").fetchone()[0] == expected
    finally:
        db.close()
    lock = WriteLock(data / "write.lock")
    lock.acquire()  # at once: no writer left it behind
    lock.release()
    store = HistoryStore(data)
    try:
        status = store.status()
        assert (status.conversations, status.indexed, status.pending_index) == (expected, expected, 0)
        assert SOURDOUGH in [r.conversation_id for r in store.search("sourdough starter").results]
    finally:
        store.close()


# -- the tests ---------------------------------------------------------------------------------------------


async def test_readers_are_served_throughout_an_import_and_a_sync(tmp_path: Path, figures: dict[str, Any]) -> None:
    data = tmp_path / "data"
    import_sample(data)
    bodies = synth_export(tmp_path / "synth.zip", SYNTH, seed=11)
    imported = probes(bodies, 2)
    account = sample_account(n_main=30, n_archived=4, n_projects=2, per_project=3)
    synced_total = len(account.conversations)
    readers = Readers()
    searchers: list[str] = []

    with FakeBackend(account) as fb, http_server(tmp_path) as url:
        fb.slow(0.1, "/backend-api/conversation/*", count=None)  # the sync holds the store for a few seconds
        async with stdio_client(tmp_path) as local, http_client(url) as h1, http_client(url) as h2:
            baseline = await local.call_tool("get_conversation", {"conversation_id": SOURDOUGH, "limit": 200})
            messages = baseline.structured_content["total_messages"]
            for cid, query in imported:  # not there yet
                assert cid not in ids_of(await local.call_tool("search_conversations", {"query": query}))
            readers.watched.update(dict(imported))
            clients = [("stdio", local, 4), ("http-1", h1, 2), ("http-2", h2, 2)]
            async with reading(readers, clients, messages):
                stop_cli = threading.Event()
                cli_thread = threading.Thread(target=cli_searches, args=(tmp_path, stop_cli, searchers))
                cli_thread.start()
                try:
                    readers.phase = "import"
                    done = await in_thread(lambda: cli(tmp_path, "import", str(tmp_path / "synth.zip")))
                    assert done.returncode == 0, done.stderr
                    assert f"{SYNTH} added" in done.stdout
                    readers.phase = "between"
                    for client in (local, h1, h2):  # every server sees the import as soon as it has ended
                        for cid, query in imported:
                            found = await client.call_tool("search_conversations", {"query": query, "limit": 50})
                            assert cid in ids_of(found), query
                    keyword_ids = list(account.keywords.items())[:3]
                    readers.watched.update({cid: word for cid, word in keyword_ids})

                    readers.phase = "sync"
                    done = await in_thread(
                        lambda: cli(tmp_path, "sync", CHATGPT_BASE_URL=fb.url, CHATGPT_SESSION_TOKEN=fb.session_token)
                    )
                    assert done.returncode == 0, done.stderr
                    assert f"{synced_total} fetched" in done.stdout
                    readers.phase = "after"
                    for client in (local, h1, h2):
                        for cid, word in keyword_ids:
                            found = await client.call_tool("search_conversations", {"query": word})
                            assert ids_of(found) == [cid], word
                    await anyio.sleep(0.3)
                finally:
                    stop_cli.set()
                    await in_thread(cli_thread.join)

    assert readers.errors == []
    assert [s for s in searchers if s != "ok"] == []
    writing = readers.during("import", "sync")
    assert len(readers.during("import")) >= 20 and len(readers.during("sync")) >= 20, "the writes were not overlapped"
    check_store(data, ALL_SAMPLE + SYNTH + synced_total)

    latencies = [c.latency for c in writing]
    figures["concurrency: tool calls during writes (import + sync)"] = len(writing)
    figures["concurrency: CLI search processes opened mid-write"] = len(searchers)
    figures["concurrency: errors seen by readers"] = len(readers.errors) + len(searchers) - searchers.count("ok")
    figures["concurrency: max tool latency during writes (s)"] = round(max(latencies), 3)
    figures["concurrency: median tool latency during writes (s)"] = round(statistics.median(latencies), 3)


async def test_fifty_concurrent_calls_on_one_session_agree_with_sequential_ones(
    tmp_path: Path, figures: dict[str, Any]
) -> None:
    import_sample(tmp_path / "data")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("search_conversations", {"query": "sourdough starter"}),
        ("search_conversations", {"query": "parseConfig"}),
        ("search_conversations", {"query": "机器学习"}),
        ("search_conversations", {"query": "café", "limit": 3}),
        ("search_conversations", {"query": "kubernetes -rust"}),
        ("get_conversation", {"conversation_id": SOURDOUGH}),
        ("get_conversation", {"conversation_id": SOURDOUGH, "offset": 2, "limit": 2}),
        ("list_conversations", {"limit": 50}),
        ("list_conversations", {"order": "oldest", "limit": 5}),
        ("search_conversations", {"query": "a*"}),  # an error answer, 50 times over, is still the same answer
    ]
    async with stdio_client(tmp_path) as client:
        expected = []
        for name, args in calls:
            result = await client.call_tool(name, args)
            expected.append((result.is_error, result.structured_content, text_of(result)))
        latencies: list[float] = []
        got: dict[int, Any] = {}

        async def one(i: int) -> None:
            name, args = calls[i % len(calls)]
            started = time.perf_counter()
            result = await client.call_tool(name, args)
            latencies.append(time.perf_counter() - started)
            got[i] = (result.is_error, result.structured_content, text_of(result))

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for i in range(50):
                group.start_soon(one, i)
        wall = time.perf_counter() - started
    assert len(got) == 50
    for i, answer in got.items():
        assert answer == expected[i % len(calls)], calls[i % len(calls)]
    figures["concurrency: 50 concurrent calls on one stdio session, wall (s)"] = round(wall, 3)
    figures["concurrency: 50 concurrent calls on one stdio session, max latency (s)"] = round(max(latencies), 3)


async def test_a_second_sync_is_refused_and_an_import_lands_during_a_syncs_network_wait(
    tmp_path: Path, make_export: Callable[..., Path], build_conversation: Callable[..., dict[str, Any]]
) -> None:
    data = tmp_path / "data"
    import_sample(data)
    late = build_conversation("late-zebracorn-conversation", ["a zebracorn question", "a zebracorn answer"])
    export = make_export([late], name="late.zip")
    account = sample_account()

    def snapshot() -> tuple[Any, ...]:
        db = sqlite3.connect(data / "archive.sqlite3")
        try:
            return (
                db.execute("SELECT count(*) FROM conversations").fetchone()[0],
                db.execute("SELECT path, fingerprint, outcome FROM sources ORDER BY path").fetchall(),
                db.execute("SELECT count(*) FROM conversations WHERE id = ?", (late["id"],)).fetchone()[0],
            )
        finally:
            db.close()

    """A sync holds the store's write lock only while it commits: an import while it waits for ChatGPT lands at
    once; a second sync (CLI or tool) is refused without reaching ChatGPT; reading is never refused."""
    with FakeBackend(account) as fb:
        backend = {"CHATGPT_BASE_URL": fb.url, "CHATGPT_SESSION_TOKEN": fb.session_token}
        fb.lock.acquire()  # the backend answers nothing until released: the first writer waits, holding the store
        try:
            first = subprocess.Popen(
                [sys.executable, "-m", "chatgpt_history_mcp", "sync"],
                env=env_for(tmp_path, **backend),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = time.monotonic() + 30
            while not fb.requests:  # its first request comes once it holds the sync lock
                assert first.poll() is None, first.communicate()
                assert time.monotonic() < deadline, "the first sync never reached the backend"
                await anyio.sleep(0.02)
            before = snapshot()
            second_import = await in_thread(lambda: cli(tmp_path, "import", str(export)))
            second_sync = await in_thread(lambda: cli(tmp_path, "sync", **backend))
            async with stdio_client(tmp_path, **backend) as client:
                tool = await client.call_tool("sync_history", {})
                readable = await client.call_tool("search_conversations", {"query": "sourdough starter"})
            assert second_import.returncode == 0 and "1 added" in second_import.stdout, second_import.stderr
            assert second_sync.returncode != 0, (second_sync.stdout, second_sync.stderr)
            assert SYNC_BUSY in second_sync.stderr and "Traceback" not in second_sync.stderr
            assert tool.is_error and SYNC_BUSY in text_of(tool)
            assert SOURDOUGH in ids_of(readable)  # reading is never refused
            assert first.poll() is None, "the first sync was not running all along"
            assert len(fb.requests) == 1  # the refused syncs never reached ChatGPT
            assert snapshot()[0] == before[0] + 1 and snapshot()[2] == 1  # the import landed meanwhile
        finally:
            fb.lock.release()
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert f"{len(account.conversations)} fetched" in out
    assert snapshot()[0] == ALL_SAMPLE + len(account.conversations) + 1  # the sync's and the import's
    check_store(data, ALL_SAMPLE + len(account.conversations) + 1)


def commit_one(path: Path, n: int) -> None:
    from chatgpt_history_mcp.search.index import IndexDocument, SearchIndex

    index = SearchIndex(path)
    try:
        batch = index.writer()
        batch.put(IndexDocument(f"c{n}", f"title {n}", {"user": [f"words {n}"]}, None, [], None, None), replace=False)
        batch.commit()
    finally:
        index.close()


def test_an_index_opened_just_as_another_writer_commits_is_not_taken_for_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving, made to happen: the opener has found the newest table of contents, then a writer
    commits (publishing the next one and deleting that one) before the opener reads it. Taken for a broken
    index, the store would wipe and rebuild the index under the writer's feet."""
    from whoosh.filedb.filestore import FileStorage

    from chatgpt_history_mcp.search.index import SearchIndex

    path = tmp_path / "index"
    commit_one(path, 0)
    original = FileStorage.open_file
    raced: list[str] = []

    def open_file(self: FileStorage, name: str, *args: Any, **kwargs: Any) -> Any:
        if name.endswith(".toc") and not raced:
            raced.append(name)
            commit_one(path, 1)  # another writer commits right now: `name` is deleted
            assert not (path / name).exists()
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(FileStorage, "open_file", open_file)
    index = SearchIndex(path)
    try:
        assert raced and index.doc_count() == 2  # retried, and opened what the other writer committed
    finally:
        index.close()


COMMITTER = """
import sys, time
from pathlib import Path
from chatgpt_history_mcp.search.index import IndexDocument, SearchIndex
ix = SearchIndex(Path(sys.argv[1]))
end, n = time.monotonic() + float(sys.argv[2]), 0
print("ready", flush=True)
while time.monotonic() < end:
    batch = ix.writer()
    batch.put(IndexDocument(f"c{n}", f"title {n}", {"user": [f"words {n}"]}, None, [], None, None), replace=False)
    batch.commit()
    n += 1
print(n, flush=True)
"""


def test_stores_opened_while_another_process_commits_stay_whole(tmp_path: Path, figures: dict[str, Any]) -> None:
    """The same race left to chance: open the index again and again while another process commits."""
    from chatgpt_history_mcp.search.index import IndexBroken, SearchIndex

    path = tmp_path / "index"
    SearchIndex(path).close()
    writer = subprocess.Popen(
        [sys.executable, "-c", COMMITTER, str(path), "3"], env=env_for(tmp_path), stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    opened, broken = 0, []
    while writer.poll() is None:
        try:
            index = SearchIndex(path)
            index.doc_count()
            index.close()
            opened += 1
        except IndexBroken as exc:
            broken.append(str(exc))
    commits = int(writer.stdout.read().strip() or 0)
    assert writer.returncode == 0
    assert commits > 30 and opened > 50, (commits, opened)
    assert broken == []
    final = SearchIndex(path)
    try:
        assert final.doc_count() == commits
    finally:
        final.close()
    figures["concurrency: index opens during another process's commits"] = opened
    figures["concurrency: index commits by the other process"] = commits
    figures["concurrency: opens taken for a broken index"] = len(broken)
