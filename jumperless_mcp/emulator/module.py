"""The `jumperless` MicroPython module of the virtual board, built from the firmware's own signature table.

The persona's firmware version picks the table (`firmware_api.signatures.tree_for`), and the module exports
exactly that tree's names: every function name of its globals table, bound to a `FirmwareFunction` that
checks and converts the call like MicroPython would (`strict.py`), and every constant with the firmware's
type and value. The implementations are the public methods of the function groups (`FunctionGroup`), one
module per family (`connection_functions`, `analog_functions`, `wavegen_functions`, `net_functions`,
`overlay_functions`, `system_functions`, `gpio_functions`, `oled_functions`, `oled_screens`,
`probe_functions`, `logic_analyzer`, `usb_audio`, `projects`), named as the firmware's functions; each cites
the C it follows (JOS = jumperlos-5.7.0.13-fork, V5 = v5-5.3.2.4, mjc = modules/jumperless/modjumperless.c,
API = src/JumperlessMicroPythonAPI.cpp).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import TYPE_CHECKING

from firmware_api.c_module import ConstantSig
from firmware_api.signatures import Tree, tree_for
from firmware_api.values import GPIODirection, GPIOState
from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.analog_functions import AnalogFunctions
from jumperless_mcp.emulator.connection_functions import ConnectionFunctions
from jumperless_mcp.emulator.fake_gpio import FAKE_GPIO_MODE_INPUT, FAKE_GPIO_MODE_OUTPUT, fake_gpio_types
from jumperless_mcp.emulator.function_group import ExecutionContext, FunctionGroup
from jumperless_mcp.emulator.fwtypes import (
    GPIODirectionObject,
    GPIOStateObject,
    NodeObject,
    ProbeButtonObject,
    ProbePadObject,
)
from jumperless_mcp.emulator.gpio_functions import GpioFunctions
from jumperless_mcp.emulator.logic_analyzer import LogicAnalyzerFunctions
from jumperless_mcp.emulator.net_functions import NetFunctions
from jumperless_mcp.emulator.oled_functions import OledFunctions
from jumperless_mcp.emulator.oled_screens import OledScreenFunctions
from jumperless_mcp.emulator.overlay_functions import OverlayFunctions
from jumperless_mcp.emulator.probe_functions import ProbeFunctions
from jumperless_mcp.emulator.projects import ProjectFunctions
from jumperless_mcp.emulator.system_functions import SystemFunctions
from jumperless_mcp.emulator.usb_audio import UsbAudioFunctions
from jumperless_mcp.emulator.wavegen_functions import WavegenFunctions

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel
    from jumperless_mcp.emulator.filesystem import BoardFiles

__all__ = ["ExecutionContext", "JumperlessModule"]

# Integer constants whose table value is a C macro (JOS mjc :2969-2970).
_C_MACROS = {"FAKE_GPIO_MODE_INPUT": FAKE_GPIO_MODE_INPUT, "FAKE_GPIO_MODE_OUTPUT": FAKE_GPIO_MODE_OUTPUT}
# Separate C functions with the same body as another one (e.g. jl_read_probe_param_func and
# jl_probe_read_param_func, JOS mjc :3695-3725): the firmware's objects differ, the behaviour does not.
SAME_AS = {
    "read_probe": "probe_read",
    "probe_wait": "probe_read_blocking",
    "wait_probe": "probe_read_blocking",
    "probe_touch": "probe_read_blocking",
    "wait_touch": "probe_read_blocking",
    "get_button": "probe_button",
    "button_read": "probe_button",
    "read_button": "probe_button",
    "button_check": "check_button",
}


# Every group but the system functions, which the module builds first (it holds the board's files).
_GROUPS: tuple[type[FunctionGroup], ...] = (
    ConnectionFunctions,
    AnalogFunctions,
    WavegenFunctions,
    NetFunctions,
    OverlayFunctions,
    GpioFunctions,
    OledFunctions,
    OledScreenFunctions,
    ProbeFunctions,
    LogicAnalyzerFunctions,
    UsbAudioFunctions,
    ProjectFunctions,
)


class JumperlessModule:
    """The namespace: every name of the firmware table, bound to one function group's method or a constant."""

    def __init__(self, board: BoardModel, context: ExecutionContext, tree: Tree | None = None) -> None:
        self.board = board
        self.tree = tree or tree_for(board.version)
        self.family = board.family
        self.node_names = self.tree.table.node_names
        self.system = SystemFunctions(board, context, self.tree)
        self.groups: tuple[FunctionGroup, ...] = (
            *(group(board, context, self.tree) for group in _GROUPS),
            self.system,
        )

    @property
    def files(self) -> BoardFiles:
        """The board's files, as the fs_* functions, the `jfs` module and the dialect's open() see them."""
        return self.system.files

    def help(self, section: str | None = None) -> None:
        """The firmware's help(), which the dialect also installs as the builtin help."""
        self.system.help(section)

    def namespace(self) -> dict[str, object]:
        """Every name of the firmware table, as `from jumperless import *` gives them."""
        functions: dict[str, strict.FirmwareFunction] = {}
        namespace: dict[str, object] = {}
        for name, sig in self.tree.table.functions.items():
            if sig.c_function not in functions:  # aliases of one C object are one object (`is`)
                implementation = self.implementation(name)
                raw: frozenset[int] = getattr(implementation, "raw_positions", frozenset())
                converters = strict.converters_for(sig.arg_kinds, self.node_names, raw)
                functions[sig.c_function] = strict.FirmwareFunction(sig, implementation, converters)
            namespace[name] = functions[sig.c_function]
        pin_type, disconnect_type = fake_gpio_types(self.board)
        types_by_name = {"FakeGpioPin": pin_type, "FakeGpioDisconnect": disconnect_type}
        for name, constant in self.tree.table.constants.items():
            namespace[name] = self._constant(name, constant, types_by_name)
        return namespace

    def implementation(self, name: str) -> Callable[..., object]:
        """The method implementing a firmware function: its own, a same-bodied function's, or an alias's."""
        sig = self.tree.table.functions[name]
        siblings = [other for other, s in self.tree.table.functions.items() if s.c_function == sig.c_function]
        for candidate in [name, *([SAME_AS[name]] if name in SAME_AS else []), *siblings]:
            for group in self.groups:
                if not candidate.startswith("_") and callable(getattr(type(group), candidate, None)):
                    return getattr(group, candidate)  # type: ignore[no-any-return]
        raise LookupError(f"no implementation of {name} ({sig.c_function}) for firmware {self.tree.name}")

    def _constant(self, name: str, constant: ConstantSig, types_by_name: dict[str, type]) -> object:
        value = constant.value
        kind = constant.type_name
        if kind == "int":
            return _C_MACROS[value] if isinstance(value, str) else value
        if kind == "str":
            return value
        if kind == "module":
            return self.files.jfs_module()
        if kind == "type":
            return types_by_name[str(value)]
        if kind == "node":
            return NodeObject.of(int(value), family=self.family)  # type: ignore[arg-type]
        if kind == "ProbePad":
            return ProbePadObject.of(int(value), self.family)  # type: ignore[arg-type]
        if kind == "ProbeButton":
            return ProbeButtonObject.of(int(value), family=self.family)  # type: ignore[arg-type]
        if kind == "GPIOState":
            return GPIOStateObject.of(GPIOState[str(value).removeprefix("GPIO_STATE_")], family=self.family)
        if kind == "GPIODirection":  # the C object's bool: true = OUTPUT
            return GPIODirectionObject.of(
                GPIODirection.OUTPUT if value == "true" else GPIODirection.INPUT, family=self.family
            )
        raise LookupError(f"constant {name} of an unknown type {kind}")

    def module(self) -> types.ModuleType:
        module = types.ModuleType("jumperless")
        module.__dict__.update(self.namespace())
        return module
