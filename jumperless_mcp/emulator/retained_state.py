"""State the firmware keeps in C, outside the VM: it survives a soft reset (not a power cycle).

The board (`board.BoardModel`) holds one of each; the function groups that expose them to scripts
(`logic_analyzer`, `usb_audio`, `oled_screens`) need the board, so the state lives here, below both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCREEN_POOL = 8  # assumed: OledGui's number of screens (its source is not in the reference)


@dataclass
class AnalyzerSettings:
    """LogicAnalyzer's fields the Python API sets (LogicAnalyzer.h :35-38); running = getIsRunning()."""

    sample_rate_hz: int = 0
    num_samples: int = 0
    d_mask: int = 0
    a_mask: int = 0
    running: bool = False


@dataclass
class AudioSettings:
    """Upstream JumperlOS's USB audio settings (usb_audio_setup, usb_audio_set_rate, usb_audio_set_range)."""

    enabled: bool = False
    left: int = 0
    right: int = 1
    full_scale: float = 8.0
    dc_block: bool = True
    sample_rate: int = 16_000


@dataclass
class Element:
    kind: str  # "text" or "shape"
    props: dict[str, int | str] = field(default_factory=dict)


@dataclass
class Screens:
    """The OledGui state: screens are 1-based handles (0 = none left), an element is `(screen << 8) | index`."""

    screens: dict[int, list[Element]] = field(default_factory=dict)
    active: int | None = None
    persistent: int | None = None
    variables: dict[str, str | float] = field(default_factory=dict)

    def new(self) -> int:
        free = next((h for h in range(1, SCREEN_POOL + 1) if h not in self.screens), 0)
        if free:
            self.screens[free] = []
        return free

    def element(self, handle: int) -> Element | None:
        elements = self.screens.get((handle >> 8) & 0xFF) if handle >= 0 else None
        index = handle & 0xFF
        return elements[index] if elements is not None and index < len(elements) else None

    def add(self, screen: int, element: Element) -> int:
        elements = self.screens.get(screen)
        if elements is None or len(elements) > 0xFF:
            return -1
        elements.append(element)
        return (screen << 8) | (len(elements) - 1)
