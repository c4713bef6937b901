"""Serve MCP over Streamable HTTP, for several agents sharing one history.

Loopback binds work without a token; any other bind requires a bearer token, checked on every request
but ``/health``.

Which Host and Origin values pass:
- bound to one address (loopback, or a LAN address): the SDK's DNS-rebinding protection, with that address,
  the loopback names and ``--allow-host`` names. A web page that rebinds its own name to 127.0.0.1 is refused,
  which is what protects a loopback server without a token.
- bound to every address (``0.0.0.0``, ``::``) to share the history on a LAN: clients reach the machine by any
  of its names and addresses, so any Host passes; the token is what protects it (a web page cannot read it,
  and cannot send it without a CORS grant this server never gives). A browser Origin must still be the very
  address the request was sent to (or an allowed one): a page of another site is refused even with the token.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from chatgpt_history_mcp.errors import HttpConfigError
from chatgpt_history_mcp.settings import ENV_HTTP_TOKEN

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

PUBLIC_PATHS = frozenset({"/health"})
#: Largest request body accepted (413 above it, chunked bodies counted as they arrive): a tool call is small.
MAX_REQUEST_BODY = 4 * 1024 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """Whether binding ``host`` listens on every address of the machine."""
    return host.strip("[]") in ("0.0.0.0", "::", "")


def security_for(host: str, port: int, extra_hosts: list[str]) -> TransportSecuritySettings:
    hosts = ["127.0.0.1", "localhost", "[::1]", *([] if is_loopback(host) else [host]), *extra_hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{h}:{port}" for h in hosts] + hosts,
        allowed_origins=[f"http://{h}:{port}" for h in hosts] + [f"https://{h}" for h in hosts],
    )


class SameOriginOnly:
    """For a wildcard bind (any Host passes): a request that carries an Origin must come from the address it
    was sent to, ``http(s)://<its Host>``, or from one of ``allowed``; else 403 and nothing served."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self._allowed = frozenset(allowed)

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        origin = headers.get(b"origin", b"").decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        if origin and origin not in self._allowed and origin not in (f"http://{host}", f"https://{host}"):
            await _refuse(send, 403, b'{"error": "forbidden: this Origin may not use the server"}')
            return
        await self.app(scope, receive, send)


async def _refuse(
    send: Callable[[Any], Awaitable[None]], status: int, body: bytes, *extra: tuple[bytes, bytes]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                *extra,
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BearerAuth:
    """Refuse requests without ``Authorization: Bearer <token>`` (constant-time compare), except /health."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    async def __call__(
        self, scope: Scope, receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]
    ) -> None:
        if scope["type"] != "http" or scope.get("path") in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        scheme, _, given = dict(scope.get("headers") or []).get(b"authorization", b"").partition(b" ")
        # The scheme is case-insensitive (RFC 9110 §11.1); the token is compared in constant time.
        if not (hmac.compare_digest(given, self._expected) and scheme.lower() == b"bearer"):
            body = b'{"error": "unauthorized: send Authorization: Bearer <token>"}'
            await _refuse(send, 401, body, (b"www-authenticate", b'Bearer realm="chatgpt-history-mcp"'))
            return
        await self.app(scope, receive, send)


def http_app(server: MCPServer, host: str, port: int, token: str | None, extra_hosts: list[str] | None = None) -> Any:
    """The ASGI app serving ``server`` at ``/mcp`` (and ``/health``); raises HttpConfigError when unsafe."""
    if not token and not is_loopback(host):
        raise HttpConfigError(
            f"binding to {host} exposes your ChatGPT history beyond this machine: set {ENV_HTTP_TOKEN} or "
            "--auth-token, or bind to 127.0.0.1"
        )
    security = security_for(host, port, extra_hosts or [])
    if token and is_wildcard(host):  # shared on a LAN: any Host, the token protects (see the module docstring)
        app = server.streamable_http_app(
            host=host,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
            max_request_body_size=MAX_REQUEST_BODY,
        )
        return BearerAuth(SameOriginOnly(app, security.allowed_origins), token)
    app = server.streamable_http_app(host=host, transport_security=security, max_request_body_size=MAX_REQUEST_BODY)
    return BearerAuth(app, token) if token else app


def serve_http(
    server: MCPServer, host: str, port: int, token: str | None, extra_hosts: list[str] | None = None
) -> None:
    import anyio
    import uvicorn

    app = http_app(server, host, port, token, extra_hosts)
    config = uvicorn.Config(app, host=host.strip("[]"), port=port, log_level="warning", lifespan="on")
    anyio.run(uvicorn.Server(config).serve)
