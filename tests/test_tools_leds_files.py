"""LED and filesystem tools, in process on virtual boards: effects read back from the board model and its files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import result_schemas
from conftest import LEGACY_TIME_SCALE
from mcp_harness import Harness, board_calls, serve

from jumperless_mcp.emulator import VirtualBoard

LED_TOOLS = {
    "net_set_color",
    "net_set_name",
    "overlay_set",
    "overlay_clear",
    "overlay_set_pixel",
    "overlay_move",
    "overlay_list",
}
WEIRD_TEXT = "q'\"\\ \n\r\t\x03\x04\x11 '''\"\"\" \\x03 print('pwned') ;)\x1b[0m é"
WEIRD_PATH = '/we\'ird "name"\n\x03\x04\x11.txt'


# Tools with a parameter called `name` cannot go through Harness.ok(tool, **arguments): call the client directly.
async def ok(h: Harness, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await h.client.call_tool(tool, arguments or {})
    assert not result.is_error, f"{tool}({arguments}) failed: {result.content[0].text}"
    assert result.structured_content is not None
    return result.structured_content


async def error(h: Harness, tool: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error's details from `_meta` (error, kind, retryable, ...), its form checked."""
    return result_schemas.error_details(await h.client.call_tool(tool, arguments or {}))


@pytest.fixture(params=["jumperlos", "legacy"])
async def any_mcp(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """Each test using this runs on both personas."""
    scale = LEGACY_TIME_SCALE if request.param == "legacy" else 1.0
    with VirtualBoard(request.param, fs_dir=tmp_path / "fs", time_scale=scale) as board:
        async with serve(board) as harness:
            yield harness


async def _user_net(h: Harness, a: int = 20, b: int = 21) -> int:
    await h.ok("connect", node1=a, node2=b)
    nets = (await h.ok("get_netlist"))["nets"]
    return next(net["number"] for net in nets if str(a) in net["nodes"])


def _board_files(h: Harness) -> set[str]:
    return {p.name for p in h.vboard.model.fs_root.iterdir()}


# --- LEDs ----------------------------------------------------------------------------------------


async def test_net_set_color_reads_back_hex_and_name(jos_mcp: Harness) -> None:
    h = jos_mcp
    net = await _user_net(h)
    result = await ok(h, "net_set_color", {"net": net, "color": "#12ab34"})
    assert result["color"] == "#12AB34" and result["color_value"] == 0x12AB34
    assert h.vboard.model.net_color(net)[0] == 0x12AB34
    listed = next(n for n in (await h.ok("get_netlist"))["nets"] if n["number"] == net)
    assert listed["color"] == "#12ab34"

    result = await ok(h, "net_set_color", {"net": net, "color": "blue"})
    assert (result["color"], result["color_name"]) == ("#0000FF", "blue")
    assert h.vboard.model.net_color(net) == (0x0000FF, "blue")


async def test_net_set_color_bad_input(jos_mcp: Harness) -> None:
    h = jos_mcp
    net = await _user_net(h)
    bad = await error(h, "net_set_color", {"net": net, "color": "#12G456"})
    assert bad["kind"] == "invalid_argument" and bad["parameter"] == "color" and bad["sent_to_board"] is False
    bad = await error(h, "net_set_color", {"net": 128, "color": "red"})
    assert bad["kind"] == "invalid_argument" and bad["parameter"] == "net"
    bad = await error(h, "net_set_color", {"net": net, "color": "red'); nodes_clear(); ('"})
    assert bad["kind"] == "invalid_argument" and bad["parameter"] == "color"
    assert h.vboard.model.net_colors == {}
    assert len(h.vboard.model.netlist.bridges) == 1


async def test_a_colour_the_firmware_cannot_parse_is_refused(jos_mcp: Harness) -> None:
    """S2: JOS mjc jl_set_net_color_func returns jl_set_net_color()'s 0 as False for an unparseable name."""
    h = jos_mcp
    net = await _user_net(h)
    refused = await error(h, "net_set_color", {"net": net, "color": "blurple"})
    assert refused["kind"] == "refused" and "blurple" in refused["error"]
    assert refused["net"] == net and refused["requested"] == "blurple"  # the colour read back comes too
    assert h.vboard.model.net_colors == {}
    description = {t.name: t for t in (await h.client.list_tools()).tools}["net_set_color"].description
    assert "'refused'" in description and "error from the board" not in description


async def test_net_set_name_round_trips_quotes(jos_mcp: Harness) -> None:
    h = jos_mcp
    net = await _user_net(h)
    name = 'it\'s "x" é'
    result = await ok(h, "net_set_name", {"net": net, "name": name})
    assert result == {"net": net, "name": name}
    assert h.vboard.model.net_names[net] == name
    assert any(n["name"] == name for n in (await h.ok("get_netlist"))["nets"])


async def test_net_set_name_refuses_what_would_corrupt_the_state_json(jos_mcp: Harness) -> None:
    """The firmware writes names unescaped into get_state: control characters or a backslash would break it."""
    h = jos_mcp
    net = await _user_net(h)
    for name in ("", "line\nbreak", "a\x03b", "back\\slash", "x" * 33):
        bad = await error(h, "net_set_name", {"net": net, "name": name})
        assert bad["kind"] == "invalid_argument" and bad["parameter"] == "name", name
    assert h.vboard.model.net_names == {}
    assert await h.ok("get_netlist")  # the state JSON still parses


async def test_overlay_set_sends_height_before_width(jos_mcp: Harness) -> None:
    h = jos_mcp
    colors = [0x010203, "#FFFFFF", 3, 4, "#00ff00", 6]
    with board_calls(h) as sent:
        result = await ok(h, "overlay_set", {"name": "box", "x": 3, "y": 2, "width": 2, "height": 3, "colors": colors})
    # H3: the colours travel as a list literal (the firmware's mp_obj_get_array refuses a str)
    assert any("overlay_set('box', 3, 2, 3, 2, [66051, 16777215, 3, 4, 65280, 6])" in line for line in sent[0]), sent
    assert result["index"] == 0 and result["overlays"] == 1
    (overlay,) = h.vboard.model.overlays
    assert (overlay.name, overlay.col, overlay.row, overlay.width, overlay.height) == ("box", 3, 2, 2, 3)
    assert overlay.colors == [0x010203, 0xFFFFFF, 3, 4, 0x00FF00, 6]
    # the same name replaces the overlay
    again = await ok(h, "overlay_set", {"name": "box", "x": 1, "y": 1, "width": 1, "height": 1, "colors": [7]})
    assert again["index"] == 0 and again["overlays"] == 1
    assert h.vboard.model.overlays[0].colors == [7]


async def test_overlay_colors_checked_before_sending(jos_mcp: Harness) -> None:
    h = jos_mcp
    base = {"name": "box", "x": 1, "y": 1, "width": 2, "height": 3}
    short = await error(h, "overlay_set", base | {"colors": [1, 2, 3]})
    assert short["kind"] == "invalid_argument" and short["parameter"] == "colors"
    assert "6" in short["error"] and short["sent_to_board"] is False
    for bad_color in ("#GG0000", 0x1000000, "red", -1):
        bad = await error(h, "overlay_set", base | {"colors": [1, 2, 3, 4, 5, bad_color]})
        assert bad["kind"] == "invalid_argument" and bad["parameter"] == "colors", bad_color
    out_of_grid = await error(h, "overlay_set", base | {"x": 31, "colors": [0] * 6})
    assert out_of_grid["parameter"] == "x"
    assert h.vboard.model.overlays == []


async def test_overlay_pixel_move_list_and_clear(jos_mcp: Harness) -> None:
    h = jos_mcp
    await ok(h, "overlay_set", {"name": "box", "x": 3, "y": 2, "width": 1, "height": 1, "colors": ["#123456"]})
    pixel = await ok(h, "overlay_set_pixel", {"x": 5, "y": 4, "color": "#ff0000"})
    assert pixel["color"] == "#FF0000" and pixel["overlays"] == 2
    direct = next(o for o in h.vboard.model.overlays if o.name != "box")
    assert direct.colors[(4 - 1) * 30 + (5 - 1)] == 0xFF0000

    moved = await ok(h, "overlay_move", {"name": "box", "x": 10, "y": 5})
    assert moved["moved"] is True
    box = next(o for o in h.vboard.model.overlays if o.name == "box")
    assert (box.col, box.row) == (10, 5)
    missing = await error(h, "overlay_move", {"name": "nope", "x": 1, "y": 1})
    assert missing["kind"] == "not_found"

    listed = await ok(h, "overlay_list")
    assert listed["count"] == 2 and '"box"' in listed["serialized"]

    cleared = await ok(h, "overlay_clear", {"name": "box"})
    assert cleared == {"name": "box", "removed": 1, "remaining": 1}
    assert [o.name for o in h.vboard.model.overlays] == [direct.name]
    none = await ok(h, "overlay_clear", {"name": "box"})
    assert none["removed"] == 0
    everything = await ok(h, "overlay_clear")
    assert everything == {"name": None, "removed": 1, "remaining": 0}
    assert h.vboard.model.overlays == []


async def test_led_tools_are_jumperlos_only(legacy_mcp: Harness) -> None:
    h = legacy_mcp
    assert not LED_TOOLS & await h.tool_names()
    refused = await error(h, "net_set_color", {"net": 6, "color": "red"})
    assert refused["kind"] == "unavailable" and "JumperlOS" in refused["error"]
    refused = await error(h, "overlay_set", {"name": "a", "x": 1, "y": 1, "width": 1, "height": 1, "colors": [1]})
    assert refused["kind"] == "unavailable"


async def test_led_tool_annotations(jos_mcp: Harness) -> None:
    tools = {t.name: t for t in (await jos_mcp.client.list_tools()).tools}
    assert set(tools) >= LED_TOOLS
    assert tools["overlay_list"].annotations.read_only_hint is True
    assert tools["overlay_clear"].annotations.destructive_hint is True
    assert tools["net_set_color"].annotations.read_only_hint is False
    assert "height" in tools["overlay_set"].input_schema["properties"]
    assert tools["overlay_set"].input_schema["properties"]["colors"]["maxItems"] == 300


# --- files ---------------------------------------------------------------------------------------


async def test_fs_write_read_and_list(any_mcp: Harness) -> None:
    h = any_mcp
    text = "line one\nline two\n"
    written = await h.ok("fs_write", path="/mcp_note.txt", text=text)
    assert written == {"path": "/mcp_note.txt", "bytes": len(text), "read_back_bytes": len(text), "verified": True}
    assert (h.vboard.model.fs_root / "mcp_note.txt").read_text() == text

    read = await h.ok("fs_read", path="/mcp_note.txt")
    assert read == {"path": "/mcp_note.txt", "text": text, "bytes": len(text), "truncated": False}

    folder = h.vboard.model.fs_root / "python_scripts"
    folder.mkdir()
    (folder / "blink.py").write_text("print('blink')\n")
    root = await h.ok("fs_list")
    assert {"name": "mcp_note.txt", "is_dir": False} in root["entries"]
    assert {"name": "python_scripts", "is_dir": True} in root["entries"]
    assert root["count"] == len(root["entries"])
    inner = await h.ok("fs_list", path="/python_scripts")
    assert inner["entries"] == [{"name": "blink.py", "is_dir": False}]

    overwritten = await h.ok("fs_write", path="/mcp_note.txt", text="short")
    assert overwritten["bytes"] == 5
    assert (h.vboard.model.fs_root / "mcp_note.txt").read_text() == "short"


async def test_fs_text_and_path_round_trip_verbatim(any_mcp: Harness) -> None:
    """Quotes, newlines, Ctrl-C/Ctrl-D/Ctrl-Q in text and path reach the file as data and nothing else happens."""
    h = any_mcp
    files_before = _board_files(h)
    bridges_before = await h.ok("get_bridges")
    written = await h.ok("fs_write", path=WEIRD_PATH, text=WEIRD_TEXT)
    assert written["verified"] is True and written["bytes"] == len(WEIRD_TEXT.encode())

    host_file = h.vboard.model.fs_root / WEIRD_PATH.lstrip("/")
    assert host_file.read_bytes().decode("utf-8") == WEIRD_TEXT
    assert _board_files(h) - files_before == {WEIRD_PATH.lstrip("/")}
    read = await h.ok("fs_read", path=WEIRD_PATH)
    assert read["text"] == WEIRD_TEXT

    assert await h.ok("get_bridges") == bridges_before
    info = await h.ok("board_info")
    assert info["health"] == "healthy" and info["reconnects"] == 0 and info["last_error"] is None
    assert h.vboard.model.core2_paused is False and h.vboard.model.arduino_resets == 0


async def test_fs_read_reports_truncation_at_4095_bytes(any_mcp: Harness) -> None:
    h = any_mcp
    (h.vboard.model.fs_root / "big.txt").write_text("x" * 5000)
    read = await h.ok("fs_read", path="/big.txt")
    assert read["bytes"] == 4095 and read["truncated"] is True and read["text"] == "x" * 4095
    (h.vboard.model.fs_root / "edge.txt").write_text("y" * 4094)
    assert (await h.ok("fs_read", path="/edge.txt"))["truncated"] is False


async def test_fs_write_long_text_verifies_the_first_4095_bytes(jos_mcp: Harness) -> None:
    h = jos_mcp
    text = "".join(chr(ord("a") + i % 26) for i in range(6000))
    written = await h.ok("fs_write", path="/long.txt", text=text)
    assert written["bytes"] == 6000 and written["read_back_bytes"] == 4095 and written["verified"] is True
    assert (h.vboard.model.fs_root / "long.txt").read_text() == text


async def test_fs_write_too_long_for_the_legacy_channel(legacy_mcp: Harness) -> None:
    h = legacy_mcp
    before = _board_files(h)
    refused = await h.error("fs_write", path="/long.txt", text="x" * 3000)
    assert refused["kind"] == "invalid_argument" and refused["parameter"] == "text"
    assert _board_files(h) == before
    fits = await h.ok("fs_write", path="/long.txt", text="x" * 1500)
    assert fits["verified"] is True


async def test_fs_bad_paths_and_text_fail_before_sending(any_mcp: Harness) -> None:
    h = any_mcp
    before = _board_files(h)
    for path in ("/a\x00b.txt", "", "   ", "/" + "x" * 300):
        bad = await h.error("fs_write", path=path, text="x")
        assert bad["kind"] == "invalid_argument" and bad["parameter"] == "path", path
    bad = await h.error("fs_write", path="/ok.txt", text="a\x00b")
    assert bad["kind"] == "invalid_argument" and bad["parameter"] == "text"
    bad = await h.error("fs_read", path="/a\x00b")
    assert bad["parameter"] == "path"
    bad = await h.error("fs_list", path="")
    assert bad["parameter"] == "path"
    assert _board_files(h) == before


async def test_fs_missing_file_and_folder(any_mcp: Harness) -> None:
    h = any_mcp
    missing = await h.error("fs_read", path="/no_such_file.txt")
    assert missing["kind"] == "not_found" and missing["path"] == "/no_such_file.txt"
    missing = await h.error("fs_list", path="/no_such_folder")
    assert missing["kind"] == "not_found"


async def test_fs_list_sends_the_root_path_the_firmware_requires(any_mcp: Harness) -> None:
    """H2: fs_listdir is FUN_OBJ_1 in both families: the default '/' is sent, never `fs_listdir()`."""
    with board_calls(any_mcp) as sent:
        await any_mcp.ok("fs_list")
    statements = [line for batch in sent for line in batch]
    assert any("fs_listdir('/')" in line for line in statements), statements
    assert not any("fs_listdir()" in line for line in statements), statements


async def test_fs_list_of_a_missing_folder_is_not_found_when_the_firmware_raises(tmp_path: Path) -> None:
    """H7: upstream JumperlOS's fs_listdir raises OSError(ENOENT) for a missing folder (5.7.0.13 returns [])."""
    with VirtualBoard("jumperlos-upstream", fs_dir=tmp_path / "fs") as vboard:
        async with serve(vboard, allow_python=True) as h:
            with board_calls(h) as sent:
                missing = await h.error("fs_list", path="/no_such_folder")
            assert missing["kind"] == "not_found" and missing["path"] == "/no_such_folder"
            assert "fs_listdir('/no_such_folder')" in sent[0][-1]  # the firmware really was asked, and raised
            (vboard.model.fs_root / "here").mkdir()
            (vboard.model.fs_root / "here" / "a,b.txt").write_text("x")
            listed = await h.ok("fs_list", path="/here")
            assert listed["entries"] == [{"name": "a,b.txt", "is_dir": False}]  # '\n'-separated upstream
            # any other OSError is the board's own error, not hidden as not_found
            await h.board.run_python("def fs_listdir(path):\n    raise OSError(5, 'EIO')")
            other = await h.error("fs_list", path="/here")
            assert other["kind"] == "firmware_error" and other["exception"] == "OSError"


async def test_fs_tool_annotations(jos_mcp: Harness) -> None:
    tools = {t.name: t for t in (await jos_mcp.client.list_tools()).tools}
    assert tools["fs_write"].annotations.destructive_hint is True
    assert tools["fs_write"].annotations.read_only_hint is False
    assert tools["fs_read"].annotations.read_only_hint is True
    assert "4095" in tools["fs_read"].description
    assert tools["fs_list"].input_schema["properties"]["path"]["default"] == "/"
