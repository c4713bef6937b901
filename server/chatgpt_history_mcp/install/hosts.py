"""The MCP hosts `install` knows: where each keeps its servers, under which key, in which shape.

Taken from each host's own documentation as published in December 2026 (read through copies of those pages; none
of these hosts runs on the machine the tests run on, so the tests check the files against these shapes):

- Claude Desktop (modelcontextprotocol.io "Connect to local MCP servers"): ``claude_desktop_config.json`` in
  Electron's appData folder: ``~/Library/Application Support/Claude`` (macOS), ``%APPDATA%\\Claude`` (Windows),
  ``$XDG_CONFIG_HOME/Claude`` or ``~/.config/Claude`` (Linux builds, unofficial); ``mcpServers.<name> =
  {command, args, env}``; read with ``JSON.parse`` (plain JSON, no comments).
- Claude Code (code.claude.com/docs/en/mcp): ``claude mcp add --scope user|project <name> -- <command> [args…]``;
  user scope is ``mcpServers`` at the top of ``~/.claude.json`` (``$CLAUDE_CONFIG_DIR/.claude.json`` when that
  is set, code.claude.com/docs/en/env-vars), project scope is ``.mcp.json`` at the project root; entries are
  ``{"type": "stdio", command, args, env}``.
- Cursor (cursor.com/docs/mcp): ``~/.cursor/mcp.json``, ``mcpServers``.
- VS Code (code.visualstudio.com/docs/copilot/reference/mcp-configuration): the user profile's ``mcp.json`` in
  the user folder (``~/Library/Application Support/Code/User``, ``%APPDATA%\\Code\\User``, ``~/.config/Code/User``),
  top-level ``servers``, stdio entries ``{"type": "stdio", command, args, env}``; the file is JSONC.
- Windsurf (docs.windsurf.com/windsurf/cascade/mcp): ``~/.codeium/windsurf/mcp_config.json``, ``mcpServers``.
- Codex CLI (developers.openai.com/codex: config-basic, environment-variables): ``~/.codex/config.toml``
  (``$CODEX_HOME`` when set), ``[mcp_servers.<name>]`` with ``command``, ``args``, ``env``.
- Gemini CLI (github.com/google-gemini/gemini-cli docs/tools/mcp-server.md, docs/cli/configuration.md):
  ``~/.gemini/settings.json``, ``mcpServers.<name> = {command, args, env, …}``; comments are allowed there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Scope = Literal["user", "project"]


@dataclass(frozen=True)
class Place:
    """Where a host looks, as seen from one machine: its platform, home folder and environment."""

    platform: str  # sys.platform: darwin, win32, linux…
    home: Path
    env: Mapping[str, str]
    project: Path  # Claude Code's project scope: the folder whose .mcp.json is written

    def app_data(self) -> Path:
        """Electron's appData folder (Claude Desktop, VS Code keep their settings under it)."""
        if self.platform == "darwin":
            return self.home / "Library" / "Application Support"
        if self.platform == "win32":
            return Path(self.env["APPDATA"]) if self.env.get("APPDATA") else self.home / "AppData" / "Roaming"
        xdg = self.env.get("XDG_CONFIG_HOME")
        return Path(xdg) if xdg else self.home / ".config"

    def on_path(self, command: str) -> str | None:
        return shutil.which(command, path=self.env.get("PATH"))


@dataclass(frozen=True)
class Host:
    id: str
    title: str
    format: Literal["json", "toml"]
    container: str  # the key that maps server names to entries
    stdio_type: bool  # the entry carries "type": "stdio"
    program: str | None  # the host's command-line program, when it has one
    after: str  # what the person does next for the host to load the entry

    def config_path(self, place: Place, scope: Scope = "user") -> Path:
        home, env = place.home, place.env
        if self.id == "claude-desktop":
            return place.app_data() / "Claude" / "claude_desktop_config.json"
        if self.id == "claude-code":
            if scope == "project":
                return place.project / ".mcp.json"
            config_dir = env.get("CLAUDE_CONFIG_DIR")
            return (Path(config_dir) if config_dir else home) / ".claude.json"
        if self.id == "cursor":
            return home / ".cursor" / "mcp.json"
        if self.id == "vscode":
            return place.app_data() / "Code" / "User" / "mcp.json"
        if self.id == "windsurf":
            return home / ".codeium" / "windsurf" / "mcp_config.json"
        if self.id == "codex":
            codex_home = env.get("CODEX_HOME")
            return (Path(codex_home) if codex_home else home / ".codex") / "config.toml"
        assert self.id == "gemini"
        return home / ".gemini" / "settings.json"

    def presence(self, place: Place) -> str | None:
        """Why the host looks installed here (its program found, its config folder there), or None."""
        if self.program and (found := place.on_path(self.program)):
            return f"{self.program} at {found}"
        folder = self.config_path(place).parent
        if self.id == "claude-code":  # ~/.claude.json sits in the home folder; Claude Code's own folder tells
            folder = (
                Path(place.env["CLAUDE_CONFIG_DIR"]) if place.env.get("CLAUDE_CONFIG_DIR") else place.home / ".claude"
            )
        if folder.is_dir() and folder != place.home:
            return f"{folder} exists"
        return None

    def entry(self, command: list[str]) -> dict[str, Any]:
        """The server entry this host reads: ``command`` is the program and its arguments."""
        entry: dict[str, Any] = {"type": "stdio"} if self.stdio_type else {}
        entry["command"] = command[0]
        entry["args"] = command[1:]
        return entry


HOSTS: dict[str, Host] = {
    host.id: host
    for host in (
        Host("claude-desktop", "Claude Desktop", "json", "mcpServers", False, None, "Quit and reopen Claude Desktop."),
        Host("claude-code", "Claude Code", "json", "mcpServers", True, "claude", "Start a new Claude Code session."),
        Host("cursor", "Cursor", "json", "mcpServers", False, None, "Cursor loads it in Settings → MCP."),
        Host("vscode", "VS Code", "json", "servers", True, "code", "VS Code offers to start it in the chat view."),
        Host("windsurf", "Windsurf", "json", "mcpServers", False, None, "Refresh the MCP servers in Windsurf."),
        Host("codex", "Codex CLI", "toml", "mcp_servers", False, "codex", "Start a new Codex session."),
        Host("gemini", "Gemini CLI", "json", "mcpServers", False, "gemini", "Start Gemini CLI again (/mcp lists it)."),
    )
}


def matches(existing: Any, entry: Mapping[str, Any]) -> bool:
    """Whether a host's entry already runs ``entry``'s command (keys a person added, like env, may stay)."""
    if not isinstance(existing, Mapping):
        return False
    return (
        existing.get("command") == entry["command"]
        and list(existing.get("args") or []) == entry["args"]
        and existing.get("type", "stdio") == "stdio"
    )


def this_place(project: Path | None = None) -> Place:
    import sys

    return Place(sys.platform, Path.home(), dict(os.environ), (project or Path.cwd()).absolute())
