"""The 128x32 OLED: print text, clear it, and read the framebuffer back as text art (JumperlOS)."""

from __future__ import annotations

from typing import Any

from firmware_api.versions import Family
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import INTEGER, STRING, ToolSpec, choice, integer, text

SUBSYSTEM = "oled"
MAX_TEXT = 100  # the display shows far less; the quoted call must also fit the one-line channels
DEFAULT_SIZE = 2
OPTIONAL_BOOLEAN = {"type": ["boolean", "null"]}
OPTIONAL_INTEGER = {"type": ["integer", "null"]}
BLOCKS = {(0, 0): " ", (1, 0): "\u2580", (0, 1): "\u2584", (1, 1): "\u2588"}  # (top, bottom) pixel -> character
DISCONNECTED = (
    "the OLED is not connected (the firmware reports no display); check the OLED cable, or connect it from the "
    "board's menu, then try again"
)


def _connected(size: object) -> bool:
    """oled_get_framebuffer_size() is (width, height, bytes), (0, 0, 0) or None when no display is attached."""
    return isinstance(size, (tuple, list)) and len(size) >= 2 and int(size[0]) > 0 and int(size[1]) > 0


async def _print(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    message, size = args["text"], args["size"]
    if await ctx.board._family() is Family.LEGACY:
        await ctx.board.oled_print(message, size)
        return {"text": message, "size": size, "text_size": None, "connected": None}
    async with ctx.board.batch() as batch:
        batch.oled_print(message, size)  # the size is always sent: omitted, JumperlOS would use its own default
        text_size = batch.oled_get_text_size()
        fb_size = batch.oled_get_framebuffer_size()
    if not _connected(fb_size.value):
        raise ToolFailure(f"{DISCONNECTED}; the text was not shown", "oled_disconnected", True)
    return {"text": message, "size": size, "text_size": text_size.value, "connected": True}


async def _clear(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    if await ctx.board._family() is Family.LEGACY:
        await ctx.board.oled_clear()
        return {"connected": None, "message": "cleared (5.3.x cannot tell whether a display is attached)"}
    async with ctx.board.batch() as batch:
        batch.oled_clear()
        fb_size = batch.oled_get_framebuffer_size()
    if not _connected(fb_size.value):
        raise ToolFailure(DISCONNECTED, "oled_disconnected", True)
    return {"connected": True, "message": "cleared"}


async def _read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        frame = batch.oled_get_framebuffer()
        fb_size = batch.oled_get_framebuffer_size()
        text_size = batch.oled_get_text_size()
    data = frame.value
    if data is None or not _connected(fb_size.value):
        raise ToolFailure(f"{DISCONNECTED} (oled_get_framebuffer returned None)", "oled_disconnected", True)
    width, height = int(fb_size.value[0]), int(fb_size.value[1])
    if height % 8 or len(data) != width * height // 8:
        raise ToolFailure(
            f"the framebuffer has {len(data)} bytes, but a {width}x{height} display needs {width * height // 8}",
            "firmware_error",
        )
    pixels = decode(bytes(data), width, height)
    rows = ascii_rows(pixels) if args["format"] == "ascii" else block_rows(pixels)
    lit = sum(map(sum, pixels))
    return {
        "width": width,
        "height": height,
        "text_size": text_size.value,
        "format": args["format"],
        "rows": rows,
        "lit_pixels": lit,
        "blank": lit == 0,
    }


def decode(data: bytes, width: int, height: int) -> list[list[int]]:
    """SSD1306 page layout: byte x + (y // 8) * width holds column x of rows 8*page..8*page+7, LSB on top."""
    return [[(data[x + (y // 8) * width] >> (y % 8)) & 1 for x in range(width)] for y in range(height)]


def ascii_rows(pixels: list[list[int]]) -> list[str]:
    return ["".join("#" if on else " " for on in row) for row in pixels]


def block_rows(pixels: list[list[int]]) -> list[str]:
    """Two pixel rows per text row: the upper half block, lower half block or full block."""
    rows = []
    for y in range(0, len(pixels), 2):
        top, bottom = pixels[y], pixels[y + 1] if y + 1 < len(pixels) else [0] * len(pixels[y])
        rows.append("".join(BLOCKS[(t, b)] for t, b in zip(top, bottom, strict=True)))
    return rows


def _read_text(result: dict[str, Any]) -> str:
    border = "+" + "-" * result["width"] + "+"
    body = "\n".join(f"|{row}|" for row in result["rows"])
    note = " (blank)" if result["blank"] else f" ({result['lit_pixels']} pixels lit)"
    return f"OLED {result['width']}x{result['height']}{note}\n{border}\n{body}\n{border}"


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="oled_print",
        subsystem=SUBSYSTEM,
        description="Show text on the board's 128x32 OLED. Sizes 1-3 clear the screen and print (2 = default; "
        "larger sizes fit fewer characters); on JumperlOS size 0 is small scrolling text that adds a line below "
        "what is there (5.3.x clears and prints at every size). Any text is safe: it is sent as a quoted literal "
        "(quotes, newlines and control characters appear as they are, up to 100 characters). On JumperlOS a "
        "missing display is an error (kind 'oled_disconnected'); 5.3.x ignores the call silently when no display "
        "is attached (connected: null). text_size is the board's default text size (JumperlOS "
        "oled_get_text_size: what a print without a size uses; a print with a size does not change it).",
        params=(
            text("text", "What to show (up to 100 characters).", max_length=MAX_TEXT),
            integer(
                "size",
                "Text size 0-3: 0 small scrolling, 1 small, 2 medium, 3 large.",
                minimum=0,
                maximum=3,
                default=DEFAULT_SIZE,
            ),
        ),
        output={"text": STRING, "size": INTEGER, "text_size": OPTIONAL_INTEGER, "connected": OPTIONAL_BOOLEAN},
        run=_print,
        text=lambda r: f"OLED shows {r['text']!r} (size {r['size']})",
        mutates=True,
        destructive=True,
        idempotent=False,  # size 0 appends a line each time
    ),
    ToolSpec(
        name="oled_clear",
        subsystem=SUBSYSTEM,
        description="Clear the OLED (blank screen). On JumperlOS a missing display is an error (kind "
        "'oled_disconnected'); 5.3.x cannot tell (connected: null).",
        params=(),
        output={"connected": OPTIONAL_BOOLEAN, "message": STRING},
        run=_clear,
        text=lambda r: r["message"],
        mutates=True,
        destructive=True,
    ),
    ToolSpec(
        name="oled_read",
        subsystem=SUBSYSTEM,
        description="Read what the OLED shows: the 128x32 framebuffer as text art, plus the current text size. "
        "text_size is the board's default text size (oled_get_text_size: what a print without a size uses). "
        "format 'blocks' gives 16 rows of 128 characters (each character is two pixels stacked: ' ', '\u2580', "
        "'\u2584', '\u2588'); 'ascii' gives 32 rows of 128 characters ('#' = pixel on). A missing display is an "
        "error (kind 'oled_disconnected'). JumperlOS only. The virtual board draws printed text in its own "
        "6x8-cell font, not the firmware's.",
        params=(
            choice("format", ["blocks", "ascii"], "blocks: 2 pixel rows per line; ascii: '#' per pixel.", "blocks"),
        ),
        output={
            "width": INTEGER,
            "height": INTEGER,
            "text_size": INTEGER,
            "format": STRING,
            "rows": {"type": "array", "items": {"type": "string"}},
            "lit_pixels": INTEGER,
            "blank": {"type": "boolean"},
        },
        run=_read,
        text=_read_text,
        families=Family.JUMPERLOS,
    ),
]
