"""The firmware's system functions: terminal colour, files, resets, apps and services, printouts, help.

The filesystem functions (JOS mjc :4602-4672, upstream :4770-4830, V5 :2640-2720) read and write the board's
files (`BoardFiles`); the module's `jfs` constant and the dialect's `open` use the same files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from firmware_api.versions import Family
from jumperless_mcp.emulator import netprint, strict
from jumperless_mcp.emulator.filesystem import BoardFiles
from jumperless_mcp.emulator.function_group import ExecutionContext, FunctionGroup

if TYPE_CHECKING:
    from firmware_api.signatures import Tree
    from jumperless_mcp.emulator.board import BoardModel

_SERVICES = ["probe", "clickwheel", "oled", "leds", "routing", "gpio", "usb"]


class SystemFunctions(FunctionGroup):
    """change_terminal_color, cycle_term_color, fs_*, arduino_reset, pause_core2, apps, services, print_*, help."""

    def __init__(self, board: BoardModel, context: ExecutionContext, tree: Tree) -> None:
        super().__init__(board, context, tree)
        self.files = BoardFiles(board.fs_root, self.family is Family.JUMPERLOS, missing_folder_raises=self._upstream)

    def change_terminal_color(self, color: int = -1, flush: bool = True) -> None:
        if color >= 0:
            self.ctx.write(f"\x1b[38;5;{color}m")

    def cycle_term_color(self, reset: bool = False, step: float = 100.0, flush: bool = True) -> None:
        pass  # colour cycling only changes escape codes on the terminal

    # --- filesystem (JOS mjc :4602-4672, upstream :4770-4830, V5 :2640-2720) ----------------------------------------
    def fs_exists(self, path: str) -> bool:
        return self.files.exists(path)

    def fs_listdir(self, path: str) -> list[str]:
        """Names, folders with '/'. Upstream raises OSError(ENOENT) for a missing folder; the fork returns []."""
        return self.files.listdir(path)

    def fs_read(self, path: str) -> str | None:
        return self.files.read_text(path, limit=4095)

    def fs_write(self, path: str, text: str) -> bool:
        return self.files.write_text(path, text)

    def fs_cwd(self) -> str:
        return "/"

    # --- system --------------------------------------------------------------------------------------------------
    def arduino_reset(self) -> None:
        self.board.arduino_resets += 1

    def pause_core2(self, pause: object) -> None:
        """jl_pause_core2_func (JOS mjc :3571): bool, int, or one of a few strings; anything else TypeError."""
        if isinstance(pause, bool):
            self.board.core2_paused = pause
        elif isinstance(pause, int):
            self.board.core2_paused = strict.machine_word(pause) != 0
        elif isinstance(pause, str):
            self.board.core2_paused = pause in ("true", "1", "on", "yes")
        else:
            raise TypeError("pause_core2() argument must be bool, int, or string")

    def run_app(self, name: str) -> None:
        raise NotImplementedError(f"run_app: on-board apps are not emulated by the virtual board ({name!r})")

    def force_service(self, name: str) -> bool:
        return name in _SERVICES

    def force_service_by_index(self, index: int) -> bool:
        return 0 <= index < len(_SERVICES)

    def get_service_index(self, name: str) -> int:
        return _SERVICES.index(name) if name in _SERVICES else -1

    def print_bridges(self) -> None:
        self.ctx.write(netprint.bridges_compact(self.board))

    def print_paths(self) -> None:
        self.ctx.write(netprint.bridges_compact(self.board))

    def print_crossbars(self) -> None:
        self.ctx.write("The virtual board routes nets without modelling the 12 crossbar chips.\n")

    def print_chip_status(self) -> None:
        self.print_crossbars()

    def print_nets(self) -> None:
        self.ctx.write(netprint.netlist(self.board).replace("\r\n", "\n"))
        if netprint.interactive(self.board):
            self.ctx.wait_main_port_input()  # live mode: ends when a byte arrives on the main port

    def help(self, section: str | None = None) -> None:
        names = sorted(self.tree.table.functions)
        if section is None:
            self.ctx.write("Jumperless functions:\n" + "\n".join(f"  {n}()" for n in names) + "\n")
        else:
            self.ctx.write(f"Unknown help section: {section}\nUse help() to see available sections.\n\n")

    def nodes_help(self) -> None:
        self.ctx.write("Nodes: rows 1-60, NANO_D0-D13, NANO_A0-A7, GND, TOP_RAIL, BOTTOM_RAIL, DAC0, DAC1, "
                       "ADC0-ADC4, ISENSE_PLUS/MINUS, GPIO_1-GPIO_8, UART_TX/RX, BUFFER_IN/OUT\n")  # fmt: skip
