"""Process-wide locks (one writer of the store at a time, one sync at a time), across processes; and what the
holder is doing, so ``status`` in any process can say so."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from chatgpt_history_mcp.errors import StoreBusy

#: The holder rewrites its activity at most this often (a progress callback may fire hundreds of times a second).
DESCRIBE_EVERY = 0.5


@dataclass(frozen=True)
class Activity:
    """What the process holding the write lock does."""

    pid: int | None
    activity: str
    since: float | None


class WriteLock:
    """A non-blocking exclusive lock on a file; released when the holder exits, even by a crash."""

    def __init__(self, path: Path, busy: str = "another import or sync is writing this history store") -> None:
        self.path = path
        self._busy = busy
        #: Beside the lock, not in it: a reader must never need the lock (trying it could make a writer fail).
        self.activity_path = path.with_name(path.name + ".activity")
        self._fd: int | None = None
        self._since = 0.0
        self._described = 0.0

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
            raise StoreBusy(f"{self._busy}; try again when it ends") from exc
        self._fd = fd
        self._since = time.time()
        self.describe("writing", force=True)

    def describe(self, activity: str, *, force: bool = False) -> None:
        """Say what this holder is doing (for ``status`` anywhere); nothing when it does not hold the lock. A
        status line is never worth failing a write for: a file that cannot be written is left as it is."""
        now = time.time()
        if self._fd is None or (not force and now - self._described < DESCRIBE_EVERY):
            return
        self._described = now
        record = {"pid": os.getpid(), "activity": activity, "since": self._since}
        temporary = self.activity_path.with_name(f"{self.activity_path.name}.{os.getpid()}")
        with contextlib.suppress(OSError):
            temporary.write_text(json.dumps(record), encoding="utf-8")
            os.replace(temporary, self.activity_path)

    def holder(self) -> Activity | None:
        """What the writer of the store does now, in this process or another; None when nothing writes.
        Read from the activity file, never by trying the lock; a file left by a writer that died is ignored."""
        try:
            record = json.loads(self.activity_path.read_text(encoding="utf-8"))
            pid, activity, since = int(record["pid"]), str(record["activity"]), float(record["since"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return Activity(pid, activity, since) if _alive(pid) else None

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.activity_path.unlink()
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


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (POSIX: signal 0 tests without sending; on Windows that would end
    the process, so an activity file is trusted there until the next writer replaces or removes it)."""
    if pid == os.getpid() or sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it runs
        return True
    return True
