"""An export spread over several ZIPs (``chatgpt-files-and-canvas.md`` §1): a big 2026 export comes in parts side
by side (``<stem>-part-0001.zip``, ``-part-0002.zip`` …, any of which may hold conversation files, and the first
part's ``export_manifest.json`` listing every part's files), and the Privacy Portal wraps its ZIPs in one more
(``User Online Activity/Conversations_…-chatgpt-0001.zip``, ``Files_…-files-0001.zip``).

This module finds the parts and says which is missing; it opens a ZIP inside a ZIP without unpacking the outer
one: a stored member is read in place (its bytes sit as they are in the outer file), a deflated one cannot be
seeked cheaply, so it is inflated once into an anonymous temporary file that vanishes when the export closes.
The reader (:mod:`.reader`) checks every entry of every ZIP the same way.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from pathlib import Path, PurePosixPath
from typing import IO, Any

from chatgpt_history_mcp.errors import ExportError

#: A part of a split export; browsers write a download under one of these suffixes until it is whole.
_PART = re.compile(r"^(?P<stem>.+)-part-(?P<number>\d+)\.zip(?P<downloading>\.crdownload|\.part|\.download)?$", re.I)
#: An inner ZIP of the Privacy Portal's download, by the names ChatGPT gives them.
_INNER_EXPORT = re.compile(r"(?:^|/)(?:conversations_[^/]*|[^/]*-chatgpt-\d+)\.zip$", re.I)
MANIFEST = "export_manifest.json"
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_COPY_BLOCK = 1 << 20


def part_number(path: Path) -> int | None:
    """The number of the part ``path`` is, if its name is that of a (downloaded) part."""
    match = _PART.match(path.name)
    return int(match["number"]) if match and not match["downloading"] else None


def set_of(path: Path) -> tuple[Path, str] | None:
    """Which split export ``path`` belongs to (its folder and stem), or None for a file that is no part."""
    match = _PART.match(path.name)
    return (path.parent, match["stem"]) if match else None


def _siblings(path: Path) -> list[tuple[int, Path, bool]]:
    """Every part of ``path``'s export in its folder: (number, path, still downloading), by number."""
    match = _PART.match(path.name)
    if match is None:
        return []
    found = []
    try:
        names = os.listdir(path.parent)
    except OSError as exc:
        raise ExportError(f"{path.parent}: cannot list the folder to find the other parts ({exc})") from exc
    for name in names:
        other = _PART.match(name)
        if other is not None and other["stem"] == match["stem"]:
            found.append((int(other["number"]), path.parent / name, other["downloading"] is not None))
    return sorted(found)


def downloaded_parts(path: Path) -> list[Path] | None:
    """The parts of ``path``'s export that are there, in order (no gap check), or None while one is still being
    downloaded (a browser's partial file beside them)."""
    siblings = _siblings(path)
    return None if any(d for _, _, d in siblings) else [p for _, p, _ in siblings]


def part_set(path: Path) -> list[Path]:
    """The parts of the export ``path`` is one part of, in order, all there: a gap in the numbering (part 1
    missing too) is an :class:`ExportError` naming the part to download."""
    parts = {n: p for n, p, d in _siblings(path) if not d}
    gaps = [n for n in range(1, max(parts) + 1) if n not in parts]
    if gaps:
        names = ", ".join(part_name(path, n) for n in gaps)
        have = ", ".join(p.name for p in parts.values())
        raise ExportError(
            f"{path.parent}: this export comes in parts and {names} {'is' if len(gaps) == 1 else 'are'} missing "
            f"(found {have}); download {'it' if len(gaps) == 1 else 'them'} into the same folder and import again; "
            "nothing was imported"
        )
    return [parts[n] for n in sorted(parts)]


def part_name(path: Path, number: int) -> str:
    """The file name of part ``number`` of the export ``path`` is a part of, numbered as ``path`` is."""
    match = _PART.match(path.name)
    assert match is not None, "part_name is for a part's path"
    return f"{match['stem']}-part-{number:0{len(match['number'])}d}.zip"


def manifest_paths(value: Any) -> list[str]:
    """What an ``export_manifest.json`` (parsed) lists, in both shapes seen: ``{"export_files": [{"path": …}]}``
    and ``{"files": [{"name": …, "shards": [{"name": …}]}]}`` (a sharded file is its shards). Unreadable: nothing."""
    if not isinstance(value, dict):
        return []
    listed: list[str] = []
    for item in _dicts(value.get("export_files")):
        if isinstance(path := item.get("path"), str):
            listed.append(path)
    for item in _dicts(value.get("files")):
        shards = [s.get("name") for s in _dicts(item.get("shards"))]
        names = shards if shards else [item.get("name")]
        listed.extend(n for n in names if isinstance(n, str))
    return listed


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    return (v for v in value if isinstance(v, dict)) if isinstance(value, list) else ()


def not_held(listed: Iterable[str], held: Iterable[str]) -> list[str]:
    """The listed paths no entry holds (an entry under a top folder holds its path below that folder)."""
    present: set[str] = set()
    for name in held:
        path = PurePosixPath(name.replace("\\", "/"))
        present.update(PurePosixPath(*path.parts[i:]).as_posix() for i in range(len(path.parts)))
    return [p for p in listed if PurePosixPath(p.replace("\\", "/")).as_posix() not in present]


def is_inner_export(name: str) -> bool:
    """Whether a ZIP's member ``name`` is one of the ZIPs the Privacy Portal wraps an export in."""
    return _INNER_EXPORT.search(name) is not None


class _Window(io.RawIOBase):
    """A stored member of a ZIP, read in place: bytes ``start`` to ``start + size`` of the outer file."""

    def __init__(self, path: Path, start: int, size: int) -> None:
        super().__init__()
        self._file = path.open("rb")
        self._start, self._size, self._pos = start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._size - self._pos)
        if n <= 0:
            return 0
        self._file.seek(self._start + self._pos)
        got = self._file.readinto(view[:n])
        self._pos += got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()


def open_inner(
    outer: Path, info: zipfile.ZipInfo, open_member: Callable[[], IO[bytes]], label: str, stack: ExitStack
) -> zipfile.ZipFile:
    """The ZIP stored as ``info`` in the ZIP at ``outer``, open until ``stack`` closes. ``open_member`` reads
    it inflated (for a deflated member, copied once into a temporary file, bounded by its declared size)."""
    try:
        if info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 0x1:
            with outer.open("rb") as f:
                f.seek(info.header_offset)
                signature, name_length, extra_length = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
            if signature != b"PK\x03\x04":
                raise zipfile.BadZipFile("bad local header")
            start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
            source: IO[bytes] = stack.enter_context(_Window(outer, start, info.file_size))  # type: ignore[arg-type]
        else:
            source = stack.enter_context(tempfile.TemporaryFile(prefix="chatgpt-export-"))  # noqa: SIM115 (the stack closes it)
            with open_member() as member:
                shutil.copyfileobj(member, source, _COPY_BLOCK)
            source.seek(0)
        return stack.enter_context(zipfile.ZipFile(source))
    except OSError as exc:
        raise ExportError(
            f"{label}: could not unpack this inner ZIP into {tempfile.gettempdir()} ({exc}); free some room there, "
            "or unzip the outer archive and import the inner ZIP or the unpacked folder"
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ExportError(f"{label}: this inner ZIP is damaged ({exc}); download the export again") from exc
