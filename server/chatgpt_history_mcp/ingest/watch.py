"""Export folders: a folder in ``CHATGPT_HISTORY_EXPORTS`` (the Downloads folder, say) where ChatGPT export
ZIPs appear. A ZIP there is told from other ZIPs by what it holds (a ``conversations.json`` or
``conversations-NNN.json``), not by its name, and only once it has stopped growing; each is handed out once.
An export in parts (``…-part-0001.zip`` …) is handed out once for all its parts (as its first part there), when
every part there is whole and has stopped growing and none is still downloading; a new part judges it again.

Polling with ``os.scandir`` (stdlib, every platform): a look costs one ``stat`` per file, and a file is opened
only when it is new or has changed since the last look.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from chatgpt_history_mcp.errors import ExportError
from chatgpt_history_mcp.export import parts
from chatgpt_history_mcp.export.reader import Export, holds_conversations, is_export_zip

log = logging.getLogger(__name__)

#: Seconds a file must have been left alone before it is opened: a download or copy still writing it
#: changes its modification time.
SETTLE = 2.0


def split_exports(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """The configured entries as (exports, watched folders): a folder that is not an unpacked export (no
    conversations file in it or directly below) is a folder to watch."""
    exports: list[Path] = []
    folders: list[Path] = []
    for path in paths:
        (folders if path.is_dir() and not holds_conversations(path) else exports).append(path)
    return exports, folders


class FolderWatch:
    """Finds the new export ZIPs in some folders, one look at a time."""

    def __init__(self, folders: list[Path], clock: Callable[[], float] = time.time) -> None:
        self.folders = folders
        self._clock = clock
        #: What each file (or each part of a split export, under its first part) looked like when it was last
        #: judged: unchanged, it is not opened again.
        self._judged: dict[Path, tuple[tuple[str, int, int], ...]] = {}

    def new_exports(self, imported: Callable[[Export], bool]) -> list[Path]:
        """ZIPs that are whole ChatGPT exports, not yet ``imported``, and new or changed since the last look."""
        found: list[Path] = []
        now = self._clock()
        for folder in self.folders:
            try:
                entries = list(os.scandir(folder))
            except OSError as exc:  # gone, unmounted, no permission: look again next time
                log.debug("cannot look into %s: %s", folder, exc)
                continue
            for path, looks in _candidates(entries):
                key = tuple((name, size, mtime_ns) for name, size, mtime_ns, _ in looks)
                if self._judged.get(path) == key or any(now - mtime < SETTLE for *_, mtime in looks):
                    continue  # judged as it is, or still being written: look again next time
                self._judged[path] = key
                if self._is_new_export(path, imported):
                    found.append(path)
        return found

    @staticmethod
    def _is_new_export(path: Path, imported: Callable[[Export], bool]) -> bool:
        if not is_export_zip(path):
            return False
        try:
            with Export(path) as export:
                return not imported(export)
        except ExportError:
            return True  # an export that will not open: importing it reports why, in history_status

    def retry(self, path: Path) -> None:
        """Judge ``path`` again at the next look (it could not be imported yet: the store was busy)."""
        self._judged.pop(path, None)


#: A file as a look saw it: name, size, modification time (ns, to tell changes; s, to tell settling).
_Look = tuple[str, int, int, float]


def _candidates(entries: list[os.DirEntry[str]]) -> list[tuple[Path, list[_Look]]]:
    """The exports a folder may hold, each with the files it is made of: a file alone, or the parts of a split
    export (those still downloading too) under its lowest-numbered part."""
    singles: list[tuple[Path, list[_Look]]] = []
    split: dict[tuple[Path, str], list[tuple[Path, _Look]]] = {}
    for entry in entries:
        path = Path(entry.path)
        try:
            if not entry.is_file():
                continue
            info = entry.stat()
        except OSError:
            continue
        look = (entry.name, info.st_size, info.st_mtime_ns, info.st_mtime)
        group = parts.set_of(path)
        if group is None:
            singles.append((path, [look]))
        else:
            split.setdefault(group, []).append((path, look))
    for members in split.values():
        members.sort(key=lambda m: m[1][0])
        whole = [p for p, _ in members if parts.part_number(p) is not None]
        first = min(whole, key=lambda p: parts.part_number(p) or 0) if whole else members[0][0]
        singles.append((first, [look for _, look in members]))
    return singles
