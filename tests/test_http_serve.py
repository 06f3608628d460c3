"""Streamable HTTP serving: the bearer token gate, DNS-rebinding protection and exposure checks, over real HTTP."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from jumperless_mcp.board import Board
from jumperless_mcp.config import Config, ConfigError
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.http_serve import BearerGate, check_exposure, is_loopback, serve_http
from jumperless_mcp.server import JumperlessServer, build_server

TOKEN = "correct-horse-battery-staple"


def loopback_socket(port: int = 0) -> socket.socket:
    """A socket bound on loopback before the server starts (port 0: the OS picks one)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@asynccontextmanager
async def http_served(server: Any, token: str | None, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """`server` over HTTP in this event loop; yields its URL; stops it (by cancelling) on the way out."""
    sock = sock or loopback_socket()
    urls: list[str] = []
    ready = anyio.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    async with anyio.create_task_group() as group:
        group.start_soon(
            lambda: serve_http(server, "127.0.0.1", sock.getsockname()[1], token, sock=sock, on_ready=on_ready)
        )
        with anyio.fail_after(5):
            await ready.wait()
        yield urls[0]
        group.cancel_scope.cancel()


@asynccontextmanager
async def served_board(token: str | None = TOKEN) -> AsyncIterator[tuple[str, VirtualBoard, Any]]:
    """A virtual board behind our real MCP server, served over HTTP: (url, virtual board, server)."""
    with VirtualBoard("jumperlos") as vboard:
        async with Board(vboard.info(), timeout=5) as board:
            server, _ = build_server(board, Config(), environ={})
            async with http_served(server, token) as url:
                yield url, vboard, server


def authorized(token: str = TOKEN, **options: Any) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, **options)


def test_exposure_needs_a_long_enough_token_off_loopback() -> None:
    for host in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host), host
        check_exposure(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.com", "localhost.example.com"):
        assert not is_loopback(host), host
        with pytest.raises(ConfigError) as refused:
            check_exposure(host, None)
        assert refused.value.parameter == "http_token"
        assert f"binding {host} exposes the board to the network" in str(refused.value)
        assert "JUMPERLESS_HTTP_TOKEN" in str(refused.value) and "config file" in str(refused.value)
        check_exposure(host, TOKEN)
    for host in ("0.0.0.0", "127.0.0.1"):
        with pytest.raises(ConfigError) as short:
            check_exposure(host, "hunter2")
        assert short.value.parameter == "http_token"
        assert "7 characters" in str(short.value) and "guessed" in str(short.value) and "16" in str(short.value)


async def test_serve_http_refuses_an_exposed_board_before_binding() -> None:
    with pytest.raises(ConfigError, match="http_token"):
        await serve_http(object(), "0.0.0.0", 0, None)


async def test_token_gate_rebinding_and_mcp_over_http(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jumperless_mcp.http")
    async with served_board() as (url, vboard, _):
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url == f"http://127.0.0.1:{port}/mcp"
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        async with httpx2.AsyncClient() as anonymous:
            refused = await anonymous.post(url, json=initialize)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["error"] == "unauthorized" and "Bearer" in refused.json()["message"]
        async with authorized("not-the-right-token-at-all") as wrong:
            assert (await wrong.post(url, json=initialize)).status_code == 401
        async with authorized() as right:
            rebound = await right.post(url, json=initialize, headers={"Host": "evil.example"})
        assert rebound.status_code == 421  # DNS rebinding: a loopback server answers only loopback Host names

        async with (
            authorized(timeout=10) as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"board_info", "connect", "dac_set"} <= names
            info = await client.call_tool("board_info", {})
            assert not info.is_error, info.content
            assert info.structured_content is not None and info.structured_content["family"] == "jumperlos"
            await client.call_tool("dac_set", {"channel": "DAC1", "voltage": 2.0})
            assert vboard.model.power["dac1"] == pytest.approx(2.0)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert url in logged and "token is required" in logged
    assert TOKEN not in logged
    async with httpx2.AsyncClient() as late:  # cancelled: the port no longer answers
        with pytest.raises(httpx2.ConnectError):
            await late.post(url, json=initialize)


async def test_gate_without_token_lets_requests_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=BearerGate(app, None))) as open_client:
        assert (await open_client.get("http://127.0.0.1/mcp")).text == "ok"
    gated = httpx2.ASGITransport(app=BearerGate(app, TOKEN))
    async with httpx2.AsyncClient(transport=gated) as anonymous:
        answer = await anonymous.get("http://127.0.0.1/mcp", headers={"Authorization": "Basic abc"})
        assert answer.status_code == 401 and json.loads(answer.text)["error"] == "unauthorized"
    async with authorized(transport=gated) as right:
        assert (await right.get("http://127.0.0.1/mcp")).text == "ok"
        lower = await right.get("http://127.0.0.1/mcp", headers={"Authorization": f"bearer {TOKEN}"})
        assert lower.text == "ok"  # the scheme is case-insensitive (RFC 9110)
        assert (await right.get("http://127.0.0.1/mcp", headers={"Authorization": TOKEN})).status_code == 401
    assert seen == ["http", "http", "http"]


async def test_serve_http_binds_its_own_port_and_says_when_busy() -> None:
    server = JumperlessServer("empty")
    urls: list[str] = []
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: serve_http(server, "127.0.0.1", 0, None, on_ready=urls.append))
        await wait_until(lambda: bool(urls))
        port = int(urls[0].rsplit(":", 1)[1].split("/")[0])
        assert port > 0 and urls[0] == f"http://127.0.0.1:{port}/mcp"
        async with Client(urls[0], mode="legacy") as client:  # loopback without a token: no header needed
            assert client.server_info is not None and client.server_info.name == "empty"
            await client.session.send_ping()
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            await serve_http(JumperlessServer("second"), "127.0.0.1", port, None)
        group.cancel_scope.cancel()


async def wait_until(condition: Any, timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.01)
