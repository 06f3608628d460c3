"""The firmware's bool-like return types, as host-side enums (protocol §4.1).

Each member's name is what the firmware prints; its value is what `int()` of
the firmware object gives. Both families share them, with two differences in
how a pull prints: JumperlOS prints the empty pull as NO_PULL, and 5.3.x
prints both the empty pull and the bus keeper as NONE (V5 mjc
`gpio_pull_print` :623 knows only 1, -1 and "else"), so a 5.3.x read-back of
NONE cannot tell the two apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from firmware_api.versions import Family


class GPIOState(enum.IntEnum):
    LOW = 0
    HIGH = 1
    FLOATING = 2

    def __bool__(self) -> bool:
        return self is GPIOState.HIGH


class GPIODirection(enum.IntEnum):
    """JumperlOS numbers OUTPUT as 0 and INPUT as 1 (its gpio_set_dir convention)."""

    OUTPUT = 0
    INPUT = 1


class GPIOPull(enum.IntEnum):
    PULLDOWN = -1
    NONE = 0
    PULLUP = 1
    BUS_KEEPER = 2

    def printed(self, family: Family) -> str:
        """The repr the given firmware family prints for this pull."""
        if self is GPIOPull.NONE and family is Family.JUMPERLOS:
            return "NO_PULL"
        if self is GPIOPull.BUS_KEEPER and family is Family.LEGACY:
            return "NONE"  # V5 mjc gpio_pull_print :623
        return self.name

    def read_back(self, family: Family) -> frozenset[GPIOPull]:
        """Every pull that prints like this one on `family`: what a read-back of it may really be."""
        return frozenset(pull for pull in GPIOPull if pull.printed(family) == self.printed(family))


class ProbeButton(enum.IntEnum):
    NONE = 0
    CONNECT = 1
    REMOVE = 2


@dataclass(frozen=True)
class ProbePad:
    """The pad the probe touched: a row (printed `12` on 5.3.x, `PAD_12` on JumperlOS), a named pad, or nothing."""

    name: str
    row: int | None = None

    @property
    def touched(self) -> bool:
        return self.name != "NO_PAD"

    def __str__(self) -> str:
        return self.name


NO_PAD = ProbePad("NO_PAD")
