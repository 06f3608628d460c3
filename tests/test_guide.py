"""Guided placement through `Board` on virtual boards behind real ptys, with a scripted person at the bench."""

from __future__ import annotations

import anyio
import pytest
from bench_person import Person

from firmware_api import nodes
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import ArgumentError


async def test_resistor_lit_shown_confirmed_by_a_tap_verified_and_cleared(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        with Person(jos_board, {"R1": ("resistor", (10, 14), "2.2k")}) as person:
            result = await board.guide_place("resistor", [10, 14], name="R1", value="2.2k", timeout=20)
    assert result.status == "confirmed" and result.confirmed_by == "probe row 14"
    seen = person.seen["R1"]
    assert seen.oled.splitlines() == ["Place R1 2.2k", "rows 10 14", "tap row or CONNECT"]
    (overlay,) = seen.overlays  # the row strips of rows 10 and 14 (top half: y 1-5), nothing between
    assert (overlay.name, overlay.col, overlay.row, overlay.width, overlay.height) == ("guide_R1", 10, 1, 5, 5)
    assert [c != 0 for c in overlay.colors[:5]] == [True, False, False, False, True]
    assert result.verification is not None and result.verification.status == "ok", result.verification
    assert result.verification.ohms == pytest.approx(2200, rel=0.02)
    assert result.lit and result.cleared and jos_board.oled_text() == "" and jos_board.model.overlays == []
    assert result.registered is None  # 5.7.0.13 has no parts table


async def test_timeout_clears_the_overlay_and_the_oled(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        result = await board.guide_place("led", [20, 22], name="LED1", timeout=1)
        assert result.status == "timeout" and result.confirmed_by is None and result.verification is None
        assert 1.0 <= result.waited < 10
        assert result.cleared and jos_board.oled_text() == "" and jos_board.model.overlays == []
        assert await board.adc_get(0) is not None  # the board answers at once afterwards


async def test_buttons_confirm_and_cancel_and_stale_events_do_not_count(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        jos_board.probe.touch(5)  # before the guide starts: must not confirm the part on rows 5/7
        jos_board.probe.press("CONNECT")
        with Person(jos_board, {"C1": ("capacitor", (5, 7), "100n")}, confirm="CONNECT", delay=0.3):
            placed = await board.guide_place("capacitor", [5, 7], name="C1", value="100n", timeout=20)
        assert placed.status == "confirmed" and placed.confirmed_by == "CONNECT button" and placed.waited >= 0.3
        assert placed.verification is not None and placed.verification.status == "not_verified"
        with Person(jos_board, {"U1": None}, confirm="REMOVE"):  # type: ignore[dict-item]
            cancelled = await board.guide_place("dip8", [12], name="U1", value="NE555", timeout=20)
    assert cancelled.status == "cancelled" and cancelled.verification is None and cancelled.cleared
    assert cancelled.placement.rows["8"] == 42 and cancelled.placement.rows["5"] == 45


async def test_led_orientation(jos_board: VirtualBoard) -> None:
    led = {"vf": 1.9}
    async with Board(jos_board.info()) as board:
        with Person(jos_board, {"LED1": ("diode", (30, 28), None, led)}):  # pushed in the wrong way round
            wrong = await board.guide_place("led", [28, 30], name="LED1", timeout=20)
        with Person(jos_board, {"LED2": ("diode", (40, 42), None, led)}):
            right = await board.guide_place("led", [40, 42], name="LED2", timeout=20)
    assert wrong.verification is not None and wrong.verification.status == "reversed", wrong.verification
    assert right.verification is not None and right.verification.status == "ok", right.verification
    assert right.verification.forward_volts == pytest.approx(1.9, abs=0.15)  # the LED's vf at ~1 mA


async def test_legacy_shows_on_the_oled_only(legacy_board: VirtualBoard) -> None:
    async with Board(legacy_board.info()) as board:
        with Person(legacy_board, {"R3": ("resistor", (33, 36), "1k")}) as person:
            result = await board.guide_place("resistor", [33, 36], name="R3", value="1k", timeout=20)
    assert result.status == "confirmed" and not result.lit and "no overlays" in result.notes[0]
    assert "Place R3" in person.seen["R3"].oled and legacy_board.oled_text() == ""
    assert result.verification is not None and result.verification.status == "ok", result.verification


async def test_upstream_registers_the_part_without_bridging(make_board) -> None:  # type: ignore[no-untyped-def]
    vb = make_board(persona="jumperlos-upstream")
    async with Board(vb.info()) as board:
        with Person(vb, {"R7": ("resistor", (50, 47), "470")}):
            result = await board.guide_place("resistor", [50, 47], name="R7", value="470", timeout=20)
        parts = await board.list_parts()
    assert result.registered is True and any("place_part" in note for note in result.notes)
    (part,) = parts
    assert part["name"] == "R7" and part["footprint"] == "axial2" and part["value"] == "470"
    assert {pin: p["node"] for pin, p in part["pins"].items()} == {"1": 50, "2": 47}
    assert all(p["connect"] == -1 for p in part["pins"].values()) and vb.model.netlist.bridges == []


@pytest.mark.parametrize(
    ("kind", "rows", "options", "parameter"),
    [
        ("resistor", [3], {}, "rows"),
        ("resistor", [3, 3], {}, "rows"),
        ("dip14", [28], {}, "rows"),
        ("transistor", [3, 4], {}, "kind"),
        ("resistor", [3, 4], {"name": "1bad"}, "name"),
        ("resistor", [3, 4], {"value": "lots"}, "value"),
        ("resistor", [3, 4], {"timeout": 0.5}, "timeout"),
    ],
)
async def test_bad_arguments_send_nothing(
    jos_board: VirtualBoard, kind: str, rows: list, options: dict, parameter: str
) -> None:
    async with Board(jos_board.info()) as board:
        await board.ping()
        before = jos_board.bytes_written("repl")
        with pytest.raises(ArgumentError) as caught:
            await board.guide_place(kind, rows, **options)
        assert caught.value.parameter == parameter
        assert jos_board.bytes_written("repl") == before and jos_board.oled_text() == ""


async def test_a_cancelled_wait_still_clears_the_board(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        with anyio.move_on_after(0.8) as scope:
            await board.guide_place("resistor", [8, 9], name="R8", timeout=30)
        assert scope.cancelled_caught
        assert jos_board.oled_text() == "" and jos_board.model.overlays == []
        assert await board.overlay_count() == 0  # and the board answers at once


async def test_the_virtual_board_takes_parts_while_running(jos_board: VirtualBoard) -> None:
    async with Board(jos_board.info()) as board:
        await board.dac_set(2, 4.0)
        async with board.batch() as batch:
            for a, b in ((nodes.TOP_RAIL, 10), (11, nodes.ADC1)):
                batch.connect(a, b)
        assert float(await board.adc_get(1)) == pytest.approx(0.0, abs=0.01)  # row 11 floats
        jos_board.place_part("resistor", (10, 11), "1k", name="RA")
        jos_board.place_part("resistor", (11, "GND"), "3k", name="RB")
        assert float(await board.adc_get(1)) == pytest.approx(3.0, rel=0.02)
        assert jos_board.remove_part("RB") and not jos_board.remove_part("RB")
        assert float(await board.adc_get(1)) == pytest.approx(4.0, rel=0.02)
