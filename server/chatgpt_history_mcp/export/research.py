"""Deep-research reports, wherever a conversation keeps them (``chatgpt-files-and-canvas.md`` §4).

- 2025 (an async task): the report is an ordinary assistant message flagged ``is_async_task_result_message``.
- 2026 (the Deep Research app): the assistant node the person sees is empty; the report sits in the widget's
  state, ``metadata.chatgpt_sdk.widget_state`` (often a JSON *string*) → ``report_message`` (``content`` and
  ``metadata.content_references``); also seen in ``tool_response_metadata`` and ``venus_widget_state``, or in a
  tool message whose text is "The latest state of the widget is: {…}".

Either way it is the assistant's answer: shown and indexed as one, its citations resolved like any other answer's
(inline ``([title](url))``), and the sources it lists but never cites inline listed after it, so none is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from chatgpt_history_mcp.export.content import as_dict, render_content, valid_text

_WIDGET_TEXT = "The latest state of the widget is:"
#: Where the widget's state is kept, under the message's metadata (each may be a JSON string).
_STATE_PLACES = (
    ("chatgpt_sdk", "widget_state"),
    ("chatgpt_sdk", "tool_response_metadata"),
    ("tool_response_metadata",),
    ("widget_state",),
    ("chatgpt_sdk", "venus_widget_state"),
    ("venus_widget_state",),
)
_STATE_KEYS = frozenset(place[0] for place in _STATE_PLACES)
#: Keys under which a state may nest the state proper (``tool_response_metadata.widget_state``).
_NESTED = ("widget_state", "venus_widget_state")


@dataclass(frozen=True)
class Report:
    """A deep-research report found in a message: its text as the person reads it (or, while the research was
    not done, a line saying so), and whether it came from a tool's message rather than the assistant's."""

    text: str
    from_tool: bool = False


def is_async_report(metadata: Mapping[str, Any]) -> bool:
    """The 2025 form: an assistant message that is the result of a research task."""
    return metadata.get("is_async_task_result_message") is True


def widget_report(raw: Mapping[str, Any]) -> Report | None:
    """The 2026 form: the report in a message's widget state, or None when it holds none."""
    meta = as_dict(raw.get("metadata"))
    role = as_dict(raw.get("author")).get("role")
    if role not in ("assistant", "tool"):
        return None
    from_tool = role == "tool"
    if not from_tool and _STATE_KEYS.isdisjoint(meta):
        return None  # nearly every message: no widget anywhere
    states = list(_states(meta))
    if from_tool:
        states += _tool_states(raw.get("content"))
    for state in states:
        message = state.get("report_message")
        if isinstance(message, Mapping):
            report_meta = message.get("metadata")
            _, text = render_content(message.get("content"), report_meta)
            text = with_sources(text, report_meta)
            if text.strip():
                return Report(text, from_tool)
    for state in states:
        status = state.get("status")
        if isinstance(status, str) and status and status != "completed":
            plan = state.get("plan")
            title = plan.get("title") if isinstance(plan, Mapping) else None
            about = f": {valid_text(title)}" if isinstance(title, str) and title.strip() else ""
            line = f"[deep research {status.replace('_', ' ')}{about}; its report is not in this copy]"
            return Report(line, from_tool)
    return None


def with_sources(text: str, metadata: Any) -> str:
    """``text`` and, after it, the sources its references list that it does not link inline."""
    refs = metadata.get("content_references") if isinstance(metadata, Mapping) else None
    listed: dict[str, str] = {}
    for ref in refs if isinstance(refs, list) else []:
        for title, url in _sources(ref):
            if url not in text and url not in listed:
                listed[url] = title
    if not listed:
        return text
    lines = "\n".join(f"- [{title or url}]({url})" for url, title in listed.items())
    return f"{text.rstrip()}\n\nSources:\n{lines}"


def _sources(ref: Any) -> Iterator[tuple[str, str]]:
    """(title, url) of what one content reference points at: its items, its footnote's sources, or itself."""
    if not isinstance(ref, Mapping):
        return
    entries = [ref]
    for key in ("items", "sources"):
        value = ref.get(key)
        if isinstance(value, list):
            entries += [v for v in value if isinstance(v, Mapping)]
    for entry in entries:
        url, title = entry.get("url"), entry.get("title")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            yield (valid_text(title).strip() if isinstance(title, str) else ""), valid_text(url)


def _states(meta: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for place in _STATE_PLACES:
        value: Any = meta
        for key in place:
            value = value.get(key) if isinstance(value, Mapping) else None
        state = _as_state(value)
        if state is not None:
            yield state
            for key in _NESTED:
                nested = _as_state(state.get(key))
                if nested is not None:
                    yield nested


def _tool_states(content: Any) -> list[Mapping[str, Any]]:
    """The state a tool message spells out ("The latest state of the widget is: {…}")."""
    parts = content.get("parts") if isinstance(content, Mapping) else None
    text = content.get("text") if isinstance(content, Mapping) else None
    for value in [text, *(parts if isinstance(parts, list) else [])]:
        if isinstance(value, str) and value.lstrip().startswith(_WIDGET_TEXT):
            state = _as_state(value.lstrip()[len(_WIDGET_TEXT) :])
            return [state] if state is not None else []
    return []


def _as_state(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value, strict=False)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None
