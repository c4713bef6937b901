"""Mask secrets people pasted into chats (API keys, tokens, passwords, private keys).

Recalling a chat hands its text to another model provider; a key pasted there two years ago should not travel
with it. Masking is on by default for every result (``CHATGPT_HISTORY_REDACT=0`` turns it off), and the index
is always built from masked text, so no search (not even a prefix probe) can spell a secret out; searching
``redacted`` finds where they were.

A mask over ordinary code is a wrong recall too: ``apiKey: process.env.OPENAI_API_KEY`` is how the person
configured the client, not a secret. So a value assigned to a secret's name is masked only when it is a
literal, and the rules that decide it follow the well-kept detectors (their rules, re-expressed here: a
dependency would add its cost to every message of an import):

- detect-secrets' filters: indirect references (``settings.X``, ``os.environ[…]``, ``getenv(…)``, calls,
  indexing), templates (``{x}``, ``${X}``, ``{{ x }}``, ``%(x)s``, ``<x>``, ``#{x}``, ``@x@``), values
  prefixed with ``$``, names that end in ``id`` (``is_likely_id_string``), sequential strings and
  placeholder words;
- gitleaks: the shape of each provider's token, the ``EXAMPLE`` allowlist for AWS key ids, stopwords, and a
  randomness bound on generic tokens (here: a digit or both letter cases, and more than three distinct
  characters, which is what its entropy bound rejects in practice).

Every secret is found on the original text and masked once: overlapping finds are one mask (the shaped one
wins), and text already masked is never masked again, so masking twice changes nothing.

Speed matters because every message passes through here on its way to the index: each shaped pattern starts
with a literal, so the regex engine jumps between candidates at memchr speed, and assignments are found
from the few places a secret's name (``pass``, ``secret``, ``token``, ``key``) occurs, not by trying every
letter.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

MARK = "[REDACTED:{}]"
_MARKED = re.compile(r"\[REDACTED:[a-z\-]+\]")


class Secret(NamedTuple):
    """Where a secret sits in a text, and what kind it is (the label its mask shows)."""

    start: int
    end: int
    kind: str


# -- what does not count as a secret ------------------------------------------------------------------

#: Parts that make a value a placeholder wherever they occur (gitleaks' stopwords, detect-secrets' words).
_PLACEHOLDER_PARTS = (
    "your",
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "insert",
    "dummy",
    "redacted",
    "xxxx",
    "****",
    "...",
    "…",
    "todo",
    "fixme",
    "x-oauth-basic",
)
#: Whole values that say "a secret goes here" (compared lowercased, letters and digits only).
_STOPWORDS = frozenset(
    "password passwd pass pwd secret secrets token apikey key string str value none null nil undefined true "
    "false empty default required optional hidden masked sensitive bearer basic example test".split()
)
#: Templates and references written inside a value.
_TEMPLATE = re.compile(r"\$\{|\{\{|#\{|%\(\w+\)[sdr]|\{\w*\}|<[^>]*>|^[$@%&*]|@$")
_FILE_NAME = re.compile(
    r"[\w.\-/]+\.(?:pem|key|crt|cer|p12|pfx|json|ya?ml|txt|env|ini|cfg|conf|toml|jks|keystore)", re.IGNORECASE
)
_IDENTIFIER = re.compile(r"[A-Za-z_]+")
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_PLAIN_WORD = re.compile(r"[a-z]+|[A-Z]+|[A-Z][a-z]+")
#: Keys the vendors publish as examples (AWS's documentation pairs, jwt.io's token).
_DOCUMENTED = frozenset(
    {
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5"
        "MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    }
)


def _is_placeholder(value: str) -> bool:
    lower = value.lower()
    return any(part in lower for part in _PLACEHOLDER_PARTS) or value in _DOCUMENTED


def _is_sequential(value: str) -> bool:
    """``abcdefgh``, ``12345678``: what people type when a real value is not the point."""
    steps = sum(ord(b) - ord(a) == 1 for a, b in zip(value.lower(), value[1:].lower(), strict=False))
    return steps >= 0.8 * (len(value) - 1)


def _is_random(value: str) -> bool:
    """Whether a token-shaped string could have come from a generator, not from a person or a doc."""
    if _is_placeholder(value) or len(set(value)) < 6 or _is_sequential(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    return has_digit or (any(c.islower() for c in value) and any(c.isupper() for c in value))


# -- secrets with a recognizable shape ----------------------------------------------------------------


class _Shape(NamedTuple):
    kind: str
    pattern: re.Pattern[str]
    #: How many characters before the match the secret starts (a literal-first pattern may begin mid-secret).
    back: int = 0


_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<body>[\s\S]{0,20000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"|(?:(?:\s|\\n)*[A-Za-z0-9+/=]{16,})+)"
)
_SHAPES = [
    _Shape("api-key", re.compile(r"sk-(?<![A-Za-z0-9_\-]sk-)(?:ant-|proj-|svcacct-|admin-)?(?P<body>[A-Za-z0-9_\-]{20,})")),
    _Shape("github-token", re.compile(r"gh(?<![A-Za-z0-9_]gh)[pousr]_(?P<body>[A-Za-z0-9]{30,})")),
    _Shape("github-token", re.compile(r"github_pat_(?P<body>[A-Za-z0-9_]{40,})")),
    _Shape("aws-access-key", re.compile(r"A(?<![A-Z0-9]A)(?:KIA|SIA|BIA|CCA)(?P<body>[0-9A-Z]{16})(?![A-Z0-9])")),
    _Shape("google-api-key", re.compile(r"AIza(?P<body>[0-9A-Za-z_\-]{35})")),
    _Shape("slack-token", re.compile(r"xox[abposr]-(?P<body>[A-Za-z0-9\-]{10,})")),
    _Shape("stripe-key", re.compile(r"_live_(?<=[sr]k_live_)(?P<body>[0-9A-Za-z]{20,})"), back=2),
    _Shape("jwt", re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.(?P<body>[A-Za-z0-9_\-]{8,})")),
]
#: An AWS secret key: 40 characters of base64, found near the key id it belongs to.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_SECRET_REACH = 200
_URL_PASSWORD = re.compile(r"://(?P<user>[^\s:/@?#]*):(?P<secret>[^\s@/?#]{3,})@")
_BEARER = re.compile(r"(?i:bearer)[ \t]+(?P<secret>[A-Za-z0-9._~+/\-]{20,}=*)")
_BASIC = re.compile(r"(?i:basic)[ \t]+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])")
_CURL_USER = re.compile(r"(?<![\w-])(?:-u|--user)(?:[ \t]+|=)[\"']?(?P<user>[^\s:\"'$]+):(?P<secret>[^\s\"'@]+)")


def _shaped(text: str) -> Iterator[Secret]:
    if "PRIVATE KEY" in text:
        for m in _PRIVATE_KEY.finditer(text):
            if re.search(r"[A-Za-z0-9+/]{32}", m.group("body")) and "..." not in m.group("body"):
                yield Secret(m.start(), m.end(), "private-key")
    for shape in _SHAPES:
        for m in shape.pattern.finditer(text):
            token, body = m.group(), m.group("body")
            if shape.kind == "aws-access-key":
                if body.endswith("EXAMPLE") or _is_placeholder(body) or len(set(body)) < 6:
                    continue
                yield Secret(m.start(), m.end(), shape.kind)
                yield from _aws_secret_near(text, m.end())
            elif shape.kind == "google-api-key" or shape.kind == "jwt":
                if not _is_placeholder(token) and len(set(body)) >= 6:
                    yield Secret(m.start() - shape.back, m.end(), shape.kind)
            elif _is_random(body):
                yield Secret(m.start() - shape.back, m.end(), shape.kind)


def _aws_secret_near(text: str, after: int) -> Iterator[Secret]:
    for m in _AWS_SECRET.finditer(text, after, after + _AWS_SECRET_REACH):
        value = m.group()
        if any(c.isdigit() for c in value) and any(c.islower() for c in value) and any(c.isupper() for c in value):
            if not _is_placeholder(value):
                yield Secret(m.start(), m.end(), "aws-secret-key")
                return


def _credentials(text: str, lowered: str) -> Iterator[Secret]:
    """Passwords in URLs, bearer and basic authorization, ``curl -u user:password``."""
    if "://" in text:
        for m in _URL_PASSWORD.finditer(text):
            user, value = m.group("user"), m.group("secret")
            if not (_TEMPLATE.search(value) or _TEMPLATE.search(user) or _is_placeholder(value)):
                if _normal(value) not in _STOPWORDS and value != user and len(set(value)) > 2:
                    yield Secret(m.start("secret"), m.end("secret"), "url-password")
    if "bearer" in lowered:
        for m in _BEARER.finditer(text):
            if _is_random(m.group("secret")):
                yield Secret(m.start("secret"), m.end("secret"), "bearer-token")
    if "basic" in lowered:
        for m in _BASIC.finditer(text):
            if _basic_password(m.group("secret")):
                yield Secret(m.start("secret"), m.end("secret"), "basic-auth")
    if "curl" in lowered:
        for m in _CURL_USER.finditer(text):
            value = m.group("secret")
            if _is_literal(value, m.group("user"), words=["password"], bare=True, env_line=True):
                yield Secret(m.start("secret"), m.end("secret"), "basic-auth")


def _basic_password(encoded: str) -> bool:
    """Whether ``Basic <encoded>`` holds ``user:password`` with a real password."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon) and _is_literal(password, user, words=["password"], bare=False, env_line=False)


# -- values assigned to a secret's name ---------------------------------------------------------------

#: What a name's last word says it holds; ``key`` counts only after one of ``_KEY_QUALIFIERS``.
_SECRET_WORDS = frozenset(
    "password passwd pwd pw pass passphrase secret token apikey secretkey accesskey privatekey authtoken "
    "accesstoken apitoken".split()
)
_PASSWORD_WORDS = frozenset("password passwd pwd pw pass passphrase".split())
_KEY_QUALIFIERS = frozenset(
    "api access secret private auth master encryption signing client app service account admin license "
    "subscription webhook deploy".split()
)
#: Words after the one that says "secret" that still name the secret itself (``SECRET_KEY_BASE``).
_TRAILING = frozenset("base value str b64 hex raw plain plaintext confirmation confirm again new old current".split())
#: How a single-word name (``PGPASSWORD``, ``mytoken``) may end.
_COMPOUND_ENDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "secretkey", "accesskey")
_KEYWORDS = ("pass", "pwd", "pw", "secret", "token", "key")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_VALUE = (
    r"(?:[rbfuRBFU@]?\"(?P<dq>[^\"\n\x00]*)\""
    r"|[rbfuRBFU]?'(?P<sq>[^'\n\x00]*)'"
    r"|`(?P<bq>[^`\n\x00]*)`"
    r"|(?P<bare>[^\s\"'`,;<>(){}\[\]\x00]+)(?=[\s\"'`,;<>)}\]\x00]|\Z))"
)
#: After a name: its closing quote, a type annotation (``token: string =``), the separator, the value.
_ASSIGN = re.compile(
    r"(?P<close>[\"'`]?\]?[\"']?)"
    r"(?:[ \t]*\??:[ \t]*[A-Za-z_][\w.\[\]|]*[ \t]*(?==(?![=>~])))?"
    r"[ \t]*(?P<sep>=>|:=|=(?![=~])|:(?![:/])|,)[ \t]*" + _VALUE
)
#: ``--password 'x'``: a command-line flag and its value.
_FLAG_VALUE = re.compile(r"[ \t]+" + _VALUE)
#: Kubernetes and compose env lists: ``- name: DB_PASSWORD`` then ``value: "…"``.
_KUBE_NAME = re.compile(r"name:[ \t]*[\"']?\Z")
_KUBE_VALUE = re.compile(r"[\"']?[ \t]*\r?\n[ \t]*(?:-[ \t]+)?value:[ \t]*" + _VALUE)
#: An ``.env`` line (``NAME=value``, maybe after ``export`` or a list's ``-``): every value is a literal.
_ENV_LINE = re.compile(r"(?:^|[\n\x00])[ \t]*(?:export[ \t]+|-[ \t]+)?\Z")


def _normal(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _name_words(name: str, before: str) -> list[str] | None:
    """The words of ``name`` if it names a secret (``DB_PASSWORD``, ``apiKey``, ``X-Auth-Token``), else None."""
    words = [w.lower() for w in _WORDS.findall(name)]
    while len(words) > 1 and (words[-1] in _TRAILING or words[-1].isdigit()):
        words.pop()
    if not words:
        return None
    last = words[-1]
    if last in _SECRET_WORDS or last.endswith(_COMPOUND_ENDS):
        return words
    if last == "key" and (
        (len(words) > 1 and words[-2] in _KEY_QUALIFIERS) or (len(words) == 1 and before.lower().endswith("api "))
    ):
        return words
    return None


def _is_literal(value: str, name: str, *, words: list[str], bare: bool, env_line: bool) -> bool:
    """Whether ``value``, given to a secret's name, is a literal secret rather than code, a template or a
    placeholder (detect-secrets' filters and gitleaks' stopwords)."""
    if len(value) < 6 or "[REDACTED" in value or any(c.isspace() for c in value):
        return False
    if _TEMPLATE.search(value) or "://" in value or value.startswith(("/", "./", "../", "~/")):
        return False
    if _FILE_NAME.fullmatch(value) or _is_placeholder(value) or len(set(value)) < 4 or _is_sequential(value):
        return False
    normal = _normal(value)
    if normal in _STOPWORDS or normal == _normal(name) or normal == "".join(words[-2:]):
        return False
    if bare and not env_line:
        if value.startswith("-") or _IDENTIFIER.fullmatch(value):
            return False  # a variable: ``api_key = API_KEY``, ``Password: password``
        if _DOTTED.fullmatch(value) and not any(_looks_generated(part) for part in value.split(".")):
            return False  # a reference: ``settings.SECRET_KEY``, ``process.env.OPENAI_API_KEY``
    if words[-1] not in _PASSWORD_WORDS and _PLAIN_WORD.fullmatch(value):
        return False  # a token or key is never a plain word (``"token": "unbelievable"`` is a tokenizer's)
    return True


def _looks_generated(part: str) -> bool:
    return len(part) >= 12 and any(c.isdigit() for c in part) and any(c.isalpha() for c in part)


def _name_spans(lowered: str) -> Iterator[tuple[int, int]]:
    """Start and end of every name-like run of characters holding a secret's keyword, each once."""
    seen: set[int] = set()
    for keyword in _KEYWORDS:
        at = lowered.find(keyword)
        while at != -1:
            start, end = at, at + len(keyword)
            while start > 0 and lowered[start - 1] in _NAME_CHARS:
                start -= 1
            while end < len(lowered) and lowered[end] in _NAME_CHARS:
                end += 1
            if start not in seen:
                seen.add(start)
                yield start, end
            at = lowered.find(keyword, end)


def _assigned(text: str, lowered: str) -> Iterator[Secret]:
    for start, end in _name_spans(lowered):
        flag = text.startswith("--", start)
        name = text[start:end].lstrip("-")
        words = _name_words(name, text[max(0, start - 8) : start])
        if words is None or text.endswith("[REDACTED:", 0, start):  # a mask's label names no secret
            continue
        m = _ASSIGN.match(text, end)
        if m is not None and m.group("sep") == "," and not (m.group("close") and m.group("bare") is None):
            m = None  # ``f(api_key, x)``: only ``"X-Api-Key", "…"`` pairs a name and a value with a comma
        env_line = bool(
            m
            and m.group("sep") == "="
            and m.start("sep") == end
            and name.isupper()
            and _ENV_LINE.search(text, max(0, start - 16), start)
        )
        if m is None and flag:
            m = _FLAG_VALUE.match(text, end)
        if m is None and _KUBE_NAME.search(text, max(0, start - 16), start):
            m = _KUBE_VALUE.match(text, end)
        if m is None:
            continue
        group = next(g for g in ("dq", "sq", "bq", "bare") if m.group(g) is not None)
        value_start, value = m.start(group), m.group(group)
        if group == "bare":
            if start > 0 and text[start - 1] in "?&":
                value = value.split("&", 1)[0]  # a URL's query: ``?user=app&password=…&ssl=true``
            if value.endswith(".") and not value.endswith(".."):
                value = value[:-1]  # the end of a sentence
        if _is_literal(value, name, words=words, bare=group == "bare", env_line=env_line):
            yield Secret(value_start, value_start + len(value), "secret")


# -- putting it together ------------------------------------------------------------------------------


def _lowered(text: str) -> str:
    """``text`` in lower case, position for position (``str.lower`` lengthens a few characters)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


def _candidates(text: str) -> Iterator[tuple[int, Secret]]:
    """(priority, secret) for everything any rule finds; lower priority numbers win overlaps."""
    lowered = _lowered(text)
    for found in _shaped(text):
        yield 0, found
    for found in _credentials(text, lowered):
        yield 1, found
    for found in _assigned(text, lowered):
        yield 2, found


def secret_spans(text: str) -> list[Secret]:
    """Every secret in ``text``, in order, one per secret: where rules overlap (a token that is also a URL's
    user, a key assigned to ``api_key``) the shaped find wins, and text already masked is left as it is."""
    if not text:
        return []
    taken = [Secret(m.start(), m.end(), "") for m in _MARKED.finditer(text)] if "[REDACTED:" in text else []
    kept: list[Secret] = []
    for _, found in sorted(_candidates(text), key=lambda c: (c[0], c[1].start)):
        if all(found.end <= other.start or other.end <= found.start for other in taken):
            taken.append(found)
            kept.append(found)
    return sorted(kept)


def redact(text: str) -> str:
    """``text`` with every recognized secret replaced by ``[REDACTED:<kind>]``."""
    spans = secret_spans(text)
    if not spans:
        return text
    parts, at = [], 0
    for found in spans:
        parts += [text[at : found.start], MARK.format(found.kind)]
        at = found.end
    parts.append(text[at:])
    return "".join(parts)


def redact_all(texts: list[str]) -> list[str]:
    """:func:`redact` over many texts (a conversation's, on its way to the index); one look at them joined
    decides whether any needs masking, so the common case costs a few fast scans."""
    if secret_spans("\x00".join(texts)):
        return [redact(text) for text in texts]
    return texts


def identity(text: str) -> str:
    return text


def masker(enabled: bool) -> Callable[[str], str]:
    """What results pass their text through: :func:`redact`, or nothing when masking is off."""
    return redact if enabled else identity
