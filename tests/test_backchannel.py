"""The read-only fourth port ("aux", Ser3Backchannel.cpp): the virtual board's replies byte for byte through the
real pty, and the host client (link/backchannel.py) parsing them without touching the REPL port."""

from __future__ import annotations

import base64
import time
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
import serial
from mcp_harness import Harness
from serial_clients import RawRepl

from firmware_api.errors import UnsupportedByFirmware
from firmware_api.nodes import GND
from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.pictures import AUX_COLOURS, AUX_NETS, OledDisconnected
from jumperless_mcp.emulator.virtual_board import VirtualBoard
from jumperless_mcp.errors import ArgumentError, BoardBusy
from jumperless_mcp.link.backchannel import (
    Backchannel,
    BackchannelError,
    parse_leds,
    parse_oled_b64,
    parse_power,
    row_colors,
)
from jumperless_mcp.link.targets import ports_from_mapping
from jumperless_mcp.pictures import board as board_art
from jumperless_mcp.pictures import oled as oled_art


def ask(path: str, line: bytes, end: bytes) -> bytes:
    """Write one line with pyserial, read until `end` has arrived after the echo (3 s at most)."""
    with serial.Serial(path, 115200, timeout=0.05) as port:
        port.write(line)
        data, deadline = b"", time.monotonic() + 3
        while time.monotonic() < deadline:
            data += port.read(8192)
            echo_end = data.find(b"\r\n")
            if echo_end >= 0 and data.endswith(end) and len(data) > echo_end + 2:
                return data
        return data


def test_the_personas_whose_tree_has_the_backchannel_have_the_aux_port(
    jos_board: VirtualBoard, legacy_board: VirtualBoard, tmp_path: Path
) -> None:
    assert jos_board.info()["aux"] == jos_board.aux_path and jos_board.aux_path
    assert "aux" not in legacy_board.info() and legacy_board.aux_path is None
    assert ports_from_mapping(jos_board.info()).aux == jos_board.aux_path
    with VirtualBoard("jumperlos-5.7.5", fs_dir=tmp_path / "a") as stable:
        assert stable.aux_path is None
    with VirtualBoard("jumperlos-upstream", fs_dir=tmp_path / "b") as upstream:
        assert ask(upstream.aux_path, b":ver\n", b"11\r\n").endswith(b"version: 5.7.11\r\n")  # type: ignore[arg-type]


async def test_upstream_json_leaves_out_the_one_node_supply_nets(jos_board: VirtualBoard, tmp_path: Path) -> None:
    with VirtualBoard("jumperlos-upstream", fs_dir=tmp_path / "fs") as upstream:
        async with Backchannel(upstream.aux_path) as aux:  # type: ignore[arg-type]
            assert (await aux.state())["nets"] == []
        with RawRepl(upstream.repl_path) as repl:  # type: ignore[arg-type]
            repl.exec("connect(TOP_RAIL, 5)")
        async with Backchannel(upstream.aux_path) as aux:  # type: ignore[arg-type]
            nets = (await aux.state())["nets"]
    assert [(net["index"], sorted(net["nodes"])) for net in nets] == [(2, ["5", "TOP_R"])]  # type: ignore[index]
    async with Backchannel(jos_board.aux_path) as aux:  # type: ignore[arg-type]
        fork_nets = (await aux.state())["nets"]
    assert [net["index"] for net in fork_nets][:5] == [1, 2, 3, 4, 5]  # type: ignore[index]  # the fork lists them


def test_ver_echoes_the_line_then_prints_the_version(jos_board: VirtualBoard) -> None:
    reply = ask(jos_board.aux_path, b":ver\n", b"13\r\n")  # type: ignore[arg-type]
    assert reply == b":ver\r\nJumperless firmware version: 5.7.0.13\r\n"


def test_leds_is_300_leds_rows_of_five_in_net_colour(jos_board: VirtualBoard) -> None:
    with RawRepl(jos_board.repl_path) as repl:  # type: ignore[arg-type]
        repl.exec("connect(10, 12)")
    with jos_board.model.lock:
        net = jos_board.model.netlist.net_of(10)
        assert net is not None
        colour = jos_board.model.net_color(net.number)[0]
    reply = ask(jos_board.aux_path, b":leds\r\n", b"}\r\n")  # type: ignore[arg-type]
    hexed = ["000000"] * 300
    for row in (10, 12):
        hexed[(row - 1) * 5 : row * 5] = [f"{colour:06x}"] * 5
    assert reply == b":leds\r\nleds{300:" + "".join(hexed).encode() + b"}\r\n"
    rgb = tuple(colour.to_bytes(3, "big"))
    assert row_colors(parse_leds(reply.decode())) == {10: rgb, 12: rgb}


def test_oled_b64_is_the_framebuffer(jos_board: VirtualBoard) -> None:
    with RawRepl(jos_board.repl_path) as repl:  # type: ignore[arg-type]
        repl.exec('oled_print("Hi")')
    with jos_board.model.lock:
        frame = bytes(jos_board.model.oled.pixels)
    assert any(frame)
    reply = ask(jos_board.aux_path, b":oled:b64\n", b"}\r\n")  # type: ignore[arg-type]
    assert reply == b":oled:b64\r\noled_b64{128x32:" + base64.b64encode(frame) + b"}\r\n"
    assert parse_oled_b64(reply.decode()) == (128, 32, frame)


def test_json_power_is_printed_raw_between_the_firmware_line_ends(jos_board: VirtualBoard) -> None:
    with RawRepl(jos_board.repl_path) as repl:  # type: ignore[arg-type]
        repl.exec("dac_set(TOP_RAIL, 3.3)")
    reply = ask(jos_board.aux_path, b":json:power\n", b"}\n\r")  # type: ignore[arg-type]
    assert reply.startswith(b":json:power\r\n\n\n\r{\n") and reply.endswith(b"\n}\n\r")
    assert b"\r\n" not in reply[len(b":json:power\r\n") :]
    assert parse_power(reply.decode()[len(":json:power\r\n") :])["top_rail"] == pytest.approx(3.3)


def test_unknown_verb_and_backspace(jos_board: VirtualBoard) -> None:
    reply = ask(jos_board.aux_path, b':Nope"x\n', b"}\r\n")  # type: ignore[arg-type]
    assert reply == b':Nope"x\r\n{"error":"unknown_verb","verb":"Nope\\"x"}\r\n'
    reply = ask(jos_board.aux_path, b":verx\x7f\n", b"\r\n")  # type: ignore[arg-type]
    assert reply.startswith(b":verx\b \b\r\nJumperless firmware version: ")


async def test_client_reads_every_verb_and_the_repl_port_sees_nothing(jos_board: VirtualBoard) -> None:
    with RawRepl(jos_board.repl_path) as repl:  # type: ignore[arg-type]
        repl.exec('connect(5, 6)\ndac_set(DAC0, 1.25)\noled_print("aux")')
    before = (jos_board.repl.input.received, jos_board.bytes_written("repl"), jos_board.bytes_written("main"))  # type: ignore[union-attr]
    async with Backchannel(jos_board.aux_path) as aux:  # type: ignore[arg-type]
        assert await aux.version() == "5.7.0.13"
        lit = row_colors(await aux.leds())
        assert set(lit) == {5, 6}
        assert (await aux.oled())[2] == bytes(jos_board.model.oled.pixels)
        assert (await aux.power())["dac0"] == pytest.approx(1.25)
        with pytest.raises(BackchannelError, match="unknown_verb"):
            await aux._ask("nosuchverb")
    after = (jos_board.repl.input.received, jos_board.bytes_written("repl"), jos_board.bytes_written("main"))  # type: ignore[union-attr]
    assert after == before


async def test_client_holds_the_port_lock(jos_board: VirtualBoard) -> None:
    async with Backchannel(jos_board.aux_path):  # type: ignore[arg-type]
        with pytest.raises(BoardBusy):
            async with Backchannel(jos_board.aux_path):  # type: ignore[arg-type]
                pass


def test_parsers_reject_malformed_frames() -> None:
    with pytest.raises(BackchannelError, match="announced 2"):
        parse_leds("leds{2:ff0000}")
    with pytest.raises(BackchannelError, match="does not fill"):
        parse_oled_b64("oled_b64{128x32:" + base64.b64encode(b"\0" * 10).decode() + "}")
    with pytest.raises(BackchannelError, match="lacks"):
        parse_power('{"power": {"top_rail": 1}}')


# --- used by the pictures: the OLED through the aux port ------------------------------------------------------


async def test_oled_frame_via_aux_equals_the_repl_frame_and_sends_nothing_on_the_repl(
    jos_board: VirtualBoard,
) -> None:
    async with Board(jos_board.info()) as board:
        await board.oled_print("aux!")
        by_repl = await board.oled_frame(via_aux=False)
        received, written = jos_board.repl.input.received, jos_board.bytes_written("repl")  # type: ignore[union-attr]
        by_aux = await board.oled_frame()
        assert (jos_board.repl.input.received, jos_board.bytes_written("repl")) == (received, written)  # type: ignore[union-attr]
        assert (by_repl.source, by_aux.source) == ("repl", "aux")
        assert (by_aux.width, by_aux.height, by_aux.data) == (by_repl.width, by_repl.height, by_repl.data)
        assert any(by_aux.data)
        assert await board.oled_picture() == oled_art.render(oled_art.decode(by_repl.data, 128, 32))


async def test_oled_frame_falls_back_to_the_repl_without_an_aux_port(jos_board: VirtualBoard) -> None:
    info = {key: value for key, value in jos_board.info().items() if key != "aux"}
    async with Board(info) as board:
        await board.oled_print("x")
        frame = await board.oled_frame()
    assert frame.source == "repl" and any(frame.data)


async def test_oled_frame_falls_back_when_the_aux_port_does_not_answer(jos_board: VirtualBoard) -> None:
    info = dict(jos_board.info())
    with RawRepl(jos_board.repl_path) as repl:  # type: ignore[arg-type]
        repl.exec('oled_print("y")')
    # the main port stands in for an aux port that is not the backchannel: it never frames an oled_b64 reply
    info["aux"] = info["main"]
    async with Board({**info, "main": None}) as board:
        frame = await board.oled_frame()
    assert frame.source == "repl" and frame.data == bytes(jos_board.model.oled.pixels)


async def test_oled_picture_tool_says_it_read_the_aux_port(jos_mcp: Harness) -> None:
    await jos_mcp.ok("oled_print", text="HI")
    result = await jos_mcp.ok("oled_picture", scale=2)
    assert result["source"] == "aux" and result["lit_pixels"] > 40


def test_aux_port_follows_a_replug(jos_board: VirtualBoard) -> None:
    old = jos_board.aux.port  # type: ignore[union-attr]
    jos_board.replug()
    assert old.closed and not jos_board.aux.port.closed  # type: ignore[union-attr]
    assert jos_board.info()["aux"] == jos_board.aux_path
    reply = ask(jos_board.aux_path, b":ver\n", b"13\r\n")  # type: ignore[arg-type]
    assert reply == b":ver\r\nJumperless firmware version: 5.7.0.13\r\n"


async def test_no_display_is_an_empty_frame_and_oled_disconnected(jos_board: VirtualBoard) -> None:
    jos_board.model.oled.connected = False
    reply = ask(jos_board.aux_path, b":oled:b64\n", b"}\r\n")  # type: ignore[arg-type]
    assert reply == b":oled:b64\r\noled_b64{0x0:}\r\n"
    async with Board(jos_board.info()) as board:
        with pytest.raises(OledDisconnected, match="empty frame"):
            await board.oled_frame()


async def test_board_picture_via_aux_matches_the_repl_picture_and_sends_nothing_on_the_repl(
    jos_board: VirtualBoard,
) -> None:
    async with Board(jos_board.info()) as board:
        await board.connect(14, 17)
        await board.connect(GND, 20)
        await board.dac_set("DAC0", 1.5)
        await board.connect("DAC0", 40)
        by_repl = await board.board_state("repl")
        received, written = jos_board.repl.input.received, jos_board.bytes_written("repl")  # type: ignore[union-attr]
        by_aux = await board.board_state()
        assert (jos_board.repl.input.received, jos_board.bytes_written("repl")) == (received, written)  # type: ignore[union-attr]
        png = await board.board_picture("aux")
    assert (by_repl.source, by_aux.source) == ("repl", "aux")
    assert AUX_COLOURS in by_aux.notes and AUX_NETS in by_aux.notes and not by_repl.notes
    on_rows = [net for net in by_aux.nets if any(1 <= n <= 60 for n in net.nodes)]
    assert len(on_rows) == 3 and all(net in by_repl.nets for net in on_rows)  # rows lit in the net's colour
    # a net on no row has no LED to read its colour from: the same net, in the picture's own colour
    assert [replace(net, color=None) for net in by_repl.nets] == [replace(net, color=None) for net in by_aux.nets]
    assert set(by_aux.bridges) == set(by_repl.bridges)  # two-node nets: a net's nodes joined are its bridge
    assert by_aux.power == by_repl.power and by_aux.power["DAC0"] == pytest.approx(1.5)
    assert png == board_art.render(by_aux)


async def test_board_picture_via_aux_joins_a_nets_nodes_in_the_firmwares_order(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await board.connect(3, 9)
        await board.connect(9, 12)
        await board.connect(3, 25)
        state = await board.board_state("aux")
    (net,) = [n for n in state.nets if 3 in n.nodes]
    assert sorted(net.nodes) == [3, 9, 12, 25]
    assert state.bridges == tuple(tuple(sorted(p)) for p in zip(net.nodes, net.nodes[1:], strict=False))


async def test_board_picture_goes_on_while_a_script_runs(jos_board: VirtualBoard) -> None:
    script = "import time\nfor i in range(6):\n    time.sleep_ms(100)\n    print(i)\n"
    results: dict[str, object] = {}
    async with Board(jos_board.info(), allow_python=True) as board:
        await board.connect(5, 50)

        async def run_script() -> None:
            results["printed"] = await board.run_python(script, timeout=10)

        async with anyio.create_task_group() as group:
            group.start_soon(run_script)
            await anyio.sleep(0.1)
            results["state"] = await board.board_state()
            results["script_done_first"] = "printed" in results
    assert results["script_done_first"] is False  # the picture did not wait for the REPL
    assert str(results["printed"]).split() == [str(i) for i in range(6)]
    assert (5, 50) in results["state"].bridges  # type: ignore[attr-defined]


async def test_board_picture_source_is_checked_and_aux_needs_the_port(
    jos_board: VirtualBoard, legacy_board: VirtualBoard
) -> None:
    without_aux = {key: value for key, value in jos_board.info().items() if key != "aux"}
    async with Board(without_aux) as board:
        assert (await board.board_state()).source == "repl"
        with pytest.raises(UnsupportedByFirmware, match="source='aux'"):
            await board.board_state("aux")
    async with Board(legacy_board.info()) as board:
        with pytest.raises(UnsupportedByFirmware, match="fourth port"):
            await board.board_state("aux")
        with pytest.raises(ArgumentError, match="source"):
            await board.board_state("usb")


async def test_board_picture_falls_back_to_the_repl_when_the_aux_port_does_not_answer(jos_board: VirtualBoard) -> None:
    info = dict(jos_board.info())
    info["aux"] = info["main"]  # the main port stands in for an aux port that never frames a :json reply
    async with Board({**info, "main": None}) as board:
        await board.connect(7, 8)
        state = await board.board_state()
    assert state.source == "repl" and (7, 8) in state.bridges


async def test_board_picture_tool_reads_the_aux_port(jos_mcp: Harness) -> None:
    await jos_mcp.ok("connect", node1="5", node2="9")
    result = await jos_mcp.ok("board_picture")
    assert result["source"] == "aux" and AUX_NETS in result["notes"] and ["5", "9"] in result["bridges"]
    by_repl = await jos_mcp.ok("board_picture", source="repl")
    assert by_repl["source"] == "repl" and by_repl["bridges"] == result["bridges"]
    assert (await jos_mcp.error("board_picture", source="usb"))["kind"] == "invalid_argument"


async def test_the_aux_port_has_a_stable_link_that_follows_a_replug(tmp_path: Path) -> None:
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs", link_dir=tmp_path / "links") as board:
        link = Path(board.stable_path("ser3"))
        assert link.resolve() == Path(board.aux_path).resolve()  # type: ignore[arg-type]
        board.replug()
        assert link.resolve() == Path(board.aux_path).resolve()  # type: ignore[arg-type]
        # the udev-style names are siblings: given the main link, discovery finds the aux port beside it
        async with Board(board.stable_path("main")) as host:
            await host.connect(3, 4)
            assert (await host.board_state()).source == "aux"
        board.unplug()
        assert not link.exists()


async def test_json_on_the_aux_port_carries_a_non_ascii_net_name_as_utf8(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await board.connect(10, 11)
        (net,) = [n for n in (await board.board_state("repl")).nets if 10 in n.nodes]
        await board.set_net_name(net.number, "Ω-Netz ünd 😀")
        state = await board.board_state("aux")
    assert [n.name for n in state.nets if 10 in n.nodes] == ["Ω-Netz ünd 😀"]
