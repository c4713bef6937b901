"""Import exports into the store: all or nothing, and incremental.

- One import is one store write (:meth:`HistoryStore.write`): a corrupt or truncated export, a full disk or a
  killed process leaves the store exactly as it was.
- A file holding no conversation at all (a JSON array of strings, another app's data) is refused; an export
  most of whose entries are unreadable imports what it can and says so in its report.
- The same export again is recognized by its fingerprint and costs almost nothing; a newer export passes over
  the conversations it repeats byte for byte and rewrites only those that changed (:mod:`.conversations`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chatgpt_history_mcp.errors import ExportError, StoreBusy
from chatgpt_history_mcp.export.elements import KNOWN
from chatgpt_history_mcp.export.files import ExportFiles
from chatgpt_history_mcp.export.normalize import NORMALIZER_VERSION
from chatgpt_history_mcp.export.reader import EntryShapes, Export
from chatgpt_history_mcp.ingest.attachments import Carried
from chatgpt_history_mcp.ingest.conversations import Writer
from chatgpt_history_mcp.results import ImportReport
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.writing import PARALLEL_AFTER

log = logging.getLogger(__name__)


@dataclass
class Progress:
    path: str
    bytes_read: int
    total_bytes: int
    conversations: int

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_read / self.total_bytes) if self.total_bytes else 0.0


ProgressFn = Callable[[Progress], None]


class ExportFileSource:
    """The files an export carries, as the attachments of what it imports find them."""

    origin = "export"

    def __init__(self, files: ExportFiles) -> None:
        self._files = files

    def carried(self, file_id: str) -> Carried | None:
        found = self._files.find(file_id)
        if found is None:
            return None
        return Carried(name=found.name, size=found.size, open=found.open)


def _fingerprint_key(store: HistoryStore, fingerprint: str) -> str:
    """What makes an import of the same content the same: the normalizer, and the files bound (an export
    imported under a lower bound left files out, which a raised one takes)."""
    return f"{NORMALIZER_VERSION}:{store.files_limit}:{fingerprint}"


def already_imported(store: HistoryStore, export: Export) -> bool:
    """Whether this export's content (under any name) was imported, by the normalizer in use."""
    return _imported(store, _fingerprint_key(store, export.fingerprint()))


def _imported(store: HistoryStore, fingerprint: str) -> bool:
    return any(s.fingerprint == fingerprint and s.outcome == "imported" for s in store.archive.sources())


def import_export(store: HistoryStore, path: str | Path, progress: ProgressFn | None = None) -> ImportReport:
    """Import one export (ZIP, conversations.json or folder). Raises ExportError, StoreBusy, StoreError."""
    started = time.perf_counter()
    resolved = str(Path(path).expanduser().resolve())
    with store.write_lock, Export(path) as export:
        store.write_lock.describe(f"importing {resolved}", force=True)
        fingerprint = _fingerprint_key(store, export.fingerprint())
        store.repair()
        if _imported(store, fingerprint):
            return ImportReport(path=resolved, outcome="unchanged", seconds=time.perf_counter() - started)
        total = export.total_bytes
        read = 0

        def on_read(n: int) -> None:
            nonlocal read
            read += n

        shapes = EntryShapes()
        with store.write(parallel_after=PARALLEL_AFTER) as write:
            writer = Writer(store, write, "export", ExportFileSource(export.files()))
            report = writer.report
            report.path = resolved
            for element in export.elements(on_read, writer.known_elements()):
                if element.value is KNOWN:
                    shapes.add_known()
                else:
                    shapes.add(element.value)
                writer.apply(element.value, element.key)
                if report.conversations % 25 == 0:
                    now = Progress(resolved, read, total, report.conversations)
                    store.write_lock.describe(f"importing {resolved}: {now.fraction:.0%}, {now.conversations:,} read")
                    if progress is not None:
                        progress(now)
            if shapes.entries and not shapes.conversations:
                raise ExportError(
                    f"{export.path}: {shapes.describe()}; point to the ChatGPT data export (the .zip, its "
                    "conversations.json or the unpacked folder)"
                )
            _bring_wanted(store, writer, export)
            report.check_readable()
            detail = report.counts() + (f"; warning: {report.warning}" if report.warning else "")
            write.archive.record_source(resolved, "export", fingerprint, "imported", detail, report.conversations)
            if progress is not None:
                progress(Progress(resolved, total, total, report.conversations))
    report.seconds = time.perf_counter() - started
    return report


def _bring_wanted(store: HistoryStore, writer: Writer, export: Export) -> None:
    """Files the store wanted (an earlier export left them out, a sync has not fetched them) that this export
    carries, brought into the conversations that name them even when those are unchanged (passed over unread):
    the part of a split export that holds the files may come after the others."""
    files = export.files()
    wanted = [w for w in store.archive.wanted_files() if files.find(w.file_id) is not None]
    written = writer.write.indexed  # what this import wrote was resolved against this export already
    writer.attacher.reattach(dict.fromkeys(c for w in wanted for c in w.conversation_ids if c not in written))


def import_all(store: HistoryStore, paths: list[Path], busy: list[Path] | None = None) -> list[ImportReport]:
    """Import each export in turn, recording progress and the last error in ``store.import_state``.

    Meant for a background thread (the server imports configured exports at start while it answers
    from what is already indexed); failures are kept for ``history_status``, never raised. Paths left
    because another process was writing the store are added to ``busy``, to be tried again.
    """
    reports: list[ImportReport] = []
    state = store.import_state
    state.last_error = None
    try:
        with store.write_lock:
            store.reindex_pending()
    except StoreBusy:
        pass  # another process writes: it indexes what is pending itself
    except Exception as exc:  # the index is repaired on the next run; keep serving
        log.exception("could not index pending conversations")
        state.last_error = f"indexing pending conversations failed: {exc}"
    for path in paths:
        state.running, state.path, state.progress, state.conversations_read = True, str(path), 0.0, 0

        def progress(p: Progress) -> None:
            state.progress, state.conversations_read = round(p.fraction, 3), p.conversations

        try:
            report = import_export(store, path, progress)
        except StoreBusy as exc:
            if busy is None:
                log.error("import of %s failed: %s", path, exc)
                state.last_error = f"{path}: {exc}"
            else:
                busy.append(path)
            continue
        except Exception as exc:  # ExportError, … : reported, the store stays as it was
            log.error("import of %s failed: %s", path, exc)
            state.last_error = f"{path}: {exc}" if str(path) not in str(exc) else str(exc)
            continue
        finally:
            state.running, state.progress = False, None
        log.info("%s", report.summary())
        reports.append(report)
    return reports
