"""Keeping a running server's history current by itself.

At start it imports the configured exports and any export ZIP waiting in a watched folder; then it looks into
those folders every ``watch_interval`` for a new one, and, with a ChatGPT session configured, syncs when the
last complete sync is older than ``sync_interval`` and again on that interval. All in one thread, so these
writes never contend with each other; any other writer (a CLI import, a ``sync_history`` call, another server)
makes a round skip and retry soon, never wait, so no tool is ever held up. A failed round (an expired session,
a Cloudflare check) is reported in ``history_status`` and retried later, backing off, never in a tight loop.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio

from chatgpt_history_mcp import account
from chatgpt_history_mcp.chatgpt.credentials import resolve_credentials
from chatgpt_history_mcp.errors import BackendError, StoreBusy
from chatgpt_history_mcp.ingest.exports import already_imported, import_all
from chatgpt_history_mcp.ingest.sync import SyncProgress, report_progress
from chatgpt_history_mcp.ingest.watch import FolderWatch, split_exports
from chatgpt_history_mcp.model import from_epoch
from chatgpt_history_mcp.results import BackgroundSyncState, SyncReport
from chatgpt_history_mcp.settings import ENV_SYNC_INTERVAL, Settings
from chatgpt_history_mcp.store.history import HistoryStore

log = logging.getLogger(__name__)

#: After a round skipped because another process was writing: try again this soon (at most the interval).
BUSY_RETRY = 60.0
#: After a failed round: wait this long, doubling with each failure in a row, up to the interval.
FAILURE_BACKOFF = 15 * 60.0
#: Without a session: look for one (a `login` while the server runs) this often.
SESSION_RECHECK = 60.0
NO_SESSION = "no ChatGPT session configured (CHATGPT_SESSION_TOKEN or `chatgpt-history-mcp login`)"


class Keeper:
    """Imports new exports and syncs on an interval, in the thread that calls :meth:`run`, until :meth:`stop`."""

    def __init__(self, settings: Settings, store: HistoryStore) -> None:
        self.settings = settings
        self.store = store
        self.exports, folders = split_exports(settings.exports)
        self.watch = FolderWatch(folders)
        interval = settings.sync_interval
        self.sync_state = BackgroundSyncState(
            enabled=False,
            interval_seconds=interval,
            reason=None if interval > 0 else f"{ENV_SYNC_INTERVAL} is 0",
        )
        self._stop = threading.Event()
        self._sync_due: float | None = None  # when to look at syncing next (None: never)
        self._failures = 0
        self._plan_first_sync(store)

    def stop(self) -> None:
        self._stop.set()

    async def sync_after_round(self, *, full: bool, progress: SyncProgress) -> SyncReport:
        """A sync asked for while a background round may run: after that round, not against it (the round
        holds the store, so starting at once would only fail as busy)."""
        while True:
            while self.sync_state.running:
                await report_progress(
                    progress, 0, 0, f"waiting for the background sync: {self.sync_state.progress or '…'}"
                )
                await anyio.sleep(0.5)
            try:
                return await account.sync(self.settings, self.store, full=full, progress=progress)
            except StoreBusy:
                if not self.sync_state.running:
                    raise  # another process writes, not this server's round

    def run(self) -> None:
        """Until stopped: the start-up imports, then each folder look and sync round when it is due."""
        store = self.store
        busy: list[Path] = []
        first = [*self.exports, *self.watch.new_exports(lambda export: already_imported(store, export))]
        if first or store.archive.pending():
            import_all(store, first, busy)
        for path in busy:
            self.watch.retry(path)
        next_look = time.time() + self.settings.watch_interval
        while not self._stop.is_set():
            try:
                if self.watch.folders and time.time() >= next_look:
                    self._import_new(store)
                if self._sync_due is not None and time.time() >= self._sync_due:
                    self._sync_when_needed(store)
            except Exception:  # an unreadable folder, a locked archive…: logged, and tried again next time
                log.exception("keeping the history current failed; trying again later")
                if self._sync_due is not None and time.time() >= self._sync_due:
                    self._schedule(time.time() + min(self.settings.sync_interval, BUSY_RETRY))
            if time.time() >= next_look:
                next_look = time.time() + self.settings.watch_interval
            wake = [self._sync_due or float("inf"), next_look if self.watch.folders else float("inf")]
            self._stop.wait(max(0.05, min(wake) - time.time()) if min(wake) != float("inf") else None)

    # -- exports -------------------------------------------------------------------------------------

    def _import_new(self, store: HistoryStore) -> None:
        found = self.watch.new_exports(lambda export: already_imported(store, export))
        if not found:
            return
        busy: list[Path] = []
        for report in import_all(store, found, busy):
            log.info("imported from a watched folder: %s", report.summary())
        for path in busy:
            self.watch.retry(path)

    # -- syncing -------------------------------------------------------------------------------------

    def _plan_first_sync(self, store: HistoryStore) -> None:
        """Due now when the store has never synced completely or not within the interval; else when it will
        be that old."""
        if self.settings.sync_interval <= 0:
            return
        last = store.as_of().last_sync
        self._sync_due = last.timestamp() + self.settings.sync_interval if last else time.time()
        self._check_session()

    def _check_session(self) -> bool:
        configured = resolve_credentials(self.settings).configured
        state = self.sync_state
        state.enabled, state.reason = configured, None if configured else NO_SESSION
        state.next_at = from_epoch(self._sync_due) if configured else None
        return configured

    def _sync_when_needed(self, store: HistoryStore) -> None:
        interval = self.settings.sync_interval
        if not self._check_session():
            self._sync_due = time.time() + min(interval, SESSION_RECHECK)
            return
        last = store.as_of().last_sync
        if last is not None and last.timestamp() + interval > time.time() and self._failures == 0:
            self._schedule(last.timestamp() + interval)  # another process synced meanwhile
            return
        self._sync_round(store)

    def _schedule(self, when: float) -> None:
        self._sync_due = when
        self.sync_state.next_at = from_epoch(when)

    def _sync_round(self, store: HistoryStore) -> None:
        state = self.sync_state
        interval = self.settings.sync_interval
        state.running, state.progress, state.last_started_at = True, "starting", datetime.now(UTC)
        state.next_at = None
        try:
            report = anyio.run(self._sync, store)
        except StoreBusy:
            state.last_outcome = "skipped: another import or sync was writing the store"
            self._schedule(time.time() + min(interval, BUSY_RETRY))
            return
        except BackendError as exc:
            self._failed("failed", str(exc))
            return
        except Exception as exc:  # never let a round take the server down; say what happened
            log.exception("background sync failed")
            self._failed("failed", f"{type(exc).__name__}: {exc}")
            return
        finally:
            state.running, state.progress, state.last_finished_at = False, None, datetime.now(UTC)
        if report is None:
            return  # stopped
        if report.outcome == "complete":
            self._failures = 0
            state.last_outcome, state.last_error = "complete", None
            log.info("background %s", report.summary())
            self._schedule(time.time() + interval)
        else:
            self._failed("incomplete", report.error or "the sync stopped early")

    def _failed(self, outcome: str, error: str) -> None:
        interval = self.settings.sync_interval
        self._failures += 1
        wait = min(interval, FAILURE_BACKOFF * 2 ** (self._failures - 1))
        self.sync_state.last_outcome, self.sync_state.last_error = outcome, error
        log.warning("background sync %s: %s; next try in %.0f s", outcome, error, wait)
        self._schedule(time.time() + wait)

    async def _sync(self, store: HistoryStore) -> SyncReport | None:
        """One sync, cancelled if the server stops meanwhile (what was fetched is kept: chunks commit as they go)."""

        def progress(done: int, total: int, message: str) -> None:
            self.sync_state.progress = message

        outcome: list[SyncReport | Exception] = []
        async with anyio.create_task_group() as group:

            async def sync() -> None:
                try:
                    outcome.append(await account.sync(self.settings, store, progress=progress))
                except Exception as exc:  # raised below, outside the task group (which would wrap it)
                    outcome.append(exc)
                group.cancel_scope.cancel()

            group.start_soon(sync)
            while not self._stop.is_set():
                await anyio.sleep(0.2)
            group.cancel_scope.cancel()
        if not outcome:
            return None
        if isinstance(outcome[0], Exception):
            raise outcome[0]
        return outcome[0]
