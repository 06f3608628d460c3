"""What clients show and search besides the schema: a tool's title, its subsystem's icon, and Claude Code's hints.

GUI clients show `title` and `icons`; Claude Code loads only tool names at session start and finds the rest with
its tool search, which reads `_meta["anthropic/searchHint"]` (a few words), and loads a tool's schema up front
when `_meta["anthropic/alwaysLoad"]` is true. A handful of core tools carry that mark: each one costs context on
every turn. Icons are tiny SVGs embedded as constants (no network, nothing drawn at start-up), one per subsystem,
so the whole list grows by ~150 bytes a tool. `limit_problems()` checks Claude Code's documented limits.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from mcp import types

ALWAYS_LOAD_META = "anthropic/alwaysLoad"
SEARCH_HINT_META = "anthropic/searchHint"
ALWAYS_LOAD = frozenset({"board_info", "connect", "get_netlist", "dac_set", "adc_read"})  # the core: 5 tools
DISCOVERY = "discovery"  # the subsystem of the discovery meta-tools (tooling/deferred.py)

# Claude Code's documented limits (code.claude.com/docs/en/mcp): instructions and tool descriptions are cut at
# 2 KB; tool names follow the API's ^[a-zA-Z0-9_-]{1,64}$. The hint and title limits are ours: a few words.
INSTRUCTIONS_LIMIT = 2048
ESSENTIALS = 512  # what the first part of the instructions must say
DESCRIPTION_LIMIT = 2048
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
HINT_LIMIT = 64
TITLE_LIMIT = 40


@dataclass(frozen=True)
class Subsystem:
    label: str  # for the icon's title and a search hint
    keywords: str  # words a person uses for this part of the board
    svg: str  # 16x16, one or two shapes


_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">{}</svg>'
SUBSYSTEMS: dict[str, Subsystem] = {  # each icon one filled path, to keep tools/list small
    "connections": Subsystem("Connections", "wire bridge rows", '<path fill="#06c" d="M0 6h16v4H0z"/>'),
    "power": Subsystem("Power and analog", "voltage rail", '<path fill="#e90" d="M9 0 2 9h5l-1 7 7-9H8z"/>'),
    "digital": Subsystem("GPIO and PWM", "pin digital", '<path fill="#393" d="M0 11h4V3h6v8h6v2H8V5H6v8H0z"/>'),
    "wavegen": Subsystem("Waveform generator", "signal", '<path fill="#c3c" d="M0 9q4-14 8-1t8 1v2q-4 10-8-1T0 11z"/>'),
    "oled": Subsystem("OLED display", "screen", '<path fill="#123" d="M0 3h16v10H0z"/>'),
    "probe": Subsystem("Probe", "tip touch", '<path fill="#777" d="m1 15 2-5 9-9 3 3-9 9z"/>'),
    "slots": Subsystem("Slots and history", "save restore", '<path fill="#669" d="M1 1h11l3 3v11H1z"/>'),
    "leds": Subsystem("LEDs and overlays", "led colour", '<circle fill="#f36" cx="8" cy="8" r="6"/>'),
    "files": Subsystem("Files", "flash file", '<path fill="#888" d="M2 0h8l4 4v12H2z"/>'),
    "system": Subsystem("System", "board firmware", '<path fill="#333" d="M3 3h10v10H3z"/>'),
    "logic_analyzer": Subsystem(
        "Logic analyzer", "digital capture", '<path fill="#090" d="M0 6h3V1h5v5h8v2H0zm0 4h8v5H0z"/>'
    ),
    "pictures": Subsystem("Pictures", "image png", '<path fill="#369" d="M0 2h16v12H0zm2 10h12l-4-6-3 4-2-2z"/>'),
    "capture": Subsystem(
        "Captures", "oscilloscope waveform", '<path fill="#093" d="M0 10 5 2l4 9 3-5 4 3v2l-4-3-3 6-4-9-4 7z"/>'
    ),
    "build": Subsystem(
        "Circuit building", "place parts", '<path fill="#c60" d="M2 2h3v12H2zm5 0h3v12H7zm5 0h3v12h-3z"/>'
    ),
    "measure": Subsystem("Measurements", "meter", '<path fill="#db0" d="M0 13a8 8 0 0 1 16 0z"/>'),
    DISCOVERY: Subsystem(
        "Tool discovery", "find tools", '<path fill="#555" d="M6 0a6 6 0 1 0 3 11l5 5 2-2-5-5A6 6 0 0 0 6 0z"/>'
    ),
}
_FALLBACK = "system"

# Titles that a name's words do not give well; every other tool's title is derived from its name (_derived_title).
TITLES = {
    "connect": "Connect two nodes",
    "disconnect": "Disconnect nodes",
    "is_connected": "Check a connection",
    "get_path_between": "Route between two nodes",
    "dac_set": "Set a DAC or rail voltage",
    "dac_get": "DAC or rail setpoint",
    "get_power": "Power setpoints",
    "adc_read": "Read the ADCs",
    "ina_read": "Read a current sensor",
    "measure_node": "Measure a node's voltage",
    "node_voltage": "Node voltage from the scan",
    "pwm_set_duty": "Set PWM duty cycle",
    "wavegen_configure": "Configure the waveform generator",
    "wavegen_sweep": "Sweep the waveform generator",
    "wavegen_start": "Start the waveform generator",
    "wavegen_stop": "Stop the waveform generator",
    "wavegen_status": "Waveform generator status",
    "oled_print": "Show text on the OLED",
    "oled_read": "Read the OLED",
    "probe_read": "Probe tip position",
    "probe_button": "Probe buttons",
    "probe_switch_position": "Probe mode switch",
    "clickwheel_input": "Turn or press the click wheel",
    "probe_tap": "Tap a node with the probe",
    "clickwheel_status": "Click wheel status",
    "slot_list": "List slots",
    "slot_switch": "Load a slot",
    "slot_save": "Save to a slot",
    "slot_discard": "Discard unsaved changes",
    "state_get": "Read the whole board state",
    "state_set": "Set the whole board state",
    "undo": "Undo",
    "redo": "Redo",
    "history": "Undo history",
    "net_set_color": "Set a net's LED colour",
    "net_set_name": "Name a net",
    "overlay_set_pixel": "Light one LED",
    "fs_list": "List board files",
    "fs_read": "Read a board file",
    "fs_write": "Write a board file",
    "board_info": "Board info",
    "board_messages": "Board messages",
    "arduino_reset": "Reset the Arduino",
    "uart_connect_arduino": "Connect UART to the Arduino",
    "python_context_get": "Python connection context",
    "python_context_toggle": "Switch Python connection context",
    "core2_pause": "Pause core 2",
    "core2_resume": "Resume core 2",
    "board_status_text": "Board status text",
    "exec_python": "Run MicroPython",
    "la_status": "Logic analyzer status",
    "la_stop": "Stop the logic analyzer",
    "la_capture": "Logic analyzer capture",
    "board_picture": "Picture of the board",
    "oled_picture": "Picture of the OLED",
    "capture": "Capture waveforms",
    "captures_list": "List captures",
    "guide_place": "Guide placing a part",
    "build_circuit": "Build a circuit",
    "measure": "Measure a node (averaged)",
    "measure_resistance": "Measure resistance",
    "continuity": "Continuity test",
    "diode_test": "Diode test",
    "iv_sweep": "I-V sweep",
    "net_currents": "Net currents",
    "identify_part": "Identify a part",
}
_WORDS = {"dac": "DAC", "adc": "ADC", "gpio": "GPIO", "pwm": "PWM", "oled": "OLED", "ina": "INA", "uart": "UART"}
_VERBS = frozenset(
    {"set", "get", "read", "write", "start", "stop", "clear", "list", "save", "restore", "switch", "discard"}
    | {"print", "capture", "move", "toggle", "apply"}
)


def _derived_title(name: str) -> str:
    """`gpio_set_direction` -> "Set GPIO direction": the verb first, acronyms in capitals."""
    words = [_WORDS.get(word, word) for word in name.split("_")]
    verb = next((i for i, word in enumerate(words) if word in _VERBS), 0)
    words = [words[verb], *words[:verb], *words[verb + 1 :]]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def title(name: str, declared: str = "") -> str:
    """A tool's human title: the spec's own, else the table's, else derived from its name."""
    return declared or TITLES.get(name) or _derived_title(name)


def search_hint(name: str, subsystem: str, declared: str = "", shown: str = "") -> str:
    """A few words for Claude Code's tool search: the spec's own, else its title's and its subsystem's words."""
    if declared:
        return declared
    part = SUBSYSTEMS.get(subsystem, SUBSYSTEMS[_FALLBACK])
    words: list[str] = []
    for word in [*(shown or title(name)).lower().split(), *part.label.lower().split(), *part.keywords.split()]:
        if word not in words and word not in ("a", "the", "and", "to", "of", "on", "from", "with", "two"):
            words.append(word)
    return _clip(words)


def _clip(words: Iterable[str]) -> str:
    """Whole words, in order, up to HINT_LIMIT characters."""
    hint = ""
    for word in words:
        if len(hint) + len(word) + 1 > HINT_LIMIT:
            break
        hint = f"{hint} {word}".strip()
    return hint


@cache
def icons(subsystem: str) -> tuple[types.Icon, ...]:
    """The subsystem's icon as a base64 `data:` URI (no network; SVG scales to any size)."""
    part = SUBSYSTEMS.get(subsystem, SUBSYSTEMS[_FALLBACK])
    data = base64.b64encode(_SVG.format(part.svg).encode()).decode()
    return (types.Icon(src=f"data:image/svg+xml;base64,{data}"),)  # the URI says the type; SVG fits any size


def hints(name: str, subsystem: str, declared_hint: str = "", always_load: bool | None = None) -> dict[str, Any]:
    """The `_meta` entries for Claude Code: the search hint, and alwaysLoad for the core tools."""
    meta: dict[str, Any] = {SEARCH_HINT_META: search_hint(name, subsystem, declared_hint)}
    if always_load if always_load is not None else name in ALWAYS_LOAD:
        meta[ALWAYS_LOAD_META] = True
    return meta


def decorate(tool: types.Tool, subsystem: str, *, always_load: bool = False, hint: str = "") -> types.Tool:
    """A ready-made declaration (a discovery meta-tool, `boards`) with its icon and hints; its title is kept."""
    hint = hint or search_hint(tool.name, subsystem, shown=tool.title or "")
    meta = {**(tool.meta or {}), **hints(tool.name, subsystem, hint, always_load)}
    return tool.model_copy(
        update={"icons": list(icons(subsystem)), "meta": meta, "title": tool.title or title(tool.name)}
    )


def for_board(tool: types.Tool, board: str, wire_name: str) -> types.Tool:
    """A board's tool on a server with several boards: its wire name, and the board in description, title and hint."""
    update: dict[str, Any] = {"name": wire_name, "description": f"[board {board}] {tool.description}"}
    if tool.title:
        update["title"] = f"{tool.title} ({board})"
    if tool.meta and SEARCH_HINT_META in tool.meta:
        words = [*re.split(r"[-_ ]+", board), *str(tool.meta[SEARCH_HINT_META]).split()]
        update["meta"] = {**tool.meta, SEARCH_HINT_META: _clip(words)}
    return tool.model_copy(update=update)


def limit_problems(tools: Iterable[types.Tool], instructions: str | None = None) -> list[str]:
    """What breaks Claude Code's documented limits or our own (empty when nothing does)."""
    problems: list[str] = []
    if instructions is not None and len(instructions.encode()) > INSTRUCTIONS_LIMIT:
        problems.append(f"instructions are {len(instructions.encode())} bytes (limit {INSTRUCTIONS_LIMIT})")
    for tool in tools:
        where = f"tool {tool.name!r}"
        if not NAME_PATTERN.match(tool.name):
            problems.append(f"{where}: name must match {NAME_PATTERN.pattern}")
        if len((tool.description or "").encode()) > DESCRIPTION_LIMIT:
            problems.append(f"{where}: description over {DESCRIPTION_LIMIT} bytes")
        if not tool.title or len(tool.title) > TITLE_LIMIT + 20:  # room for a board name
            problems.append(f"{where}: title {tool.title!r} missing or long")
        if not tool.icons:
            problems.append(f"{where}: no icon")
        hint = (tool.meta or {}).get(SEARCH_HINT_META)
        if not isinstance(hint, str) or not hint.strip() or len(hint) > HINT_LIMIT:
            problems.append(f"{where}: searchHint {hint!r} missing or over {HINT_LIMIT} characters")
        load = (tool.meta or {}).get(ALWAYS_LOAD_META)
        if load is not None and load is not True:
            problems.append(f"{where}: alwaysLoad must be true or absent, not {load!r}")
    return problems
