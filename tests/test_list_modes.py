"""List modes (full, discovery, names), how they are chosen in each protocol era, and the 2026-07-28 list rules.

The decision tested here (tooling/deferred.py): JUMPERLESS_LIST_MODE is server-wide, the same list for every
client in either era whatever it declares; without it, the capability `experimental["x-deferred-tools"]`
chooses, once per connection in the handshake era and per request (its `_meta`) in 2026-07-28.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, ClientSession, types
from mcp_types import CLIENT_CAPABILITIES_META_KEY
from stdio_harness import DIVIDER, server_env, spawn

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import JumperlessServer, build_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.settings.model import ConfigError
from jumperless_mcp.tooling.deferred import (
    CAPABILITY,
    DESCRIBE,
    FORCE_ENV,
    LIST_MODE_ENV,
    META_TOOLS,
    NAMES_SCHEMA,
    ListMode,
    list_mode,
    server_list_mode,
)

MODERN = "2026-07-28"
ERAS = ["legacy", MODERN]
NAMES = {CAPABILITY: {"mode": "names"}}
DISCOVERY = {CAPABILITY: {}}


@asynccontextmanager
async def board(jos_board: VirtualBoard) -> AsyncIterator[Board]:
    async with Board(jos_board.info()) as connected:
        yield connected


def server_for(connected: Board, **environ: str) -> JumperlessServer:
    return build_server(connected, Config().validated(), environ=environ)[0]


@contextmanager
def declaring(monkeypatch: pytest.MonkeyPatch, experimental: dict[str, Any] | None) -> Iterator[None]:
    """SDK clients made inside declare these experimental capabilities (in `initialize`, or in every `_meta`)."""
    original = ClientSession._build_capabilities

    def build(self: ClientSession, version: str) -> types.ClientCapabilities:
        return original(self, version).model_copy(update={"experimental": experimental})

    with monkeypatch.context() as patch:
        patch.setattr(ClientSession, "_build_capabilities", build)
        yield


@asynccontextmanager
async def client(server: JumperlessServer, era: str) -> AsyncIterator[Client]:
    async with Client(server, mode="legacy" if era == "legacy" else "auto") as opened:
        assert opened.session.protocol_version == (MODERN if era == MODERN else "2025-11-25")
        yield opened


def wire(result: types.ListToolsResult) -> str:
    return result.model_dump_json(by_alias=True, exclude_none=True)


# --- choosing the mode ---------------------------------------------------------------------------------------


def test_the_environment_names_a_mode_or_leaves_it_to_each_client() -> None:
    for value, mode in (("names", ListMode.NAMES), (" Discovery ", ListMode.DISCOVERY), ("FULL", ListMode.FULL)):
        assert server_list_mode({LIST_MODE_ENV: value}) is mode
    assert server_list_mode({}) is None and server_list_mode({LIST_MODE_ENV: "  "}) is None
    with pytest.raises(ConfigError) as bad:
        server_list_mode({LIST_MODE_ENV: "schemas"})
    assert bad.value.parameter == LIST_MODE_ENV and "'schemas'" in str(bad.value)
    assert "full, discovery, names" in str(bad.value)


def test_the_server_wide_mode_wins_over_every_capability_and_the_old_switch() -> None:
    def caps(experimental: dict[str, Any] | None) -> types.ClientCapabilities:
        return types.ClientCapabilities(experimental=experimental)

    for experimental in (None, DISCOVERY, NAMES):
        for forced in (False, True):
            for mode in ListMode:
                assert list_mode(caps(experimental), forced, mode) == (mode, f"{LIST_MODE_ENV} set in the environment")
    assert list_mode(caps(NAMES), forced=False)[0] is ListMode.NAMES
    assert list_mode(caps(NAMES), forced=True)[0] is ListMode.NAMES
    for value in ({}, {"mode": "discovery"}, {"mode": "NAMES"}, {"version": 2}):
        assert list_mode(caps({CAPABILITY: value}), forced=False)[0] is ListMode.DISCOVERY


async def test_a_bad_list_mode_stops_the_server_naming_the_variable(jos_board: VirtualBoard) -> None:
    async with board(jos_board) as connected:
        with pytest.raises(ConfigError, match=LIST_MODE_ENV):
            server_for(connected, **{LIST_MODE_ENV: "nmaes"})


# --- names mode ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
async def test_names_mode_lists_every_tool_without_schemas_in_both_eras(jos_board: VirtualBoard, era: str) -> None:
    async with board(jos_board) as connected:
        async with client(server_for(connected), era) as opened:
            full = {tool.name: tool for tool in (await opened.list_tools()).tools}
        async with client(server_for(connected, **{LIST_MODE_ENV: "names"}), era) as opened:
            listed = (await opened.list_tools()).tools
            assert listed[0].name == DESCRIBE and listed[0].input_schema["required"] == ["names"]
            named = {tool.name: tool for tool in listed[1:]}
            assert list(named) == list(full)  # every tool, in the full list's order
            for name, tool in named.items():
                assert tool.input_schema == NAMES_SCHEMA and tool.output_schema is None and tool.icons is None
                assert tool.description and "\n" not in tool.description and len(tool.description) <= 200
                assert full[name].description.startswith(tool.description.rstrip("…"))
                assert tool.title == full[name].title and tool.annotations == full[name].annotations
            described = await opened.call_tool(DESCRIBE, {"names": ["dac_set"]})
            schema = described.structured_content["tools"][0]["inputSchema"]
            assert schema == full["dac_set"].input_schema and schema["properties"]["voltage"]["maximum"] == 8
            done = await opened.call_tool("dac_set", {"channel": "TOP_RAIL", "voltage": 3.3})  # a listed tool
            assert not done.is_error and jos_board.model.power["top_rail"] == pytest.approx(3.3)
            refused = await opened.call_tool("dac_set", {"channel": "TOP_RAIL", "voltage": 99})
            assert refused.is_error and refused.meta["jumperless/error"]["parameter"] == "voltage"


async def test_names_mode_is_a_fraction_of_the_full_list(jos_board: VirtualBoard) -> None:
    async with board(jos_board) as connected:
        sizes = {}
        for mode in ListMode:
            async with client(server_for(connected, **{LIST_MODE_ENV: mode.value}), "legacy") as opened:
                sizes[mode] = len(wire(await opened.list_tools()).encode())
    assert sizes[ListMode.DISCOVERY] < sizes[ListMode.NAMES] < sizes[ListMode.FULL] / 2


# --- the decision: server-wide switch, per-connection (handshake) or per-request (2026-07-28) capability --------


@pytest.mark.parametrize("era", ERAS)
async def test_the_server_wide_mode_gives_every_client_the_same_bytes(
    jos_board: VirtualBoard, era: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with board(jos_board) as connected:
        server = server_for(connected, **{LIST_MODE_ENV: "names"})
        seen = set()
        for experimental in (None, DISCOVERY, NAMES, {"other": {}}):
            with declaring(monkeypatch, experimental):
                async with client(server, era) as opened:
                    seen.add(wire(await opened.list_tools()))
        assert len(seen) == 1 and DESCRIBE in next(iter(seen))
        with declaring(monkeypatch, DISCOVERY):  # the old switch and the capability both lose to it
            async with client(server_for(connected, **{LIST_MODE_ENV: "full", FORCE_ENV: "1"}), era) as opened:
                names = {tool.name for tool in (await opened.list_tools()).tools}
        assert len(names) > 50 and not names & set(META_TOOLS)


@pytest.mark.parametrize("era", ERAS)
async def test_without_the_switch_the_capability_chooses_in_both_eras(
    jos_board: VirtualBoard, era: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with board(jos_board) as connected:
        server = server_for(connected)
        lists = {}
        for label, experimental in (("full", None), ("discovery", DISCOVERY), ("names", NAMES)):
            with declaring(monkeypatch, experimental):
                async with client(server, era) as opened:
                    first = await opened.list_tools()
                    lists[label] = [tool.name for tool in first.tools]
                    assert wire(await opened.list_tools()) == wire(first)  # the same request, the same bytes
        assert lists["discovery"] == list(META_TOOLS)
        assert lists["names"] == [DESCRIBE, *lists["full"]]
        # the same server, one connection after another: nothing of a previous client's choice remains
        async with client(server, era) as opened:
            assert [tool.name for tool in (await opened.list_tools()).tools] == lists["full"]


async def test_a_2026_client_s_mode_comes_with_each_request(
    jos_board: VirtualBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2026-07-28 requests carry their own capabilities: the list follows the request, not the connection."""
    async with board(jos_board) as connected:
        server = server_for(connected)
        with declaring(monkeypatch, NAMES):
            async with client(server, MODERN) as opened:
                assert (await opened.list_tools()).tools[0].name == DESCRIBE
                stamp = opened.session._stamp  # the per-request `_meta` writer the SDK set up from discover

                def full_stamp(data: dict[str, Any], options: Any) -> None:
                    stamp(data, options)
                    data["params"]["_meta"][CLIENT_CAPABILITIES_META_KEY] = {}

                opened.session._stamp = full_stamp  # same connection, next request declares nothing
                names = [tool.name for tool in (await opened.list_tools()).tools]
                assert len(names) > 50 and DESCRIBE not in names


# --- 2026-07-28 list rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize("era", ERAS)
async def test_tools_list_is_byte_identical_call_after_call(jos_board: VirtualBoard, era: str) -> None:
    async with board(jos_board) as connected:
        for mode in ListMode:
            server = server_for(connected, **{LIST_MODE_ENV: mode.value})
            async with (
                client(server, era) as first,
                client(server_for(connected, **{LIST_MODE_ENV: mode.value}), era) as other,
            ):
                once = wire(await first.list_tools())
                assert wire(await first.list_tools()) == once
                assert wire(await other.list_tools()) == once  # a new server object over the same board


async def test_2026_list_results_carry_ttl_and_cache_scope(jos_board: VirtualBoard) -> None:
    async with board(jos_board) as connected, client(server_for(connected), MODERN) as opened:
        listed = await opened.list_tools()
        assert {"ttl_ms", "cache_scope"} <= listed.model_fields_set
        assert (listed.ttl_ms, listed.cache_scope) == (0, "private")
        raw = await opened.session.send_discover(MODERN)
        assert (raw["ttlMs"], raw["cacheScope"]) == (0, "private")


async def test_server_discover_gives_the_handshake_s_capabilities(jos_board: VirtualBoard) -> None:
    async with board(jos_board) as connected:
        server = server_for(connected)
        async with client(server, "legacy") as old:
            handshake = old.server_capabilities.model_dump(mode="json", by_alias=True, exclude_none=True)
            instructions = old.session._initialize_result.instructions
        async with client(server, MODERN) as new:
            discovered = await new.session.send_discover(MODERN)
        assert discovered["capabilities"] == handshake and handshake["tools"] == {"listChanged": True}
        assert discovered["instructions"] == instructions


async def test_tools_list_is_the_same_in_two_server_processes(tmp_path: Path) -> None:
    """Across restarts (each process with its own random hash seed): the full list, schemas included, byte for byte."""
    seen = []
    for run in ("first", "second"):
        home = tmp_path / run
        home.mkdir()
        env = server_env(home, **{LIST_MODE_ENV: "full"})
        async with spawn(home, "--port", "emulator", "--parts", str(DIVIDER), env=env) as server:
            seen.append(wire(await server.session.list_tools()))
    assert seen[0] == seen[1] and len(seen[0]) > 50_000


async def test_a_bad_list_mode_stops_serve_before_any_board_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    from jumperless_mcp.serving.server import serve_stdio
    from jumperless_mcp.settings.model import Config

    monkeypatch.setenv(LIST_MODE_ENV, "nmaes")
    locks = Path(os.environ["JUMPERLESS_LOCK_DIR"])
    before = set(locks.iterdir()) if locks.exists() else set()
    with anyio.fail_after(5), pytest.raises(ConfigError, match=LIST_MODE_ENV):
        await serve_stdio(Config(port="emulator"))
    assert (set(locks.iterdir()) if locks.exists() else set()) == before  # no board was opened (no port locked)
