"""A scripted person at a virtual board: waits for the OLED to ask for a part, pushes it in, confirms.

    with Person(vb, {"R1": ("resistor", (10, 12), "10k")}) as person:
        result = await board.guide_place("resistor", [10, 12], name="R1", value="10k")
    person.seen["R1"]  # what the board showed when the person acted: OLED text and overlays

The person watches the board model (not the host), so the test exercises the real path: the host's OLED and
overlay calls over the pty, the probe poll, and the part changing the circuit the measurements see.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jumperless_mcp.emulator import VirtualBoard

PartScript = tuple[str, tuple[Any, Any], Any] | tuple[str, tuple[Any, Any], Any, dict[str, Any]]


@dataclass
class Seen:
    oled: str
    overlays: list[Any]


@dataclass
class Person:
    board: VirtualBoard
    parts: dict[
        str, PartScript | None
    ]  # part name -> (kind, between, value[, extra parts-file fields]); None: don't place
    confirm: str = "touch"  # "touch" a row of the part, press "CONNECT", or "REMOVE" (cancel)
    delay: float = 0.0  # seconds to dawdle before acting (so progress notifications arrive meanwhile)
    seen: dict[str, Seen] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Person:
        self._thread = threading.Thread(target=self._run, name="person", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            text = self.board.oled_text()
            name = next((n for n in self.parts if f"Place {n}" in text and n not in self.seen), None)
            if name is None:
                time.sleep(0.02)
                continue
            with self.board.model.lock:
                self.seen[name] = Seen(text, [o for o in self.board.model.overlays])
            if self._stop.wait(self.delay):
                return
            self._act(name)

    def _act(self, name: str) -> None:
        script = self.parts[name]
        if script is not None:
            kind, between, value = script[:3]
            extra = script[3] if len(script) > 3 else {}
            self.board.place_part(kind, between, value, name=name, **extra)
            if self.confirm == "touch":
                self.board.probe.touch(between[1] if isinstance(between[1], int) else between[0])
                return
        self.board.probe.press("CONNECT" if self.confirm == "touch" else self.confirm)
