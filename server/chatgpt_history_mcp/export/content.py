"""Render a raw ChatGPT message ``content`` object to readable text.

Every content type seen in real data has a rendering; an unknown one never crashes and keeps whatever
text it carries. Citation markers (private-use characters U+E200…U+E206) never reach the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: Content types that are never part of the visible transcript.
HIDDEN_TYPES = frozenset(
    {
        "thoughts",
        "reasoning_recap",
        "user_editable_context",
        "model_editable_context",
        "tether_browsing_display",
        "tether_browsing_code",
        "sonic_webpage",
        "system_error",
    }
)

# A marker runs to its closing U+E201, or to the end when an answer was cut off mid-marker.
_CITATION = re.compile("\ue200[^\ue200\ue201]*(?:\ue201|$|(?=\ue200))")
_PRIVATE_USE = re.compile("[\ue200-\ue206]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_UNKNOWN_STRINGS = 50


def _s(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _lines(*values: Any) -> str:
    return "\n".join(v for v in (_s(x).strip() for x in values) if v)


def _part_text(part: Any) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        return ""
    kind = _s(part.get("content_type"))
    if kind == "audio_transcription":
        return _s(part.get("text"))
    if kind == "image_asset_pointer":
        pointer = _s(part.get("asset_pointer")).rsplit("/", 1)[-1]
        width, height = part.get("width"), part.get("height")
        size = f" {width}×{height}" if isinstance(width, int) and isinstance(height, int) else ""
        return f"[image: {pointer or 'attachment'}{size}]"
    if kind in ("audio_asset_pointer", "real_time_user_audio_video_asset_pointer"):
        return "[audio]"
    if "text" in part:
        return _s(part.get("text"))
    return f"[{kind}]" if kind else ""


def _parts(content: Mapping[str, Any]) -> str:
    parts = content.get("parts")
    if not isinstance(parts, list):
        return _s(content.get("text"))
    return "\n".join(t for t in (_part_text(p) for p in parts) if t.strip())


def _code(content: Mapping[str, Any]) -> str:
    language = _s(content.get("language"))
    if language == "unknown":
        language = ""
    text = _s(content.get("text"))
    return f"```{language}\n{text}\n```" if text.strip() else ""


def _execution_output(content: Mapping[str, Any]) -> str:
    text = _s(content.get("text"))
    return f"```\n{text}\n```" if text.strip() else ""


def _tether_quote(content: Mapping[str, Any]) -> str:
    quote = "\n".join(f"> {line}" for line in _s(content.get("text")).strip().splitlines())
    source = _s(content.get("title")) or _s(content.get("domain"))
    url = _s(content.get("url"))
    cite = f"— {source} ({url})" if url else (f"— {source}" if source else "")
    return _lines(quote, cite)


def _thoughts(content: Mapping[str, Any]) -> str:
    thoughts = content.get("thoughts")
    if not isinstance(thoughts, list):
        return ""
    return "\n\n".join(_lines(t.get("summary"), t.get("content")) for t in thoughts if isinstance(t, dict)).strip()


def _unknown(content: Mapping[str, Any]) -> str:
    """Collect the strings an unfamiliar content object carries, depth-first and bounded."""
    found: list[str] = []
    stack: list[Any] = [content]
    while stack and len(found) < _MAX_UNKNOWN_STRINGS:
        value = stack.pop()
        if isinstance(value, str):
            if value.strip():
                found.append(value)
        elif isinstance(value, dict):
            stack.extend(v for k, v in reversed(list(value.items())) if k not in ("content_type", "language"))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return "\n".join(found)


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "text": _parts,
    "multimodal_text": _parts,
    "code": _code,
    "execution_output": _execution_output,
    "tether_quote": _tether_quote,
    "tether_browsing_display": lambda c: _lines(c.get("result"), c.get("summary")),
    "sonic_webpage": lambda c: _lines(c.get("title"), c.get("url"), c.get("text") or c.get("snippet")),
    "system_error": lambda c: _lines(c.get("name"), c.get("text")),
    "thoughts": _thoughts,
    "reasoning_recap": lambda c: _s(c.get("content")),
    "user_editable_context": lambda c: _lines(c.get("user_profile"), c.get("user_instructions")),
    "model_editable_context": lambda c: _lines(c.get("model_set_context")),
}


def render_content(content: Any, metadata: Any = None) -> tuple[str, str]:
    """Return ``(content_type, text)`` for a raw message content object."""
    if not isinstance(content, dict):
        return "unknown", valid_text(_s(content))
    kind = valid_text(_s(content.get("content_type"))) or "text"
    renderer = _RENDERERS.get(kind, _unknown)
    try:
        text = renderer(content)
    except (AttributeError, TypeError, ValueError):  # a known type in an unexpected shape
        text = _unknown(content)
    return kind, valid_text(strip_citations(text, metadata))


def valid_text(text: str) -> str:
    """``text`` with lone UTF-16 surrogates (half an emoji, cut by a client; JSON can escape them) replaced by
    U+FFFD: no UTF-8 store, index or answer can hold them."""
    return _SURROGATE.sub("\ufffd", text) if not text.isascii() else text


def as_dict(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one: ChatGPT's JSON may hold anything anywhere."""
    return value if isinstance(value, dict) else {}


def text_or_none(value: Any) -> str | None:
    """A non-empty JSON string, storable (:func:`valid_text`); None for anything else."""
    return valid_text(value) if isinstance(value, str) and value else None


def _linked(ref: Mapping[str, Any]) -> str:
    """A reference without its readable ``alt``, in the shape ``alt`` has: ``([title](url))``, one per source."""
    items = ref.get("items")
    links = [
        f"[{_s(item.get('title')).strip() or url}]({url})"
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and (url := _s(item.get("url")))
    ]
    return f"({', '.join(links)})" if links else ""


def strip_citations(text: str, metadata: Any = None) -> str:
    """Replace citation markers with their readable form where known (the reference's ``alt``, else links made
    from its items), else drop them."""
    if "\ue200" not in text and not _PRIVATE_USE.search(text):
        return text
    refs = metadata.get("content_references") if isinstance(metadata, dict) else None
    if isinstance(refs, list):
        for ref in refs:
            if not isinstance(ref, dict):
                continue
            marker, alt = _s(ref.get("matched_text")), _s(ref.get("alt")).strip() or _linked(ref)
            if marker and "\ue200" in marker:
                text = text.replace(marker, alt and f" {alt}")
    text = _CITATION.sub("", text)
    return _PRIVATE_USE.sub("", text)
