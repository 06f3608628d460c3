"""What the classes implementing the firmware's functions share: the board, the caller, the firmware table.

Each class (`ConnectionFunctions`, `AnalogFunctions`, `GpioFunctions`, `OledFunctions`, ...: one module per
family, `*_functions.py`) defines public methods named as the firmware's functions; `JumperlessModule.namespace()`
(`module.py`) binds every name of the firmware table to one of them.
Helpers start with `_` so they can never be taken for a firmware function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from firmware_api.versions import FirmwareVersion
from jumperless_mcp.emulator import strict

if TYPE_CHECKING:
    from firmware_api.signatures import Tree
    from jumperless_mcp.emulator.board import BoardModel

# The fork the virtual board's default persona plays; every newer tree is upstream JumperlOS, whose
# behaviour differs in places (fs_listdir on a missing folder, adc_get's channels, ...).
FORK = FirmwareVersion.parse("5.7.0.13")


class ExecutionContext(Protocol):
    """What module functions need from whoever runs the code."""

    def write(self, text: str) -> None: ...  # the calling port's stdout
    def sleep(self, seconds: float) -> None: ...  # interruptible: raises KeyboardInterrupt
    def main_port(self, text: str) -> None: ...  # text the firmware prints on the main port
    def wait_main_port_input(self) -> None: ...  # block until a byte is pending on the main port


class FunctionGroup:
    """One family of firmware functions on one board, as a given firmware tree implements them."""

    def __init__(self, board: BoardModel, context: ExecutionContext, tree: Tree) -> None:
        self.board = board
        self.ctx = context
        self.tree = tree
        self.family = board.family
        self.node_names = tree.table.node_names

    @property
    def _upstream(self) -> bool:
        """Newer than the 5.7.0.13 fork: the upstream JumperlOS behaviour applies."""
        return self.tree.version > FORK

    def _node(self, value: object) -> int:
        """get_node_value() with this tree's node names."""
        return strict.node_value(value, self.node_names)
