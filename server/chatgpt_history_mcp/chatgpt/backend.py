"""A client for ChatGPT's private web backend (``chatgpt-data.md`` §2), over httpx.

It lists conversations (main list, archive, every project), fetches bodies, memories, automations and the names
of projects and custom GPTs, and carries the requests of the send flow (JSON posts, and the one streamed post
that may create a turn). It is gentle (bounded concurrency, honours ``Retry-After``, bounded retries with
jitter) and every failure is a typed :class:`BackendError` whose message a person can act on. No message, log
line or exception it produces contains the session cookie or the access token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import random
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx

from chatgpt_history_mcp.errors import BackendError, FileTooLarge
from chatgpt_history_mcp.model import Gizmo, gizmo_kind
from chatgpt_history_mcp.results import Memory
from chatgpt_history_mcp.settings import DEFAULT_BASE_URL, ENV_ACCOUNT_ID, ENV_SESSION_TOKEN, Settings, given

log = logging.getLogger(__name__)

SESSION_COOKIE = "__Secure-next-auth.session-token"
#: Browsers split cookies longer than this into ``.0``, ``.1``, …
COOKIE_CHUNK = 3936
PAGE_LIMIT = 100  # the list endpoints answer 422 above 100
#: Every request carries the headers the ChatGPT web app's own requests carry (this User-Agent of Chrome, the
#: backend as Origin and Referer, a device id, a language): the backend is the web app's, and requests that do
#: not look like the web app's are refused more often. That is all: no challenge is solved, no proof forged.
USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
EXPORT_HINT = "the data export (Settings → Data controls → Export) works without the web backend"


#: A header whose value is a secret, as httpcore's DEBUG trace prints it: ``(b'Set-Cookie', b'…')``.
_SECRET_HEADER = re.compile(
    r"""(\(b'[^']*(?:cookie|authorization|token)[^']*', b)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", re.IGNORECASE
)
#: The signature of a signed download link (``sig=`` of the backend's estuary links and of Azure blob links;
#: ``Signature=``, ``X-Amz-Signature=`` elsewhere): whoever holds it can fetch the file, so it is never shown.
_LINK_SIGNATURE = re.compile(r"([?&](?:sig|signature|x-amz-signature|x-amz-security-token)=)[^&#\s'\"]+", re.IGNORECASE)


def _mask_secrets(text: str) -> str:
    """``text`` with the values of secret headers and the signatures of signed links masked."""
    return _LINK_SIGNATURE.sub(r"\1[masked]", _SECRET_HEADER.sub(r"\1'[masked]'", text))


class _MaskSecrets(logging.Filter):
    """httpcore logs every response's headers at DEBUG (a rotated session cookie among them) and httpx every
    request's URL at INFO (a signed download link among them): mask such values before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a record whose arguments do not fit its format: logging reports it
            return True
        masked = _mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


for _name in ("httpx", "httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy", "httpcore.socks"):
    logging.getLogger(_name).addFilter(_MaskSecrets())


class CredentialsMissing(BackendError):
    pass


class SessionExpired(BackendError):
    pass


class Blocked(BackendError):
    def __init__(self, message: str, *, cloudflare: bool = False) -> None:
        super().__init__(message)
        self.cloudflare = cloudflare  # a browser check, not a refusal of this account or request


class BackendNotFound(BackendError):
    pass


class FileGone(BackendNotFound):
    """A file the backend no longer serves (deleted, expired, or not part of the conversation asked for)."""

    def __init__(self, message: str, *, file_id: str) -> None:
        super().__init__(message)
        self.file_id = file_id


class RequestRejected(BackendError):
    pass


class RateLimited(BackendError):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(BackendError):
    pass


class OutcomeUnknown(BackendError):
    """A request that may have reached the server failed: it may or may not have taken effect.

    Never retried (a resent message is a duplicate turn). ``conversation_id`` says where to look, when known;
    ``partial_text`` is what arrived of the answer.
    """

    exit_code = 3

    def __init__(self, message: str, *, conversation_id: str | None = None, partial_text: str = "") -> None:
        super().__init__(message)
        self.conversation_id = conversation_id
        self.partial_text = partial_text


@dataclass(frozen=True)
class DownloadedFile:
    """A file fetched from the backend into a temporary file of the caller's folder, flushed to disk: the caller
    moves it into place or deletes it. ``mime_type_declared`` is what the backend says, not what the bytes are."""

    path: Path
    size: int
    sha256: str
    file_name: str | None
    mime_type_declared: str | None


@dataclass(frozen=True)
class _DownloadLink:
    """What the download endpoint answers: where the bytes are for a few minutes (a secret: never shown)."""

    url: str = field(repr=False)
    file_name: str | None
    size: int | None
    mime_type: str | None


class _LinkRefused(Exception):
    """The signed link was refused (401, 403, 404): it expired, or the file went away since it was issued."""


@dataclass(frozen=True)
class Credentials:
    """What authenticates us: the session cookie (exchanged for a bearer token) or a bearer token."""

    session_token: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    account_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, session_token: str | None = None) -> Credentials:
        """The credentials the settings (the environment) give, or ``session_token`` (a stored login) instead
        of theirs when they have none."""
        return cls(
            session_token=settings.session_token or given(session_token),
            access_token=settings.access_token,
            account_id=settings.account_id,
        )

    @property
    def configured(self) -> bool:
        return bool(self.session_token or self.access_token)

    def __repr__(self) -> str:  # never print a secret, even by accident
        return f"Credentials(session_token={'set' if self.session_token else None}, access_token=" + (
            f"{'set' if self.access_token else None}, account_id={self.account_id!r})"
        )


def token_expiry(jwt: str) -> float | None:
    """The ``exp`` claim of a JWT (no signature check: we only want to know when to refresh)."""
    try:
        payload = jwt.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = claims.get("exp")
        return float(exp) if isinstance(exp, int | float) else None
    except (IndexError, ValueError, TypeError):
        return None


def device_id(path: Path) -> str:
    """A stable per-installation ``oai-device-id``, kept beside the store."""
    try:
        value = path.read_text().strip()
        uuid.UUID(value)
        return value
    except (OSError, ValueError):
        value = str(uuid.uuid4())
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
        return value


def session_cookies(token: str) -> dict[str, str]:
    if len(token) <= COOKIE_CHUNK:
        return {SESSION_COOKIE: token}
    chunks = [token[i : i + COOKIE_CHUNK] for i in range(0, len(token), COOKIE_CHUNK)]
    return {f"{SESSION_COOKIE}.{i}": chunk for i, chunk in enumerate(chunks)}


#: Called with a sentence saying why and how long the client waits; may be async.
WaitNotice = Callable[[str], Awaitable[None] | None]


@dataclass
class RetryPolicy:
    attempts: int = 5  # tries per request for 429, 5xx, resets and timeouts
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_retry_after: float = 120.0  # longer waits are reported instead of slept through

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2)


class BackendClient:
    """Use as ``async with BackendClient(credentials) as client``."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        device: str | None = None,
        concurrency: int = 2,
        pacing: float = 0.0,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if not credentials.configured:
            raise CredentialsMissing(
                f"no ChatGPT credentials: set {ENV_SESSION_TOKEN} (the {SESSION_COOKIE} cookie) or "
                f"run `chatgpt-history-mcp login`; or import an export instead: {EXPORT_HINT}"
            )
        self.credentials = credentials
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self._session_token = credentials.session_token
        self._access_token = credentials.access_token
        self._expires = token_expiry(credentials.access_token) if credentials.access_token else None
        self._device = device or str(uuid.uuid4())
        self._limiter = anyio.Semaphore(concurrency)
        self._pacing = pacing
        self._retry = retry or RetryPolicy()
        self._refresh_lock = anyio.Lock()
        self.requests = 0
        #: Told before each wait to retry (a rate limit's Retry-After, a backoff), so a person sees why it waits.
        self.on_wait: WaitNotice | None = None
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Origin": self.base_url,
                "Referer": self.base_url + "/",
                "oai-language": "en-US",
                "oai-device-id": self._device,
            },
        )

    async def __aenter__(self) -> BackendClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    @property
    def session_token(self) -> str | None:
        """The current session cookie (the backend may rotate it): persist it to stay signed in."""
        return self._session_token

    @property
    def access_token(self) -> str | None:
        """The bearer token in use (fetched from the session cookie when needed); reusable until it expires."""
        return self._access_token

    # -- auth ----------------------------------------------------------------------------------------

    async def _bearer(self, force_refresh: bool = False) -> str:
        async with self._refresh_lock:
            fresh = self._access_token and (self._expires is None or self._expires - time.time() > 60)
            if fresh and not force_refresh:
                return self._access_token  # type: ignore[return-value]
            if not self._session_token:
                raise SessionExpired(
                    "the access token expired and no session token is configured: "
                    f"sign in to ChatGPT and update {ENV_SESSION_TOKEN}"
                )
            cookie = "; ".join(f"{name}={value}" for name, value in session_cookies(self._session_token).items())
            response = await self._send("GET", "/api/auth/session", headers={"Cookie": cookie})
            self._keep_rotated_cookie(response)
            body = _json(response)
            token = body.get("accessToken") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise SessionExpired("session expired: sign in to ChatGPT and update the token")
            self._access_token, self._expires = token, token_expiry(token)
            return token

    def _keep_rotated_cookie(self, response: httpx.Response) -> None:
        """Adopt a session cookie the server rotated (read from Set-Cookie: no cookie jar, whose policy
        would drop a Secure cookie over plain http to a local test server)."""
        parts: dict[int, str] = {}
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if not morsel.value:
                    continue
                if name == SESSION_COOKIE:
                    self._session_token = morsel.value
                    return
                suffix = name[len(SESSION_COOKIE) + 1 :] if name.startswith(SESSION_COOKIE + ".") else ""
                if suffix.isdigit():
                    parts[int(suffix)] = morsel.value
        if parts:
            self._session_token = "".join(parts[i] for i in sorted(parts))

    # -- requests ------------------------------------------------------------------------------------

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a backend path; retries what is worth retrying, refreshes the token once on 401."""
        return await self._json_request("GET", path, params=params)

    async def post_json(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        """POST JSON to a path whose effect is harmless to repeat (the send flow's preparation steps)."""
        return await self._json_request("POST", path, body=body, headers=headers)

    async def _auth_headers(self, force_refresh: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {await self._bearer(force_refresh)}"}
        if self.credentials.account_id:
            headers["chatgpt-account-id"] = self.credentials.account_id
        return headers

    async def _json_request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        refreshed = False
        extra: dict[str, Any] = {"params": params} if params is not None else {}
        if body is not None:
            extra["json"] = body
        for attempt in range(self._retry.attempts):
            try:
                all_headers = {**(headers or {}), **await self._auth_headers()}
                response = await self._send(method, path, headers=all_headers, **extra)
            except (Unavailable, RateLimited) as exc:
                if not await self._wait_to_retry(exc, attempt):
                    raise
                continue
            if response.status_code == 401:
                if refreshed or not self._session_token:
                    raise SessionExpired("session expired: sign in to ChatGPT and update the token")
                refreshed = True
                # The next attempt gets a new token, with the same retries as any request (a refresh may meet
                # a 429 too). Requests refused with the same old token share that one refresh.
                self._forget_access_token(all_headers["Authorization"])
                continue
            return _json(response)
        raise Unavailable(f"{path}: gave up after {self._retry.attempts} attempts")

    def _forget_access_token(self, refused: str) -> None:
        """Drop the access token the server refused, unless another request has already replaced it."""
        if refused == f"Bearer {self._access_token}":
            self._access_token, self._expires = None, None

    async def _wait_to_retry(self, exc: Unavailable | RateLimited, attempt: int) -> bool:
        """Sleep before another attempt, or say there should be none (out of attempts, or a long Retry-After)."""
        wait = exc.retry_after if isinstance(exc, RateLimited) and exc.retry_after else None
        if attempt + 1 >= self._retry.attempts or (wait or 0) > self._retry.max_retry_after:
            return False
        delay = wait if wait is not None else self._retry.delay(attempt)
        if self.on_wait is not None:
            why = "rate limited by ChatGPT" if isinstance(exc, RateLimited) else str(exc)
            notice = self.on_wait(f"{why}: waiting {delay:.0f}s before retrying")
            if notice is not None:
                await notice
        await anyio.sleep(delay)
        return True

    @asynccontextmanager
    async def stream_post(
        self, path: str, body: Any, headers: Mapping[str, str], *, read_timeout: float = 180.0
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """POST a request that may take effect (send a message) and stream the answer's bytes.

        Sent at most once. Failures before the server could have acted raise the usual typed errors
        (connection refused, 401 after one refresh, 403, 404, 422, 429: the caller may retry those); a failure
        once the request may have reached the server (a reset, a timeout, a 5xx, a stream cut while reading)
        raises :class:`OutcomeUnknown`.
        """
        refreshed = False
        while True:
            all_headers = {**headers, **await self._auth_headers(force_refresh=refreshed)}
            async with self._turn():
                request = self._http.build_request(
                    "POST", path, json=body, headers=all_headers, timeout=httpx.Timeout(30.0, read=read_timeout)
                )
                try:
                    response = await self._http.send(request, stream=True)
                except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                    raise Unavailable(f"{path}: could not connect ({type(exc).__name__})") from None
                except (httpx.TransportError, httpx.TimeoutException) as exc:
                    raise OutcomeUnknown(
                        f"{path}: the connection failed after the request was sent ({type(exc).__name__})"
                    ) from None
                try:
                    if response.status_code == 401 and not refreshed and self._session_token:
                        refreshed = True
                        continue
                    if response.status_code >= 400:
                        await response.aread()
                        if response.status_code >= 500:
                            raise OutcomeUnknown(f"{path}: ChatGPT answered {response.status_code}")
                        if response.status_code == 401:
                            raise SessionExpired("session expired: sign in to ChatGPT and update the token")
                        self._raise_for_status(response, path)
                    yield self._chunks(response, path)
                    return
                finally:
                    await response.aclose()

    @staticmethod
    async def _chunks(response: httpx.Response, path: str) -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            raise OutcomeUnknown(f"{path}: the answer stopped arriving ({type(exc).__name__})") from None

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """One request's turn on the wire: within the bound on concurrency, after the pacing between requests."""
        async with self._limiter:
            if self._pacing:
                await anyio.sleep(self._pacing)
            self.requests += 1
            yield

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange, with failures mapped to typed errors (401 is returned for the caller)."""
        async with self._turn():
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                raise _unreachable(path, exc) from _plain(exc)
        if response.status_code >= 400 and response.status_code != 401:
            self._raise_for_status(response, path)
        return response

    @staticmethod
    def _raise_for_status(response: httpx.Response, path: str) -> None:
        """Map an error status to the typed error a person can act on."""
        status = response.status_code
        if status == 403:
            if "text/html" in response.headers.get("content-type", ""):
                raise Blocked(
                    "ChatGPT blocked this request (a Cloudflare browser check, not a sign-in problem); "
                    f"try again later; {EXPORT_HINT}",
                    cloudflare=True,
                )
            raise Blocked(f"{path}: access denied (403){_detail(response)}; a workspace needs {ENV_ACCOUNT_ID}")
        if status == 404:
            raise BackendNotFound(f"{path}: not found (deleted, or not visible to this account)")
        if status in (400, 409, 422):
            raise RequestRejected(f"{path}: the request was rejected ({status}){_detail(response)}")
        if status == 429:
            raise RateLimited(f"{path}: rate limited by ChatGPT; try again later", _retry_after(response))
        raise Unavailable(f"{path}: ChatGPT answered {status}")

    # -- endpoints -----------------------------------------------------------------------------------

    async def conversation_summaries(self, archived: bool = False) -> AsyncIterator[dict[str, Any]]:
        """The main list (or the archive): offset pages; ``total`` is unreliable, a short page ends it."""
        offset = 0
        while True:
            params: dict[str, Any] = {"offset": offset, "limit": PAGE_LIMIT, "order": "updated"}
            if archived:
                params["is_archived"] = "true"
            page = await self.get_json("/backend-api/conversations", params)
            items = [i for i in (page.get("items") or []) if isinstance(i, dict)] if isinstance(page, dict) else []
            for item in items:
                yield item
            if len(items) < PAGE_LIMIT:
                return
            offset += len(items)

    async def sidebar(self) -> list[Gizmo]:
        """The projects (and, on some accounts, pinned custom GPTs) of the sidebar with their names, cursor pages
        until ``cursor`` is null. Items are ``item.gizmo.gizmo`` (today's web app) or ``item.gizmo`` (older)."""
        found: list[Gizmo] = []
        cursor: str | None = None
        for _ in range(1000):
            params: dict[str, Any] = {"conversations_per_gizmo": 0}
            if cursor:
                params["cursor"] = cursor
            page = await self.get_json("/backend-api/gizmos/snorlax/sidebar", params)
            for entry in page.get("items") or [] if isinstance(page, dict) else []:
                gizmo = _gizmo(entry.get("gizmo") if isinstance(entry, dict) else None)
                if gizmo is not None:
                    found.append(gizmo)
            next_cursor = page.get("cursor") if isinstance(page, dict) else None
            if not next_cursor or next_cursor == cursor:
                break
            cursor = str(next_cursor)
        return found

    async def gizmo(self, gizmo_id: str) -> Gizmo:
        """A project or custom GPT by id (``{gizmo: {…, display.name}, files, tools}``); a deleted GPT raises
        BackendNotFound."""
        body = await self.get_json(f"/backend-api/gizmos/{quote(gizmo_id)}")
        found = _gizmo(body if isinstance(body, dict) else None)
        if found is None or found.id != gizmo_id:
            raise Unavailable(f"/backend-api/gizmos/{gizmo_id}: unexpected answer")
        return found

    async def project_conversations(self, gizmo_id: str) -> AsyncIterator[dict[str, Any]]:
        """A project's conversations (absent from the main list), cursor pages; ``cursor: null`` ends."""
        cursor: str = "0"
        for _ in range(10_000):
            page = await self.get_json(f"/backend-api/gizmos/{quote(gizmo_id)}/conversations", {"cursor": cursor})
            items = page.get("items") or [] if isinstance(page, dict) else []
            for item in items:
                if isinstance(item, dict):
                    yield item
            next_cursor = page.get("cursor") if isinstance(page, dict) else None
            if next_cursor is None or str(next_cursor) == cursor or not items:
                return
            cursor = str(next_cursor)

    async def conversation(self, conversation_id: str) -> dict[str, Any]:
        """One conversation whole, as the export has it: with its hidden messages and the widgets' state (where a
        2026 deep-research report is kept; ``chatgpt-files-and-canvas.md`` §4)."""
        body = await self.get_json(
            f"/backend-api/conversation/{quote(conversation_id)}",
            {"include_visually_hidden_messages": "true", "include_widget_state": "true"},
        )
        if not isinstance(body, dict):
            raise Unavailable(f"conversation {conversation_id}: unexpected answer")
        body.setdefault("id", conversation_id)
        return body

    async def textdocs(self, conversation_id: str) -> list[dict[str, Any]]:
        """A conversation's canvas documents at their current version: ``[{id, version, title, textdoc_type,
        content, comments, updated_at}]`` (``chatgpt-files-and-canvas.md`` §3)."""
        body = await self.get_json(f"/backend-api/conversation/{quote(conversation_id)}/textdocs")
        return [d for d in body if isinstance(d, dict)] if isinstance(body, list) else []

    async def textdoc_history(self, textdoc_id: str, before_version: int) -> list[dict[str, Any]]:
        """The versions of a canvas document before ``before_version``, as ``…/textdocs`` shapes one, newest first."""
        body = await self.get_json(
            f"/backend-api/textdoc/{quote(textdoc_id)}/history", {"before_version": before_version}
        )
        states = body.get("previous_doc_states") if isinstance(body, dict) else None
        return [s for s in states if isinstance(s, dict)] if isinstance(states, list) else []

    async def download_file(
        self, file_id: str, into: Path, *, conversation_id: str | None = None, max_bytes: int | None = None
    ) -> DownloadedFile:
        """Fetch a file (``chatgpt-files-and-canvas.md`` §2) into a new temporary file in the folder ``into``.

        The download endpoint gives a signed link, which is fetched at once and never kept: it lives minutes, so
        one refused on arrival is asked for afresh once. ``conversation_id`` is the conversation the file belongs
        to (the backend refuses a file of another one). Raises :class:`FileGone` for a file the backend no longer
        serves, :class:`FileTooLarge` as soon as the file is known (declared or streamed) to pass ``max_bytes``,
        and the usual backend errors (rate limits and failures are retried like any request); an ``OSError`` of
        ``into`` (a full disk) passes through. Whatever fails, nothing is left in ``into``.
        """
        link = await self._download_link(file_id, conversation_id)
        try:
            return await self._fetch_link(file_id, link, into, max_bytes)
        except _LinkRefused:
            link = await self._download_link(file_id, conversation_id)
        try:
            return await self._fetch_link(file_id, link, into, max_bytes)
        except _LinkRefused:
            raise FileGone(
                f"file {file_id} is no longer available from ChatGPT: its download link is refused", file_id=file_id
            ) from None

    async def _download_link(self, file_id: str, conversation_id: str | None) -> _DownloadLink:
        """The signed link from today's endpoint, or from the older one (``file-service`` files) where today's
        has none: a 404, or an error for a ``file-…`` id."""
        scope = {"conversation_id": conversation_id} if conversation_id else {}
        try:
            body = await self.get_json(f"/backend-api/files/download/{quote(file_id)}", {**scope, "inline": "false"})
        except BackendNotFound:
            body = None
        link = _download_link(body)
        if link is None and (body is None or file_id.startswith("file-")):
            with suppress(BackendNotFound):
                link = _download_link(await self.get_json(f"/backend-api/files/{quote(file_id)}/download", scope))
        if link is not None:
            return link
        where = f" in conversation {conversation_id}" if conversation_id else ""
        said = body.get("error_message") if isinstance(body, dict) else None
        why = f" ({str(said)[:200]})" if said else ""
        raise FileGone(
            f"file {file_id} is no longer available from ChatGPT{where}{why}: deleted, expired, or not visible "
            "to this account",
            file_id=file_id,
        )

    async def _fetch_link(self, file_id: str, link: _DownloadLink, into: Path, max_bytes: int | None) -> DownloadedFile:
        """GET a signed link into a temporary file, retried like any request. The link needs no bearer: none is
        sent, and to another host nothing of ours at all (neither the web app's headers nor a cookie)."""
        if max_bytes is not None and link.size is not None and link.size > max_bytes:
            raise _too_large(file_id, max_bytes, f"ChatGPT says it has {link.size:,} bytes")
        label = f"the download of file {file_id}"  # never the link itself: its query is the secret
        base = httpx.URL(self.base_url)
        try:
            url = base.join(link.url)
        except httpx.InvalidURL:
            url = httpx.URL()
        if url.scheme not in ("http", "https") or not url.host:
            raise Unavailable(f"{label}: ChatGPT answered with a download link that is not a web address")
        headers = {"Accept": "*/*"}
        same_host = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        attempt = 0
        while True:
            if same_host:
                request = self._http.build_request("GET", url, headers=headers)
            else:
                request = httpx.Request("GET", url, headers={**headers, "User-Agent": USER_AGENT})
            try:
                return await self._receive(request, label, file_id, link, into, max_bytes)
            except (Unavailable, RateLimited) as exc:
                if not await self._wait_to_retry(exc, attempt):
                    raise
                attempt += 1

    async def _receive(
        self, request: httpx.Request, label: str, file_id: str, link: _DownloadLink, into: Path, max_bytes: int | None
    ) -> DownloadedFile:
        """One GET of a signed link, its bytes streamed into a temporary file (hashed on the way, fsynced)."""
        async with self._turn():
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise _unreachable(label, exc) from _plain(exc)
            try:
                status, html = response.status_code, "text/html" in response.headers.get("content-type", "")
                if status == 404 or (status in (401, 403) and not html):  # HTML: a Cloudflare check, not the link
                    raise _LinkRefused
                if status >= 400:
                    await response.aread()
                    self._raise_for_status(response, label)
                if status != 200:  # a redirect (not followed: it would carry our headers elsewhere) or no content
                    raise Unavailable(f"{label}: ChatGPT answered {status}")
                fd, name = tempfile.mkstemp(dir=into, prefix=".download-", suffix=".part")
                path = Path(name)
                try:
                    size, digest = 0, hashlib.sha256()
                    with os.fdopen(fd, "wb") as out:
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if max_bytes is not None and size > max_bytes:
                                raise _too_large(file_id, max_bytes, f"more than {max_bytes:,} bytes arrived")
                            digest.update(chunk)
                            out.write(chunk)
                        out.flush()
                        await anyio.to_thread.run_sync(os.fsync, out.fileno())
                except (httpx.TransportError, httpx.DecodingError) as exc:
                    path.unlink(missing_ok=True)
                    raise Unavailable(f"{label}: the file stopped arriving ({type(exc).__name__})") from _plain(exc)
                except BaseException:
                    path.unlink(missing_ok=True)
                    raise
            finally:
                await response.aclose()
        return DownloadedFile(path, size, digest.hexdigest(), link.file_name, link.mime_type)

    async def memories(self) -> list[Memory]:
        body = await self.get_json("/backend-api/memories", {"include_memory_entries": "true"})
        entries = (body.get("memories") or body.get("memory_entries") or []) if isinstance(body, dict) else []
        return [Memory.from_backend(e, i) for i, e in enumerate(e for e in entries if isinstance(e, dict))]

    async def automations(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(100):
            body = await self.get_json("/backend-api/automations", {"cursor": cursor} if cursor else None)
            items = (body.get("items") or []) if isinstance(body, dict) else []
            found.extend(i for i in items if isinstance(i, dict))
            next_cursor = body.get("cursor") if isinstance(body, dict) else None
            if not next_cursor or next_cursor == cursor:
                break
            cursor = str(next_cursor)
        return found


def _gizmo(wrapper: Any) -> Gizmo | None:
    """A gizmo of the sidebar or of ``/gizmos/{id}``: the object under ``gizmo`` when there is one, else the object
    itself; its name from ``display.name`` (some builds: ``name``)."""
    if not isinstance(wrapper, dict):
        return None
    inner = wrapper.get("gizmo")
    gizmo = inner if isinstance(inner, dict) else wrapper
    gid = gizmo.get("id")
    if not isinstance(gid, str) or not gid.startswith("g-"):
        return None
    display = gizmo.get("display")
    name = display.get("name") if isinstance(display, dict) else None
    name = name if isinstance(name, str) and name.strip() else gizmo.get("name")
    return Gizmo(
        id=gid,
        kind=gizmo_kind(gid, gizmo.get("gizmo_type")),
        name=name.strip() if isinstance(name, str) and name.strip() else None,
    )


def _download_link(body: Any) -> _DownloadLink | None:
    """The link of a download endpoint's answer, or None for ``{status: "error", …}`` or no link."""
    if not isinstance(body, dict) or body.get("status", "success") != "success":
        return None
    url, name, size, mime = (body.get(k) for k in ("download_url", "file_name", "file_size_bytes", "mime_type"))
    if not isinstance(url, str) or not url:
        return None
    return _DownloadLink(
        url,
        name if isinstance(name, str) and name else None,
        size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
        mime if isinstance(mime, str) and mime else None,
    )


def _too_large(file_id: str, limit: int, why: str) -> FileTooLarge:
    return FileTooLarge(
        f"file {file_id} is larger than the {limit:,} bytes allowed ({why}): not downloaded",
        file_id=file_id,
        limit=limit,
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        if "text/html" in response.headers.get("content-type", ""):
            raise Blocked(f"ChatGPT answered with a web page instead of data; {EXPORT_HINT}") from None
        raise Unavailable(f"{response.request.url.path}: the answer was not JSON") from None


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return f": {str(detail)[:200]}" if detail else ""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _unreachable(label: str, exc: httpx.TransportError) -> Unavailable:
    """The error for a request that got no answer (a timeout, a refused or broken connection): worth a retry."""
    if isinstance(exc, httpx.TimeoutException):
        return Unavailable(f"{label}: ChatGPT did not answer in time")
    return Unavailable(f"{label}: connection failed ({type(exc).__name__})")


def _plain(exc: BaseException) -> BaseException:
    """The cause to chain: httpx errors carry the request (with our headers) — keep only the text, masked."""
    return RuntimeError(_mask_secrets(f"{type(exc).__name__}: {exc}"))
