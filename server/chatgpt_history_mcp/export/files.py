"""The files an export carries, found by the ids messages name (``chatgpt-files-and-canvas.md`` §1, §1.1).

Exports lay files out differently by era: uploads at the root as ``file-<id>-<original name>``, DALL-E images in
``dalle-generations/``, image_gen pictures in ``user-<id>/``, voice clips in ``<conversation>/audio/``, and since
2026 everything flat as ``<id>.dat`` with ``conversation_asset_file_names.json`` saying what each was called. An id
maps to an entry by, in order: the 2026 name ``<id>.dat``; an entry named exactly the id (with or without an
extension); an entry whose name is the id followed by ``-``, ``_`` or ``.``. Never by a bare substring: the sample's
PDF id starts with its CSV's id, and "starts with the id" alone would give the CSV two files.

Only the ZIP's directory (or the folder's listing) is read to build the catalog, and the small name maps: a file's
bytes are read when a message that names it is imported, one file at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from chatgpt_history_mcp.export.content import as_dict, valid_text

#: The 2026 map of ``.dat`` names to what the files were called (an old-layout path or an original name).
ASSET_NAMES = "conversation_asset_file_names.json"
#: The 2026 list of library files (generated images, documents) with names and types.
LIBRARY_FILES = "library_files.json"
#: Name maps larger than this are not read (they are a few kilobytes per thousand files).
MAX_MAP_BYTES = 64 * 1024**2
# An id as exports spell them: file-<base62> (uploads, older) or file_<hex> (newer); what follows it is the rest
# of the entry's name (the original name after "-", an extension after ".").
_ID_PREFIX = re.compile(r"^(file[-_][A-Za-z0-9]+)(?=[-_.]|$)")
_NOT_FILES = (".json", ".html", ".htm")


@dataclass(frozen=True)
class ExportFile:
    """One file of an export: its entry, its size, what the export says it was called, and how to read it."""

    entry: str
    size: int
    name: str | None
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class Listed:
    """An entry of the export as its listing gives it (before the catalog decides whether it is a file)."""

    path: str
    size: int
    open: Callable[[], IO[bytes]]


class ExportFiles:
    """The catalog: which entry holds the file a message names."""

    def __init__(self, listing: Iterable[Listed], name_map: Callable[[str], Any]) -> None:
        """``name_map``: the export's JSON file of that name, parsed (None when it has none, or a damaged one)."""
        entries = [e for e in listing if not _is_metadata(e.path)]
        self._by_name: dict[str, Listed] = {}
        self._by_prefix: dict[str, Listed] = {}
        self._names: dict[str, str] = {}
        self._library_names: dict[str, str] = {}
        for entry in entries:
            base = PurePosixPath(entry.path).name
            if base.lower().endswith(".dat"):
                self._by_name.setdefault(base[:-4], entry)
            self._by_name.setdefault(base, entry)
            self._by_name.setdefault(base.split(".", 1)[0], entry)
            match = _ID_PREFIX.match(base)
            if match is not None:
                self._by_prefix.setdefault(match.group(1), entry)
                rest = base[match.end() :].lstrip("-_")
                # Generated pictures are named by uuids, not by a person: only an upload's rest is its name.
                folder = PurePosixPath(entry.path).parent.name
                if (
                    rest
                    and not rest.startswith(".")
                    and folder != "dalle-generations"
                    and not folder.startswith("user-")
                ):
                    self._names.setdefault(entry.path, rest)
        self._read_maps(name_map)

    def _read_maps(self, name_map: Callable[[str], Any]) -> None:
        """Names from the 2026 map: ``{"file-X.dat": "Screenshot.png" | "dalle-generations/….webp"}``, given to
        the entry :meth:`find` answers with for that name."""
        for dat, called in as_dict(name_map(ASSET_NAMES)).items():
            entry = self._by_name.get(dat) if isinstance(dat, str) else None
            if entry is None or not isinstance(called, str) or not called.strip():
                continue
            path = PurePosixPath(called.strip())
            generated = "dalle-generations" in path.parts or path.parent.name.startswith("user-")
            if not generated and "audio" not in path.parent.parts:  # those names are ids, not what a person chose
                self._names[entry.path] = valid_text(path.name)
        library = name_map(LIBRARY_FILES)
        for item in library if isinstance(library, list) else ():
            fid = item.get("file_id") if isinstance(item, dict) else None
            if isinstance(fid, str) and isinstance(name := item.get("file_name"), str) and name.strip():
                self._library_names.setdefault(fid, valid_text(name.strip()))

    def find(self, file_id: str) -> ExportFile | None:
        """The entry holding ``file_id`` (a pointer's id), or None: a file the export does not carry is normal."""
        entry = self._by_name.get(file_id) or self._by_prefix.get(file_id)
        if entry is None and file_id.startswith(("file-", "file_")):  # 2026: indexed with and without the prefix
            entry = self._by_name.get(file_id[5:])
        if entry is None:
            return None
        return ExportFile(
            entry=entry.path,
            size=entry.size,
            name=self._names.get(entry.path) or self._library_names.get(file_id) or _base_name(entry.path),
            open=entry.open,
        )


def _base_name(path: str) -> str | None:
    """The entry's own name, when nothing better names the file (a ``.dat`` name is only its id)."""
    base = PurePosixPath(path).name
    return None if base.lower().endswith(".dat") else valid_text(base)


def _is_metadata(path: str) -> bool:
    """An entry that is the export's own data (conversations, user, feedback, the viewer), not a file."""
    lower = path.lower()
    return lower.endswith("/") or (lower.endswith(_NOT_FILES) and not lower.endswith(".dat"))
