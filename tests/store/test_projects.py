"""Projects and custom GPTs by name (issue 12), as an agent and a person see them.

The sample export holds two projects (``Moving to Zürich``: 3 chats, ``Clay & Wick``: 2) and two custom GPTs
(``Kube Doctor``: 1 chat, and one deleted since: 1 chat), by id only. The fake backend serves the same account with
the names (the sidebar, ``/gizmos/{id}``, a 404 for the deleted GPT). Everything goes through a real MCP client
(in process, and one server over stdio) or the real command line, on a real data folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client, StdioServerParameters

from chatgpt_history_mcp.chatgpt.backend import BackendClient, Credentials, RetryPolicy
from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.ingest.sync import sync_history
from chatgpt_history_mcp.settings import (
    ENV_BASE_URL,
    ENV_CONFIG_DIR,
    ENV_DATA_DIR,
    ENV_SESSION_TOKEN,
    ENV_SYNC_INTERVAL,
    Settings,
)
from chatgpt_history_mcp.store.history import HistoryStore
from fake_backend import FakeBackend, export_account
from sample import (
    ALL_SAMPLE,
    CANDLE_CANVAS,
    COVER_LETTER,
    CRAFT_PROJECT,
    CUSTOM_GPT,
    DELETED_GPT,
    GLAZE_PHOTO,
    GPT_NAMES,
    K8S,
    LISBON,
    PROJECT,
    PROJECT_NAMES,
    SAMPLE,
    SPANISH,
    SQL,
)

pytestmark = pytest.mark.anyio

#: The sample's projects and GPTs: their chats, and what kind each is by its id.
CHATS = {PROJECT: {LISBON, COVER_LETTER, SPANISH}, CRAFT_PROJECT: {GLAZE_PHOTO, CANDLE_CANVAS}, CUSTOM_GPT: {K8S}}
CHATS[DELETED_GPT] = {SQL}
KINDS = {PROJECT: "project", CRAFT_PROJECT: "project", CUSTOM_GPT: "gpt", DELETED_GPT: "gpt"}
NAMES = {**PROJECT_NAMES, **GPT_NAMES}
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}({arguments}) failed: {text_of(result)}"
    assert result.structured_content is not None
    return result.structured_content


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool}({arguments}) should be refused, got {result.structured_content}"
    message = text_of(result)
    assert message.strip() not in ("", f"Error executing tool {tool}"), "the refusal says nothing a person can act on"
    return message


async def wait_for_import(client: Client) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        status = await call(client, "history_status")
        if status["conversations"] == ALL_SAMPLE and not status["importing"]["running"]:
            return status
        assert time.monotonic() < deadline, status
        await anyio.sleep(0.05)


def settings_for(data_dir: Path, fb: FakeBackend | None = None, **extra: Any) -> Settings:
    """A server on ``data_dir``: live against ``fb`` when given, else with no ChatGPT session at all."""
    live = {"base_url": fb.url, "session_token": fb.session_token} if fb is not None else {}
    return Settings(data_dir=data_dir, config_dir=data_dir.parent / "config", sync_interval=0, **live, **extra)


def by_id(listed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["project_id"]: p for p in listed["projects"]}


async def last_activity(client: Client, project_id: str) -> str:
    """The newest update_time among the project's conversations, as list_conversations reports them."""
    items = (await call(client, "list_conversations", project=project_id, limit=50))["items"]
    return max(i["update_time"] for i in items)


@contextlib.asynccontextmanager
async def exported(tmp_path: Path, fb: FakeBackend | None = None, mode: str = "auto") -> AsyncIterator[Client]:
    """A server with the sample export imported (and ``fb`` to sync from, when given)."""
    settings = settings_for(tmp_path / "data", fb, exports=[SAMPLE])
    async with Client(create_server(settings), mode=mode) as client:
        await wait_for_import(client)
        yield client


# -- an export alone ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_an_export_alone_lists_the_ids_with_kinds_counts_and_a_note(tmp_path: Path, mode: str) -> None:
    async with exported(tmp_path, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        listed = await call(client, "list_projects")
        jsonschema.validate(listed, tools["list_projects"].output_schema)
        found = by_id(listed)
        assert set(found) == set(CHATS)
        for pid, chats in CHATS.items():
            assert found[pid]["kind"] == KINDS[pid]
            assert found[pid]["conversations"] == len(chats)
            assert found[pid]["name"] is None and found[pid]["deleted"] is False
            assert found[pid]["last_activity"] == await last_activity(client, pid)
        active = [p["last_activity"] for p in listed["projects"]]
        assert active == sorted(active, reverse=True), "most recently active first"
        assert "names come from a sync" in listed["note"] and "sync_history" in listed["note"]

        status = await call(client, "history_status")
        assert (status["projects"], status["custom_gpts"]) == (2, 2)

        # An id works as before; a name cannot yet, and the refusal says why and which ids there are.
        by_project_id = await call(client, "list_conversations", project=CRAFT_PROJECT)
        assert {i["conversation_id"] for i in by_project_id["items"]} == CHATS[CRAFT_PROJECT]
        assert all(i["project_name"] is None for i in by_project_id["items"])
        message = await refused(client, "list_conversations", project="Clay & Wick")
        assert "no names are known yet" in message and "sync" in message
        assert all(pid in message for pid in CHATS)


# -- after a sync -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["nested", "flat"])
async def test_a_sync_names_every_project_and_gpt_and_says_which_is_deleted(tmp_path: Path, shape: Any) -> None:
    with FakeBackend(export_account(), sidebar_shape=shape, projects_page_size=1) as fb:
        async with exported(tmp_path, fb) as client:
            before = by_id(await call(client, "list_projects"))
            report = await call(client, "sync_history")
            assert report["outcome"] == "complete", report
            assert report["names"] == 3  # two projects from the sidebar, one GPT by id; the deleted one has none
            listed = await call(client, "list_projects")
        sidebar = fb.requests_to("/backend-api/gizmos/snorlax/sidebar")
        looked_up = {r.path.rsplit("/", 1)[1] for r in fb.requests_to("/backend-api/gizmos/g-*", "GET")}
    assert len(sidebar) == 2 and sidebar[1].query.get("cursor"), "the sidebar is read page by page"
    assert {CUSTOM_GPT, DELETED_GPT} <= looked_up, "ids the sidebar does not list are looked up"
    assert PROJECT not in looked_up and CRAFT_PROJECT not in looked_up, "the sidebar named the projects already"

    found = by_id(listed)
    assert set(found) == set(CHATS)
    for pid in CHATS:
        assert found[pid]["name"] == NAMES.get(pid)
        assert found[pid]["kind"] == KINDS[pid]
        # the sync changed no conversation: the counts and dates are those of the export
        assert (found[pid]["conversations"], found[pid]["last_activity"]) == (
            before[pid]["conversations"],
            before[pid]["last_activity"],
        )
    assert found[DELETED_GPT]["deleted"] is True and found[DELETED_GPT]["conversations"] == 1
    assert not any(found[pid]["deleted"] for pid in CHATS if pid != DELETED_GPT)
    assert DELETED_GPT in listed["note"] and "deleted" in listed["note"]
    assert "names come from a sync" not in listed["note"], "every name that exists was fetched"


async def test_a_name_filters_both_tools_and_results_carry_project_name(tmp_path: Path) -> None:
    with FakeBackend(export_account()) as fb:
        async with exported(tmp_path, fb) as client:
            await call(client, "sync_history")
            for spelled in ("Moving to Zürich", "moving to zürich", "MOVING TO ZURICH", " Moving  to Zu\u0308rich "):
                listed = await call(client, "list_conversations", project=spelled)
                assert {i["conversation_id"] for i in listed["items"]} == CHATS[PROJECT], spelled
                assert {i["project_name"] for i in listed["items"]} == {"Moving to Zürich"}
            gpt = await call(client, "list_conversations", project="kube doctor")
            assert [(i["conversation_id"], i["project_name"]) for i in gpt["items"]] == [(K8S, "Kube Doctor")]

            found = await call(client, "search_conversations", query="glaze candle mug", project="clay & wick")
            hits = {r["conversation_id"] for r in found["results"]}
            assert hits and hits <= CHATS[CRAFT_PROJECT]
            assert {r["project_name"] for r in found["results"]} == {"Clay & Wick"}
            by_project_id = await call(client, "search_conversations", query="glaze candle mug", project=CRAFT_PROJECT)
            assert by_project_id["results"] == found["results"]
            elsewhere = await call(client, "search_conversations", query="glaze candle mug", project="Kube Doctor")
            assert not {r["conversation_id"] for r in elsewhere["results"]} & CHATS[CRAFT_PROJECT]

            # Unfiltered results name the project too, and chats in none have no name.
            anywhere = await call(client, "search_conversations", query="Lisbon trip May")
            names = {r["conversation_id"]: r["project_name"] for r in anywhere["results"]}
            assert names[LISBON] == "Moving to Zürich"
            everything = await call(client, "list_conversations", limit=50)
            assert {i["conversation_id"]: i["project_name"] for i in everything["items"]}[SQL] is None
            page = await call(client, "get_conversation", conversation_id=K8S, limit=1)
            assert page["project_name"] == "Kube Doctor"
            resource = await client.read_resource(f"chatgpt://conversations/{LISBON}")
            assert f"project: Moving to Zürich ({PROJECT})" in resource.contents[0].text


async def test_an_unknown_or_ambiguous_name_is_refused_naming_the_candidates(tmp_path: Path) -> None:
    account = export_account()
    twin = account.add_gpt("clay & WICK", "g-ClayWick01")  # a pinned GPT of the same name as the project
    with FakeBackend(account, sidebar_gpts=True) as fb:
        async with exported(tmp_path, fb) as client:
            await call(client, "sync_history")
            listed = by_id(await call(client, "list_projects"))
            assert listed[twin]["kind"] == "gpt" and listed[twin]["conversations"] == 0

            for tool, extra in (("list_conversations", {}), ("search_conversations", {"query": "glaze"})):
                ambiguous = await refused(client, tool, project="Clay & Wick", **extra)
                assert CRAFT_PROJECT in ambiguous and twin in ambiguous and "project_id" in ambiguous
                unknown = await refused(client, tool, project="Zurich", **extra)
                assert "no project or custom GPT is named 'Zurich'" in unknown
                assert "Moving to Zürich" in unknown and PROJECT in unknown
            nothing_close = await refused(client, "list_conversations", project="Quantum gardening")
            assert all(name in nothing_close for name in ("Moving to Zürich", "Clay & Wick", "Kube Doctor"))
            # Each one is still reachable by its id.
            twin_chats = await call(client, "list_conversations", project=twin)
            assert twin_chats["items"] == []
            craft = await call(client, "list_conversations", project=CRAFT_PROJECT)
            assert {i["conversation_id"] for i in craft["items"]} == CHATS[CRAFT_PROJECT]


async def test_names_are_asked_for_once_and_a_full_sync_asks_again(tmp_path: Path) -> None:
    account = export_account()
    with FakeBackend(account) as fb:
        async with exported(tmp_path, fb) as client:
            await call(client, "sync_history")
            account.projects[CRAFT_PROJECT] = "Clay & Wick Studio"  # renamed in ChatGPT
            account.gpts[CUSTOM_GPT] = ("Kube Medic", account.gpts[CUSTOM_GPT][1])
            fb.clear_requests()
            again = await call(client, "sync_history")
            assert again["outcome"] == "complete"
            assert not fb.requests_to(f"/backend-api/gizmos/{CUSTOM_GPT}")
            assert not fb.requests_to(f"/backend-api/gizmos/{DELETED_GPT}"), "a deleted GPT is not asked again"
            names = {pid: p["name"] for pid, p in by_id(await call(client, "list_projects")).items()}
            assert names[CRAFT_PROJECT] == "Clay & Wick Studio", "the sidebar is read on every sync"
            assert names[CUSTOM_GPT] == "Kube Doctor"

            full = await call(client, "sync_history", full=True)
            assert full["outcome"] == "complete"
            assert fb.requests_to(f"/backend-api/gizmos/{DELETED_GPT}")
            listed = by_id(await call(client, "list_projects"))
            assert listed[CUSTOM_GPT]["name"] == "Kube Medic"
            assert listed[DELETED_GPT]["deleted"] is True


async def test_a_failed_lookup_keeps_the_names_it_has_and_the_next_sync_finishes(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data")
    try:
        import_export(store, SAMPLE)
        with FakeBackend(export_account()) as fb:
            fb.fail_status(503, path=f"/backend-api/gizmos/{CUSTOM_GPT}", count=None)
            async with BackendClient(Credentials(session_token=fb.session_token), base_url=fb.url, retry=FAST) as c:
                failed = await sync_history(store, c)
            assert failed.outcome == "incomplete" and "503" in (failed.error or "")
            names = {p.project_id: p.name for p in store.list_projects().projects}
            assert names == {**PROJECT_NAMES, CUSTOM_GPT: None, DELETED_GPT: None}
            fb.clear_faults()
            async with BackendClient(Credentials(session_token=fb.session_token), base_url=fb.url, retry=FAST) as c:
                done = await sync_history(store, c)
            assert done.outcome == "complete", done.error
            listed = {p.project_id: p for p in store.list_projects().projects}
            assert listed[CUSTOM_GPT].name == "Kube Doctor" and listed[DELETED_GPT].deleted
    finally:
        store.close()


# -- offline, after a restart ----------------------------------------------------------------------------------


async def test_names_survive_a_restart_offline_in_process_and_over_stdio(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with FakeBackend(export_account()) as fb:
        async with exported(tmp_path, fb) as client:
            await call(client, "sync_history")
            online = await call(client, "list_projects")
        gone = fb.url  # nothing answers here once the fake has stopped
    offline = {k: v for k, v in online.items() if k != "as_of"}

    async with Client(create_server(settings_for(data_dir))) as client:
        restarted = await call(client, "list_projects")
        assert {k: v for k, v in restarted.items() if k != "as_of"} == offline
        listed = await call(client, "list_conversations", project="kube doctor")
        assert [i["project_name"] for i in listed["items"]] == ["Kube Doctor"]

    env = {
        ENV_DATA_DIR: str(data_dir),
        ENV_CONFIG_DIR: str(tmp_path / "empty-config"),
        ENV_SESSION_TOKEN: "",
        ENV_BASE_URL: gone,
        ENV_SYNC_INTERVAL: "0",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    params = StdioServerParameters(command=sys.executable, args=["-m", "chatgpt_history_mcp"], env=env)
    async with Client(params) as client:
        over_stdio = await call(client, "list_projects")
        assert {k: v for k, v in over_stdio.items() if k != "as_of"} == offline
        assert {p["name"] for p in over_stdio["projects"]} == {*NAMES.values(), None}
        found = await call(client, "search_conversations", query="CrashLoopBackOff", project="Kube Doctor")
        assert [(r["conversation_id"], r["project_name"]) for r in found["results"]] == [(K8S, "Kube Doctor")]
        status = await call(client, "history_status")
        assert (status["projects"], status["custom_gpts"]) == (2, 2)


async def test_a_data_folder_from_before_the_names_table_opens_whole_and_gains_names(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = HistoryStore(data_dir)
    import_export(store, SAMPLE)
    store.close()
    archive = data_dir / "archive.sqlite3"
    with contextlib.closing(sqlite3.connect(archive)) as db:  # the archive as the releases before it wrote it
        db.execute("DROP TABLE gizmos")
        db.commit()
        before = db.execute("SELECT * FROM conversations ORDER BY id").fetchall()
        sources = db.execute("SELECT * FROM sources").fetchall()

    with FakeBackend(export_account()) as fb:
        async with Client(create_server(settings_for(data_dir, fb))) as client:
            status = await call(client, "history_status")
            assert (status["conversations"], status["indexed"], status["pending_index"]) == (ALL_SAMPLE,) * 2 + (0,)
            assert {p["project_id"] for p in (await call(client, "list_projects"))["projects"]} == set(CHATS)
            assert (await call(client, "sync_history"))["outcome"] == "complete"
            names = {p["project_id"]: p["name"] for p in (await call(client, "list_projects"))["projects"]}
            assert names == {pid: NAMES.get(pid) for pid in CHATS}
    with contextlib.closing(sqlite3.connect(archive)) as db:
        kept = {row[0]: row for row in db.execute("SELECT * FROM conversations")}
        assert db.execute("SELECT * FROM sources").fetchall() == sources
    assert all(row[0] in kept for row in before), "no conversation was lost"


# -- the command line -----------------------------------------------------------------------------------------


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", *args],
        env={**os.environ, **env, "PYTHONIOENCODING": "utf-8", "COLUMNS": "110"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_the_projects_command_before_and_after_a_sync(tmp_path: Path) -> None:
    with FakeBackend(export_account()) as fb:
        env = {
            ENV_DATA_DIR: str(tmp_path / "data"),
            ENV_CONFIG_DIR: str(tmp_path / "config"),
            ENV_BASE_URL: fb.url,
            ENV_SESSION_TOKEN: fb.session_token,
        }
        assert cli("import", str(SAMPLE), env=env).returncode == 0
        exported = cli("projects", env=env)
        assert exported.returncode == 0, exported.stderr
        lines = exported.stdout.splitlines()
        assert lines[0].split() == ["active", "kind", "name", "chats", "id"]
        rows = {line.split()[-1]: line for line in lines[1:5]}
        assert set(rows) == set(CHATS) and all("(no name yet)" in row for row in rows.values())
        assert all(f" {KINDS[pid]} " in row and f" {len(CHATS[pid])}  " in row for pid, row in rows.items())
        assert "note: no names yet" in exported.stdout

        assert cli("sync", env=env).returncode == 0
        synced = cli("projects", env=env)
        rows = {line.split()[-1]: line for line in synced.stdout.splitlines()[1:5]}
        for pid in CHATS:
            assert NAMES.get(pid, "(name unknown) [deleted]") in rows[pid]
        payload = json.loads(cli("projects", "--json", env=env).stdout)
        assert {p["project_id"]: p["name"] for p in payload["projects"]} == {pid: NAMES.get(pid) for pid in CHATS}

        listed = cli("list", "--project", "clay & wick", "--json", env=env)
        assert {i["conversation_id"] for i in json.loads(listed.stdout)["items"]} == CHATS[CRAFT_PROJECT]
        wrong = cli("list", "--project", "Clay", env=env)
        assert wrong.returncode == 2 and "did you mean: project 'Clay & Wick'" in wrong.stderr
        status = cli("status", env=env)
        assert "2 projects, 2 custom GPTs" in status.stdout
