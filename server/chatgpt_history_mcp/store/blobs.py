"""The files of the history (uploads, generated images, voice clips) on disk, kept once by their content.

A file is stored under the SHA-256 of its bytes (``files/ab/abcd…``): the same picture in two conversations, or
in the next month's export, is one file, and a re-import copies nothing it already has. Bytes arrive through
:meth:`Blobs.stage` (streamed, hashed as they go: memory stays flat whatever the size) into ``files/.staging``,
then :meth:`Blobs.keep` moves them into place by a rename. Which file id names which content is the archive's
``files`` table, written in the same transaction as the conversations (:mod:`.writing`): a write that fails
removes what it placed, and :meth:`Blobs.sweep` removes what a killed process left. A write marks the folder
(:data:`PLACING`) before it places a first file and clears the mark once it committed or removed them: only a
mark left behind says a file no row names may be there, so the folder is walked then, not at every import.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from chatgpt_history_mcp.errors import FileTooLarge

#: Bytes read at a time while a file is copied in.
CHUNK = 1 << 20
#: Seconds after which a staged file nobody kept is a leftover.
STAGING_AGE = 6 * 3600.0
#: The first bytes of a file, kept while staging it: what its type is sniffed from.
HEAD_BYTES = 4096
#: The mark of a write placing files (see the module's docstring).
PLACING = ".placing"


@dataclass(frozen=True)
class Staged:
    """Bytes waiting in the staging folder to be kept: where, their SHA-256, size and first bytes."""

    path: Path
    sha256: str
    size: int
    head: bytes


class Blobs:
    """The content-addressed folder of files (``<data dir>/files``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.staging = root / ".staging"
        self._placing = root / PLACING

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def stage(self, read: Callable[[], IO[bytes]], file_id: str, max_bytes: int | None = None) -> Staged:
        """Copy a stream into the staging folder, hashing it; raises :class:`FileTooLarge` past ``max_bytes``
        (nothing is left behind) and whatever reading raises."""
        self.staging.mkdir(parents=True, exist_ok=True)
        target = self.staging / uuid.uuid4().hex
        digest = hashlib.sha256()
        size = 0
        head = b""
        try:
            with read() as source, target.open("wb") as out:
                while block := source.read(CHUNK):
                    size += len(block)
                    if max_bytes is not None and size > max_bytes:
                        raise FileTooLarge(
                            f"the file {file_id} is larger than the {max_bytes:,} bytes left for files",
                            file_id=file_id,
                            limit=max_bytes,
                        )
                    if len(head) < HEAD_BYTES:
                        head += block[: HEAD_BYTES - len(head)]
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return Staged(target, digest.hexdigest(), size, head)

    def adopt(self, path: Path, sha256: str, size: int) -> Staged:
        """Bytes already written into the staging folder by someone else (a download), to be kept."""
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
        return Staged(path, sha256, size, head)

    def keep(self, staged: Staged) -> bool:
        """Move staged bytes to their place; False (and the staged copy dropped) when the content is there."""
        target = self.path(staged.sha256)
        if target.is_file():
            staged.path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, target)
        _sync_folder(target.parent)
        return True

    def remove(self, hashes: Iterable[str]) -> None:
        for sha256 in hashes:
            self.path(sha256).unlink(missing_ok=True)

    def mark_placing(self) -> bool:
        """Say that a write is about to place files (on disk before the first is: a power cut keeps it too).
        False when a killed write's mark is there already: that one stays, for the next sweep."""
        if self._placing.exists():
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        self._placing.touch()
        _sync_folder(self.root)
        return True

    def clear_placing(self) -> None:
        """The write that marked the folder committed its files, or removed them (a mark that stays costs the next
        import a walk of the folder, nothing more)."""
        with contextlib.suppress(OSError):
            self._placing.unlink(missing_ok=True)

    def sweep(self, referenced: Callable[[], Iterable[str]]) -> int:
        """Delete staging leftovers older than :data:`STAGING_AGE` (younger ones may be a running sync's
        downloads) and, when a write placing files was killed (its mark is left), the files no row names
        (``referenced()``: the contents rows name, read only then); returns how many. The caller holds the write
        lock (no write is placing files)."""
        removed = 0
        if self.staging.is_dir():
            for leftover in self.staging.iterdir():
                with contextlib.suppress(FileNotFoundError):
                    if time.time() - leftover.stat().st_mtime > STAGING_AGE:
                        leftover.unlink(missing_ok=True)
                        removed += 1
        if not self._placing.exists():
            return removed
        named = set(referenced())
        for folder in self.root.iterdir():
            if folder.name.startswith(".") or not folder.is_dir():
                continue
            for blob in folder.iterdir():
                if blob.name not in named:
                    blob.unlink(missing_ok=True)
                    removed += 1
        self.clear_placing()
        return removed


def _sync_folder(folder: Path) -> None:
    """Put a folder's entries on disk: a rename or a new file in it survives a power cut once this returns."""
    with contextlib.suppress(OSError):  # not every system can open a folder (Windows)
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
