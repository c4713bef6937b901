"""The stored files as results show them: a message's attachments, and a file read for an agent.

A picture is given as a picture an agent can look at (downscaled so its longest side is at most 1568 px and it
fits hosts' size limits; the original stays available as the file's resource), a document or PDF as its text,
paged like a transcript, anything else as what is known of it and where its bytes are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chatgpt_history_mcp.errors import ImageUnreadable, NotFound
from chatgpt_history_mcp.files.kinds import is_text_like, kind_of
from chatgpt_history_mcp.model import Attachment, Conversation
from chatgpt_history_mcp.results import FILE_URI, AttachmentView, FileContent
from chatgpt_history_mcp.store.archive import Archive, StoredFile
from chatgpt_history_mcp.store.blobs import Blobs

if TYPE_CHECKING:
    from chatgpt_history_mcp.files.images import AgentImage

#: Characters of a file's text given at once by default (a transcript page is 60,000).
FILE_PAGE_CHARS = 40_000
PDF = "application/pdf"


def file_uri(file_id: str) -> str:
    return FILE_URI.format(file_id=file_id)


def attachment_views(archive: Archive, conv: Conversation) -> Callable[[Attachment], AttachmentView]:
    """How each attachment of ``conv`` is shown: with whether the store has its bytes (one look-up per
    conversation, not per message)."""
    stored = archive.files(a.file_id for a in conv.attachments())

    def view(attachment: Attachment) -> AttachmentView:
        found = stored.get(attachment.file_id)
        return AttachmentView(
            file_id=attachment.file_id,
            name=attachment.name or (found.name if found else None),
            mime_type=found.mime_type if found else attachment.mime_type,
            size=found.size if found else attachment.size,
            width=attachment.width,
            height=attachment.height,
            kind=kind_of(found.mime_type) if found and found.mime_type != _UNKNOWN else attachment.kind,
            origin=attachment.origin,
            available=found is not None,
            uri=file_uri(attachment.file_id) if found else None,
        )

    return view


_UNKNOWN = "application/octet-stream"


@dataclass(frozen=True)
class FileRead:
    """A file read for an agent: what it is (and its text), and the picture to show when it is an image."""

    content: FileContent
    image: AgentImage | None = None


def stored_file(archive: Archive, blobs: Blobs, file_id: str) -> tuple[StoredFile, Path]:
    """A stored file and where its bytes are; :class:`NotFound` (saying where ids come from) otherwise."""
    found = archive.file(file_id)
    if found is None or not blobs.has(found.sha256):
        raise NotFound(
            f"no stored file with id {file_id!r}; get_conversation lists each message's attachments with their "
            "file_id and whether the file is available (exports leave some files out; a sync brings them)"
        )
    return found, blobs.path(found.sha256)


def read_file(
    archive: Archive,
    blobs: Blobs,
    file_id: str,
    *,
    offset: int = 0,
    max_chars: int = FILE_PAGE_CHARS,
    mask: Callable[[str], str] = str,
) -> FileRead:
    """The file ``file_id`` as an agent reads it; ``offset``/``max_chars`` page a document's text."""
    # Pillow and pypdf load when a file is first read, not with the store: every process that opens it (the
    # CLI, an import's spawned index workers) would otherwise carry some 30 MB more.
    from chatgpt_history_mcp.files.images import agent_image
    from chatgpt_history_mcp.files.text import extract_text

    found, path = stored_file(archive, blobs, file_id)
    kind = kind_of(found.mime_type)
    content = FileContent(
        file_id=found.file_id,
        name=found.name,
        mime_type=found.mime_type,
        size=found.size,
        kind=kind,
        conversation_id=found.conversation_id,
        uri=file_uri(found.file_id),
    )
    if kind == "image":
        try:
            image = agent_image(path, label=found.name or found.file_id)
        except ImageUnreadable as exc:  # HEIC without its codec, a damaged file: what is known, and the bytes
            return FileRead(content.model_copy(update={"note": str(exc)}))
        shown = "" if not image.resized else f", shown at {image.width}×{image.height}"
        content = content.model_copy(
            update={
                "width": image.original_width,
                "height": image.original_height,
                "shown_width": image.width,
                "shown_height": image.height,
                "note": f"an image of {image.original_width}×{image.original_height}{shown}; the original "
                f"bytes are the resource {content.uri}",
            }
        )
        return FileRead(content, image)
    if is_text_like(found.mime_type) or found.mime_type == PDF:
        extracted = extract_text(path, found.mime_type, max_chars=offset + max_chars + 1)
        if extracted is None or not extracted.text.strip():
            why = extracted.note if extracted is not None and extracted.note else "no text could be read from it"
            return FileRead(content.model_copy(update={"note": f"{why}; the bytes are the resource {content.uri}"}))
        text = mask(extracted.text)
        page = text[offset : offset + max_chars]
        more = len(text) > offset + max_chars or (extracted.truncated and len(text) >= offset + max_chars)
        next_offset = offset + len(page) if more else None
        note = f"more text: call again with offset={next_offset}" if next_offset is not None else None
        return FileRead(
            content.model_copy(
                update={
                    "text": page,
                    "offset": offset,
                    "total_chars": None if more else len(text),
                    "next_offset": next_offset,
                    "note": note,
                }
            )
        )
    return FileRead(
        content.model_copy(
            update={
                "note": f"a {found.mime_type} file ({kind}): not shown here; its bytes are the resource {content.uri}"
            }
        )
    )
