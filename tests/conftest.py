"""Shared fixtures: the bundled sample export imported once, and builders for small exports of our own.

Everything is real: exports are ZIP files written to ``tmp_path``, stores are an SQLite archive and a Whoosh
index on disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.settings import ENV_SYNC_INTERVAL
from chatgpt_history_mcp.store.history import HistoryStore

# A server with a session syncs in the background at start: in the suites not about that, it would race the
# test's own requests to the fake backend. The background-sync tests set an interval of their own; servers
# started with an environment of their own (not built from this one) keep the real default.
os.environ.setdefault(ENV_SYNC_INTERVAL, "0")
#: The tests never reach the person's own keyring: ``keyring`` is installed for the tests, so without this a
#: desktop session would receive their logins. Tests of the keyring path choose tests/keyring_backend.py.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_EXPORT = ROOT / "examples" / "sample-export.zip"

#: 2024-01-01T00:00:00Z: the default start of built conversations.
BASE_TIME = 1_704_067_200.0
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.invalid/chatgpt-history-mcp/tests")

Turn = str | tuple[str, str]


def node_id(conversation_id: str, key: str | int) -> str:
    """The node id :func:`build_conversation` gives message ``key`` (its index in ``turns``) or ``"root"``."""
    return str(uuid.uuid5(_NS, f"{conversation_id}/node/{key}"))


def _message(mid: str, role: str, text: str, when: float | None, model: str | None, **extra: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    if role == "assistant":
        metadata = {"model_slug": model, "finish_details": {"type": "stop"}}
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
        **extra,
    }


def build_conversation(
    conversation_id: str,
    turns: Sequence[Turn],
    *,
    title: str | None = "Untitled test conversation",
    create_time: float = BASE_TIME,
    update_time: float | None = None,
    step: float = 60.0,
    gizmo_id: str | None = None,
    model: str = "gpt-4o",
    is_archived: bool = False,
    system_message: bool = True,
) -> dict[str, Any]:
    """A raw conversation shaped like ChatGPT's export.

    ``turns`` are texts alternating user / assistant (starting with user), or ``(role, text)`` pairs. The
    mapping is a real tree: a root node with ``message: null``, the usual empty visually-hidden system
    message, then one node per turn, each the only child of the previous; ``current_node`` is the last.
    Message ``i`` is created at ``create_time + (i + 1) * step``; ``update_time`` defaults to the last message.
    """
    root = node_id(conversation_id, "root")
    mapping: dict[str, dict[str, Any]] = {root: {"id": root, "message": None, "parent": None, "children": []}}
    parent = root
    when = create_time
    if system_message:
        sid = node_id(conversation_id, "system")
        system = _message(sid, "system", "", None, None, weight=0.0)
        system["metadata"] = {"is_visually_hidden_from_conversation": True}
        mapping[sid] = {"id": sid, "message": system, "parent": parent, "children": []}
        mapping[parent]["children"].append(sid)
        parent = sid
    for i, turn in enumerate(turns):
        role, text = turn if isinstance(turn, tuple) else ("user" if i % 2 == 0 else "assistant", turn)
        mid = node_id(conversation_id, i)
        when = create_time + (i + 1) * step
        mapping[mid] = {"id": mid, "message": _message(mid, role, text, when, model), "parent": parent, "children": []}
        mapping[parent]["children"].append(mid)
        parent = mid
    return {
        "title": title,
        "create_time": create_time,
        "update_time": update_time if update_time is not None else when,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": parent,
        "plugin_ids": None,
        "conversation_template_id": gizmo_id if gizmo_id and gizmo_id.startswith("g-p-") else None,
        "gizmo_id": gizmo_id,
        "gizmo_type": ("snorlax" if gizmo_id.startswith("g-p-") else "gpt") if gizmo_id else None,
        "is_archived": is_archived,
        "is_starred": None,
        "safe_urls": [],
        "blocked_urls": [],
        "default_model_slug": model,
        "conversation_origin": None,
        "voice": None,
        "async_status": None,
        "disabled_tool_ids": [],
        "id": conversation_id,
        "conversation_id": conversation_id,
    }


def write_export(
    path: Path,
    conversations: Sequence[dict[str, Any]] | None = None,
    *,
    conversations_json: bytes | None = None,
) -> Path:
    """Write an export ZIP at ``path``: ``conversations.json`` (or the given raw bytes) plus ``user.json``."""
    body = conversations_json if conversations_json is not None else json.dumps(list(conversations or [])).encode()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("conversations.json", body)
        z.writestr("user.json", json.dumps({"id": "user-test", "email": "test@example.invalid"}))
        z.writestr("message_feedback.json", "[]")
    return path


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The async tests run on asyncio only (anyio's own fixture would run each on every backend installed)."""
    return "asyncio"


@pytest.fixture(scope="session")
def sample_export() -> Path:
    assert SAMPLE_EXPORT.is_file(), f"missing {SAMPLE_EXPORT}"
    return SAMPLE_EXPORT


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory, sample_export: Path) -> Iterator[HistoryStore]:
    """The bundled sample export, imported once. Read-only: tests must not write to it."""
    store = HistoryStore(tmp_path_factory.mktemp("sample-data"))
    report = import_export(store, sample_export)
    assert report.outcome == "imported" and report.added == 24, report
    yield store
    store.close()


@pytest.fixture(name="build_conversation", scope="session")
def _build_conversation() -> Callable[..., dict[str, Any]]:
    return build_conversation


@pytest.fixture(name="write_export", scope="session")
def _write_export() -> Callable[..., Path]:
    return write_export


@pytest.fixture
def make_export(tmp_path: Path) -> Callable[..., Path]:
    """``make_export(conversations, name=...)`` -> the path of a new export ZIP under ``tmp_path``."""
    counter = iter(range(1_000_000))

    def make(
        conversations: Sequence[dict[str, Any]] | None = None,
        name: str | None = None,
        *,
        conversations_json: bytes | None = None,
    ) -> Path:
        folder = tmp_path / "exports"
        folder.mkdir(exist_ok=True)
        path = folder / (name or f"export-{next(counter)}.zip")
        return write_export(path, conversations, conversations_json=conversations_json)

    return make


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[Callable[..., HistoryStore]]:
    """``make_store(name="data")`` -> a HistoryStore on ``tmp_path / name``; closed at teardown."""
    opened: list[HistoryStore] = []

    def make(name: str = "data") -> HistoryStore:
        store = HistoryStore(tmp_path / name)
        opened.append(store)
        return store

    yield make
    for store in opened:
        with contextlib.suppress(Exception):  # already closed by the test
            store.close()


# -- figures: what the hardening suites measured, printed at the end of the run ------------------------------

_FIGURES: dict[str, Any] = {}


@pytest.fixture(scope="session")
def figures() -> dict[str, Any]:
    """A suite records what it measured here (``figures["exports: cases"] = 41``); the run prints them all in a
    "figures" section at its end, so the numbers a closing note quotes come from the same run as the verdict."""
    return _FIGURES


#: Suites that take tens of seconds each (sweeps, crashes, real disks, outside clients, npm): ``pytest -m "not
#: slow"`` runs the rest in about two minutes (2 cores) while working; CI runs everything.
SLOW_SUITES = frozenset(
    {
        "test_bad_exports",
        "test_bundle",
        "test_concurrent_writers",
        "test_faults",
        "test_http_limits",
        "test_inspector",
        "test_killed_writers",
        "test_network_faults",
        "test_no_secret_leaks",
        "test_recall_eval",
        "test_stdio",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SLOW_SUITES:
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for name in sorted(_FIGURES):
            terminalreporter.write_line(f"{name}: {_FIGURES[name]}")
