"""A recorded session turned into a bench script: `jumperless-mcp log --export-script`.

Each successful tool call of the session becomes the `Board` call that does the same thing (the tool's own
Board method, or the firmware function the tool sends), so what an agent did at the bench can be run again and
kept as a test. What a script cannot do again becomes a comment that says why: a call that failed, a wait on a
person at the board (probe, guided placement), a value the log cut or redacted, a tool with no Board
equivalent. Reads are kept and printed, so the script's output can be compared with the recording.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from firmware_api import nodes
from jumperless_mcp.bench.netlist import parse_bridges
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tooling.audit import REDACTED
from jumperless_mcp.tooling.tool_spec import ToolSpec
from jumperless_mcp.tools import ALL_TOOLS
from jumperless_mcp.tools.leds import color_value

Lines = list[str]
Translator = Callable[[dict[str, Any], bool], "Lines | str"]  # (arguments, legacy) -> code lines, or why not
CUT_MARKS = ("chars cut]", "more items cut]", "more keys cut]", "[nested too deeply]", REDACTED, "[PNG, ", " bytes]")


class ExportError(ArgumentError):
    """No session to export, or an ambiguous one; names the option to use (`session`, `board`)."""


def lit(value: object) -> str:
    """A JSON value from the log as a Python literal (repr of str/int/float/bool/None/list/dict is one)."""
    return repr(value)


def _call(method: str, *args: object, **kwargs: object) -> str:
    parts = [lit(arg) for arg in args] + [f"{key}={lit(value)}" for key, value in kwargs.items()]
    return f"await board.{method}({', '.join(parts)})"


def _read(label: str, method: str, *args: object, **kwargs: object) -> Lines:
    return [f"print({label!r}, {_call(method, *args, **kwargs)})"]


def _given(args: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: args[key] for key in keys if key in args and args[key] is not None}


# --- the tools ---------------------------------------------------------------------------------------


def _connect(args: dict[str, Any], legacy: bool) -> Lines:
    return [_call("connect", args["node1"], args["node2"], **_given(args, "duplicates"))]


def _disconnect(args: dict[str, Any], legacy: bool) -> Lines:
    ends = [args["node1"]] + ([args["node2"]] if "node2" in args else [])
    return [_call("disconnect", *ends)]


def _clear(args: dict[str, Any], legacy: bool) -> Lines:
    # 5.3.x clears RAM only; its is_connected reads the saved file (as the tool does)
    return [_call("nodes_clear")] + ([_call("nodes_save")] if legacy else [])


def _apply_netlist(args: dict[str, Any], legacy: bool) -> Lines | str:
    if args.get("dry_run"):
        return "a dry run: nothing was changed"
    pairs = [(_node(a), _node(b)) for a, b in parse_bridges(args["bridges"])]
    return [_call("apply_netlist", pairs, clear_first=args.get("mode", "replace") == "replace")]


def _node(node: int) -> int | str:
    """A node id as a script writes it: a breadboard row as its number, anything else by name."""
    name = nodes.canonical_name(node)
    return int(name) if name.isdigit() else name


def _measure_node(args: dict[str, Any], legacy: bool) -> Lines:
    adc = args.get("adc", 0)
    lines = [_call("connect", args["node"], f"ADC{adc}"), *_read("measure_node", "adc_get", adc)]
    if not args.get("keep_connected"):
        lines.append(_call("disconnect", args["node"], f"ADC{adc}"))
    return lines


def _overlay_set(args: dict[str, Any], legacy: bool) -> Lines:
    colors = [color_value(color, "colors") for color in args["colors"]]
    # the firmware reads its 4th argument as the height and the 5th as the width (as tools/leds.py sends them)
    return [_call("overlay_set", args["name"], args["x"], args["y"], args["height"], args["width"], colors)]


def _overlay_clear(args: dict[str, Any], legacy: bool) -> Lines:
    return [_call("overlay_clear", args["name"])] if args.get("name") else [_call("overlay_clear_all")]


def _iv_sweep(args: dict[str, Any], legacy: bool) -> Lines:
    options = _given(args, "start", "stop", "steps")
    if "max_milliamps" in args:
        options["max_amps"] = args["max_milliamps"] / 1000
    return _read("iv_sweep", "iv_sweep", args["a"], args["b"], **options)


def _same(method: str, positional: Sequence[str], keywords: Sequence[str] = (), read: bool = False) -> Translator:
    """A tool whose arguments are the Board method's: positional ones in order, then keywords when given."""

    def translate(args: dict[str, Any], legacy: bool) -> Lines:
        values = [args[key] for key in positional if key in args]
        options = _given(args, *keywords)
        return _read(method, method, *values, **options) if read else [_call(method, *values, **options)]

    return translate


def _picture(method: str, option: object) -> Lines:
    return [f"print({method!r}, len({_call(method, option)}), 'bytes of PNG')"]


def _wait(what: str) -> Translator:
    return lambda args, legacy: f"waits on a person at the board ({what}); do it by hand"


TRANSLATORS: dict[str, Translator] = {
    # connections
    "connect": _connect,
    "disconnect": _disconnect,
    "clear_connections": _clear,
    "apply_netlist": _apply_netlist,
    "is_connected": _same("is_connected", ("node1", "node2"), read=True),
    "get_path_between": _same("get_path_between", ("node1", "node2"), read=True),
    # power and analog
    "dac_set": _same("dac_set", ("channel", "voltage", "save")),
    "dac_get": _same("dac_get", ("channel",), read=True),
    "measure_node": _measure_node,
    "node_voltage": _same("get_node_voltage", ("node",), read=True),
    # digital
    "gpio_set_direction": lambda a, legacy: [_call("gpio_set_dir", a["pin"], a["direction"] == "output")],
    "gpio_write": _same("gpio_set", ("pin", "value")),
    "pwm_start": _same("pwm", ("pin", "frequency", "duty")),
    "pwm_set_duty": _same("pwm_set_duty_cycle", ("pin", "duty")),
    "pwm_set_frequency": _same("pwm_set_frequency", ("pin", "frequency")),
    "pwm_stop": _same("pwm_stop", ("pin",)),
    # waveform generator
    "wavegen_sweep": _same("wavegen_set_sweep", ("start_hz", "end_hz", "seconds")),
    "wavegen_start": _same("wavegen_start", ()),
    "wavegen_stop": _same("wavegen_stop", ()),
    # OLED, LEDs
    "oled_print": _same("oled_print", ("text", "size")),
    "oled_clear": _same("oled_clear", ()),
    "net_set_color": lambda a, legacy: [_call("set_net_color", a["net"], a["color"])],
    "net_set_name": _same("set_net_name", ("net", "name")),
    "overlay_set": _overlay_set,
    "overlay_clear": _overlay_clear,
    "overlay_set_pixel": lambda a, legacy: [_call("overlay_set_pixel", a["x"], a["y"], color_value(a["color"], "c"))],
    "overlay_move": _same("overlay_place", ("name", "x", "y")),
    # files, slots, system
    "fs_write": _same("fs_write", ("path", "text")),
    "fs_read": _same("fs_read", ("path",), read=True),
    "undo": _same("undo", ()),
    "redo": _same("redo", ()),
    "arduino_reset": _same("arduino_reset", ()),
    "exec_python": lambda a, legacy: [f"print({_call('run_python', a['code'], timeout=a.get('timeout'))})"],
    # probe: a tap is simulated touching; the rest waits on a person
    "probe_tap": _same("probe_tap", ("node",)),
    "probe_read": _wait("a probe touch"),
    "probe_button": _wait("a probe button press"),
    "guide_place": _wait("placing a part"),
    # measurements and pictures (the Board's own workflow methods)
    "measure": _same("measure", ("node",), ("samples", "settle", "adc"), read=True),
    "measure_resistance": _same("measure_resistance", ("a", "b"), ("max_volts",), read=True),
    "continuity": _same("continuity", ("a", "b"), ("threshold_ohms",), read=True),
    "diode_test": _same("diode_test", ("a", "b"), ("max_volts",), read=True),
    "iv_sweep": _iv_sweep,
    "identify_part": _same("identify_part", ("a", "b"), ("use_firmware",), read=True),
    "net_currents": _same("net_currents", (), read=True),
    "board_picture": lambda a, legacy: _picture("board_picture", a.get("source", "auto")),
    "oled_picture": lambda a, legacy: _picture("oled_picture", a.get("scale", 8)),
}


# --- sessions ----------------------------------------------------------------------------------------


def sessions(entries: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The entries grouped by session id, in the order the sessions started."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        grouped.setdefault(str(entry.get("session", "")), []).append(entry)
    return grouped


def select(
    entries: Iterable[dict[str, Any]], session: str | None = None, board: str | None = None
) -> list[dict[str, Any]]:
    """One session's calls on one board: the newest session and its only board unless named.

    An empty log, an unknown session or an ambiguous board is an ExportError naming `session` or `board`."""
    grouped = sessions(entries)
    if not grouped:
        raise ExportError("session", "the audit log is empty: no tool call has been logged yet", "a logged session")
    if session is None:
        session = next(reversed(grouped))
    elif session not in grouped:
        matches = [key for key in grouped if key.startswith(session) or key.endswith(session)]
        if len(matches) != 1:
            raise ExportError("session", f"no single session {session!r} in the audit log", ", ".join(grouped))
        session = matches[0]
    chosen = grouped[session]
    boards = list(dict.fromkeys(str(entry.get("board", "")) for entry in chosen))
    if board is None and len(boards) > 1:
        raise ExportError("board", f"session {session} drove {len(boards)} boards; name one", ", ".join(boards))
    board = board if board is not None else boards[0]
    picked = [entry for entry in chosen if entry.get("board") == board]
    if not picked:
        raise ExportError("board", f"session {session} has no calls on board {board!r}", ", ".join(boards))
    return picked


def _cut(value: object) -> bool:
    """Whether the log shortened or hid this value (so the script cannot send it again)."""
    if isinstance(value, str):
        return any(mark in value for mark in CUT_MARKS)
    if isinstance(value, dict):
        return any(_cut(item) for item in value.values())
    if isinstance(value, list):
        return any(_cut(item) for item in value)
    return False


def _spec(tool: str) -> ToolSpec | None:
    return next((spec for spec in ALL_TOOLS if spec.name == tool), None)


def _with_defaults(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the tool ran them: its declared defaults filled in (the Board's may differ)."""
    spec = _spec(tool)
    params = spec.params if spec is not None else ()
    return {p.name: p.schema["default"] for p in params if "default" in p.schema} | args


def translate(entry: dict[str, Any]) -> Lines:
    """The script lines for one logged call: code, or comments saying why not."""
    tool = str(entry.get("tool", "?"))
    args = entry.get("arguments") if isinstance(entry.get("arguments"), dict) else {}
    shown = json.dumps(args, ensure_ascii=False)
    if len(shown) > 200:
        shown = shown[:200] + "..."
    head = f"# {str(entry.get('time', ''))[11:23]} {tool} {shown}"
    if entry.get("outcome") != "ok":
        error = entry.get("error") or {}
        kind = error.get("kind", entry.get("outcome")) if isinstance(error, dict) else entry.get("outcome")
        return [f"{head}  -- failed ({kind}): not replayed"]
    translator = TRANSLATORS.get(tool)
    if translator is None:
        spec = _spec(tool)
        why = (
            "a read with no Board method of its own" if spec is not None and not spec.mutates else "no Board equivalent"
        )
        return [f"{head}  -- {why}: not replayed"]
    if _cut(args):
        return [f"{head}  -- the log cut or redacted an argument: not replayed"]
    legacy = str(entry.get("firmware") or "").startswith("5.3")
    try:
        lines = translator(_with_defaults(tool, args), legacy)
    except (KeyError, TypeError, ValueError, ArgumentError) as exc:
        return [f"{head}  -- not replayed ({type(exc).__name__}: {exc})"]
    if isinstance(lines, str):
        return [f"{head}  -- {lines}: not replayed"]
    return [head, *lines]


def script(entries: Sequence[dict[str, Any]]) -> str:
    """A runnable bench script (async `Board` API) replaying these calls, in order."""
    first = entries[0]
    body: Lines = []
    for entry in entries:
        body += translate(entry)
    python = any(entry.get("tool") == "exec_python" and entry.get("outcome") == "ok" for entry in entries)
    replayed = sum(1 for line in body if not line.lstrip().startswith("#"))
    options = ", allow_python=True" if python else ""
    header = f'''#!/usr/bin/env python3
"""Replay of jumperless-mcp session {first.get("session")}: {len(entries)} tool call(s) on board {first.get("board")!r}
(target {first.get("target")!r}, firmware {first.get("firmware")}), recorded from {first.get("time")}.

Exported by `jumperless-mcp log --export-script`; {replayed} line(s) replay calls, comments mark what is not replayed.
Run: python THIS_FILE [TARGET]   (TARGET: emulator, emulator:legacy, usb:<location>, a port path;
default: JUMPERLESS_PORT, else auto). Or import it and `await replay(board)` in a test.
"""

import asyncio
import sys

from jumperless_mcp import Board


async def replay(board: Board) -> None:
'''
    footer = f"""

async def main(target: str | None) -> None:
    async with Board.open(target{options}) as board:
        await replay(board)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))
"""
    if not replayed:
        body.append("pass")
    return header + "\n".join(f"    {line}" for line in body) + footer
