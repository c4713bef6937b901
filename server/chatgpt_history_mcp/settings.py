"""Configuration, from the environment and the same as CLI flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field

APP_NAME = "chatgpt-history-mcp"
ENV_DATA_DIR = "CHATGPT_HISTORY_DATA_DIR"
ENV_EXPORTS = "CHATGPT_HISTORY_EXPORTS"
ENV_CONFIG_DIR = "CHATGPT_HISTORY_CONFIG_DIR"
ENV_SYNC_PACING = "CHATGPT_SYNC_PACING"
ENV_ALLOW_SEND = "CHATGPT_HISTORY_ALLOW_SEND"
ENV_REDACT = "CHATGPT_HISTORY_REDACT"
#: What turns a yes/no variable on (hosts pass booleans as "true"/"false"; people write 1 or yes).
TRUTHY = frozenset({"1", "true", "yes", "on"})
FALSY = frozenset({"0", "false", "no", "off"})
#: Seconds each request slot waits before a request: with 2 in flight, at most ~20 requests a second.
DEFAULT_SYNC_PACING = 0.1


def given(value: str | None) -> str | None:
    """A setting's value, or None when it is empty or a placeholder a host left unexpanded (an MCPB host
    passes an unset optional setting as the literal ``${user_config.name}``)."""
    value = (value or "").strip()
    return None if not value or (value.startswith("${") and value.endswith("}")) else value


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


class Settings(BaseModel):
    data_dir: Path = Field(default_factory=default_data_dir, description="Where the archive and index live")
    exports: list[Path] = Field(default_factory=list, description="Exports imported at server start when new")
    config_dir: Path = Field(default_factory=default_config_dir, description="Where a stored session token lives")
    sync_pacing: float = Field(default=DEFAULT_SYNC_PACING, ge=0, description="Pause before each backend request")
    allow_send: bool = Field(default=False, description="Offer send_message (it writes to the ChatGPT account)")
    redact: bool = Field(default=True, description="Mask secrets pasted into chats (API keys, tokens) in results")

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        exports: list[str] | None = None,
        allow_send: bool | None = None,
    ) -> Settings:
        """Settings from ``env`` (default: the process environment); explicit arguments win."""
        env = os.environ if env is None else env
        chosen_dir = given(str(data_dir) if data_dir else None) or given(env.get(ENV_DATA_DIR))
        if exports is None:
            exports = env.get(ENV_EXPORTS, "").split(os.pathsep)
        exports = [path for path in map(given, exports) if path]
        config = given(env.get(ENV_CONFIG_DIR))
        try:
            pacing = float(given(env.get(ENV_SYNC_PACING)) or DEFAULT_SYNC_PACING)
        except ValueError:
            pacing = DEFAULT_SYNC_PACING
        if allow_send is None:
            allow_send = (given(env.get(ENV_ALLOW_SEND)) or "").lower() in TRUTHY
        return cls(
            allow_send=allow_send,
            redact=(given(env.get(ENV_REDACT)) or "").lower() not in FALSY,
            sync_pacing=max(0.0, pacing),
            data_dir=Path(chosen_dir).expanduser() if chosen_dir else default_data_dir(),
            exports=[Path(p).expanduser() for p in exports],
            config_dir=Path(config).expanduser() if config else default_config_dir(),
        )
