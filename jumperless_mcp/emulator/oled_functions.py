"""The firmware's OLED functions: printing, the framebuffer, fonts and bitmaps on the 128x32 display.

JumperlOS: JOS mjc :3134-3380 over `src/JumperlessMicroPythonAPI.cpp` :1690-1880. 5.3.x: V5 mjc :1647-1760
over V5 API :670-706 (oled_print takes one value and a size, no keywords; oled_clear takes nothing).
The model keeps printed text as text (`Oled.text`) and draws it into the pixel framebuffer (`oled_font`: our own
font in the Adafruit GFX 6x8 cell per text size; the firmware's font is not in the reference).
"""

from __future__ import annotations

from firmware_api.versions import Family
from jumperless_mcp.emulator import oled_font, strict
from jumperless_mcp.emulator.filesystem import BoardFiles
from jumperless_mcp.emulator.floats import to_float32
from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.fwtypes import (
    ConnectionStateObject,
    GPIODirectionObject,
    GPIOPullObject,
    GPIOStateObject,
    NodeObject,
    ProbeButtonObject,
    ProbePadObject,
)
from jumperless_mcp.emulator.reprs import mp_str

FONTS = ("Eurostile", "Jokerman", "Comic Sans", "Courier New", "New Science", "New Science Ext", "Andale Mono",
         "Free Mono", "Iosevka Regular", "Berkeley Mono", "Pragmatism")  # fmt: skip  # jl_oled_get_fonts (API :1767)
RAW_BITMAP_SIZES = {512: (128, 32), 1024: (128, 64)}  # the sizes the vendor stub names for oled_load_bitmap


class OledFunctions(FunctionGroup):
    """oled_print, oled_clear, the framebuffer, fonts and bitmaps."""

    @property
    def _connected(self) -> bool:
        return self.board.oled.connected

    # --- text ------------------------------------------------------------------------------------------
    @strict.keyword_args(
        strict.KwArg("sep", "obj", None, kw_only=True),
        strict.KwArg("end", "obj", None, kw_only=True),
        strict.KwArg("size", "int", -1, kw_only=True),
        print_style=True,
    )
    @strict.converts_itself(1)
    def oled_print(self, *values: object, sep: object = None, end: object = None, size: int = -1,
                   keywords_used: int = 0) -> None:  # fmt: skip
        if self.family is Family.LEGACY:
            self._print_legacy(*values)
            return
        if sep is not None and not isinstance(sep, str):
            raise TypeError("sep must be str or None")
        if end is not None and not isinstance(end, str):
            raise TypeError("end must be str or None")
        if keywords_used == 0 and len(values) == 2 and isinstance(values[1], int) and not isinstance(values[1], bool):
            values, size = values[:1], strict.get_int(values[1])  # oled_print(text, size): mjc :3170
        text = (" " if sep is None else sep).join(mp_str(v, self.family) for v in values) + (end or "")
        self._show_text(text, self.board.oled.default_size if size == -1 else size, scroll=size == 0)

    def _print_legacy(self, value: object, size: object = 2) -> None:
        """V5 mjc :1647: one value shown by type; a type it does not know prints to the stream and shows ???."""
        text = _legacy_text(value)
        if text is None:
            self.ctx.write(str(value))
            text = "???"
        self._show_text(text, strict.get_int(size), scroll=False)

    def _show_text(self, text: str, size: int, scroll: bool) -> None:
        oled = self.board.oled
        if not oled.connected:
            return
        with self.board.lock:
            if scroll:  # showMultiLineSmallText: small text scrolls, appending
                oled.text = (oled.text + "\n" + text).strip("\n") if oled.text else text
                oled.text_size = 0
                oled_font.draw_scrolling(oled.pixels, oled.width, oled.height, oled.text.split("\n"))
            else:  # clearPrintShow: the display shows only this text
                oled.text, oled.text_size = text, size
                oled_font.draw_centered(oled.pixels, oled.width, oled.height, text, size)

    def oled_clear(self, show: bool = True) -> None:
        if not self._connected:
            return
        with self.board.lock:
            self.board.oled.text = ""
            self.board.oled.pixels[:] = bytes(len(self.board.oled.pixels))

    def oled_show(self) -> None:
        pass  # the framebuffer is always "shown" on the virtual board

    def oled_connect(self) -> None:
        self.board.oled.connected = True

    def oled_disconnect(self) -> None:
        self.board.oled.connected = False

    def oled_set_text_size(self, size: int) -> bool:
        """JOS API :1743: 0-2 sets the default size oled_print uses; whether a display is attached or not."""
        if not 0 <= size <= 2:
            return False
        self.board.oled.default_size = size
        return True

    def oled_get_text_size(self) -> int:
        return self.board.oled.default_size

    def oled_copy_print(self, enable: bool) -> None:
        self.board.oled.copy_print = enable  # print() output is not mirrored on the virtual display

    # --- fonts -----------------------------------------------------------------------------------------
    def oled_get_fonts(self) -> list[str]:
        return list(FONTS)

    def oled_set_font(self, font: str) -> bool:
        """JOS API :1776: trimmed, not empty, a known family (matched without case here); no display needed."""
        wanted = font.strip().lower()
        match = next((name for name in FONTS if name.lower() == wanted), None)
        if match is None:
            return False
        self.board.oled.font = match
        return True

    def oled_get_current_font(self) -> str:
        return self.board.oled.font if self._connected else ""

    # --- bitmaps (JOS API :1800-1830) ---------------------------------------------------------------------
    def oled_load_bitmap(self, path: str) -> bool:
        """Raw files of 512 or 1024 bytes (128x32, 128x64), rows of MSB-first bits (drawBitmap order)."""
        try:
            data = BoardFiles(self.board.fs_root).host_path(path).read_bytes()
        except OSError:
            return False
        if len(data) not in RAW_BITMAP_SIZES:
            return False
        self.board.oled.bitmap = (*RAW_BITMAP_SIZES[len(data)], data)
        return True

    @strict.converts_itself(4)
    def oled_display_bitmap(self, x: int, y: int, width: int, height: int, data: object = None) -> bool:
        given = b"" if data is None else _buffer(data)
        if not self._connected:
            return False
        if given:
            self._draw_bitmap(x, y, width, height, given)
        elif self.board.oled.bitmap is not None:
            self._draw_bitmap(x, y, *self.board.oled.bitmap)
        else:
            return False
        return True

    def oled_show_bitmap_file(self, path: str, x: int, y: int) -> bool:
        return self.oled_load_bitmap(path) and self.oled_display_bitmap(x, y, 0, 0)

    def _draw_bitmap(self, x: int, y: int, width: int, height: int, data: bytes) -> None:
        """Adafruit GFX drawBitmap: set pixels where a bit is 1, leave the rest."""
        row_bytes = (width + 7) // 8
        with self.board.lock:
            for j in range(height):
                for i in range(width):
                    index = j * row_bytes + i // 8
                    if index < len(data) and data[index] & (0x80 >> (i & 7)):
                        self._pixel(x + i, y + j, 1)

    # --- the framebuffer (JOS API :1831-1880) ------------------------------------------------------------
    def oled_get_framebuffer(self) -> bytes | None:
        return bytes(self.board.oled.pixels) if self._connected else None

    def oled_set_framebuffer(self, data: object) -> bool:
        raw = _buffer(data)
        if not self._connected or len(raw) != len(self.board.oled.pixels):
            return False
        self.board.oled.pixels[:] = raw
        return True

    def oled_get_framebuffer_size(self) -> tuple[int, int, int]:
        oled = self.board.oled
        return (oled.width, oled.height, len(oled.pixels)) if oled.connected else (0, 0, 0)

    def oled_set_pixel(self, x: int, y: int, color: int) -> bool:
        if not self._connected:
            return False
        self._pixel(x, y, color)
        return True  # drawPixel ignores pixels off the display; the call still succeeds

    def oled_get_pixel(self, x: int, y: int) -> int:
        oled = self.board.oled
        if not oled.connected:
            return -1
        if not (0 <= x < oled.width and 0 <= y < oled.height):
            return 0  # Adafruit_SSD1306::getPixel: false outside the display
        return int(bool(oled.pixels[x + (y // 8) * oled.width] & (1 << (y % 8))))

    def _pixel(self, x: int, y: int, color: int) -> None:
        """Adafruit_SSD1306::drawPixel: 1 WHITE sets, 0 BLACK clears, 2 INVERSE toggles, others do nothing."""
        oled = self.board.oled
        if not (0 <= x < oled.width and 0 <= y < oled.height):
            return
        index, bit = x + (y // 8) * oled.width, 1 << (y % 8)
        if color == 1:
            oled.pixels[index] |= bit
        elif color == 0:
            oled.pixels[index] &= ~bit & 0xFF
        elif color == 2:
            oled.pixels[index] ^= bit


def _legacy_text(value: object) -> str | None:
    """V5 oled_print's type dispatch (mjc :1652-1724); None for a type it shows as ???."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, NodeObject):
        return str(value) or str(value.value)
    if isinstance(value, (GPIOStateObject, GPIODirectionObject, ConnectionStateObject, ProbePadObject)):
        return str(value)
    if isinstance(value, GPIOPullObject):
        return {1: "PULLUP", -1: "PULLDOWN"}.get(value.value, "NONE")
    if isinstance(value, ProbeButtonObject):
        return {1: "CONNECT", 2: "REMOVE"}.get(value.value, "NONE")
    if isinstance(value, float):
        return f"{to_float32(value):.3f}"
    if isinstance(value, bool):
        return "True" if value else "False"
    return None


def _buffer(data: object) -> bytes:
    """mp_get_buffer_raise(MP_BUFFER_READ): bytes-like objects, and str (its UTF-8 bytes)."""
    if isinstance(data, str):
        return data.encode("utf-8", errors="surrogateescape")
    try:
        return bytes(memoryview(data))  # type: ignore[arg-type]
    except TypeError:
        raise TypeError("object with buffer protocol required") from None
