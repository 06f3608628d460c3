"""The probe, its buttons and switch, and the click wheel: read them, wait on them, simulate them."""

from __future__ import annotations

from typing import Any

import anyio

from firmware_api import nodes
from firmware_api.values import ProbePad
from firmware_api.versions import Family
from jumperless_mcp.errors import ArgumentError, BoardTimeout
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import (
    BOOLEAN,
    INTEGER,
    OMIT,
    STRING,
    Param,
    ToolSpec,
    boolean,
    choice,
    integer,
    node,
    number,
)
from jumperless_mcp.tooling.values import to_json
from jumperless_mcp.tools.integers import whole

SUBSYSTEM = "probe"
DEFAULT_WAIT = 30.0
MAX_WAIT = 600.0
CLICK_GAP = 0.05  # seconds between simulated wheel events: the firmware's main loop must take each one
SWITCH_WORDS = {0: "measure", 1: "select", -1: "unknown"}
DIRECTION_WORDS = {0: "none", 1: "up", 2: "down"}
WHEEL_BUTTON_WORDS = {0: "idle", 1: "pressed", 2: "held", 3: "released", 4: "double-clicked"}
OPTIONAL_INTEGER = {"type": ["integer", "null"]}
TIMEOUT_NOTE = (
    "When nothing happens within `timeout` seconds the wait is interrupted (the board is usable again at "
    "once) and the result is an error of kind 'board_timeout' with retryable=true: call again to keep "
    "waiting. While waiting, the server sends a progress notification every second."
)


def _word(words: dict[int, str], value: object) -> str:
    return words.get(value, f"unknown ({value})") if isinstance(value, int) else f"unknown ({value!r})"


def _timed_out(args: dict[str, Any], what: str, exc: BoardTimeout) -> ToolFailure:
    """A wait for a person that ran out; only a board whose channel came back clean is called ready."""
    if exc.ready or exc.interrupted:
        message = (
            f"no {what} within {args['timeout']:g} s; the wait was interrupted and the board is ready again "
            "(call again to keep waiting)"
        )
    else:
        message = f"no {what} within {args['timeout']:g} s: {exc}"
    return ToolFailure(message, "board_timeout", True, {"timeout": args["timeout"]})


async def _probe_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    try:
        pad: ProbePad = await ctx.board.probe_read(args["blocking"], timeout=args["timeout"])
    except BoardTimeout as exc:
        if not args["blocking"]:
            raise
        raise _timed_out(args, "probe touch", exc) from None
    return {"pad": pad.name, "row": pad.row, "touched": pad.touched, "blocking": args["blocking"]}


async def _probe_button(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    family = await ctx.board._family()
    options: dict[str, Any] = {}
    if "consume" in args:
        if family is not Family.JUMPERLOS:
            raise ArgumentError("consume", "only JumperlOS firmware (5.6 or later) has consume", "leave it out")
        options["consume"] = args["consume"]
    try:
        button = await ctx.board.probe_button(args["blocking"], **options, timeout=args["timeout"])
    except BoardTimeout as exc:
        if not args["blocking"]:
            raise
        raise _timed_out(args, "probe button press", exc) from None
    name = to_json(button)
    return {"button": name, "pressed": name != "NONE", "blocking": args["blocking"]}


async def _switch_position(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    value = await ctx.board.get_switch_position()
    return {"position": _word(SWITCH_WORDS, value), "value": value}


async def _clickwheel_input(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """One firmware call per click, each in its own round trip.

    The firmware ignores the count it is given (each call sets one pending wheel event, taken by its main loop),
    so N clicks must be N calls with the main loop running in between; a batch would collapse them into one.
    """
    action, clicks = args["action"], whole(args["clicks"], "clicks", "1-100")
    function = {"up": "clickwheel_up", "down": "clickwheel_down", "press": "clickwheel_press"}[action]
    for index in range(clicks):
        if index:
            await anyio.sleep(CLICK_GAP)
        await ctx.board.call(function)
    position = None
    if await ctx.board._family() is Family.JUMPERLOS:
        position = await ctx.board.clickwheel_get_position()
    return {"action": action, "clicks": clicks, "position": position}


async def _probe_tap(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    await ctx.board.probe_tap(args["node"])  # checks the node before sending
    return {"node": nodes.canonical_name(nodes.resolve_node(args["node"])), "sent": True}


async def _clickwheel_status(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        position = batch.clickwheel_get_position()
        direction = batch.clickwheel_get_direction(False)  # look without taking the event away from the menu
        button = batch.clickwheel_get_button()
        initialized = batch.clickwheel_is_initialized()
    return {
        "position": position.value,
        "direction": _word(DIRECTION_WORDS, direction.value),
        "button": _word(WHEEL_BUTTON_WORDS, button.value),
        "initialized": bool(initialized.value),
    }


def _timeout_param(what: str) -> Param:
    return number(
        "timeout",
        f"Seconds to wait for {what} when blocking (1-600).",
        minimum=1,
        maximum=MAX_WAIT,
        default=DEFAULT_WAIT,
    )


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="probe_read",
        subsystem=SUBSYSTEM,
        description="Which pad the probe tip is touching. blocking=false (default) reads once and returns at "
        "once (touched=false, pad NO_PAD, when nothing is touched); blocking=true waits until a person touches "
        "a pad with the probe. " + TIMEOUT_NOTE + " `pad` is the firmware's name (rows print as PAD_12 on "
        "JumperlOS and 12 on 5.3.x; other pads as NANO_D13, TOP_RAIL, ...); `row` is the breadboard row 1-60 "
        "when the pad is a row, else null.",
        params=(
            boolean("blocking", "Wait for a touch (true) or read once (false).", False),
            _timeout_param("a touch"),
        ),
        output={"pad": STRING, "row": OPTIONAL_INTEGER, "touched": BOOLEAN, "blocking": BOOLEAN},
        run=_probe_read,
        text=lambda r: f"probe on {r['pad']}" if r["touched"] else "probe touches nothing",
        idempotent=False,
        blocking=True,
    ),
    ToolSpec(
        name="probe_button",
        subsystem=SUBSYSTEM,
        description="The probe's buttons: CONNECT, REMOVE or NONE. blocking=false (default) reads at once; "
        "blocking=true waits until a person presses one. " + TIMEOUT_NOTE + " consume (JumperlOS only; leave it "
        "out on 5.3.x): true takes the press off the firmware's queue so the next read does not report it "
        "again; false (the firmware's default, and how 5.3.x always reads) reports the button state without taking "
        "it, so a press reads again.",
        params=(
            boolean("blocking", "Wait for a press (true) or read once (false).", False),
            _timeout_param("a press"),
            boolean("consume", "JumperlOS only: take the press off the queue.", OMIT),
        ),
        output={"button": STRING, "pressed": BOOLEAN, "blocking": BOOLEAN},
        run=_probe_button,
        text=lambda r: f"probe button {r['button']}",
        idempotent=False,
        blocking=True,
    ),
    ToolSpec(
        name="probe_switch_position",
        subsystem=SUBSYSTEM,
        description="The probe's mode switch: 'measure' (the tip measures voltage), 'select' (the tip selects "
        "rows to connect) or 'unknown' (the firmware could not tell; it classifies the switch from a reading). "
        "JumperlOS only.",
        params=(),
        output={"position": STRING, "value": INTEGER},
        run=_switch_position,
        text=lambda r: f"probe switch: {r['position']}",
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="clickwheel_input",
        subsystem=SUBSYSTEM,
        description="Simulate the click wheel, as if a person turned or pressed it: 'up'/'down' turn it by "
        "`clicks` detents, 'press' clicks its button `clicks` times. This drives the board's menus and apps, "
        "so it can change what the board is doing. The firmware takes one event per call, so the server sends "
        "one call per click about 50 ms apart (100 clicks take several seconds). On JumperlOS `position` is the "
        "wheel position the firmware reports afterwards (null on 5.3.x).",
        params=(
            choice("action", ["up", "down", "press"], "Turn up, turn down, or press."),
            integer("clicks", "How many detents (up/down) or presses.", minimum=1, maximum=100, default=1),
        ),
        output={"action": STRING, "clicks": INTEGER, "position": OPTIONAL_INTEGER},
        run=_clickwheel_input,
        text=lambda r: f"clickwheel {r['action']} x{r['clicks']}",
        mutates=True,
        idempotent=False,
    ),
    ToolSpec(
        name="probe_tap",
        subsystem=SUBSYSTEM,
        description="Simulate touching a node with the probe tip. JumperlOS builds from August 2026 hold a "
        "simulated touch on the node for a moment, so measure mode and the probe's row highlighting react as "
        "to a held tip; it cannot press the probe's buttons or make connections, and a real touch wins. Older "
        "JumperlOS builds (and the virtual board) accept the call and do nothing; the firmware gives no "
        "feedback either way, so `sent` only says the call was made. Not offered on 5.3.x firmware, where "
        "probe_tap is a no-op.",
        params=(node("node", "The node to tap."),),
        output={"node": STRING, "sent": BOOLEAN},
        run=_probe_tap,
        text=lambda r: f"probe tap on {r['node']} sent",
        mutates=True,
        idempotent=False,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="clickwheel_status",
        subsystem=SUBSYSTEM,
        description="The click wheel now: its position count, the last turn direction not yet taken by the "
        "firmware (up/down/none; read without taking it), the button state (idle, pressed, held, released, "
        "double-clicked) and whether the wheel is initialized. JumperlOS only.",
        params=(),
        output={"position": INTEGER, "direction": STRING, "button": STRING, "initialized": BOOLEAN},
        run=_clickwheel_status,
        text=lambda r: f"wheel at {r['position']}, direction {r['direction']}, button {r['button']}",
        families=Family.JUMPERLOS,
    ),
]
