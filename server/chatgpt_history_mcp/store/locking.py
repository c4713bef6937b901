"""A process-wide lock so only one import or sync writes the store at a time, across processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from types import TracebackType


class StoreBusy(RuntimeError):
    """Another process (or thread) is writing the store."""


class WriteLock:
    """A non-blocking exclusive lock on a file; released when the holder exits, even by a crash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, or raise :class:`StoreBusy`; ``wait`` seconds of retrying first if given."""
        deadline = time.monotonic() + wait
        while True:
            try:
                return self._try()
            except StoreBusy:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)

    def _try(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StoreBusy("another import or sync is writing this history store; try again when it ends") from exc
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
