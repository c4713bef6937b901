"""A host's config file as text: read one server entry, produce the text with it set or removed, write it safely.

JSON files are edited in place (``jsonc``); TOML goes through ``tomlkit``, which keeps comments, order and
formatting. Writing backs the old file up beside it and replaces the file atomically, keeping its permissions
(``~/.claude.json`` is private to its owner).
"""

from __future__ import annotations

import difflib
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table

from chatgpt_history_mcp.errors import InstallError
from chatgpt_history_mcp.install.hosts import Host
from chatgpt_history_mcp.install.jsonc import Document


class ConfigFile:
    """One host config file, read once; ``text`` is what is on disk ("" when there is no file)."""

    def __init__(self, host: Host, path: Path) -> None:
        self.host, self.path = host, path
        try:
            self.text = path.read_bytes().decode("utf-8") if path.is_file() else ""
        except UnicodeDecodeError as exc:
            raise InstallError(f"{path} is not UTF-8 text ({exc.reason}); fix it first") from exc
        except OSError as exc:
            raise InstallError(f"cannot read {path}: {exc.strerror}") from exc
        self._json = Document(self.text, str(path)) if host.format == "json" else None
        self._toml = self._parse_toml() if host.format == "toml" else None

    def entries(self) -> dict[str, Any]:
        if self._json is not None:
            return self._json.entries(self.host.container)
        servers = self._servers()
        return {} if servers is None else dict(servers.unwrap())

    def get(self, name: str) -> Any:
        return self.entries().get(name)

    def with_entry(self, name: str, entry: dict[str, Any]) -> str:
        if self._json is not None:
            return self._json.with_member(self.host.container, name, entry)
        doc = self._parse_toml()  # a fresh copy: the read one stays as it was
        servers = _servers_of(doc, self.host.container, str(self.path))
        if servers is None:
            servers = tomlkit.table(is_super_table=True)
            doc.append(self.host.container, servers)
        table = tomlkit.table()
        for key, value in entry.items():
            table.add(key, value)
        if name in servers:
            servers[name] = table
        else:
            servers.append(name, table)
        return tomlkit.dumps(doc)

    def without_entry(self, name: str) -> str:
        if self._json is not None:
            return self._json.without_member(self.host.container, name)
        doc = self._parse_toml()
        servers = _servers_of(doc, self.host.container, str(self.path))
        if servers is None or name not in servers:
            return self.text
        del servers[name]
        if not servers and servers.is_super_table():
            del doc[self.host.container]
        return tomlkit.dumps(doc)

    def _parse_toml(self) -> tomlkit.TOMLDocument:
        try:
            return tomlkit.parse(self.text)
        except tomlkit.exceptions.ParseError as exc:
            raise InstallError(f"{self.path} is not valid TOML ({exc}); fix it first") from exc

    def _servers(self) -> Table | None:
        assert self._toml is not None
        return _servers_of(self._toml, self.host.container, str(self.path))


def _servers_of(doc: tomlkit.TOMLDocument, key: str, where: str) -> Table | None:
    servers = doc.get(key)
    if servers is not None and not isinstance(servers, Table):
        raise InstallError(f"{where}: {key} is not a table; fix it first")
    return servers


def diff(path: Path, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=str(path), tofile=str(path)
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def backup(path: Path) -> Path | None:
    """A copy of ``path`` beside it, ``<name>.bak-<local time>``; None when there is no file yet."""
    if not path.is_file():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.bak-{stamp}-{counter}")
    target.write_bytes(path.read_bytes())
    os.chmod(target, stat.S_IMODE(path.stat().st_mode))
    return target


def write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` at once (a reader sees the old file or the new one, never half)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(text.encode("utf-8"))
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        raise InstallError(f"cannot write {path}: {exc.strerror}") from exc
