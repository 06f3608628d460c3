"""Pre-trigger samples (`pretrigger`): the board samples on the rate's schedule while it waits for the edge, keeps
the last N samples in a ring, and the capture's times are 0 at the trigger sample, negative before it.

The RC step (examples/rc_lowpass.toml, as tests/test_capture_rc.py: a 10 Hz 0-3 V square through 10 kOhm into
1 uF, tau = 10 ms) runs with board time = real time (time_scale=1.0): a pause of a loaded machine leaves a stretch
unsampled but every sample taken keeps its true board time, so the assertions look at what the samples show at
their times (and a capture whose windows came out empty is taken again), never at how many there are.
"""

from __future__ import annotations

import datetime
import importlib.util
import io
import itertools
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp_harness import Harness, board_calls
from PIL import Image, ImageChops
from test_capture import board_calls_of
from test_capture_rc import EXAMPLE, LEVEL, RATE, square_into_the_rc

from firmware_api.errors import ArgumentError
from jumperless_mcp import Board
from jumperless_mcp.bench.capture import Capture
from jumperless_mcp.bench.capture_burst import board_source, one_line
from jumperless_mcp.bench.capture_plan import plan_capture
from jumperless_mcp.emulator import VirtualBoard

ROOT = Path(__file__).resolve().parent.parent
PRE = 80  # 20 ms at 4 kHz: the discharge's flat tail (the square went low 50 ms before its rising edge)
# The last commit whose capture_burst.py had no pre-trigger ring: pretrigger=0 must render what it rendered.
BEFORE_PRETRIGGER = "950e0605139872b0e854b888462022545eef26c6"
TAG = "\x1e12abc"


def _paced(capture: Capture) -> list[bool]:
    """Per sample: read without a pause of the board's thread around it. A sample's time is the middle of its
    read, so a pause during it shows as gaps to both neighbours well past the capture's usual one (the rate the
    board kept, which a loaded machine may hold below the one asked for)."""
    times = capture.times
    gaps = [b - a for a, b in itertools.pairwise(times)]
    usual = statistics.median(gaps)
    return [0 < i < len(times) - 1 and max(gaps[i - 1], gaps[i]) < 1.5 * usual for i in range(len(times))]


def _window(capture: Capture, start: float, end: float) -> list[float]:
    """The well-timed samples between two times (a sample a paused board thread mistimed is left out)."""
    volts = capture.samples["ADC0"]
    return [v for t, v, ok in zip(capture.times, volts, _paced(capture), strict=True) if ok and start <= t <= end]


@pytest.mark.parametrize("persona", ["jumperlos", "legacy"])
async def test_an_rc_step_with_pretrigger_shows_the_low_level_before_t0_and_the_rise_after(
    make_board: Any, persona: str
) -> None:
    vboard = make_board(EXAMPLE.read_text(), persona=persona, time_scale=1.0)  # board time = real time
    async with Board(vboard.info()) as board:
        await square_into_the_rc(board)
        for _ in range(5):  # a loaded machine can pause the board's thread: capture again until it did not
            capture = await board.capture(
                [0], rate=RATE, samples=400, trigger_level=LEVEL, trigger_edge="rising", pretrigger=PRE
            )
            low, high = _window(capture, -0.015, -0.002), _window(capture, 0.015, 0.040)
            if low and high and capture.trigger_index is not None and _paced(capture)[capture.trigger_index]:
                break
    volts, times, index = capture.samples["ADC0"], capture.times, capture.trigger_index
    assert capture.trigger is not None and capture.trigger.found
    assert index is not None and 1 <= index <= PRE and capture.pretrigger == PRE and len(times) == 400
    # t = 0 at the trigger sample, negative before it, in time order (the ring came out rotated right)
    assert times[index] == 0.0 == capture.trigger_time
    assert all(t < 0 for t in times[:index]) and all(b > a for a, b in itertools.pairwise(times))
    # the trigger sample is the first at/above the level; the one before it was below (it armed or waited)
    assert volts[index] >= LEVEL - 1e-4 and volts[index - 1] < LEVEL
    # before t = 0: the discharge's flat tail near 0 V (the square has been low for 35 ms and more)
    assert low and max(low) < 0.15 and max(low) - min(low) < 0.15
    # after: the charge towards 3 V (2.4 V 15 ms after the crossing, 2.95 V at 40 ms)
    assert high and min(high) > 2.2
    assert capture.trigger.waited > 0 and f"{index} samples before t = 0 (the trigger sample)" in capture.summary()
    rows = [line.split(",") for line in capture.csv_text().splitlines() if line and not line.startswith("#")]
    assert [float(row[0]) for row in rows[1:]] == pytest.approx(times, abs=1e-6)  # the CSV keeps the times


async def test_the_trigger_channel_need_not_be_sampled(make_board: Any) -> None:
    """The trigger ADC outside the channels is read once more per sample while waiting."""
    vboard = make_board(EXAMPLE.read_text(), time_scale=1.0)
    async with Board(vboard.info()) as board:
        await square_into_the_rc(board)
        await board.dac_set(1, 1.25)
        assert (await board.connect("DAC1", "ADC2")).ok
        capture = await board.capture([2], rate=2000, samples=60, trigger_channel=0, trigger_level=LEVEL, pretrigger=20)
    index = capture.trigger_index  # up to 20: fewer when the wait began close before the edge
    assert capture.trigger is not None and capture.trigger.found and index is not None and 1 <= index <= 20
    assert capture.times[index] == 0.0 and capture.times[0] < 0
    assert all(v == pytest.approx(1.25, abs=0.05) for v in capture.samples["ADC2"])


async def test_a_trigger_that_never_comes_keeps_the_samples_before_the_timeout(legacy_board: VirtualBoard) -> None:
    async with Board(legacy_board.info()) as board:
        await board.dac_set(0, 1.0)
        assert (await board.connect("DAC0", "ADC0")).ok
        capture = await board.capture([0], rate=1000, samples=20, trigger_level=2.0, trigger_timeout=0.05, pretrigger=5)
    assert capture.trigger is not None and not capture.trigger.found and "captured untriggered" in capture.summary()
    index = capture.trigger_index  # 5 unless a pause of the machine ran the board's clock past the timeout at once
    assert index is not None and 0 <= index <= 5 and capture.times[index] == 0.0 and len(capture.times) == 20
    assert all(t < 0 for t in capture.times[:index]) and capture.times[index:] == sorted(capture.times[index:])
    assert index == 0 or f"{index} samples before t = 0" in capture.summary()
    assert all(v == pytest.approx(1.0, abs=0.05) for v in capture.samples["ADC0"])


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"pretrigger": 5}, "trigger"),  # no trigger
        ({"pretrigger": 5, "trigger_level": 1.0, "rate": None}, "rate"),
        ({"pretrigger": 20, "trigger_level": 1.0}, "out of range"),  # samples=20: at most 19
        ({"pretrigger": -1, "trigger_level": 1.0}, "out of range"),
        ({"pretrigger": 2.5, "trigger_level": 1.0}, "whole number"),
        ({"pretrigger": True, "trigger_level": 1.0}, "whole number"),
    ],
)
async def test_bad_pretrigger_to_the_board_api_is_refused_before_connecting(
    jos_board: VirtualBoard, arguments: dict[str, Any], words: str
) -> None:
    async with Board(jos_board.info(), eager=False) as board:
        with pytest.raises(ArgumentError) as caught:
            await board.capture([0], samples=20, **arguments)
        assert caught.value.parameter == "pretrigger" and words in str(caught.value)
        assert "0 to 19" in caught.value.allowed
        assert board.session.version is None  # refused before even connecting


@pytest.mark.parametrize(
    "arguments",
    [
        {"pretrigger": 5},
        {"pretrigger": 30, "samples": 30, "trigger_level": 1.0},
        {"pretrigger": 20_000, "trigger_level": 1.0},
        {"pretrigger": -1, "trigger_level": 1.0},
    ],
)
async def test_bad_pretrigger_to_the_tool_names_it_and_sends_nothing(h: Harness, arguments: dict[str, Any]) -> None:
    with board_calls(h) as sent:
        error = await h.error("capture", channels=[0], **arguments)
    assert error["kind"] == "invalid_argument" and error["parameter"] == "pretrigger" and error["allowed"]
    assert sent == []


async def test_the_tool_reports_the_trigger_index(h: Harness) -> None:
    await h.ok("dac_set", channel="DAC0", voltage=1.0)
    await h.ok("connect", node1="DAC0", node2="ADC1")
    data = await h.ok(
        "capture", channels=[1], rate=1000, samples=12, trigger_level=2.5, trigger_timeout=0.02, pretrigger=4
    )
    assert data["pretrigger"] == 4 and 0 <= data["trigger_index"] <= 4 and data["trigger"]["found"] is False
    assert data["stats"]["ADC1"]["mean"] == pytest.approx(1.0, abs=0.05)
    plain = await h.ok("capture", channels=[1], rate=1000, samples=12, trigger_level=2.5, trigger_timeout=0.02)
    assert "pretrigger" not in plain and "trigger_index" not in plain


def test_the_plot_marks_t0_only_with_samples_before_it() -> None:
    times = [(i - 40) / 1000 for i in range(200)]
    trigger = plan_capture(
        [0],
        rate=1000.0,
        samples=200,
        duration=None,
        trigger_channel=None,
        trigger_level=1.0,
        trigger_edge="rising",
        trigger_timeout=1.0,
    ).trigger

    def capture(index: int | None) -> Capture:
        return Capture(
            ["ADC0"], ["V"], times, {"ADC0": [0.0] * 40 + [2.0] * 160}, 1000.0, 1000.0, trigger, "b", "5.7.0.13",
            datetime.datetime.now(datetime.UTC), pretrigger=40, trigger_index=index,
        )  # fmt: skip

    marked, plain = (Image.open(io.BytesIO(capture(i).png())).convert("RGB") for i in (40, 0))
    # the only difference (past the palette's small shifts of colour): the line and its label
    changed = ImageChops.difference(marked, plain).convert("L").point(lambda v: 255 if v > 30 else 0).getbbox()
    x = 70 + 0.040 / 0.199 * (1000 - 20 - 70)  # the plot box spans x 70-980 and y 34-450; t = 0 is 40 ms of 199 in
    assert changed is not None and changed[0] >= x - 2 and changed[2] <= x + 60
    assert changed[1] <= 40 and changed[3] >= 440  # the whole height of the box
    assert len(capture(40).png()) < 100_000


def _render_before(plan: Any) -> str:
    """What the capture_burst.py of BEFORE_PRETRIGGER renders for `plan` (it knows no `pretrigger` field)."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    shown = subprocess.run(
        [git, "show", f"{BEFORE_PRETRIGGER}:jumperless_mcp/bench/capture_burst.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        pytest.skip(f"the commit before pre-trigger samples is not in this clone: {shown.stderr.strip()[:100]}")
    spec = importlib.util.spec_from_loader("capture_burst_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        exec(compile(shown.stdout, "capture_burst_before.py", "exec"), module.__dict__)
        return module.board_source(plan, TAG)
    finally:
        del sys.modules[spec.name]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"rate": None},
        {"trigger_level": 1.0},
        {"trigger_level": -2.5, "trigger_edge": "falling", "rate": None},
        {"channels": [0, 3, "INA1"], "trigger_level": 1.0, "trigger_channel": 2, "samples": 300},
        {"channels": ["INA0", 1], "duration": 0.05},
    ],
)
def test_pretrigger_0_renders_the_same_source_as_before(options: dict[str, Any]) -> None:
    arguments: dict[str, Any] = {
        "channels": [0],
        "rate": 1000.0,
        "samples": 70,
        "duration": None,
        "trigger_channel": None,
        "trigger_level": None,
        "trigger_edge": "rising",
        "trigger_timeout": 0.3,
    } | options
    channels = arguments.pop("channels")
    plan = plan_capture(channels, **arguments)
    assert plan.pretrigger == 0 and plan == plan_capture(channels, **arguments, pretrigger=0)
    assert board_source(plan, TAG) == _render_before(plan)


def test_the_ring_fits_the_5_3_line_and_not_the_jumperlos_fallback() -> None:
    """Rendered lengths on the `>` channel (the figures the report quotes)."""
    arguments: dict[str, Any] = {
        "rate": 1000.0,
        "samples": 70,
        "duration": None,
        "trigger_channel": 0,
        "trigger_level": 1.0,
        "trigger_edge": "rising",
        "trigger_timeout": 0.3,
    }
    for channels in ([0], [0, 1, 2, 3, "INA0", "INA1"]):
        plain = len(one_line(board_source(plan_capture(channels, **arguments), TAG)))
        ring = len(one_line(board_source(plan_capture(channels, **arguments, pretrigger=10), TAG)))
        assert ring - plain < 300 and ring < 1900  # the 5.3.x line holds 2000


async def test_the_jumperlos_fallback_line_refuses_the_ring_naming_pretrigger(jos_board: VirtualBoard) -> None:
    """JumperlOS's `>` fallback holds 1023 characters: the burst with a trigger fits, with the ring it does not."""
    async with Board.open(jos_board.main_path) as board:
        assert board.session.channel == "main-oneliner"
        await board.dac_set(0, 1.0)
        with board_calls_of(board) as sent, pytest.raises(ArgumentError) as caught:
            await board.capture([0], rate=1000, samples=20, trigger_level=2.0, pretrigger=5)
        assert caught.value.parameter == "pretrigger" and "characters" in str(caught.value) and sent == []
        with pytest.raises(ArgumentError) as caught:
            await board.capture([0, 1, 2, 3, "INA0", "INA1"], rate=1000, samples=20, trigger_level=2.0, pretrigger=5)
        assert caught.value.parameter == "channels" and "pretrigger=0" in caught.value.allowed
        plain = await board.capture([0], rate=1000, samples=20, trigger_level=2.0, trigger_timeout=0.02)
    assert len(plain.times) == 20 and plain.trigger_index == 0
