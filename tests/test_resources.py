"""MCP resources through the SDK client in both protocol eras: listed, read, subscribed to, linked from tools."""

from __future__ import annotations

import base64
import io
import json
import warnings
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import Client, types
from mcp.shared.exceptions import MCPError
from PIL import Image

from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember
from jumperless_mcp.serving import resources
from jumperless_mcp.serving.server import build_server, federation_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.deferred import FORCE_ENV

MODERN = "2026-07-28"
MODES = ["legacy", MODERN]
STATE = "jumperless://board/state"


@asynccontextmanager
async def served(
    vboard: VirtualBoard, mode: str, message_handler: Any = None, environ: Mapping[str, str] | None = None
) -> AsyncIterator[Client]:
    config = Config().validated()
    async with Board(vboard.info(), timeout=config.timeout) as board:
        server, _ = build_server(board, config, environ=environ or {})
        async with Client(server, mode=mode, message_handler=message_handler) as client:  # type: ignore[arg-type]
            yield client


async def read_json(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents) and content.mime_type == "application/json"
    return json.loads(content.text)


async def read_png(client: Client, uri: str) -> Image.Image:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert isinstance(content, types.BlobResourceContents) and content.mime_type == "image/png"
    picture = Image.open(io.BytesIO(base64.b64decode(content.blob)))
    picture.load()
    return picture


@pytest.mark.parametrize("mode", MODES)
async def test_resources_and_templates_are_listed(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        listed = {r.uri for r in (await client.list_resources()).resources}
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        if mode == "legacy":  # the handshake advertises subscriptions (2026-07-28 clients use subscriptions/listen)
            capability = client.server_capabilities.resources
            assert capability is not None and capability.subscribe is True
    assert {"jumperless://nodes", "jumperless://audit/recent", "jumperless://captures", STATE} <= listed
    assert {f"jumperless://reference/{topic}" for topic in resources.REFERENCE} <= listed
    assert {"jumperless://board/picture.png", "jumperless://board/oled.png", "jumperless://board/netlist"} <= listed
    assert {
        "jumperless://{board}/state",
        "jumperless://{board}/slots/{slot}",
        "jumperless://captures/{name}",
        "jumperless://captures/{name}/plot.png",
        "jumperless://reference/{topic}",
    } <= templates


@pytest.mark.parametrize("mode", MODES)
async def test_node_map_and_reference_notes_read(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        nodes = await read_json(client, "jumperless://nodes")
        notes = {topic: await client.read_resource(f"jumperless://reference/{topic}") for topic in resources.REFERENCE}
    by_id = {node["id"]: node for node in nodes["nodes"]}
    assert nodes["count"] == len(by_id) > 100
    assert by_id[1]["kind"] == "row" and by_id[100]["name"] == "GND" and by_id[101]["kind"] == "rail"
    for topic, result in notes.items():
        (content,) = result.contents
        assert isinstance(content, types.TextResourceContents) and content.text.startswith("# "), topic
        assert 200 < len(content.text) < 3000, topic


@pytest.mark.parametrize("mode", MODES)
async def test_board_state_and_netlist_show_a_new_bridge(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        before = await read_json(client, STATE)
        assert not (await client.call_tool("connect", {"node1": 11, "node2": 12})).is_error
        after = await read_json(client, STATE)
        netlist = await read_json(client, "jumperless://board/netlist")
    assert ["11", "12"] not in before["bridges"] and ["11", "12"] in after["bridges"]
    assert set(after["power"]) == {"DAC0", "DAC1", "TOP_RAIL", "BOTTOM_RAIL"}
    assert [g["pin"] for g in after["gpio"]] == [f"GPIO_{i}" for i in range(1, 9)]
    assert any({"11", "12"} <= set(map(str, net["nodes"])) for net in netlist["nets"]), netlist
    assert after["board"] == "board" and after["firmware"]


async def test_state_on_5_3_firmware_reads_bridges_power_and_gpio(legacy_board: VirtualBoard) -> None:
    async with served(legacy_board, MODERN) as client:
        await client.call_tool("connect", {"node1": 11, "node2": 12})
        state = await read_json(client, STATE)
        picture = await read_png(client, "jumperless://board/picture.png")
        with pytest.raises(MCPError, match="framebuffer"):  # 5.3.x cannot read the OLED back
            await client.read_resource("jumperless://board/oled.png")
    assert ["11", "12"] in state["bridges"] and state["firmware"].startswith("5.3")
    assert len(state["gpio"]) == 8 and {g["direction"] for g in state["gpio"]} <= {"input", "output"}
    assert picture.format == "PNG"


@pytest.mark.parametrize("mode", MODES)
async def test_board_and_oled_pictures_decode(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        board = await read_png(client, "jumperless://board/picture.png")
        oled = await read_png(client, "jumperless://board/oled.png")
    assert board.format == "PNG" and board.width > 300
    assert oled.format == "PNG" and oled.width >= 128


async def test_a_slot_file_reads_as_text(jos_board: VirtualBoard) -> None:
    async with served(jos_board, "legacy") as client:
        await client.call_tool("connect", {"node1": 20, "node2": 21})
        await client.call_tool("slot_save", {})
        result = await client.read_resource("jumperless://board/slots/0")
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents) and "20" in content.text and "21" in content.text


@pytest.mark.parametrize(
    "uri",
    [
        "jumperless://nowhere/state",
        "jumperless://board/nothing",
        "jumperless://board/slots/9",
        "jumperless://reference/rumours",
        "jumperless://captures/..%2Fetc.csv",
        "jumperless://captures/../../x.csv",
        "file:///etc/passwd",
    ],
)
async def test_an_unknown_resource_is_an_error_naming_what_exists(jos_board: VirtualBoard, uri: str) -> None:
    async with served(jos_board, "legacy") as client:
        with pytest.raises(MCPError) as failure:
            await client.read_resource(uri)
    assert failure.value.error.code == resources.RESOURCE_NOT_FOUND
    assert uri in failure.value.error.message


@pytest.mark.parametrize("mode", MODES)
async def test_a_capture_result_links_its_csv_and_plot_which_read(jos_board: VirtualBoard, mode: str) -> None:
    async with served(jos_board, mode) as client:
        await client.call_tool("dac_set", {"channel": "DAC0", "voltage": 1.2})
        await client.call_tool("connect", {"node1": "DAC0", "node2": "ADC3"})
        result = await client.call_tool("capture", {"channels": [3], "rate": 1000, "samples": 50})
        links = [block for block in result.content if isinstance(block, types.ResourceLink)]
        assert [link.mime_type for link in links] == ["text/csv", "image/png"]
        csv_text = (await client.read_resource(links[0].uri)).contents[0]
        plot = await read_png(client, links[1].uri)
        listing = await read_json(client, "jumperless://captures")
        picture = await client.call_tool("board_picture", {})
    assert isinstance(csv_text, types.TextResourceContents) and "time_s,ADC3_V" in csv_text.text
    assert plot.width > 300
    assert listing["captures"][0]["name"] == result.structured_content["name"]  # type: ignore[index]
    assert [b.uri for b in picture.content if isinstance(b, types.ResourceLink)] == ["jumperless://board/picture.png"]


async def test_the_audit_resource_shows_recent_calls_newest_first(jos_board: VirtualBoard) -> None:
    async with served(jos_board, "legacy") as client:
        await client.call_tool("dac_get", {"channel": "DAC0"})
        await client.call_tool("get_power", {})
        recent = await read_json(client, "jumperless://audit/recent")
    assert [entry["tool"] for entry in recent["entries"][:2]] == ["get_power", "dac_get"]


async def test_a_handshake_client_subscribed_to_state_hears_after_connect(jos_board: VirtualBoard) -> None:
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            heard.append(str(message.params.uri))

    async with served(jos_board, "legacy", message_handler=on_message) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # resources/subscribe is the handshake era's way, deprecated after it
            await client.subscribe_resource(STATE)
        await client.call_tool("get_bridges", {})  # reads: no notice
        await anyio.sleep(0.05)
        assert heard == []
        await client.call_tool("connect", {"node1": 11, "node2": 12})
        with anyio.fail_after(5):
            while not heard:
                await anyio.sleep(0.01)
        assert heard == [STATE]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await client.unsubscribe_resource(STATE)
        await client.call_tool("disconnect", {"node1": 11, "node2": 12})
        await anyio.sleep(0.05)
    assert heard == [STATE]


@pytest.mark.parametrize("discovery", [False, True])
async def test_a_2026_client_listening_to_state_hears_after_connect(jos_board: VirtualBoard, discovery: bool) -> None:
    environ = {FORCE_ENV: "1"} if discovery else {}
    async with served(jos_board, MODERN, environ=environ) as client:
        assert client.protocol_version == MODERN
        async with client.listen(resource_subscriptions=[STATE]) as events:
            if discovery:
                names = [tool.name for tool in (await client.list_tools()).tools]
                assert "tools_call" in names, names
                call = {"name": "connect", "arguments": {"node1": 11, "node2": 12}}
                assert not (await client.call_tool("tools_call", call)).is_error
            else:
                assert not (await client.call_tool("connect", {"node1": 11, "node2": 12})).is_error
            with anyio.fail_after(5):
                event = await events.__anext__()
    assert getattr(event, "uri", None) == STATE


async def test_federated_boards_are_named_in_uris_and_notices() -> None:
    emulator = Config(port="emulator", timeout=1.0).validated()
    federation = Federation([LocalMember("bench-a", emulator), LocalMember("bench-b", emulator)])
    await federation.start()
    try:
        async with Client(federation_server(federation, environ={})) as client:
            listed = {r.uri for r in (await client.list_resources()).resources}
            assert {"jumperless://bench-a/state", "jumperless://bench-b/state"} <= listed
            async with client.listen(resource_subscriptions=["jumperless://bench-b/state"]) as events:
                await client.call_tool("bench_a_connect", {"node1": 5, "node2": 6})
                await client.call_tool("bench_b_connect", {"node1": 7, "node2": 8})
                with anyio.fail_after(5):
                    event = await events.__anext__()
            assert getattr(event, "uri", None) == "jumperless://bench-b/state"
            a = await read_json(client, "jumperless://bench-a/state")
            b = await read_json(client, "jumperless://bench-b/state")
    finally:
        await federation.aclose()
    assert ["5", "6"] in a["bridges"] and ["7", "8"] not in a["bridges"]
    assert ["7", "8"] in b["bridges"] and b["board"] == "bench-b"


def test_capture_plot_refuses_a_file_that_is_not_a_waveform() -> None:
    with pytest.raises(ValueError, match="time_s"):
        resources.capture_plot("# capture: logic\nline,t\n1,2\n")
    png = resources.capture_plot("# capture: x\ntime_s,ADC0_V,INA0_mA\n0,1.0,2\n0.001,1.5,3\n0.002,1.0,\n")
    assert Image.open(io.BytesIO(png)).format == "PNG"


async def test_a_logic_capture_links_its_samples_file_which_reads(legacy_board: VirtualBoard) -> None:
    async with served(legacy_board, "legacy") as client:
        result = await client.call_tool("la_capture", {"channels": [1], "sample_rate_hz": 10_000, "samples": 100})
        assert not result.is_error, result.content
        links = [block for block in result.content if isinstance(block, types.ResourceLink)]
        assert [link.mime_type for link in links] == ["text/csv"]
        assert links[0].name == result.structured_content["file"].rsplit("/", 1)[-1]  # type: ignore[index]
        samples = (await client.read_resource(links[0].uri)).contents[0]
    assert isinstance(samples, types.TextResourceContents) and "GPIO_1" in samples.text
