"""`Board.open("emulator", parts=..., persona=...)`: a virtual board with parts, as a script author writes it.

`parts` is a parts TOML file, its parsed dict, or what `load_parts` returned; `persona` a virtual persona.
Bad values fail at `open`, before anything starts, naming the parameter and the allowed values.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from jumperless_mcp import ArgumentError, Board, SyncBoard
from jumperless_mcp.emulator import load_parts

ROOT = Path(__file__).resolve().parent.parent
DIVIDER = ROOT / "examples" / "divider.toml"  # 10k + 10k from row 10 via row 11 to GND: the tap reads half


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


async def _divider_tap(board: Board) -> float:
    await board.connect("TOP_RAIL", 10)
    await board.connect(11, "ADC0")
    await board.dac_set("TOP_RAIL", 5.0)
    return float(await board.adc_get(0))


@pytest.mark.parametrize("parts", ["path", "str", "loaded", "dict"])
def test_parts_in_every_form_reach_the_virtual_board(parts: str) -> None:
    given = {
        "path": DIVIDER,
        "str": str(DIVIDER),
        "loaded": load_parts(DIVIDER),
        "dict": {"resistor": [{"between": [10, 11], "ohms": "10k"}, {"between": [11, "GND"], "ohms": "10k"}]},
    }[parts]

    async def main() -> float:
        async with Board.open("emulator", parts=given) as board:
            return await _divider_tap(board)

    assert anyio.run(main) == pytest.approx(2.5, abs=0.1)


def test_persona_picks_the_firmware_and_combines_with_parts() -> None:
    async def main() -> tuple[str | None, float]:
        async with Board.open("emulator", persona="legacy", parts=DIVIDER, emulator_options={"time_scale": 0.05}) as b:
            return b.firmware, await _divider_tap(b)

    firmware, tap = anyio.run(main)
    assert firmware is not None and firmware.startswith("5.3") and tap == pytest.approx(2.5, abs=0.1)


def test_without_parts_the_tap_floats() -> None:
    with SyncBoard.open("emulator", persona="jumperlos-upstream") as board:
        assert board.virtual_board.persona.name == "jumperlos-upstream"
        board.connect("TOP_RAIL", 10)
        board.connect(11, "ADC0")
        board.dac_set("TOP_RAIL", 5.0)
        assert board.adc_get(0) == pytest.approx(0.0, abs=0.1)


def test_the_emulator_port_from_the_environment_takes_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_PORT", "emulator")
    board = Board.open(persona="legacy", parts=DIVIDER)
    assert board.target.persona == "legacy" and len(board._emulator_options["parts"]) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("target", "options", "parameter", "says"),
    [
        ("emulator", {"persona": "legacyy"}, "persona", "did you mean 'legacy'"),
        ("emulator", {"persona": 3}, "persona", "jumperlos, jumperlos-upstream, jumperlos-5.7.5, legacy"),
        ("emulator:legacy", {"persona": "jumperlos"}, "persona", "already names the persona 'legacy'"),
        ("auto", {"persona": "legacy"}, "persona", "only a virtual board"),
        ("/dev/ttyACM0", {"parts": DIVIDER}, "parts", "only a virtual board"),
        (None, {"parts": DIVIDER}, "parts", "emulator:legacy"),
        ("emulator", {"parts": "no-such-file.toml"}, "parts", "no-such-file.toml"),
        ("emulator", {"parts": 42}, "parts", "a parts TOML file path"),
        ("emulator", {"parts": ["R1"]}, "parts", "a list of parts from load_parts"),
        ("emulator", {"parts": {"resistor": [{"between": [1, 2], "ohms": "lots"}]}}, "parts", "cannot read"),
        ("emulator", {"parts": {"transistor": []}}, "parts", "unknown part kind"),
    ],
)
def test_bad_options_name_the_parameter_and_start_nothing(
    target: str | None, options: dict[str, object], parameter: str, says: str
) -> None:
    with pytest.raises(ArgumentError) as raised:
        Board.open(target, **options)
    assert raised.value.parameter == parameter
    assert says in str(raised.value)
