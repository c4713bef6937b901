"""Import exports into the store: all or nothing, and incremental.

- The archive write is one SQLite transaction: a corrupt or truncated export rolls back entirely and the
  store stays exactly as it was. The index segments are written inside it, so a full disk rolls both back;
  after the archive commits, the index publishes them (one small file, for which space was held back), and
  the ``pending_index`` queue repairs the index if the process dies in between.
- A file holding no conversation at all (a JSON array of strings, another app's data) is refused; an export
  most of whose entries are unreadable imports what it can and says so in its report.
- The same export again is recognized by its fingerprint and costs almost nothing. A newer export repeats
  most conversations byte for byte: the digest of each conversation's bytes is kept in its change key, and
  the reader passes over the ones it knows unparsed (most of what a re-import used to cost). A conversation
  whose bytes changed is normalized and compared with the stored copy: rewritten and re-indexed only when
  what is stored changes (a new turn, an edit that kept ``update_time``, a title), never replaced by an older
  copy (the newest wins, whatever the source); bytes that changed without changing it (a field the export
  added, another layout) only renew its key.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from chatgpt_history_mcp.model import Source
from chatgpt_history_mcp.sources.content import valid_text
from chatgpt_history_mcp.sources.elements import KNOWN, ElementKey, KnownElements
from chatgpt_history_mcp.sources.export import EntryShapes, Export, ExportError
from chatgpt_history_mcp.sources.normalize import (
    NORMALIZER_VERSION,
    InvalidConversation,
    conversation_id,
    normalize_conversation,
)
from chatgpt_history_mcp.store.archive import ArchiveWriter
from chatgpt_history_mcp.store.errors import StoreError
from chatgpt_history_mcp.store.faults import storage_errors
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.index import IndexBatch
from chatgpt_history_mcp.store.locking import StoreBusy
from chatgpt_history_mcp.store.results import Reindexing
from chatgpt_history_mcp.store.searchable import index_document

log = logging.getLogger(__name__)

#: Once an import has this many new or changed conversations, the rest are indexed by worker processes
#: (starting them costs about a second; small updates stay in process).
PARALLEL_AFTER = 400
#: Conversations re-indexed per commit when the index is rebuilt from the archive.
REINDEX_CHUNK = 2_500
#: Bytes held back on the index's disk while the archive commits, freed for the table of contents the index
#: publishes right after (a few kilobytes): a disk that fills up then cannot leave the two apart.
TOC_RESERVE = 1024 * 1024


class ImportReport(BaseModel):
    path: str
    outcome: Literal["imported", "unchanged"]
    conversations: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    invalid: int = 0
    seconds: float = 0.0
    #: Set when most entries were unreadable: what was imported is likely not the whole history.
    warning: str | None = None

    def summary(self) -> str:
        if self.outcome == "unchanged":
            return f"{self.path}: already imported, nothing changed ({self.seconds:.2f}s)"
        return f"{self.path}: {self.conversations} conversations: {self.counts()} ({self.seconds:.1f}s)"

    def counts(self) -> str:
        parts = [f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged"]
        if self.older:
            parts.append(f"{self.older} kept (stored copy is newer)")
        if self.invalid:
            parts.append(f"{self.invalid} skipped (unreadable)")
        return ", ".join(parts)

    def check_readable(self) -> None:
        """Set :attr:`warning` when more than half of the entries could not be read."""
        if self.invalid * 2 > self.conversations:
            self.warning = (
                f"{self.invalid:,} of {self.conversations:,} entries could not be read as conversations and were "
                "skipped: this export looks damaged or is not the ChatGPT export; download it again "
                "(Settings → Data controls → Export)"
            )


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


def change_key(raw: Mapping[str, Any]) -> str:
    """Cheap identity of a raw conversation: what changes whenever its content does."""
    mapping = raw.get("mapping")
    nodes = len(mapping) if isinstance(mapping, Mapping) else 0
    return valid_text(  # stored beside the conversation: no lone surrogate from a raw title
        "|".join(
            str(x)
            for x in (
                NORMALIZER_VERSION,
                raw.get("update_time"),
                nodes,
                raw.get("current_node"),
                raw.get("title"),
                raw.get("is_archived"),
                raw.get("gizmo_id"),
            )
        )
    )


#: Starts a change key that holds the digest of the export bytes the stored copy was last found equal to.
_BYTES = "bytes:"


def _stored_key(element: ElementKey | None, field_key: str) -> str:
    """The change key stored: the field key (what a sync compares), after the element's digest if there is one."""
    return field_key if element is None else f"{_BYTES}{element.text()}#{field_key}"


def _split_key(stored: str | None) -> tuple[ElementKey | None, str | None]:
    """(element digest, field key) of a stored change key; the digest only if the normalizer in use made it."""
    if stored is None or not stored.startswith(_BYTES):
        return None, stored
    element, _, field_key = stored[len(_BYTES) :].partition("#")
    if not field_key.startswith(f"{NORMALIZER_VERSION}|"):
        return None, field_key
    return ElementKey.parse(element), field_key


def _fingerprint_key(fingerprint: str) -> str:
    return f"{NORMALIZER_VERSION}:{fingerprint}"


class Writer:
    """Applies raw conversations to an open archive transaction and index batch."""

    def __init__(self, store: HistoryStore, archive_writer: Any, batch: Any, source: Source) -> None:
        self.keys = store.archive.change_keys()
        self.archive_writer = archive_writer
        self.batch = batch
        self.source: Source = source
        self.report = ImportReport(path="", outcome="imported")
        self.written: list[str] = []
        #: Ids met twice in this import: the index batch cannot replace its own uncommitted documents,
        #: so these are indexed again from the archive once the batch has committed.
        self.repeated: set[str] = set()
        self._in_batch: set[str] = set()

    def known_elements(self) -> KnownElements:
        """The export elements the archive holds as they are: what the reader may pass over."""
        return KnownElements(e for key, _ in self.keys.values() if (e := _split_key(key)[0]) is not None)

    def apply(self, raw: Any, element: ElementKey | None = None) -> None:
        """One raw conversation; ``element``: the key of its bytes in an export (:data:`KNOWN` as ``raw``: an
        element the reader passed over because the archive holds it as it is)."""
        report = self.report
        report.conversations += 1
        if raw is KNOWN:
            report.unchanged += 1
            return
        if not isinstance(raw, Mapping):
            report.invalid += 1
            return
        cid = conversation_id(raw)  # as normalizing finds it: an `id` of the wrong type must not hide the stored copy
        field_key = change_key(raw)
        key = _stored_key(element, field_key)
        known = self.keys.get(cid) if cid is not None else None
        if known is not None:
            stored_element, stored_field_key = _split_key(known[0])
            if element is None and stored_field_key == field_key:  # a sync: the cheap key decides
                report.unchanged += 1
                return
            if element is not None and stored_element == element:  # the same bytes, met again in this export
                report.unchanged += 1
                return
        try:
            conv = normalize_conversation(raw, self.source)
        except InvalidConversation as exc:
            log.warning("skipping conversation #%d: %s", report.conversations, exc)
            report.invalid += 1
            return
        stamp = conv.update_time.timestamp() if conv.update_time else None
        if known is not None and known[1] is not None and stamp is not None and stamp < known[1]:
            report.older += 1
            return
        if known is not None and element is not None and stamp == known[1] and self.archive_writer.holds(conv):
            # Other bytes, the same conversation (a field the normalizer ignores, another layout): the key is
            # renewed, so the next export passes over it unparsed. (Another update_time is another body.)
            self.archive_writer.set_change_key(conv.id, key)
            self.keys[conv.id] = (key, known[1])
            report.unchanged += 1
            return
        self.archive_writer.put(conv, key)
        self.keys[conv.id] = (key, stamp)
        if conv.id in self._in_batch:
            self.repeated.add(conv.id)
            return
        self.batch.put(index_document(conv), replace=known is not None)
        self._in_batch.add(conv.id)
        self.written.append(conv.id)
        if known is None:
            report.added += 1
        else:
            report.updated += 1


@contextmanager
def _write_together(
    store: HistoryStore, parallel_after: int | None = None
) -> Iterator[tuple[ArchiveWriter, IndexBatch, list[str]]]:
    """An archive transaction and an index batch that land together or not at all, also when the disk fills up.

    The index writes its segments inside the archive transaction: a full disk there rolls both back. Then the
    archive commits while :data:`TOC_RESERVE` bytes are held back on the index's disk, and the index publishes
    into that space; the ids the block adds to the yielded list leave the index queue then. A block that gives
    the index nothing leaves it as it is. A full disk, a read-only folder or a refused permission before the
    archive commits is a :class:`StoreError`."""
    reserve = store.index.path / ".space-reserve"  # Whoosh ignores dot files
    indexed: list[str] = []
    with storage_errors(store.data_dir):
        batch = store.index.writer(parallel_after=parallel_after)
        try:
            with store.archive.transaction() as archive_writer:
                yield archive_writer, batch, indexed
                if batch.count:
                    batch.prepare()
                    _hold_space(reserve, TOC_RESERVE)
        except BaseException:
            batch.cancel()
            raise
        finally:
            reserve.unlink(missing_ok=True)
    if not batch.count:  # nothing changed for search: no new generation of the index, no merge
        batch.cancel()
        return
    try:
        batch.publish()
    except (OSError, sqlite3.Error) as exc:  # the archive holds the write: the index catches up from its queue
        log.warning(
            "the search index could not take this write (%s); the archive holds it, and the index catches up on "
            "the next start, search or import",
            exc,
        )
        return
    _forget_pending(store, indexed)


def _hold_space(path: Path, size: int) -> None:
    """Take ``size`` bytes of the disk (really allocated, not a sparse file), or raise ENOSPC now."""
    with path.open("wb") as f:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(f.fileno(), 0, size)
        else:  # macOS, Windows: written out
            f.write(bytes(size))
            f.flush()
            os.fsync(f.fileno())


def _forget_pending(store: HistoryStore, ids: list[str]) -> None:
    """Empty the index queue of what the index now holds. It runs after the write is complete: failing here
    (a full disk) must not report the write as undone; the next write re-indexes them, which is harmless."""
    try:
        store.archive.clear_pending(ids)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not empty the index queue (%s); it is emptied by the next write", exc)


def write_conversations(
    store: HistoryStore,
    bodies: list[dict[str, Any]],
    source: Source,
    also: Callable[[Any], None] | None = None,
) -> Writer:
    """One atomic step outside an import (a sync chunk, a sent turn): raw conversations into the archive (with
    ``also(archive_writer)`` in the same transaction), and the index. The caller holds the write lock."""
    with _write_together(store) as (archive_writer, batch, indexed):
        writer = Writer(store, archive_writer, batch, source)
        for body in bodies:
            writer.apply(body)
        if also is not None:
            also(archive_writer)
        indexed.extend(writer.written)
    return writer


def already_imported(store: HistoryStore, export: Export) -> bool:
    """Whether this export's content (under any name) was imported, by the normalizer in use."""
    return _imported(store, _fingerprint_key(export.fingerprint()))


def _imported(store: HistoryStore, fingerprint: str) -> bool:
    return any(s.fingerprint == fingerprint and s.outcome == "imported" for s in store.archive.sources())


def import_export(store: HistoryStore, path: str | Path, progress: ProgressFn | None = None) -> ImportReport:
    """Import one export (ZIP, conversations.json or folder). Raises ExportError, StoreBusy, StoreError."""
    started = time.perf_counter()
    resolved = str(Path(path).expanduser().resolve())
    with store.write_lock, Export(path) as export:
        store.write_lock.describe(f"importing {resolved}", force=True)
        fingerprint = _fingerprint_key(export.fingerprint())
        reindex_pending(store)
        if _imported(store, fingerprint):
            return ImportReport(path=resolved, outcome="unchanged", seconds=time.perf_counter() - started)
        total = export.total_bytes
        read = 0

        def on_read(n: int) -> None:
            nonlocal read
            read += n

        shapes = EntryShapes()
        with _write_together(store, parallel_after=PARALLEL_AFTER) as (archive_writer, batch, indexed):
            writer = Writer(store, archive_writer, batch, "export")
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
            report.check_readable()
            detail = report.counts() + (f"; warning: {report.warning}" if report.warning else "")
            archive_writer.record_source(resolved, "export", fingerprint, "imported", detail, report.conversations)
            if progress is not None:
                progress(Progress(resolved, total, total, report.conversations))
            indexed.extend(cid for cid in writer.written if cid not in writer.repeated)
        try:
            reindex_pending(store)  # ids met twice, indexed again from the archive now that the batch is in
        except StoreError as exc:  # the import is in: the index catches up on the next start, search or import
            log.warning(
                "the index could not catch up yet (%s); it does on the next start, search or import", exc.__cause__
            )
    report.seconds = time.perf_counter() - started
    return report


def reindex_pending(store: HistoryStore) -> int:
    """Index what the archive holds but the index may not (a crash between the two commits, a rebuild).

    Committed in chunks of :data:`REINDEX_CHUNK`, progress in ``store.import_state.reindexing``: a whole
    rebuild takes minutes at 30k conversations, and search answers from each chunk as it lands. The caller
    holds the write lock."""
    pending = store.archive.pending()
    if not pending:
        return 0
    log.info("indexing %d conversations left pending", len(pending))
    store.write_lock.describe(f"indexing {len(pending):,} conversations", force=True)
    state = store.import_state
    state.reindexing = Reindexing(total=len(pending), done=0)
    try:
        for start in range(0, len(pending), REINDEX_CHUNK):
            chunk = pending[start : start + REINDEX_CHUNK]
            with storage_errors(store.data_dir):
                batch = store.index.writer(parallel_after=PARALLEL_AFTER if len(chunk) > 2 * PARALLEL_AFTER else None)
                try:
                    for conv in store.archive.iter_ids(chunk):
                        batch.put(index_document(conv), replace=True)
                except BaseException:
                    batch.cancel()
                    raise
                batch.commit()
            _forget_pending(store, chunk)
            state.reindexing = Reindexing(total=len(pending), done=start + len(chunk))
            store.write_lock.describe(f"indexing: {start + len(chunk):,} of {len(pending):,} conversations")
    finally:
        state.reindexing = None
    return len(pending)


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
            reindex_pending(store)
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
