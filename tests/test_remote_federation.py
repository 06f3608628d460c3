"""A bench over two machines: a remote jumperless-mcp (two boards, HTTP, token) federated into a local one."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client, types
from mcp_harness import session_with_capabilities
from result_schemas import error_details
from test_http_serve import TOKEN, http_served

from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember
from jumperless_mcp.multiboard.remote_board import RemoteBoard
from jumperless_mcp.serving.server import federation_server
from jumperless_mcp.settings.config import Config

EMULATOR = Config(port="emulator", timeout=2.0).validated()
WATCH = 0.05


async def test_a_remote_server_s_boards_appear_in_the_local_server() -> None:
    remote_side = Federation([LocalMember("bench-a", EMULATOR), LocalMember("bench-b", EMULATOR)])
    await remote_side.start()
    local = None
    try:
        async with (
            anyio.create_task_group() as group,
            http_served(federation_server(remote_side, environ={}), TOKEN) as url,
        ):
            group.start_soon(remote_side.watch, WATCH)
            lab = RemoteBoard("lab", url, TOKEN, timeout=5)
            intruder = RemoteBoard("intruder", url, "not-the-token-at-all-0000", timeout=5)
            local = Federation([LocalMember("desk", EMULATOR), lab, intruder])
            await local.start()
            group.start_soon(local.watch, WATCH)
            changes: list[str] = []

            async def on_message(message: object) -> None:
                if isinstance(message, types.ToolListChangedNotification):
                    changes.append("changed")

            server = federation_server(local, environ={})
            async with (
                Client(server, mode="legacy", message_handler=on_message) as client,
                session_with_capabilities(server, {"x-deferred-tools": {}}) as discovery,
            ):
                await _one_bench_over_two_machines(client, remote_side)
                await _the_token_is_checked(client)
                await _discovery_across_the_federation(discovery)
                await _remote_changes_reach_the_local_clients(client, remote_side, changes)
            group.cancel_scope.cancel()
    finally:
        if local is not None:
            await local.aclose()
        await remote_side.aclose()


async def _ok(client: Client, name: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, (name, result.content)
    assert result.structured_content is not None
    return result.structured_content


async def _one_bench_over_two_machines(client: Client, remote_side: Federation) -> None:
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert {"desk_connect", "lab_bench_a_connect", "lab_bench_b_adc_read", "boards"} <= names
    assert not any(name.startswith("intruder_") for name in names), "a remote that refused us offers nothing"
    assert not {"lab_boards", "lab_tools_search"} & names, "the remote's server tools are not forwarded"

    await _ok(client, "lab_bench_b_dac_set", channel="DAC0", voltage=1.5)
    bench_b = remote_side.member("bench-b")
    assert isinstance(bench_b, LocalMember) and bench_b.board.virtual_board is not None
    assert bench_b.board.virtual_board.model.power["dac0"] == pytest.approx(1.5)
    assert (await _ok(client, "lab_bench_a_dac_get", channel="DAC0"))["voltage"] == 0.0
    assert (await _ok(client, "desk_dac_get", channel="DAC0"))["voltage"] == 0.0

    bad = await client.call_tool("lab_bench_b_dac_set", {"channel": "DAC0", "voltage": 99})
    assert error_details(bad)["kind"] == "invalid_argument"
    assert error_details(bad)["parameter"] == "voltage"


async def _the_token_is_checked(client: Client) -> None:
    health = {entry["name"]: entry for entry in (await _ok(client, "boards"))["boards"]}
    assert health["desk"]["level"] == "healthy" and health["desk"]["prefix"] == "desk"
    lab = health["lab"]
    assert lab["level"] == "healthy" and lab["kind"] == "remote" and lab["latency_ms"] is not None
    assert [(b["name"], b["level"], b["firmware"]) for b in lab["boards"]] == [
        ("bench-a", "healthy", "5.7.0.13"),
        ("bench-b", "healthy", "5.7.0.13"),
    ]
    intruder = health["intruder"]
    assert intruder["level"] == "down" and intruder["present"] is False and intruder["tools"] == 0
    assert "401" in intruder["last_error"]
    refused = await client.call_tool("intruder_bench_a_dac_get", {"channel": "DAC0"})
    assert error_details(refused)["kind"] == "unknown_tool"


async def _discovery_across_the_federation(discovery: Any) -> None:
    found = await discovery.call_tool("tools_search", {"query": "read the ADC on bench b"})
    top = [match["name"] for match in found.structured_content["matches"][:3]]
    assert top[0] == "lab_bench_b_adc_read", top
    described = await discovery.call_tool("tools_describe_many", {"names": ["lab_bench_a_dac_set"]})
    [tool] = described.structured_content["tools"]
    assert tool["name"] == "lab_bench_a_dac_set" and tool["description"].startswith("[board lab] [board bench-a] ")
    called = await discovery.call_tool("tools_call", {"name": "lab_bench_b_dac_get", "arguments": {"channel": 0}})
    assert not called.is_error and called.structured_content["voltage"] == pytest.approx(1.5)


async def _remote_changes_reach_the_local_clients(client: Client, remote_side: Federation, changes: list[str]) -> None:
    bench_a = remote_side.member("bench-a")
    assert isinstance(bench_a, LocalMember) and bench_a.board.virtual_board is not None
    bench_a.board.virtual_board.unplug()  # on the remote machine
    with anyio.fail_after(10):
        while not changes:
            await anyio.sleep(0.02)
    names = {tool.name for tool in (await client.list_tools()).tools}
    assert "lab_bench_b_connect" in names and not any(name.startswith("lab_bench_a_") for name in names)
