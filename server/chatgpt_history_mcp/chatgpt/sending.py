"""Send a message to ChatGPT the way the browser does (``chatgpt-data.md`` §2.3), and read the answer.

1. ``POST /backend-api/f/conversation/prepare`` (a conduit token, when the backend offers one);
2. ``POST /backend-api/sentinel/chat-requirements/prepare`` then ``…/finalize`` (the requirements token);
3. ``POST /backend-api/f/conversation`` with ``supported_encodings: ["v1"]``, its SSE answer decoded by
   :mod:`chatgpt_history_mcp.chatgpt.sse` as it arrives.

Steps 1–2 change nothing and are retried like reads. Step 3 is sent at most once per attempt, and a new
attempt happens only when the server said no before acting (429, a refused connection); once the request may
have reached the server, any failure is :class:`OutcomeUnknown` and nothing is sent again. When the sentinel
asks for a proof-of-work, Turnstile or Arkose challenge this module stops: it does not solve anti-bot
challenges, run a browser or forge a proof token (its requests carry the web app's usual headers, see
:mod:`chatgpt_history_mcp.chatgpt.backend`, and nothing more).

:func:`turn_conversation` turns the sent turn into a conversation in the export's shape, so the store keeps
it like any other until a sync brings the server's own copy.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from chatgpt_history_mcp.chatgpt.backend import (
    BackendClient,
    BackendNotFound,
    Blocked,
    OutcomeUnknown,
    RateLimited,
    RequestRejected,
    Unavailable,
)
from chatgpt_history_mcp.chatgpt.sse import DeltaDecoder, SSEParser, StreamError, StreamResult
from chatgpt_history_mcp.errors import BackendError
from chatgpt_history_mcp.export.normalize import normalize_conversation

NEW_CHAT_PARENT = "client-created-root"
PREPARE = "/backend-api/f/conversation/prepare"
SENTINEL_PREPARE = "/backend-api/sentinel/chat-requirements/prepare"
SENTINEL_FINALIZE = "/backend-api/sentinel/chat-requirements/finalize"
CONVERSATION = "/backend-api/f/conversation"
#: Attempts at the whole flow when the server refused the message before acting on it (429, no connection).
SEND_ATTEMPTS = 3
#: The longest Retry-After slept through before a send; longer ones are reported.
MAX_SEND_WAIT = 60.0
ALTERNATIVE = (
    "send it from the ChatGPT app or website instead; sync_history (or `chatgpt-history-mcp sync`) then brings "
    "the turn into this history"
)

TextCallback = Callable[[str], Awaitable[None] | None]


class ChallengeRequired(BackendError):
    """The sentinel wants an anti-bot challenge solved; nothing was sent."""

    def __init__(self, kinds: list[str]) -> None:
        what = " and ".join(kinds) if kinds else "an anti-bot"
        super().__init__(
            f"ChatGPT asks for a {what} challenge before it accepts this message. This project does not solve "
            f"anti-bot challenges (it runs no browser and forges no proof token), so nothing was sent; {ALTERNATIVE}."
        )
        self.kinds = kinds


@dataclass(frozen=True)
class Outgoing:
    """One user message about to be sent: new chat when ``conversation_id`` is None."""

    text: str
    conversation_id: str | None = None
    parent_message_id: str = NEW_CHAT_PARENT
    model: str | None = None
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = field(default_factory=time.time)

    def message(self) -> dict[str, Any]:
        return {
            "id": self.message_id,
            "author": {"role": "user"},
            "create_time": self.created,
            "content": {"content_type": "text", "parts": [self.text]},
            "metadata": {},
        }

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "action": "next",
            "messages": [self.message()],
            "parent_message_id": self.parent_message_id,
            "model": self.model or "auto",
            "timezone_offset_min": _timezone_offset_min(),
            "conversation_mode": {"kind": "primary_assistant"},
            "system_hints": [],
            "supports_buffering": True,
            "supported_encodings": ["v1"],
            "client_contextual_info": {"app_name": "chatgpt.com"},
        }
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        return body


@dataclass(frozen=True)
class SentTurn:
    """A complete answer to an :class:`Outgoing` message."""

    outgoing: Outgoing
    result: StreamResult
    conversation_id: str
    #: The messages of the turn in the order they arrived: the user's first, the answer last.
    messages: list[dict[str, Any]]

    @property
    def model(self) -> str | None:
        return self.result.model or self.outgoing.model


def _timezone_offset_min() -> int:
    """Minutes to add to local time to get UTC, as the browser's ``getTimezoneOffset()``."""
    offset = time.localtime().tm_gmtoff
    return -offset // 60


async def send_message(client: BackendClient, outgoing: Outgoing, on_text: TextCallback | None = None) -> SentTurn:
    """Send ``outgoing`` and return the complete answer; ``on_text`` gets the answer so far as it grows.

    Raises ChallengeRequired, the backend's typed errors for refusals before sending (nothing was sent), and
    OutcomeUnknown once the message may have reached ChatGPT.
    """
    for attempt in range(SEND_ATTEMPTS):
        try:
            headers = await _requirements(client, outgoing)
            async with client.stream_post(CONVERSATION, outgoing.body(), headers) as chunks:
                return await _read_answer(chunks, outgoing, on_text)
        except (OutcomeUnknown, ChallengeRequired):
            raise
        except (RateLimited, Unavailable) as exc:  # refused before acting: the message was not sent
            wait = exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after is not None else None
            if attempt + 1 >= SEND_ATTEMPTS or (wait or 0) > MAX_SEND_WAIT:
                raise _not_sent(exc) from None
            await anyio.sleep(wait if wait is not None else 1.0 + attempt)
        except BackendError as exc:
            raise _not_sent(exc) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _not_sent(exc: BackendError) -> BackendError:
    """The same failure, saying that nothing reached ChatGPT (so sending again is safe)."""
    text = str(exc) if "nothing was sent" in str(exc) else f"{exc}; the message was not sent"
    if isinstance(exc, RateLimited):
        return RateLimited(text, exc.retry_after)
    return type(exc)(text)


async def _requirements(client: BackendClient, outgoing: Outgoing) -> dict[str, str]:
    """The headers the send needs: the conduit token (when offered) and the sentinel's requirements token."""
    headers = {"Accept": "text/event-stream"}
    prepare = {key: value for key, value in outgoing.body().items() if key != "messages"}
    try:
        prepared = await client.post_json(PREPARE, prepare)
    except BackendNotFound:  # older backends have no prepare step
        prepared = None
    conduit = prepared.get("conduit_token") if isinstance(prepared, dict) else None
    if isinstance(conduit, str) and conduit:
        headers["x-conduit-token"] = conduit
    try:
        requirements = await client.post_json(SENTINEL_PREPARE, {})
        _refuse_challenges(requirements)
        token = requirements.get("token") if isinstance(requirements, dict) else None
        prepare_token = requirements.get("prepare_token") if isinstance(requirements, dict) else None
        if isinstance(prepare_token, str) and prepare_token:
            finalized = await client.post_json(SENTINEL_FINALIZE, {"prepare_token": prepare_token})
            _refuse_challenges(finalized)
            token = finalized.get("token") if isinstance(finalized, dict) else None
    except (RequestRejected, Blocked) as exc:
        if isinstance(exc, Blocked) and exc.cloudflare:
            raise
        raise BackendError(
            f"ChatGPT's anti-abuse check refused this client ({exc}); nothing was sent; {ALTERNATIVE}"
        ) from None
    if not isinstance(token, str) or not token:
        raise BackendError(f"ChatGPT's anti-abuse check gave no token; nothing was sent; {ALTERNATIVE}")
    headers["openai-sentinel-chat-requirements-token"] = token
    return headers


def _refuse_challenges(answer: Any) -> None:
    if not isinstance(answer, dict):
        return
    names = {"proofofwork": "proof-of-work", "turnstile": "Turnstile", "arkose": "Arkose"}
    kinds = [label for key, label in names.items() if isinstance(answer.get(key), dict) and answer[key].get("required")]
    if kinds:
        raise ChallengeRequired(kinds)


async def _read_answer(chunks: AsyncIterator[bytes], outgoing: Outgoing, on_text: TextCallback | None) -> SentTurn:
    parser, decoder = SSEParser(), DeltaDecoder()
    shown = ""
    try:
        async for chunk in chunks:
            for event in parser.feed(chunk):
                decoder.feed(event)
            if on_text is not None and (text := decoder.answer) != shown:
                shown = text
                if (pending := on_text(text)) is not None:
                    await pending
        for event in parser.finish():
            decoder.feed(event)
        result = decoder.finish()
    except OutcomeUnknown as exc:
        exc.conversation_id = exc.conversation_id or decoder.conversation_id or outgoing.conversation_id
        exc.partial_text = exc.partial_text or decoder.answer
        raise
    except StreamError as exc:
        where = decoder.conversation_id or outgoing.conversation_id
        what = f"ChatGPT reported an error: {exc.server_message}" if exc.server_message else str(exc)
        raise OutcomeUnknown(
            f"the message was sent but no complete answer came back ({what})",
            conversation_id=where,
            partial_text=decoder.answer,
        ) from None
    conversation_id = result.conversation_id or outgoing.conversation_id
    if not conversation_id:
        raise OutcomeUnknown("the answer arrived without a conversation id", partial_text=result.answer)
    return SentTurn(outgoing, result, conversation_id, _turn_messages(decoder, outgoing, result))


def _turn_messages(decoder: DeltaDecoder, outgoing: Outgoing, result: StreamResult) -> list[dict[str, Any]]:
    """The user's message, then what arrived after it up to the answer (tool calls, reasoning, the answer)."""
    seen = decoder.messages
    user = copy.deepcopy(seen.get(outgoing.message_id) or outgoing.message())
    user.setdefault("create_time", outgoing.created)
    between: list[dict[str, Any]] = []
    if outgoing.message_id in seen:  # else the stream may hold replayed history only: keep just the answer
        ids = list(seen)
        after = ids[ids.index(outgoing.message_id) + 1 :]
        if result.answer_message_id in after:
            between = [copy.deepcopy(seen[mid]) for mid in after[: after.index(result.answer_message_id)]]
    turn = [user, *between, copy.deepcopy(result.answer_message)]
    answer = turn[-1]
    metadata = answer.setdefault("metadata", {})
    if isinstance(metadata, dict) and result.model and not metadata.get("model_slug"):
        metadata["model_slug"] = result.model
    return turn


def continuation_parent(conversation: dict[str, Any]) -> str:
    """The message a follow-up answers to: the conversation's ``current_node`` (what ChatGPT shows), else the
    end of the branch the transcript shows."""
    current = conversation.get("current_node")
    mapping = conversation.get("mapping")
    if isinstance(current, str) and isinstance(mapping, dict) and current in mapping:
        return current
    path = normalize_conversation(conversation, "api").current_path
    if not path:
        raise RequestRejected("the conversation has no message to continue from; start a new chat instead")
    return path[-1]


def turn_conversation(base: dict[str, Any] | None, turn: SentTurn) -> dict[str, Any]:
    """The conversation (export shape) with the turn added: ``base`` is the backend's copy for a follow-up,
    None for a new chat. Times come from the turn itself, never later than the server's, so the server's own
    copy replaces this one at the next sync."""
    conv = copy.deepcopy(base) if base is not None else _new_conversation(turn)
    mapping: dict[str, Any] = conv.setdefault("mapping", {})
    parent = turn.outgoing.parent_message_id
    if parent not in mapping:
        mapping[parent] = {"id": parent, "message": None, "parent": None, "children": []}
    stamp = _server_time(turn)
    for message in turn.messages:
        mid = str(message.get("id"))
        if not isinstance(message.get("create_time"), int | float):
            message["create_time"] = stamp
        mapping[mid] = {"id": mid, "message": message, "parent": parent, "children": []}
        children = mapping[parent].setdefault("children", [])
        if mid not in children:
            children.append(mid)
        parent = mid
    conv["current_node"] = parent
    previous = conv.get("update_time")
    conv["update_time"] = max(stamp, previous) if isinstance(previous, int | float) else stamp
    if turn.result.title and base is None:
        conv["title"] = turn.result.title
    if turn.model and not conv.get("default_model_slug"):
        conv["default_model_slug"] = turn.model
    return conv


def _server_time(turn: SentTurn) -> float:
    """When the answer was made, by ChatGPT's clock (ours may run ahead of it: a local time stamped on the
    conversation could keep the server's own copy from ever replacing this one)."""
    answer = turn.messages[-1]
    for key in ("update_time", "create_time"):
        if isinstance(answer.get(key), int | float):
            return float(answer[key])
    return turn.outgoing.created


def _new_conversation(turn: SentTurn) -> dict[str, Any]:
    text = " ".join(turn.outgoing.text.split())
    return {
        "id": turn.conversation_id,
        "conversation_id": turn.conversation_id,
        "title": turn.result.title or (text[:60] + ("…" if len(text) > 60 else "")) or "New chat",
        "create_time": _server_time(turn),
        "update_time": _server_time(turn),
        "mapping": {},
        "current_node": None,
    }
