"""The board and the server: health, unsolicited messages, the Arduino, core 2, status text, Python."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from firmware_api import nodes
from firmware_api.versions import Family
from jumperless_mcp.errors import ArgumentError, ConnectionProblem
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import BOOLEAN, INTEGER, STRING, Param, ToolSpec, boolean, choice, number
from jumperless_mcp.version import __version__

SUBSYSTEM = "system"
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INTEGER = {"type": ["integer", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
FAMILY_WORDS = {Family.JUMPERLOS: "jumperlos", Family.LEGACY: "legacy"}
UART_PAIRS = (("UART_TX", "D0"), ("UART_RX", "D1"))  # the Nano's RX is D0 and its TX is D1
STATUS_PRINTERS = {
    "bridges": "print_bridges",
    "paths": "print_paths",
    "crossbars": "print_crossbars",
    "chip_status": "print_chip_status",
}


def is_virtual(ctx: ToolContext) -> bool:
    """A virtual board: started by this server (`emulator`), or the mapping `jumperless-mcp emulate` printed."""
    board = ctx.board
    if board.virtual_board is not None:
        return True
    spec = board.target.spec
    return isinstance(spec, Mapping) and "persona" in spec


# --- board_info ----------------------------------------------------------------------------------


async def _board_info(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    board = ctx.board
    slot: int | None = None
    problem: str | None = None
    try:
        slot = await board.call("CURRENT_SLOT")  # one round trip: also refreshes the latency
    except ConnectionProblem as exc:  # report the health anyway: that is what this tool is for
        problem = str(exc)
    health = board.health().as_dict()
    config = ctx.config
    family = board.family
    return {
        "firmware": health["firmware"],
        "family": FAMILY_WORDS.get(family) if family is not None else None,  # type: ignore[arg-type]
        "channel": health["channel"],
        "ports": health["ports"],
        "health": health["level"],
        "connected": health["connected"],
        "last_latency_ms": health["last_latency_ms"],
        "reconnects": health["reconnects"],
        "calls": health["calls"],
        "last_error": problem or health["last_error"],
        "note": health["note"],
        "virtual": is_virtual(ctx),
        "current_slot": slot,
        "core2_paused": ctx.memory.core2_paused,
        "settings": {
            "read_only": config.read_only,
            "allow_python": config.allow_python,
            "min_voltage": config.min_voltage,
            "max_voltage": config.max_voltage,
            "timeout": config.timeout,
        },
        "server_version": __version__,
    }


def _info_text(r: dict[str, Any]) -> str:
    if not r["connected"]:
        return f"board {r['health']}: {r['last_error'] or 'not connected'}"
    where = "virtual board" if r["virtual"] else "board"
    latency = f"{r['last_latency_ms']:.1f} ms" if r["last_latency_ms"] is not None else "?"
    return (
        f"{where} firmware {r['firmware']} ({r['family']}) over {r['channel']}, {r['health']}, latency {latency}, "
        f"slot {r['current_slot']}, {r['reconnects']} reconnect(s)"
    )


# --- board_messages ------------------------------------------------------------------------------


async def _board_messages(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    board = ctx.board
    with contextlib.suppress(ConnectionProblem):  # still return what was kept
        await board.ping()  # collects what the main port printed since the last call
    kept = board.session.board_messages
    messages = list(kept)
    if args["clear"]:
        kept.clear()
    return {
        "messages": messages,
        "count": len(messages),
        "cleared": args["clear"],
        "collected": board.session.channel == "raw-repl",
    }


# --- Arduino -------------------------------------------------------------------------------------


async def _arduino_reset(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    await ctx.board.arduino_reset()
    virtual = is_virtual(ctx)
    note = (
        "the virtual board has no Arduino: the reset was only counted"
        if virtual
        else "the Arduino Nano in the header was reset; its sketch starts again"
    )
    return {"reset": True, "virtual": virtual, "note": note}


async def _uart_connect_arduino(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    board = ctx.board
    connect = args["connect"]
    async with board.batch() as batch:
        pending = [batch.connect(a, b) if connect else batch.disconnect(a, b) for a, b in UART_PAIRS]
    results = [p.value for p in pending]
    bridges = [
        {
            "node1": nodes.canonical_name(r.node1),
            "node2": nodes.canonical_name(r.node2),
            "connected": r.connected,
            "ok": r.ok,
        }
        for r in results
    ]
    out = {"connected": connect, "ok": all(r.ok for r in results), "bridges": bridges}
    if out["ok"]:
        return out
    if connect:  # take back the half that was made, so the UART is either bridged or not
        async with board.batch() as batch:
            for a, b in UART_PAIRS:
                batch.disconnect(a, b)
        for bridge in bridges:
            bridge["connected"] = False
        out["connected"] = False
        raise ToolFailure(
            "the board did not make both UART bridges (" + "; ".join(r.message for r in results if not r.ok) + "); "
            "none were left in place. Something on D0/D1 or UART_TX/UART_RX may block them (see get_netlist)",
            "refused",
            False,
            out,
        )
    out["connected"] = True
    raise ToolFailure(
        "the UART bridges are still connected (" + "; ".join(r.message for r in results if not r.ok) + ")",
        "refused",
        False,
        out,
    )


# --- Python context (JumperlOS) ------------------------------------------------------------------


CONTEXT_WORDS = (
    "'global': Python's connections go to the active slot; 'python': Python works in an isolated slot 99 that is "
    "discarded when the Python session exits."
)


async def _context_get(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return {"context": await ctx.board.context_get()}


async def _context_toggle(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    async with ctx.board.batch() as batch:
        before = batch.context_get()
        batch.context_toggle()
        after = batch.context_get()
    return {"previous": before.value, "context": after.value}


# --- core 2 --------------------------------------------------------------------------------------


async def _core2(ctx: ToolContext, pause: bool) -> dict[str, Any]:
    await ctx.board.pause_core2(pause)
    ctx.memory.core2_paused = pause
    return {"paused": pause}


async def _core2_pause(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _core2(ctx, True)


async def _core2_resume(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _core2(ctx, False)


# --- status text, Python -------------------------------------------------------------------------


async def _status_text(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    text = await ctx.board.call(STATUS_PRINTERS[args["what"]])
    return {"what": args["what"], "text": str(text or "")}


async def _exec_python(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    try:
        stdout = await ctx.board.run_python(args["code"], timeout=args["timeout"])
    except ArgumentError as exc:
        if exc.parameter != "source":
            raise
        message = str(exc).removeprefix("source: ").split(" (allowed:")[0]
        raise ArgumentError("code", message, exc.allowed) from None
    return {"stdout": stdout, "channel": ctx.board.session.channel or ""}


PAUSE_NOTE = (
    "Pausing core 2 stops LED updates, the waveform generator and the logic analyzer; resume it promptly with "
    "core2_resume. Never save a slot while it is paused (the firmware deadlocks; slot_save refuses while paused)."
)


def _exec_words(args: dict[str, Any]) -> str:
    """The code to run, shown whole when short (the person should see what will run)."""
    code: str = args["code"]
    shown = code if len(code) <= 600 else code[:600] + f"\n... ({len(code) - 600} more characters)"
    return f"run this MicroPython on the board (timeout {args['timeout']:g} s):\n{shown}"


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="board_info",
        subsystem=SUBSYSTEM,
        description="Start here. What is connected and how it is going: firmware version and family (jumperlos = "
        "5.6 and later, legacy = 5.3.x), the channel (raw-repl, or the main-port `>` one-liner), ports, health "
        "(healthy / degraded / down), the latency of a fresh ping, reconnects, calls, the last error, whether it is "
        "the virtual board (virtual: the emulator target, or the port mapping `jumperless-mcp emulate` prints), the "
        "current slot, whether core 2 is paused, and the server settings that "
        "limit the tools (read_only, allow_python, voltage limits, timeout). When the board cannot be reached it "
        "still answers, with connected=false and the reason in last_error.",
        params=(),
        output={
            "firmware": NULLABLE_STRING,
            "family": NULLABLE_STRING,
            "channel": NULLABLE_STRING,
            "ports": {"type": "object"},
            "health": STRING,
            "connected": BOOLEAN,
            "last_latency_ms": NULLABLE_NUMBER,
            "reconnects": INTEGER,
            "calls": INTEGER,
            "last_error": NULLABLE_STRING,
            "note": NULLABLE_STRING,
            "virtual": BOOLEAN,
            "current_slot": NULLABLE_INTEGER,
            "core2_paused": BOOLEAN,
            "settings": {
                "type": "object",
                "properties": {
                    "read_only": BOOLEAN,
                    "allow_python": BOOLEAN,
                    "min_voltage": {"type": "number"},
                    "max_voltage": {"type": "number"},
                    "timeout": {"type": "number"},
                },
            },
            "server_version": STRING,
        },
        run=_board_info,
        text=_info_text,
    ),
    ToolSpec(
        name="board_messages",
        subsystem=SUBSYSTEM,
        description="Lines the board printed on its main port on its own, between calls (the last 100): probe "
        "button banners such as 'connect nodes' / 'clear nodes', errors from set_state, debug lines. Collected "
        "only while the server talks over the raw REPL (JumperlOS): on the 5.3.x `>` channel the main port is the "
        "call channel and such lines are discarded (collected=false). clear=true empties the list after "
        "returning it.",
        params=(boolean("clear", "Empty the kept lines after returning them.", False),),
        output={
            "messages": {"type": "array", "items": STRING},
            "count": INTEGER,
            "cleared": BOOLEAN,
            "collected": BOOLEAN,
        },
        run=_board_messages,
        text=lambda r: "\n".join(r["messages"]) or "no messages",
        idempotent=False,
    ),
    ToolSpec(
        name="arduino_reset",
        subsystem=SUBSYSTEM,
        description="Reset the Arduino Nano plugged into the board's header (its sketch restarts; pair with "
        "uart_connect_arduino to talk to it through the board's 'JL UART Passthrough' USB serial port). Returns "
        "nothing to check from the board. The virtual board (emulator) has no Arduino: there the reset is only "
        "counted, and virtual=true says so.",
        params=(),
        output={"reset": BOOLEAN, "virtual": BOOLEAN, "note": STRING},
        run=_arduino_reset,
        text=lambda r: r["note"],
        mutates=True,
        destructive=True,
        idempotent=False,
        open_world=True,
    ),
    ToolSpec(
        name="uart_connect_arduino",
        subsystem=SUBSYSTEM,
        description="connect=true bridges the board's UART to the Arduino Nano header: UART_TX to D0 (the Nano's "
        "RX) and UART_RX to D1 (the Nano's TX), both in one round trip and read back; the host can then talk to "
        "the Nano through the board's 'JL UART Passthrough' USB serial port. connect=false removes both bridges. "
        "If only one bridge could be made, it is taken away again and the result is an error of kind 'refused'. "
        "On 5.3.x firmware the bridges are saved to the current slot.",
        params=(boolean("connect", "true: bridge the UART to D0/D1; false: remove those bridges.", True),),
        output={
            "connected": BOOLEAN,
            "ok": BOOLEAN,
            "bridges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"node1": STRING, "node2": STRING, "connected": BOOLEAN, "ok": BOOLEAN},
                },
            },
        },
        run=_uart_connect_arduino,
        text=lambda r: "UART bridged to D0/D1" if r["connected"] else "UART bridges to D0/D1 removed",
        mutates=True,
        destructive=True,
        open_world=True,
    ),
    ToolSpec(
        name="python_context_get",
        subsystem=SUBSYSTEM,
        description="Where the board's Python sessions make their connections: " + CONTEXT_WORDS + " JumperlOS only.",
        params=(),
        output={"context": STRING},
        run=_context_get,
        text=lambda r: f"Python context: {r['context']}",
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="python_context_toggle",
        subsystem=SUBSYSTEM,
        description="Switch the Python connection context between 'global' and 'python' and read it back. "
        + CONTEXT_WORDS
        + " The change takes effect at the next Python session (the server's own calls are Python sessions, so "
        "in 'python' context their connections land in slot 99 and do not show in the active slot). Toggle again "
        "to go back. JumperlOS only.",
        params=(),
        output={"previous": STRING, "context": STRING},
        run=_context_toggle,
        text=lambda r: f"Python context {r['previous']} -> {r['context']}",
        mutates=True,
        idempotent=False,
        families=Family.JUMPERLOS,
    ),
    ToolSpec(
        name="core2_pause",
        subsystem=SUBSYSTEM,
        description="Pause the board's second core (pause_core2(True)), e.g. for timing-sensitive Python. "
        + PAUSE_NOTE,
        params=(),
        output={"paused": BOOLEAN},
        run=_core2_pause,
        text=lambda r: "core 2 paused",
        mutates=True,
    ),
    ToolSpec(
        name="core2_resume",
        subsystem=SUBSYSTEM,
        description="Resume the board's second core after core2_pause (pause_core2(False)): LEDs, the waveform "
        "generator and the logic analyzer run again. Safe to call when it is not paused.",
        params=(),
        output={"paused": BOOLEAN},
        run=_core2_resume,
        text=lambda r: "core 2 running",
        mutates=True,
    ),
    ToolSpec(
        name="board_status_text",
        subsystem=SUBSYSTEM,
        description="The human-readable status text the firmware prints: 'bridges' (print_bridges), 'paths' "
        "(print_paths: the routed paths), 'crossbars' (print_crossbars: the crossbar chips' switch matrix), "
        "'chip_status' (print_chip_status). ANSI colours are stripped. For structured data prefer get_bridges / "
        "get_netlist. (print_nets is deliberately not offered: it enters a live mode that blocks the board.)",
        params=(choice("what", list(STATUS_PRINTERS), "Which status to print."),),
        output={"what": STRING, "text": STRING},
        run=_status_text,
        text=lambda r: r["text"] or "(nothing printed)",
    ),
    ToolSpec(
        name="exec_python",
        subsystem=SUBSYSTEM,
        description="Run MicroPython source on the board and return what it printed (stdout). The `jumperless` "
        "module is imported into globals (connect, dac_set, adc_get...). Only offered when the server runs with "
        "allow_python (it can do anything the board can, including things the other tools refuse). A Python "
        "exception comes back as an error of kind 'firmware_error' with the exception type and message. On 5.3.x "
        "firmware only simple statements, one per line, are accepted (no def/for/if blocks). State the server keeps "
        "(e.g. whether core 2 is paused) does not see what the code does. timeout bounds the run; the code is "
        "interrupted when it expires.",
        params=(
            Param(
                "code",
                {"type": "string", "minLength": 1, "maxLength": 65536, "description": "MicroPython source."},
                True,
                "MicroPython statements",
            ),
            number("timeout", "Seconds to wait for the code to finish.", minimum=0.1, maximum=600, default=10.0),
        ),
        output={"stdout": STRING, "channel": STRING},
        run=_exec_python,
        text=lambda r: r["stdout"] or "(no output)",
        mutates=True,
        destructive=True,
        idempotent=False,
        gate="python",
        confirm=confirm.always(_exec_words),
    ),
]
