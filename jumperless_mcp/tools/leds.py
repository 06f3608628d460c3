"""LEDs (JumperlOS only): net colours and names, and overlays drawn over the breadboard's LED grid."""

from __future__ import annotations

from typing import Any

from firmware_api.versions import Family
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import INTEGER, OMIT, STRING, Param, ToolSpec, integer
from jumperless_mcp.tools.integers import whole

SUBSYSTEM = "leds"
HEX_COLOR = "^#[0-9A-Fa-f]{6}$"
COLOR_NAME_OR_HEX = "^(#[0-9A-Fa-f]{6}|[A-Za-z][A-Za-z0-9 _-]{0,31})$"
SAFE_NAME = "^[^\\x00-\\x1f\\x7f\\\\]*$"  # the firmware's get_state JSON escapes only quotes and line breaks
NAME_ALLOWED = "1-32 printable characters, no backslash"
PIXEL_COLOR = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 0xFFFFFF},
        {"type": "string", "pattern": HEX_COLOR},
    ]
}
PIXEL_ALLOWED = 'an integer 0xRRGGBB (0-16777215) or "#RRGGBB"'
GRID = "The LED grid covering the breadboard is 30 columns (x 1-30) by 10 rows (y 1-10)."


def _string(
    name: str, description: str, *, pattern: str, max_length: int, allowed: str, default: object = None
) -> Param:
    schema: dict[str, Any] = {
        "type": "string",
        "minLength": 1,
        "maxLength": max_length,
        "pattern": pattern,
        "description": description,
    }
    return Param(name, schema, default is None, allowed)


def _net_param() -> Param:
    return integer(
        "net", "Net number (1-5 are GND, the rails and the DACs; 6 and up are your nets).", minimum=1, maximum=127
    )


def _overlay_name(default: object = None) -> Param:
    return _string(
        "name",
        "Overlay name (1-32 printable characters, no backslash).",
        pattern=SAFE_NAME,
        max_length=32,
        allowed=NAME_ALLOWED,
        default=default,
    )


def color_value(value: object, parameter: str) -> int:
    """0xRRGGBB from an int (255.0 counts as 255: JSON Schema calls it an integer) or "#RRGGBB"."""
    if not isinstance(value, str):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ArgumentError(parameter, f"expected a colour, got {value!r}", PIXEL_ALLOWED)
        number = whole(value, parameter, PIXEL_ALLOWED)
        if not 0 <= number <= 0xFFFFFF:
            raise ArgumentError(parameter, f"{value} is out of range", PIXEL_ALLOWED)
        return number
    text = value.strip()
    if len(text) != 7 or not text.startswith("#"):
        raise ArgumentError(parameter, f"{value!r} is not a #RRGGBB colour", PIXEL_ALLOWED)
    try:
        return int(text[1:], 16)
    except ValueError:
        raise ArgumentError(parameter, f"{value!r} is not a #RRGGBB colour", PIXEL_ALLOWED) from None


def hex_color(value: int) -> str:
    return f"#{int(value) & 0xFFFFFF:06X}"


async def _net_set_color(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    net = args["net"]
    async with ctx.board.batch() as batch:
        accepted = batch.set_net_color(net, args["color"])
        value = batch.get_net_color(net)
        name = batch.get_net_color_name(net)
    out = {
        "net": net,
        "requested": args["color"],
        "color": hex_color(value.value),
        "color_value": int(value.value),
        "color_name": name.value,
    }
    if not accepted.value:
        raise ToolFailure(f"the board refused colour {args['color']!r} for net {net}", "refused", False, out)
    return out


async def _net_set_name(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    net, wanted = args["net"], args["name"]
    async with ctx.board.batch() as batch:
        batch.set_net_name(net, wanted)
        name = batch.get_net_name(net)
    out = {"net": net, "name": name.value}
    if name.value != wanted:
        raise ToolFailure(
            f"net {net} reads back as {name.value!r}, not {wanted!r} (no such net, or the firmware shortened the name)",
            "refused",
            False,
            out,
        )
    return out


async def _overlay_set(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    width, height = args["width"], args["height"]
    colors = [color_value(c, "colors") for c in args["colors"]]
    if len(colors) != width * height:
        raise ArgumentError(
            "colors",
            f"{len(colors)} colour(s) given; width {width} x height {height} needs exactly {width * height}",
            f"a list of width*height = {width * height} colours, row by row",
        )
    async with ctx.board.batch() as batch:
        # The firmware reads its 4th argument as the height and the 5th as the width (the .pyi is wrong).
        index = batch.overlay_set(args["name"], args["x"], args["y"], height, width, colors)
        count = batch.overlay_count()
    out = {
        "name": args["name"],
        "index": index.value,
        "x": args["x"],
        "y": args["y"],
        "width": width,
        "height": height,
        "overlays": count.value,
    }
    if index.value is None or index.value < 0:
        raise ToolFailure(f"the board refused overlay {args['name']!r} (index -1)", "refused", False, out)
    return out


async def _overlay_clear(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("name")
    async with ctx.board.batch() as batch:
        if name is None:
            before = batch.overlay_count()
            batch.overlay_clear_all()
        else:
            cleared = batch.overlay_clear(name)
        remaining = batch.overlay_count()
    if name is None:
        return {"name": None, "removed": before.value - remaining.value, "remaining": remaining.value}
    return {"name": name, "removed": int(cleared.value or 0), "remaining": remaining.value}


async def _overlay_set_pixel(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    color = color_value(args["color"], "color")
    async with ctx.board.batch() as batch:
        batch.overlay_set_pixel(args["x"], args["y"], color)
        count = batch.overlay_count()
    return {"x": args["x"], "y": args["y"], "color": hex_color(color), "overlays": count.value}


async def _overlay_move(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    moved = await ctx.board.overlay_place(args["name"], args["x"], args["y"])
    out = {"name": args["name"], "x": args["x"], "y": args["y"], "moved": bool(moved)}
    if not moved:
        raise ToolFailure(f"no overlay named {args['name']!r} (see overlay_list)", "not_found", False, out)
    return out


async def _overlay_list(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        count = batch.overlay_count()
        text = batch.overlay_serialize()
    return {"count": count.value, "serialized": text.value or ""}


X = integer("x", "Column 1-30.", minimum=1, maximum=30)
Y = integer("y", "Row 1-10.", minimum=1, maximum=10)
NULLABLE_STRING = {"type": ["string", "null"]}

TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="net_set_color",
        subsystem=SUBSYSTEM,
        description="Set the LED colour of a net and read it back (value and name). color is a colour name the "
        "firmware knows (red, orange, yellow, green, cyan, blue, purple, magenta, pink, white...) or '#RRGGBB'. "
        "The firmware answers a name it cannot parse, or a net it does not have, with False: an error of kind "
        "'refused' that still carries the colour read back. The colour stays until the net changes or is "
        "cleared. JumperlOS only.",
        params=(
            _net_param(),
            _string(
                "color",
                "A colour name or #RRGGBB.",
                pattern=COLOR_NAME_OR_HEX,
                max_length=32,
                allowed="a colour name (letters) or #RRGGBB",
            ),
        ),
        output={
            "net": INTEGER,
            "requested": STRING,
            "color": STRING,
            "color_value": INTEGER,
            "color_name": STRING,
        },
        run=_net_set_color,
        text=lambda r: f"net {r['net']} colour {r['color']} ({r['color_name']})",
        mutates=True,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="net_set_name",
        subsystem=SUBSYSTEM,
        description="Give a net a name (shown in get_netlist and on the board) and read it back. An error of kind "
        "'refused' when the name read back differs (the net does not exist, or the firmware shortened it). Control "
        "characters and backslashes are refused: the firmware writes names unescaped into its get_state JSON, "
        "which they would corrupt. "
        "JumperlOS only.",
        params=(
            _net_param(),
            _string(
                "name",
                "The new name: 1-32 printable characters, no backslash.",
                pattern=SAFE_NAME,
                max_length=32,
                allowed=NAME_ALLOWED,
            ),
        ),
        output={"net": INTEGER, "name": NULLABLE_STRING},
        run=_net_set_name,
        text=lambda r: f"net {r['net']} is named {r['name']}",
        mutates=True,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="overlay_set",
        subsystem=SUBSYSTEM,
        description="Draw a named rectangle of LED colours over the breadboard, above the net colours; the same name "
        "replaces the earlier overlay. " + GRID + " x, y is the top-left corner; colors holds exactly "
        "width*height colours, row by row, each 0xRRGGBB as an integer or '#RRGGBB' (0 = off). Returns the "
        "overlay's index; the firmware refuses some placements (index -1, an error of kind 'refused'). "
        "JumperlOS only.",
        params=(
            _overlay_name(),
            X,
            Y,
            integer("width", "Columns, 1-30.", minimum=1, maximum=30),
            integer("height", "Rows, 1-10.", minimum=1, maximum=10),
            Param(
                "colors",
                {
                    "type": "array",
                    "items": PIXEL_COLOR,
                    "minItems": 1,
                    "maxItems": 300,
                    "description": "width*height colours, row by row: 0xRRGGBB integers or '#RRGGBB' strings.",
                },
                True,
                "a list of width*height colours (0xRRGGBB integers or '#RRGGBB')",
            ),
        ),
        output={
            "name": STRING,
            "index": INTEGER,
            "x": INTEGER,
            "y": INTEGER,
            "width": INTEGER,
            "height": INTEGER,
            "overlays": INTEGER,
        },
        run=_overlay_set,
        text=lambda r: f"overlay {r['name']} at index {r['index']} ({r['overlays']} overlay(s) in all)",
        mutates=True,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="overlay_clear",
        subsystem=SUBSYSTEM,
        description="Remove the overlay with this name, or every overlay (including single pixels from "
        "overlay_set_pixel) when name is left out. removed is 0 when no overlay had the name. JumperlOS only.",
        params=(_overlay_name(OMIT),),
        output={"name": NULLABLE_STRING, "removed": INTEGER, "remaining": INTEGER},
        run=_overlay_clear,
        text=lambda r: f"removed {r['removed']} overlay(s); {r['remaining']} remain",
        mutates=True,
        destructive=True,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="overlay_set_pixel",
        subsystem=SUBSYSTEM,
        description="Light one LED of the grid with a colour (0xRRGGBB integer or '#RRGGBB'; 0 turns the pixel "
        "off). " + GRID + " Pixels live in one shared overlay, removed by overlay_clear without a name. "
        "JumperlOS only.",
        params=(X, Y, Param("color", {**PIXEL_COLOR, "description": "The colour."}, True, PIXEL_ALLOWED)),
        output={"x": INTEGER, "y": INTEGER, "color": STRING, "overlays": INTEGER},
        run=_overlay_set_pixel,
        text=lambda r: f"pixel {r['x']},{r['y']} set to {r['color']}",
        mutates=True,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="overlay_move",
        subsystem=SUBSYSTEM,
        description="Move a named overlay so its top-left corner is at x, y (the firmware's overlay_place). "
        + GRID
        + " An unknown name is an error of kind 'not_found'. JumperlOS only.",
        params=(_overlay_name(), X, Y),
        output={"name": STRING, "x": INTEGER, "y": INTEGER, "moved": {"type": "boolean"}},
        run=_overlay_move,
        text=lambda r: f"overlay {r['name']} moved to {r['x']},{r['y']}",
        mutates=True,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="overlay_list",
        subsystem=SUBSYSTEM,
        description="How many overlays are drawn, and the firmware's own serialisation of them (overlay_serialize: "
        "name, position, size and colours as text, the 'overlays' section of the board state). JumperlOS only.",
        params=(),
        output={"count": INTEGER, "serialized": STRING},
        run=_overlay_list,
        text=lambda r: f"{r['count']} overlay(s)\n{r['serialized']}",
        families=Family.JUMPERLOS,
    ),
]
