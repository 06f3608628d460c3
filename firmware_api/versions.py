"""Firmware versions and the two families a host must tell apart (protocol §0, §7)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

VERSION_LINE = re.compile(r"Jumperless firmware version:\s*([0-9][0-9.]*)")


class Family(enum.Flag):
    """Firmware families whose serial protocol and Python module differ.

    LEGACY is the 5.3.x-5.5.x tree (no raw REPL, `>` echoes expressions);
    JUMPERLOS is 5.6.0 and later (raw REPL on the REPL port, get_state, overlays...).
    """

    LEGACY = enum.auto()
    JUMPERLOS = enum.auto()
    BOTH = LEGACY | JUMPERLOS


@dataclass(frozen=True, order=True)
class FirmwareVersion:
    """A dotted firmware version such as 5.7.0.13, compared numerically."""

    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> FirmwareVersion:
        cleaned = text.strip().strip(".")
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", cleaned):
            raise ValueError(f"not a firmware version: {text!r}")
        return cls(tuple(int(p) for p in cleaned.split(".")))

    @classmethod
    def from_banner(cls, text: str) -> FirmwareVersion | None:
        """Find `Jumperless firmware version: X` in a `?` reply; None if absent."""
        match = VERSION_LINE.search(text)
        return cls.parse(match.group(1)) if match else None

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts)

    @property
    def is_og(self) -> bool:
        """Major version 1 marks the RP2040 'OG' build of the same tree."""
        return self.parts[0] == 1

    def at_least(self, *parts: int) -> bool:
        return self.parts >= parts

    @property
    def family(self) -> Family:
        # OG builds (major 1) track JumperlOS's minor numbering.
        effective = (5, *self.parts[1:]) if self.is_og else self.parts
        return Family.JUMPERLOS if effective >= (5, 6) else Family.LEGACY

    @property
    def has_raw_repl(self) -> bool:
        return self.family is Family.JUMPERLOS

    @property
    def line_buffering_default(self) -> bool:
        """5.7.0.x turned CDC0 line buffering on by default."""
        effective = (5, *self.parts[1:]) if self.is_og else self.parts
        return effective >= (5, 7)
