"""The safe state through `Board` (issue 17 section 4): rails and DACs to 0 V, wavegen and PWM off, bridges kept.

On both families, over the virtual board's pty: `make_safe()` in one round trip, what it reports, a firmware
refusal part-way (the rest still sent), `Board(safe_state=True)` on leaving `async with`, and the default
(off) leaving the board as it was. The settings' parsing (file, environment, flags) is checked here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jumperless_mcp.bench.board import Board
from jumperless_mcp.bench.safe_state import DAC_CHANNELS, PWM_PINS
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.emulator.gpio_functions import GpioFunctions
from jumperless_mcp.settings import config as settings
from jumperless_mcp.settings.config import ConfigError

RAISED = {"DAC0": 1.5, "DAC1": -2.0, "TOP_RAIL": 5.0, "BOTTOM_RAIL": 3.3}


def port_of(vboard: VirtualBoard) -> Any:
    return vboard.info()


async def energise(board: Board) -> None:
    """Rails and DACs up, PWM on two pins, the waveform generator running, and a bridge."""
    async with board.batch() as batch:
        batch.wavegen_start(True)
        for name, volts in RAISED.items():
            batch.dac_set(DAC_CHANNELS[name], volts)
        batch.pwm(1, 1000.0, 0.25)
        batch.pwm(5, 10.0, 0.5)
    assert (await board.connect(12, 40)).ok


def assert_safe(vboard: VirtualBoard) -> None:
    model = vboard.model
    assert [model.power[key] for key in ("dac0", "dac1", "top_rail", "bottom_rail")] == [0.0] * 4
    assert not model.wavegen.running
    assert all(pin.pwm_frequency is None for pin in model.gpio)
    assert model.is_connected(12, 40)  # bridges stay


@pytest.fixture(params=["jumperlos", "legacy"])
def vboard(request: pytest.FixtureRequest) -> VirtualBoard:
    return request.getfixturevalue(f"{'jos' if request.param == 'jumperlos' else 'legacy'}_board")


async def test_make_safe_zeroes_rails_and_dacs_stops_wavegen_and_pwm_keeps_bridges(vboard: VirtualBoard) -> None:
    async with Board(port_of(vboard), timeout=5) as board:
        await energise(board)
        before = await board.energised()
        assert before.any and before.wavegen_running and before.setpoints == pytest.approx(RAISED, abs=0.01)
        report = await board.make_safe()
        assert report.ok and report.was_energised and not report.failed
        assert report.before == pytest.approx(RAISED, abs=0.01)
        assert report.after == dict.fromkeys(DAC_CHANNELS, 0.0)
        assert report.wavegen_was_running is True
        assert report.done[0] == "wavegen_stop()"  # first: the generator would overwrite a DAC's 0 V
        assert report.done[1:5] == [f"dac_set({name}, 0)" for name in DAC_CHANNELS]
        assert report.done[5:] == [f"pwm_stop(GPIO_{pin})" for pin in PWM_PINS]
        summary = report.summary()
        assert "TOP_RAIL 5 V" in summary and "wavegen stopped" in summary and "bridges kept" in summary
        after = await board.energised()
        assert not after.any
        assert (await board.make_safe()).was_energised is False  # again: harmless, says nothing was up
    assert_safe(vboard)


async def test_make_safe_is_one_round_trip(jos_board: VirtualBoard) -> None:
    async with Board(port_of(jos_board), timeout=5) as board:
        await energise(board)
        calls = board.health().calls
        await board.make_safe()
        assert board.health().calls == calls + 1


async def test_a_refusal_part_way_does_not_leave_the_rest_undone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = GpioFunctions.pwm_stop

    def refuse_on_3(self: GpioFunctions, pin: int) -> None:
        if pin == 3:
            raise ValueError("PWM stop failed")  # what jl_pwm_stop_func raises when stopPWM fails
        original(self, pin)

    monkeypatch.setattr(GpioFunctions, "pwm_stop", refuse_on_3)  # before the board binds its namespace
    with VirtualBoard("jumperlos", fs_dir=tmp_path / "fs") as jos_board:
        async with Board(port_of(jos_board), timeout=5) as board:
            await energise(board)
            report = await board.make_safe()
        failed = report.failed
        assert list(failed) == ["pwm_stop(GPIO_3)"] and "PWM stop failed" in failed["pwm_stop(GPIO_3)"]
        assert "pwm_stop(GPIO_5)" in report.done and "pwm_stop(GPIO_8)" in report.done
        assert report.after == dict.fromkeys(DAC_CHANNELS, 0.0)
        assert not report.ok and "FAILED: pwm_stop(GPIO_3)" in report.summary()
        model = jos_board.model
        assert model.power["top_rail"] == 0.0 and not model.wavegen.running and model.gpio[4].pwm_frequency is None


async def test_board_with_safe_state_goes_safe_on_leaving_async_with(vboard: VirtualBoard) -> None:
    async with Board(port_of(vboard), timeout=5, safe_state=True) as board:
        await energise(board)
    assert_safe(vboard)


async def test_board_scripts_leave_the_board_as_it_is_by_default(jos_board: VirtualBoard) -> None:
    async with Board(port_of(jos_board), timeout=5) as board:
        await energise(board)
    model = jos_board.model
    assert model.power["top_rail"] == pytest.approx(5.0) and model.wavegen.running
    assert model.gpio[0].pwm_frequency == 1000.0 and model.is_connected(12, 40)


async def test_a_board_never_connected_is_not_touched_on_close(jos_board: VirtualBoard) -> None:
    jos_board.model.set_power(2, 5.0)  # energised by someone else before this script
    board = Board(port_of(jos_board), timeout=5, eager=False, safe_state=True)
    await board.start()
    await board.aclose()
    assert jos_board.model.power["top_rail"] == pytest.approx(5.0)


def test_settings_from_file_environment_and_flags(tmp_path: Path) -> None:
    assert settings.load({}, environ={}).safe_state is True
    assert settings.load({}, environ={}).idle_safe_after == 1800.0
    file = tmp_path / "config.toml"
    file.write_text("safe_state = false\nidle_safe_after = 60\n")
    loaded = settings.load({}, environ={}, path=file)
    assert loaded.safe_state is False and loaded.idle_safe_after == 60.0
    env = {"JUMPERLESS_SAFE_STATE": "on", "JUMPERLESS_IDLE_SAFE_AFTER": "0"}
    loaded = settings.load({}, environ=env, path=file)
    assert loaded.safe_state is True and loaded.idle_safe_after == 0.0
    flagged = settings.load({"safe_state": False, "idle_safe_after": 5.0}, environ=env, path=file)
    assert flagged.safe_state is False and flagged.idle_safe_after == 5.0
    for bad in ("-1", "nan", "inf"):
        with pytest.raises(ConfigError) as refused:
            settings.load({}, environ={"JUMPERLESS_IDLE_SAFE_AFTER": bad})
        assert refused.value.parameter == "idle_safe_after" and "JUMPERLESS_IDLE_SAFE_AFTER" in str(refused.value)
    with pytest.raises(ConfigError) as refused:
        settings.load({}, environ={"JUMPERLESS_SAFE_STATE": "maybe"})
    assert refused.value.parameter == "safe_state" and "true, false" in str(refused.value)


def test_cli_flags_reach_the_settings() -> None:
    from jumperless_mcp.cli import SERVE_SETTINGS, build_parser

    args = build_parser().parse_args(["serve", "--no-safe-state", "--idle-safe-after", "12.5"])
    flags = {key: getattr(args, key, None) for key in SERVE_SETTINGS}
    assert flags["safe_state"] is False and flags["idle_safe_after"] == 12.5
    args = build_parser().parse_args(["serve"])
    assert getattr(args, "safe_state", None) is None and getattr(args, "idle_safe_after", None) is None


class _Remote:
    """A federation member that is not on this machine (what the keeper sees of a RemoteBoard)."""

    name, kind, selector = "lab", "remote", "http://lab:8765/mcp"


async def test_keeper_arms_local_boards_only_and_gives_way_to_a_returning_agent(jos_board: VirtualBoard) -> None:
    from jumperless_mcp.multiboard.federation import Federation
    from jumperless_mcp.multiboard.members import LocalMember
    from jumperless_mcp.serving.safe_shutdown import REMOTE_NOTE, SafeKeeper
    from jumperless_mcp.settings.model import Config

    config = Config(idle_safe_after=60.0, timeout=5.0)
    async with Board(port_of(jos_board), timeout=5) as board:
        member = LocalMember("bench", config, board=board)
        keeper = SafeKeeper(Federation([member]), config)
        assert keeper.status(_Remote()) == {  # type: ignore[arg-type]
            "armed": False,
            "idle_safe_after": None,
            "idle_left_s": None,
            "last": None,
            "note": REMOTE_NOTE,
        }
        local = keeper.status(member)
        assert local["armed"] and local["idle_safe_after"] == 60.0 and 59.0 < local["idle_left_s"] <= 60.0
        await energise(board)
        quiet_since = keeper._last_activity
        keeper._last_activity += 1.0  # a tool call came in while the idle check read the board
        assert await keeper.make_all_safe("idle", quiet_since=quiet_since) == {}
        assert jos_board.model.power["top_rail"] == pytest.approx(5.0)
        done = await keeper.make_all_safe("the server is stopping")
        assert "TOP_RAIL 5 V" in done["bench"]
        assert keeper.status(member)["last"].startswith("the server is stopping: rails and DACs to 0 V")
        assert keeper.idle_left() is None  # already safe: nothing to time until the next call
        assert await keeper.make_all_safe("again") == {}  # no call since: not sent twice
    assert_safe(jos_board)


async def test_a_board_table_can_opt_out_of_the_safe_state(tmp_path: Path, jos_board: VirtualBoard) -> None:
    """`safe_state = false` in `[boards.NAME]` leaves that board as it is; the others still go safe. A remote
    board's safe state is its own server's setting, so the key is refused there, naming it."""
    from jumperless_mcp.multiboard.federation import Federation
    from jumperless_mcp.multiboard.members import LocalMember
    from jumperless_mcp.serving.safe_shutdown import SafeKeeper

    second = VirtualBoard("jumperlos", fs_dir=tmp_path / "fs2").start()
    try:
        file = tmp_path / "config.toml"
        file.write_text(
            f'[boards.kept]\nport = "{jos_board.main_path}"\nsafe_state = false\n\n'
            f'[boards.made-safe]\nport = "{second.main_path}"\n'
        )
        config = settings.load({}, environ={}, path=file)
        kept, made_safe = config.boards
        assert (kept.config.safe_state, made_safe.config.safe_state) == (False, True)
        async with (
            Board(port_of(jos_board), timeout=5) as first_board,
            Board(port_of(second), timeout=5) as second_board,
        ):
            members = [
                LocalMember("kept", kept.config, board=first_board),
                LocalMember("made-safe", made_safe.config, board=second_board),
            ]
            keeper = SafeKeeper(Federation(members), config)
            assert [keeper.status(m)["armed"] for m in members] == [False, True]
            await energise(first_board)
            await energise(second_board)
            done = await keeper.make_all_safe("the server is stopping")
        assert list(done) == ["made-safe"]
        assert_safe(second)
        assert jos_board.model.power["top_rail"] == pytest.approx(RAISED["TOP_RAIL"])  # left as it was
    finally:
        second.stop()
    file.write_text('[boards.lab]\nurl = "http://lab:8765/mcp"\nsafe_state = false\n')
    with pytest.raises(ConfigError) as refused:
        settings.load({}, environ={}, path=file)
    assert refused.value.parameter == "boards.lab.safe_state" and "remote server" in str(refused.value)


async def test_a_board_dropped_from_the_configuration_is_made_safe_first(
    tmp_path: Path, jos_board: VirtualBoard
) -> None:
    """A config reload that no longer lists a board: the server leaves it, so it goes safe before it is closed.
    A board only reconfigured (the same name, a new limit) is left as it is."""
    from jumperless_mcp.multiboard.federation import Federation
    from jumperless_mcp.multiboard.members import LocalMember
    from jumperless_mcp.serving.safe_shutdown import safe_keeping
    from jumperless_mcp.settings.model import Config

    second = VirtualBoard("jumperlos", fs_dir=tmp_path / "fs2").start()
    try:
        config = Config(timeout=5.0, idle_safe_after=0.0)
        kept = LocalMember("kept", Config(port=jos_board.main_path, timeout=5.0))
        dropped = LocalMember("dropped", Config(port=second.main_path, timeout=5.0))
        federation = Federation([kept, dropped])
        await federation.start()
        try:
            async with safe_keeping(federation, config, track_clients=False):
                await energise(kept.board)
                await energise(dropped.board)
                await federation.replace_all([kept])
                assert_safe(second)  # made safe before it was closed
                assert jos_board.model.power["top_rail"] == pytest.approx(RAISED["TOP_RAIL"])
                reconfigured = LocalMember("kept", Config(port=jos_board.main_path, timeout=5.0, max_voltage=6.0))
                await federation.replace_all([reconfigured])
                assert jos_board.model.power["top_rail"] == pytest.approx(RAISED["TOP_RAIL"])  # the same board, kept
        finally:
            await federation.aclose()
    finally:
        second.stop()
