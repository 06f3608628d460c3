"""The virtual board's persona names, for host modules that only need to check or list them.

The personas themselves (firmware version, banner) are `jumperless_mcp.emulator.virtual_board.PERSONAS`. Host
modules such as `targets` and `board_config` do not import the emulator package for a name check: it loads the
whole virtual board, and its pseudo-terminal code imports `tty`/`termios`, which Windows lacks, where the host
must still run (the emulator is imported only when a virtual board starts). `tests/test_discovery.py` keeps
these names equal to the emulator's table.
"""

from __future__ import annotations

DEFAULT_PERSONA = "jumperlos"
EMULATOR_PERSONAS: tuple[str, ...] = ("jumperlos", "jumperlos-upstream", "jumperlos-5.7.5", "legacy")


def emulator_selectors(prefix: str = "") -> str:
    """The emulator port forms, for messages: `emulator, emulator:jumperlos-upstream, ..., emulator:legacy`."""
    forms = ["emulator"] + [f"emulator:{name}" for name in EMULATOR_PERSONAS if name != DEFAULT_PERSONA]
    return ", ".join(prefix + form for form in forms)
