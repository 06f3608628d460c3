"""Median round trip of `print(adc_get(0))` on the virtual board, per channel, measured side by side."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from serial_clients import MainPortClient, RawRepl

from jumperless_mcp.emulator import VirtualBoard


def median_ms(call: Callable[[], object], repeats: int) -> float:
    call()  # warm up
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def one_liner(main: MainPortClient, counter: list[int]) -> None:
    counter[0] += 1
    tag = f"b{counter[0]}"
    main.send(f">print('\\x02'+'{tag}');print(adc_get(0));print('{tag}'+'\\x03')\n".encode())
    main.read_until(f"{tag}\x03".encode(), timeout=10)


def main() -> None:
    results: dict[str, float] = {}
    with VirtualBoard("jumperlos") as board:
        with RawRepl(board.repl_path) as repl:  # type: ignore[arg-type]
            results["raw REPL (JumperlOS)"] = median_ms(lambda: repl.exec("print(adc_get(0))"), 200)
        with MainPortClient(board.main_path) as main:
            main.send(b"\x0f")
            counter = [0]
            results["main-port > (JumperlOS)"] = median_ms(lambda: one_liner(main, counter), 100)
    for scale in (0.05, 1.0):
        with VirtualBoard("legacy", time_scale=scale) as board, MainPortClient(board.main_path) as main:
            counter = [0]
            results[f"main-port > (legacy, time scale {scale})"] = median_ms(
                lambda main=main, counter=counter: one_liner(main, counter), 5 if scale == 1.0 else 30
            )
    base = results["raw REPL (JumperlOS)"]
    print(f"{'channel':45} {'median ms':>10} {'x raw REPL':>11}")
    for name, value in results.items():
        print(f"{name:45} {value:10.2f} {value / base:11.1f}")


if __name__ == "__main__":
    main()
