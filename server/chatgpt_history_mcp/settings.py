"""Every setting, read once: from the environment and the CLI's flags into one :class:`Settings`, the composition
root every part is built from. No other module reads the environment for a setting."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import platformdirs
from pydantic import BaseModel, Field

APP_NAME = "chatgpt-history-mcp"
ENV_DATA_DIR = "CHATGPT_HISTORY_DATA_DIR"
ENV_EXPORTS = "CHATGPT_HISTORY_EXPORTS"
ENV_CONFIG_DIR = "CHATGPT_HISTORY_CONFIG_DIR"
ENV_SYNC_PACING = "CHATGPT_SYNC_PACING"
ENV_ALLOW_SEND = "CHATGPT_HISTORY_ALLOW_SEND"
ENV_REDACT = "CHATGPT_HISTORY_REDACT"
ENV_SYNC_INTERVAL = "CHATGPT_HISTORY_SYNC_INTERVAL"
ENV_WATCH_INTERVAL = "CHATGPT_HISTORY_WATCH_INTERVAL"
ENV_HTTP_TOKEN = "CHATGPT_HISTORY_HTTP_TOKEN"
ENV_FILES_LIMIT = "CHATGPT_HISTORY_FILES_LIMIT"
ENV_SYNC_FILES = "CHATGPT_HISTORY_SYNC_FILES"
#: ChatGPT's web backend, and what authenticates us there.
ENV_BASE_URL = "CHATGPT_BASE_URL"
ENV_SESSION_TOKEN = "CHATGPT_SESSION_TOKEN"
ENV_ACCESS_TOKEN = "CHATGPT_ACCESS_TOKEN"
ENV_ACCOUNT_ID = "CHATGPT_ACCOUNT_ID"
DEFAULT_BASE_URL = "https://chatgpt.com"
#: A long session cookie is split by the browser into ``.0``, ``.1``, …: given as ``CHATGPT_SESSION_TOKEN_0`` ….
SPLIT_TOKEN_PARTS = 8
#: What turns a yes/no variable on (hosts pass booleans as "true"/"false"; people write 1 or yes).
TRUTHY = frozenset({"1", "true", "yes", "on"})
FALSY = frozenset({"0", "false", "no", "off"})
#: Seconds each request slot waits before a request: with 2 in flight, at most ~20 requests a second.
DEFAULT_SYNC_PACING = 0.1
#: A running server with a session syncs when the last sync is older than this, and again at this interval.
DEFAULT_SYNC_INTERVAL = 12 * 3600.0
#: Seconds between two looks into the export folders for a new export ZIP.
DEFAULT_WATCH_INTERVAL = 30.0
#: The most bytes of files (uploads, images, voice clips) the data folder keeps; past it, files are named but not
#: kept (a message says so). Voice clips alone can reach gigabytes.
DEFAULT_FILES_LIMIT = 20 * 1024**3
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

log = logging.getLogger(__name__)
T = TypeVar("T")


def parse_duration(text: str, bare_unit: str = "s") -> float:
    """Seconds in a duration such as ``12h``, ``30m``, ``90s``, ``1d``; a bare number is in ``bare_unit``.
    Raises ValueError with a sentence that shows the accepted forms."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration; write e.g. 12h, 30m, 90s or 0 (off)")
    number, unit = match.groups()
    return float(number) * _UNIT_SECONDS[(unit or bare_unit).lower()]


def parse_size(text: str) -> int:
    """Bytes in a size such as ``20G``, ``500M``, ``1.5GB`` or ``0`` (binary units: 1G = 1024³ bytes). Raises
    ValueError with a sentence that shows the accepted forms."""
    match = _SIZE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size; write e.g. 20G, 500M or 0 (keep no files)")
    number, unit = match.groups()
    return int(float(number) * (1024 ** ("kmgt".find(unit.lower()) + 1) if unit else 1))


def _parsed_setting(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    """A setting from the environment read by ``parse``; an unreadable one is logged and the default used (a
    host's typo must not keep the server from starting)."""
    raw = given(env.get(name))
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        log.warning("%s: %s; using the default", name, exc)
        return default


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
    sync_interval: float = Field(
        default=DEFAULT_SYNC_INTERVAL, ge=0, description="Seconds between background syncs of a server; 0: off"
    )
    watch_interval: float = Field(
        default=DEFAULT_WATCH_INTERVAL, gt=0, description="Seconds between looks into export folders"
    )
    base_url: str = Field(default=DEFAULT_BASE_URL, description="ChatGPT's web backend (a fake one in tests)")
    # Secrets from the environment: never shown (repr) nor serialized (exclude).
    session_token: str | None = Field(default=None, repr=False, exclude=True, description="Session cookie value")
    access_token: str | None = Field(default=None, repr=False, exclude=True, description="Bearer token")
    account_id: str | None = Field(default=None, description="The ChatGPT workspace to use")
    http_token: str | None = Field(default=None, repr=False, exclude=True, description="Bearer token for HTTP")
    #: The names of the environment variables the login came from (for ``status``: never the values).
    token_variables: list[str] = Field(default_factory=list, description="Where the login came from")
    files_limit: int = Field(
        default=DEFAULT_FILES_LIMIT, ge=0, description="Most bytes of files kept (0: keep none, only name them)"
    )
    sync_files: bool = Field(default=True, description="A sync downloads the files of the conversations it brings")

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        exports: list[str] | None = None,
        allow_send: bool | None = None,
        sync_interval: float | None = None,
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
        if sync_interval is None:
            sync_interval = _parsed_setting(
                env, ENV_SYNC_INTERVAL, lambda raw: parse_duration(raw, "h"), DEFAULT_SYNC_INTERVAL
            )
        watch = _parsed_setting(env, ENV_WATCH_INTERVAL, parse_duration, DEFAULT_WATCH_INTERVAL)
        session = given(env.get(ENV_SESSION_TOKEN)) or "".join(
            given(env.get(f"{ENV_SESSION_TOKEN}_{i}")) or "" for i in range(SPLIT_TOKEN_PARTS)
        )
        files_limit = _parsed_setting(env, ENV_FILES_LIMIT, parse_size, DEFAULT_FILES_LIMIT)
        token_names = [ENV_SESSION_TOKEN, *(f"{ENV_SESSION_TOKEN}_{i}" for i in range(SPLIT_TOKEN_PARTS))]
        return cls(
            token_variables=[n for n in [*token_names, ENV_ACCESS_TOKEN] if given(env.get(n))],
            base_url=(given(env.get(ENV_BASE_URL)) or DEFAULT_BASE_URL).rstrip("/"),
            session_token=session or None,
            access_token=given(env.get(ENV_ACCESS_TOKEN)),
            account_id=given(env.get(ENV_ACCOUNT_ID)),
            http_token=given(env.get(ENV_HTTP_TOKEN)),
            sync_interval=sync_interval,
            watch_interval=watch if watch > 0 else DEFAULT_WATCH_INTERVAL,
            allow_send=allow_send,
            redact=(given(env.get(ENV_REDACT)) or "").lower() not in FALSY,
            sync_pacing=max(0.0, pacing),
            files_limit=files_limit,
            sync_files=(given(env.get(ENV_SYNC_FILES)) or "").lower() not in FALSY,
            data_dir=Path(chosen_dir).expanduser() if chosen_dir else default_data_dir(),
            exports=[Path(p).expanduser() for p in exports],
            config_dir=Path(config).expanduser() if config else default_config_dir(),
        )
