"""What a release ships: the lock file matches pyproject.toml, the sdist and wheel build and pass ``twine check``,
and ``server.json`` is what the MCP registry accepts and describes this package.

Everything here runs offline: ``uv lock --check --offline`` reads only the lock and uv's cache, and the build
runs without isolation on the ``hatchling`` of this environment. Without uv or build/twine the tests skip, and
fail instead under ``CHATGPT_HISTORY_OUTSIDE_CLIENTS=required`` (CI).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp import __version__
from chatgpt_history_mcp.settings import ENV_ALLOW_SEND, ENV_DATA_DIR, ENV_EXPORTS, ENV_SESSION_TOKEN
from outside import REPO, console_script, missing

SCHEMA = REPO / "tests" / "registry" / "server.schema.json"
SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def server_json() -> dict[str, Any]:
    return json.loads((REPO / "server.json").read_text(encoding="utf-8"))


def test_the_lock_file_matches_pyproject() -> None:
    uv = console_script("uv")
    checked = subprocess.run(
        [uv, "lock", "--check", "--offline"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert checked.returncode == 0, f"uv.lock is out of date: run `uv lock`\n{checked.stderr}"
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"] for p in lock["package"]}
    wanted = {re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0].lower() for d in PYPROJECT["project"]["dependencies"]}
    assert wanted <= locked
    whoosh = next(p for p in lock["package"] if p["name"] == "whoosh3")
    assert whoosh["version"] == "3.54.0"  # the exact pin holds in the lock too


def test_the_sdist_and_wheel_build_and_pass_twine_check(tmp_path: Path) -> None:
    if find_spec("build") is None or find_spec("twine") is None or find_spec("hatchling") is None:
        missing("build, twine and hatchling are not installed (pip install '.[test]')")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next(tmp_path.glob("*.whl"))
    sdist = next(tmp_path.glob("*.tar.gz"))
    assert wheel.name == f"chatgpt_history_mcp-{__version__}-py3-none-any.whl"
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert "chatgpt_history_mcp/data/sample-export.zip" in names  # `demo` works from the wheel
        assert "chatgpt_history_mcp/install/jsonc.py" in names
        entry_points = z.read(f"chatgpt_history_mcp-{__version__}.dist-info/entry_points.txt").decode()
        assert "chatgpt-history-mcp = chatgpt_history_mcp.cli:main" in entry_points
    with tarfile.open(sdist) as t:
        members = {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name}
    assert {"pyproject.toml", "uv.lock", "server.json", "README.md"} <= members


def test_server_json_is_valid_for_the_registry(server_json: dict[str, Any]) -> None:
    import jsonschema

    raw = SCHEMA.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "tests/registry/server.schema.json was changed"
    schema = json.loads(raw)
    assert schema["$id"] == server_json["$schema"] == SCHEMA_URL
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(server_json)]
    assert errors == []
    # The schema rejects what is wrong with a document of this shape (it is not a schema that accepts anything).
    broken = {**server_json, "name": "no-slash", "description": "x" * 101}
    assert len(list(validator.iter_errors(broken))) == 2


def test_server_json_describes_this_package(server_json: dict[str, Any]) -> None:
    [package] = server_json["packages"]
    assert server_json["version"] == package["version"] == __version__
    assert package["registryType"] == "pypi" and package["identifier"] == PYPROJECT["project"]["name"]
    assert package["transport"] == {"type": "stdio"}
    assert package["runtimeHint"] == "uvx"
    assert [a["value"] for a in package["packageArguments"]] == ["serve"]
    variables = {v["name"]: v for v in package["environmentVariables"]}
    assert set(variables) == {ENV_EXPORTS, ENV_DATA_DIR, ENV_SESSION_TOKEN, ENV_ALLOW_SEND}
    assert variables[ENV_SESSION_TOKEN]["isSecret"] is True
    assert not any(v.get("isRequired") for v in variables.values())
    manifest = json.loads((REPO / "manifest.json").read_text(encoding="utf-8"))
    assert server_json["description"] == manifest["description"]
    # The registry proves a PyPI package is this server by finding its name in the package's README.
    assert f"mcp-name: {server_json['name']}" in (REPO / "README.md").read_text(encoding="utf-8")
