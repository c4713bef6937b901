"""A fake of ChatGPT's private web backend: a real HTTP server on loopback, with the real quirks.

Stdlib only. ``FakeBackend(account, **options)`` serves a :class:`FakeAccount` on ``http://127.0.0.1:<port>``
from a daemon thread (``with FakeBackend(...) as fb:`` or ``.start()`` / ``.stop()``):

- ``GET /api/auth/session``: the session cookie (whole, or split as ``<name>.0``, ``<name>.1``…) is exchanged for
  ``{user, expires, account, accessToken}``; every call issues a new unsigned, real-shaped JWT with ``exp``; the
  cookie may rotate through ``Set-Cookie`` (the old value is then refused). No or a wrong cookie: ``{}`` with 200.
- ``/backend-api/…`` needs ``Authorization: Bearer <a valid access token>`` (401 JSON otherwise; a read of one
  conversation without any ``Authorization`` gives 404 like the real one), and ``chatgpt-account-id`` for a
  workspace account (403 JSON). Conversation list (offset paging, ``limit`` ≤ 100 else 422, a ``total`` that lies,
  ISO-8601 times, no project chats), archive, projects (sidebar + per-project cursor paging), one conversation
  (the export shape, epoch times), memories, automations.
- Files, canvases and names (``chatgpt-files-and-canvas.md`` §2, §3, §5): ``GET /backend-api/files/download/{id}``
  (``?conversation_id=``: a file of another conversation is refused) → ``{status: "success", download_url,
  file_name, file_size_bytes, mime_type, creation_time, metadata}``, or 404 ``{status: "error", error_code,
  error_message}``; the older ``GET /backend-api/files/{id}/download`` → ``{status, download_url, …}`` or 404.
  The ``download_url`` is ``/backend-api/estuary/content?id=&ts=&p=fs&sig=`` on this server: HMAC-signed, needing no
  bearer, refused (403) once ``download_url_lifetime`` has passed on the fake clock or with a wrong signature; it
  answers the bytes with their MIME type. ``GET /backend-api/conversation/{id}/textdocs`` → the current version of
  each canvas ``[{id, version, title, textdoc_type, content, comments, updated_at}]``;
  ``GET /backend-api/textdoc/{id}/history?before_version=N`` → ``{previous_doc_states}``, newest first.
  ``GET /backend-api/gizmos/{id}`` → ``{gizmo: {id, gizmo_type, display.name, short_url, …}, files, tools}`` for a
  project or a custom GPT the account knows, 404 otherwise (a deleted GPT). The sidebar's items are
  ``item.gizmo.gizmo`` or, with ``sidebar_shape="flat"``, ``item.gizmo``, and list a project's files.
  :func:`export_account` is the sample export's account with all of these filled in.
- Sending a message (``chatgpt-data.md`` §2.3–2.4), all ``POST`` with the same auth:
  ``/backend-api/f/conversation/prepare`` → ``{status: "ok", conduit_token}`` (404 for an unknown
  ``conversation_id``); ``/backend-api/sentinel/chat-requirements/prepare`` → ``{persona, prepare_token,
  turnstile{required, dx}, proofofwork{required, seed, difficulty}}`` (what is required: ``fb.challenge``);
  ``…/finalize`` with ``{prepare_token}`` → ``{persona, token, expire_after: 540, expire_at}`` (403 for an
  unknown or reused prepare token, or while a challenge is demanded: the fake never takes a solution);
  ``/backend-api/f/conversation`` needs ``openai-sentinel-chat-requirements-token`` (finalized, unexpired,
  single use: spent even when the send then fails; else 403 "Unusual activity…") and, if sent,
  ``x-conduit-token`` from prepare (else 403). A send that passes its checks (400 no text or bad parent, 404
  unknown conversation, 409 message id already there, 422 model not in ``fb.models``) is recorded in the account
  at once (a new chat gets a fresh id, a system node and a title; a follow-up hangs under
  ``parent_message_id``, branching if that is not the current node) and in ``fb.sent_turns``, then streamed as
  SSE (chunked): with ``"v1"`` in ``supported_encodings`` the delta encoding (``delta_encoding``,
  ``resume_conversation_token``, the replayed parent message of a follow-up, the user message ``add``,
  ``input_message``, ``message_marker``, the assistant ``add``, ``append`` / bare ``{"v"}`` pieces, a closing
  ``patch``, ``title_generation`` for a new chat, ``message_stream_complete``, ``[DONE]``), else full message
  snapshots then ``[DONE]``. The answer is ``fb.answer_for(text)``; ``fb.stream_delay`` paces the pieces.
- Faults per path pattern and count (optionally once ``after`` matching requests have passed): 429 +
  ``Retry-After``, a Cloudflare HTML 403, 5xx, a dropped connection, a slow answer, and "the access token expires
  after N backend requests"; those all strike before a send is looked at (nothing recorded). After a send's turn
  is recorded: ``cut_stream`` (the body ends cleanly after N events,
  before completion), ``reset_after_dispatch`` (a TCP reset before any response byte) and ``stream_error`` (an
  error event after the assistant's ``add``; only the user's message is recorded).

Every request is recorded in ``fb.requests`` (with its parsed JSON body). Secrets are recognizable
(``FAKE-SESSION-…``, JWT signatures that start with :data:`ACCESS_TOKEN_MARKER`, sentinel tokens that start with
:data:`SENTINEL_MARKER`), and ``fb.secrets()`` lists every one ever issued (conduit and stream resume tokens, and
the signatures of download URLs, too),
so a test can scan logs and outputs for them.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fnmatch
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets as _secrets
import socket
import struct
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, quote, urlsplit

__all__ = [
    "ACCESS_TOKEN_MARKER",
    "BASE_TIME",
    "COOKIE_CHUNK_SIZE",
    "DEFAULT_MODELS",
    "DEFAULT_MODEL_SLUG",
    "NEW_CHAT_PARENT",
    "SEND_PATH",
    "SENTINEL_MARKER",
    "SESSION_COOKIE",
    "SESSION_MARKER",
    "UNUSUAL_ACTIVITY",
    "FakeAccount",
    "FakeBackend",
    "FakeFile",
    "FakeTextdoc",
    "Fault",
    "RecordedRequest",
    "decode_jwt",
    "default_answer",
    "default_title",
    "export_account",
    "iso",
    "sample_account",
]

#: The default session cookie name (newer builds use ``__Secure-authjs.session-token``: ``cookie_name=``).
SESSION_COOKIE = "__Secure-next-auth.session-token"
#: Every session token starts with this.
SESSION_MARKER = "FAKE-SESSION-"
#: NextAuth splits a cookie value longer than this into ``<name>.0``, ``<name>.1``, …
COOKIE_CHUNK_SIZE = 3933
_SIGNATURE_PREFIX = b"FAKE-JWT-SIGNATURE-NOT-A-REAL-KEY"  # 33 bytes: a multiple of 3, so its base64 is fixed
#: Every access token's signature starts with this (base64url of ``FAKE-JWT-SIGNATURE-NOT-A-REAL-KEY``).
ACCESS_TOKEN_MARKER = base64.urlsafe_b64encode(_SIGNATURE_PREFIX).decode().rstrip("=")

#: The send endpoint (SSE), and the ``parent_message_id`` that starts a new chat.
SEND_PATH = "/backend-api/f/conversation"
NEW_CHAT_PARENT = "client-created-root"
#: The models a send may name (``FakeBackend.models``); none or ``auto`` answers with :data:`DEFAULT_MODEL_SLUG`.
DEFAULT_MODELS = frozenset({"auto", "gpt-5-2", "gpt-4o", "o3"})
DEFAULT_MODEL_SLUG = "gpt-5-2"
#: The 403 ``detail`` of a send without a valid, unused chat-requirements token.
UNUSUAL_ACTIVITY = "Unusual activity has been detected from your device. Try again later."
#: Every sentinel prepare / requirements token starts with this (conduit and resume tokens are JWT-shaped).
SENTINEL_MARKER = "gAAAAABFAKE-SENTINEL-"
REQUIREMENTS_TOKEN_LIFETIME = 540

#: 2025-09-19T22:57:22.327234Z: the account clock starts here.
BASE_TIME = 1_758_322_642.327234
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.invalid/chatgpt-history-mcp/fake-backend")

Turn = str | tuple[str, str]
Location = str  # "main", "archive" or a project id "g-p-…"


def iso(epoch: float) -> str:
    """Epoch seconds → the backend's list form, e.g. ``2025-09-19T22:57:22.327234Z``."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso_ms(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_jwt(token: str) -> dict[str, Any]:
    """The payload of a JWT (no signature check): what a client reads ``exp`` from."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _uuid(label: str) -> str:
    return str(uuid.uuid5(_NS, label))


# --------------------------------------------------------------------------------------------------- account


def _message(mid: str, role: str, text: str, when: float | None, model: str | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if role == "assistant":
        metadata = {"model_slug": model, "default_model_slug": model, "finish_details": {"type": "stop"}}
    return {
        "id": mid,
        "author": {"role": role, "name": None, "metadata": {}},
        "create_time": when,
        "update_time": None,
        "content": {"content_type": "text", "parts": [text]},
        "status": "finished_successfully",
        "end_turn": True if role == "assistant" else None,
        "weight": 1.0,
        "metadata": metadata,
        "recipient": "all",
        "channel": None,
    }


def _role_of(i: int, turn: Turn, first_role: str = "user") -> tuple[str, str]:
    if isinstance(turn, tuple):
        return turn
    other = "assistant" if first_role == "user" else "user"
    return (first_role if i % 2 == 0 else other), turn


@dataclass
class FakeFile:
    """A file the fake backend serves: its bytes and what the download endpoint says of it."""

    file_id: str
    name: str
    mime_type: str
    data: bytes
    conversation_id: str | None = None
    project: str | None = None
    created: float = BASE_TIME


@dataclass
class FakeTextdoc:
    """A canvas document: every version's text, oldest first; the last is what ``…/textdocs`` returns."""

    textdoc_id: str
    title: str
    textdoc_type: str
    versions: list[str]
    comments: list[dict[str, Any]] = field(default_factory=list)
    updated: float = BASE_TIME


@dataclass
class FakeAccount:
    """One person's ChatGPT data, as the fake backend serves it and as their export would hold it.

    ``conversations`` maps id → the full body (the export shape). Where a conversation lives follows from its
    body, as on the real service: ``gizmo_id`` ``g-p-…`` of a known project → that project only (never the main
    list nor the archive, whatever ``is_archived`` says); else ``is_archived`` → the archive; else the main list.
    Mutate through the helpers (they keep ``update_time`` moving, which is what a sync keys on).
    """

    user_id: str = "user-fake"
    name: str = "Alex Example"
    email: str = "alex@example.invalid"
    #: A Team/Business workspace id: the backend then requires the ``chatgpt-account-id`` header.
    workspace_account_id: str | None = None
    plan_type: str = "plus"
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Project id (``g-p-…``) → display name, in sidebar order.
    projects: dict[str, str] = field(default_factory=dict)
    memories: list[dict[str, Any]] = field(default_factory=list)
    automations: list[dict[str, Any]] = field(default_factory=list)
    #: The account's clock (epoch seconds): each new conversation or change happens after the previous one.
    clock: float = BASE_TIME
    #: Filled by :func:`sample_account`: conversation id → a word found only in that conversation (title,
    #: first question and answer).
    keywords: dict[str, str] = field(default_factory=dict)
    #: Filled by :func:`sample_account`: conversation id → a word found only on a non-current branch of it.
    branch_keywords: dict[str, str] = field(default_factory=dict)
    #: File id → the file the download endpoints serve.
    files: dict[str, FakeFile] = field(default_factory=dict)
    #: Conversation id → its canvases (``/conversation/{id}/textdocs``).
    textdocs: dict[str, list[FakeTextdoc]] = field(default_factory=dict)
    #: Custom GPT id (``g-…``) → (display name, author): what ``/gizmos/{id}`` knows; others are deleted (404).
    gpts: dict[str, tuple[str, str]] = field(default_factory=dict)

    # ---- time

    def tick(self, seconds: float = 3_600.123457) -> float:
        """Advance the account clock and return the new time (6 decimals, like real epoch floats)."""
        self.clock = round(self.clock + seconds, 6)
        return self.clock

    def _after(self, when: float) -> None:
        self.clock = max(self.clock, round(when, 6))

    # ---- projects

    def add_project(self, name: str, project_id: str | None = None) -> str:
        """A project (``g-p-`` + 32 hex); returns its id."""
        pid = project_id or "g-p-" + uuid.uuid5(_NS, f"project/{len(self.projects)}/{name}").hex
        self.projects[pid] = name
        return pid

    # ---- conversations

    def add_conversation(
        self,
        turns: Sequence[Turn],
        *,
        title: str | None = "Untitled fake conversation",
        conversation_id: str | None = None,
        project: str | None = None,
        archived: bool = False,
        gizmo_id: str | None = None,
        create_time: float | None = None,
        step: float = 37.512345,
        model: str = "gpt-4o",
        branch_at: int | None = None,
        branch_turns: Sequence[Turn] = (),
        branch_current: bool = False,
    ) -> dict[str, Any]:
        """Add a realistic conversation and return its body (the same object stored in ``conversations``).

        ``turns``: texts alternating user / assistant (starting with user), or ``(role, text)`` pairs. The
        mapping is a tree: a root with ``message: null``, a hidden empty system message, then one node per turn.
        ``project``: a project id (added to ``projects`` if unknown) → a project conversation. ``archived`` →
        the archive. ``gizmo_id``: a custom GPT ``g-…`` (stays in the main list).
        ``branch_at=i`` with ``branch_turns``: an alternative branch whose first node is a sibling of turn ``i``
        (an edit or regeneration; roles continue from turn ``i``'s); ``branch_current`` makes it the path
        ``current_node`` ends on, else it is the abandoned branch. Times: ``create_time`` (default: the account
        clock's next tick), message ``k`` at ``create_time + (k + 1) * step``; ``update_time`` is the newest.
        """
        cid = conversation_id or _uuid(f"conversation/{len(self.conversations)}/{title}/{self.clock}")
        if cid in self.conversations:
            raise ValueError(f"conversation {cid} already exists")
        if project is not None:
            if not project.startswith("g-p-"):
                raise ValueError("a project id starts with g-p-")
            self.projects.setdefault(project, f"Project {len(self.projects) + 1}")
            gizmo_id = project
        start = round(create_time, 6) if create_time is not None else self.tick()
        root = _uuid(f"{cid}/node/root")
        mapping: dict[str, dict[str, Any]] = {root: {"id": root, "message": None, "parent": None, "children": []}}

        def add(key: str, parent: str, role: str, text: str, when: float | None) -> str:
            nid = _uuid(f"{cid}/node/{key}")
            msg = _message(nid, role, text, when, model if role == "assistant" else None)
            mapping[nid] = {"id": nid, "message": msg, "parent": parent, "children": []}
            mapping[parent]["children"].append(nid)
            return nid

        system = add("system", root, "system", "", None)
        mapping[system]["message"].update(weight=0.0, metadata={"is_visually_hidden_from_conversation": True})
        parent, newest = system, start
        parents: list[str] = []
        for i, turn in enumerate(turns):
            role, text = _role_of(i, turn)
            newest = round(start + (i + 1) * step, 6)
            parents.append(parent)
            parent = add(str(i), parent, role, text, newest)
        current = parent
        if branch_at is not None:
            if not 0 <= branch_at < len(turns) or not branch_turns:
                raise ValueError("branch_at must index turns, and branch_turns must not be empty")
            first_role, _ = _role_of(branch_at, turns[branch_at])
            bparent = parents[branch_at]
            for j, turn in enumerate(branch_turns):
                role, text = _role_of(j, turn, first_role)
                when = round(start + (branch_at + 1) * step + (j + 0.5) * step / 4, 6)
                newest = max(newest, when)
                bparent = add(f"branch/{j}", bparent, role, text, when)
            if branch_current:
                current = bparent
        body: dict[str, Any] = {
            "title": title,
            "create_time": start,
            "update_time": newest,
            "mapping": mapping,
            "moderation_results": [],
            "current_node": current,
            "plugin_ids": None,
            "conversation_id": cid,
            "conversation_template_id": gizmo_id if gizmo_id and gizmo_id.startswith("g-p-") else None,
            "gizmo_id": gizmo_id,
            "gizmo_type": ("snorlax" if gizmo_id.startswith("g-p-") else "gpt") if gizmo_id else None,
            "is_archived": archived,
            "is_starred": None,
            "safe_urls": [],
            "blocked_urls": [],
            "default_model_slug": model,
            "conversation_origin": None,
            "voice": None,
            "async_status": None,
            "disabled_tool_ids": [],
            "is_do_not_remember": False,
            "memory_scope": "global_enabled",
            "id": cid,
        }
        self.conversations[cid] = body
        self._after(newest)
        return body

    def get(self, conversation_id: str) -> dict[str, Any]:
        return self.conversations[conversation_id]

    def append_message(
        self, conversation_id: str, text: str, role: str | None = None, *, when: float | None = None
    ) -> str:
        """Add a message after ``current_node`` (role: the other one than the current leaf's), make it current
        and bump ``update_time`` to its time (default: the account clock's next tick). Returns the node id."""
        body = self.conversations[conversation_id]
        leaf = body["current_node"]
        last = (body["mapping"][leaf].get("message") or {}).get("author", {}).get("role")
        role = role or ("assistant" if last == "user" else "user")
        return self.add_message(conversation_id, leaf, role, text, when=when)

    def add_message(
        self,
        conversation_id: str,
        parent_id: str,
        role: str,
        text: str,
        *,
        message_id: str | None = None,
        when: float | None = None,
        model: str | None = None,
        current: bool = True,
    ) -> str:
        """Add a message as a child of node ``parent_id`` (not the current leaf: a new branch), make it current
        (unless ``current=False``) and bump ``update_time`` to its time (default: the account clock's next tick).
        ``model``: an assistant's ``model_slug`` (default: the conversation's). Returns the node id."""
        body = self.conversations[conversation_id]
        mapping = body["mapping"]
        if parent_id not in mapping:
            raise KeyError(f"no node {parent_id} in conversation {conversation_id}")
        when = round(when, 6) if when is not None else self.tick(61.250001)
        nid = message_id or _uuid(f"{conversation_id}/node/appended/{len(mapping)}")
        if nid in mapping:
            raise ValueError(f"node {nid} already exists in conversation {conversation_id}")
        slug = (model or body.get("default_model_slug")) if role == "assistant" else None
        msg = _message(nid, role, text, when, slug)
        mapping[nid] = {"id": nid, "message": msg, "parent": parent_id, "children": []}
        mapping[parent_id]["children"].append(nid)
        if current:
            body["current_node"] = nid
        body["update_time"] = when
        self._after(when)
        return nid

    def touch(self, conversation_id: str, when: float | None = None) -> float:
        """Bump ``update_time`` only (e.g. after a rename on the real service). Returns the new time."""
        when = round(when, 6) if when is not None else self.tick(61.250001)
        self.conversations[conversation_id]["update_time"] = when
        self._after(when)
        return when

    def rename(self, conversation_id: str, title: str | None, *, bump: bool = True) -> None:
        self.conversations[conversation_id]["title"] = title
        if bump:
            self.touch(conversation_id)

    def archive(self, conversation_id: str, archived: bool = True, *, bump: bool = False) -> None:
        """Move a (non-project) conversation to or from the archive."""
        self.conversations[conversation_id]["is_archived"] = archived
        if bump:
            self.touch(conversation_id)

    def move_to_project(self, conversation_id: str, project: str | None, *, bump: bool = False) -> None:
        """Move a conversation into a project (added if unknown), or out of one with ``None``."""
        body = self.conversations[conversation_id]
        if project is not None:
            self.projects.setdefault(project, f"Project {len(self.projects) + 1}")
            body.update(gizmo_id=project, gizmo_type="snorlax", conversation_template_id=project)
        else:
            body.update(gizmo_id=None, gizmo_type=None, conversation_template_id=None)
        if bump:
            self.touch(conversation_id)

    def delete_conversation(self, conversation_id: str) -> None:
        del self.conversations[conversation_id]

    def location(self, conversation_id: str) -> Location:
        """``"main"``, ``"archive"`` or the project id where the backend lists this conversation."""
        body = self.conversations[conversation_id]
        gizmo = body.get("gizmo_id") or ""
        if gizmo.startswith("g-p-") and gizmo in self.projects:
            return gizmo
        return "archive" if body.get("is_archived") else "main"

    def ids_in(self, location: Location) -> list[str]:
        """Conversation ids listed in a location, newest ``update_time`` first (the backend's order)."""
        found = [cid for cid in self.conversations if self.location(cid) == location]
        return sorted(found, key=lambda c: (-(self.conversations[c].get("update_time") or 0.0), c))

    def main_ids(self) -> list[str]:
        return self.ids_in("main")

    def archived_ids(self) -> list[str]:
        return self.ids_in("archive")

    def project_ids(self, project: str) -> list[str]:
        return self.ids_in(project)

    # ---- files, canvases, custom GPTs

    def add_file(
        self,
        data: bytes,
        name: str,
        mime_type: str,
        *,
        file_id: str | None = None,
        conversation_id: str | None = None,
        project: str | None = None,
        created: float | None = None,
    ) -> str:
        """A file the download endpoints serve (an upload, a generated image, a project file); returns its id.
        ``project``: listed among that project's files (sidebar and ``/gizmos/{id}``)."""
        fid = file_id or "file-" + uuid.uuid5(_NS, f"file/{len(self.files)}/{name}").hex[:22]
        self.files[fid] = FakeFile(fid, name, mime_type, data, conversation_id, project, created or self.tick(30.5))
        return fid

    def add_canvas(
        self,
        conversation_id: str,
        title: str,
        textdoc_type: str,
        versions: Sequence[str],
        *,
        textdoc_id: str | None = None,
        comments: Sequence[dict[str, Any]] = (),
    ) -> str:
        """A canvas of a conversation as ``…/textdocs`` reports it: ``versions`` oldest first (the last is the
        current text). Messages are not touched: bodies that hold the canmore calls come from the caller."""
        tid = textdoc_id or uuid.uuid5(_NS, f"textdoc/{conversation_id}/{title}").hex[:24]
        self.textdocs.setdefault(conversation_id, []).append(
            FakeTextdoc(tid, title, textdoc_type, list(versions), list(comments), self.tick(12.5))
        )
        return tid

    def add_gpt(self, name: str, gpt_id: str | None = None, *, author: str = "Example Builder") -> str:
        """A custom GPT ``/gizmos/{id}`` knows (an id no conversation's GPT is in here answers 404: deleted)."""
        gid = gpt_id or "g-" + uuid.uuid5(_NS, f"gpt/{name}").hex[:9]
        self.gpts[gid] = (name, author)
        return gid

    # ---- memories and automations

    def add_memory(self, content: str, *, memory_id: str | None = None, when: float | None = None) -> dict[str, Any]:
        when = round(when, 6) if when is not None else self.tick(120.5)
        memory = {
            "id": memory_id or _uuid(f"memory/{len(self.memories)}/{content}"),
            "content": content,
            "created_timestamp": iso(when),
            "updated_at": iso(when),
        }
        self.memories.append(memory)
        return memory

    def add_automation(
        self,
        title: str,
        prompt: str,
        *,
        is_enabled: bool = True,
        schedule: str = "RRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
        next_run_times: Sequence[str] | None = None,
        automation_id: str | None = None,
    ) -> dict[str, Any]:
        created = self.tick(300.0)
        item = {
            "id": automation_id or "sched_" + uuid.uuid5(_NS, f"automation/{len(self.automations)}/{title}").hex,
            "title": title,
            "prompt": prompt,
            "is_enabled": is_enabled,
            "timing_mode": "scheduled",
            "next_run_times": list(next_run_times)
            if next_run_times is not None
            else ([iso(created + 86_400.0), iso(created + 2 * 86_400.0)] if is_enabled else []),
            "schedule": schedule,
            "default_timezone": "Europe/Lisbon",
            "created_at": iso(created),
            "last_run_time": None,
            "conversation_id": None,
        }
        self.automations.append(item)
        return item

    # ---- the export of the same account

    def export_conversations(self) -> list[dict[str, Any]]:
        """Every conversation (main, archive, projects), full bodies, newest first: what an export holds."""
        order = sorted(self.conversations.values(), key=lambda b: (-(b.get("update_time") or 0.0), b["id"]))
        return copy.deepcopy(order)

    def write_export_zip(self, path: str | os.PathLike[str], *, split_every: int | None = None) -> Path:
        """The official export of this account: ``conversations.json`` (or, with ``split_every=N``, the 2026
        form ``conversations-000.json``… of N each), ``user.json`` and the usual small side files."""
        path = Path(path)
        bodies = self.export_conversations()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            if split_every:
                for n, i in enumerate(range(0, max(len(bodies), 1), split_every)):
                    z.writestr(f"conversations-{n:03d}.json", json.dumps(bodies[i : i + split_every]))
            else:
                z.writestr("conversations.json", json.dumps(bodies))
            z.writestr("user.json", json.dumps({"id": self.user_id, "email": self.email, "chatgpt_plus_user": True}))
            for name in ("message_feedback.json", "model_comparisons.json", "shared_conversations.json"):
                z.writestr(name, "[]")
            z.writestr("chat.html", "<html><body>ChatGPT export (fake)</body></html>")
        return path


_WORDS = [
    "aardvark",
    "bagpipe",
    "quillwort",  # not "cobblestone": the sample export says "cobblestones", which is the same word
    "dirigible",
    "eucalyptus",
    "flamingo",
    "gazebo",
    "harpsichord",
    "iguana",
    "jacaranda",
    "kaleidoscope",
    "labyrinth",
    "marzipan",
    "nebula",
    "origami",
    "pelican",
    "quasar",
    "rhubarb",
    "saxophone",
    "trampoline",
    "ukulele",
    "vermilion",
    "walrus",
    "xylophone",
    "yodeling",
    "zeppelin",
    "anchovy",
    "brontosaurus",
    "catamaran",
    "dandelion",
    "escarpment",
    "falafel",
    "gondola",
    "hummingbird",
    "igloo",
    "jellyfish",
    "kumquat",
    "lighthouse",
    "mongoose",
    "narwhal",
    "ocelot",
    "pagoda",
    "quicksand",
    "rickshaw",
    "sarsaparilla",
    "tambourine",
]


_BRANCH_WORD = "persimmon"
_PROJECT_NAMES = ("Trip planning", "Home renovation", "Thesis writing", "Garden")


def _word(n: int) -> str:
    return _WORDS[n] if n < len(_WORDS) else f"{_WORDS[n % len(_WORDS)]}{n // len(_WORDS)}"


def sample_account(
    n_main: int = 5,
    n_archived: int = 2,
    n_projects: int = 2,
    per_project: int = 3,
    *,
    workspace_account_id: str | None = None,
) -> FakeAccount:
    """A small realistic account. Every conversation has a word of its own (``account.keywords[id]``) in its
    title, first question and first answer; the first main conversation also has an abandoned branch holding
    ``account.branch_keywords[id]``; the second main one (if any) is with a custom GPT. Plus 3 memories and 2
    automations (one paused). Deterministic: the same arguments give the same ids, texts and times."""
    account = FakeAccount(workspace_account_id=workspace_account_id)
    counter = itertools.count()

    def conversation(where: str, **kwargs: Any) -> dict[str, Any]:
        n = next(counter)
        word = _word(n)
        cid = _uuid(f"sample/{n}")
        extra: dict[str, Any] = {}
        if n == 0 and where == "main":
            bword = _BRANCH_WORD
            extra = dict(
                branch_at=2,
                branch_turns=[f"Actually, forget that: tell me about {bword} instead.", f"About {bword}: noted."],
            )
            account.branch_keywords[cid] = bword
        body = account.add_conversation(
            [
                f"Tell me something about {word}, please.",
                f"Here is a fact about {word}: it is a fine word to search for.",
                "Thanks! Can you summarise that in one line?",
                "Sure: a short summary in one line.",
            ],
            title=f"{word.capitalize()} questions",
            conversation_id=cid,
            **extra,
            **kwargs,
        )
        account.keywords[body["id"]] = word
        return body

    for i in range(n_main):
        conversation("main", gizmo_id="g-FakeGpt1234" if i == 1 else None)
    for _ in range(n_archived):
        conversation("archive", archived=True)
    for p in range(n_projects):
        pid = account.add_project(_PROJECT_NAMES[p] if p < len(_PROJECT_NAMES) else f"Project {p + 1}")
        for _ in range(per_project):
            conversation(pid, project=pid)
    account.add_memory("Prefers metric units and answers in British English.")
    account.add_memory("Is learning Portuguese before a trip to Lisbon.")
    account.add_memory("Keeps a sourdough starter called Bubbles.")
    account.add_automation("Morning briefing", "Summarise the news about astronomy every morning.")
    account.add_automation("Weekly review", "Remind me to review my notes.", is_enabled=False)
    return account


def export_account() -> FakeAccount:
    """The account of ``examples/sample-export.zip`` as the backend serves it: the export's 24 conversations (its
    project chats in their projects, now named), the names of its projects and of its custom GPT (the other GPT
    is deleted: 404), its files behind the download endpoints (same ids, same bytes; the pointers it has no file
    for are missing here too) and the candle canvas behind ``…/textdocs``. ``tests/sample.py`` holds the facts.
    What a sync adds to an import of the export: the names, the files, the canvas' current text."""
    import sample  # tests/sample.py: read lazily, so the fake itself needs nothing beside it

    account = FakeAccount(user_id="user-AlexExample00000000000", email="alex.example@example.com")
    with zipfile.ZipFile(sample.SAMPLE) as z:
        for name in sorted(n for n in z.namelist() if re.fullmatch(r"conversations-\d+\.json", n)):
            for body in json.loads(z.read(name)):
                account.conversations[body.get("id") or body["conversation_id"]] = body
        for f in sample.FILES.values():
            account.add_file(z.read(f.entry), f.name, f.mime_type, file_id=f.file_id, conversation_id=f.conversation_id)
    times = [b.get("update_time") or b.get("create_time") or 0.0 for b in account.conversations.values()]
    account.clock = round(max(times), 6)
    for pid, name in sample.PROJECT_NAMES.items():
        account.add_project(name, pid)
    for gid, name in sample.GPT_NAMES.items():
        account.add_gpt(name, gid)
    account.add_canvas(
        sample.CANDLE_CANVAS,
        sample.CANVAS_TITLE,
        sample.CANVAS_TYPE,
        sample.CANVAS_VERSIONS,
        textdoc_id=sample.CANVAS_TEXTDOC_ID,
        comments=[
            {
                "id": "cmt_" + uuid.uuid5(_NS, "sample/canvas/comment").hex[:12],
                "pattern": sample.CANVAS_COMMENT[0],
                "comment": sample.CANVAS_COMMENT[1],
            }
        ],
    )
    return account


# --------------------------------------------------------------------------------------------------- backend


@dataclass
class RecordedRequest:
    """One request as the fake saw it. ``headers`` keys are lower case; ``query`` keeps the last value of each
    name (``query_all`` all of them). ``status`` is the answer's (``None`` while pending, ``0`` if dropped)."""

    method: str
    path: str
    query: dict[str, str]
    query_all: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    status: int | None = None
    time: float = 0.0
    #: The body parsed as JSON (``None`` when empty or not JSON).
    json_body: Any = None


FaultKind = Literal["429", "cloudflare", "status", "drop", "slow", "cut", "reset", "stream_error"]
#: Faults of a send that apply after the turn is recorded (the others apply before anything is looked at).
_AFTER_DISPATCH: frozenset[str] = frozenset({"cut", "reset", "stream_error"})


@dataclass
class Fault:
    """A scheduled failure for requests whose path matches ``path`` (an ``fnmatch`` pattern on the path without
    its query, ``*`` crossing ``/``) and, if set, ``method``. ``count``: how many matching requests it hits
    (``None``: all until cleared). ``hits`` counts those it did. ``cut``, ``reset`` and ``stream_error`` only
    act on a valid send (``POST /backend-api/f/conversation``) after its turn is recorded, and only such a send
    counts as a hit; ``after_events`` is where ``cut`` ends the stream, ``message`` what ``stream_error`` says.
    ``after``: the first that many matching requests pass untouched (counted in ``passed``), then it strikes (a
    backend that fails half-way through a sync)."""

    kind: FaultKind
    path: str = "/backend-api/*"
    count: int | None = 1
    method: str | None = None
    retry_after: float | str = 1
    status: int = 503
    delay: float = 0.0
    after_events: int = 6
    message: str = "Something went wrong while generating the response."
    after: int = 0
    hits: int = 0
    passed: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this request is one the fault strikes (a matching request it lets pass counts as passed)."""
        if self.count is not None and self.hits >= self.count:
            return False
        if not ((self.method is None or self.method == method) and fnmatch.fnmatchcase(path, self.path)):
            return False
        if self.passed < self.after:
            self.passed += 1
            return False
        return True


_CLOUDFLARE_HTML = """<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div>
</noscript><div id="cf-please-wait">Please wait while we verify your browser...</div></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'chatgpt.com',cType: 'managed'};}());</script>
</body></html>"""

_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def _json(status: int, obj: Any, headers: Iterable[tuple[str, str]] = ()) -> _Response:
    return _Response(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json", list(headers))


def _detail(status: int, detail: Any) -> _Response:
    return _json(status, {"detail": detail})


def _invalid(loc: str, msg: str, value: str | None, kind: str = "value_error", **ctx: Any) -> _Response:
    error: dict[str, Any] = {"type": kind, "loc": ["query", loc], "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return _json(422, {"detail": [error]})


@dataclass
class _Stream:
    """An SSE answer: each event's bytes with the seconds to wait before sending it; sent chunked, flushed per
    event, then the closing chunk (a clean end of the body, whether or not the events say the answer is done)."""

    events: list[tuple[float, bytes]]
    headers: list[tuple[str, str]] = field(default_factory=list)


def _sse(data: Any, event: str | None = None) -> bytes:
    """One SSE event; ``data`` is JSON-encoded unless it is already a string."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


def _pieces(text: str, words: int = 2) -> list[str]:
    """The answer cut into streamed pieces of a few words each (their concatenation is ``text``)."""
    tokens = re.findall(r"\S+\s*|\s+", text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [""]


def default_answer(text: str) -> str:
    """The fake's default answer to ``text``: deterministic, long enough to stream in several pieces."""
    return f"Fake answer to: {text}\n\nIt arrives in several pieces, as a streamed answer does. That is all for now."


def default_title(text: str) -> str:
    """The fake's default title for a new chat: the first words of the question."""
    title = " ".join(text.split()[:6])
    if len(title) > 60:
        title = title[:59].rstrip() + "…"
    return title[:1].upper() + title[1:] if title else "New chat"


_DROP = object()
_RESET = object()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudflare"
    sys_version = ""
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _dispatch(self) -> None:
        backend: FakeBackend = self.server.fake  # type: ignore[attr-defined]
        backend._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeBackend) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.fake.errors.append(sys.exc_info()[1] or RuntimeError("unknown server error"))


@dataclass
class _Token:
    exp: int
    revoked: bool = False


@dataclass
class _Prepared:
    challenge: str | None
    finalized: bool = False


@dataclass
class _Requirements:
    expire_at: int
    used: bool = False


class FakeBackend:
    """The fake backend serving ``account``. See the module docstring; every option is keyword-only.

    Options:
      ``session_token``: the initial cookie value (default ``FAKE-SESSION-<hex>`` of ``session_token_length``).
      ``session_token_length`` (900): > :data:`COOKIE_CHUNK_SIZE` makes the split-cookie form the natural one.
      ``split_cookie`` (None = auto, by length): whether :attr:`session_cookies` / ``Set-Cookie`` use
        ``<name>.0``, ``<name>.1``…; the server accepts both forms regardless.
      ``cookie_name`` (``__Secure-next-auth.session-token``).
      ``rotate_session`` (False): every valid session call sets a new cookie value; the old one is then refused
        (unless ``accept_old_sessions=True``).
      ``cookie_secure`` (True): the ``Secure`` attribute on ``Set-Cookie``. A cookie jar (httpx's included) does
        not send a ``Secure`` cookie back over ``http://``; False lets a jar-based client follow rotation here.
      ``token_lifetime`` (10 days, seconds): the JWT ``exp`` is ``now + token_lifetime`` on the fake clock.
      ``revoke_old_tokens`` (False): issuing a token invalidates those issued before.
      ``require_account_id`` (None = when ``account.workspace_account_id`` is set).
      ``memories_key`` (``"memories"``; or ``"memory_entries"``).
      ``projects_page_size`` (2): projects per sidebar page. ``project_page_size`` (2): conversations per page of
        ``/gizmos/<id>/conversations``.
      ``default_limit`` (28), ``max_limit`` (100) for the conversation list.
      ``lying_total`` (True): while more pages remain, ``total`` is ``len(items) + 1``; on the last page the
        true count. False: always the true count.
      ``blocked_user_agents`` (()): substrings of ``User-Agent`` that always get the Cloudflare 403.
      ``clock``: a ``() -> float`` for "now" (default: ``time.time() + offset``, moved by :meth:`advance`).
    Sending (each also an attribute of the same name, which a test may change at any time):
      ``challenge`` (None): ``"proofofwork"`` or ``"turnstile"``: what the sentinel demands (``required: true``);
        finalize then always fails (the fake knows no solution). None: neither is required.
      ``models`` (:data:`DEFAULT_MODELS`): the ``model`` values a send may name (a set); others get 422.
      ``answer_for`` (:func:`default_answer`): ``question -> answer text``.
      ``title_for`` (:func:`default_title`): ``question -> the title of a new chat``.
      ``replay_history`` (True): a follow-up's stream first replays the parent message (as the real one does).
      ``stream_delay`` (0.0): seconds between two streamed pieces of the answer.
    Files and names:
      ``sidebar_shape`` (``"nested"``): ``item.gizmo.gizmo`` (as today's web app), or ``"flat"``: ``item.gizmo`` is
        the gizmo itself (the older shape some tools read). ``sidebar_gpts`` (False): the sidebar also lists the
        account's custom GPTs after its projects (a client must tell them apart by ``g-p-``).
      ``download_url_lifetime`` (300 s on the fake clock): how long a signed ``download_url`` works.
      ``relative_download_urls`` (False): the ``download_url`` is a path on this server (``/backend-api/estuary/…``)
        rather than an absolute URL (a client resolves it against the base URL).
      ``download_error_status`` (404): the HTTP status of the download endpoint's ``{status: "error", …}`` (some
        builds answer it with 200).
    """

    def __init__(
        self,
        account: FakeAccount | None = None,
        *,
        session_token: str | None = None,
        session_token_length: int = 900,
        split_cookie: bool | None = None,
        cookie_name: str = SESSION_COOKIE,
        rotate_session: bool = False,
        accept_old_sessions: bool = False,
        cookie_secure: bool = True,
        token_lifetime: float = 10 * 86_400.0,
        revoke_old_tokens: bool = False,
        require_account_id: bool | None = None,
        memories_key: Literal["memories", "memory_entries"] = "memories",
        projects_page_size: int = 2,
        project_page_size: int = 2,
        default_limit: int = 28,
        max_limit: int = 100,
        lying_total: bool = True,
        blocked_user_agents: Sequence[str] = (),
        faults: Iterable[Fault] = (),
        clock: Callable[[], float] | None = None,
        challenge: Literal["proofofwork", "turnstile"] | None = None,
        models: Iterable[str] = DEFAULT_MODELS,
        answer_for: Callable[[str], str] = default_answer,
        title_for: Callable[[str], str] = default_title,
        replay_history: bool = True,
        stream_delay: float = 0.0,
        sidebar_shape: Literal["nested", "flat"] = "nested",
        sidebar_gpts: bool = False,
        download_url_lifetime: float = 300.0,
        relative_download_urls: bool = False,
        download_error_status: int = 404,
    ) -> None:
        self.account = account if account is not None else sample_account()
        self.session_token_length = session_token_length
        self._session = session_token or self._new_session()
        self.split_cookie = split_cookie
        self.cookie_name = cookie_name
        self.rotate_session = rotate_session
        self.accept_old_sessions = accept_old_sessions
        self.cookie_secure = cookie_secure
        self.token_lifetime = token_lifetime
        self.revoke_old_tokens = revoke_old_tokens
        self.require_account_id = (
            require_account_id if require_account_id is not None else self.account.workspace_account_id is not None
        )
        self.memories_key = memories_key
        self.projects_page_size = projects_page_size
        self.project_page_size = project_page_size
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.lying_total = lying_total
        self.blocked_user_agents = tuple(blocked_user_agents)
        self.faults: list[Fault] = list(faults)
        self._clock = clock
        self._offset = 0.0
        self.challenge: Literal["proofofwork", "turnstile"] | None = challenge
        self.models: set[str] = set(models)
        self.answer_for = answer_for
        self.title_for = title_for
        self.replay_history = replay_history
        self.stream_delay = stream_delay
        self.sidebar_shape = sidebar_shape
        self.sidebar_gpts = sidebar_gpts
        self.download_url_lifetime = download_url_lifetime
        self.relative_download_urls = relative_download_urls
        self.download_error_status = download_error_status
        self._url_key = os.urandom(32)
        #: Every signed download URL issued, oldest first (secrets: a client must never log them).
        self.download_urls: list[str] = []
        #: One dict per send that was accepted (its turn recorded), in order: ``conversation_id``,
        #: ``user_message_id``, ``parent_message_id`` (as sent), ``assistant_message_id`` (None after a
        #: ``stream_error``), ``text``, ``model`` (as sent, may be None), ``model_slug`` (the one answering),
        #: ``answer`` (None after a ``stream_error``), ``new_conversation``, ``fault`` (the kind that hit, or None).
        self.sent_turns: list[dict[str, Any]] = []
        #: Tokens issued, oldest first: conduit (``f/conversation/prepare``), sentinel prepare and requirements
        #: (``chat-requirements/prepare`` / ``finalize``), and the streams' ``resume_conversation_token``.
        self.conduit_tokens: list[str] = []
        self.prepare_tokens: list[str] = []
        self.requirements_tokens: list[str] = []
        self.resume_tokens: list[str] = []
        self._prepared: dict[str, _Prepared] = {}
        self._requirements: dict[str, _Requirements] = {}
        #: Every request, in arrival order.
        self.requests: list[RecordedRequest] = []
        #: Exceptions raised while serving (a test may assert it is empty).
        self.errors: list[BaseException] = []
        #: Every access token issued, oldest first.
        self.access_tokens: list[str] = []
        #: Every session cookie value ever valid, oldest first (the last is the current one).
        self.session_tokens: list[str] = [self._session]
        self._tokens: dict[str, _Token] = {}
        self._expire_after: int | None = None
        self._cursors: dict[str, tuple[str, int]] = {}
        #: Held while a request reads the account; take it to mutate the account while requests are in flight.
        self.lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def start(self) -> FakeBackend:
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.02,), name="fake-backend", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            self._stopping.set()  # wakes slow answers
            server.shutdown()
            server.server_close()
            if self._thread is not None:
                self._thread.join(5)

    def __enter__(self) -> FakeBackend:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake backend is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the base URL (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    # ---- clock

    def now(self) -> float:
        return self._clock() if self._clock is not None else time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake clock (tokens whose ``exp`` passes are refused; a client's own clock does not move)."""
        self._offset += seconds

    # ---- session and tokens

    def _new_session(self) -> str:
        n = max(self.session_token_length - len(SESSION_MARKER), 16)
        return SESSION_MARKER + _secrets.token_hex((n + 1) // 2)[:n]

    @property
    def session_token(self) -> str:
        """The current session cookie value (whole)."""
        return self._session

    def _split(self) -> bool:
        return self.split_cookie if self.split_cookie is not None else len(self._session) > COOKIE_CHUNK_SIZE

    @property
    def session_cookies(self) -> dict[str, str]:
        """The cookies a logged-in browser holds now: ``{name: value}``, or ``{name.0: …, name.1: …}`` split."""
        if not self._split():
            return {self.cookie_name: self._session}
        chunks = [self._session[i : i + COOKIE_CHUNK_SIZE] for i in range(0, len(self._session), COOKIE_CHUNK_SIZE)]
        if len(chunks) == 1:  # a forced split of a short value still gives two parts
            half = len(self._session) // 2
            chunks = [self._session[:half], self._session[half:]]
        return {f"{self.cookie_name}.{i}": chunk for i, chunk in enumerate(chunks)}

    @property
    def cookie_header(self) -> str:
        """A ``Cookie`` header value carrying :attr:`session_cookies`."""
        return "; ".join(f"{k}={v}" for k, v in self.session_cookies.items())

    def set_session_token(self, value: str) -> None:
        """Replace the valid session (e.g. to simulate a logout elsewhere: the old cookie stops working)."""
        self._session = value
        self.session_tokens.append(value)

    def issue_access_token(self) -> str:
        """A new access token (what ``/api/auth/session`` returns), valid for ``token_lifetime``."""
        now = self.now()
        exp = int(now + self.token_lifetime)
        auth: dict[str, Any] = {"user_id": self.account.user_id, "chatgpt_plan_type": self.account.plan_type}
        if self.account.workspace_account_id:
            auth["chatgpt_account_id"] = self.account.workspace_account_id
        payload = {
            "aud": ["https://api.openai.com/v1"],
            "client_id": "app_FAKEclientid0000000000",
            "exp": exp,
            "https://api.openai.com/auth": auth,
            "https://api.openai.com/profile": {"email": self.account.email, "email_verified": True},
            "iat": int(now),
            "iss": "https://auth.openai.com",
            "jti": str(uuid.uuid4()),
            "nbf": int(now),
            "pwd_auth_time": int(now * 1000),
            "scp": ["openid", "email", "profile", "offline_access", "model.request", "model.read"],
            "session_id": "authsess_" + _secrets.token_hex(12),
            "sub": "auth0|" + self.account.user_id,
        }
        header = {"alg": "RS256", "kid": "fake-kid-0", "typ": "JWT"}
        signature = _SIGNATURE_PREFIX + os.urandom(222)
        token = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)) + (
            "." + _b64url(signature)
        )
        with self.lock:
            if self.revoke_old_tokens:
                for t in self._tokens.values():
                    t.revoked = True
            self._tokens[token] = _Token(exp)
            self.access_tokens.append(token)
        return token

    def expire_tokens(self) -> None:
        """Every access token issued so far is refused from now on (401)."""
        with self.lock:
            for t in self._tokens.values():
                t.revoked = True

    def expire_token_after(self, n: int) -> None:
        """The next ``n`` authenticated backend requests succeed; then every token issued so far is refused."""
        self._expire_after = n

    def token_valid(self, token: str) -> bool:
        t = self._tokens.get(token)
        return t is not None and not t.revoked and self.now() < t.exp

    def secrets(self) -> list[str]:
        """Every secret ever issued: session values (and their cookie chunks), access tokens, and the send's
        conduit, sentinel (prepare, requirements) and resume tokens."""
        found = list(self.session_tokens) + list(self.access_tokens)
        if self._split():
            found += list(self.session_cookies.values())
        found += self.conduit_tokens + self.prepare_tokens + self.requirements_tokens + self.resume_tokens
        found += [url.rsplit("sig=", 1)[-1] for url in self.download_urls]
        return found

    # ---- faults

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def fail_429(self, path: str = "/backend-api/*", count: int | None = 1, retry_after: float | str = 1) -> Fault:
        """429 ``{"detail": …}`` with ``Retry-After: <retry_after>`` for the next ``count`` matching requests."""
        return self.add_fault(Fault("429", path, count, retry_after=retry_after))

    def fail_cloudflare(self, path: str = "/backend-api/*", count: int | None = 1) -> Fault:
        """403 with Cloudflare's HTML challenge page (``cf-please-wait``, ``text/html``, ``cf-mitigated``)."""
        return self.add_fault(Fault("cloudflare", path, count))

    def fail_status(
        self, status: int = 503, path: str = "/backend-api/*", count: int | None = 1, *, after: int = 0
    ) -> Fault:
        """``status`` (500: JSON ``{"detail": …}``; 502/503/504: a small HTML page) for the next ``count``, once
        ``after`` matching requests have passed."""
        return self.add_fault(Fault("status", path, count, status=status, after=after))

    def drop_connection(self, path: str = "/backend-api/*", count: int | None = 1) -> Fault:
        """Close the socket without any response (httpx: ``RemoteProtocolError``)."""
        return self.add_fault(Fault("drop", path, count))

    def slow(self, delay: float, path: str = "/backend-api/*", count: int | None = 1) -> Fault:
        """Sleep ``delay`` seconds, then answer normally (other faults may still apply)."""
        return self.add_fault(Fault("slow", path, count, delay=delay))

    def cut_stream(self, after_events: int = 6, path: str = SEND_PATH, count: int | None = 1) -> Fault:
        """A valid send is recorded and streamed normally for ``after_events`` SSE events, then the body ends
        cleanly (no completion, no ``[DONE]``): the client sees EOF before the answer is complete."""
        return self.add_fault(Fault("cut", path, count, method="POST", after_events=after_events))

    def reset_after_dispatch(self, path: str = SEND_PATH, count: int | None = 1) -> Fault:
        """A valid send is read and its turn recorded, then the connection is reset (RST) before any response
        byte: the outcome is unknown to the client."""
        return self.add_fault(Fault("reset", path, count, method="POST"))

    def stream_error(self, message: str, count: int | None = 1, path: str = SEND_PATH) -> Fault:
        """A valid send records the user's message only (no answer: as after the real "Something went wrong"),
        streams up to the assistant's ``add``, then an error event carrying ``message``, then ends."""
        return self.add_fault(Fault("stream_error", path, count, method="POST", message=message))

    def clear_faults(self) -> None:
        self.faults.clear()
        self._expire_after = None

    # ---- assertions

    def requests_to(self, pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path matches ``pattern`` (``fnmatch``)."""
        return [
            r
            for r in list(self.requests)
            if fnmatch.fnmatchcase(r.path, pattern) and (method is None or r.method == method)
        ]

    def clear_requests(self) -> None:
        self.requests.clear()

    # ---- serving

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        split = urlsplit(h.path)
        query_all = parse_qs(split.query, keep_blank_values=True)
        headers: dict[str, str] = {}
        for k, v in h.headers.items():
            k = k.lower()
            if k in headers:
                v = headers[k] + ("; " if k == "cookie" else ", ") + v
            headers[k] = v
        length = int(headers.get("content-length") or 0)
        body = h.rfile.read(length) if length > 0 else b""
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None
        rec = RecordedRequest(
            method=h.command,
            path=split.path,
            query={k: v[-1] for k, v in query_all.items()},
            query_all=query_all,
            headers=headers,
            body=body,
            time=time.time(),
            json_body=parsed,
        )
        self.requests.append(rec)
        try:
            response = self._respond(rec)
        except Exception as exc:  # a bug in the fake: answer 500 and keep it for the test to see
            self.errors.append(exc)
            response = _detail(500, f"fake backend error: {exc!r}")
        if response is _DROP:
            rec.status = 0
            h.close_connection = True
            return
        if response is _RESET:
            rec.status = 0
            h.close_connection = True
            self._reset(h)
            return
        if isinstance(response, _Stream):
            rec.status = 200
            self._write_stream(h, response)
            return
        assert isinstance(response, _Response)
        rec.status = response.status
        h.send_response(response.status)
        h.send_header("Content-Type", response.content_type)
        h.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            h.send_header(name, value)
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(response.body)

    def _reset(self, h: BaseHTTPRequestHandler) -> None:
        """Reset the connection: SO_LINGER 0 then close, so the peer gets an RST instead of a FIN."""
        sock = h.connection
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        h.rfile.close()  # the socket's last reference: the descriptor closes now (with the RST)

    def _write_stream(self, h: BaseHTTPRequestHandler, stream: _Stream) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache")
        for name, value in stream.headers:
            h.send_header(name, value)
        h.end_headers()
        try:
            for delay, data in stream.events:
                if delay > 0 and self._stopping.wait(delay):
                    h.close_connection = True  # stopping: leave the body unfinished
                    return
                h.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
            h.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away mid-stream
            h.close_connection = True

    def _respond(self, rec: RecordedRequest) -> _Response | _Stream | object:
        ua = rec.headers.get("user-agent", "")
        if any(s in ua for s in self.blocked_user_agents):
            return self._cloudflare()
        with self.lock:  # claim the faults that apply (counts stay exact under concurrent requests)
            claimed: list[Fault] = []
            for fault in self.faults:  # every slow one that applies, then the first other
                if fault.kind not in _AFTER_DISPATCH and fault.matches(rec.method, rec.path):
                    fault.hits += 1
                    claimed.append(fault)
                    if fault.kind != "slow":
                        break
        for fault in claimed:
            if fault.kind == "slow":
                self._stopping.wait(fault.delay)
                continue
            if fault.kind == "429":
                headers = [("Retry-After", str(fault.retry_after))]
                return _json(429, {"detail": "Too many requests. Please slow down."}, headers)
            if fault.kind == "cloudflare":
                return self._cloudflare()
            if fault.kind == "drop":
                return _DROP
            if fault.kind == "status":
                if fault.status == 500:
                    return _detail(500, "Internal server error")
                text = _STATUS_TEXT.get(fault.status, "Error")
                page = f"<html><head><title>{fault.status} {text}</title></head><body><h1>{text}</h1></body></html>"
                return _Response(fault.status, page.encode(), "text/html; charset=UTF-8")
        if rec.path == "/api/auth/session":
            return self._session_endpoint(rec)
        if rec.path == "/backend-api/estuary/content" and rec.method == "GET":  # a signed URL: no bearer needed
            with self.lock:
                return self._content(rec)
        if rec.path.startswith("/backend-api/"):
            post = self._POST_ROUTES.get(rec.path)
            if rec.method != ("POST" if post else "GET"):
                return _detail(405, "Method Not Allowed")
            denied = self._authorize(rec)
            if denied is not None:
                return denied
            with self.lock:
                return getattr(self, post)(rec) if post else self._route(rec)
        return _detail(404, "Not Found")

    @staticmethod
    def _cloudflare() -> _Response:
        return _Response(
            403,
            _CLOUDFLARE_HTML.encode(),
            "text/html; charset=UTF-8",
            [("cf-mitigated", "challenge"), ("cf-ray", "8c0ffee0ddba11-LIS"), ("Cache-Control", "no-cache")],
        )

    def _cookies(self, rec: RecordedRequest) -> dict[str, str]:
        jar: dict[str, str] = {}
        for part in rec.headers.get("cookie", "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                jar[name.strip()] = value.strip()
        return jar

    def _session_from(self, rec: RecordedRequest) -> str | None:
        jar = self._cookies(rec)
        if self.cookie_name in jar:
            return jar[self.cookie_name]
        chunks = []
        for i in itertools.count():
            chunk = jar.get(f"{self.cookie_name}.{i}")
            if chunk is None:
                break
            chunks.append(chunk)
        return "".join(chunks) or None

    def _session_endpoint(self, rec: RecordedRequest) -> _Response:
        sent = self._session_from(rec)
        with self.lock:
            valid = sent is not None and (
                sent == self._session or (self.accept_old_sessions and sent in self.session_tokens)
            )
            if not valid:
                return _json(200, {})
            headers: list[tuple[str, str]] = []
            if self.rotate_session:
                self.set_session_token(self._new_session())
                for name, value in self.session_cookies.items():
                    secure = "; Secure" if self.cookie_secure else ""
                    headers.append(("Set-Cookie", f"{name}={value}; Path=/; HttpOnly{secure}; SameSite=Lax"))
        now = self.now()
        account: dict[str, Any]
        if self.account.workspace_account_id:
            account = {
                "id": self.account.workspace_account_id,
                "planType": "team",
                "structure": "workspace",
                "workspaceType": None,
                "organizationId": "org-fakeworkspace",
            }
        else:
            account = {"id": _uuid(f"account/{self.account.user_id}"), "planType": self.account.plan_type}
            account["structure"] = "personal"
        return _json(
            200,
            {
                "user": {
                    "id": self.account.user_id,
                    "name": self.account.name,
                    "email": self.account.email,
                    "image": None,
                    "picture": None,
                    "idp": "auth0",
                    "iat": int(now),
                    "mfa": False,
                },
                "expires": _iso_ms(now + 30 * 86_400.0),
                "account": account,
                "accessToken": self.issue_access_token(),
                "authProvider": "openai",
            },
            headers,
        )

    def _authorize(self, rec: RecordedRequest) -> _Response | None:
        auth = rec.headers.get("authorization")
        if not auth:
            if rec.path.startswith("/backend-api/conversation/"):  # a cookie alone: "not found" on reads
                return _detail(404, "Conversation not found")
            return _detail(401, "Unauthorized - Access token is missing")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return _detail(401, "Could not parse your authentication token. Please try signing in again.")
        with self.lock:
            if not self.token_valid(token):
                if token in self._tokens:
                    return _detail(401, "Your authentication token has expired. Please try signing in again.")
                return _detail(401, "Could not parse your authentication token. Please try signing in again.")
            if self._expire_after is not None:
                if self._expire_after <= 0:
                    self._expire_after = None
                    for t in self._tokens.values():
                        t.revoked = True
                    return _detail(401, "Your authentication token has expired. Please try signing in again.")
                self._expire_after -= 1
        if self.require_account_id:
            sent = rec.headers.get("chatgpt-account-id")
            if sent != self.account.workspace_account_id:
                return _detail(403, "You do not have access to this workspace (chatgpt-account-id missing or wrong).")
        return None

    # ---- routes (under self.lock)

    def _route(self, rec: RecordedRequest) -> _Response:
        path = rec.path
        if path == "/backend-api/conversations":
            return self._list(rec)
        if path == "/backend-api/gizmos/snorlax/sidebar":
            return self._sidebar(rec)
        m = re.fullmatch(r"/backend-api/gizmos/([^/]+)/conversations", path)
        if m:
            return self._project_list(rec, m.group(1))
        m = re.fullmatch(r"/backend-api/files/download/([^/]+)", path)
        if m:
            return self._download(rec, m.group(1))
        m = re.fullmatch(r"/backend-api/files/([^/]+)/download", path)
        if m:
            return self._old_download(rec, m.group(1))
        m = re.fullmatch(r"/backend-api/conversation/([^/]+)/textdocs", path)
        if m:
            return self._textdocs(m.group(1))
        m = re.fullmatch(r"/backend-api/textdoc/([^/]+)/history", path)
        if m:
            return self._textdoc_history(rec, m.group(1))
        m = re.fullmatch(r"/backend-api/gizmos/([^/]+)", path)
        if m and m.group(1) != "snorlax":
            return self._gizmo(m.group(1))
        m = re.fullmatch(r"/backend-api/conversation/([^/]+)", path)
        if m:
            body = self.account.conversations.get(m.group(1))
            if body is None:
                return _detail(404, {"message": "Conversation not found", "code": "conversation_not_found"})
            return _json(200, body)
        if path == "/backend-api/memories":
            return self._memories(rec)
        if path == "/backend-api/automations":
            return self._automations(rec)
        return _detail(404, "Not Found")

    def _summary(self, cid: str) -> dict[str, Any]:
        b = self.account.conversations[cid]
        return {
            "id": cid,
            "title": b.get("title"),
            "create_time": iso(b["create_time"]) if b.get("create_time") is not None else None,
            "update_time": iso(b["update_time"]) if b.get("update_time") is not None else None,
            "mapping": None,
            "current_node": None,
            "conversation_template_id": b.get("conversation_template_id"),
            "gizmo_id": b.get("gizmo_id"),
            "is_archived": bool(b.get("is_archived")),
            "is_starred": b.get("is_starred"),
            "is_do_not_remember": b.get("is_do_not_remember"),
            "memory_scope": b.get("memory_scope"),
            "workspace_id": self.account.workspace_account_id,
            "async_status": None,
            "safe_urls": [],
            "blocked_urls": [],
            "conversation_origin": None,
            "snippet": None,
        }

    def _int_param(self, rec: RecordedRequest, name: str, default: int) -> int | _Response:
        raw = rec.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            return _invalid(
                name, "Input should be a valid integer, unable to parse string as an integer", raw, "int_parsing"
            )

    def _list(self, rec: RecordedRequest) -> _Response:
        offset = self._int_param(rec, "offset", 0)
        if isinstance(offset, _Response):
            return offset
        limit = self._int_param(rec, "limit", self.default_limit)
        if isinstance(limit, _Response):
            return limit
        if limit > self.max_limit:
            return _invalid(
                "limit",
                f"Input should be less than or equal to {self.max_limit}",
                rec.query.get("limit"),
                "less_than_equal",
                le=self.max_limit,
            )
        if limit < 1:
            return _invalid("limit", "Input should be greater than 0", rec.query.get("limit"), "greater_than", gt=0)
        if offset < 0:
            return _invalid("offset", "Input should be greater than or equal to 0", rec.query.get("offset"), "ge")
        order = rec.query.get("order", "updated")
        if order not in ("updated", "created"):
            return _invalid("order", "Input should be 'created' or 'updated'", order, "enum")
        archived = rec.query.get("is_archived", "false").lower() == "true"
        ids = self.account.ids_in("archive" if archived else "main")
        if order == "created":
            convs = self.account.conversations
            ids.sort(key=lambda c: (-(convs[c].get("create_time") or 0.0), c))
        page = ids[offset : offset + limit]
        more = offset + len(page) < len(ids)
        total = len(page) + 1 if (more and self.lying_total) else len(ids)
        return _json(
            200,
            {
                "items": [self._summary(c) for c in page],
                "total": total,
                "limit": limit,
                "offset": offset,
                "has_missing_conversations": False,
            },
        )

    def _cursor(self, kind: str, offset: int) -> str:
        token = base64.urlsafe_b64encode(os.urandom(18)).decode()
        self._cursors[token] = (kind, offset)
        return token

    def _resolve_cursor(self, kind: str, raw: str | None) -> int | None:
        if raw is None or raw in ("", "0"):
            return 0
        found = self._cursors.get(raw)
        if found is None or found[0] != kind:
            return None
        return found[1]

    def _sidebar(self, rec: RecordedRequest) -> _Response:
        per_gizmo = self._int_param(rec, "conversations_per_gizmo", 5)
        if isinstance(per_gizmo, _Response):
            return per_gizmo
        start = self._resolve_cursor("sidebar", rec.query.get("cursor"))
        if start is None:
            return _detail(400, "Invalid cursor")
        pids = list(self.account.projects) + (list(self.account.gpts) if self.sidebar_gpts else [])
        page = pids[start : start + self.projects_page_size]
        items = []
        for pid in page:
            ids = self.account.project_ids(pid) if pid in self.account.projects else []
            shown = ids[: max(per_gizmo, 0)]
            gizmo = self._gizmo_json(pid)
            wrapped = {"gizmo": gizmo, "tools": [], "files": self._gizmo_files(pid)}
            items.append(
                {
                    "gizmo": gizmo if self.sidebar_shape == "flat" else wrapped,
                    "conversations": {
                        "items": [self._summary(c) for c in shown],
                        "cursor": self._cursor(pid, len(shown)) if len(shown) < len(ids) and shown else None,
                    },
                }
            )
        end = start + len(page)
        return _json(200, {"items": items, "cursor": self._cursor("sidebar", end) if end < len(pids) else None})

    def _project_list(self, rec: RecordedRequest, pid: str) -> _Response:
        if pid not in self.account.projects:
            return _detail(404, "Gizmo not found")
        start = self._resolve_cursor(pid, rec.query.get("cursor"))
        if start is None:
            return _detail(400, "Invalid cursor")
        ids = self.account.project_ids(pid)
        page = ids[start : start + self.project_page_size]
        end = start + len(page)
        return _json(
            200,
            {"items": [self._summary(c) for c in page], "cursor": self._cursor(pid, end) if end < len(ids) else None},
        )

    def _memories(self, rec: RecordedRequest) -> _Response:
        entries = copy.deepcopy(self.account.memories)
        include = rec.query.get("include_memory_entries", "false").lower() == "true"
        tokens = sum(int(len(m["content"].split()) * 1.3) + 1 for m in entries)
        return _json(
            200,
            {self.memories_key: entries if include else [], "memory_num_tokens": tokens, "memory_max_tokens": 10_000},
        )

    def _automations(self, rec: RecordedRequest) -> _Response:
        items = copy.deepcopy(self.account.automations)
        wanted = rec.query.get("filter")
        if wanted == "scheduled":
            items = [a for a in items if a["is_enabled"] and a["next_run_times"]]
        elif wanted == "paused":
            items = [a for a in items if not a["is_enabled"]]
        elif wanted == "finished":
            items = [a for a in items if a["is_enabled"] and not a["next_run_times"]]
        elif wanted is not None:
            return _invalid("filter", "Input should be 'scheduled', 'paused' or 'finished'", wanted, "enum")
        return _json(200, {"items": items, "cursor": None})

    # ---- files, canvases, gizmos (under self.lock)

    def _file_for(self, rec: RecordedRequest, file_id: str) -> FakeFile | None:
        found = self.account.files.get(file_id)
        wanted = rec.query.get("conversation_id")
        if found is not None and wanted and found.conversation_id not in (None, wanted):
            return None  # not a file of that conversation: the real one says it is not accessible
        return found

    def _signed_url(self, f: FakeFile) -> str:
        ts = int(self.now())
        sig = self._signature(f.file_id, ts)
        path = f"/backend-api/estuary/content?id={f.file_id}&ts={ts}&p=fs&sig={sig}"
        url = path if self.relative_download_urls else self.url + path
        self.download_urls.append(url)
        return url

    def _signature(self, file_id: str, ts: int) -> str:
        return hmac.new(self._url_key, f"{file_id}:{ts}".encode(), hashlib.sha256).hexdigest()

    def _download(self, rec: RecordedRequest, file_id: str) -> _Response:
        f = self._file_for(rec, file_id)
        if f is None:
            error = {"status": "error", "error_code": "file_not_found", "error_message": "File not found."}
            return _json(self.download_error_status, error)
        return _json(
            200,
            {
                "status": "success",
                "download_url": self._signed_url(f),
                "metadata": {},
                "file_name": f.name,
                "creation_time": _iso_ms(f.created),
                "file_size_bytes": len(f.data),
                "mime_type": f.mime_type,
            },
        )

    def _old_download(self, rec: RecordedRequest, file_id: str) -> _Response:
        f = self._file_for(rec, file_id)
        if f is None:
            return _detail(404, "File not found")
        return _json(
            200, {"status": "success", "download_url": self._signed_url(f), "metadata": {}, "file_name": f.name}
        )

    def _content(self, rec: RecordedRequest) -> _Response:
        """``GET {download_url}``: the bytes, for a signature the fake issued and not yet expired."""
        file_id, ts, sig = rec.query.get("id", ""), rec.query.get("ts", ""), rec.query.get("sig", "")
        f = self.account.files.get(file_id)
        if f is None or not ts.isdigit() or not hmac.compare_digest(sig, self._signature(file_id, int(ts))):
            return _detail(403, "Invalid signature")
        if self.now() >= int(ts) + self.download_url_lifetime:
            return _detail(403, "This download link has expired.")
        disposition = f"attachment; filename*=UTF-8''{quote(f.name)}"
        headers = [("Content-Disposition", disposition), ("Cache-Control", "private, max-age=0, no-store")]
        return _Response(200, f.data, f.mime_type, headers)

    def _textdoc_json(self, doc: FakeTextdoc, version: int) -> dict[str, Any]:
        return {
            "id": doc.textdoc_id,
            "version": version,
            "title": doc.title,
            "textdoc_type": doc.textdoc_type,
            "content": doc.versions[version - 1],
            "comments": copy.deepcopy(doc.comments) if version == len(doc.versions) else [],
            "updated_at": iso(doc.updated),
        }

    def _textdocs(self, cid: str) -> _Response:
        if cid not in self.account.conversations:
            return _detail(404, {"message": "Conversation not found", "code": "conversation_not_found"})
        docs = self.account.textdocs.get(cid, [])
        return _json(200, [self._textdoc_json(d, len(d.versions)) for d in docs])

    def _textdoc_history(self, rec: RecordedRequest, textdoc_id: str) -> _Response:
        doc = next((d for ds in self.account.textdocs.values() for d in ds if d.textdoc_id == textdoc_id), None)
        if doc is None:
            return _detail(404, "Textdoc not found")
        before = self._int_param(rec, "before_version", len(doc.versions) + 1)
        if isinstance(before, _Response):
            return before
        states = [self._textdoc_json(doc, v) for v in range(min(before, len(doc.versions) + 1) - 1, 0, -1)]
        return _json(200, {"previous_doc_states": states})

    def _gizmo_json(self, gid: str) -> dict[str, Any] | None:
        """The inner ``gizmo`` object of a project or custom GPT, or None if the fake knows no such gizmo."""
        account = self.account
        if gid in account.projects:
            name, kind, author = account.projects[gid], "snorlax", None
        elif gid in account.gpts:
            (name, author), kind = account.gpts[gid], "gpt"
        else:
            return None
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        display: dict[str, Any] = {"name": name, "description": "", "emoji": None, "theme": None}
        if kind == "gpt":
            display["profile_picture_url"] = None  # a picture is not what a history needs
        return {
            "id": gid,
            "organization_id": "org-fake",
            "short_url": f"{gid}-{slug}",
            "author": {"user_id": account.user_id if kind == "snorlax" else "user-builder", "display_name": author},
            "display": display,
            "gizmo_type": kind,
            "instructions": "",
            "memory_scope": "project_enabled" if kind == "snorlax" else None,
            "share_recipient": "private",
            "workspace_id": account.workspace_account_id,
            "created_at": _iso_ms(BASE_TIME),
            "updated_at": _iso_ms(account.clock),
        }

    def _gizmo_files(self, gid: str) -> list[dict[str, Any]]:
        return [
            {
                "id": f"gzm_cnf_{f.file_id[-12:]}",
                "file_id": f.file_id,
                "name": f.name,
                "type": f.mime_type,
                "size": len(f.data),
            }
            for f in self.account.files.values()
            if f.project == gid
        ]

    def _gizmo(self, gid: str) -> _Response:
        gizmo = self._gizmo_json(gid)
        if gizmo is None:
            return _detail(404, "Gizmo not found")
        return _json(200, {"gizmo": gizmo, "files": self._gizmo_files(gid), "tools": []})

    # ---- sending (under self.lock)

    _POST_ROUTES: ClassVar[dict[str, str]] = {
        "/backend-api/f/conversation/prepare": "_conversation_prepare",
        "/backend-api/sentinel/chat-requirements/prepare": "_sentinel_prepare",
        "/backend-api/sentinel/chat-requirements/finalize": "_sentinel_finalize",
        SEND_PATH: "_send",
    }

    def _jwt_like(self, payload: dict[str, Any], lifetime: int) -> str:
        """An opaque ES256-shaped JWT (conduit and resume tokens): the client never reads it."""
        now = int(self.now())
        parts = ({"alg": "ES256", "typ": "JWT"}, {**payload, "iat": now, "exp": now + lifetime})
        head = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in parts)
        return head + "." + _b64url(os.urandom(64))

    def _conduit_payload(self) -> dict[str, Any]:
        return {"conduit_uuid": uuid.uuid4().hex, "conduit_location": "10.0.0.1:8304", "cluster": "fake-0"}

    def _persona(self) -> str:
        return "chatgpt-freeaccount" if self.account.plan_type == "free" else "chatgpt-paid"

    def _conversation_prepare(self, rec: RecordedRequest) -> _Response:
        body = rec.json_body
        if not isinstance(body, dict):
            return _detail(400, "The request body must be a JSON object.")
        cid = body.get("conversation_id")
        if cid is not None and cid not in self.account.conversations:
            return _detail(404, "Conversation not found")
        token = self._jwt_like(self._conduit_payload(), 60)
        self.conduit_tokens.append(token)
        return _json(200, {"status": "ok", "conduit_token": token})

    def _sentinel_prepare(self, rec: RecordedRequest) -> _Response:
        if rec.body and not isinstance(rec.json_body, dict):
            return _detail(400, "The request body must be a JSON object.")
        token = SENTINEL_MARKER + "prepare-" + _secrets.token_urlsafe(96)
        self._prepared[token] = _Prepared(self.challenge)
        self.prepare_tokens.append(token)
        return _json(
            200,
            {
                "persona": self._persona(),
                "prepare_token": token,
                "turnstile": {"required": self.challenge == "turnstile", "dx": _b64url(os.urandom(96))},
                "proofofwork": {
                    "required": self.challenge == "proofofwork",
                    "seed": f"0.{_secrets.randbelow(10**16):016d}",
                    "difficulty": "0fffff",
                },
            },
        )

    def _sentinel_finalize(self, rec: RecordedRequest) -> _Response:
        body = rec.json_body if isinstance(rec.json_body, dict) else {}
        sent = body.get("prepare_token")
        prepared = self._prepared.get(sent) if isinstance(sent, str) else None
        if prepared is None or prepared.finalized:
            return _detail(403, "Invalid prepare token")
        if prepared.challenge == "proofofwork":
            return _detail(403, "Proof of work required: the challenge was not solved.")
        if prepared.challenge is not None:
            return _detail(403, "Turnstile verification required: the challenge was not solved.")
        prepared.finalized = True
        expire_at = int(self.now()) + REQUIREMENTS_TOKEN_LIFETIME
        token = SENTINEL_MARKER + "requirements-" + _secrets.token_urlsafe(96)
        self._requirements[token] = _Requirements(expire_at)
        self.requirements_tokens.append(token)
        return _json(
            200,
            {
                "persona": self._persona(),
                "token": token,
                "expire_after": REQUIREMENTS_TOKEN_LIFETIME,
                "expire_at": expire_at,
            },
        )

    def _send(self, rec: RecordedRequest) -> _Response | _Stream | object:
        """``POST /backend-api/f/conversation``: check, record the turn, then answer with the stream."""
        sent = rec.headers.get("openai-sentinel-chat-requirements-token")
        requirements = self._requirements.get(sent) if sent else None
        if requirements is None or requirements.used or self.now() >= requirements.expire_at:
            return _detail(403, UNUSUAL_ACTIVITY)
        requirements.used = True  # single use, even if the send fails below
        conduit = rec.headers.get("x-conduit-token")
        if conduit is not None and conduit not in self.conduit_tokens:
            return _detail(403, "Invalid conduit token")
        checked = self._check_send(rec.json_body)
        if isinstance(checked, _Response):
            return checked
        cid, parent, user_id, text, model, v1 = checked
        slug = model if model and model != "auto" else DEFAULT_MODEL_SLUG
        fault = None
        for candidate in self.faults:
            if candidate.kind in _AFTER_DISPATCH and candidate.matches(rec.method, rec.path):
                candidate.hits += 1
                fault = candidate
                break
        failed = fault is not None and fault.kind == "stream_error"
        answer = self.answer_for(text)
        account = self.account
        new = cid is None
        title: str | None = None
        replay: dict[str, Any] | None = None
        if cid is None:  # a new chat: root → hidden system message → the user's message
            cid = str(uuid.uuid4())
            title = self.title_for(text)
            created = account.tick(61.250001)
            body = account.add_conversation(
                [], title=None if failed else title, conversation_id=cid, create_time=created, model=slug
            )
            node = body["current_node"]
            user_when = account.tick(0.012345)
        else:
            node = parent
            previous = account.get(cid)["mapping"][parent].get("message")
            if self.replay_history and isinstance(previous, dict):
                replay = copy.deepcopy(previous)
            user_when = account.tick(61.250001)
        account.add_message(cid, node, "user", text, message_id=user_id, when=user_when)
        mapping = account.get(cid)["mapping"]
        user_message = copy.deepcopy(mapping[user_id]["message"])
        answer_id = str(uuid.uuid4())
        if failed:  # the answer never made it: the user's message stays the current node
            final = _message(answer_id, "assistant", "", None, slug)
            final["metadata"].pop("finish_details")
        else:
            when = account.tick(4.500001)
            account.add_message(cid, user_id, "assistant", answer, message_id=answer_id, when=when, model=slug)
            final = copy.deepcopy(mapping[answer_id]["message"])
        self.sent_turns.append(
            {
                "conversation_id": cid,
                "user_message_id": user_id,
                "parent_message_id": parent,
                "assistant_message_id": None if failed else answer_id,
                "text": text,
                "model": model,
                "model_slug": slug,
                "answer": None if failed else answer,
                "new_conversation": new,
                "fault": fault.kind if fault is not None else None,
            }
        )
        if fault is not None and fault.kind == "reset":
            return _RESET
        start = copy.deepcopy(final)
        start.update(status="in_progress", end_turn=None)
        start["content"]["parts"] = [""]
        start["metadata"].pop("finish_details", None)
        error = fault.message if failed and fault is not None else None
        if v1:
            events = self._v1_events(cid, replay, user_message, start, answer, error, title if new else None)
        else:
            events = self._snapshot_events(cid, user_message, start, final, answer, error)
        if fault is not None and fault.kind == "cut":
            events = events[: max(fault.after_events, 0)]
        return _Stream(events)

    def _check_send(self, body: Any) -> _Response | tuple[str | None, str, str, str, str | None, bool]:
        """Validate a send's body: ``(conversation_id, parent_message_id, user message id, text, model, v1)``."""
        if not isinstance(body, dict):
            return _detail(400, "The request body must be a JSON object.")
        if body.get("action", "next") != "next":
            return _detail(400, f"Unsupported action {body.get('action')!r} (the fake knows 'next').")
        messages = body.get("messages")
        if not isinstance(messages, list) or len(messages) != 1 or not isinstance(messages[0], dict):
            return _detail(400, "messages must hold exactly one message.")
        message = messages[0]
        user_id = message.get("id")
        author = message.get("author")
        content = message.get("content")
        if not isinstance(user_id, str) or not user_id:
            return _detail(400, "The message has no id.")
        if not isinstance(author, dict) or author.get("role") != "user":
            return _detail(400, "The message's author must be the user.")
        parts = content.get("parts") if isinstance(content, dict) else None
        if (
            not isinstance(content, dict)
            or content.get("content_type") != "text"
            or not isinstance(parts, list)
            or not all(isinstance(part, str) for part in parts)
            or not "".join(parts).strip()
        ):
            return _detail(400, "The message has no text.")
        text = "".join(parts)
        cid = body.get("conversation_id")
        parent = body.get("parent_message_id")
        if cid is not None:
            conversation = self.account.conversations.get(cid) if isinstance(cid, str) else None
            if conversation is None:
                return _detail(404, "Conversation not found")
            if not isinstance(parent, str) or parent not in conversation["mapping"]:
                return _detail(400, "parent message not found")
            if user_id in conversation["mapping"]:
                return _detail(409, f"Message {user_id} already exists in this conversation.")
        elif parent != NEW_CHAT_PARENT:
            return _detail(400, f"A new conversation starts from parent_message_id {NEW_CHAT_PARENT!r}.")
        model = body.get("model")
        if model is not None and (not isinstance(model, str) or model not in self.models):
            return _detail(422, f"Model {model} is not available")
        encodings = body.get("supported_encodings")
        v1 = isinstance(encodings, list) and "v1" in encodings
        return cid, parent, user_id, text, model, v1

    def _v1_events(
        self,
        cid: str,
        replay: dict[str, Any] | None,
        user_message: dict[str, Any],
        start: dict[str, Any],
        answer: str,
        error: str | None,
        title: str | None,
    ) -> list[tuple[float, bytes]]:
        """The delta-encoded stream (``chatgpt-data.md`` §2.4)."""
        events: list[tuple[float, bytes]] = []

        def emit(data: Any, event: str | None = None, delay: float = 0.0) -> None:
            events.append((delay, _sse(data, event)))

        def root(message: dict[str, Any]) -> dict[str, Any]:
            return {"message": message, "conversation_id": cid, "error": None}

        resume = self._jwt_like(self._conduit_payload(), 600)
        self.resume_tokens.append(resume)
        emit('"v1"', "delta_encoding")
        emit({"type": "resume_conversation_token", "token": resume, "conversation_id": cid})
        c = 0
        if replay is not None:
            emit({"p": "", "o": "add", "v": root(replay), "c": c}, "delta")
            c += 1
        emit({"p": "", "o": "add", "v": root(user_message), "c": c}, "delta")
        c += 1
        emit({"type": "input_message", "input_message": user_message, "conversation_id": cid})
        emit(
            {
                "type": "message_marker",
                "conversation_id": cid,
                "message_id": start["id"],
                "marker": "user_visible_token",
                "event": "first",
            }
        )
        emit({"p": "", "o": "add", "v": root(start), "c": c}, "delta")
        if error is not None:
            emit({"type": "error", "error": error, "conversation_id": cid})
            return events
        *pieces, last = _pieces(answer)
        for i, piece in enumerate(pieces):
            if i == 0:
                emit({"p": "/message/content/parts/0", "o": "append", "v": piece}, "delta")
            else:
                emit({"v": piece}, "delta", self.stream_delay)
        finish = [
            {"p": "/message/content/parts/0", "o": "append", "v": last},
            {"p": "/message/status", "o": "replace", "v": "finished_successfully"},
            {"p": "/message/end_turn", "o": "replace", "v": True},
            {"p": "/message/metadata", "o": "append", "v": {"finish_details": {"type": "stop"}}},
        ]
        emit({"p": "", "o": "patch", "v": finish}, "delta", self.stream_delay if pieces else 0.0)
        if title is not None:
            emit({"type": "title_generation", "title": title, "conversation_id": cid})
        emit({"type": "message_stream_complete", "conversation_id": cid})
        emit("[DONE]")
        return events

    def _snapshot_events(
        self,
        cid: str,
        user_message: dict[str, Any],
        start: dict[str, Any],
        final: dict[str, Any],
        answer: str,
        error: str | None,
    ) -> list[tuple[float, bytes]]:
        """The older stream: the user's message, then the whole answer so far at every step."""
        events: list[tuple[float, bytes]] = []

        def emit(message: dict[str, Any] | None, delay: float = 0.0, err: str | None = None) -> None:
            events.append((delay, _sse({"message": message, "conversation_id": cid, "error": err})))

        emit(user_message)
        emit(start)
        if error is not None:
            emit(None, err=error)
            return events
        so_far = ""
        *pieces, _last = _pieces(answer)
        for piece in pieces:
            so_far += piece
            partial = copy.deepcopy(start)
            partial["content"]["parts"] = [so_far]
            emit(partial, self.stream_delay)
        emit(final, self.stream_delay if pieces else 0.0)
        events.append((0.0, _sse("[DONE]")))
        return events
