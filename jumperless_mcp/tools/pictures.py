"""Pictures: the breadboard as a person sees it, and the OLED as it looks, as PNG image content."""

from __future__ import annotations

from typing import Any

from firmware_api import nodes
from firmware_api.versions import Family
from jumperless_mcp.bench.pictures import SOURCES, OledDisconnected
from jumperless_mcp.pictures import board as board_art
from jumperless_mcp.pictures import oled as oled_art
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import BOOLEAN, INTEGER, NUMBER, STRING, Pictured, ToolSpec, choice, integer

SUBSYSTEM = "pictures"
NAMES = {"type": "array", "items": STRING}
PART = {
    "type": "object",
    "properties": {"name": STRING, "kind": STRING, "value": STRING, "between": NAMES},
    "required": ["name", "kind", "value", "between"],
}


async def _board_picture(ctx: ToolContext, args: dict[str, Any]) -> Pictured:
    state = await ctx.board.board_state(args["source"])
    png = board_art.render(state)
    result = {
        "summary": board_art.summary(state),
        "firmware": state.firmware,
        "bridges": [[nodes.canonical_name(a), nodes.canonical_name(b)] for a, b in state.bridges],
        "nets": len(state.nets),
        "power": {name: round(volts, 3) for name, volts in state.power.items()},
        "overlays": [overlay.name for overlay in state.overlays],
        "parts": [
            {
                "name": p.name,
                "kind": p.kind,
                "value": p.value,
                "between": [nodes.short_name(p.a), nodes.short_name(p.b)],
            }
            for p in state.parts
        ],
        "notes": list(state.notes),
        "source": state.source,
        "image_width": board_art.WIDTH,
        "image_height": board_art.HEIGHT,
        "png_bytes": len(png),
    }
    return Pictured(result, (png,))


async def _oled_picture(ctx: ToolContext, args: dict[str, Any]) -> Pictured:
    try:
        frame = await ctx.board.oled_frame()
    except OledDisconnected as exc:
        raise ToolFailure(
            f"{exc}; check the OLED cable or connect it from the menu", "oled_disconnected", True
        ) from None
    pixels = oled_art.decode(frame.data, frame.width, frame.height)
    png = oled_art.render(pixels, args["scale"])
    lit = oled_art.lit_count(pixels)
    image_width, image_height = oled_art.size_of(frame.width, frame.height, args["scale"])
    result = {
        "width": frame.width,
        "height": frame.height,
        "lit_pixels": lit,
        "blank": lit == 0,
        "scale": args["scale"],
        "image_width": image_width,
        "image_height": image_height,
        "png_bytes": len(png),
        "source": frame.source,
    }
    return Pictured(result, (png,))


def _oled_text(result: dict[str, Any]) -> str:
    shown = "blank" if result["blank"] else f"{result['lit_pixels']} pixels lit"
    return (
        f"OLED {result['width']}x{result['height']}, {shown} "
        f"(picture {result['image_width']}x{result['image_height']}, x{result['scale']}; read via {result['source']})"
    )


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="board_picture",
        subsystem=SUBSYSTEM,
        description="See how the board is wired: a picture (image, screenshot) of the breadboard as a person "
        "sees it (PNG, 1200x560, plus a one-line summary): rows 1-30 (top half) and 31-60 (bottom half) "
        "with each row lit in its net's LED colour, the top and bottom rails with their voltages, the Nano "
        "header and the internal nodes (DACs with their voltages, ADCs, GPIO, supplies), every bridge as a "
        "line between the holes it joins, LED overlays, and parts (the firmware's placed parts on 5.7.11+; a "
        "virtual board's parts file). Where the board has the read-only fourth port (JumperlOS 5.7.0.13+), "
        "source 'auto' reads it there (`:json` and `:leds`: a running script is not disturbed; each net is drawn as "
        "its nodes joined, since the port lists nets, not bridges); else over the REPL (JumperlOS: get_state, "
        "get_all_nets, the bridges, list_parts; 5.3.x: the current slot's bridges and the setpoints, with the "
        "picture's own colours since 5.3.x reports none). Reads only.",
        params=(
            choice(
                "source",
                list(SOURCES),
                "'auto': the aux port where the board has one, else the REPL; 'aux': the port only (refused "
                "without one); 'repl': over the REPL (the bridges one by one, placed parts).",
                "auto",
            ),
        ),
        output={
            "summary": STRING,
            "firmware": STRING,
            "bridges": {"type": "array", "items": NAMES},
            "nets": INTEGER,
            "power": {"type": "object", "additionalProperties": NUMBER},
            "overlays": NAMES,
            "parts": {"type": "array", "items": PART},
            "notes": NAMES,
            "source": {"type": "string", "enum": ["aux", "repl"]},
            "image_width": INTEGER,
            "image_height": INTEGER,
            "png_bytes": INTEGER,
        },
        run=_board_picture,
        text=lambda r: f"Board picture ({r['image_width']}x{r['image_height']} PNG, via {r['source']}): {r['summary']}",
    ),
    ToolSpec(
        name="oled_picture",
        subsystem=SUBSYSTEM,
        description="A screenshot of the OLED display: what the 128x32 screen shows now, its framebuffer as "
        "an upscaled PNG (each display pixel a scale x scale square; scale 8 gives 1040x272), plus the count "
        "of lit pixels. JumperlOS only (oled_get_framebuffer); 5.3.x has no way to read the display back. A "
        "missing display is an error (kind 'oled_disconnected'). Where the board has the read-only fourth port "
        "(JumperlOS 5.7.0.13), the frame is read there (`:oled:b64`, source 'aux'), so a running script is not "
        "disturbed; else over the REPL (source 'repl'). Reads only.",
        params=(integer("scale", "Pixels per display pixel, 1-9.", minimum=1, maximum=9, default=8),),
        output={
            "width": INTEGER,
            "height": INTEGER,
            "lit_pixels": INTEGER,
            "blank": BOOLEAN,
            "scale": INTEGER,
            "image_width": INTEGER,
            "image_height": INTEGER,
            "png_bytes": INTEGER,
            "source": {"type": "string", "enum": ["aux", "repl"]},
        },
        run=_oled_picture,
        text=_oled_text,
        families=Family.JUMPERLOS,
    ),
]
