"""Human-readable netlist and bridge tables, in the firmware's layout (protocol §2.3).

Hosts must strip the ANSI colour codes and in-band bytes; the virtual board
prints them so that hosts are tested against what real boards send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware_api import nodes
from jumperless_mcp.emulator.board import ADC_NODES
from jumperless_mcp.emulator.electrical import GPIO_PIN_NODES

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

ESC = "\x1b"
RESET = f"{ESC}[0m"


def _colour(code: int) -> str:
    return f"{ESC}[38;5;{code}m"


def interactive(board: BoardModel) -> bool:
    """Whether any ADC or GPIO sits in a net, which puts `n` in live mode."""
    watched = {*ADC_NODES.values(), *GPIO_PIN_NODES}
    return any(n in watched for net in board.netlist.nets() for n in net.nodes)


def netlist(board: BoardModel) -> str:
    lines = ["\n\n\rnetlist\n\r", "\n\rIndex\tName\t\tVoltage\t    Nodes\t\n\r"]
    nets = board.netlist.nets()
    for net in nets:
        if not net.special:
            continue
        key = {1: None, 2: "top_rail", 3: "bottom_rail", 4: "dac0", 5: "dac1"}[net.number]
        volts = 0.0 if key is None else board.power[key]
        members = ",".join(nodes.short_name(n) for n in net.nodes)
        tab = "\t\t" if len(board.net_name(net.number)) < 7 else "\t"
        lines.append(
            f"{_colour(40 + net.number)}{net.number}\t {board.net_name(net.number)}{tab} "
            f"{_colour(40 + net.number)}{f'{volts:.2f} V':<10}  {members:<14}\t    \r\n"
        )
    lines.append(f"{RESET}\n\rIndex\tName\t\tColor\t    Nodes\r\n")
    for net in nets:
        if net.special:
            continue
        members = ",".join(nodes.short_name(n) for n in net.nodes)
        colour = board.net_color(net.number)[1]
        lines.append(
            f"{_colour(196 + net.number % 30)}{net.number}\t {board.net_name(net.number)}\t\t "
            f"{_colour(196 + net.number % 30)}{colour:<10}  {members}\t    \r\n"
        )
    lines.append(f"{RESET}\n\r")
    return "".join(lines)


def bridges_compact(board: BoardModel) -> str:
    nets, _ = board.netlist.routed()
    net_of = {id(br): net for net in nets for br in net.bridges}
    cells = []
    for index, bridge in enumerate(board.netlist.bridges):
        net = net_of.get(id(bridge))
        label = board.net_name(net.number) if net else "unrouted"
        cells.append(f"{index}  [{nodes.short_name(bridge.a)},{nodes.short_name(bridge.b)},{label}],".ljust(24))
    rows = ["".join(cells[i : i + 4]) for i in range(0, len(cells), 4)]
    return "\n\rBridge Array\n\r\n\r" + "\n\r".join(rows) + "\n\r"
