"""A remote jumperless-mcp server as a federation member: tools, calls, progress, tokens, outages, list changes."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from mcp import types
from mcp.server import ServerRequestContext
from result_schemas import error_details
from test_http_serve import TOKEN, http_served, loopback_socket

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.multiboard.remote_board import RemoteBoard
from jumperless_mcp.serving.server import JumperlessServer, build_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling import deferred


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.02)


async def test_remote_board_forwards_tools_and_survives_outages() -> None:
    with VirtualBoard("jumperlos") as vboard:
        async with Board(vboard.info(), timeout=5) as board:
            server, _ = build_server(board, Config(), environ={})
            sock = loopback_socket()
            port = sock.getsockname()[1]
            remote = RemoteBoard("lab", f"http://127.0.0.1:{port}/mcp", TOKEN, timeout=5)
            wrong = RemoteBoard("intruder", remote.url, "an-entirely-wrong-token", timeout=5)
            guarded = RemoteBoard("lab-ro", remote.url, TOKEN, timeout=5, read_only=True)
            changes: list[bool] = []
            remote.on_change = lambda: changes.append(remote.present())
            assert remote.tool_names() == [] and not remote.present()
            await remote.start()  # nothing listens yet: not an error
            assert "unreachable" in (remote.unavailable_reason("dac_set") or "")
            try:
                async with http_served(server, TOKEN, sock):
                    await remote.wait_connected(10)
                    await guarded.start()  # start() waits for the first attempt: up, or failed and why
                    await wrong.start()
                    assert guarded.present() and "dac_get" in guarded.tool_names()
                    assert not wrong.present() and wrong.last_error is not None
                    await _connected_behaviour(remote, vboard)
                    await _read_only(guarded, vboard)
                    await _refused_token(wrong)
                    assert changes == [True]

                # the server stopped: calls fail retryably, and the member goes down
                result = await remote.call("dac_get", {"channel": "DAC0"})
                error = error_details(result)
                assert error["kind"] == "remote_unreachable"
                assert error["retryable"] is True
                assert "remote server lab (http://127.0.0.1:" in error["error"]
                await wait_for(lambda: not remote.present())
                assert changes == [True, False]
                assert "unreachable" in (remote.unavailable_reason("dac_get") or "")
                assert remote.tool_names(), "the tools stay declared (unavailable) while the remote is down"
                health = await remote.health(ping=True)
                assert health["level"] == "down" and not health["present"] and health["last_error"]

                # the server is back on the same port: the member reconnects by itself
                async with http_served(server, TOKEN, loopback_socket(port)):
                    await remote.wait_connected(10)
                    assert changes == [True, False, True]
                    back = await remote.call("dac_get", {"channel": "DAC0"})
                    assert not back.is_error, back.content
                    assert back.structured_content is not None
                    assert back.structured_content["voltage"] == pytest.approx(1.25)

                # restarted between two calls: the remote forgot the session, never ran the call; it is resent
                async with http_served(server, TOKEN, loopback_socket(port)):
                    resent = await remote.call("dac_set", {"channel": "DAC1", "voltage": 0.5})
                    assert not resent.is_error, resent.content
                    assert vboard.model.power["dac1"] == pytest.approx(0.5)
                    assert changes == [True, False, True, False, True]
                    await remote.aclose()
                    assert not remote.present()
            finally:
                for member in (remote, wrong, guarded):
                    await member.aclose()


async def _connected_behaviour(remote: RemoteBoard, vboard: VirtualBoard) -> None:
    names = set(remote.tool_names())
    assert {"board_info", "dac_set", "dac_get", "probe_read"} <= names
    assert not names & {"boards", *deferred.META_TOOLS}
    assert remote.kind == "remote" and remote.selector == remote.url and TOKEN not in repr(remote)
    assert remote.unavailable_reason("dac_set") is None
    tool = remote.mcp_tool("dac_set")
    assert tool.name == "dac_set" and "voltage" in tool.input_schema["properties"]
    text = remote.search_text("dac_set")
    assert text.name == "dac_set" and text.subsystem and "voltage" in dict(text.params)

    result = await remote.call("dac_set", {"channel": "DAC0", "voltage": 1.25})
    assert not result.is_error, result.content
    assert vboard.model.power["dac0"] == pytest.approx(1.25)
    read = await remote.call("dac_get", {"channel": "DAC0"})
    assert read.structured_content is not None and read.structured_content["voltage"] == pytest.approx(1.25)
    bad = await remote.call("dac_set", {"channel": "DAC9", "voltage": 1.0})  # the remote's own error, unchanged
    assert error_details(bad)["kind"] == "invalid_argument" and error_details(bad)["parameter"] == "channel"

    seen: list[tuple[float, float | None, str]] = []

    async def progress(done: float, total: float | None, message: str) -> None:
        seen.append((done, total, message))

    async def touch_later() -> None:
        await anyio.sleep(1.3)
        vboard.probe.touch(7)

    async with anyio.create_task_group() as group:
        group.start_soon(touch_later)
        touched = await remote.call("probe_read", {"blocking": True, "timeout": 20}, progress)
    assert touched.structured_content == {"pad": "PAD_7", "row": 7, "touched": True, "blocking": True}
    assert seen and seen[0][1] == 20 and "probe_read" in seen[0][2]

    health = await remote.health(ping=True)
    assert health["name"] == "lab" and health["kind"] == "remote" and health["selector"] == remote.url
    assert health["present"] and health["level"] == "healthy" and health["channel"] == "mcp-http"
    assert health["firmware"] is None and health["last_error"] is None
    assert isinstance(health["latency_ms"], float) and health["latency_ms"] > 0
    assert [board["level"] for board in health["boards"]] == ["healthy"]  # the remote's own `boards`
    quiet = await remote.health(ping=False)
    assert quiet["boards"] == [] and quiet["latency_ms"] is not None


async def _read_only(guarded: RemoteBoard, vboard: VirtualBoard) -> None:
    assert guarded.unavailable_reason("dac_get") is None
    reason = guarded.unavailable_reason("dac_set")
    assert reason is not None and "lab-ro is read-only in this server's config" in reason
    refused = await guarded.call("dac_set", {"channel": "DAC0", "voltage": 3.0})
    assert error_details(refused)["kind"] == "unavailable" and error_details(refused)["retryable"] is False
    assert vboard.model.power["dac0"] == pytest.approx(1.25)


async def _refused_token(wrong: RemoteBoard) -> None:
    assert not wrong.present()
    health = await wrong.health(ping=True)
    assert health["level"] == "down" and "401" in health["last_error"] and "token" in health["last_error"]
    assert "an-entirely-wrong-token" not in health["last_error"]
    failed = await wrong.call("board_info", {})
    assert error_details(failed)["kind"] == "remote_unreachable"
    assert "401" in error_details(failed)["error"]


def tiny_server(names: list[str]) -> JumperlessServer:
    """A server whose `set_tools` tool replaces its tool list and says so (notifications/tools/list_changed).

    Its `nap` tool sleeps `seconds`.
    """

    async def on_list_tools(ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        schema = {"type": "object", "properties": {"names": {"type": "array", "description": "the new list"}}}
        return types.ListToolsResult(tools=[types.Tool(name=name, input_schema=schema) for name in names])

    async def on_call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name == "nap":
            await anyio.sleep((params.arguments or {})["seconds"])
            return types.CallToolResult(content=[types.TextContent(type="text", text="slept")])
        names[:] = (params.arguments or {})["names"]
        await ctx.session.send_tool_list_changed()
        return types.CallToolResult(content=[types.TextContent(type="text", text="ok")])

    return JumperlessServer("tiny", on_list_tools=on_list_tools, on_call_tool=on_call_tool)


def expect_change(remote: RemoteBoard) -> anyio.Event:
    changed = anyio.Event()
    remote.on_change = changed.set
    return changed


async def test_remote_tool_list_changes_reach_on_change(caplog: pytest.LogCaptureFixture) -> None:
    names = ["set_tools", "nap"]
    async with http_served(tiny_server(names), None) as url:
        remote = RemoteBoard("tiny", url, None, timeout=0.5)
        await remote.start()
        try:
            await remote.wait_connected(5)
            assert remote.tool_names() == ["set_tools", "nap"]
            slow = await remote.call("nap", {"seconds": 3})  # our limit: the member's timeout, 0.5 s
            assert error_details(slow)["kind"] == "remote_timeout"
            assert error_details(slow)["retryable"] is True and "0.5 s" in error_details(slow)["error"]
            patient = await remote.call("nap", {"seconds": 0.8, "timeout": 1})  # plus the tool's own timeout
            assert not patient.is_error, patient.content
            assert remote.present(), "a slow answer is not a broken link"

            assert remote.search_text("set_tools").subsystem == "remote"
            assert remote.search_text("set_tools").params == (("names", "the new list"),)
            changed = expect_change(remote)
            await remote.call("set_tools", {"names": ["set_tools", "gizmo_read"]})
            with anyio.fail_after(5):
                await changed.wait()
            assert remote.tool_names() == ["set_tools", "gizmo_read"]

            caplog.set_level(logging.WARNING, logger="jumperless_mcp.multiboard.federation")
            changed = expect_change(remote)
            await remote.call("set_tools", {"names": list(deferred.META_TOOLS)})  # a remote forcing discovery mode
            with anyio.fail_after(5):
                await changed.wait()
            assert remote.tool_names() == []
            assert any(deferred.FORCE_ENV in record.getMessage() for record in caplog.records)
        finally:
            await remote.aclose()
