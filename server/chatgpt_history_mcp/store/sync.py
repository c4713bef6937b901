"""Keep the store current from ChatGPT's web backend.

1. List every conversation: the main list, the archive, and each project (project chats are absent from
   the main list). Listing is cheap: pages of 100.
2. Queue (persistently) the conversations whose listed ``update_time`` is newer than the stored copy, or
   that are not stored. A sync right after a sync queues nothing and fetches no bodies.
3. Fetch the queued bodies a few at a time and commit every :data:`CHUNK` conversations (archive and
   index), so a sync that is killed, rate-limited or fails keeps what it fetched and the next one resumes.
4. Fetch memories and automations and keep them, with the time they were fetched, for offline listing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from chatgpt_history_mcp.sources.backend import BackendClient, BackendError, BackendNotFound
from chatgpt_history_mcp.sources.normalize import parse_time
from chatgpt_history_mcp.store.faults import storage_errors
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.importer import reindex_pending, write_conversations
from chatgpt_history_mcp.store.results import SyncReport

log = logging.getLogger(__name__)

#: Conversations fetched between two commits: what a killed sync can lose at most is one chunk.
CHUNK = 20
#: Listed and stored times closer than this are the same time (ISO in lists, epoch floats in bodies).
SAME_TIME = 0.01


#: Called with (done, total, message); may be async (MCP progress notifications).
SyncProgress = Callable[[int, int, str], Awaitable[None] | None]


async def _report(progress: SyncProgress | None, done: int, total: int, message: str) -> None:
    if progress is not None:
        result = progress(done, total, message)
        if result is not None:
            await result


async def list_all(client: BackendClient) -> dict[str, float | None]:
    """Every conversation id with its listed update time, from all three places conversations live."""
    listed: dict[str, float | None] = {}

    def add(item: dict[str, Any]) -> None:
        cid = item.get("id")
        if isinstance(cid, str) and cid:
            when = parse_time(item.get("update_time"))
            listed[cid] = when.timestamp() if when else None

    async for item in client.conversation_summaries():
        add(item)
    async for item in client.conversation_summaries(archived=True):
        add(item)
    for project in await client.projects():
        async for item in client.project_conversations(project["id"]):
            add(item)
    return listed


async def sync_history(
    store: HistoryStore, client: BackendClient, *, full: bool = False, progress: SyncProgress | None = None
) -> SyncReport:
    """Bring the store up to date with the backend. Raises StoreBusy if another write runs."""
    started = time.perf_counter()
    report = SyncReport()
    with store.write_lock, storage_errors(store.data_dir):  # a full disk: the chunks stored before it stay
        await anyio.to_thread.run_sync(reindex_pending, store)
        try:
            listed = await list_all(client)
        except BackendError as exc:
            report.outcome, report.error = "incomplete", str(exc)
            report.seconds = time.perf_counter() - started
            return report
        report.listed = len(listed)
        stored = store.archive.change_keys()
        newer = [
            (cid, when) for cid, when in listed.items() if full or cid not in stored or _newer(when, stored[cid][1])
        ]
        with store.archive.transaction() as writer:
            writer.enqueue(newer)
        queue = store.archive.queued()
        report.unchanged = len(listed) - len(set(queue) & set(listed))
        total = len(queue)
        await _report(progress, 0, total, f"{total} conversations to fetch")
        try:
            for start in range(0, total, CHUNK):
                chunk = queue[start : start + CHUNK]
                bodies, missing, error = await _fetch(client, chunk)
                await anyio.to_thread.run_sync(_store_chunk, store, bodies, missing)
                report.fetched += len(bodies)
                report.failed += len(missing)
                if error is not None:
                    raise error  # after keeping what this chunk did fetch
                await _report(progress, min(start + CHUNK, total), total, f"fetched {report.fetched} of {total}")
            memories = await client.memories()
            automations = await client.automations()
        except BackendError as exc:
            report.outcome, report.error = "incomplete", str(exc)
        else:
            now = time.time()
            with store.archive.transaction() as writer:
                writer.replace_memories(memories, now)
                writer.replace_automations(automations, now)
            report.memories, report.automations = len(memories), len(automations)
        report.remaining = len(store.archive.queued())
        report.seconds = time.perf_counter() - started
        with store.archive.transaction() as writer:
            writer.set_sync_value("last_sync", report.model_dump_json())
    return report


def _newer(listed: float | None, stored: float | None) -> bool:
    return listed is None or stored is None or listed > stored + SAME_TIME


async def _fetch(
    client: BackendClient, ids: list[str]
) -> tuple[dict[str, dict[str, Any]], list[str], BackendError | None]:
    """Bodies of ``ids`` by the id they were asked for (concurrency bounded by the client), the ids the backend
    no longer has, and the first failure if any (the bodies fetched before it are still returned, to be kept)."""
    bodies: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    errors: list[BackendError] = []

    async def one(cid: str) -> None:
        if errors:
            return
        try:
            bodies[cid] = await client.conversation(cid)
        except BackendNotFound:
            missing.append(cid)
        except BackendError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for cid in ids:
            group.start_soon(one, cid)
    return {cid: bodies[cid] for cid in ids if cid in bodies}, missing, errors[0] if errors else None


def _store_chunk(store: HistoryStore, bodies: dict[str, dict[str, Any]], missing: list[str]) -> None:
    """One atomic step: the chunk's conversations into archive and index, and out of the queue (by the id each
    was asked for: a body may name itself oddly)."""
    done = [*bodies, *missing]
    write_conversations(store, list(bodies.values()), "api", lambda archive_writer: archive_writer.dequeue(done))
