"""Where ``login`` keeps the session token, as a person sees it: the system keyring when the ``keyring`` extra
finds a backend, else a private file; ``status`` and ``history_status`` say which, never the token.

The keyring is real: the ``keyring`` package, with the backend chosen the way a person would
(``PYTHON_KEYRING_BACKEND``) — tests/keyring_backend.py, written to keyring's backend API. Sync runs against
the fake ChatGPT backend on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring
import pytest
from mcp import Client

from chatgpt_history_mcp.chatgpt.credentials import (
    KEYRING_SERVICE,
    KEYRING_USER,
    delete_session_token,
    load_session_token,
    login_location,
    save_session_token,
)
from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings
from fake_backend import FakeBackend, sample_account
from keyring_backend import ENV_FILE, JsonFileKeyring

pytestmark = pytest.mark.anyio
TESTS = Path(__file__).resolve().parents[1]  # tests/: keyring_backend.py, for the CLI processes


def cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chatgpt_history_mcp", *args],
        env={**os.environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def with_keyring(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "PYTHON_KEYRING_BACKEND": "keyring_backend.JsonFileKeyring",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        ENV_FILE: str(tmp_path / "keyring.json"),
    }


def test_login_goes_to_the_keyring_when_there_is_one_and_status_says_so(tmp_path: Path) -> None:
    with FakeBackend(sample_account()) as backend:
        env = with_keyring(
            tmp_path,
            {
                "CHATGPT_BASE_URL": backend.url,
                "CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "data"),
                "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config"),
                "CHATGPT_SESSION_TOKEN": "",
            },
        )
        before = cli(["status"], env)
        assert "login:         none" in before.stdout, before.stdout

        login = cli(["login"], env, stdin=backend.session_token + "\n")
        assert login.returncode == 0, login.stderr
        assert "Session token stored in the system keyring (test keyring)" in login.stdout
        stored = json.loads((tmp_path / "keyring.json").read_text())
        assert stored == {f"{KEYRING_SERVICE}/{KEYRING_USER}": backend.session_token}
        assert not (tmp_path / "config" / "session-token").exists(), "one copy, in the keyring"

        status = cli(["status"], env)
        assert "login:         the system keyring (test keyring)" in status.stdout, status.stdout
        assert json.loads(cli(["status", "--json"], env).stdout)["login"] == "the system keyring (test keyring)"
        synced = cli(["sync"], env)  # the token read back from the keyring signs in
        assert synced.returncode == 0, synced.stderr
        for result in (login, status, synced):
            assert backend.session_token not in result.stdout + result.stderr

        assert cli(["logout"], env).returncode == 0
        assert json.loads((tmp_path / "keyring.json").read_text()) == {}
        assert "login:         none" in cli(["status"], env).stdout


def test_without_a_keyring_backend_login_goes_to_a_private_file(tmp_path: Path) -> None:
    env = {  # keyring installed, but no backend (a headless Linux, say): keyring's own "fail" backend
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "data"),
        "CHATGPT_HISTORY_CONFIG_DIR": str(tmp_path / "config"),
        "CHATGPT_SESSION_TOKEN": "",
    }
    token_file = tmp_path / "config" / "session-token"
    login = cli(["login"], env, stdin="a-session-token-value\n")
    assert login.returncode == 0, login.stderr
    assert f"Session token stored in {token_file}" in login.stdout
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    status = cli(["status"], env)
    assert f"login:         the file {token_file} (readable by you only)" in status.stdout
    assert "a-session-token-value" not in status.stdout + status.stderr
    with_env = cli(["status"], {**env, "CHATGPT_SESSION_TOKEN": "from-the-environment"})
    assert "login:         the environment (CHATGPT_SESSION_TOKEN)" in with_env.stdout


async def test_history_status_says_where_the_login_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHATGPT_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("CHATGPT_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv(ENV_FILE, str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(JsonFileKeyring())
    try:
        config = tmp_path / "config"
        settings = Settings(data_dir=tmp_path / "data", config_dir=config)
        async with Client(create_server(settings)) as client:
            status: Any = (await client.call_tool("history_status", {})).structured_content
            assert (status["credentials_configured"], status["login"]) == (False, None)
            assert save_session_token(config, "kept-in-the-ring") == "the system keyring (test keyring)"
            status = (await client.call_tool("history_status", {})).structured_content
            assert (status["credentials_configured"], status["login"]) == (True, "the system keyring (test keyring)")
            assert "kept-in-the-ring" not in json.dumps(status)
        assert load_session_token(config) == "kept-in-the-ring"
        assert delete_session_token(config) and load_session_token(config) is None
        assert login_location(settings) is None
    finally:
        keyring.set_keyring(previous)
