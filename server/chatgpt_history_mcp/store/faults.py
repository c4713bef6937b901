"""Faults of the machine under the data folder (a full disk, a read-only mount, no permission), turned into
:class:`StoreError` messages that name the folder and say what to do, instead of an ``OSError`` or
``sqlite3`` traceback from somewhere deep in a write."""

from __future__ import annotations

import errno
import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from chatgpt_history_mcp.errors import DataFolderUnusable, MachineFault, NoSpace, StoreError
from chatgpt_history_mcp.store.archive import damaged

_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CORRUPT = 3, 8, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26
_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
_NO_WRITE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
#: Faults that pass: the data folder is fine, the machine refused for a moment.
_PASSING = frozenset({errno.EMFILE, errno.ENFILE, errno.EIO, errno.ENOMEM})


def as_store_error(exc: BaseException, data_dir: Path) -> StoreError | None:
    """The :class:`StoreError` ``exc`` stands for, or None when it is not a fault of the data folder."""
    code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.Error) else None
    primary = code & 0xFF if isinstance(code, int) else None
    if (isinstance(exc, OSError) and exc.errno in _NO_SPACE) or primary == _SQLITE_FULL:
        return NoSpace(
            f"no space left in {data_dir} (its disk is full): what was being written was undone and the history "
            "is as it was before it; free some space (or move the data folder: CHATGPT_HISTORY_DATA_DIR) and run "
            "it again (a sync resumes where it stopped)"
        )
    if (isinstance(exc, OSError) and exc.errno in _NO_WRITE) or primary in (
        _SQLITE_READONLY,
        _SQLITE_PERM,
        _SQLITE_CANTOPEN,
    ):
        return unusable(data_dir, exc)
    if isinstance(exc, OSError) and exc.errno in _PASSING:
        return MachineFault(
            f"the data folder {data_dir} could not be read just now ({exc.strerror or exc}): nothing was changed; "
            + (
                "close some programs or raise the open-files limit (ulimit -n) and try again"
                if exc.errno in (errno.EMFILE, errno.ENFILE)
                else "try again, and check the disk if it happens again"
            )
        )
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return damaged(data_dir / "archive.sqlite3", str(exc))
    return None


def unusable(data_dir: Path, exc: BaseException) -> DataFolderUnusable:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return DataFolderUnusable(
        f"the data folder {data_dir} cannot be written ({reason}): it must be a folder you can write to, "
        "on a disk mounted read-write; fix its permissions or choose another one (--data-dir or "
        "CHATGPT_HISTORY_DATA_DIR)"
    )


@contextmanager
def storage_errors(data_dir: Path) -> Iterator[None]:
    """Raise a full disk, a read-only mount or a permission refused inside the block as a :class:`StoreError`."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        translated = as_store_error(exc, data_dir)
        if translated is None:
            raise
        raise translated from exc


class _InDataDir(Protocol):
    data_dir: Path


P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=_InDataDir)


def translate_faults(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """A method of an object with a ``data_dir`` whose faults of that folder raise as :class:`StoreError`."""

    @functools.wraps(method)
    def guarded(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
        with storage_errors(self.data_dir):
            return method(self, *args, **kwargs)

    return guarded
