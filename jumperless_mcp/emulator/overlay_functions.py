"""The firmware's LED overlay functions (overlay_*): named rectangles of colours over the breadboard rows.

JOS mjc :5915-6027. Overlays live on the board (`BoardModel.overlays`); `get_state` serializes them too.
"""

from __future__ import annotations

from collections.abc import Callable

from jumperless_mcp.emulator import state_json, strict
from jumperless_mcp.emulator.board import Overlay
from jumperless_mcp.emulator.function_group import FunctionGroup


class OverlayFunctions(FunctionGroup):
    """overlay_set, overlay_clear(_all), overlay_set_pixel, overlay_count, overlay_shift/place/serialize."""

    def overlay_set(self, name: str, x: int, y: int, height: int, width: int, colors: object) -> int:
        flat: list[int] = []
        wanted = width * height
        for item in strict.get_array(colors):
            row = strict.get_array(item) if isinstance(item, (list, tuple)) else [item]
            for color in row:
                value = strict.get_int(color) & 0xFFFFFFFF
                if len(flat) < wanted:
                    flat.append(value)
        if len(flat) < wanted:
            raise ValueError("Color array too small")
        if not (1 <= y <= 10 and 1 <= x <= 30 and 1 <= width <= 30 and 1 <= height <= 10):
            return -1
        overlay = Overlay(name, y, x, width, height, flat)
        existing = [i for i, o in enumerate(self.board.overlays) if o.name == overlay.name]
        if existing:
            self.board.overlays[existing[0]] = overlay
            return existing[0]
        self.board.overlays.append(overlay)
        return len(self.board.overlays) - 1

    def overlay_clear(self, name: str) -> int:
        before = len(self.board.overlays)
        self.board.overlays = [o for o in self.board.overlays if o.name != name]
        return int(len(self.board.overlays) < before)

    def overlay_clear_all(self) -> None:
        self.board.overlays.clear()

    def overlay_set_pixel(self, x: int, y: int, color: int) -> None:
        direct = next((o for o in self.board.overlays if o.name == "_DIRECT_PIXELS_"), None)
        if direct is None:
            direct = Overlay("_DIRECT_PIXELS_", 1, 1, 30, 10, [0] * 300)
            self.board.overlays.append(direct)
        if 1 <= x <= 30 and 1 <= y <= 10:
            direct.colors[(y - 1) * 30 + (x - 1)] = color & 0xFFFFFFFF

    def overlay_count(self) -> int:
        return len(self.board.overlays)

    def _move_overlay(self, name: str, row: Callable[[int], int], col: Callable[[int], int]) -> int:
        overlay = next((o for o in self.board.overlays if o.name == name), None)
        if overlay is None:
            return 0
        overlay.row = (row(overlay.row) - 1) % 10 + 1
        overlay.col = (col(overlay.col) - 1) % 30 + 1
        return 1

    def overlay_shift(self, name: str, dx: int, dy: int) -> int:
        return self._move_overlay(name, lambda r: r + dy, lambda c: c + dx)

    def overlay_place(self, name: str, x: int, y: int) -> int:
        return self._move_overlay(name, lambda r: y, lambda c: x)

    def overlay_serialize(self) -> str:
        body = ",".join("\n    " + state_json.overlay_json(o) for o in self.board.overlays)
        return '  "overlays": [' + body + "\n  ]"
