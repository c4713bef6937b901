"""The MCPB bundle, Claude Desktop's one-click install: manifest.json is valid and describes the package, the
bundle holds what it needs, and the packed bundle starts and answers as Claude Desktop starts it.

"As Claude Desktop starts it": the bundle is unpacked into a folder whose name has a space (like
``Claude Extensions``), its ``mcp_config`` is resolved by the host's own substitution code (``getMcpConfigForManifest``
from the pinned @anthropic-ai/mcpb, see tests/outside/host_config.mjs) from a user's settings, and the command
runs with the host's kind of environment: PATH and HOME, no virtualenv, nothing of this test's Python.
The command is ``uv run --directory <bundle> chatgpt-history-mcp serve``: the first start installs the
dependencies from PyPI into the bundle's ``.venv`` (slow once), later starts reuse it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import tomllib
import zipfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.settings import Settings
from outside import HOST_CONFIG_JS, MCPB_JS, REPO, console_script, node_package
from sample import ALL_SAMPLE, SAMPLE, SOURDOUGH
from servers import TOOLS

pytestmark = pytest.mark.anyio

MANIFEST = REPO / "manifest.json"
#: The first start resolves and installs the dependencies from PyPI (CI has PyPI; a slow mirror takes long).
FIRST_START_TIMEOUT = 600.0
#: Later starts reuse the bundle's environment: about a second, plus the server's own start.
LATER_START_TIMEOUT = 60.0
#: The few files the bundle's pyproject.toml builds from, beside the package's sources.
BUNDLE_FILES = {"manifest.json", "pyproject.toml", "uv.lock", "README.md", "LICENSE", "examples/sample-export.zip"}
#: Kept from this process's environment: how to reach PyPI (proxies, certificates, uv's own settings) and
#: what Windows programs need.
PASS_THROUGH = {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "SYSTEMROOT",
    "LOCALAPPDATA",
    "APPDATA",
    "USERPROFILE",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mcpb() -> list[str]:
    return node_package(MCPB_JS)


@pytest.fixture(scope="module")
def bundle(mcpb: list[str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mcpb pack`` of the checkout: the repository's .mcpbignore keeps only what the bundle needs."""
    out = tmp_path_factory.mktemp("bundle") / "chatgpt-history-mcp.mcpb"
    packed = subprocess.run([*mcpb, "pack", str(REPO), str(out)], capture_output=True, text=True, timeout=120)
    assert packed.returncode == 0, packed.stdout + packed.stderr
    return out


@pytest.fixture(scope="module")
def installed(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle unpacked as the host installs it (a .mcpb is a ZIP), into a folder with a space in its name."""
    folder = tmp_path_factory.mktemp("host") / "Claude Extensions" / "local.mcpb.chatgpt-history-mcp"
    with zipfile.ZipFile(bundle) as z:
        z.extractall(folder)
    return folder


@pytest.fixture(scope="module")
def uv() -> str:
    return console_script("uv")


def host_config(folder: Path, user_config: dict[str, Any]) -> dict[str, Any]:
    """The bundle's mcp_config resolved by the host's code from ``user_config`` (the user's settings)."""
    command = node_package(HOST_CONFIG_JS)
    home = str(Path.home())
    system_dirs = {"HOME": home, "DESKTOP": home, "DOCUMENTS": home, "DOWNLOADS": home}
    resolved = subprocess.run(
        [*command, str(folder), json.dumps(user_config), json.dumps(system_dirs)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resolved.returncode == 0, resolved.stderr
    return json.loads(resolved.stdout)


def host_env(uv: str, tmp: Path, config: dict[str, Any]) -> dict[str, str]:
    """A host's environment for the server: PATH (with uv on it) and HOME, the platform folders kept in ``tmp``
    (where the server's default data folder is), plus the manifest's env. The uv cache stays the user's."""
    path = os.pathsep.join([str(Path(uv).parent), os.environ.get("PATH", "")])
    env = {
        "PATH": path,
        "HOME": str(Path.home()),
        "XDG_DATA_HOME": str(tmp / "xdg-data"),
        "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
        "CHATGPT_HISTORY_CONFIG_DIR": str(tmp / "config"),  # never a stored token of the person running this
    }
    # What a person's machine sets up for every program, so uv reaches PyPI here as it would there.
    env.update({k: v for k, v in os.environ.items() if k.upper() in PASS_THROUGH or k.startswith("UV_")})
    return {**env, **config.get("env", {})}


class Started:
    """A session with the bundle's server; ``seconds`` from spawn to the tools/list answer."""

    def __init__(self, client: Client, tools: set[str], seconds: float, log: Path) -> None:
        self.client, self.tools, self.seconds, self.log = client, tools, seconds, log

    async def status(self, conversations: int | None = None, settle: float = 0.0) -> dict[str, Any]:
        """history_status once no import runs and, if given, it counts ``conversations``; with ``settle``, also
        once an import has run or ``settle`` seconds have passed (an import starts just after the store opens)."""
        started = time.monotonic()
        while True:
            result = await self.client.call_tool("history_status", {})
            assert not result.is_error, result.content
            status = result.structured_content
            assert status is not None
            waited = time.monotonic() - started
            importing = status["importing"]
            if (
                not importing["running"]
                and conversations in (None, status["conversations"])
                and (importing["path"] is not None or waited >= settle)
            ):
                return status
            assert waited < 30, f"not {conversations} conversations after 30s: {status}"
            await anyio.sleep(0.1)


class Host:
    """Runs the installed bundle's server as the host runs it."""

    def __init__(self, uv: str, folder: Path, tmp: Path) -> None:
        self.uv, self.folder, self.tmp = uv, folder, tmp
        self.sessions = 0

    def params(self, user_config: dict[str, Any]) -> StdioServerParameters:
        config = host_config(self.folder, user_config)
        env = host_env(self.uv, self.tmp, config)
        command = shutil.which(config["command"], path=env["PATH"])  # a host spawns it from its PATH
        assert command is not None, f"{config['command']} is not on the PATH"
        return StdioServerParameters(command=command, args=config.get("args", []), env=env)

    @asynccontextmanager
    async def session(self, user_config: dict[str, Any], timeout: float) -> AsyncIterator[Started]:
        params = self.params(user_config)
        self.sessions += 1
        log = self.tmp / f"server-{self.sessions}.log"  # the server's stderr (and uv's)
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as errlog, anyio.fail_after(timeout):
            async with AsyncExitStack() as stack:
                try:
                    # The handshake era, as Claude Desktop speaks it.
                    client = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog), mode="legacy"))
                    tools = {t.name for t in (await client.list_tools()).tools}
                except Exception as exc:
                    server_log = log.read_text(encoding="utf-8")
                    raise AssertionError(f"{params.command} {params.args} did not start:\n{server_log}") from exc
                yield Started(client, tools, time.monotonic() - started, log)


def installed_versions(venv: Path) -> dict[str, str]:
    """What an environment holds: its distributions and their versions, by normalized name."""
    found = {}
    for metadata in venv.glob("lib*/**/site-packages/*.dist-info/METADATA"):
        fields = dict(
            line.split(": ", 1) for line in metadata.read_text(encoding="utf-8").splitlines()[:3] if ": " in line
        )
        found[re.sub(r"[-_.]+", "-", fields["Name"]).lower()] = fields["Version"]
    return found


def locked_versions(lock: Path, names: set[str]) -> dict[str, set[str]]:
    """The versions uv.lock pins for ``names``: one each, or one per Python range where markers split it
    (numpy's newest releases need a newer Python than 3.11)."""
    packages = tomllib.loads(lock.read_text(encoding="utf-8"))["package"]
    pinned: dict[str, set[str]] = {}
    for package in packages:
        pinned.setdefault(package["name"], set()).add(package.get("version"))
    return {name: pinned.get(name, {"not in uv.lock"}) for name in names}


@pytest.fixture(scope="module")
def host(uv: str, installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Host:
    return Host(uv, installed, tmp_path_factory.mktemp("host-env"))


# ---------------------------------------------------------------------------------------------- the manifest


def test_mcpb_validates_the_manifest(mcpb: list[str]) -> None:
    validated = subprocess.run([*mcpb, "validate", str(MANIFEST)], capture_output=True, text=True, timeout=60)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "validation passes" in validated.stdout


async def test_the_manifest_describes_the_package(manifest: dict[str, Any], tmp_path: Path) -> None:
    assert manifest["manifest_version"] == "0.2"  # Claude Desktop builds have refused newer ones
    assert manifest["version"] == __version__
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == manifest["name"]
    assert "chatgpt-history-mcp" in pyproject["project"]["scripts"]
    assert pyproject["project"]["requires-python"] == manifest["compatibility"]["runtimes"]["python"]
    assert manifest["license"] == pyproject["project"]["license"]
    assert all(manifest[key] for key in ("display_name", "description", "long_description", "keywords"))
    assert manifest["author"]["name"]

    # Every tool the server can offer, send_message included (it is there with allow-send on).
    server = create_server(Settings(data_dir=tmp_path / "data", config_dir=tmp_path / "config", allow_send=True))
    async with Client(server) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    assert {t["name"] for t in manifest["tools"]} == tools == TOOLS | {"send_message"}
    assert all(t["description"] for t in manifest["tools"])
    send = next(t for t in manifest["tools"] if t["name"] == "send_message")
    assert "Allow sending" in send["description"]
    assert {p["name"] for p in manifest["prompts"]} == set(prompts)
    for prompt in manifest["prompts"]:
        assert prompt["arguments"] == [a.name for a in prompts[prompt["name"]].arguments or []]


def test_the_settings_reach_the_server_as_the_host_passes_them(manifest: dict[str, Any]) -> None:
    options = manifest["user_config"]
    assert {k: (v["type"], v.get("multiple", False)) for k, v in options.items()} == {
        "exports": ("file", True),
        "data_dir": ("directory", False),
        "session_token": ("string", False),
        "allow_send": ("boolean", False),
    }
    assert not any(option.get("required") for option in options.values())
    assert options["session_token"]["sensitive"] is True
    assert options["allow_send"]["default"] is False
    config = manifest["server"]["mcp_config"]
    # The host substitutes in one pass, ${HOME} & co. first: a ${HOME} inside a default would stay literal.
    assert not any("${" in str(option.get("default", "")) for option in options.values())
    # An optional string with no default and no value reaches the server as the literal "${user_config.x}";
    # an empty default makes it an empty variable, which the server reads as unset.
    for key in ("data_dir", "session_token"):
        assert options[key]["default"] == ""
    assert config["env"] == {
        "CHATGPT_HISTORY_DATA_DIR": "${user_config.data_dir}",
        "CHATGPT_HISTORY_ALLOW_SEND": "${user_config.allow_send}",
        "CHATGPT_SESSION_TOKEN": "${user_config.session_token}",  # a secret: in env, never in args
    }
    # A list spreads into args only as a whole argument; a path may hold spaces, so no shell in between.
    assert config["args"][-2:] == ["--export", "${user_config.exports}"]
    # The first start installs what uv.lock pins (the tested versions), never a fresh resolution.
    assert config["command"] == "uv" and config["args"][:2] == ["run", "--frozen"]
    assert not any("session_token" in arg for arg in config["args"])


def test_the_bundle_holds_what_it_needs_and_nothing_else(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        assert json.loads(z.read("manifest.json")) == json.loads(MANIFEST.read_text(encoding="utf-8"))
        assert z.read("examples/sample-export.zip") == SAMPLE.read_bytes()
    package = REPO / "server" / "chatgpt_history_mcp"
    sources = {p.relative_to(REPO).as_posix() for p in package.rglob("*.py") if "__pycache__" not in p.parts}
    assert names == BUNDLE_FILES | sources
    assert sum(1 for _ in package.rglob("*.py")) >= 20  # the whole package, not a stray file


# ------------------------------------------------------------------------------------- the bundle, started


async def test_the_bundle_starts_as_the_host_starts_it(host: Host, tmp_path: Path) -> None:
    data = tmp_path / "my data"
    settings = {"exports": [str(SAMPLE)], "data_dir": str(data), "allow_send": False, "session_token": ""}
    first = time.monotonic()
    async with host.session(settings, FIRST_START_TIMEOUT) as server:
        assert server.tools == TOOLS
        status = await server.status(conversations=ALL_SAMPLE)
        assert Path(status["data_dir"]) == data
        assert [Path(s["path"]) for s in status["sources"]] == [SAMPLE.resolve()]
        assert status["credentials_configured"] is False
        assert status["importing"]["last_error"] is None
        found = await server.client.call_tool("search_conversations", {"query": "sourdough starter"})
        assert found.structured_content["results"][0]["conversation_id"] == SOURDOUGH
    print(f"\nfirst start (installs the environment): {server.seconds:.1f}s to tools/list")
    assert (host.folder / ".venv").is_dir(), "uv keeps the environment in the bundle's folder"
    versions = installed_versions(host.folder / ".venv")
    assert versions.pop("chatgpt-history-mcp") == __version__
    locked = locked_versions(host.folder / "uv.lock", set(versions))
    unlocked = {name: (version, locked[name]) for name, version in versions.items() if version not in locked[name]}
    assert not unlocked  # the tested versions, each of them

    # Started again, as on every Claude Desktop launch: the environment is reused; the settings changed.
    again = {**settings, "allow_send": True, "session_token": "a-session-token-from-the-keychain"}
    async with host.session(again, LATER_START_TIMEOUT) as server:
        assert server.tools == TOOLS | {"send_message"}
        status = await server.status(conversations=ALL_SAMPLE)
        assert status["credentials_configured"] is True
        assert [Path(s["path"]) for s in status["sources"]] == [SAMPLE.resolve()]  # not imported twice
    print(f"later start: {server.seconds:.1f}s to tools/list ({time.monotonic() - first:.1f}s both sessions)")


async def test_a_bundle_with_no_settings_starts_on_the_default_folder(host: Host) -> None:
    async with host.session({}, FIRST_START_TIMEOUT) as server:
        assert server.tools == TOOLS
        status = await server.status(settle=2.0)
        assert status["conversations"] == 0
        assert Path(status["data_dir"]).is_relative_to(host.tmp / "xdg-data")
        assert status["credentials_configured"] is False
    assert status["importing"]["last_error"] is None  # the unset exports setting arrives as a literal placeholder


@pytest.mark.parametrize("exports", [[], ["sample", "other"], [""]], ids=["empty-list", "two-exports", "empty-path"])
async def test_any_number_of_exports_reaches_the_server(
    host: Host, tmp_path: Path, exports: list[str], build_conversation: Any, write_export: Any
) -> None:
    other = write_export(
        tmp_path / "another export.zip", [build_conversation("c0ffee00-0000-4000-8000-000000000001", ["hi", "hello"])]
    )
    paths = [{"sample": str(SAMPLE), "other": str(other)}.get(e, e) for e in exports]
    async with host.session({"exports": paths, "data_dir": str(tmp_path / "data")}, FIRST_START_TIMEOUT) as server:
        assert server.tools == TOOLS
        status = await server.status(conversations=ALL_SAMPLE + 1 if paths and paths[0] else 0, settle=2.0)
        assert status["importing"]["last_error"] is None, server.log.read_text(encoding="utf-8")
        assert len(status["sources"]) == len([p for p in paths if p])
