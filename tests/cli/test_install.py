"""``install HOST`` against each host's real config file in a temporary home, read back with the parsers the hosts
use (``json`` where the host uses ``JSON.parse``, ``json5`` for JSON with comments, ``tomllib`` for TOML), and the
entry it writes started through a real MCP stdio client."""

from __future__ import annotations

import difflib
import json
import os
import re
import site
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import json5
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client, StdioServerParameters

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.cli import main
from chatgpt_history_mcp.install.hosts import HOSTS, Place
from chatgpt_history_mcp.install.jsonc import Document
from outside import NODE_MODULES, READ_CONFIG_JS, console_script, missing, node_package
from sample import REPO, SAMPLE
from servers import TOOLS

SCRIPT = console_script("chatgpt-history-mcp")

CLAUDE_DESKTOP = """{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    }
  }
}
"""
CLAUDE_CODE = """{
  "numStartups": 42,
  "projects": {
    "/home/me/src/app": {
      "mcpServers": {},
      "allowedTools": []
    }
  },
  "mcpServers": {
    "github": {
      "type": "stdio",
      "command": "docker",
      "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
      "env": {"GITHUB_TOKEN": "x"}
    }
  },
  "userID": "abc"
}
"""
CURSOR = """// Cursor MCP servers
{
    "mcpServers": {
        /* the docs server */
        "docs": { "url": "https://docs.example.com/mcp" }, // remote
    },
}
"""
VSCODE = """{
\t// Servers for every workspace
\t"servers": {
\t\t"memory": {
\t\t\t"type": "stdio",
\t\t\t"command": "npx",
\t\t\t"args": ["-y", "@modelcontextprotocol/server-memory"], // keep me
\t\t},
\t},
\t"inputs": [
\t\t{ "type": "promptString", "id": "token", "password": true },
\t],
}
"""
WINDSURF = """{
  "mcpServers": {
    "git": {
      "command": "uvx",
      "args": ["mcp-server-git"],
      "disabled": false
    }
  }
}"""
CODEX = """# Codex settings
model = "o3"
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"   # the docs server
args = ["-y", "docs-mcp"]
env = { "API_KEY" = "value" }

[profiles.fast]
model = "o4-mini"
"""
GEMINI = """{
  // Gemini CLI settings
  "theme": "GitHub",
  "mcpServers": {
    "pythonTools": {
      "command": "python",
      "args": ["-m", "my_mcp_server"],
      "env": { "API_KEY": "$MY_API_TOKEN" },
      "timeout": 15000
    }
  }
}
"""


@dataclass(frozen=True)
class Case:
    host: str
    seed: str
    parse: Callable[[str], Any]  # as the host reads the file
    relative: str  # the config file, under the temporary home


def _json5(text: str) -> Any:
    return json5.loads(text)


CASES = [
    Case("claude-desktop", CLAUDE_DESKTOP, json.loads, ".config/Claude/claude_desktop_config.json"),
    Case("claude-code", CLAUDE_CODE, json.loads, ".claude.json"),
    Case("cursor", CURSOR, _json5, ".cursor/mcp.json"),
    Case("vscode", VSCODE, _json5, ".config/Code/User/mcp.json"),
    Case("windsurf", WINDSURF, json.loads, ".codeium/windsurf/mcp_config.json"),
    Case("codex", CODEX, tomllib.loads, ".codex/config.toml"),
    Case("gemini", GEMINI, _json5, ".gemini/settings.json"),
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A person's home with no host programs on the PATH; the host folders point into it."""
    home = tmp_path / "home"
    (home / "bin").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    monkeypatch.setenv("PATH", str(home / "bin"))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "CHATGPT_HISTORY_EXPORTS", "CHATGPT_HISTORY_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(home)
    return home


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def servers_of(case: Case, text: str) -> dict[str, Any]:
    return dict(case.parse(text)[HOSTS[case.host].container])


def backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bak-*"))


def only_additions(old: str, new: str) -> bool:
    """``new`` is ``old`` with lines added; an old line may only have gained a comma (before a new member)."""
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "delete" or (tag == "replace" and i2 - i1 > j2 - j1):
            return False
        if tag == "replace" and not all(map(_gained_a_comma, a[i1:i2], b[j1:j2])):
            return False
    return True


def _gained_a_comma(before: str, after: str) -> bool:
    return any(after[k] == "," and after[:k] + after[k + 1 :] == before for k in range(len(after)))


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES, ids=[c.host for c in CASES])
async def test_install_writes_one_entry_that_starts_the_server(
    case: Case, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / case.relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(case.seed.encode())
    data = tmp_path / "my data"
    options = ["--data-dir", str(data), "--export", str(SAMPLE)]

    # --dry-run shows the change and writes nothing.
    code, out, _ = cli(capsys, "install", case.host, *options, "--dry-run")
    assert code == 0
    assert SCRIPT in out and "+" in out and "nothing written" in out
    assert path.read_bytes() == case.seed.encode() and not backups(path)

    code, out, err = cli(capsys, "install", case.host, *options)
    assert code == 0, err
    assert str(path) in out
    text = path.read_text(encoding="utf-8")
    servers = servers_of(case, text)
    ours = [name for name, entry in servers.items() if isinstance(entry, dict) and entry.get("command") == SCRIPT]
    assert ours == ["chatgpt-history"]
    entry = servers["chatgpt-history"]
    assert entry["args"] == ["serve", "--data-dir", str(data), "--export", str(SAMPLE)]
    if HOSTS[case.host].stdio_type:
        assert entry["type"] == "stdio"
    # Everything else is as it was: the other servers and settings, and the text around them.
    before = case.parse(case.seed)
    after = case.parse(text)
    assert {k: v for k, v in servers.items() if k != "chatgpt-history"} == servers_of(case, case.seed)
    assert {k: v for k, v in after.items() if k != HOSTS[case.host].container} == {
        k: v for k, v in before.items() if k != HOSTS[case.host].container
    }
    assert only_additions(case.seed, text), text
    [saved] = backups(path)
    assert saved.read_bytes() == case.seed.encode()

    # Idempotent: a second run changes nothing and says so.
    code, out, _ = cli(capsys, "install", case.host, *options)
    assert code == 0 and "already configured" in out and "nothing changed" in out
    assert path.read_text(encoding="utf-8") == text and len(backups(path)) == 1

    # The entry, run as the host runs it, serves this history.
    params = StdioServerParameters(
        command=entry["command"], args=entry["args"], env={**entry.get("env", {}), "HOME": str(home)}
    )
    async with Client(params) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS
        status = (await client.call_tool("history_status", {})).structured_content
        assert status is not None and Path(status["data_dir"]) == data

    # A different entry of the same name is not overwritten without --force.
    code, _, err = cli(capsys, "install", case.host, "--data-dir", str(tmp_path / "elsewhere"))
    assert code == 2 and "--force" in err and str(path) in err
    assert path.read_text(encoding="utf-8") == text
    code, _, err = cli(capsys, "install", case.host, "--data-dir", str(tmp_path / "elsewhere"), "--force")
    assert code == 0, err
    replaced = servers_of(case, path.read_text(encoding="utf-8"))
    assert replaced["chatgpt-history"]["args"] == ["serve", "--data-dir", str(tmp_path / "elsewhere")]
    assert set(replaced) == set(servers) and len(backups(path)) == 2

    # uninstall gives the file back as it was, byte for byte.
    code, out, _ = cli(capsys, "uninstall", case.host, "--dry-run")
    assert code == 0 and "-" in out and "chatgpt-history" in out
    code, out, err = cli(capsys, "uninstall", case.host)
    assert code == 0, err
    assert path.read_bytes() == case.seed.encode()
    code, out, _ = cli(capsys, "uninstall", case.host)
    assert code == 0 and "nothing changed" in out


#: The parser each JSON host reads its file with (tests/outside/read_config.mjs). Cursor, a VS Code fork whose
#: docs do not say, is read as VS Code reads JSONC.
HOST_PARSERS = {
    "claude-desktop": "json",
    "claude-code": "json",
    "cursor": "jsonc",
    "vscode": "jsonc",
    "windsurf": "json",
    "gemini": "strip-json-comments",
}


@pytest.fixture(scope="module")
def read_config() -> list[str]:
    """``node read_config.mjs``, found on the PATH before a test empties it."""
    command = node_package(READ_CONFIG_JS)
    if not (NODE_MODULES / "jsonc-parser").is_dir():
        missing("jsonc-parser is missing: run `npm ci --prefix tests/outside --ignore-scripts`")
    return command


@pytest.mark.parametrize("case", [c for c in CASES if c.host in HOST_PARSERS], ids=list(HOST_PARSERS))
def test_the_hosts_own_parser_reads_the_result(
    case: Case, read_config: list[str], home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / case.relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case.seed)
    assert cli(capsys, "install", case.host, "--export", str(SAMPLE))[0] == 0
    read = subprocess.run(
        [*read_config, HOST_PARSERS[case.host], str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout) == case.parse(path.read_text(encoding="utf-8"))
    assert json.loads(read.stdout)[HOSTS[case.host].container]["chatgpt-history"]["command"] == SCRIPT


@pytest.mark.parametrize("case", CASES, ids=[c.host for c in CASES])
def test_install_creates_a_missing_file(case: Case, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "install", case.host, "--name", "history")
    assert code == 0, err
    path = home / case.relative
    servers = servers_of(case, path.read_text(encoding="utf-8"))
    assert list(servers) == ["history"]
    assert servers["history"]["command"] == SCRIPT
    default_data = home / ".local" / "share" / "chatgpt-history-mcp"
    assert servers["history"]["args"] == ["serve", "--data-dir", str(default_data)]
    assert not backups(path)  # nothing to back up


JSONC_SEEDS = {
    "empty object": "{}\n",
    "empty servers": '{ "servers": {} }',
    "comment only inside": '{\n  "servers": {\n    // nothing yet\n  }\n}\n',
    "comment after last": '{\n  "servers": {\n    "a": { "command": "a" } // the a server\n  }\n}\n',
    "one line": '{"servers": {"a": {"command": "a"}}, "x": [1, 2]}',
    "crlf": '{\r\n  "servers": {\r\n    "a": {"command": "a"}\r\n  }\r\n}\r\n',
    "block comments": '/* top */ {\n  "servers": /* map */ {\n    "a": {"command": "a"}, /* c */\n  }\n}\n',
    "unicode and escapes": '{\n  "servers": {\n    "caf\\u00e9": {"command": "C:\\\\x.exe", "args": ["ü"]}\n  }\n}\n',
}


@pytest.mark.parametrize("seed", list(JSONC_SEEDS.values()), ids=list(JSONC_SEEDS))
def test_jsonc_files_of_every_shape_round_trip(seed: str, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / ".config" / "Code" / "User" / "mcp.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(seed.encode())
    assert cli(capsys, "install", "vscode")[0] == 0
    text = path.read_bytes().decode()
    parsed = json5.loads(text)
    original = {"servers": {}, **json5.loads(seed)}  # a file without "servers" gets one
    assert parsed["servers"].pop("chatgpt-history")["command"] == SCRIPT
    assert parsed == original
    if seed.count("\n") > 2:  # a file laid out on lines keeps every line (an empty or one-line one cannot)
        assert only_additions(seed, text), text
    if "\r\n" in seed:
        assert "\n" not in text.replace("\r\n", "")
    assert cli(capsys, "uninstall", "vscode")[0] == 0
    restored = path.read_bytes().decode()
    assert json5.loads(restored) == original
    if original["servers"]:  # a member added to an empty object leaves the object's new line break behind
        assert restored == seed


@pytest.mark.parametrize(
    ("seed", "complaint"),
    [
        ('{\n  "servers": {\n    "a": 1,,\n  }\n}', "line 3"),
        ('{"servers": []}', '"servers" is not a JSON object'),
        ("[1, 2]", "not hold a JSON object"),
        ('{"servers": {"a": "unterminated}}', "not closed"),
    ],
)
def test_a_broken_config_is_refused_and_left_alone(
    seed: str, complaint: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / ".config" / "Code" / "User" / "mcp.json"
    path.parent.mkdir(parents=True)
    path.write_text(seed)
    code, _, err = cli(capsys, "install", "vscode")
    assert code == 2
    assert str(path) in err and complaint in err and "fix it first" in err
    assert path.read_text() == seed and not backups(path)


def test_a_broken_toml_config_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / ".codex" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("model = \n")
    code, _, err = cli(capsys, "install", "codex")
    assert code == 2 and str(path) in err and "not valid TOML" in err
    assert path.read_text() == "model = \n"


def test_project_scope_is_claude_codes_alone(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "install", "cursor", "--scope", "project")
    assert code == 2 and "--scope project is for claude-code" in err
    assert not (home / ".cursor").exists()


def test_a_missing_export_is_refused(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "install", "cursor", "--export", str(home / "nope.zip"))
    assert code == 2 and "nope.zip does not exist" in err
    assert not (home / ".cursor" / "mcp.json").exists()


def test_list_shows_which_hosts_are_here_and_configured(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / ".cursor").mkdir()
    (home / ".gemini").mkdir()
    fake = home / "bin" / "codex"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert cli(capsys, "install", "gemini")[0] == 0
    code, out, _ = cli(capsys, "install", "--list")
    assert code == 0
    rows = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line) for line in out.splitlines()[1:])}
    assert set(rows) == set(HOSTS)
    assert rows["cursor"] == [f"yes ({home / '.cursor'} exists)", "no", str(home / ".cursor" / "mcp.json")]
    assert rows["codex"][0] == f"yes (codex at {fake})"
    assert rows["gemini"][1].startswith('yes ("chatgpt-history": ') and SCRIPT in rows["gemini"][1]
    assert rows["windsurf"] == ["no", "no", str(home / ".codeium" / "windsurf" / "mcp_config.json")]


@pytest.mark.anyio
async def test_under_uvx_the_entry_runs_uvx_with_this_version(home: Path, tmp_path: Path) -> None:
    """uvx runs tools from environments in uv's cache, which uv may prune: the entry names uvx, not that path."""
    cached = tmp_path / "cache" / "uv" / "archive-v0" / "f3Kq"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(cached)], check=True, timeout=120)
    python = next(p for p in (cached / "bin" / "python", cached / "Scripts" / "python.exe") if p.exists())
    uvx = home / "bin" / "uvx"  # runs `uvx chatgpt-history-mcp@V ARGS` as the installed script would
    uvx.write_text(f'#!/bin/sh\nshift\nexec "{SCRIPT}" "$@"\n')
    uvx.chmod(0o755)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "server"), *site.getsitepackages()])}
    data = tmp_path / "data"
    done = subprocess.run(
        [str(python), "-m", "chatgpt_history_mcp", "install", "cursor", "--data-dir", str(data)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    entry = json.loads((home / ".cursor" / "mcp.json").read_text())["mcpServers"]["chatgpt-history"]
    assert entry == {
        "command": str(uvx),
        "args": [f"chatgpt-history-mcp@{__version__}", "serve", "--data-dir", str(data)],
    }
    async with Client(StdioServerParameters(command=entry["command"], args=entry["args"])) as client:
        assert {t.name for t in (await client.list_tools()).tools} == TOOLS


# ------------------------------------------------------------------------------------------ Claude Code's CLI

FAKE_CLAUDE = """#!{python}
# Records how it was called; `mcp add` / `mcp remove` change the config as claude does.
import json, os, sys
from pathlib import Path
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
args = sys.argv[1:]
scope = args[args.index("--scope") + 1]
path = Path.cwd() / ".mcp.json" if scope == "project" else Path(os.environ["HOME"]) / ".claude.json"
config = json.loads(path.read_text()) if path.exists() else {{}}
servers = config.setdefault("mcpServers", {{}})
if args[:2] == ["mcp", "add"]:
    name = args[args.index("--scope") + 2]
    command = args[args.index("--") + 1 :]
    servers[name] = {{"type": "stdio", "command": command[0], "args": command[1:], "env": {{}}}}
elif args[:2] == ["mcp", "remove"]:
    servers.pop(args[-1])
path.write_text(json.dumps(config, indent=2))
"""


@pytest.fixture
def claude(home: Path) -> Path:
    """A ``claude`` on the PATH that logs its calls; returns the log."""
    log = home / "claude-calls.jsonl"
    fake = home / "bin" / "claude"
    fake.write_text(FAKE_CLAUDE.format(python=sys.executable, log=str(log)))
    fake.chmod(0o755)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_claude_code_goes_through_claude_mcp_when_claude_is_installed(
    claude: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, out, _ = cli(capsys, "install", "claude-code", "--data-dir", str(data), "--dry-run")
    assert code == 0 and "would run: claude mcp add --scope user chatgpt-history --" in out
    assert calls(claude) == []

    code, out, err = cli(capsys, "install", "claude-code", "--data-dir", str(data))
    assert code == 0, err
    assert calls(claude) == [
        {
            "argv": [
                "mcp",
                "add",
                "--scope",
                "user",
                "chatgpt-history",
                "--",
                SCRIPT,
                "serve",
                "--data-dir",
                str(data),
            ],
            "cwd": str(home),
        }
    ]
    assert "claude mcp" in out
    # Claude's file now has it: a second run calls nothing.
    code, out, _ = cli(capsys, "install", "claude-code", "--data-dir", str(data))
    assert code == 0 and "already configured" in out and len(calls(claude)) == 1

    code, _, err = cli(capsys, "install", "claude-code", "--data-dir", str(tmp_path / "other"))
    assert code == 2 and "--force" in err and len(calls(claude)) == 1
    assert cli(capsys, "install", "claude-code", "--data-dir", str(tmp_path / "other"), "--force")[0] == 0
    assert [c["argv"][:2] for c in calls(claude)[1:]] == [["mcp", "remove"], ["mcp", "add"]]
    assert backups(home / ".claude.json")

    assert cli(capsys, "uninstall", "claude-code")[0] == 0
    assert calls(claude)[-1]["argv"] == ["mcp", "remove", "--scope", "user", "chatgpt-history"]
    assert json.loads((home / ".claude.json").read_text())["mcpServers"] == {}


def test_claude_code_project_scope_runs_claude_in_the_project(
    claude: Path, home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "my project"
    project.mkdir()
    code, _, err = cli(capsys, "install", "claude-code", "--scope", "project", "--project", str(project))
    assert code == 0, err
    [call] = calls(claude)
    assert call["cwd"] == str(project) and call["argv"][:4] == ["mcp", "add", "--scope", "project"]
    assert json.loads((project / ".mcp.json").read_text())["mcpServers"]["chatgpt-history"]["command"] == SCRIPT


def test_claude_code_without_claude_writes_its_files(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    assert cli(capsys, "install", "claude-code", "--scope", "project", "--project", str(project))[0] == 0
    entry = json.loads((project / ".mcp.json").read_text())["mcpServers"]["chatgpt-history"]
    assert entry["type"] == "stdio" and entry["command"] == SCRIPT
    assert not (home / ".claude.json").exists()  # the project's file only


def test_config_dirs_move_with_their_environment_variables(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex-home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-dir"))
    assert cli(capsys, "install", "codex")[0] == 0
    assert cli(capsys, "install", "claude-code")[0] == 0
    assert "chatgpt-history" in tomllib.loads((tmp_path / "codex-home" / "config.toml").read_text())["mcp_servers"]
    assert "chatgpt-history" in json.loads((tmp_path / "claude-dir" / ".claude.json").read_text())["mcpServers"]


@pytest.mark.parametrize(
    ("platform", "host", "expected"),
    [
        ("darwin", "claude-desktop", "HOME/Library/Application Support/Claude/claude_desktop_config.json"),
        ("win32", "claude-desktop", "APPDATA/Claude/claude_desktop_config.json"),
        ("linux", "claude-desktop", "XDG/Claude/claude_desktop_config.json"),
        ("darwin", "vscode", "HOME/Library/Application Support/Code/User/mcp.json"),
        ("win32", "vscode", "APPDATA/Code/User/mcp.json"),
        ("linux", "vscode", "XDG/Code/User/mcp.json"),
        ("win32", "cursor", "HOME/.cursor/mcp.json"),
        ("win32", "windsurf", "HOME/.codeium/windsurf/mcp_config.json"),
        ("win32", "codex", "HOME/.codex/config.toml"),
        ("win32", "gemini", "HOME/.gemini/settings.json"),
        ("win32", "claude-code", "HOME/.claude.json"),
    ],
)
def test_each_platform_gets_the_hosts_own_path(platform: str, host: str, expected: str, tmp_path: Path) -> None:
    folders = {"HOME": tmp_path / "home", "APPDATA": tmp_path / "roaming", "XDG": tmp_path / "xdg"}
    env = {"APPDATA": str(folders["APPDATA"]), "XDG_CONFIG_HOME": str(folders["XDG"])}
    place = Place(platform, folders["HOME"], env, tmp_path)
    root, _, rest = expected.partition("/")
    assert HOSTS[host].config_path(place) == folders[root].joinpath(*rest.split("/"))


def test_the_command_line_lists_install_among_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["install", "--help"])
    out = capsys.readouterr().out
    assert all(host in out for host in HOSTS) and "--dry-run" in out and "--force" in out


# ---------------------------------------------------------------------------------------- the JSONC editor

_keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
_scalars = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8)
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3))


@settings(deadline=None)  # a shared machine: the time per example says nothing here
@given(
    servers=st.dictionaries(_keys.filter(lambda k: k != "ours"), _values, max_size=4),
    others=st.dictionaries(_keys.filter(lambda k: k != "servers"), _values, max_size=3),
    indent=st.sampled_from([None, 2, 4, "\t"]),
    trailing=st.booleans(),
    comment=st.booleans(),
)
def test_any_json_file_keeps_its_content_through_add_and_remove(
    servers: dict[str, Any], others: dict[str, Any], indent: int | str | None, trailing: bool, comment: bool
) -> None:
    text = json.dumps({**others, "servers": servers}, indent=indent, ensure_ascii=False)
    if trailing and servers and indent is not None:  # a trailing comma after the last server, as JSONC allows
        head, _, tail = text.rpartition("}")
        head, _, rest = head.rpartition("}")
        text = head + "}" + rest + "}" + tail
    if comment and indent is not None:
        text = text.replace("\n", " // note\n", 1)
    entry = {"type": "stdio", "command": "/bin/x", "args": ["serve"]}
    added = Document(text, "f").with_member("servers", "ours", entry)
    assert json5.loads(added) == {**others, "servers": {**servers, "ours": entry}}
    removed = Document(added, "f").without_member("servers", "ours")
    if servers:
        assert removed == text
    else:  # an empty object keeps the line break the new member brought
        assert json5.loads(removed) == json5.loads(text)
