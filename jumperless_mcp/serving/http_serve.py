"""Serving the MCP server over Streamable HTTP (uvicorn), behind a bearer token when it leaves loopback.

A board on the network is a board anyone on the network can drive (rails to 8 V, arbitrary bridges), so
binding a non-loopback address needs a token, and every HTTP request must then carry
`Authorization: Bearer <token>`. On loopback the SDK's DNS-rebinding protection refuses requests whose
Host header is not a loopback name (a web page cannot reach the server through a rebound DNS name).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import uvicorn
from mcp.server.transport_security import TransportSecuritySettings
from sse_starlette.sse import AppStatus

from jumperless_mcp.settings.config import ConfigError

log = logging.getLogger("jumperless_mcp.http")
uvicorn_log = logging.getLogger("uvicorn.error")

MCP_PATH = "/mcp"
TOKEN_ENV = "JUMPERLESS_HTTP_TOKEN"
MIN_TOKEN_LENGTH = 16
SHUTDOWN_GRACE = 1  # seconds open requests (and clients' event streams) get to finish when the server stops
_READY_POLL = 0.01  # seconds between checks that uvicorn accepts connections

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine: 127.0.0.0/8, ::1 or `localhost`."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve the board on the network without a token, or with one short enough to guess."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            "http_token",
            f"the token has {len(token)} characters; a short token can be guessed by trying, and whoever "
            "guesses it drives the board",
            f"at least {MIN_TOKEN_LENGTH} characters, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe())'`",
        )
    if not token and not is_loopback(host):
        raise ConfigError(
            "http_token",
            f"binding {host} exposes the board to the network, and without a token anyone who can reach the port "
            "drives it; set a bearer token, or bind 127.0.0.1",
            f'http_token = "<{MIN_TOKEN_LENGTH}+ characters>" in the config file, or the {TOKEN_ENV} environment '
            "variable",
        )


class BearerGate:
    """ASGI middleware: HTTP requests need `Authorization: Bearer <token>`; no token configured lets all in."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self._expected = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._expected is None or scope["type"] not in ("http", "websocket") or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps(
            {
                "error": "unauthorized",
                "message": "this server needs `Authorization: Bearer <token>` (the token in its http_token setting)",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b'Bearer realm="jumperless-mcp"'),
        ]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _authorized(self, scope: Scope) -> bool:
        assert self._expected is not None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, credentials = bytes(value).partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self._expected)
        return False


def _security(host: str) -> TransportSecuritySettings | None:
    """DNS-rebinding protection for any loopback address (the SDK only switches it on for three spellings)."""
    if not is_loopback(host):
        return None  # reachable from the network anyway; the token is the protection
    names = {"127.0.0.1", "localhost", "[::1]", _host_in_url(host)}
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=sorted(f"{name}:*" for name in names),
        allowed_origins=sorted(f"http://{name}:*" for name in names),
    )


def _host_in_url(host: str) -> str:
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def http_app(server: Any, host: str, token: str | None) -> ASGIApp:
    """The server's Streamable HTTP app at /mcp, behind the bearer gate. Each call makes a fresh session manager."""
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host, transport_security=_security(host))
    return BearerGate(app, token)


class _Uvicorn(uvicorn.Server):
    """uvicorn without its signal handlers: the caller stops it by cancelling (Ctrl-C is the CLI's business)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Clients keep an event stream open for notifications; it would hold the shutdown for the whole grace
        # period, then die with a logged traceback. sse_starlette's documented switch ends the streams at once
        # (uvicorn then complains that each response was cut short: expected here, so not logged).
        AppStatus.should_exit = True
        quiet = _CutStreams()
        uvicorn_log.addFilter(quiet)
        try:
            await super().shutdown(sockets)
        finally:
            AppStatus.should_exit = False
            uvicorn_log.removeFilter(quiet)


class _CutStreams(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("ASGI callable returned without completing response")


async def serve_http(
    server: Any,
    host: str,
    port: int,
    token: str | None,
    *,
    sock: socket.socket | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve `server` at http://HOST:PORT/mcp until cancelled; then stop accepting, let requests end, shut down."""
    check_exposure(host, token)
    config = uvicorn.Config(
        http_app(server, host, token),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,  # leave logging to the application (stderr); uvicorn's own config logs access to stdout
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
    )
    listener = sock if sock is not None else listen(host, port)
    web = _Uvicorn(config)
    finished = anyio.Event()

    async def run() -> None:
        try:
            with anyio.CancelScope(shield=True):  # stopped through should_exit, so its shutdown runs to the end
                await web.serve(sockets=[listener])
        except SystemExit:  # uvicorn's answer to a failed startup (logged by uvicorn)
            pass
        finally:
            finished.set()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            try:
                while not web.started and not finished.is_set():
                    await anyio.sleep(_READY_POLL)
                if web.started:
                    url = f"http://{_host_in_url(host)}:{listener.getsockname()[1]}{MCP_PATH}"
                    required = "a bearer token is required" if token else "no token required (loopback only)"
                    log.info("serving MCP over Streamable HTTP at %s; %s", url, required)
                    if on_ready is not None:
                        on_ready(url)
                await finished.wait()
            finally:
                web.should_exit = True
    finally:
        if sock is None:
            listener.close()  # uvicorn closes it after a normal run, not after a failed startup
    if not web.started:
        raise RuntimeError(f"the HTTP server on {host}:{port} did not start (see the log above)")


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a busy port is a clear OSError rather than uvicorn's sys.exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from exc
