"""Secrets pasted into chats are masked in every result by default, and the index cannot spell them out.

Every fake secret below has the real shape but is made up here (none is or was a working credential).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from chatgpt_history_mcp.faces.mcp_server import create_server
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.redact import redact, redact_all
from chatgpt_history_mcp.settings import Settings
from chatgpt_history_mcp.store.history import HistoryStore
from command_line import run_cli

pytestmark = pytest.mark.anyio

# label -> (text as pasted, the secret part that must disappear)
SECRETS: dict[str, tuple[str, str]] = {
    "openai": ("my key: sk-proj-Zq4vT1xY9wB2nK7mR3pL8sD5fG6hJ0aQ end", "sk-proj-Zq4vT1xY9wB2nK7mR3pL8sD5fG6hJ0aQ"),
    "openai-legacy": (
        "OPENAI=sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0",
        "sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0",
    ),
    "anthropic": ("key sk-ant-api03-Xy7Zq4vT1xY9wB2nK7mR3pL8sD5fG6-h", "sk-ant-api03-Xy7Zq4vT1xY9wB2nK7mR3pL8sD5fG6-h"),
    "github": ("token ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78 here", "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78"),
    "github-pat": (
        "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",
        "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",
    ),
    "aws-id": ("aws_access_key_id = AKIAQ3EGUWXYZ7EXAMPL", "AKIAQ3EGUWXYZ7EXAMPL"),
    "aws-secret": (
        "aws_secret_access_key = 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",
        "WtPek+A2LS2AXg90bQJNj2kgNEAj4cq7+Aabnxeq",
    ),
    "jwt": (
        "Cookie: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "c2lnbmF0dXJlLXNpZ25hdHVyZQ",
    ),
    "private-key": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    ),
    "slack": ("xoxb-2048-4096-Qz8Wv2Lp9Rt5Yu3Io1", "xoxb-2048-4096-Qz8Wv2Lp9Rt5Yu3Io1"),
    "google": ("AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    "stripe": ("sk_live_51HqLyjWDarjtT1zdp7dcXYZ0123", "51HqLyjWDarjtT1zdp7dcXYZ0123"),
    "bearer": ("curl -H 'Authorization: Bearer Zq4vT1xY9wB2nK7mR3pL8sD5'", "Zq4vT1xY9wB2nK7mR3pL8sD5"),
    "password": ("DB_PASSWORD=correct-horse-battery", "correct-horse-battery"),
    "json": ('{"api_key": "Qw3rTy8uI0pAs9dF"}', "Qw3rTy8uI0pAs9dF"),
    "url": ("postgres://admin:Vx9Lk2Qp7@db.internal:5432/app", "Vx9Lk2Qp7"),
}

# Text that looks close but is not a secret: it must come back unchanged.
HARMLESS = [
    "the password is long and the token expires",
    "password = request.form['password']",
    "token = get_token()",
    "task-listing-and-desk-management-for-everyone",
    "see https://example.com/docs and http://localhost:8080/",
    "ASIA and AKIA are prefixes; skills, ghosts, eyes",
    "api_key: str = Field(...)",
]


@pytest.mark.parametrize("label", list(SECRETS))
def test_each_kind_of_secret_is_masked(label: str) -> None:
    text, secret = SECRETS[label]
    masked = redact(text)
    assert secret not in masked and "[REDACTED:" in masked, masked


@pytest.mark.parametrize("text", HARMLESS)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_only_the_value_of_an_assignment_is_masked() -> None:
    assert redact("DB_PASSWORD=correct-horse-battery") == "DB_PASSWORD=[REDACTED:secret]"
    assert redact("postgres://admin:Vx9Lk2Qp7@db:5432") == "postgres://admin:[REDACTED:url-password]@db:5432"


def test_redact_all_agrees_with_redact_one_by_one() -> None:
    texts = [*(text for text, _ in SECRETS.values()), *HARMLESS, "", "plain words"]
    assert redact_all(texts) == [redact(t) for t in texts]
    clean = ["plain words", "see https://example.com/docs", "skills, ghosts, eyes and AKIA"]
    assert redact_all(clean) is clean  # nothing that could be a secret: the very same list, no copies


# -- through the store and the faces ------------------------------------------------------------------


@pytest.fixture
def secret_export(make_export: Callable[..., Path], build_conversation: Callable[..., dict[str, Any]]) -> Path:
    turns: list[str] = []
    for label, (text, _) in SECRETS.items():
        turns += [f"Here is my {label} config, quokkasetup: {text}", f"Thanks, your {label} quokkasetup looks fine."]
    conv = build_conversation(
        "conv-secrets", turns, title="Deploy quokkasetup with sk-proj-Zq4vT1xY9wB2nK7mR3pL8sD5fG6hJ0aQ"
    )
    return make_export([conv])


def secrets_in(text: str) -> list[str]:
    return [secret for _, secret in SECRETS.values() if secret in text]


def test_store_results_never_show_a_secret_and_search_cannot_find_one(
    secret_export: Path, make_store: Callable[..., HistoryStore]
) -> None:
    store = make_store()
    import_export(store, secret_export)
    page = store.get_conversation("conv-secrets", limit=200)
    assert len(page.messages) == 2 * len(SECRETS)
    assert not secrets_in(page.model_dump_json())
    assert not secrets_in(store.transcript_markdown("conv-secrets"))
    found = store.search("quokkasetup", limit=5)
    assert found.results and not secrets_in(found.model_dump_json())
    assert not secrets_in(store.list_conversations().model_dump_json())
    # the index holds no trace: neither the whole secret, nor a part, nor a prefix probe finds it
    for probe in ["Zq4vT1xY9wB2nK7mR3pL8sD5fG6hJ0aQ", "correct-horse-battery", "Vx9Lk2Qp7", "WtPek*", "Zq4v*"]:
        assert store.search(probe).results == [], probe
    # where secrets were is findable
    assert [r.conversation_id for r in store.search("redacted").results] == ["conv-secrets"]


def test_masking_can_be_switched_off_for_reading(secret_export: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = HistoryStore(data)
    import_export(store, secret_export)
    store.close()
    store = HistoryStore(data, redact_secrets=False)
    try:
        page = store.get_conversation("conv-secrets", limit=200)
        assert sorted(secrets_in(page.model_dump_json())) == sorted(s for _, s in SECRETS.values())
        assert store.search("Zq4vT1xY9wB2nK7mR3pL8sD5fG6hJ0aQ").results == []  # the index stays clean regardless
    finally:
        store.close()


def test_settings_read_the_switch() -> None:
    assert Settings.from_env({}).redact is True
    for off in ("0", "false", "no", "off", "FALSE"):
        assert Settings.from_env({"CHATGPT_HISTORY_REDACT": off}).redact is False
    assert Settings.from_env({"CHATGPT_HISTORY_REDACT": "1"}).redact is True


async def test_mcp_tools_and_resources_mask_by_default(secret_export: Path, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", config_dir=tmp_path / "config", exports=[secret_export])
    async with Client(create_server(settings)) as client:
        for _ in range(200):
            status = (await client.call_tool("history_status", {})).structured_content
            if status["conversations"] == 1 and not status["importing"]["running"]:
                break
            await anyio.sleep(0.05)
        outputs = [
            await client.call_tool("get_conversation", {"conversation_id": "conv-secrets", "limit": 200}),
            await client.call_tool("search_conversations", {"query": "quokkasetup"}),
            await client.call_tool("list_conversations", {}),
        ]
        texts = [json.dumps(r.structured_content) for r in outputs]
        resource = await client.read_resource("chatgpt://conversations/conv-secrets")
        texts.append(resource.contents[0].text)
        assert all(not r.is_error for r in outputs)
        assert "[REDACTED:" in texts[0]
        assert not secrets_in("\n".join(texts))


def test_cli_masks_unless_told_not_to(secret_export: Path, tmp_path: Path) -> None:
    env = {"CHATGPT_HISTORY_DATA_DIR": str(tmp_path / "data")}  # and no CHATGPT_HISTORY_REDACT of the environment

    def cli(*args: str, **extra: str) -> str:
        done = run_cli(tmp_path, *args, env_extra={**env, **extra})
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("import", str(secret_export))
    masked = cli("search", "quokkasetup", "--json")
    assert "[REDACTED:" in masked and not secrets_in(masked)
    assert "Deploy quokkasetup with [REDACTED:api-key]" in masked
    plain = cli("search", "quokkasetup", "--json", CHATGPT_HISTORY_REDACT="0")
    assert "sk-proj-Zq4vT1xY9wB2nK7mR3pL8sD5fG6hJ0aQ" in plain
