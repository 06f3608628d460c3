"""JumperlOS's retained OLED screens (oled_screen, oled_add_text, oled_set, ...): handles and element lists.

The C bridge is JOS `src/JumperlessMicroPythonAPI.cpp` :1880-2010 over OledGui, whose source is not in the
reference: screens are 1-based handles (0 = none left), an element handle is `(screen << 8) | index`, and
-1 means "no such screen". The model keeps what a script can observe through the API (handles, element
properties, the active screen, saved files). The shown screen's visible text elements are drawn into the
framebuffer (`oled_font`, our own font: an element's `size` is its height in pixels, 8 per 6x8 cell step; x/y its
top-left corner; shapes and alignment are not drawn, OledGui's rendering being unknown).
Assumed where OledGui is unknown: a pool of 8 screens, the property names the vendor stub lists
(`scripts/jumperless.pyi` oled_set: text/font strings; x/y/w/h/z/size/visible/anchor/halign/valign/shape/
filled integers, plus `box` from `oledgui.py`), and our own JSON layout for /screens/<name>.json.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from jumperless_mcp.emulator import oled_font, strict
from jumperless_mcp.emulator.filesystem import BoardFiles
from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.retained_state import Element, Screens

STRING_PROPS = frozenset({"text", "font"})
INT_PROPS = frozenset({"x", "y", "w", "h", "z", "size", "visible", "anchor", "halign", "valign", "shape", "filled",
                       "box"})  # fmt: skip


class OledScreenFunctions(FunctionGroup):
    """The flat retained-screen API of JumperlOS (JOS mjc :3380-3560)."""

    @property
    def _screens(self) -> Screens:
        return self.board.oled_screens

    def oled_screen(self) -> int:
        return self._screens.new()

    def oled_screen_free(self, screen: int) -> None:
        self._screens.screens.pop(screen, None)
        if self._screens.active == screen:
            self._screens.active = None
        if self._screens.persistent == screen:
            self._screens.persistent = None

    def oled_screen_clear(self, screen: int) -> None:
        if screen in self._screens.screens:
            self._screens.screens[screen].clear()
            if screen == self._screens.active:
                self._render()

    def oled_screen_show(self, screen: int, persist: bool = False) -> bool:
        if screen not in self._screens.screens:
            return False
        self._screens.active = screen
        self._screens.persistent = screen if persist else self._screens.persistent
        self._render()
        return True

    def oled_screen_hide(self) -> None:
        """Forget the idle screen, stop rendering and blank the panel (API :1927)."""
        self._screens.active = self._screens.persistent = None
        self._blank()

    def oled_screen_reset(self) -> None:
        """Free every screen and blank the panel (API :1935, oledGuiShutdownAll)."""
        self._screens.screens.clear()
        self._screens.active = self._screens.persistent = None
        self._blank()

    def _render(self) -> None:
        """Draw the shown screen's visible text elements, lowest z first, over a cleared display."""
        elements = self._screens.screens.get(self._screens.active or 0)
        oled = self.board.oled
        if elements is None or not oled.connected:
            return
        with self.board.lock:
            oled.pixels[:] = bytes(len(oled.pixels))
            for element in sorted(elements, key=lambda e: int(e.props.get("z", 0))):
                props = element.props
                if element.kind != "text" or not int(props.get("visible", 1)):
                    continue
                scale = max(1, round(int(props.get("size", 8)) / oled_font.CELL_H))
                oled_font.draw_at(oled.pixels, oled.width, oled.height, str(props.get("text", "")),
                                  int(props.get("x", 0)), int(props.get("y", 0)), scale)  # fmt: skip

    def _blank(self) -> None:
        with self.board.lock:
            self.board.oled.text = ""
            self.board.oled.pixels[:] = bytes(len(self.board.oled.pixels))

    @strict.keyword_args(
        strict.KwArg("screen", "int", 0, required=True),
        strict.KwArg("text", "obj", None, required=True),
        strict.KwArg("x", "int", 0),
        strict.KwArg("y", "int", 0),
        strict.KwArg("font", "obj", None),
        strict.KwArg("size", "int", 8),
        strict.KwArg("halign", "int", -1),
        strict.KwArg("valign", "int", -1),
        strict.KwArg("z", "int", 0),
    )
    def oled_add_text(self, screen: int, text: object, x: int, y: int, font: object, size: int, halign: int,
                      valign: int, z: int) -> int:  # fmt: skip
        words = strict.get_str(text)
        family = "Pragmatism" if font is None else strict.get_str(font)
        if screen not in self._screens.screens:
            return -1
        props: dict[str, int | str] = {"text": words, "x": x, "y": y, "font": family, "size": size if size > 0 else 8,
                                       "z": z, "visible": 1}  # fmt: skip
        if halign >= 0 and valign >= 0:
            props.update(halign=halign & 3, valign=valign & 3, anchor=1)
        handle = self._screens.add(screen, Element("text", props))
        if screen == self._screens.active:
            self._render()
        return handle

    @strict.keyword_args(
        strict.KwArg("screen", "int", 0, required=True),
        strict.KwArg("kind", "int", 1),
        strict.KwArg("x", "int", 0),
        strict.KwArg("y", "int", 0),
        strict.KwArg("w", "int", 0),
        strict.KwArg("h", "int", 0),
        strict.KwArg("filled", "int", 0),
        strict.KwArg("z", "int", 0),
    )
    def oled_add_shape(self, screen: int, kind: int, x: int, y: int, w: int, h: int, filled: int, z: int) -> int:
        if screen not in self._screens.screens:
            return -1
        props: dict[str, int | str] = {"shape": kind & 3, "x": x, "y": y, "w": w, "h": h, "filled": int(filled != 0),
                                       "z": z, "visible": 1}  # fmt: skip
        return self._screens.add(screen, Element("shape", props))

    def oled_set(self, elem: int, prop: str, value: object) -> bool:
        """A str value sets a string property, anything else goes through mp_obj_get_int (mjc :3496)."""
        if isinstance(value, str):
            setting: int | str = value
            allowed = STRING_PROPS
        else:
            setting = strict.get_int(value)
            allowed = INT_PROPS
        element = self._screens.element(elem)
        if element is None or prop not in allowed:
            return False
        element.props[prop] = setting
        if (elem >> 8) & 0xFF == self._screens.active:
            self._render()
        return True

    def oled_set_var(self, name: str, value: object) -> None:
        """Strings are kept verbatim, anything else as a float (mp_obj_get_float, mjc :3510)."""
        self._screens.variables[name] = value if isinstance(value, str) else strict.get_float(value)

    def oled_screen_save(self, screen: int, name: str) -> bool:
        elements = self._screens.screens.get(screen)
        if elements is None:
            return False
        files = BoardFiles(self.board.fs_root)
        return files.write_text(f"/screens/{name}.json", json.dumps([asdict(e) for e in elements]))

    def oled_screen_load(self, name: str) -> int:
        text = BoardFiles(self.board.fs_root).read_text(f"/screens/{name}.json")
        try:
            saved = json.loads(text) if text is not None else None
            elements = [Element(str(item["kind"]), dict(item["props"])) for item in saved]  # type: ignore[union-attr]
        except (ValueError, TypeError, KeyError):
            return 0
        handle = self._screens.new()
        if handle:
            self._screens.screens[handle] = elements
        return handle
