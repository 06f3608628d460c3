"""UART decoded from one sampled line: idle high, a start bit, data bits LSB first, optional parity, stop bits.

Each frame is found at a falling edge and read at the middle of every bit, so it needs at least 4 samples per bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jumperless_mcp.errors import ArgumentError

PARITIES = ("none", "even", "odd")
MIN_SAMPLES_PER_BIT = 4


@dataclass(frozen=True)
class UartFrame:
    time_s: float
    value: int
    ok: bool  # stop bit(s) high and parity right
    problem: str | None = None


def check_settings(baud: int, rate_hz: float, data_bits: int = 8, parity: str = "none", stop_bits: int = 1) -> None:
    if not 5 <= data_bits <= 9:
        raise ArgumentError("uart_data_bits", f"{data_bits} is not 5-9", "5, 6, 7, 8 or 9")
    if parity not in PARITIES:
        raise ArgumentError("uart_parity", repr(parity), ", ".join(PARITIES))
    if stop_bits not in (1, 2):
        raise ArgumentError("uart_stop_bits", str(stop_bits), "1 or 2")
    if baud <= 0 or rate_hz / baud < MIN_SAMPLES_PER_BIT:
        raise ArgumentError(
            "uart_baud",
            f"{baud} baud at {rate_hz:g} samples/s leaves under {MIN_SAMPLES_PER_BIT} samples per bit",
            f"1..{int(rate_hz // MIN_SAMPLES_PER_BIT)} at this sample rate (or raise sample_rate_hz)",
        )


def decode(
    levels: Sequence[int],
    rate_hz: float,
    baud: int,
    data_bits: int = 8,
    parity: str = "none",
    stop_bits: int = 1,
) -> list[UartFrame]:
    check_settings(baud, rate_hz, data_bits, parity, stop_bits)
    per_bit = rate_hz / baud
    frame_bits = 1 + data_bits + (parity != "none") + stop_bits
    frames: list[UartFrame] = []
    i, n = 1, len(levels)
    while i < n:
        if not (levels[i - 1] == 1 and levels[i] == 0):
            i += 1
            continue
        start = i - 0.5  # the edge lies between the two samples

        def at(bit: int, start: float = start) -> int | None:
            index = int(start + (bit + 0.5) * per_bit)
            return levels[index] if index < n else None

        if at(frame_bits - 1) is None:
            break  # a frame cut off by the end of the capture
        if at(0) != 0:
            i += 1  # a glitch, not a start bit
            continue
        value = sum(int(at(1 + k) or 0) << k for k in range(data_bits))
        problem = None
        if parity != "none":
            ones = bin(value).count("1") + int(at(1 + data_bits) or 0)
            if ones % 2 != (0 if parity == "even" else 1):
                problem = "parity error"
        first_stop = 1 + data_bits + (parity != "none")
        if any(at(first_stop + k) != 1 for k in range(stop_bits)):
            problem = problem or "framing error (stop bit low)"
        frames.append(UartFrame(start / rate_hz, value, problem is None, problem))
        i = int(start + (frame_bits - 0.5) * per_bit) + 1  # inside the stop bit: look for the next start
    return frames


def as_text(frames: Sequence[UartFrame]) -> str:
    """The bytes as text, non-printables escaped (\\xNN)."""
    out = []
    for frame in frames:
        ch = chr(frame.value)
        out.append(ch if 32 <= frame.value < 127 else f"\\x{frame.value:02x}")
    return "".join(out)
