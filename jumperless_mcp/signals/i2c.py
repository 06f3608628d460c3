"""I2C decoded from two sampled lines (SCL, SDA): start and stop conditions, the address byte, data bytes, ACKs.

A start (or repeated start) is SDA falling while SCL stays high, a stop is SDA rising while SCL stays high; every
bit is SDA at SCL's rising edge, nine per byte (the ninth is the receiver's ACK, low). The sample rate must give
SCL's high and low phases at least one sample each, so it needs at least 4 samples per SCL period to be safe.
7-bit addresses; a 10-bit address header (11110xx) is shown as its two bytes, not combined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class I2cTransfer:
    """One start .. (repeated start | stop | end of capture)."""

    time_s: float
    address: int | None = None  # 7-bit address; None when the capture ended inside the address byte
    read: bool = False
    address_ack: bool = False
    data: list[int] = field(default_factory=list)
    acks: list[bool] = field(default_factory=list)  # one per data byte: True = ACK (SDA low)
    stopped: bool = False  # ended by a stop condition (False: a repeated start or the end of the capture)

    def as_dict(self) -> dict[str, object]:
        return {
            "time_s": round(self.time_s, 9),
            "address": None if self.address is None else f"0x{self.address:02x}",
            "read": self.read,
            "address_ack": self.address_ack,
            "data": self.data,
            "acks": self.acks,
            "stopped": self.stopped,
        }


def decode(scl: Sequence[int], sda: Sequence[int], rate_hz: float) -> list[I2cTransfer]:
    """The transfers found in the samples, in order (bits before the first start are ignored)."""
    transfers: list[I2cTransfer] = []
    current: I2cTransfer | None = None
    bits: list[int] = []
    for i in range(1, min(len(scl), len(sda))):
        scl_steady_high = scl[i - 1] == 1 and scl[i] == 1
        if scl_steady_high and sda[i - 1] != sda[i]:
            if current is not None:
                transfers.append(current)
            if sda[i] == 0:  # start or repeated start
                current, bits = I2cTransfer(i / rate_hz), []
            else:  # stop
                if current is not None:
                    current.stopped = True
                current, bits = None, []
            continue
        if current is None or not (scl[i - 1] == 0 and scl[i] == 1):
            continue
        bits.append(sda[i])
        if len(bits) < 9:
            continue
        value = sum(bit << (7 - k) for k, bit in enumerate(bits[:8]))
        ack = bits[8] == 0
        bits = []
        if current.address is None:
            current.address, current.read, current.address_ack = value >> 1, bool(value & 1), ack
        else:
            current.data.append(value)
            current.acks.append(ack)
    if current is not None:
        transfers.append(current)
    return transfers


def as_text(transfers: Sequence[I2cTransfer]) -> str:
    """One line per transfer: `W 0x3c ACK: 00 af NACK` (a NACK after a byte is written after it)."""
    lines = []
    for transfer in transfers:
        if transfer.address is None:
            lines.append("start, then the capture ended")
            continue
        words = [
            f"{'R' if transfer.read else 'W'} 0x{transfer.address:02x} {'ACK' if transfer.address_ack else 'NACK'}"
        ]
        data = [
            f"{value:02x}" + ("" if ack else " NACK") for value, ack in zip(transfer.data, transfer.acks, strict=True)
        ]
        lines.append(words[0] + (": " + " ".join(data) if data else "") + ("" if transfer.stopped else " (no stop)"))
    return "\n".join(lines)
