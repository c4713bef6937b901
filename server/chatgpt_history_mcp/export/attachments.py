"""The files a raw ChatGPT message refers to (``chatgpt-files-and-canvas.md`` §1.1), as the model's attachments.

A message names a file in several places, often twice (an uploaded photo is both an ``image_asset_pointer`` part
and an entry of ``metadata.attachments``): each file is one attachment, its facts merged from every mention.
Pointers are ``file-service://file-…`` (older) or ``sediment://file_…`` (newer); the id is what follows the
scheme. What the file really is (its type from its bytes, its text) is filled in when the store gets it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from chatgpt_history_mcp.export.content import as_dict, valid_text
from chatgpt_history_mcp.files.kinds import kind_of
from chatgpt_history_mcp.model import Attachment, FileKind, FileOrigin

_SCHEMES = ("file-service://", "sediment://")


def file_id(pointer: Any) -> str | None:
    """The file id a pointer names (``sediment://file_…`` → ``file_…``); a bare id is kept (2023 chart outputs)."""
    if not isinstance(pointer, str) or not pointer.strip():
        return None
    text = pointer.strip()
    for scheme in _SCHEMES:
        if text.startswith(scheme):
            text = text[len(scheme) :]
            break
    else:
        if "://" in text:  # an http(s) link or another scheme: not a file of the export
            return None
    text = text.strip("/")
    return valid_text(text) if text and "/" not in text else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _str(value: Any) -> str | None:
    return valid_text(value.strip()) if isinstance(value, str) and value.strip() else None


def message_attachments(raw: Mapping[str, Any]) -> tuple[Attachment, ...]:
    """Every file ``raw`` (one message of a conversation's ``mapping``) refers to, in the order first named."""
    found: dict[str, dict[str, Any]] = {}
    for fid, facts in _mentions(raw):
        merged = found.setdefault(fid, {"file_id": fid})
        for key, value in facts.items():
            if value is not None and merged.get(key) is None:
                merged[key] = value
    return tuple(_attachment(facts) for facts in found.values())


def _attachment(facts: dict[str, Any]) -> Attachment:
    kind: FileKind = facts.pop("kind", None) or (kind_of(facts["mime_type"]) if facts.get("mime_type") else "other")
    return Attachment(kind=kind, **facts)


def _mentions(raw: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    generated = as_dict(raw.get("author")).get("role") not in ("user", None)  # in ChatGPT's or a tool's turn: made
    content = as_dict(raw.get("content"))
    meta = as_dict(raw.get("metadata"))
    parts = content.get("parts")
    for part in parts if isinstance(parts, list) else ():
        if isinstance(part, dict):  # most parts are strings: no generator for them (this runs per message)
            yield from _part(part, "generated" if generated else "upload")
    if content.get("content_type") == "computer_output":
        yield from _part(content.get("screenshot"), "screenshot")
    attachments = meta.get("attachments")
    for entry in attachments if isinstance(attachments, list) else []:
        if isinstance(entry, dict) and (fid := _str(entry.get("id"))) is not None and "/" not in fid:
            yield (
                fid,
                {
                    "name": _str(entry.get("name")),
                    "mime_type": _str(entry.get("mime_type")) or _str(entry.get("mimeType")),
                    "size": _int(entry.get("size")),
                    "width": _int(entry.get("width")),
                    "height": _int(entry.get("height")),
                    "origin": "upload",
                },
            )
    outputs = as_dict(meta.get("aggregate_result")).get("messages")
    for output in outputs if isinstance(outputs, list) else []:
        image = as_dict(output)
        if image.get("message_type") == "image" and (fid := file_id(image.get("image_url"))) is not None:
            facts = {"width": _int(image.get("width")), "height": _int(image.get("height"))}
            yield fid, {**facts, "kind": "image", "origin": "code_output"}


def _part(part: Any, origin: FileOrigin) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(part, dict):
        return
    kind = part.get("content_type")
    if kind == "image_asset_pointer" and (fid := file_id(part.get("asset_pointer"))) is not None:
        yield (
            fid,
            {
                "size": _int(part.get("size_bytes")),
                "width": _int(part.get("width")),
                "height": _int(part.get("height")),
                "kind": "image",
                "origin": origin,
            },
        )
    elif kind == "audio_asset_pointer" and (fid := file_id(part.get("asset_pointer"))) is not None:
        fmt = _str(part.get("format"))
        yield (
            fid,
            {
                "size": _int(part.get("size_bytes")),
                "mime_type": f"audio/{fmt}" if fmt and fmt.isalnum() else None,
                "kind": "audio",
                "origin": "voice",
            },
        )
    elif kind == "real_time_user_audio_video_asset_pointer":
        yield from _part(part.get("audio_asset_pointer"), origin)
        for frame in part.get("frames_asset_pointers") or ():
            yield from _part(frame, origin)
        yield from _part(part.get("video_container_asset_pointer"), origin)
