"""The store's one write path: every change to the history (an import, a sync chunk, a sent turn, a rebuild of
the index) goes through :meth:`HistoryStore.write <chatgpt_history_mcp.store.history.HistoryStore.write>`.

A write is an archive transaction and an index batch that land together or not at all, a full disk included:
the index writes its segments inside the archive transaction (a full disk there rolls both back), then the
archive commits while :data:`TOC_RESERVE` bytes are held back on the index's disk, and the index publishes its
table of contents into that space. Each stored conversation waits in the archive's ``pending_index`` queue until
the index holds it, so a process killed between the two commits is repaired by :func:`reindex_pending`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from chatgpt_history_mcp.model import Conversation
from chatgpt_history_mcp.results import Reindexing
from chatgpt_history_mcp.search.index import IndexBatch
from chatgpt_history_mcp.search.searchable import index_document
from chatgpt_history_mcp.store.archive import ArchiveWriter, StoredFile
from chatgpt_history_mcp.store.blobs import Staged
from chatgpt_history_mcp.store.faults import storage_errors

if TYPE_CHECKING:
    from chatgpt_history_mcp.store.history import HistoryStore

log = logging.getLogger(__name__)

#: Once a write holds this many conversations, the rest are indexed by worker processes (starting them costs
#: about a second: small writes stay in process).
PARALLEL_AFTER = 400
#: Conversations re-indexed per commit when the index is rebuilt from the archive.
REINDEX_CHUNK = 2_500
#: Bytes held back on the index's disk while the archive commits, freed for the table of contents the index
#: publishes right after (a few kilobytes): a disk that fills up then cannot leave the two apart.
TOC_RESERVE = 1024 * 1024


class Write:
    """One open write. :meth:`put` stores a conversation in both halves; :attr:`archive` takes what only the
    archive keeps (where an import came from, the sync queue and state, memories), in the same transaction."""

    def __init__(self, store: HistoryStore, archive: ArchiveWriter, parallel_after: int | None) -> None:
        self.archive = archive
        self._store = store
        self._parallel_after = parallel_after
        self._batch: IndexBatch | None = None
        #: Ids in this batch, and those put again: the batch cannot replace its own uncommitted document, so
        #: they stay queued and are indexed from the archive (which holds the last copy) once it has committed.
        self.indexed: dict[str, None] = {}
        self.again: set[str] = set()
        #: Contents this write placed in the files folder (none was there before): removed if it fails.
        self.placed: list[str] = []
        #: Whether this write marked the files folder as being placed into, its mark to clear once it is done
        #: (:meth:`Blobs.mark_placing`; False: a killed write's mark was there, None: nothing kept yet).
        self.marked: bool | None = None

    def keep_file(self, staged: Staged, stored: StoredFile, text: str | None) -> bool:
        """Keep a staged file as ``stored`` says (its bytes once, by content) with the text read from it; True when
        its content is new to the files folder (it takes room under the files bound)."""
        if self.marked is None:
            self.marked = self._store.blobs.mark_placing()
        placed = self._store.blobs.keep(staged)
        if placed:
            self.placed.append(staged.sha256)
        self.archive.put_file(stored, text)
        return placed

    def put(self, conv: Conversation, change_key: str | None, *, new: bool = False) -> None:
        """Store ``conv`` (the last copy put wins); ``new`` says the index cannot hold it yet (faster)."""
        self.archive.put(conv, change_key)
        if conv.id in self.indexed:
            self.again.add(conv.id)
            return
        if self._batch is None:
            self._batch = self._store.index.writer(parallel_after=self._parallel_after)
        self._batch.put(index_document(conv), replace=not new)
        self.indexed[conv.id] = None

    def _prepare(self) -> None:
        if self._batch is not None:
            self._batch.prepare()

    def _cancel(self) -> None:
        if self._batch is not None:
            self._batch.cancel()

    def _publish(self) -> bool:
        if self._batch is None:
            return True
        try:
            self._batch.publish()
        except (OSError, sqlite3.Error) as exc:  # the archive holds the write: the index catches up from its queue
            log.warning(
                "the search index could not take this write (%s); the archive holds it, and the index catches up "
                "on the next start, search or import",
                exc,
            )
            return False
        return True


@contextmanager
def write(store: HistoryStore, parallel_after: int | None = None) -> Iterator[Write]:
    """See :meth:`HistoryStore.write`."""
    reserve = store.index.path / ".space-reserve"  # Whoosh ignores dot files
    handle: Write | None = None
    with storage_errors(store.data_dir):
        try:
            with store.archive.transaction() as archive_writer:
                handle = Write(store, archive_writer, parallel_after)
                yield handle
                handle._prepare()
                _hold_space(reserve, TOC_RESERVE)
        except BaseException:  # the archive rolled back (its commit may be what failed): so does the index
            if handle is not None:
                handle._cancel()
                store.blobs.remove(handle.placed)  # no row names them now
                if handle.marked:
                    store.blobs.clear_placing()
            raise
        finally:
            reserve.unlink(missing_ok=True)
    if handle.marked:
        store.blobs.clear_placing()
    if not handle._publish():
        return
    _forget_pending(store, [cid for cid in handle.indexed if cid not in handle.again])
    if handle.again:
        try:
            reindex_pending(store)
        except Exception as exc:  # the write is in: the index catches up on the next start, search or import
            log.warning("the index could not catch up yet (%s); it does on the next start, search or import", exc)


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
    if not ids:
        return
    try:
        store.archive.clear_pending(ids)
    except (OSError, sqlite3.Error) as exc:
        log.warning("could not empty the index queue (%s); it is emptied by the next write", exc)


def reindex_pending(store: HistoryStore) -> int:
    """Index what the archive holds but the index may not (a crash between the two commits, a rebuild, a
    conversation put twice in one write).

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
