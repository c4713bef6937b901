"""Read ChatGPT's official data export: a ZIP, a ``conversations.json``, or an unpacked export folder.

Conversations stream one at a time (exports reach gigabytes), from a single ``conversations.json`` or the
split ``conversations-000.json`` … files; one already imported is passed over by the digest of its bytes
(see :mod:`.elements`). The ZIP is never extracted to disk; entries are still checked
(paths, symlinks, sizes, compression ratio) so a hostile file is refused before anything is read.
An export in parts (``…-part-0001.zip`` …) or wrapped in one more ZIP (the Privacy Portal's) reads as one
export from all its ZIPs (:mod:`.parts`), each checked the same way.
Every failure is an :class:`ExportError` naming the file and what to do.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any

from isal import isal_zlib

from chatgpt_history_mcp.errors import ExportError
from chatgpt_history_mcp.export import parts
from chatgpt_history_mcp.export.elements import (
    Element,
    ElementReader,
    JSONProblem,
    KnownElements,
    ShapeProblem,
    TextProblem,
)
from chatgpt_history_mcp.export.files import MAX_MAP_BYTES, ExportFiles, Listed
from chatgpt_history_mcp.export.normalize import conversation_id

_CONVERSATION_FILE = re.compile(r"(?:^|/)conversations(?:-(\d+))?\.json$", re.IGNORECASE)
#: Refuse archives whose conversation files claim more than this in total (zip bombs). The files beside them
#: (uploads, images, voice clips: tens of gigabytes in a big export) are not counted: each streams to disk within
#: the store's files bound (CHATGPT_HISTORY_FILES_LIMIT), and its inflation ratio is checked as every entry's is.
MAX_TOTAL_BYTES = 64 * 1024**3
#: Refuse an entry that inflates more than this ratio (JSON compresses 5–20×; bombs 1000×).
MAX_RATIO = 250
_RATIO_MIN_BYTES = 16 * 1024**2
#: Refuse JSON nested deeper than this (an export nests about 15 levels): a parser recurses once per level, so
#: a few hundred kilobytes of brackets would exhaust its stack.
MAX_DEPTH = 512
#: What ISA-L raises on damaged deflate data (its stub declares the class as an instance).
_ISAL_ERROR: type[Exception] = isal_zlib.error  # type: ignore[assignment]
#: What reading a damaged member of a ZIP raises: zipfile's checks (CRC, sizes), each decompressor's own error,
#: a compressed stream that ends early.
_DAMAGED: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, _ISAL_ERROR, lzma.LZMAError, EOFError)
_UNREADABLE: tuple[type[Exception], ...] = (*_DAMAGED, OSError, RuntimeError)  # and a failing disk, encryption
_NOT_MARKS = bytes(b for b in range(256) if b not in b'"[]{}')


@dataclass(frozen=True)
class _Entry:
    name: str
    size: int
    open: Callable[[], IO[bytes]]
    archive: str | None = None  # the ZIP holding it, as errors name it


@dataclass(frozen=True)
class _Archive:
    """One ZIP of an export: the export, one of its parts, or a ZIP inside it. ``members``: its entries, less
    the ZIPs inside it that are read as archives of their own."""

    label: str
    zip: zipfile.ZipFile
    members: tuple[zipfile.ZipInfo, ...]


class _CountingReader:
    """A read-only stream wrapper that reports bytes consumed (for progress)."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_read = on_read

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        if self._on_read is not None and data:
            self._on_read(len(data))
        return data


class _DepthGuard:
    """Follows how deep the JSON nests (brackets outside strings) in the bytes it is shown, in order, and
    refuses it past :data:`MAX_DEPTH`, before the parser sees them. C-speed per piece; only a piece that could
    reach the limit is walked bracket by bracket."""

    def __init__(self, label: str) -> None:
        self._label = label
        self.restart(0)

    def restart(self, depth: int) -> None:
        """The bytes shown next start at ``depth``, outside any string (the reader skipped what came between)."""
        self._depth = depth
        self._in_string = False
        self._escaped = False  # the last piece ended inside a string, on the backslash of an escape

    def scan(self, data: bytes) -> None:
        # Only quotes, brackets and escapes matter. Escapes first (a split one waits for the next piece), then
        # every other byte goes: what is left is a few percent of the piece, all done by C-level bytes methods.
        if self._escaped:
            data, self._escaped = data[1:], False
        if data.endswith(b"\\") and (len(data) - len(data.rstrip(b"\\"))) % 2:
            data, self._escaped = data[:-1], True  # an escape split by this piece (only possible inside a string)
        if b"\\\\" in data:
            data = data.replace(b"\\\\", b"")
        marks = data.replace(b'\\"', b"").translate(None, _NOT_MARKS)
        pieces = marks.split(b'"')  # outside and inside strings, alternately
        outside = b"".join(pieces[1::2] if self._in_string else pieces[::2])
        if len(pieces) % 2 == 0:
            self._in_string = not self._in_string
        # No run of brackets opens more levels than it holds: taken MAX_DEPTH - depth at a time, none can pass
        # the limit, so a piece of shallow JSON is a few slices; only near the limit do slices shrink to one.
        at = 0
        while at < len(outside):
            room = MAX_DEPTH - self._depth
            if room <= 0 and outside[at] in b"[{":
                raise ExportError(
                    f"{self._label}: the JSON nests more than {MAX_DEPTH} levels deep; refusing (not a ChatGPT export?)"
                )
            run = outside[at : at + max(room, 1)]
            self._depth += run.count(b"[") + run.count(b"{") - run.count(b"]") - run.count(b"}")
            at += len(run)


class Export(AbstractContextManager["Export"]):
    """An opened export. Use as a context manager; iterate :meth:`conversations`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._stack = ExitStack()
        self._archives: list[_Archive] = []
        self._listed: list[list[Listed]] | None = None
        self.entries: list[_Entry] = self._open()
        self._files: ExportFiles | None = None

    # -- opening -------------------------------------------------------------------------------------

    def _open(self) -> list[_Entry]:
        path = self.path
        if not path.exists():
            raise ExportError(f"{path}: no such file or folder")
        if path.is_dir():
            files = [p for p in path.rglob("*.json") if _CONVERSATION_FILE.search(p.as_posix())]
            if not files:
                raise ExportError(f"{path}: no conversations.json in this folder; point to the unpacked ChatGPT export")
            return sorted((self._file_entry(p) for p in files), key=lambda e: _order(e.name))
        if parts.part_number(path) is not None:
            return self._open_zips(parts.part_set(path), split=True)
        if zipfile.is_zipfile(path):
            return self._open_zips([path], split=False)
        if path.suffix.lower() == ".json":
            return [self._file_entry(path)]
        with path.open("rb") as f:
            head = f.read(4)
        if head.startswith(b"PK"):
            raise ExportError(f"{path}: this ZIP is damaged or truncated; download the export again")
        raise ExportError(
            f"{path}: not a ChatGPT export; expected the export .zip, its conversations.json, or the unpacked folder"
        )

    def _file_entry(self, p: Path) -> _Entry:
        return _Entry(name=str(p), size=p.stat().st_size, open=lambda: p.open("rb"))

    def _open_zips(self, paths: list[Path], *, split: bool) -> list[_Entry]:
        """The conversation files of the export in these ZIPs (one, or every part of a split export)."""
        try:
            for path in paths:
                self._add_zip(path, split=split)
            found = [
                (
                    _order(info.filename),
                    at,
                    _Entry(info.filename, info.file_size, _opener(archive.zip, info), archive.label),
                )
                for at, archive in enumerate(self._archives)
                for info in archive.members
                if _CONVERSATION_FILE.search(info.filename) and not info.is_dir()
            ]
            total = sum(entry.size for _, _, entry in found)
            if total > MAX_TOTAL_BYTES:
                raise ExportError(
                    f"{self.path}: its conversation files claim {total / 1024**3:.0f} GiB uncompressed; refusing "
                    "(zip bomb?)"
                )
            if split:
                self._check_manifest(paths)
            if not found:
                where = (
                    "in any of its parts"
                    if len(paths) > 1
                    else "inside, nor in the ZIPs inside it"
                    if len(self._archives) > 1
                    else "inside"
                )
                raise ExportError(f"{self.path}: no conversations.json {where}; is this the ChatGPT data export ZIP?")
        except BaseException:
            self.close()
            raise
        return [entry for _, _, entry in sorted(found, key=lambda f: (f[0], f[1]))]

    def _add_zip(self, path: Path, *, split: bool) -> None:
        """Open and check one ZIP; a ZIP holding ZIPs and no conversation file of its own (the Privacy Portal's
        download) has each inner ZIP opened and checked as well. Parts of a split export are never wrapped."""
        try:
            archive = self._stack.enter_context(zipfile.ZipFile(path))
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            # NotImplementedError: a "version needed to extract" zipfile does not know (a damaged directory)
            what = "this part (or wait until its download has finished)" if split else "the export"
            raise ExportError(f"{path}: this ZIP is damaged or truncated ({exc}); download {what} again") from exc
        infos = archive.infolist()
        for info in infos:
            _check_entry(path, info)
        wrapped = not split and not any(_CONVERSATION_FILE.search(i.filename) for i in infos)
        inner = [i for i in infos if wrapped and not i.is_dir() and i.filename.lower().endswith(".zip")]
        self._archives.append(_Archive(str(path), archive, tuple(i for i in infos if i not in inner)))
        for info in sorted(inner, key=lambda i: i.filename):
            label = f"{path}: {info.filename}"
            try:
                zipped = parts.open_inner(path, info, _opener(archive, info), label, self._stack)
            except _DAMAGED as exc:
                raise ExportError(
                    f"{label}: this inner ZIP is damaged ({_short(exc)}); download the export again"
                ) from exc
            members = zipped.infolist()
            for member in members:
                _check_entry(label, member)
            self._archives.append(_Archive(label, zipped, tuple(members)))

    def _check_manifest(self, paths: list[Path]) -> None:
        """A split export whose manifest lists files no part holds lacks a part (one after the last found: a gap
        in the numbering was refused before). Without a manifest, the parts found are the export."""
        data = next((d for ls in self._listings() if (d := _nearest_top(ls, parts.MANIFEST)) is not None), None)
        held = (info.filename for archive in self._archives for info in archive.members)
        missing = parts.not_held(parts.manifest_paths(_parsed(data)), held)
        if not missing:
            return
        shown = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
        following = parts.part_name(paths[-1], len(paths) + 1)
        raise ExportError(
            f"{paths[0]}: this export comes in parts and its {parts.MANIFEST} lists {len(missing)} "
            f"file{'s' if len(missing) != 1 else ''} that no part here holds ({shown}): a part is missing (found "
            f"{', '.join(p.name for p in paths)}; next would be {following}); download the missing parts into "
            f"{paths[0].parent} and import again; nothing was imported"
        )

    # -- reading -------------------------------------------------------------------------------------

    def files(self) -> ExportFiles:
        """The files this export carries (uploads, generated images, voice clips), by the ids messages name. A
        lone ``conversations.json`` carries none (its folder may hold anything: it is not listed)."""
        if self._files is None:
            self._files = ExportFiles((e for listing in self._listings() for e in listing), self._name_map)
        return self._files

    def _listings(self) -> list[list[Listed]]:
        """The entries of each ZIP of the export (of the folder, when unpacked), listed once: the catalog, the
        name maps and the manifest all look in them."""
        if self._listed is None:
            if self._archives:
                self._listed = [list(_archive_listing(archive)) for archive in self._archives]
            elif self.path.is_dir():
                self._listed = [list(_folder_listing(self.path))]
            else:
                self._listed = []
        return self._listed

    def _name_map(self, name: str) -> Any:
        """The export's own small JSON file ``name`` nearest the top (a name map), parsed; None if there is none
        or it is damaged. An export in several ZIPs may carry one in each: their entries are merged (the first
        ZIP's win)."""
        return _merged([_parsed(d) for ls in self._listings() if (d := _nearest_top(ls, name)) is not None])

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)

    def fingerprint(self) -> str:
        """A cheap content identity: the CRCs of every entry of the ZIP (or of every part, every inner ZIP), or a
        hash of the JSON files. Every entry's, not only the conversations': the same conversations with files
        they lacked (a part that brings files alone, an export with a file the last one left out) are more."""
        digest = hashlib.sha256()
        if self._archives:
            for archive in self._archives:
                for info in sorted(archive.members, key=lambda i: i.filename):
                    digest.update(f"{info.filename}\0{info.CRC}\0{info.file_size}\n".encode())
            return digest.hexdigest()
        for entry in self.entries:
            digest.update(entry.name.encode() + b"\0")
            with entry.open() as f:
                for block in iter(lambda f=f: f.read(1 << 20), b""):  # type: ignore[misc]
                    digest.update(block)
        return digest.hexdigest()

    def conversations(self, on_read: Callable[[int], None] | None = None) -> Iterator[Any]:
        """Yield raw conversation objects, one at a time, from every conversation file in order."""
        for element in self.elements(on_read):
            yield element.value

    def elements(
        self, on_read: Callable[[int], None] | None = None, known: KnownElements | None = None
    ) -> Iterator[Element]:
        """Yield the entries of every conversation file in order, each with the key of its bytes; an entry
        ``known`` holds is not parsed (its value is :data:`~.elements.KNOWN`)."""
        for entry in self.entries:
            yield from self._read_entry(entry, on_read, known)

    def _read_entry(
        self, entry: _Entry, on_read: Callable[[int], None] | None, known: KnownElements | None
    ) -> Iterator[Element]:
        label = f"{entry.archive}: {entry.name}" if entry.archive is not None else entry.name
        try:
            with entry.open() as raw:
                yield from ElementReader(_CountingReader(raw, on_read), _DepthGuard(label), known)
        except ExportError:
            raise
        except ShapeProblem as exc:
            raise ExportError(f"{label}: {exc}") from exc
        except TextProblem as exc:
            raise ExportError(
                f"{label}: invalid text in the JSON (half an escaped emoji? {_short(exc)}); download the export again"
            ) from exc
        except JSONProblem as exc:
            if exc.truncated:
                raise ExportError(
                    f"{label}: the JSON is truncated or invalid ({_short(exc)}); download the export again"
                ) from exc
            raise ExportError(f"{label}: invalid JSON ({_short(exc)})") from exc
        except _DAMAGED as exc:
            raise ExportError(
                f"{label}: the ZIP is damaged or truncated ({_short(exc)}); download the export again"
            ) from exc
        except RuntimeError as exc:  # an encrypted entry, or a compression method zipfile lacks
            raise ExportError(f"{label}: cannot be read ({_short(exc)}); download the export again") from exc
        except OSError as exc:
            raise ExportError(f"{label}: could not be read ({_short(exc)})") from exc

    def close(self) -> None:
        self._stack.close()
        self._archives = []

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _open_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A ZIP member to read, inflated by ISA-L when it is deflated (every export): 2.4x zlib's speed, and
    inflating is most of what reading an export that repeats the last one costs. zipfile has no hook for
    this: its reader's decompressor is swapped before the first read (the same interface as zlib's; zipfile
    still checks the sizes, and the CRC with ISA-L's CRC-32). Without those attributes (another Python), zlib
    inflates and checks."""
    member = archive.open(info)
    if info.compress_type == zipfile.ZIP_DEFLATED and hasattr(member, "_decompressor"):
        member._decompressor = isal_zlib.decompressobj(-zlib.MAX_WBITS)
    if hasattr(member, "_running_crc"):
        member._update_crc = _isal_crc_check(member)  # type: ignore[attr-defined]
    return member


def _isal_crc_check(member: Any) -> Callable[[bytes], None]:
    """zipfile's CRC check of a member as it is read, with ISA-L's CRC-32 (4.5x zlib's: zlib's was a twentieth of
    a re-import); the same check, the same error."""

    def update_crc(data: bytes) -> None:
        if member._expected_crc is None:
            return
        member._running_crc = isal_zlib.crc32(data, member._running_crc)
        if member._eof and member._running_crc != member._expected_crc:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {member.name!r}")

    return update_crc


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: _open_member(archive, info)


def _archive_listing(archive: _Archive) -> Iterator[Listed]:
    for info in archive.members:
        if not info.is_dir():
            yield Listed(info.filename, info.file_size, _opener(archive.zip, info))


def _folder_listing(folder: Path) -> Iterator[Listed]:
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            yield Listed(p.relative_to(folder).as_posix(), p.stat().st_size, lambda p=p: p.open("rb"))  # type: ignore[misc]


def _nearest_top(listing: Iterable[Listed], name: str) -> bytes | None:
    """The bytes of the small file ``name`` nearest the top of a listing, if any and readable."""
    found = sorted((e for e in listing if e.path.rpartition("/")[2] == name), key=lambda e: e.path.count("/"))
    if not found or found[0].size > MAX_MAP_BYTES:
        return None
    try:
        with found[0].open() as f:
            return f.read(MAX_MAP_BYTES + 1)
    except _UNREADABLE:
        return None  # a damaged name map costs only the names it gives


def _parsed(data: bytes | None) -> Any:
    """A small JSON file of the export (a name map, the manifest), or None when absent or damaged: a damaged one
    costs only what it would have given."""
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None


def _merged(values: list[Any]) -> Any:
    """One name map from several ZIPs' copies: objects united (the first copy's keys win), arrays joined. Copies
    that are not all objects or all arrays (one damaged, say): the first, as a single ZIP's would be."""
    if len(values) <= 1:
        return values[0] if values else None
    if all(isinstance(v, dict) for v in values):
        united: dict[str, Any] = {}
        for value in values:
            for key, item in value.items():
                united.setdefault(key, item)
        return united
    if all(isinstance(v, list) for v in values):
        return [item for value in values for item in value]
    return values[0]


def _zip_names(path: Path) -> list[str] | None:
    """The entry names of a complete ZIP, or None (not a ZIP, or one still being written: no directory yet)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None


def is_export_zip(path: Path) -> bool:
    """Whether ``path`` is a complete ZIP with a ChatGPT conversations file inside (``conversations.json`` or
    ``conversations-NNN.json``), or with the ZIPs the Privacy Portal wraps one in: how a ChatGPT export is told
    from other ZIPs, whatever its name. A ZIP still being written has no central directory yet, so it is not
    one until it is whole. A part of a split export is one when every part there is whole, none is still
    downloading, and one holds conversations (a part missing altogether is for the import to report)."""
    if parts.part_number(path) is None:
        names = _zip_names(path)
        return names is not None and any(_CONVERSATION_FILE.search(n) or parts.is_inner_export(n) for n in names)
    present = parts.downloaded_parts(path)
    if present is None:
        return False
    listed = [_zip_names(p) for p in present]
    return all(n is not None for n in listed) and any(_CONVERSATION_FILE.search(n) for ns in listed for n in ns or ())


def holds_conversations(folder: Path) -> bool:
    """Whether a folder is an unpacked export: a conversations file in it or in a folder directly inside."""
    try:
        top = list(folder.iterdir())
        candidates = [*top, *(p for d in top if d.is_dir() for p in d.iterdir())]
    except OSError:
        return False
    return any(p.is_file() and _CONVERSATION_FILE.search(p.name) for p in candidates)


#: What each kind of JSON value is called in a message, singular and plural.
_KINDS = {
    dict: ("object", "objects"),
    list: ("array", "arrays"),
    str: ("string", "strings"),
    bool: ("boolean", "booleans"),
    type(None): ("null", "nulls"),
}
_PLURALS = {"number": "numbers", **dict(_KINDS.values())}
_KEYS_SHOWN = 8


class EntryShapes:
    """What the entries of an export are, to tell a file that holds no conversation at all (a JSON array of
    strings, ``shared_conversations.json``, another app's data) from an export, and to say what it holds.

    A conversation is an object with a ``mapping`` (every ChatGPT conversation has one) and an id."""

    def __init__(self) -> None:
        self.entries = 0
        self.conversations = 0
        self._kinds: Counter[str] = Counter()
        self._keys: Counter[str] = Counter()

    def add_known(self) -> None:
        """An entry read before as a conversation (passed over unparsed: see :meth:`Export.elements`)."""
        self.entries += 1
        self.conversations += 1

    def add(self, raw: Any) -> None:
        self.entries += 1
        if isinstance(raw, Mapping) and "mapping" in raw and conversation_id(raw) is not None:
            self.conversations += 1
            return
        self._kinds[_kind(raw)] += 1
        if isinstance(raw, Mapping):
            self._keys.update(str(k) for k in raw)

    def describe(self) -> str:
        """What the entries are, when none is a conversation: "a JSON array of 2 strings, not ChatGPT
        conversations"."""
        if len(self._kinds) == 1:
            (kind, count), *_ = self._kinds.items()
            what = _counted(count, kind)
        else:
            kinds = ", ".join(_counted(count, kind) for kind, count in self._kinds.most_common())
            what = f"{self.entries} values ({kinds})"
        if not self._keys:
            return f"a JSON array of {what}, not ChatGPT conversations"
        keys = [k for k, _ in self._keys.most_common(_KEYS_SHOWN)]
        more = ", …" if len(self._keys) > _KEYS_SHOWN else ""
        none = "it is not" if self.entries == 1 else "none of them is"
        return f"a JSON array of {what}, {none} a ChatGPT conversation (keys: {', '.join(keys)}{more})"


def _kind(value: Any) -> str:
    for cls, (singular, _) in _KINDS.items():
        if isinstance(value, cls):
            return singular
    return "number"


def _counted(count: int, kind: str) -> str:
    return f"{count} {kind if count == 1 else _PLURALS[kind]}"


def _check_entry(path: Path | str, info: zipfile.ZipInfo) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise ExportError(f"{path}: unsafe path {name!r} inside the ZIP; refusing this archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ExportError(f"{path}: the ZIP holds a symbolic link ({name!r}); refusing this archive")
    if info.file_size > _RATIO_MIN_BYTES and info.compress_size > 0 and info.file_size / info.compress_size > MAX_RATIO:
        raise ExportError(f"{path}: {name!r} inflates {info.file_size // info.compress_size}×; refusing (zip bomb?)")


def _order(name: str) -> tuple[int, str]:
    match = _CONVERSATION_FILE.search(name)
    number = match.group(1) if match else None
    return (int(number) if number is not None else -1, name)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
