"""Reading the history from a terminal: ``list``, ``show``, the open command after each search hit, and the
progress of a ``sync``. In process (``cli.main`` with captured output) over a real store; the pager through a
real pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatgpt_history_mcp import cli
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore
from fake_backend import FakeBackend, sample_account
from sample import AGENT, ALL_SAMPLE, CHINESE, COVER_LETTER, PROJECT, SAMPLE, SOURDOUGH

SOURDOUGH_TITLE = "Sourdough starter not rising"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A data folder with the sample export imported (read-only for the tests)."""
    folder = tmp_path_factory.mktemp("reading")
    store = HistoryStore(folder)
    import_export(store, SAMPLE)
    store.close()
    yield str(folder)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- list ------------------------------------------------------------------------------------------------


def test_list_is_a_table_newest_first_that_fits_the_terminal(
    data: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run(capsys, "list", "--data-dir", data)
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.split() == ["updated", "title", "msgs", "model", "id"]
    table = rows[: rows.index("")]
    assert len(table) == 20  # the default page of 20, of 24 stored
    assert all(len(line) <= 100 for line in out.splitlines())
    assert out.splitlines()[-1].startswith("1–20 of 24; more: --offset 20; as of last sync never, last import ")
    rest = run(capsys, "list", "--data-dir", data, "--offset", "20")[1].splitlines()
    table += rest[1 : rest.index("")]
    assert len(table) == ALL_SAMPLE
    dates = [line.split()[0] for line in table]
    assert dates == sorted(dates, reverse=True), "newest first, across pages"
    sourdough = next(line for line in table if line.endswith(SOURDOUGH))
    assert sourdough.startswith("2024-02-11") and SOURDOUGH_TITLE in sourdough and "gpt-4o" in sourdough
    assert rest[-1].startswith("21–24 of 24; as of last sync never, last import ")

    monkeypatch.setenv("COLUMNS", "70")
    narrow = run(capsys, "list", "--data-dir", data, "--offset", "20")[1]
    assert all(len(line) <= 70 for line in narrow.splitlines()[:-1])
    assert narrow.splitlines()[0].split() == ["updated", "title", "id"], "narrow: model and count make room"
    assert "Sourdough starter n…  " in narrow, "a title that does not fit is cut, and says so"


def test_a_wide_title_is_cut_by_its_width_on_screen() -> None:
    assert cli.fit("机器学习入门问题", 9) == "机器学习…"  # 4 wide characters (8 columns) and the ellipsis
    assert cli.fit("short", 8) == "short   "


def test_list_filters_and_pages_like_the_tool(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--data-dir", data, "--project", PROJECT)
    assert code == 0
    assert COVER_LETTER in out and SOURDOUGH not in out and "of 3;" in out

    archived = run(capsys, "list", "--data-dir", data, "--archived")[1]
    assert AGENT in archived and "[archived]" in archived and "of 1;" in archived
    assert AGENT not in run(capsys, "list", "--data-dir", data, "--no-archived")[1]

    first = run(capsys, "list", "--data-dir", data, "--limit", "5")[1]
    assert "1–5 of 24; more: --offset 5" in first
    second = run(capsys, "list", "--data-dir", data, "--limit", "5", "--offset", "5")[1]
    assert "6–10 of 24" in second
    ids = lambda text: {w for line in text.splitlines() for w in line.split() if len(w) == 36}  # noqa: E731
    assert not ids(first) & ids(second)

    dated = run(capsys, "list", "--data-dir", data, "--after", "2025-01-01", "--order", "oldest")[1]
    assert dated.splitlines()[0].startswith("created")
    created = [line.split()[0] for line in dated.splitlines()[1:] if line[:4].isdigit()]
    assert created == sorted(created) and all(d >= "2025-01-01" for d in created)


def test_list_json_is_the_tools_result(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--data-dir", data, "--json", "--limit", "3")
    assert code == 0
    listing = json.loads(out)
    assert listing["total"] == ALL_SAMPLE and len(listing["items"]) == 3 and listing["next_offset"] == 3
    assert listing["as_of"]["last_import"] and listing["as_of"]["last_sync"] is None


@pytest.mark.parametrize(
    ("args", "hint"), [(["--after", "soon"], "soon"), (["--limit", "0"], "--limit 0")], ids=["date", "limit"]
)
def test_list_bad_input_is_an_error_message(
    data: str, capsys: pytest.CaptureFixture[str], args: list[str], hint: str
) -> None:
    code, out, err = run(capsys, "list", "--data-dir", data, *args)
    assert code == 2 and out == ""
    assert err.startswith("error:") and hint in err


# -- show ------------------------------------------------------------------------------------------------


def test_show_prints_the_transcript_when_not_on_a_terminal(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "--data-dir", data, SOURDOUGH)
    assert code == 0, err
    assert out.startswith(f"# {SOURDOUGH_TITLE}\n")
    store = HistoryStore(Path(data))
    try:
        roles = [m.role for m in store.get_conversation(SOURDOUGH).messages]
    finally:
        store.close()
    assert out.count("## User") == roles.count("user") and out.count("## Assistant") == roles.count("assistant")
    assert "grey liquid" in out


def test_show_branch_all_has_the_abandoned_edit_labelled(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    current = run(capsys, "show", "--data-dir", data, COVER_LETTER)[1]
    assert "zeppelin" not in current
    everything = run(capsys, "show", "--data-dir", data, COVER_LETTER, "--branch", "all")[1]
    assert "zeppelin" in everything
    edit = everything.index("zeppelin")
    heading = everything.rfind("## User", 0, edit)
    assert "version 1 of 2 (not on the current branch)" in everything[heading:edit]
    assert "version 2 of 2 (current)" in everything
    # every paragraph of the current transcript is still there, in its order (str.index raises if not)
    at = 0
    for paragraph in [p for p in current.split("\n\n") if not p.startswith(("#", "id:"))]:
        at = everything.index(paragraph, at) + len(paragraph)


def test_show_json_has_every_message_whole(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "--data-dir", data, COVER_LETTER, "--branch", "all", "--json")
    assert code == 0
    page = json.loads(out)
    assert page["conversation_id"] == COVER_LETTER and page["branch"] == "all"
    assert page["next_offset"] is None and len(page["messages"]) == page["total_messages"]
    assert any(not m["on_current_branch"] for m in page["messages"])


def test_show_of_an_unknown_id_says_so(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "--data-dir", data, "no-such-conversation")
    assert code == 2 and out == ""
    assert err.startswith("error: no conversation with id 'no-such-conversation'")


def _on_a_terminal(args: list[str], env: dict[str, str], timeout: float = 60) -> tuple[int, str]:
    """Run the CLI with its stdout (and stdin) on a pseudo-terminal, as in a person's shell."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "chatgpt_history_mcp", *args],
        stdin=terminal,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env=env,
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: every writer has exited
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    code = process.wait(timeout=10)
    return code, output.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")
def test_show_on_a_terminal_goes_through_the_pager(data: str, tmp_path: Path) -> None:
    env = {**os.environ, "PAGER": "sed s/^/PAGED:/", "PYTHONIOENCODING": "utf-8"}
    code, out = _on_a_terminal(["show", "--data-dir", data, CHINESE], env)
    assert code == 0, out
    lines = [line for line in out.splitlines() if line]
    assert lines and all(line.startswith("PAGED:") for line in lines), out[:500]
    assert "PAGED:# 机器学习入门问题" in lines

    plain = _on_a_terminal(["show", "--data-dir", data, CHINESE, "--no-pager"], env)[1]
    assert plain.startswith("# 机器学习入门问题") and "PAGED:" not in plain


# -- search ----------------------------------------------------------------------------------------------


def test_each_search_hit_ends_with_the_command_that_opens_it(data: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--data-dir", data, "sourdough")
    assert code == 0
    command = next(line.split("open: ", 1)[1] for line in out.splitlines() if "open: " in line)
    assert command == f"chatgpt-history-mcp show --data-dir {data} {SOURDOUGH}"
    # ... and that command opens it
    assert run(capsys, *command.split()[1:])[1].startswith(f"# {SOURDOUGH_TITLE}\n")


# -- sync progress ---------------------------------------------------------------------------------------


def test_sync_shows_listing_fetching_and_rate_limit_waits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeBackend(sample_account()) as fb:
        monkeypatch.setenv("CHATGPT_BASE_URL", fb.url)
        monkeypatch.setenv("CHATGPT_SESSION_TOKEN", fb.session_token)
        monkeypatch.setenv("CHATGPT_HISTORY_CONFIG_DIR", str(tmp_path / "config"))
        monkeypatch.setenv("CHATGPT_SYNC_PACING", "0")
        fb.fail_429("/backend-api/conversation/*", count=1, retry_after=1)
        code, out, err = run(capsys, "sync", "--data-dir", str(tmp_path / "data"))
    assert code == 0, err
    assert "sync complete: 13 listed, 13 fetched" in out
    lines = err.splitlines()
    assert "listing conversations" in lines
    assert "  0% listed 13: 13 conversations to fetch" in lines
    assert "  0% rate limited by ChatGPT: waiting 1s before retrying" in lines
    assert lines[-3].endswith("fetched 13 of 13")
    assert lines[-2].endswith("looking up the names the sidebar does not give (1)")  # the sample's custom GPT
    assert lines[-1].endswith("looking for the files the stored conversations name")  # none: nothing to download
    assert fb.session_token not in err + out


# -- status: work under way ------------------------------------------------------------------------------


def test_status_shows_a_sync_under_way_and_then_when_it_ended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer's progress (here a sync on a store of its own, as a server would hold) shows in status."""
    import threading

    import anyio

    from chatgpt_history_mcp import account
    from chatgpt_history_mcp.settings import Settings

    data = tmp_path / "data"
    with FakeBackend(sample_account(n_main=30)) as fb:
        fb.slow(0.15, "/backend-api/conversation/*", count=None)
        settings = Settings(
            base_url=fb.url,
            session_token=fb.session_token,
            data_dir=data,
            config_dir=tmp_path / "config",
            sync_pacing=0,
            sync_interval=0,
        )
        writer = HistoryStore(data)
        syncing = threading.Thread(target=lambda: anyio.run(account.sync, settings, writer))
        syncing.start()
        try:
            deadline = time.monotonic() + 30
            while True:
                code, out, err = run(capsys, "status", "--data-dir", str(data))
                assert code == 0, err
                if "fetched" in out:
                    break
                assert time.monotonic() < deadline, out
                time.sleep(0.1)
            line = next(line for line in out.splitlines() if line.startswith("writing now:"))
            assert "syncing from ChatGPT: fetched" in line and f"pid {os.getpid()}" in line
            as_json = json.loads(run(capsys, "status", "--data-dir", str(data), "--json")[1])
            assert as_json["writing"]["activity"].startswith("syncing from ChatGPT")
        finally:
            syncing.join(60)
            writer.close()
    done = run(capsys, "status", "--data-dir", str(data))[1]
    assert "writing now:" not in done
    last = next(line for line in done.splitlines() if line.startswith("last sync:"))
    assert "sync complete: 38 listed, 38 fetched" in last
