"""Mask secrets people pasted into chats (API keys, tokens, passwords, private keys).

Recalling a chat hands its text to another model provider; a key pasted there two years ago should not travel
with it. Masking is on by default for every result (``CHATGPT_HISTORY_REDACT=0`` turns it off), and the index
is always built from masked text, so no search (not even a prefix probe) can spell a secret out; searching
``redacted`` finds where they were.

Speed matters because every message passes through here on its way to the index: each shaped pattern starts
with a literal, so the regex engine jumps between candidates at memchr speed, and ``password = …``-style
assignments are found from the rare ``:`` and ``=`` backwards, not by trying every letter.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MARK = "[REDACTED:{}]"

#: Secrets with a recognizable shape: (label, pattern). The whole match is masked, or only group "secret".
_SHAPED: list[tuple[str, str]] = [
    (
        "private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    ),
    ("api-key", r"sk-(?<![A-Za-z0-9_\-]sk-)(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("github-token", r"gh(?<![A-Za-z0-9_]gh)[pousr]_[A-Za-z0-9]{30,}"),
    ("github-token", r"github_pat_[A-Za-z0-9_]{40,}"),
    ("aws-access-key", r"A(?<![A-Z0-9]A)(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}(?![A-Z0-9])"),
    ("google-api-key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("slack-token", r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("stripe-key", r"_live_(?<=[sr]k_live_)(?P<secret>[0-9A-Za-z]{20,})"),
    ("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("url-password", r"://[^\s:/@]+:(?P<secret>[^\s@/]{3,})@"),
]

_BEARER = re.compile(r"bearer\s+(?P<secret>[A-Za-z0-9._~+/\-]{20,}=*)", re.IGNORECASE)
_NAMES = r"(?:pass(?:word|wd|phrase)|\bpwd|secret|api[_\-]?key|access[_\-]?(?:key|token)|auth[_\-]?token)"
#: ``password: …``, ``DB_PASSWORD=…``, ``"api_key": "…"``: only the value is masked, and only a value that
#: is not code (``password = request.form[…]``, ``token = get_token()`` stay).
_ASSIGNED = re.compile(
    _NAMES + r"[a-z0-9_]*[\"']?\s*[:=]\s*[\"']?(?P<secret>[^\s\"'`,;<>(){}\[\]]{6,})(?=[\s\"'`,;<>)}\]]|\Z)",
    re.IGNORECASE,
)
#: The name part alone, ending where a ``:`` or ``=`` was found.
_NAME_BEFORE = re.compile(_NAMES + r"[a-z0-9_]*[\"']?\s*\Z", re.IGNORECASE)
#: How far before a ``:`` or ``=`` its name may start.
_NAME_REACH = 48


def _masking(label: str, pattern: re.Pattern[str]) -> Callable[[re.Match[str]], str]:
    mark = MARK.format(label)
    if "secret" not in pattern.groupindex:
        return lambda match: mark

    def replace(match: re.Match[str]) -> str:
        (start, end), whole, text = match.span("secret"), match.start(), match.group()
        return text[: start - whole] + mark + text[end - whole :]

    return replace


_SHAPES = [(pattern, _masking(label, pattern)) for label, pattern in ((n, re.compile(p)) for n, p in _SHAPED)]
_MASK_BEARER = _masking("bearer-token", _BEARER)
_MASK_ASSIGNED = _masking("secret", _ASSIGNED)


def _has_bearer(text: str) -> bool:
    return ("earer" in text or "EARER" in text) and _BEARER.search(text) is not None


def _assigns_secret(text: str) -> bool:
    """Whether some ``:`` or ``=`` follows a secret's name (``password``, ``api_key``, …)."""
    for separator in ":=":
        at = text.find(separator)
        while at != -1:
            if _NAME_BEFORE.search(text, max(0, at - _NAME_REACH), at):
                return True
            at = text.find(separator, at + 1)
    return False


def redact(text: str) -> str:
    """``text`` with every recognized secret replaced by ``[REDACTED:<kind>]``."""
    if not text:
        return text
    for pattern, mask in _SHAPES:
        if pattern.search(text):
            text = pattern.sub(mask, text)
    if _has_bearer(text):
        text = _BEARER.sub(_MASK_BEARER, text)
    if _assigns_secret(text):
        text = _ASSIGNED.sub(_MASK_ASSIGNED, text)
    return text


def redact_all(texts: list[str]) -> list[str]:
    """:func:`redact` over many texts (a conversation's, on its way to the index); one look at them joined
    decides whether any needs masking, so the common case costs a few fast scans."""
    joined = "\x00".join(texts)
    if any(pattern.search(joined) for pattern, _ in _SHAPES) or _has_bearer(joined) or _assigns_secret(joined):
        return [redact(text) for text in texts]
    return texts


def identity(text: str) -> str:
    return text


def masker(enabled: bool) -> Callable[[str], str]:
    """What results pass their text through: :func:`redact`, or nothing when masking is off."""
    return redact if enabled else identity
