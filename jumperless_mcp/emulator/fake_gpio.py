"""JumperlOS's FakeGpioPin and FakeGpioDisconnect types (JOS mjc :2860-3130), on the virtual board.

FakeGpio.cpp (the C++ side) is not in the reference, so this is a model of what the module's C code and
comments say: a pin is a breadboard node driven HIGH/LOW from a rail, GND, a DAC or a voltage (here: a
Thevenin source of FAKE_GPIO_OHMS in the electrical model) or read against two thresholds; configuring
it clears the node's bridges; FakeGpioDisconnect opens a bridge for the body of a `with` and closes it
again. Configuration fails (ValueError) only for a node the family cannot route; how the firmware
allocates DACs for custom voltages is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware_api import nodes
from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.board import FakePin

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

FAKE_GPIO_MODE_INPUT = 0  # JOS mjc :2969
FAKE_GPIO_MODE_OUTPUT = 1
VOLTAGE_SOURCE_NODES = (nodes.GND, nodes.TOP_RAIL, nodes.BOTTOM_RAIL, nodes.DAC0, nodes.DAC1)  # mjc :2974-2985


def fake_gpio_types(board: BoardModel) -> tuple[type, type]:
    """The two classes, bound to one board (the firmware's types act on its one global state)."""

    class FakeGpioPin:
        __slots__ = ("_node",)

        def __init__(self, *args: object, **kwargs: object) -> None:
            strict.check_count(1, 6, len(args), len(kwargs), False)
            self._node = strict.get_int(args[0])
            mode = strict.get_int(args[1]) if len(args) > 1 else FAKE_GPIO_MODE_OUTPUT
            high = strict.get_float(args[4]) if len(args) > 4 else 2.0
            low = strict.get_float(args[5]) if len(args) > 5 else 0.8
            if mode == FAKE_GPIO_MODE_INPUT:
                high = strict.get_float(args[2]) if len(args) > 2 else high
                low = strict.get_float(args[3]) if len(args) > 3 else low
                if not _configure(board, self._node, FakePin(False, 0, 0, False, high, low)):
                    raise ValueError("Failed to configure fake GPIO INPUT pin")
                return
            pin = FakePin(True, 5.0, 0.0, False, high, low)
            if len(args) > 2:
                first = strict.get_int(args[2])  # mjc :3012: even a voltage goes through mp_obj_get_int first
                if first in VOLTAGE_SOURCE_NODES:
                    pin.node_based, pin.high, pin.low = True, first, nodes.GND
                else:
                    pin.high = strict.get_float(args[2])
            if len(args) > 3:
                if pin.node_based:
                    second = strict.get_int(args[3])
                    if second not in VOLTAGE_SOURCE_NODES:
                        raise ValueError("Invalid low_node - must be TOP_RAIL/BOTTOM_RAIL/DAC0/DAC1/GND")
                    pin.low = second
                else:
                    pin.low = strict.get_float(args[3])
            if not _configure(board, self._node, pin):
                raise ValueError("Failed to configure fake GPIO OUTPUT pin")

        def value(self, *args: object, **kwargs: object) -> int | None:
            strict.check_count(1, 2, len(args) + 1, len(kwargs), False)
            if not args:
                return _read(board, self._node)
            _write(board, self._node, strict.get_int(args[0]))
            return None

        def on(self, *args: object, **kwargs: object) -> None:
            strict.check_count(1, 1, len(args) + 1, len(kwargs), False)
            _write(board, self._node, 1)

        def off(self, *args: object, **kwargs: object) -> None:
            strict.check_count(1, 1, len(args) + 1, len(kwargs), False)
            _write(board, self._node, 0)

        def toggle(self, *args: object, **kwargs: object) -> None:
            strict.check_count(1, 1, len(args) + 1, len(kwargs), False)
            _write(board, self._node, 0 if _read(board, self._node) else 1)

        def __repr__(self) -> str:
            return "<FakeGpioPin>"  # no print slot: mp_obj_print_helper prints `<%q>` of the type

    class FakeGpioDisconnect:
        __slots__ = ("_bridge", "_nodes")

        def __init__(self, *args: object, **kwargs: object) -> None:
            strict.check_count(2, 2, len(args), len(kwargs), False)
            self._nodes = (strict.get_int(args[0]), strict.get_int(args[1]))
            self._bridge = None

        def __enter__(self, *args: object) -> FakeGpioDisconnect:
            strict.check_count(1, 1, len(args) + 1, 0, False)
            a, b = self._nodes
            with board.lock:
                bridge = next((br for br in board.netlist.bridges if br.joins(a, b)), None)
                if bridge is None:
                    raise ValueError("Failed to disconnect path")
                board.netlist.bridges.remove(bridge)
            self._bridge = bridge
            return self

        def __exit__(self, *args: object) -> None:
            strict.check_count(4, 4, len(args) + 1, 0, False)
            with board.lock:
                if self._bridge is None or not board.netlist.add(*self._nodes, self._bridge.duplicates):
                    raise ValueError("Failed to reconnect path")

        def __repr__(self) -> str:
            return "<FakeGpioDisconnect>"

    for cls in (FakeGpioPin, FakeGpioDisconnect):
        cls.__module__ = "builtins"  # the type prints as <class 'FakeGpioPin'>
    return FakeGpioPin, FakeGpioDisconnect


def _configure(board: BoardModel, node_id: int, pin: FakePin) -> bool:
    node = nodes.NODES.get(node_id)
    if node is None or not node.is_routable(board.family):
        return False
    with board.lock:
        board.disconnect(node_id)  # "Clears any existing connections to the pin" (mjc :2960)
        board.fake_pins[node_id] = pin
    return True


def _write(board: BoardModel, node_id: int, value: int) -> None:
    pin = board.fake_pins.get(node_id)
    if pin is not None and pin.output:
        pin.value = 1 if value else 0


def _read(board: BoardModel, node_id: int) -> int:
    """An output reads what it drives; an input compares its node's voltage with the thresholds."""
    pin = board.fake_pins.get(node_id)
    if pin is None:
        return 0
    if not pin.output:
        with board.lock:
            volts = board.voltage(node_id)
        if volts is not None and volts >= pin.threshold_high:
            pin.value = 1
        elif volts is None or volts <= pin.threshold_low:
            pin.value = 0
    return pin.value
