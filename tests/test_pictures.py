"""Pictures of the board and of its OLED, through the real serial path on the virtual board: the pixels where the
bridges, overlays, parts and printed text are, not only that a PNG comes back."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import LEGACY_TIME_SCALE
from mcp import types
from mcp_harness import Harness, serve
from PIL import Image

from firmware_api import nodes
from firmware_api.errors import UnsupportedByFirmware
from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.pictures import AUX_NO_PARTS
from jumperless_mcp.emulator import VirtualBoard, load_parts
from jumperless_mcp.pictures import board as art
from jumperless_mcp.pictures import oled as oled_art
from jumperless_mcp.tooling.deferred import CAPABILITY

BRIDGES = [(1, 10), (5, 40), (20, "TOP_RAIL")]
MAX_PNG = 100_000


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def along(image: Image.Image, a: int, b: int) -> list[tuple[int, int, int]]:
    """The picture's colours at a quarter, half and three quarters of the way along the bridge a-b."""
    points = [art.bridge_point(a, b, t) for t in (0.25, 0.5, 0.75)]
    assert None not in points
    return [image.getpixel(point) for point in points]  # type: ignore[arg-type]


async def wire(board: Board) -> None:
    for a, b in BRIDGES:
        assert (await board.connect(a, b)).ok


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_board_picture_shows_the_bridges(persona: str, tmp_path: Path) -> None:
    scale = LEGACY_TIME_SCALE if persona == "legacy" else 1.0
    with VirtualBoard(persona, fs_dir=tmp_path / "fs", time_scale=scale) as vboard:
        async with Board(vboard.info()) as board:
            empty = decode(await board.board_picture())
            await wire(board)
            state = await board.board_state()
            png = await board.board_picture()
            image = decode(png)
            assert image.size == (art.WIDTH, art.HEIGHT) and len(png) < MAX_PNG
            ids = [(a, nodes.resolve_node(b)) for a, b in BRIDGES]
            assert sorted(state.bridges) == sorted((min(a, b), max(a, b)) for a, b in ids)
            for a, b in ids:
                color = art.bridge_color(state, a, b)
                assert color not in (art.BOARD, art.BACKGROUND, art.INK)
                assert along(image, a, b) == [color] * 3, f"bridge {a}-{b}"
                assert color not in along(empty, a, b)  # not there before the connects
                assert image.getpixel(art.holes(a)[0]) == color  # the row's holes take its net's colour
            assert set(along(image, 25, 55)) <= {art.BOARD, art.EMPTY_HOLE}  # no bridge there
            if persona == "jumperlos":  # the colours are the firmware's own
                number = next(net.number for net in state.nets if 1 in net.nodes)
                assert along(image, 1, 10)[1] == art.rgb(await board.get_net_color(number))
            else:
                assert any("colours are the picture's own" in note for note in state.notes)
            await board.disconnect(1, 10)
            after = decode(await board.board_picture())
            assert art.bridge_color(state, 1, 10) not in along(after, 1, 10)


async def test_board_picture_overlays_voltages_and_parts(tmp_path: Path) -> None:
    parts = tmp_path / "parts.toml"
    parts.write_text('[[resistor]]\nname = "R1"\nbetween = [12, 18]\nohms = "10k"\n')
    options = {"parts": load_parts(parts), "fs_dir": tmp_path / "fs"}
    async with Board("emulator", emulator_options=options) as board:
        await board.overlay_set("dot", 25, 2, 1, 1, [0x00FF00])
        await board.dac_set(0, 1.5)
        state = await board.board_state()
        image = decode(art.render(state))
    assert [o.name for o in state.overlays] == ["dot"]
    assert image.getpixel((art.column_x(25), art.TOP_HOLES[1])) == (0, 255, 0)  # overlay col 25, LED row 2
    assert image.getpixel((art.column_x(24), art.TOP_HOLES[1])) == art.EMPTY_HOLE
    assert state.power["DAC0"] == pytest.approx(1.5) and "DAC0 1.50 V" in art.summary(state)
    assert [(p.name, p.kind, p.a, p.b, p.value) for p in state.parts] == [("R1", "resistor", 12, 18, "10k\u03a9")]
    middle = ((art.column_x(12) + art.column_x(18)) // 2, art.TOP_HOLES[0])  # the body sits on the outer holes
    assert image.getpixel(middle) == art.PART_BODY
    assert "1 part" in art.summary(state)


# --- the OLED ----------------------------------------------------------------------------------------------------


def lit(frame: Any) -> set[tuple[int, int]]:
    pixels = oled_art.decode(frame.data, frame.width, frame.height)
    return {(x, y) for y, row in enumerate(pixels) for x, on in enumerate(row) if on}


async def test_oled_picture_shows_printed_text(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await board.oled_clear()
        assert lit(await board.oled_frame()) == set()
        await board.oled_print("HI")  # the default size 2: 12x16 pixels a character, centred
        frame = await board.oled_frame()
        png = await board.oled_picture()
    on = lit(frame)
    assert len(on) > 40
    box_left, box_top = (128 - 2 * 12) // 2, (32 - 16) // 2
    assert all(box_left <= x < box_left + 24 and box_top <= y < box_top + 16 for x, y in on)
    assert any(x < box_left + 12 for x, _ in on) and any(x >= box_left + 12 for x, _ in on)  # H, then I
    image = decode(png)
    assert image.size == oled_art.size_of(128, 32) and len(png) < MAX_PNG
    x, y = min(on)
    assert image.getpixel(oled_art.pixel_box(x, y)[:2]) == oled_art.LIT
    assert image.getpixel(oled_art.pixel_box(5, 5)[:2]) == oled_art.DARK
    lit_in_png = sum(
        image.getpixel(oled_art.pixel_box(px, py)[:2]) == oled_art.LIT for px in range(128) for py in range(32)
    )
    assert lit_in_png == len(on)


async def test_oled_text_sizes_and_scrolling(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await board.oled_print("HI", 1)
        small = lit(await board.oled_frame())
        await board.oled_print("HI", 3)
        large = lit(await board.oled_frame())
        await board.oled_clear()
        for line in ("one", "two", "three", "four", "five"):
            await board.oled_print(line, 0)
        scrolled = await board.oled_frame()
    assert 0 < len(small) < len(large)
    assert max(y for _, y in large) - min(y for _, y in large) > 12  # 24-pixel cells
    assert all(y < 32 for _, y in lit(scrolled)) and jos_board.model.oled.text.endswith("five")
    assert {y // 8 for _, y in lit(scrolled)} == {0, 1, 2, 3}  # the last four lines fill the display


async def test_oled_picture_needs_jumperlos(legacy_board: VirtualBoard) -> None:
    async with Board(legacy_board.info()) as board:
        with pytest.raises(UnsupportedByFirmware, match=r"5\.3\.x has no oled_get_framebuffer"):
            await board.oled_picture()


# --- the MCP tools -----------------------------------------------------------------------------------------------


def image_of(result: types.CallToolResult) -> Image.Image:
    images = [c for c in result.content if isinstance(c, types.ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    png = base64.b64decode(images[0].data)
    assert result.structured_content is not None and result.structured_content["png_bytes"] == len(png)
    assert len(png) < MAX_PNG
    return decode(png)


async def test_board_picture_tool(h: Harness) -> None:
    for a, b in BRIDGES:
        await h.ok("connect", node1=a, node2=b)
    result = await h.result("board_picture")
    assert not result.is_error
    image = image_of(result)
    out = result.structured_content
    assert image.size == (out["image_width"], out["image_height"]) == (art.WIDTH, art.HEIGHT)
    assert ["1", "10"] in out["bridges"] and len(out["bridges"]) == 3
    text = result.content[0].text
    assert "\n" not in text and "3 bridges" in text
    state = await h.board.board_state()
    assert along(image, 1, 10) == [art.bridge_color(state, 1, 10)] * 3


async def test_oled_picture_tool(jos_mcp: Harness) -> None:
    await jos_mcp.ok("oled_print", text="HI")
    result = await jos_mcp.result("oled_picture", scale=4)
    image = image_of(result)
    out = result.structured_content
    assert image.size == (out["image_width"], out["image_height"]) == oled_art.size_of(128, 32, 4)
    assert out["lit_pixels"] > 40 and not out["blank"]
    assert "pixels lit" in result.content[0].text
    jos_mcp.vboard.model.oled.connected = False
    assert (await jos_mcp.error("oled_picture"))["kind"] == "oled_disconnected"
    jos_mcp.vboard.model.oled.connected = True
    assert (await jos_mcp.error("oled_picture", scale=12))["parameter"] == "scale"


async def test_oled_picture_tool_is_jumperlos_only(legacy_mcp: Harness) -> None:
    assert "oled_picture" not in await legacy_mcp.tool_names()
    assert "board_picture" in await legacy_mcp.tool_names()
    error = await legacy_mcp.error("oled_picture")
    assert error["kind"] == "unavailable" and "JumperlOS" in error["error"]


async def test_pictures_through_tools_call(jos_board: VirtualBoard) -> None:
    async with serve(jos_board, experimental={CAPABILITY: {}}) as discovery:
        await discovery.ok("tools_call", name="connect", arguments={"node1": 3, "node2": 7})
        await discovery.ok("tools_call", name="oled_print", arguments={"text": "HI"})
        board = await discovery.result("tools_call", name="board_picture", arguments={})
        assert not board.is_error and ["3", "7"] in board.structured_content["bridges"]
        image = image_of(board)
        state = await discovery.board.board_state()
        assert along(image, 3, 7) == [art.bridge_color(state, 3, 7)] * 3
        oled = await discovery.result("tools_call", name="oled_picture", arguments={})
        assert image_of(oled).size == oled_art.size_of(128, 32)


async def test_shown_screen_text_is_drawn(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        screen = await board.oled_screen()
        element = await board.oled_add_text(screen, "OK", 100, 4)
        assert lit(await board.oled_frame()) == set()  # not shown yet
        assert await board.oled_screen_show(screen)
        shown = lit(await board.oled_frame())
        assert shown and all(100 <= x < 112 and 4 <= y < 12 for x, y in shown)  # size 8: one 6x8 cell a letter
        assert await board.oled_set(element, "x", 0)
        moved = lit(await board.oled_frame())
        assert {(x + 100, y) for x, y in moved} == shown
        await board.oled_screen_hide()
        assert lit(await board.oled_frame()) == set()


async def test_board_picture_draws_the_firmwares_placed_parts(tmp_path: Path) -> None:
    with VirtualBoard("jumperlos-upstream", fs_dir=tmp_path / "fs") as vboard:
        async with Board(vboard.info(), allow_python=True) as board:
            assert await board.place_part("U1", 10, {"1": {"pin": 1}, "2": {"pin": 3}}, "sip3", "resistor", "1k") == 0
            state = await board.board_state()
            image = decode(await board.board_picture())
            by_repl = await board.board_state("repl")
            busy: dict[str, object] = {}

            async def run_script() -> None:
                busy["printed"] = await board.run_python("import time\ntime.sleep_ms(500)\nprint('done')", timeout=10)

            async with anyio.create_task_group() as group:
                group.start_soon(run_script)
                await anyio.sleep(0.1)
                busy["state"] = await board.board_state()
    assert state.source == "aux" and by_repl.source == "repl"  # the aux picture reads list_parts when the REPL is free
    assert [(p.name, p.a, p.b, p.value) for p in state.parts] == [("U1", 10, 12, "1k")] and state.parts == by_repl.parts
    assert image.getpixel((art.column_x(11), art.TOP_HOLES[0])) == art.PART_BODY
    while_busy = busy["state"]
    assert while_busy.parts == () and AUX_NO_PARTS in while_busy.notes and busy["printed"] == "done\n"  # type: ignore[attr-defined]
