"""Several boards behind one server: names, the `boards` tool, isolation, hot-plug and discovery."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import Client, ClientSession, types
from mcp_harness import session_with_capabilities
from result_schemas import error_details

from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember
from jumperless_mcp.serving.server import federation_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.deferred import META_TOOLS
from jumperless_mcp.tools import ALL_TOOLS

WATCH = 0.05  # seconds between presence checks in these tests


@dataclasses.dataclass
class Bench:
    federation: Federation
    client: Client
    discovery: ClientSession
    changes: list[str]  # which client heard notifications/tools/list_changed, in order

    def vboard(self, name: str) -> VirtualBoard:
        member = self.federation.member(name)
        assert isinstance(member, LocalMember) and member.board.virtual_board is not None
        return member.board.virtual_board

    async def ok(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        result = await self.client.call_tool(name, arguments)
        assert not result.is_error, f"{name}({arguments}) failed: {result.content}"
        assert result.structured_content is not None
        return result.structured_content

    async def names(self) -> set[str]:
        return {tool.name for tool in (await self.client.list_tools()).tools}

    async def wait_for_changes(self, count: int) -> None:
        with anyio.fail_after(5):
            while len(self.changes) < count:
                await anyio.sleep(0.01)


@asynccontextmanager
async def bench(*boards: tuple[str, Config]) -> AsyncIterator[Bench]:
    """A federation of virtual boards (one per name), its server, a full-mode client and a discovery-mode one."""
    federation = Federation(LocalMember(name, config) for name, config in boards)
    changes: list[str] = []

    def listener(who: str):  # type: ignore[no-untyped-def]
        async def on_message(message: object) -> None:
            if isinstance(message, types.ToolListChangedNotification):
                changes.append(who)

        return on_message

    await federation.start()
    try:
        server = federation_server(federation, environ={})
        async with anyio.create_task_group() as group:
            group.start_soon(federation.watch, WATCH)
            async with (
                Client(server, mode="legacy", message_handler=listener("full")) as client,
                session_with_capabilities(server, {"x-deferred-tools": {}}, listener("discovery")) as discovery,
            ):
                await client.list_tools()
                yield Bench(federation, client, discovery, changes)
            group.cancel_scope.cancel()
    finally:
        await federation.aclose()


EMULATOR = Config(port="emulator", timeout=1.0).validated()


async def test_two_boards_names_health_isolation_and_hot_plug() -> None:
    async with bench(("bench-a", EMULATOR), ("bench_b", EMULATOR)) as b:
        # --- names: board_tool on the wire, board.tool inside, one table both ways ------------------------
        names = await b.names()
        assert {"bench_a_connect", "bench_b_connect", "bench_a_adc_read", "bench_b_adc_read", "boards"} <= names
        assert not names & {spec.name for spec in ALL_TOOLS}, "no bare board tool names with two boards"
        assert len(names) == 2 * len(b.federation.member("bench-a").runner.offered()) + 1  # type: ignore[union-attr]
        directory = b.federation.directory
        for listing in directory.listings():
            assert directory.find(listing.wire_name) is listing
            assert directory.find_internal(listing.internal_name) is listing
        assert directory.find("bench_a_connect").internal_name == "bench-a.connect"  # type: ignore[union-attr]
        assert directory.find_internal("bench_b.dac_set").wire_name == "bench_b_dac_set"  # type: ignore[union-attr]
        tools = {tool.name: tool for tool in (await b.client.list_tools()).tools}
        assert tools["bench_a_connect"].description.startswith("[board bench-a] ")

        # --- calls reach only their own board -------------------------------------------------------------
        await b.ok("bench_a_dac_set", channel="DAC0", voltage=1.25)
        assert b.vboard("bench-a").model.power["dac0"] == pytest.approx(1.25)
        assert b.vboard("bench_b").model.power["dac0"] == 0.0
        await b.ok("bench_b_connect", node1=12, node2="ADC1")
        assert b.vboard("bench_b").model.netlist.bridges and not b.vboard("bench-a").model.netlist.bridges

        # --- the boards tool --------------------------------------------------------------------------------
        health = {entry["name"]: entry for entry in (await b.ok("boards"))["boards"]}
        assert set(health) == {"bench-a", "bench_b"}
        for name, prefix in (("bench-a", "bench_a"), ("bench_b", "bench_b")):
            entry = health[name]
            assert entry["level"] == "healthy" and entry["present"] is True and entry["last_error"] is None
            assert entry["firmware"] == "5.7.0.13" and entry["channel"] and entry["prefix"] == prefix
            assert entry["latency_ms"] is not None and entry["latency_ms"] > 0
            assert entry["tools"] == len(names) // 2

        # --- isolation: board b hangs; board a keeps its latency --------------------------------------------
        async def a_latencies(count: int) -> list[float]:
            taken = []
            for _ in range(count):
                started = time.perf_counter()
                await b.ok("bench_a_dac_get", channel="DAC0")
                taken.append(time.perf_counter() - started)
            return taken

        before = statistics.median(await a_latencies(10))
        b.vboard("bench_b").hang()
        stuck: dict[str, Any] = {}

        async def call_hung_board() -> None:
            result = await b.client.call_tool("bench_b_adc_read", {})
            stuck["result"], stuck["done"] = result, time.perf_counter()

        async with anyio.create_task_group() as group:
            group.start_soon(call_hung_board)
            await anyio.sleep(0.05)  # b's call is in flight, holding b's lock
            during = await a_latencies(10)
            a_done = time.perf_counter()
            with anyio.fail_after(10):  # the boards tool reports the stuck board without waiting on it for ever
                health = {entry["name"]: entry for entry in (await b.ok("boards"))["boards"]}
        assert stuck["done"] > a_done, stuck["result"]
        assert error_details(stuck["result"])["kind"] == "board_timeout"
        assert statistics.median(during) < max(3 * before, before + 0.05), (before, during)
        assert health["bench_b"]["level"] == "down" and health["bench_b"]["last_error"], health["bench_b"]
        assert health["bench-a"]["level"] == "healthy"
        b.vboard("bench_b").unhang()

        # --- hot-plug: b's pseudo-terminals close; its tools leave the list, a's stay --------------------------
        b.vboard("bench_b").unplug()
        await b.wait_for_changes(2)
        assert sorted(b.changes) == ["discovery", "full"], "both client connections heard list_changed"
        names = await b.names()
        assert "bench_a_connect" in names and "boards" in names
        assert not any(name.startswith("bench_b_") for name in names)
        refused = await b.client.call_tool("bench_b_dac_get", {"channel": "DAC0"})
        assert error_details(refused)["kind"] == "board_absent"
        assert error_details(refused)["retryable"] is True and "not plugged in" in error_details(refused)["error"]
        after = statistics.median(await a_latencies(10))
        assert after < max(3 * before, before + 0.05), (before, after)
        health = {entry["name"]: entry for entry in (await b.ok("boards", ping=False))["boards"]}
        assert health["bench_b"]["present"] is False and health["bench_b"]["tools"] == 0

        b.vboard("bench_b").replug()
        await b.wait_for_changes(4)
        assert "bench_b_dac_get" in await b.names()
        assert (await b.ok("bench_b_dac_get", channel="DAC0"))["voltage"] == 0.0

        # --- discovery mode across the federation ----------------------------------------------------------
        listed = {tool.name for tool in (await b.discovery.list_tools()).tools}
        assert listed == set(META_TOOLS)
        found = await b.discovery.call_tool("tools_search", {"query": "read the ADC on bench b"})
        first = found.structured_content["matches"][0]  # type: ignore[index]
        assert first["name"] == "bench_b_adc_read" and first["board"] == "bench_b"
        found = await b.discovery.call_tool("tools_search", {"query": "which boards are up and healthy"})
        assert "boards" in [m["name"] for m in found.structured_content["matches"][:3]]  # type: ignore[index]
        called = await b.discovery.call_tool("tools_call", {"name": "bench_a_dac_get", "arguments": {"channel": 0}})
        assert not called.is_error and called.structured_content["voltage"] == pytest.approx(1.25)  # type: ignore[index]


async def test_one_board_keeps_bare_names_and_an_absent_board_keeps_its_tools() -> None:
    async with bench(("solo", EMULATOR)) as b:
        names = await b.names()
        assert {"connect", "adc_read", "boards"} <= names and not any(n.startswith("solo_") for n in names)
        health = (await b.ok("boards"))["boards"]
        assert [entry["name"] for entry in health] == ["solo"] and health[0]["prefix"] == ""
        b.vboard("solo").unplug()
        await anyio.sleep(WATCH * 4)
        assert b.changes == [] and "connect" in await b.names()  # one board: its tools stay and retry per call
        result = await b.client.call_tool("dac_get", {"channel": "DAC0"})
        assert error_details(result)["retryable"] is True


async def test_a_2026_era_client_hears_changes_through_subscriptions_listen() -> None:
    federation = Federation([LocalMember("a", EMULATOR), LocalMember("b", EMULATOR)])
    await federation.start()
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(federation.watch, WATCH)
            async with Client(federation_server(federation, environ={})) as client:  # no handshake: 2026-07-28
                assert client.protocol_version == "2026-07-28"
                async with client.listen(tools_list_changed=True) as events:
                    member = federation.member("b")
                    assert isinstance(member, LocalMember) and member.board.virtual_board is not None
                    member.board.virtual_board.unplug()
                    with anyio.fail_after(5):
                        event = await events.__anext__()
                assert "ToolsListChanged" in type(event).__name__
                names = {tool.name for tool in (await client.list_tools()).tools}
                assert "a_connect" in names and "b_connect" not in names
            group.cancel_scope.cancel()
    finally:
        await federation.aclose()


def test_a_board_whose_names_would_clash_is_left_out_and_says_why() -> None:
    x = dataclasses.replace(ALL_TOOLS[0], name="x")
    b_x = dataclasses.replace(ALL_TOOLS[0], name="b_x")
    nowhere = Config(port="/dev/no-such-jumperless").validated()
    federation = Federation([LocalMember("a_b", nowhere, tools=[x]), LocalMember("a", nowhere, tools=[b_x])])
    listing = federation.directory.find("a_b_x")
    assert listing is not None and listing.internal_name == "a_b.x"
    assert federation.directory.find_internal("a.b_x") is None
    assert "clashes with board 'a_b' tool 'x'" in federation._rejected["a"]
