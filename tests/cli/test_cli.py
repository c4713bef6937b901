"""The command line as a person runs it: in process (``cli.main`` with a home of its own and captured output), and
once as ``python -m chatgpt_history_mcp`` in a subprocess, the console entry point itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from command_line import cli_process, run_cli
from sample import SAMPLE, SOURDOUGH

SOURDOUGH_TITLE = "Sourdough starter not rising"
TOOLS = ("search_conversations", "list_conversations", "get_conversation", "history_status")


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli-home")


@pytest.fixture(scope="module")
def cli_data(cli_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the sample export imported through the CLI (read-only for the tests)."""
    data = tmp_path_factory.mktemp("cli-data")
    done = run_cli(cli_home, "import", "--data-dir", str(data), str(SAMPLE))
    assert done.returncode == 0, done.stderr
    return data


def test_the_console_entry_point_imports_and_searches(tmp_path: Path) -> None:
    """``python -m chatgpt_history_mcp`` as a separate process: the entry point, output through real pipes."""
    data = str(tmp_path / "data")
    imported = cli_process(tmp_path, "import", "--data-dir", data, str(SAMPLE), timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert "24 added" in imported.stdout
    assert "100%" in imported.stderr, "progress goes to stderr"
    found = cli_process(tmp_path, "search", "sourdough", "--data-dir", data)
    assert found.returncode == 0, found.stderr
    assert SOURDOUGH_TITLE in found.stdout and SOURDOUGH in found.stdout
    assert "Traceback" not in imported.stderr + found.stderr


def test_import_prints_a_summary_and_a_second_import_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = run_cli(tmp_path, "import", "--data-dir", str(data), str(SAMPLE))
    assert first.returncode == 0, first.stderr
    assert "24 conversations" in first.stdout
    assert "24 added" in first.stdout
    assert "Traceback" not in first.stderr
    assert "100%" in first.stderr, "progress goes to stderr"

    again = run_cli(tmp_path, "import", "--data-dir", str(data), str(SAMPLE))
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stdout
    assert "added" not in again.stdout

    status = json.loads(run_cli(tmp_path, "status", "--json", "--data-dir", str(data)).stdout)
    assert status["conversations"] == 24
    assert len(status["sources"]) == 1


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("truncated-export.zip", lambda p: p.write_bytes(SAMPLE.read_bytes()[:3000])),
        ("conversations.json", lambda p: p.write_text('[{"id": "x", "mapping": ', encoding="utf-8")),
        ("not-there.zip", lambda p: None),
    ],
    ids=["truncated-zip", "truncated-json", "missing"],
)
def test_import_of_a_broken_file_fails_with_a_message(tmp_path: Path, name: str, make) -> None:
    data = tmp_path / "data"
    assert run_cli(tmp_path, "import", "--data-dir", str(data), str(SAMPLE)).returncode == 0
    broken = tmp_path / "downloads" / name
    broken.parent.mkdir()
    make(broken)

    done = run_cli(tmp_path, "import", "--data-dir", str(data), str(broken))
    assert done.returncode != 0
    assert "error:" in done.stderr
    assert name in done.stderr
    assert "Traceback" not in done.stderr
    # The store is left as it was.
    status = json.loads(run_cli(tmp_path, "status", "--json", "--data-dir", str(data)).stdout)
    assert status["conversations"] == 24


def test_import_continues_past_a_broken_file_and_still_fails(tmp_path: Path) -> None:
    data = tmp_path / "data"
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    done = run_cli(tmp_path, "import", "--data-dir", str(data), str(broken), str(SAMPLE))
    assert done.returncode != 0, "one failed file means a failed command"
    assert "broken.zip" in done.stderr
    assert "24 added" in done.stdout, "the good export is still imported"


def test_search_prints_titles_and_snippets(cli_home: Path, cli_data: Path) -> None:
    done = run_cli(cli_home, "search", "sourdough", "--data-dir", str(cli_data))
    assert done.returncode == 0, done.stderr
    assert SOURDOUGH_TITLE in done.stdout
    assert SOURDOUGH in done.stdout
    assert "2024-02-11" in done.stdout
    assert "**sourdough**" in done.stdout

    cjk = run_cli(cli_home, "search", "机器学习", "--data-dir", str(cli_data))
    assert cjk.returncode == 0, cjk.stderr
    assert "机器学习入门问题" in cjk.stdout


def test_search_filters_and_paging(cli_home: Path, cli_data: Path) -> None:
    data = str(cli_data)
    assert (
        SOURDOUGH_TITLE
        not in run_cli(cli_home, "search", "sourdough", "--role", "assistant", "--data-dir", data).stdout
    )
    assert (
        SOURDOUGH_TITLE
        not in run_cli(cli_home, "search", "sourdough", "--after", "2024-03-01", "--data-dir", data).stdout
    )
    first = run_cli(cli_home, "search", "café", "--limit", "1", "--data-dir", data)
    assert first.returncode == 0, first.stderr
    assert "--offset 1" in first.stdout, "a partial page tells how to get the next one"


def test_search_without_matches_says_so(cli_home: Path, cli_data: Path) -> None:
    done = run_cli(cli_home, "search", "xylophonequartz", "--data-dir", str(cli_data))
    assert done.returncode == 0, done.stderr
    assert "No conversations match" in done.stdout


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["search", "a*"], "2 characters"),
        (["search", "sourdough", "--after", "not-a-date"], "not-a-date"),
    ],
)
def test_search_bad_input_is_an_error_message(cli_home: Path, cli_data: Path, args: list[str], hint: str) -> None:
    done = run_cli(cli_home, *args, "--data-dir", str(cli_data))
    assert done.returncode != 0
    assert done.stderr.startswith("error:")
    assert hint in done.stderr
    assert "Traceback" not in done.stderr


def test_search_json_parses(cli_home: Path, cli_data: Path) -> None:
    done = run_cli(cli_home, "search", "parseConfig", "--json", "--data-dir", str(cli_data))
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert page["query"] == "parseConfig"
    assert page["results"], page
    top = page["results"][0]
    assert top["title"] == "Fixing KeyError in parse_config"
    assert top["matches"] and {"message_id", "role", "snippet"} <= set(top["matches"][0])
    assert "next_offset" in page


def test_status_text_and_json(cli_home: Path, cli_data: Path) -> None:
    text = run_cli(cli_home, "status", "--data-dir", str(cli_data))
    assert text.returncode == 0, text.stderr
    assert str(cli_data) in text.stdout
    assert "conversations: 24" in text.stdout
    assert str(SAMPLE.resolve()) in text.stdout

    as_json = run_cli(cli_home, "status", "--json", "--data-dir", str(cli_data))
    assert as_json.returncode == 0, as_json.stderr
    status = json.loads(as_json.stdout)
    assert status["conversations"] == 24
    assert status["indexed"] == 24
    assert Path(status["data_dir"]) == cli_data
    assert [Path(s["path"]) for s in status["sources"]] == [SAMPLE.resolve()]
    assert status["importing"]["running"] is False


def test_data_dir_from_the_environment(cli_home: Path, cli_data: Path) -> None:
    env_run = run_cli(cli_home, "status", "--json", env_extra={"CHATGPT_HISTORY_DATA_DIR": str(cli_data)})
    assert env_run.returncode == 0, env_run.stderr
    assert json.loads(env_run.stdout)["conversations"] == 24


def test_data_dir_flag_before_the_subcommand(tmp_path: Path) -> None:
    """``--data-dir`` is in the top-level --help, so ``chatgpt-history-mcp --data-dir D import X`` must use D."""
    data = tmp_path / "data"
    done = run_cli(tmp_path, "--data-dir", str(data), "import", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    status = json.loads(run_cli(tmp_path, "--data-dir", str(data), "status", "--json").stdout)
    assert Path(status["data_dir"]) == data, f"--data-dir was ignored: the store went to {status['data_dir']}"
    assert status["conversations"] == 24


def test_demo_runs_a_real_session(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "demo")
    assert done.returncode == 0, done.stderr
    for tool in TOOLS:
        assert tool in done.stdout
    assert "24 added" in done.stdout
    assert SOURDOUGH_TITLE in done.stdout, "the demo shows a search result"
    assert "机器学习入门问题" in done.stdout
    assert '"title": "candle_shop_about"' in done.stdout, "the demo shows a canvas"
    assert '"name": "mug-IMG_4471.jpg"' in done.stdout, "the demo shows a message's attachment"
    assert "the image content block: image/jpeg, 5,697 bytes" in done.stdout, "and the picture get_file gives"
    assert "Demo finished" in done.stdout
    assert "Traceback" not in done.stderr


def test_settings_ignore_empty_values_and_placeholders_a_host_left_unexpanded() -> None:
    """An MCPB host passes an unset optional setting as the literal ``${user_config.name}``, and a list
    setting as any number of arguments after ``--export``: none of that may reach the store as a path."""
    from chatgpt_history_mcp.cli import _parser
    from chatgpt_history_mcp.settings import Settings, default_data_dir

    unset = {
        "CHATGPT_HISTORY_DATA_DIR": "${user_config.data_dir}",
        "CHATGPT_HISTORY_EXPORTS": "${user_config.exports}",
        "CHATGPT_HISTORY_ALLOW_SEND": "${user_config.allow_send}",
        "CHATGPT_SESSION_TOKEN": "${user_config.session_token}",
    }
    settings = Settings.from_env(unset)
    assert settings.data_dir == default_data_dir() and settings.exports == [] and settings.allow_send is False
    from chatgpt_history_mcp.chatgpt.backend import Credentials

    assert not Credentials.from_settings(settings).configured and settings.session_token is None

    args = _parser().parse_args(["serve", "--export", "a.zip", "b.zip", "--export", "", "--export"])
    assert Settings.from_env({}, exports=args.export).exports == [Path("a.zip"), Path("b.zip")]
    args = _parser().parse_args(["serve", "--export", "${user_config.exports}"])
    assert Settings.from_env({}, exports=args.export).exports == []


def test_the_files_bound_and_file_downloads_are_settings(tmp_path: Path) -> None:
    from chatgpt_history_mcp.settings import DEFAULT_FILES_LIMIT, Settings

    assert Settings.from_env({}).files_limit == DEFAULT_FILES_LIMIT and Settings.from_env({}).sync_files
    sized = {"500M": 500 * 1024**2, "1.5G": int(1.5 * 1024**3), "0": 0, "20 GiB": 20 * 1024**3, "4096": 4096}
    for text, size in sized.items():
        assert Settings.from_env({"CHATGPT_HISTORY_FILES_LIMIT": text}).files_limit == size
    # a typo keeps the default (a host's mistake must not stop the server), and so does a placeholder
    for text in ("lots", "${user_config.files_limit}"):
        assert Settings.from_env({"CHATGPT_HISTORY_FILES_LIMIT": text}).files_limit == DEFAULT_FILES_LIMIT
    assert not Settings.from_env({"CHATGPT_HISTORY_SYNC_FILES": "false"}).sync_files
    # the store a command opens keeps within the bound
    data = tmp_path / "data"
    extra = {"CHATGPT_HISTORY_FILES_LIMIT": "0", "CHATGPT_HISTORY_DATA_DIR": str(data)}
    ran = run_cli(tmp_path, "import", str(SAMPLE), env_extra=extra)
    assert ran.returncode == 0, ran.stderr
    assert (data / "archive.sqlite3").exists() and not list((data / "files").glob("??/*"))
    ran = run_cli(tmp_path, "import", str(SAMPLE), env_extra={"CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "all")})
    assert "8 files kept" in ran.stdout + ran.stderr
