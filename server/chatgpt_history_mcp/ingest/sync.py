"""Keep the store current from ChatGPT's web backend.

1. List every conversation: the main list, the archive, and each project (project chats are absent from
   the main list). Listing is cheap: pages of 100.
2. Queue (persistently) the conversations whose listed ``update_time`` is newer than the stored copy, or
   that are not stored. A sync right after a sync queues nothing and fetches no bodies.
3. Fetch the queued bodies a few at a time and commit every :data:`CHUNK` conversations (archive and
   index), so a sync that is killed, rate-limited or fails keeps what it fetched and the next one resumes.
   A body with canvas calls brings ChatGPT's current canvas text along (``…/textdocs``), and a document's
   history where the rebuild from the calls disagrees with it: the normalizer takes them over its rebuild.
4. Name the projects and custom GPTs: the sidebar's names are kept with the listing; the ids the stored
   conversations carry that the sidebar does not list (custom GPTs, mostly) are looked up once each
   (``/gizmos/{id}``; again on a full sync), a 404 kept as a deleted GPT.
5. Fetch memories and automations and keep them, with the time they were fetched, for offline listing.
6. Download the files the stored conversations name that the store lacks (the archive's persistent wanted list:
   what an export left out, what the conversations this or an earlier sync fetched brought; a data folder's first
   sync, and a full one, list what every stored conversation names first), a few at a time,
   committed every :data:`FILES_CHUNK` files with their conversations re-resolved (type, size and text from the
   bytes, so search finds a PDF's words), within the store's files bound. A file ChatGPT no longer has is marked
   gone and not asked for again; a failure keeps what was downloaded and leaves the rest wanted. Opt-out:
   ``sync_files=False`` (``CHATGPT_HISTORY_SYNC_FILES=0``).

One sync runs at a time (``store.sync_lock``, held throughout). The store's write lock is taken for each
committed step only, never across network time: a message sent during a sync stores its turn between two
chunks, and an import waits at most one chunk's write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio

from chatgpt_history_mcp.chatgpt.backend import (
    BackendClient,
    BackendNotFound,
    DownloadedFile,
    FileGone,
    RequestRejected,
)
from chatgpt_history_mcp.errors import BackendError, FileTooLarge
from chatgpt_history_mcp.export.canvas import TEXTDOCS_KEY, mentions_canvas
from chatgpt_history_mcp.export.normalize import normalize_conversation, parse_time
from chatgpt_history_mcp.ingest.attachments import Attacher, Carried
from chatgpt_history_mcp.ingest.conversations import write_conversations
from chatgpt_history_mcp.model import Attachment, Gizmo, gizmo_kind, to_epoch
from chatgpt_history_mcp.results import ImportReport, SyncReport
from chatgpt_history_mcp.store.archive import WantedFile
from chatgpt_history_mcp.store.blobs import Blobs
from chatgpt_history_mcp.store.faults import storage_errors
from chatgpt_history_mcp.store.history import LAST_COMPLETE_SYNC, HistoryStore
from chatgpt_history_mcp.store.locking import WriteLock
from chatgpt_history_mcp.store.writing import Write

log = logging.getLogger(__name__)

#: Conversations fetched between two commits: what a killed sync can lose at most is one chunk.
CHUNK = 20
#: Files downloaded between two commits (the client bounds how many are in flight).
FILES_CHUNK = 10
#: The archive's sync_state key saying when every stored conversation's missing files were last put on the wanted
#: list (a data folder from before the list, or whose conversations came before files were kept, has it done once).
FILES_LISTED = "files_listed_at"
#: Listed and stored times closer than this are the same time (ISO in lists, epoch floats in bodies).
SAME_TIME = 0.01
#: Seconds a step of a running sync waits for the store's write lock (a sent turn, another writer's commit)
#: before the sync stops, keeping what it stored: the next one resumes from its queue.
STEP_WAIT = 60.0
#: Seconds the sync's first step waits for the write lock before it refuses (another import runs).
START_WAIT = 5.0

T = TypeVar("T")


#: Called with (done, total, message); may be async (MCP progress notifications).
SyncProgress = Callable[[int, int, str], Awaitable[None] | None]


class _Reporter:
    """Progress as the sync goes: where it is (done of total) and what it does or waits for; also told to
    ``status`` in any process, through the write lock's activity."""

    def __init__(self, progress: SyncProgress | None, lock: WriteLock) -> None:
        self.progress = progress
        self.lock = lock
        self.done = 0
        self.total = 0

    async def __call__(self, message: str) -> None:
        self.lock.describe(f"syncing from ChatGPT: {message}")
        if self.progress is not None:
            await report_progress(self.progress, self.done, self.total, message)


async def report_progress(progress: SyncProgress, done: int, total: int, message: str) -> None:
    """Tell ``progress``, awaiting it when it is async."""
    result = progress(done, total, message)
    if result is not None:
        await result


#: Listing progress is reported once per this many conversations listed (a backend page).
LISTING_STEP = 100


async def list_all(
    client: BackendClient, sidebar: list[Gizmo], report: _Reporter | None = None
) -> dict[str, float | None]:
    """Every conversation id with its listed update time, from all three places conversations live: the main
    list, the archive, and each project of the ``sidebar`` (a custom GPT's chats are in the main list)."""
    listed: dict[str, float | None] = {}

    async def add(item: dict[str, Any]) -> None:
        cid = item.get("id")
        if isinstance(cid, str) and cid:
            listed[cid] = to_epoch(parse_time(item.get("update_time")))
            if report is not None and len(listed) % LISTING_STEP == 0:
                await report(f"listing: {len(listed):,} conversations so far")

    async for item in client.conversation_summaries():
        await add(item)
    async for item in client.conversation_summaries(archived=True):
        await add(item)
    for gizmo in sidebar:
        if gizmo.kind == "project":
            async for item in client.project_conversations(gizmo.id):
                await add(item)
    return listed


async def sync_history(
    store: HistoryStore,
    client: BackendClient,
    *,
    full: bool = False,
    files: bool = True,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Bring the store up to date with the backend (``files``: with the files its conversations name). Raises
    StoreBusy if another sync runs, or if another process writes the store when it starts."""
    started = time.perf_counter()
    report = SyncReport()
    reporter = _Reporter(progress, store.sync_lock)
    with store.sync_lock, storage_errors(store.data_dir):  # a full disk: the chunks stored before it stay
        reporter.lock.describe("syncing from ChatGPT", force=True)
        client.on_wait = reporter  # rate-limit and retry waits show up as progress
        try:
            await _sync_steps(store, client, full, files, report, reporter)
        finally:
            client.on_wait = None
        report.remaining = len(store.archive.queued())
        if files:
            report.files_remaining = store.archive.wanted_count()
        report.seconds = time.perf_counter() - started
        report.finished_at = datetime.now(UTC)
        finished = report.finished_at

        def record(write: Write) -> None:
            write.archive.set_sync_value("last_sync", report.model_dump_json())
            if report.outcome == "complete":
                write.archive.set_sync_value(LAST_COMPLETE_SYNC, str(finished.timestamp()))

        await _step(store, record)
    return report


async def _locked(store: HistoryStore, step: Callable[[], T], *, wait: float = STEP_WAIT) -> T:
    """One committed step of the sync, in a worker thread, under the store's write lock (waited for)."""

    def run() -> T:
        store.write_lock.acquire(wait=wait)
        try:
            return step()
        finally:
            store.write_lock.release()

    return await anyio.to_thread.run_sync(run)


async def _step(store: HistoryStore, change: Callable[[Write], T]) -> T:
    """A step that is one store write: ``change(write)``, committed (what it returns is returned)."""

    def apply() -> T:
        with store.write() as write:
            return change(write)

    return await _locked(store, apply)


async def _sync_steps(
    store: HistoryStore, client: BackendClient, full: bool, files: bool, report: SyncReport, reporter: _Reporter
) -> None:
    # What a killed writer left. A moment's holder (a sent turn, a store opening) is waited for; an import
    # still running after START_WAIT refuses the sync, which then reaches ChatGPT not at all.
    await _locked(store, store.repair, wait=START_WAIT)
    await reporter("listing conversations")
    try:
        sidebar = await client.sidebar()
        listed = await list_all(client, sidebar, reporter)
    except BackendError as exc:
        report.outcome, report.error = "incomplete", str(exc)
        return
    report.listed = len(listed)
    stored = store.archive.change_keys()
    newer = [(cid, when) for cid, when in listed.items() if full or cid not in stored or _newer(when, stored[cid][1])]
    listed_at = time.time()

    def keep_listing(write: Write) -> None:
        write.archive.enqueue(newer)
        write.archive.put_gizmos(sidebar, listed_at)

    await _step(store, keep_listing)
    queue = store.archive.queued()
    report.unchanged = len(listed) - len(set(queue) & set(listed))
    reporter.total = total = len(queue)
    await reporter(f"listed {len(listed):,}: {total:,} conversations to fetch")
    try:
        for start in range(0, total, CHUNK):
            chunk = queue[start : start + CHUNK]
            bodies, missing, error = await _fetch(client, chunk)
            done = [*bodies, *missing]  # by the id each was asked for: a body may name itself oddly
            await _locked(store, partial(_store_chunk, store, list(bodies.values()), done))
            report.fetched += len(bodies)
            report.failed += len(missing)
            if error is not None:
                raise error  # after keeping what this chunk did fetch
            reporter.done = min(start + CHUNK, total)
            await reporter(f"fetched {report.fetched:,} of {total:,}")
        report.names = sum(1 for g in sidebar if g.name) + await _name_the_rest(store, client, sidebar, full, reporter)
        memories = await client.memories()
        automations = await client.automations()
    except BackendError as exc:
        report.outcome, report.error = "incomplete", str(exc)
        return
    now = time.time()

    def keep(write: Write) -> None:
        write.archive.replace_memories(memories, now)
        write.archive.replace_automations(automations, now)

    await _step(store, keep)
    report.memories, report.automations = len(memories), len(automations)
    if files:
        try:
            await _sync_files(store, client, full, report, reporter)
        except BackendError as exc:
            report.outcome, report.error = "incomplete", str(exc)


async def _name_the_rest(
    store: HistoryStore, client: BackendClient, sidebar: list[Gizmo], full: bool, reporter: _Reporter
) -> int:
    """Look up the projects and custom GPTs the stored conversations carry that the sidebar did not name (each
    once: again only on a full sync) and keep what the backend says, a 404 as deleted; returns how many it named.
    A failure is raised after keeping the answers before it (the next sync asks for the rest)."""
    known = store.archive.gizmos()
    in_sidebar = {g.id for g in sidebar}
    wanted = sorted(
        pid
        for pid in store.archive.project_ids() - in_sidebar
        if full or pid not in known or not (known[pid].name or known[pid].deleted)
    )
    found: list[Gizmo] = []
    error: BackendError | None = None
    if wanted:
        await reporter(f"looking up the names the sidebar does not give ({len(wanted)})")
    for pid in wanted:
        try:
            found.append(await client.gizmo(pid))
        except BackendNotFound:
            found.append(Gizmo(id=pid, kind=gizmo_kind(pid), deleted=True))
        except BackendError as exc:
            error = exc
            break
    if found:
        now = time.time()
        await _step(store, lambda write: write.archive.put_gizmos(found, now))
    if error is not None:
        raise error
    return sum(1 for g in found if g.name)


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
            body = await client.conversation(cid)
            await _add_textdocs(client, cid, body)
            bodies[cid] = body
        except BackendNotFound:
            missing.append(cid)
        except BackendError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        for cid in ids:
            group.start_soon(one, cid)
    return {cid: bodies[cid] for cid in ids if cid in bodies}, missing, errors[0] if errors else None


async def _add_textdocs(client: BackendClient, cid: str, body: dict[str, Any]) -> None:
    """Put ChatGPT's current text of the conversation's canvases in ``body`` (for the normalizer), with the history
    of each document whose rebuild from the calls does not end where ChatGPT's text is (an edit made in the
    canvas): one request per conversation with a canvas, one more per document that needs it. An endpoint that
    does not know the conversation or refuses the request leaves the rebuild as it is."""
    if not mentions_canvas(body):
        return
    try:
        docs = await client.textdocs(cid)
        rebuilt = {
            m.canvas.textdoc_id: m.canvas
            for m in normalize_conversation(body, "api").transcript()
            if m.canvas is not None and m.canvas.textdoc_id
        }
        for doc in docs:
            mine, version = rebuilt.get(str(doc.get("id"))), doc.get("version")
            if not isinstance(version, int) or version < 2:
                continue
            if mine is None or (mine.version, mine.versions[-1].text) != (version, doc.get("content")):
                doc["previous_doc_states"] = await client.textdoc_history(str(doc["id"]), version)
    except (BackendNotFound, RequestRejected) as exc:
        log.info("no canvas text from ChatGPT for %s: %s", cid, exc)
        return
    body[TEXTDOCS_KEY] = docs


def _store_chunk(store: HistoryStore, bodies: list[dict[str, Any]], done: list[str]) -> None:
    """One atomic step: the chunk's conversations into archive and index, and ``done`` out of the queue."""
    write_conversations(store, bodies, "api", lambda write: write.archive.dequeue(done))


# -- files -----------------------------------------------------------------------------------------------


class _Downloads:
    """The files one chunk downloaded into the staging folder, as the :class:`Attacher` finds them."""

    origin = "sync"

    def __init__(self, blobs: Blobs, downloaded: dict[str, DownloadedFile]) -> None:
        self._blobs = blobs
        self._downloaded = downloaded

    def carried(self, file_id: str) -> Carried | None:
        got = self._downloaded.get(file_id)
        if got is None or not got.path.exists():  # kept already, or dropped as over the bound
            return None
        return Carried(name=got.file_name, size=got.size, staged=self._blobs.adopt(got.path, got.sha256, got.size))


async def _sync_files(
    store: HistoryStore, client: BackendClient, full: bool, report: SyncReport, reporter: _Reporter
) -> None:
    """Download the wanted files, committing each chunk (see the module's step 6). A failure is raised after the
    chunk it struck is kept; the files not downloaded stay wanted for the next sync."""
    report.files_downloaded = 0
    if full or store.archive.sync_value(FILES_LISTED) is None:
        await reporter("looking for the files the stored conversations name")
        missing = await anyio.to_thread.run_sync(_missing_files, store)
        await _step(store, partial(_want_files, store, missing))
    wanted = store.archive.wanted_files()
    if not wanted:
        return
    store.blobs.staging.mkdir(parents=True, exist_ok=True)
    reporter.done, reporter.total = 0, len(wanted)
    await reporter(f"downloading {len(wanted):,} files")
    for start in range(0, len(wanted), FILES_CHUNK):
        chunk = wanted[start : start + FILES_CHUNK]
        room = store.files_room()
        if room is not None and room <= 0:  # the store is full: nothing more is asked for
            report.files_skipped += len(wanted) - start
            break
        downloaded, gone, too_large, error = await _download(client, store.blobs.staging, chunk, room)
        try:
            counts = await _step(store, partial(_store_files, store, chunk, downloaded, gone))
        finally:
            for got in downloaded.values():  # kept ones were moved into place; the rest go
                got.path.unlink(missing_ok=True)
        kept = store.archive.files(downloaded)
        report.files_downloaded += len(kept)
        report.files_bytes += sum(f.size for f in kept.values())
        report.files_gone += len(gone)
        report.files_skipped += too_large + counts.files_over_limit
        if error is not None:
            raise error
        reporter.done = min(start + FILES_CHUNK, len(wanted))
        await reporter(f"downloaded {report.files_downloaded:,} of {len(wanted):,} files")


async def _download(
    client: BackendClient, into: Path, files: list[WantedFile], room: int | None
) -> tuple[dict[str, DownloadedFile], dict[str, str], int, BackendError | None]:
    """The downloads of ``files`` (each at most ``room`` bytes) by id, the ids ChatGPT no longer has (with why),
    how many were over ``room``, and the first failure if any (the downloads before it are returned, to be kept)."""
    downloaded: dict[str, DownloadedFile] = {}
    gone: dict[str, str] = {}
    too_large = 0
    errors: list[BackendError] = []

    async def one(file: WantedFile) -> None:
        nonlocal too_large
        if errors:
            return
        try:
            downloaded[file.file_id] = await client.download_file(
                file.file_id, into, conversation_id=file.conversation_ids[0], max_bytes=room
            )
        except FileGone as exc:
            gone[file.file_id] = str(exc)
        except FileTooLarge:
            too_large += 1
        except BackendError as exc:
            errors.append(exc)

    try:
        async with anyio.create_task_group() as group:
            for file in files:
                group.start_soon(one, file)
    except BaseException:  # a full disk, a cancelled sync: nothing staged is left behind
        for got in downloaded.values():
            got.path.unlink(missing_ok=True)
        raise
    return downloaded, gone, too_large, errors[0] if errors else None


def _missing_files(store: HistoryStore) -> list[tuple[Attachment, str]]:
    """Each file a stored conversation names that the store neither keeps nor knows is gone, with the conversation
    (read outside the write lock: it reads every body)."""
    known = store.archive.files().keys() | store.archive.gone_files().keys()
    return [
        (attachment, conv.id)
        for conv in store.archive.iter_ids(list(store.archive.change_keys()))
        for attachment in conv.attachments()
        if attachment.file_id not in known
    ]


def _want_files(store: HistoryStore, missing: list[tuple[Attachment, str]], write: Write) -> None:
    attacher = Attacher(store, write, None, ImportReport(path="", outcome="imported"))
    for attachment, conversation_id in missing:
        attacher.want(attachment, conversation_id)
    write.archive.set_sync_value(FILES_LISTED, str(time.time()))


def _store_files(
    store: HistoryStore,
    files: list[WantedFile],
    downloaded: dict[str, DownloadedFile],
    gone: dict[str, str],
    write: Write,
) -> ImportReport:
    """One atomic step: the files ChatGPT no longer has marked gone, the downloaded ones kept with the
    conversations that name them re-resolved (and re-indexed: a PDF's text becomes searchable). A download no
    stored conversation names any more is dropped, and so is its wish. Returns the attacher's counts."""
    counts = ImportReport(path="", outcome="imported")
    for file_id, why in gone.items():
        write.archive.mark_gone(file_id, why)
    attacher = Attacher(store, write, _Downloads(store.blobs, downloaded), counts)
    wanting = dict.fromkeys(cid for f in files if f.file_id in downloaded for cid in f.conversation_ids)
    named = attacher.reattach(wanting)
    for file_id in downloaded.keys() - named:
        write.archive.unwant_file(file_id)
    return counts
