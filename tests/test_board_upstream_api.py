"""The newest upstream JumperlOS API through `Board`: parts and projects, USB audio, the OLED screen API, the scan.

The virtual board plays the newest upstream tree (persona `jumperlos-upstream`, 5.7.11: upstream 7077df9), the
stable 5.7.5 tree (`jumperlos-5.7.5`: USB audio and the net scan, no parts) and the 5.7.0.13 fork
(`jumperlos`). Each generated method is driven through the host's real path (catalog -> `build_call` -> session
-> serial -> the virtual board's strict module -> `parse_reply`), and the parsed results are checked against
the shapes the firmware's C code returns (7077df9 mjc :2733-2804 list_parts, :2082-2114 usb_audio_status,
:3356-3371 get_net_current). A function the connected firmware version lacks is refused before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from firmware_api import catalog
from firmware_api.calls import build_call
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import load_parts
from jumperless_mcp.errors import ArgumentError, FirmwareError, FirmwareValueError, UnsupportedByFirmware

DIVIDER = '[[resistor]]\nbetween = [10, 11]\nohms = "10k"\n\n[[resistor]]\nbetween = [11, "GND"]\nohms = "10k"\n'
R1_PINS = {"A": {"pin": 1, "connect": "GND"}, "B": {"pin": 2, "connect": 20}}
PART_KEYS = {"name": str, "type": str, "value": str, "row": int, "footprint": str, "placed": bool}
PART_KEYS |= {"placement": str, "measured": float, "pins": dict}
AUDIO_BOOLS = ("enabled", "streaming", "host_open", "dc_block")
AUDIO_INTS = ("left", "right", "sample_rate", "pending_rate", "frames_sent", "fifo_overflow", "adc_overrun")
AUDIO_INTS += ("late_irq", "resyncs", "probe_pauses", "claim_fail", "init_fail")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lock files in the test's own directory; no port default leaking in from the shell."""
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


def open_board(persona: str, tmp_path: Path, **emulator: Any) -> Board:
    """A Board on the virtual board, selected the way a user would: `emulator:<persona>`."""
    return Board.open(f"emulator:{persona}", emulator_options={"fs_dir": tmp_path / f"fs-{persona}", **emulator})


@pytest.fixture
async def upstream(tmp_path: Path) -> AsyncIterator[Board]:
    parts = tmp_path / "divider.toml"
    parts.write_text(DIVIDER)
    async with open_board("jumperlos-upstream", tmp_path, parts=load_parts(parts)) as board:
        assert board.version == FirmwareVersion.parse("5.7.11")
        yield board


def calls(board: Board) -> int:
    return board.health().calls


async def test_parts_are_placed_listed_and_removed(upstream: Board) -> None:
    assert await upstream.list_parts() == []
    assert await upstream.place_part("R1", 10, R1_PINS, "sip2", "resistor", "10k") == 0
    [part] = await upstream.list_parts()
    assert {key: type(value) for key, value in part.items()} == PART_KEYS  # the dict of 7077df9 mjc :2758-2799
    assert (part["name"], part["row"], part["footprint"], part["type"], part["value"]) == (
        "R1",
        10,
        "sip2",
        "resistor",
        "10k",
    )
    assert part["placed"] is True and part["placement"] in ("expanded", "compact", "custom")
    assert part["pins"] == {
        "A": {"node": 10, "connect": 100, "class": "signal"},  # GND is node 100
        "B": {"node": 11, "connect": 20, "class": "signal"},
    }
    assert await upstream.is_connected(10, "GND") is True and await upstream.is_connected(11, 20) is True
    # refusals come back as -1 (the reason is printed on the main port, never raised)
    assert await upstream.place_part("R1", 30, {"A": {"pin": 1}}) == -1  # the name is taken
    assert await upstream.place_part("U1", 30, '{"A": {"pin": 1}}', footprint="qfn8") == -1  # JSON text works too
    assert await upstream.remove_part("R1") == 0
    assert await upstream.remove_part("R1") == -1
    assert await upstream.list_parts() == [] and await upstream.is_connected(10, "GND") is False
    with pytest.raises(ArgumentError) as info:
        await upstream.place_part("R2", 61, R1_PINS)  # rows are 1-60: refused before sending
    assert info.value.parameter == "row"
    async with upstream.batch() as batch:  # generated batch methods too: one round trip
        placed = batch.place_part("C1", 40, {"A": {"pin": 1}, "B": {"pin": 2}}, "axial2", "capacitor", "100n", "c-1")
        listed = batch.list_parts()
        progress = batch.guide_progress()
    assert placed.value == 0 and [p["name"] for p in listed.value] == ["C1"] and progress.value == -1


async def test_projects_and_the_background_callback(upstream: Board) -> None:
    await upstream.connect(1, 2)
    assert await upstream.load_project("555") is True  # a new run file, from no shipped wiring: no bridges
    assert await upstream.get_num_bridges() == 0
    assert await upstream.load_project("/projects/555/555_run.yaml") is True  # a literal path
    assert await upstream.load_project("/nowhere.yaml") is False
    assert await upstream.guide_progress() == -1
    assert await upstream.bg_active() is False
    assert await upstream.bg_stop() is None
    assert not hasattr(upstream, "bg_start")  # a Python callable cannot be sent as a value


async def test_part_identification_calls_take_the_firmware_arity(upstream: Board) -> None:
    version = upstream.version
    assert version is not None
    assert build_call("part_identify", version, 5, 6).source == "part_identify(5, 6)"  # row3 -1 is the omission
    assert build_call("part_identify", version, 5, 6, 7).source == "part_identify(5, 6, 7)"
    assert build_call("part_fingerprint", version, 1, 8, 30, 5).source == "part_fingerprint(1, 8, 30, 5)"
    for name, args in (("part_identify", (5, 6)), ("part_fingerprint", (1, 8, 30, 5)), ("part_vectors", (1, 8, 30, 5))):
        # the virtual board has no Kelvin fixture: it raises NotImplementedError where a board returns a str; a
        # TypeError here would mean the host sent what the firmware rejects
        with pytest.raises(FirmwareError) as info:
            await getattr(upstream, name)(*args)
        assert info.value.exc_type == "NotImplementedError", (name, info.value)


async def test_usb_audio(upstream: Board) -> None:
    assert await upstream.usb_audio_is_enabled() is False
    assert await upstream.usb_audio_setup() is True  # sent as usb_audio_setup(0, 1, 8.0)
    status = await upstream.usb_audio_status()
    assert len(status) == 17 and isinstance(status["full_scale"], float)  # 7077df9 mjc :2095-2113
    assert all(type(status[key]) is bool for key in AUDIO_BOOLS) and all(type(status[k]) is int for k in AUDIO_INTS)
    assert (status["enabled"], status["left"], status["right"], status["full_scale"]) == (True, 0, 1, 8.0)
    assert await upstream.usb_audio_setup(2, 3, full_scale=5.0, dc_block=False) is True
    assert await upstream.usb_audio_set_rate(48000) is True
    assert await upstream.usb_audio_set_range(2.5) is True
    status = await upstream.call("audio_status")  # the firmware alias
    assert (status["left"], status["right"], status["dc_block"], status["sample_rate"], status["full_scale"]) == (
        2,
        3,
        False,
        48000,
        2.5,
    )
    with pytest.raises(FirmwareValueError, match="1 kHz steps"):
        await upstream.usb_audio_set_rate(44100)  # in range for the host; the firmware wants whole kHz
    with pytest.raises(FirmwareValueError, match="distinct ADC channels"):
        await upstream.usb_audio_setup(4, 4)
    before = calls(upstream)
    for name, args, parameter in (
        ("usb_audio_set_range", (25.0,), "volts"),
        ("usb_audio_setup", (8,), "left"),
        ("usb_audio_set_rate", (96000,), "hz"),
    ):
        with pytest.raises(ArgumentError) as info:
            await getattr(upstream, name)(*args)
        assert info.value.parameter == parameter
    assert calls(upstream) == before  # refused before anything was sent
    assert await upstream.call("usb_audio_teardown") is True and await upstream.usb_audio_is_enabled() is False
    assert await upstream.usb_audio_enable() is True and await upstream.usb_audio_active() is False
    assert await upstream.usb_audio_disable() is True
    assert await upstream.call("audio_setup", 0, 7) is True and await upstream.usb_audio_save() is True


async def test_oled_screens(upstream: Board) -> None:
    screens = upstream.virtual_board.model.oled_screens
    screen = await upstream.oled_screen()
    assert isinstance(screen, int) and screen >= 1
    text = await upstream.oled_add_text(screen, "{v} V", x=2, y=3, size=12)
    shape = await upstream.oled_add_shape(screen, 2, 0, 0, 10, 5, filled=True)
    assert (text, shape) == (screen << 8, (screen << 8) | 1)  # (screen << 8) | index (JOS API :1890)
    assert screens.element(shape).props["filled"] == 1  # True reached the firmware's int argument
    assert await upstream.oled_set(text, "text", "{v} mA") is True
    assert await upstream.oled_set(text, "x", 7) is True
    assert await upstream.oled_set(text, "nope", 1) is False
    assert screens.element(text).props["text"] == "{v} mA" and screens.element(text).props["x"] == 7
    assert await upstream.oled_set_var("v", 2.5) is None and screens.variables["v"] == 2.5
    assert await upstream.oled_set_var("v", "high") is None and screens.variables["v"] == "high"
    assert await upstream.oled_screen_show(screen) is True
    assert await upstream.oled_screen_show(screen, persist=True) is True and screens.persistent == screen
    assert await upstream.oled_screen_show(200) is False
    assert await upstream.oled_screen_save(screen, "dash") is True
    loaded = await upstream.oled_screen_load("dash")
    assert loaded not in (0, screen) and len(screens.screens[loaded]) == 2
    assert await upstream.oled_screen_load("missing") == 0
    assert await upstream.oled_screen_clear(screen) is None and screens.screens[screen] == []
    assert await upstream.oled_screen_free(loaded) is None and loaded not in screens.screens
    assert await upstream.oled_screen_hide() is None and screens.persistent is None
    assert await upstream.oled_screen_reset() is None and screens.screens == {}
    with pytest.raises(ArgumentError) as info:
        await upstream.oled_add_text(0, "x")  # screen handles are 1-255
    assert info.value.parameter == "screen"


async def test_oled_fonts_bitmaps_and_print_mirroring(upstream: Board, tmp_path: Path) -> None:
    fonts = await upstream.oled_get_fonts()
    assert isinstance(fonts, list) and "Pragmatism" in fonts and all(isinstance(f, str) for f in fonts)
    assert await upstream.oled_set_font("Jokerman") is True
    assert await upstream.oled_get_current_font() == "Jokerman"
    assert await upstream.oled_set_font("Wingdings") is False
    assert await upstream.oled_copy_print(True) is None and upstream.virtual_board.model.oled.copy_print is True
    (tmp_path / "fs-jumperlos-upstream" / "logo.bin").write_bytes(b"\x80" + bytes(511))  # 128x32, pixel (0, 0) on
    assert await upstream.oled_load_bitmap("/missing.bin") is False
    assert await upstream.oled_load_bitmap("/logo.bin") is True
    assert await upstream.oled_display_bitmap(0, 0) is True  # sent as oled_display_bitmap(0, 0, 0, 0)
    assert await upstream.oled_get_pixel(0, 0) == 1
    await upstream.oled_clear()
    assert await upstream.oled_show_bitmap_file("/logo.bin", 3, 1) is True
    assert await upstream.oled_get_pixel(3, 1) == 1 and await upstream.oled_get_pixel(0, 0) == 0


async def test_net_scan_results(upstream: Board) -> None:
    assert await upstream.get_net_current(6) is None  # no net 6 yet: no scan data
    await upstream.dac_set("TOP_RAIL", 5.0)
    assert (await upstream.connect("TOP_RAIL", 10)).ok and (await upstream.connect(11, 30)).ok
    current = await upstream.get_net_current(2)  # the top rail's net: 5 V over 10k + 10k to GND
    assert current == {"current_mA": pytest.approx(0.25), "voltage": 5.0, "from_node": 101, "to_node": 10}
    assert await upstream.get_net_current(0) is None  # net 0 never has data (jl_scan_net_current)
    assert await upstream.get_node_voltage(30) == pytest.approx(2.5) and await upstream.get_node_voltage(12) is None
    assert await upstream.call("node_voltage", 10) == pytest.approx(5.0)
    paths = {}
    for index in range(await upstream.get_num_paths()):
        info = await upstream.get_path_info(index)
        paths[(info["node1"], info["node2"])] = await upstream.get_path_current(index)
    assert paths == {(101, 10): pytest.approx(0.25), (11, 30): 0.0}


# --- the version gate: refused before anything is sent --------------------------------------------------------------


async def test_stable_5_7_5_has_usb_audio_but_not_parts(tmp_path: Path) -> None:
    async with open_board("jumperlos-5.7.5", tmp_path) as board:
        assert board.version == FirmwareVersion.parse("5.7.5")
        assert (await board.usb_audio_status())["enabled"] is False
        assert await board.oled_screen() >= 1
        before = calls(board)
        needs = f"it needs firmware {FirmwareVersion(catalog.PARTS_SINCE)} or later"
        for name, args in (("list_parts", ()), ("place_part", ("R1", 10, R1_PINS)), ("bg_active", ())):
            with pytest.raises(UnsupportedByFirmware, match=re.escape(f"{name}() is not in firmware 5.7.5: {needs}")):
                await getattr(board, name)(*args)
        with pytest.raises(UnsupportedByFirmware):
            board.batch().load_project("555")  # refused when recorded
        assert calls(board) == before


async def test_the_5_7_0_13_fork_has_the_oled_screens_but_no_upstream_api(tmp_path: Path) -> None:
    async with open_board("jumperlos", tmp_path) as board:
        assert board.version == FirmwareVersion.parse("5.7.0.13")
        screen = await board.oled_screen()
        assert await board.oled_add_text(screen, "hi") == screen << 8
        before = calls(board)
        needs = f"it needs firmware {FirmwareVersion(catalog.USB_AUDIO_SINCE)} or later"
        with pytest.raises(
            UnsupportedByFirmware, match=re.escape(f"usb_audio_status() is not in firmware 5.7.0.13: {needs}")
        ):
            await board.usb_audio_status()
        for name in ("audio_status", "list_parts", "get_net_current"):
            with pytest.raises(UnsupportedByFirmware):
                await board.call(name, *((6,) if name == "get_net_current" else ()))
        assert calls(board) == before
