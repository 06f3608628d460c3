"""get_state() / set_state() JSON, laid out byte for byte as JumperlOS builds it by hand.

Two generations of JsonState.cpp: the fork's (5.7.0.13; also used for 5.7.5, whose JsonState is in no tree) lists
every net and escapes only quotes and line breaks; upstream's (5038bee, the 5.7.11 persona) leaves out nets of
fewer than two nodes (the reserved supply nets, seeded with their own node; routing/JsonState.cpp:138-149) and
escapes backslashes and tabs too, dropping other control and non-ASCII bytes (escapeJson :29-79).
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

from firmware_api import nodes
from firmware_api.values import GPIODirection, GPIOPull, GPIOState
from firmware_api.versions import FirmwareVersion
from jumperless_mcp.emulator.board import ADC_NODES, Overlay
from jumperless_mcp.emulator.electrical import GPIO_PIN_NODES, POWER_KEYS

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

SECTIONS = ("power", "nets", "gpio", "overlays")
_PULL_WORDS = {GPIOPull.PULLUP: "up", GPIOPull.PULLDOWN: "down", GPIOPull.BUS_KEEPER: "keeper", GPIOPull.NONE: "none"}
_READING_WORDS = {GPIOState.LOW: "low", GPIOState.HIGH: "high", GPIOState.FLOATING: "float"}
_ADC_CHANNEL_OF = {node_id: channel for channel, node_id in ADC_NODES.items()}


def _f(value: float) -> str:
    return f"{value:.3f}"


UPSTREAM_JSON_SINCE = FirmwareVersion.parse("5.7.11")


def _s(text: str) -> str:
    """The fork's escapeJson: only quotes and line breaks."""
    return '"' + text.replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _s_upstream(text: str) -> str:
    """Upstream's escapeJson: quotes, backslashes, \\n \\r \\t escaped; other non-printable bytes dropped."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return '"' + "".join(escapes.get(c, c if " " <= c <= "~" else "") for c in text) + '"'


def _upstream(board: BoardModel) -> bool:
    return board.version >= UPSTREAM_JSON_SINCE


def get_state(board: BoardModel) -> str:
    parts = [_power(board), _nets(board), _gpio(board), _overlays(board)]
    return "{\n" + ",\n".join(parts) + "\n}"


def _power(board: BoardModel) -> str:
    power = board.power
    lines = [f'    "{key}": {_f(power[key])}' for key in ("top_rail", "bottom_rail", "dac0", "dac1")]
    return '  "power": {\n' + ",\n".join(lines) + "\n  }"


def _special(board: BoardModel, net_nodes: list[int]) -> tuple[str, str]:
    """(special kind, extra field) for a net: the last matching node wins, as in the firmware."""
    kind, extra = "none", ""
    for node_id in net_nodes:
        if node_id in _ADC_CHANNEL_OF:
            volts = board.adc_read(_ADC_CHANNEL_OF[node_id])
            kind, extra = "ADC", f'"voltage": {_f(0.0 if abs(volts) < 0.03 else volts)}'
        elif node_id in nodes.GPIO_NODES:
            reading = board.gpio_read(nodes.GPIO_NODES.index(node_id) + 1)
            kind, extra = "GPIO", f'"logic": {int(reading)}'
        elif node_id in (nodes.UART_TX, nodes.UART_RX):
            kind, extra = ("UART_TX" if node_id == nodes.UART_TX else "UART_RX"), '"logic": 0'
        elif node_id in (nodes.DAC0, nodes.DAC1):
            kind, extra = "DAC", f'"voltage": {_f(board.power["dac0" if node_id == nodes.DAC0 else "dac1"])}'
        elif node_id in (nodes.TOP_RAIL, nodes.BOTTOM_RAIL):
            key = "top_rail" if node_id == nodes.TOP_RAIL else "bottom_rail"
            kind, extra = "RAIL", f'"voltage": {_f(board.power[key])}'
    return kind, extra


def _nets(board: BoardModel) -> str:
    entries = []
    upstream = _upstream(board)
    quote = _s_upstream if upstream else _s
    for net in board.netlist.nets():
        if upstream and len(net.nodes) < 2:
            continue
        kind, extra = _special(board, net.nodes)
        node_list = ", ".join(_s(nodes.short_name(n)) for n in net.nodes)
        body = (
            f'    {{\n      "index": {net.number},\n      "name": {quote(board.net_name(net.number).strip())},\n'
            f'      "nodes": [{node_list}],\n      "special": "{kind}"'
        )
        if extra:
            body += ",\n      " + extra
        entries.append(body + "\n    }")
    return '  "nets": [\n' + ",\n".join(entries) + "\n  ]"


def _gpio(board: BoardModel) -> str:
    membership = {n: net.number for net in board.netlist.nets() for n in net.nodes}
    entries = []
    for index, (pin, node_id) in enumerate(zip(board.gpio, GPIO_PIN_NODES, strict=True)):
        label = str(index + 1) if index < 8 else ('"TX"' if index == 8 else '"RX"')
        net = membership.get(node_id)
        direction = "OUTPUT" if index == 8 else "INPUT" if index == 9 else pin.direction.name
        function = "PWM" if pin.pwm_frequency else "UART" if index >= 8 else "SIO"
        reading = _READING_WORDS.get(board.gpio_read(index + 1), "unknown")
        entries.append(
            f'    {{\n      "pin": {label},\n      "net": {net if net is not None else "null"},\n'
            f'      "function": "{function}",\n      "direction": "{direction}",\n'
            f'      "pull": "{_PULL_WORDS[pin.pull]}",\n      "reading": "{reading}",\n'
            f'      "floating_read": {int(pin.read_floating)}\n    }}'
        )
    return '  "gpio": [\n' + ",\n".join(entries) + "\n  ]"


def overlay_json(overlay: Overlay) -> str:
    colors = ",".join(f'"{c:06X}"' for c in overlay.colors)
    return (
        f'{{"name":{_s(overlay.name)},"row":{overlay.row},"col":{overlay.col},'
        f'"width":{overlay.width},"height":{overlay.height},"colors":[{colors}]}}'
    )


def _overlays(board: BoardModel) -> str:
    body = ",".join("\n    " + overlay_json(o) for o in board.overlays)
    return '  "overlays": [' + body + "\n  ]"


class StateError(ValueError):
    pass


def set_state(board: BoardModel, text: str, clear_first: bool = True) -> None:
    """Apply the sections present in a get_state()-shaped document; StateError says why not."""
    if len(text) < 2:
        raise StateError("Empty or invalid JSON")
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        raise StateError("Invalid JSON: must be an object")
    try:
        document = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise StateError(f"Invalid JSON: {exc.msg}") from None
    present = [s for s in SECTIONS if s in document]
    if not present:
        raise StateError("Invalid JSON: no recognized sections (nets, power, gpio, overlays)")
    power = dict(board.power)
    for key, value in (document.get("power") or {}).items():
        if key in power:
            if not isinstance(value, (int, float)) or not -8.0 <= value <= 8.0:
                raise StateError("Power values out of range (-8V to +8V)")
            power[key] = float(value)
    board.power = power
    if "nets" in document:
        if clear_first:
            board.netlist.clear()
        for net in document["nets"] or []:
            chain = []
            for name in net.get("nodes", []):
                if isinstance(name, str):
                    try:
                        chain.append(nodes.resolve_node(name))
                    except ValueError:
                        continue
            for a, b in itertools.pairwise(chain):
                board.netlist.add(a, b)
            index, volts = net.get("index"), net.get("voltage")
            if index in (2, 3, 4, 5) and isinstance(volts, (int, float)) and "power" not in document:
                board.power[POWER_KEYS[(2, 3, 0, 1)[index - 2]]] = float(volts)
    for entry in document.get("gpio") or []:
        pin = entry.get("pin")
        if isinstance(pin, int) and 1 <= pin <= 8:
            gpio = board.gpio[pin - 1]
            if "direction" in entry:
                gpio.direction = (
                    GPIODirection.OUTPUT if str(entry["direction"]).upper() == "OUTPUT" else GPIODirection.INPUT
                )
            pulls = {"up": GPIOPull.PULLUP, "down": GPIOPull.PULLDOWN, "none": GPIOPull.NONE,
                     "keeper": GPIOPull.BUS_KEEPER}  # fmt: skip
            if entry.get("pull") in pulls:
                gpio.pull = pulls[entry["pull"]]
            if "floating_read" in entry:
                gpio.read_floating = bool(entry["floating_read"])
    if "overlays" in document:
        board.overlays.clear()
        for item in document["overlays"] or []:
            try:
                colors = [int(c, 16) for c in item["colors"]]
                board.overlays.append(
                    Overlay(str(item["name"]), int(item["row"]), int(item["col"]), int(item["width"]),
                            int(item["height"]), colors)
                )  # fmt: skip
            except (KeyError, TypeError, ValueError):
                continue
    board.snapshot("set_state")
