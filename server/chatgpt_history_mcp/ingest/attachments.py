"""The files a conversation's messages name, brought into the store with it (in the same write).

For each attachment: a file the store already keeps only fills in what its bytes say (its type, size, text);
one the source carries (the export's entry, a download a sync staged) is copied in, hashed as it streams, its type
sniffed from its bytes and the text of a document or PDF read for search; one nobody has stays named, not
available (missing files are normal: exports leave many out) and is noted as wanted, for the next sync to download
(unless the store is full, or the message says the file is larger than the whole bound; so is one whose bytes
could not be read). The store never holds more than its files bound.
"""

from __future__ import annotations

import logging
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Protocol

from chatgpt_history_mcp.errors import FileTooLarge
from chatgpt_history_mcp.files.kinds import kind_of, sniff_mime
from chatgpt_history_mcp.model import Attachment, Conversation, Message
from chatgpt_history_mcp.results import ImportReport
from chatgpt_history_mcp.store.archive import StoredFile
from chatgpt_history_mcp.store.blobs import Staged
from chatgpt_history_mcp.store.history import HistoryStore
from chatgpt_history_mcp.store.writing import Write

log = logging.getLogger(__name__)

#: Characters of a file's text kept for search (a long PDF's first pages are what a person remembers).
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class Carried:
    """A file a source holds: what it says the file is called, and its bytes (a stream to copy, or bytes a
    download already staged)."""

    name: str | None
    size: int
    open: Callable[[], IO[bytes]] | None = None
    staged: Staged | None = None


class FileSource(Protocol):
    """Where the files of a write come from: an export's catalog, or the downloads a sync staged."""

    @property
    def origin(self) -> str: ...

    def carried(self, file_id: str) -> Carried | None: ...


class Attacher:
    """Resolves the attachments of the conversations of one write; counts what it did in the report."""

    def __init__(self, store: HistoryStore, write: Write, source: FileSource | None, report: ImportReport) -> None:
        self._store = store
        self._write = write
        self._source = source
        self._report = report
        #: The files met so far, as stored (None: not stored): read once per conversation, kept ones added.
        self._known: dict[str, StoredFile | None] = {}
        #: Bytes of new content this write placed (what the files bound has left shrinks by them).
        self._placed = 0
        self._texts: dict[str, str | None] = {}

    def attach(self, conv: Conversation) -> Conversation:
        """``conv`` with each attachment as the store knows it (files the source carries kept first)."""
        if not any(m.attachments for m in conv.messages):
            return conv
        unmet = [a.file_id for a in conv.attachments() if a.file_id not in self._known]
        if unmet:
            found = self._store.archive.files(unmet)
            self._known.update((file_id, found.get(file_id)) for file_id in unmet)
        messages: list[Message] = []
        changed = False
        for message in conv.messages:
            if message.attachments:
                resolved = tuple(self._resolve(a, conv.id) for a in message.attachments)
                if resolved != message.attachments:
                    message = message.model_copy(update={"attachments": resolved})
                    changed = True
            messages.append(message)
        return conv.model_copy(update={"messages": messages}) if changed else conv

    @cached_property
    def _room_at_start(self) -> int | None:
        """Bytes the files bound left before this write (None: no bound), read when a first file is to be kept."""
        return self._store.files_room()

    def reattach(self, conversation_ids: Iterable[str]) -> set[str]:
        """Resolve again the stored conversations ``conversation_ids`` (a file they wanted may now be had), writing
        each one that changes under its own change key; returns the file ids they name."""
        named: set[str] = set()
        for conv in self._store.archive.iter_ids(conversation_ids):
            named.update(a.file_id for a in conv.attachments())
            resolved = self.attach(conv)
            if resolved is not conv:
                self._write.put(resolved, self._store.archive.change_key(conv.id))
        return named

    def want(self, attachment: Attachment, conversation_id: str) -> None:
        """Note a file this write could not keep (no source had it, or it did not fit the files bound) as wanted:
        a sync downloads it, a later import that carries it brings it, once there is room."""
        self._write.archive.want_file(attachment.file_id, conversation_id)

    def _resolve(self, attachment: Attachment, conversation_id: str) -> Attachment:
        stored = self._known[attachment.file_id] or self._keep(attachment, conversation_id)
        if stored is None:
            return attachment
        kind = kind_of(stored.mime_type) if stored.mime_type != "application/octet-stream" else attachment.kind
        return attachment.model_copy(
            update={
                "name": attachment.name or stored.name,
                "mime_type": stored.mime_type,
                "size": stored.size,
                "kind": kind,
                "text": self._text(stored.file_id),
            }
        )

    def _text(self, file_id: str) -> str | None:
        if file_id not in self._texts:
            self._texts[file_id] = self._write.archive.file_text(file_id)
        return self._texts[file_id]

    def _keep(self, attachment: Attachment, conversation_id: str) -> StoredFile | None:
        carried = self._source.carried(attachment.file_id) if self._source is not None else None
        if carried is None:
            self._report.files_missing += 1
            self.want(attachment, conversation_id)
            return None
        room = self._room_at_start - self._placed if self._room_at_start is not None else None
        if room is not None and (room <= 0 or carried.size > room):
            self._report.files_over_limit += 1
            self.want(attachment, conversation_id)  # for when the bound is raised
            if carried.staged is not None:
                carried.staged.path.unlink(missing_ok=True)
            return None
        try:
            staged = carried.staged or self._store.blobs.stage(carried.open, attachment.file_id, room)  # type: ignore[arg-type]
        except FileTooLarge:  # the entry was larger than the listing said
            self._report.files_over_limit += 1
            return None
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, RuntimeError) as exc:
            # one damaged entry costs that file, not the import (its conversation keeps naming it)
            log.warning(
                "could not read the file %s of the export (%s); it is named but not kept", attachment.file_id, exc
            )
            self._report.files_unreadable += 1
            self.want(attachment, conversation_id)  # a sync may bring a sound copy
            return None
        mime = sniff_mime(staged.head, carried.name or attachment.name)
        name = attachment.name or carried.name
        stored = StoredFile(
            file_id=attachment.file_id,
            sha256=staged.sha256,
            size=staged.size,
            mime_type=mime,
            name=name,
            conversation_id=conversation_id,
            origin=self._source.origin if self._source is not None else "export",
        )
        text = self._extract(staged, mime)
        new_content = self._write.keep_file(staged, stored, text)
        self._texts[stored.file_id] = text
        self._known[stored.file_id] = stored
        self._report.files_added += 1
        if new_content:
            self._placed += staged.size
            self._report.files_bytes += staged.size
        return stored

    @staticmethod
    def _extract(staged: Staged, mime: str) -> str | None:
        """The text of a document or PDF, for search (a file whose text cannot be read is still kept: extract_text
        says so in a note, and raises only when the disk fails, which fails the import as any write would)."""
        from chatgpt_history_mcp.files.text import extract_text  # pypdf loads with the first file (see read_file)

        found = extract_text(staged.path, mime, max_chars=MAX_TEXT_CHARS)
        return found.text if found is not None and found.text.strip() else None
