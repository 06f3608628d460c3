"""SPI decoded from sampled lines: a clock, MOSI and/or MISO, and an optional chip select (active low).

The mode sets the clock's idle level (CPOL) and the edge data is sampled on (CPHA): modes 0 and 3 sample on the
rising edge, modes 1 and 2 on the falling edge. With a chip select, words start afresh at each select and bits
outside it are ignored; without one, words run on from the first clock edge. A word cut short by the end of a
select or of the capture is reported apart (`partial_bits`), not padded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jumperless_mcp.errors import ArgumentError

MODES = (0, 1, 2, 3)


@dataclass
class SpiFrame:
    """One chip select (or, without one, the whole capture)."""

    time_s: float
    mosi: list[int] = field(default_factory=list)
    miso: list[int] = field(default_factory=list)
    partial_bits: int = 0  # bits of an unfinished word at the end of the frame

    def as_dict(self) -> dict[str, object]:
        return {
            "time_s": round(self.time_s, 9),
            "mosi": self.mosi,
            "miso": self.miso,
            "partial_bits": self.partial_bits,
        }


def check_settings(mode: int, word_bits: int) -> None:
    if mode not in MODES:
        raise ArgumentError("spi_mode", repr(mode), "0, 1, 2 or 3")
    if isinstance(word_bits, bool) or not isinstance(word_bits, int) or not 4 <= word_bits <= 32:
        raise ArgumentError("spi_word_bits", repr(word_bits), "an integer 4..32")


def decode(
    clock: Sequence[int],
    rate_hz: float,
    *,
    mosi: Sequence[int] | None = None,
    miso: Sequence[int] | None = None,
    cs: Sequence[int] | None = None,
    mode: int = 0,
    word_bits: int = 8,
    lsb_first: bool = False,
) -> list[SpiFrame]:
    check_settings(mode, word_bits)
    sample_on_rising = mode in (0, 3)
    lines = {"mosi": mosi, "miso": miso}
    frames: list[SpiFrame] = []
    frame: SpiFrame | None = None if cs is not None and (not cs or cs[0] == 1) else SpiFrame(0.0)
    bits: dict[str, list[int]] = {"mosi": [], "miso": []}

    def close() -> None:
        if frame is not None:
            frame.partial_bits = len(bits["mosi"] or bits["miso"])
            frames.append(frame)

    for i in range(1, len(clock)):
        if cs is not None and cs[i - 1] != cs[i]:
            if cs[i] == 0:  # selected: a new frame
                frame, bits = SpiFrame(i / rate_hz), {"mosi": [], "miso": []}
            else:
                close()
                frame = None
        if frame is None:
            continue
        edge = clock[i - 1] == 0 and clock[i] == 1 if sample_on_rising else clock[i - 1] == 1 and clock[i] == 0
        if not edge:
            continue
        for name, line in lines.items():
            if line is None:
                continue
            bits[name].append(line[i])
            if len(bits[name]) == word_bits:
                ordered = reversed(bits[name]) if lsb_first else bits[name]
                value = 0
                for bit in ordered:
                    value = value << 1 | bit
                getattr(frame, name).append(value)
                bits[name] = []
    close()
    return frames
