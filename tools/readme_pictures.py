"""Make the README's "See the signal" pictures on the virtual board (docs/*.png).

    python tools/readme_pictures.py

Each picture comes from the same path a user's call takes: `Board` over the virtual board's serial ports.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import anyio

from jumperless_mcp import Board
from jumperless_mcp.emulator import VirtualBoard

DOCS = Path(__file__).resolve().parent.parent / "docs"


async def jumperlos_pictures(vboard: VirtualBoard) -> None:
    async with Board(vboard.info()) as board:
        async with board.batch() as batch:  # the waveform generator's 100 Hz, 2 Vpp sine on DAC0
            batch.wavegen_set_output(0)
            batch.wavegen_set_wave(0)
            batch.wavegen_set_freq(100.0)
            batch.wavegen_set_amplitude(2.0)
            batch.wavegen_set_offset(1.5)
            batch.wavegen_start()
        for a, b in (("DAC0", "ADC0"), (5, 35), (12, 20), ("D13", 40)):
            assert (await board.connect(a, b)).ok
        await board.dac_set(1, 3.3)
        capture = await board.capture([0], rate=4000, samples=400)
        (DOCS / "capture.png").write_bytes(capture.png())
        (DOCS / "board.png").write_bytes(await board.board_picture())
        await board.oled_print("HI")
        (DOCS / "oled.png").write_bytes(await board.oled_picture(scale=4))


async def legacy_pictures(vboard: VirtualBoard) -> None:
    async with Board(vboard.info()) as board:  # the logic analyzer: 5.3.x firmware
        await board.pwm(1, 1000, 0.25)
        await board.pwm(2, 500, 0.5)
        capture = await board.logic_capture([1, 2], 20_000, 200, file_format="none")
        assert capture.png is not None
        (DOCS / "logic.png").write_bytes(capture.png)


async def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as fs:
        with VirtualBoard("jumperlos", fs_dir=f"{fs}/jos") as vboard:
            await jumperlos_pictures(vboard)
        with VirtualBoard("legacy", fs_dir=f"{fs}/legacy", time_scale=0.05) as vboard:
            await legacy_pictures(vboard)
    for name in ("capture", "logic", "board", "oled"):
        print(f"docs/{name}.png: {(DOCS / f'{name}.png').stat().st_size} bytes")


if __name__ == "__main__":
    anyio.run(main)
