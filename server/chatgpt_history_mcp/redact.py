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
  randomness bound on generic tokens (here: a digit or both letter cases, and at least six distinct
  characters: what its entropy bound rejects in practice, without the cost of computing it).

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
    {
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "secrets",
        "token",
        "apikey",
        "key",
        "string",
        "str",
        "value",
        "none",
        "null",
        "nil",
        "undefined",
        "true",
        "false",
        "empty",
        "default",
        "required",
        "optional",
        "hidden",
        "masked",
        "sensitive",
        "bearer",
        "basic",
        "example",
        "test",
    }
)
#: Templates and references written inside a value.
_TEMPLATE = re.compile(r"\$\{|\{\{|#\{|%\(\w+\)[sdr]|\{[^{}\s]{0,64}\}|<[^<>]{0,64}>|^[$@%&*!]|@$")
#: What a regular expression has and a password does not (``r"[^\W\d]\w*"``, ``[0-9a-zA-Z]+``).
_REGEX = re.compile(r"\\[wdsbWDSB]|\[\^|\(\?|0-9|a-z|A-Z")
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")
#: A class or type: ends in two capitalized words (``Ed25519PrivateKey``, ``PKCS7PrivateKeyTypes``).
_TYPE_NAME = re.compile(r"(?:[A-Z][a-z]{2,}){2}\Z")
_FILE_NAME = re.compile(
    r"[\w.\-/]+\.(?:pem|key|crt|cer|p12|pfx|json|ya?ml|txt|env|ini|cfg|conf|toml|jks|keystore)", re.IGNORECASE
)
_VERSION = re.compile(r"v?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?")
_IDENTIFIER = re.compile(r"[A-Za-z_]+")
_CMDLET = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]*)*-[A-Z][A-Za-z]+")
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_PLAIN_WORD = re.compile(r"[a-z]+|[A-Z]+|[A-Z][a-z]+")
_PARTS = re.compile(r"[-_:./]+")
_NAME_LIKE = re.compile(r"[a-z]*(?:[A-Z][a-z]+)*|[a-z]+(?:_[a-z]+)+|[A-Z]+(?:_[A-Z]+)+")  # no nested ambiguity
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
    return steps >= 0.5 * (len(value) - 1)


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


_JWT = re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.(?P<body>[A-Za-z0-9_\-]{8,})")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<body>[\s\S]{0,20000}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"|(?:\s|\\n)*[A-Za-z0-9+/=]{16,}(?:(?:\s|\\n)+[A-Za-z0-9+/=]{16,})*)"
)
#: What a real key block holds and a placeholder (``...``, ``<your key>``) does not.
_KEY_BODY = re.compile(r"[A-Za-z0-9+/]{32}")
_SHAPES = [
    _Shape(
        "api-key", re.compile(r"sk-(?<![A-Za-z0-9_\-]sk-)(?:ant-|proj-|svcacct-|admin-)?(?P<body>[A-Za-z0-9_\-]{20,})")
    ),
    _Shape("github-token", re.compile(r"gh(?<![A-Za-z0-9_]gh)[pousr]_(?P<body>[A-Za-z0-9]{30,})")),
    _Shape("github-token", re.compile(r"github_pat_(?P<body>[A-Za-z0-9_]{40,})")),
    _Shape("aws-access-key", re.compile(r"A(?<![A-Z0-9]A)(?:KIA|SIA|BIA|CCA)(?P<body>[0-9A-Z]{16})(?![A-Z0-9])")),
    _Shape("google-api-key", re.compile(r"AIza(?P<body>[0-9A-Za-z_\-]{35})")),
    _Shape("slack-token", re.compile(r"xox[abposr]-(?P<body>[A-Za-z0-9\-]{10,})")),
    _Shape("stripe-key", re.compile(r"_live_(?<=[sr]k_live_)(?P<body>[0-9A-Za-z]{20,})"), back=2),
]
#: An AWS secret key: 40 characters of base64, found near the key id it belongs to.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_SECRET_REACH = 200
_URL_PASSWORD = re.compile(r"://(?P<user>[^\s:/@?#]{0,256}):(?P<secret>[^\s@/?#]{3,256})@")
_BEARER = re.compile(r"[ \t]+(?P<secret>[A-Za-z0-9._~+/\-]{20,}=*)")
_BASIC = re.compile(r"[ \t]+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])")
_CURL_USER = re.compile(r"(?<![\w-])(?:-u|--user)(?:[ \t]+|=)[\"']?(?P<user>[^\s:\"'$]+):(?P<secret>[^\s\"'@]+)")


_QUOTED = r"(?:\"(?P<dq>[^\"\n\x00]*)\"|'(?P<sq>[^'\n\x00]*)')"
_ARGUMENT = r"(?:\"(?P<dq>[^\"\n\x00]*)\"|'(?P<sq>[^'\n\x00]*)'|(?P<bare>[^\s\"'`;|&\x00]+))"


class _Phrase(NamedTuple):
    """A password written after a fixed phrase rather than a name: ``pattern`` is matched on the lowercased
    text ``back`` characters before each ``literal`` (same positions, so the value is cut from the original)."""

    literal: str
    pattern: re.Pattern[str]
    kind: str
    back: int = 0


_PHRASES = [
    _Phrase("identified by", re.compile(r"identified by[ \t]+" + _QUOTED), "secret"),  # SQL CREATE USER
    _Phrase("securestring", re.compile(r"convertto-securestring[ \t]+(?:-string[ \t]+)?" + _QUOTED), "secret", 10),
    # requests' auth=("user", "password"), HTTPBasicAuth("user", "password")
    _Phrase("auth", re.compile(r"auth[ \t]*=[ \t]*\([ \t]*[\"'][^\"'\n]*[\"'][ \t]*,[ \t]*" + _QUOTED), "basic-auth"),
    _Phrase("basic", re.compile(r"basicauth\([ \t]*[\"'][^\"'\n]*[\"'][ \t]*,[ \t]*" + _QUOTED), "basic-auth"),
    _Phrase(  # Django REST framework's token scheme
        "auth",
        re.compile(r"authorization[\"']?[ \t]*[:=,][ \t]*[\"']?token[ \t]+(?P<bare>[a-z0-9._\-]{20,})"),
        "bearer-token",
    ),
    _Phrase("redis-cli", re.compile(r"redis-cli\b[^\n|;&]{0,200}?[ \t]-a[ \t]+" + _ARGUMENT), "secret"),
    _Phrase("pass", re.compile(r"sshpass[ \t]+-p[ \t]*" + _ARGUMENT), "secret", 3),
    _Phrase("mysql", re.compile(r"mysql(?:dump|admin)?\b[^\n|;&]{0,200}?[ \t]-p(?!assword)" + _ARGUMENT), "secret"),
    _Phrase(  # prose: "the password for the staging db is …"
        "pass",
        re.compile(r"pass(?:word|code|phrase)\b[^.\n:=]{0,40}?\b(?:is|was)[ \t]+[\"'`]?(?P<bare>[^\s\"'`]+)"),
        "secret",
    ),
]


def _shaped(text: str, hits: Callable[[str], list[int]]) -> Iterator[Secret]:
    for at in hits("eyj"):  # a JWT's header; a plain find is faster here than the regex engine's own scan
        m = _JWT.match(text, at)
        if m is not None and m.group() not in _DOCUMENTED and len(set(m.group("body"))) >= 6:
            yield Secret(m.start(), m.end(), "jwt")
    if "PRIVATE KEY" in text:
        for m in _PRIVATE_KEY.finditer(text):
            if _KEY_BODY.search(m.group("body")) and "..." not in m.group("body"):
                yield Secret(m.start(), m.end(), "private-key")
    for shape in _SHAPES:
        for m in shape.pattern.finditer(text):
            token, body = m.group(), m.group("body")
            if shape.kind == "aws-access-key":
                if body.endswith("EXAMPLE") or _is_placeholder(body) or len(set(body)) < 6:
                    continue
                yield Secret(m.start(), m.end(), shape.kind)
                yield from _aws_secret_near(text, m.end())
            elif shape.kind == "google-api-key":
                if not _is_placeholder(token) and len(set(body)) >= 6:
                    yield Secret(m.start() - shape.back, m.end(), shape.kind)
            elif _is_random(body):
                yield Secret(m.start() - shape.back, m.end(), shape.kind)


def _aws_secret_near(text: str, after: int) -> Iterator[Secret]:
    for m in _AWS_SECRET.finditer(text, after, after + _AWS_SECRET_REACH):
        value = m.group()
        mixed = any(c.isdigit() for c in value) and any(c.islower() for c in value) and any(c.isupper() for c in value)
        if mixed and not _is_placeholder(value):
            yield Secret(m.start(), m.end(), "aws-secret-key")
            return


def _credentials(text: str, lowered: str, hits: Callable[[str], list[int]]) -> Iterator[Secret]:
    """Passwords in URLs, bearer and basic authorization, ``curl -u user:password``."""
    for m in _URL_PASSWORD.finditer(text):
        user, value = m.group("user"), m.group("secret")
        written = _TEMPLATE.search(value) or _TEMPLATE.search(user) or _is_placeholder(value)
        if not written and _normal(value) not in _STOPWORDS and value != user and len(set(value)) > 2:
            yield Secret(m.start("secret"), m.end("secret"), "url-password")
    for at in hits("bearer"):
        bearer = _BEARER.match(text, at + 6)
        if bearer is not None and _is_random(bearer.group("secret")):
            yield Secret(bearer.start("secret"), bearer.end("secret"), "bearer-token")
    for at in hits("basic"):
        basic = _BASIC.match(text, at + 5)
        if basic is not None and _basic_password(basic.group("secret")):
            yield Secret(basic.start("secret"), basic.end("secret"), "basic-auth")
    if "curl" in lowered:
        for at in _find_all(text, "-u"):
            curl = _CURL_USER.match(text, at - 1 if text.startswith("--", at - 1) else at)
            if curl is not None and _is_literal(
                curl.group("secret"), curl.group("user"), words=["password"], bare=True, env_line=True
            ):
                yield Secret(curl.start("secret"), curl.end("secret"), "basic-auth")


def _phrases(text: str, lowered: str, hits: Callable[[str], list[int]]) -> Iterator[Secret]:
    for phrase in _PHRASES:
        for at in hits(phrase.literal):
            m = phrase.pattern.match(lowered, at - phrase.back) if at >= phrase.back else None
            if m is None:
                continue
            group = next(g for g in ("dq", "sq", "bare") if m.groupdict().get(g) is not None)
            start, end = m.span(group)
            if group == "bare":
                end = start + len(text[start:end].rstrip(".,;:)"))
            value = text[start:end]
            prose = phrase.literal == "pass"
            if prose and not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
                continue
            if _is_literal(value, "", words=["password"], bare=group == "bare", env_line=not prose):
                yield Secret(start, end, phrase.kind)


def _find_all(text: str, literal: str) -> Iterator[int]:
    at = text.find(literal)
    while at != -1:
        yield at
        at = text.find(literal, at + len(literal))


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
    {
        "password",
        "passwd",
        "pwd",
        "pw",
        "pass",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "secretkey",
        "accesskey",
        "privatekey",
        "authtoken",
        "accesstoken",
        "apitoken",
    }
)
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pw", "pass", "passphrase"})
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "access",
        "secret",
        "private",
        "auth",
        "master",
        "encryption",
        "signing",
        "client",
        "app",
        "service",
        "account",
        "admin",
        "license",
        "subscription",
        "webhook",
        "deploy",
    }
)
#: Words after the one that says "secret" that still name the secret itself (``SECRET_KEY_BASE``).
_TRAILING = frozenset(
    {
        "base",
        "value",
        "str",
        "b64",
        "hex",
        "raw",
        "plain",
        "plaintext",
        "confirmation",
        "confirm",
        "again",
        "new",
        "old",
        "current",
    }
)
#: What may follow a name that is given a value: a separator, its closing quote, a line break (Kubernetes).
_AFTER_NAME = frozenset(":=,\"'`]?\r\n")
#: What a token is when one of these comes first: paging cursors, locks, idempotency ids (AWS, GraphQL…).
_NOT_CREDENTIALS = frozenset(
    {"next", "page", "continuation", "lock", "change", "sequence", "idempotency", "pagination", "cursor", "sync"}
    | {"input", "output", "resume", "start", "starting", "end", "ending", "marker", "prev", "previous", "request"}
    | {"client", "update", "forward", "backward", "action", "public"}
)
#: How a single-word name (``PGPASSWORD``, ``mytoken``) may end.
_COMPOUND_ENDS = ("password", "passwd", "passphrase", "secret", "token", "apikey", "secretkey", "accesskey")
_KEYWORDS = ("pass", "pwd", "secret", "token", "key")
#: How far a name runs on either side of its keyword.
_NAME_REACH = 64
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_VALUE = (
    r"(?:[rbfuRBFU@]?\"(?P<dq>[^\"\n\x00]{0,4096})\""
    r"|[rbfuRBFU]?'(?P<sq>[^'\n\x00]{0,4096})'"
    r"|`(?P<bq>[^`\n\x00]{0,4096})`"
    r"|(?P<bare>[^\s\"'`,;<>(){}\[\]\x00]{1,4096}+)(?=[\s\"'`,;<>)}\]\x00]|\Z))"  # possessive: no backtracking
)
#: After a name: its closing quote, a type annotation (``token: string =``), the separator, the value.
_ASSIGN = re.compile(
    r"(?P<close>[\"'`]?\]?[\"']?)"
    r"(?:[ \t]*\??:[ \t]*[A-Za-z_][\w.\[\]|]{0,200}[ \t]*(?==(?![=>~])))?"
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
    if (last == "token" and len(words) > 1 and words[-2] in _NOT_CREDENTIALS) or "public" in words:
        return None  # ``NextToken``, ``ClientRequestToken``, ``publicKeyToken``: cursors and ids, no credential
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
    if _TEMPLATE.search(value) or "://" in value or value.startswith(("/", "./", "../", "~/", "arn:")):
        return False
    if (
        _FILE_NAME.fullmatch(value)
        or _VERSION.fullmatch(value)
        or _COLOR.fullmatch(value)
        or _REGEX.search(value)
        or _is_placeholder(value)
        or len(set(value)) < 4
        or _is_sequential(value)
    ):
        return False
    normal, named = _normal(value), _normal(name)
    if (
        normal in _STOPWORDS
        or normal == named
        or normal == "".join(words[-2:])
        or (len(named) >= 6 and named in normal)
    ):
        return False  # ``password: "password"``, ``client_secret="my-client-secret"``
    if bare and not env_line:
        if value.startswith("-") or _IDENTIFIER.fullmatch(value) or _CMDLET.fullmatch(value):
            return False  # a variable (``api_key = API_KEY``, ``Password: password``), a PowerShell command
        if _TYPE_NAME.search(value):
            return False  # a type: ``private_key: Ed25519PrivateKey``
        if _DOTTED.fullmatch(value) and not any(_looks_generated(part) for part in value.split(".")):
            return False  # a reference: ``settings.SECRET_KEY``, ``process.env.OPENAI_API_KEY``
    if words[-1] in _PASSWORD_WORDS and words != ["pass"]:
        return True  # a person's password may be any word; ``'pass': 'bandpass'`` is not one
    # a token or key is never words or names (``"token": "unbelievable"``, ``"input_token": "NextToken"``,
    # ``"sas-token-for-blob-access"``, ``"serverlessrepo:applicationId"``)
    return not all(_PLAIN_WORD.fullmatch(part) or _NAME_LIKE.fullmatch(part) for part in _PARTS.split(value))


def _looks_generated(part: str) -> bool:
    """Whether a dotted value's part is a key's (``SG.<random>.<random>``), not a name (``settings.X``)."""
    digits, letters = any(c.isdigit() for c in part), any(c.isalpha() for c in part)
    return len(part) >= 12 and digits and letters and not _TYPE_NAME.search(part)


def _name_spans(lowered: str, hits: Callable[[str], list[int]]) -> Iterator[tuple[int, int]]:
    """Start and end of every name-like run of characters holding a secret's keyword, each once."""
    seen: set[int] = set()
    for keyword in _KEYWORDS:
        for at in hits(keyword):
            start, end = at, at + len(keyword)
            stop, floor = min(len(lowered), end + _NAME_REACH), max(0, start - _NAME_REACH)
            while end < stop and lowered[end] in _NAME_CHARS:
                end += 1
            while start > floor and lowered[start - 1] in _NAME_CHARS:
                start -= 1
            if (end == stop and end < len(lowered) and lowered[end] in _NAME_CHARS) or (
                start == floor and start > 0 and lowered[start - 1] in _NAME_CHARS
            ):
                continue  # a run too long for a name: base64, a hash, minified code
            if start not in seen:
                seen.add(start)
                yield start, end


def _in_arn(text: str, start: int, end: int) -> bool:
    """``arn:aws:secretsmanager:…:secret:name``: a resource's name, between colons."""
    return text.endswith(":", 0, start) and text.startswith(":", end) and not text.startswith(":/", end)


def _opens_call(text: str, start: int) -> bool:
    """Whether the quoted name starting at ``start`` is a call's first argument: ``define('API_SECRET', …``."""
    return start > 0 and text[start - 1] in "\"'" and text[: start - 1].rstrip(" \t").endswith("(")


class _Value(NamedTuple):
    start: int
    text: str
    #: Written as code would write an expression (unquoted, or beside a name without ``=``): references and
    #: identifiers are ruled out as well as placeholders.
    bare: bool
    #: On an ``.env``-style line, where an unquoted value is a literal whatever it looks like.
    env_line: bool


def _value_of(text: str, start: int, end: int, words: list[str]) -> _Value | None:
    """The value the name at ``text[start:end]`` is given, if any: ``= "…"``, ``: …``, ``=> '…'``,
    ``("X-Api-Key", "…")``, ``--password '…'``, ``PASSWORD '…'``, a Kubernetes ``name:``/``value:`` pair."""
    flag = text.startswith("--", start)
    m = _ASSIGN.match(text, end)
    paired = m is not None and m.group("sep") == ","
    if m is not None and paired and not (m.group("close") and m.group("bare") is None and _opens_call(text, start)):
        m = None  # only a call's ``("X-Api-Key", "…")`` pairs a name and a value with a comma, not a list
    env_line = bool(
        m is not None
        and m.group("sep") == "="
        and m.start("sep") == end
        and text[start:end].isupper()
        and _ENV_LINE.search(text, max(0, start - 16), start)
    )
    spaced = False
    if m is None:
        m = _FLAG_VALUE.match(text, end)
        spaced = m is not None
        quoted = m is not None and (m.group("dq") is not None or m.group("sq") is not None)
        if not flag and (not quoted or words == ["pass"]):
            m = None  # ``PASSWORD 'x'`` (SQL, Ruby), but not ``the token expires``, ``pass "x" to it``
    if m is None and _KUBE_NAME.search(text, max(0, start - 16), start):
        m = _KUBE_VALUE.match(text, end)
    if m is None:
        return None
    group = next(g for g in ("dq", "sq", "bq", "bare") if m.group(g) is not None)
    value = m.group(group)
    if group == "bare":
        if start > 0 and text[start - 1] in "?&":
            value = value.split("&", 1)[0]  # a URL's query: ``?user=app&password=…&ssl=true``
        if value.endswith(".") and not value.endswith(".."):
            value = value[:-1]  # the end of a sentence
    return _Value(m.start(group), value, group == "bare" or spaced or paired, env_line)


def _assigned(text: str, lowered: str, hits: Callable[[str], list[int]]) -> Iterator[Secret]:
    consumed = 0  # where the last value ended: a name inside a value (``api_key=api_key=…``) is no name
    for start, end in sorted(_name_spans(lowered, hits)):
        after = text[end : end + 16].lstrip(" \t")[:1]
        if start < consumed or not (text.startswith("--", start) or (after and after in _AFTER_NAME)):
            continue  # prose: "the token expires"
        name = text[start:end].lstrip("-")
        words = _name_words(name, text[max(0, start - 8) : start])
        if words is None or text.endswith(("[REDACTED:", "/", "::"), 0, start) or _in_arn(text, start, end):
            continue  # a mask's label, a path (``registry.local/token:v1.2``), a type (``AWS::IAM::AccessKey``)
        value = _value_of(text, start, end, words)
        if value is None:
            continue
        consumed = value.start + len(value.text)
        if _is_literal(value.text, name, words=words, bare=value.bare, env_line=value.env_line):
            yield Secret(value.start, consumed, "secret")


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
    found_at: dict[str, list[int]] = {}

    def hits(literal: str) -> list[int]:
        """Where ``literal`` occurs in the lowercased text (each looked for once: rules share keywords)."""
        if literal not in found_at:
            found_at[literal] = list(_find_all(lowered, literal))
        return found_at[literal]

    for found in _shaped(text, hits):
        yield 0, found
    for found in _credentials(text, lowered, hits):
        yield 1, found
    for found in _phrases(text, lowered, hits):
        yield 1, found
    for found in _assigned(text, lowered, hits):
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
