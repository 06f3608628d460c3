"""The firmware's probe, probe-button, switch and clickwheel functions.

Blocking calls wait (interruptibly) for what a test scripts with `VirtualBoard.probe`; the non-blocking
aliases return at once (JOS mjc :3643-3880, V5 mjc :1879-2070). The probe_read/probe_button families
(`read_probe`, `get_button`, ...) are separate C functions with the same bodies; `SAME_AS` in module.py
binds them to these implementations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.fwtypes import ProbeButtonObject, ProbePadObject


@contextlib.contextmanager
def _interrupt_says_ctrl_q() -> Iterator[None]:
    """Blocking probe calls raise KeyboardInterrupt('Ctrl+Q') when interrupted, whichever key did it."""
    try:
        yield
    except KeyboardInterrupt:
        raise KeyboardInterrupt("Ctrl+Q") from None


class ProbeFunctions(FunctionGroup):
    """probe_read*, probe_button*, the switch, the clickwheel and autoconnect."""

    # --- probe tip --------------------------------------------------------------------------------------
    def probe_read_blocking(self) -> ProbePadObject:
        self.board.probe_read_calls += 1  # jl_probe_read_blocking's static call_count
        try:
            with _interrupt_says_ctrl_q():
                pad = self.board.probe.take_pad(self.ctx.sleep)
        except KeyboardInterrupt:
            calls = self.board.probe_read_calls
            self.ctx.main_port(f"DEBUG: Interrupt detected in jl_probe_read_blocking, call #{calls}\r\n")
            raise
        return ProbePadObject.of(pad, self.family)

    def probe_read_nonblocking(self) -> ProbePadObject:
        return ProbePadObject.of(self.board.probe.take_pad(None), self.family)

    def probe_read(self, blocking: bool = True) -> ProbePadObject:
        return self.probe_read_blocking() if blocking else self.probe_read_nonblocking()

    def probe_tap(self, node: int) -> None:
        pass  # jl_probe_tap is a TODO in the firmware: the node is checked (get_node_value), nothing happens

    # --- probe buttons (JOS API :2087-2160) ---------------------------------------------------------------
    def probe_button_blocking(self, consume: bool = False) -> ProbeButtonObject:
        with _interrupt_says_ctrl_q():
            return ProbeButtonObject.of(self.board.probe.take_button(self.ctx.sleep, consume), family=self.family)

    def probe_button_nonblocking(self, consume: bool = False) -> ProbeButtonObject:
        return ProbeButtonObject.of(self.board.probe.take_button(None, consume), family=self.family)

    def probe_button(self, blocking: bool = True, consume: bool = False) -> ProbeButtonObject:
        return self.probe_button_blocking(consume) if blocking else self.probe_button_nonblocking(consume)

    def check_button(self) -> ProbeButtonObject:
        return self.probe_button_nonblocking(False)

    # --- the probe's switch -------------------------------------------------------------------------------
    def get_switch_position(self) -> int:
        return self.board.probe.switch_position

    def set_switch_position(self, position: int) -> None:
        if position in (-1, 0, 1):
            self.board.probe.switch_position = position

    def check_switch_position(self) -> int:
        return self.board.probe.switch_position

    def probe_autoconnect(self, enable: bool | None = None) -> bool:
        """No argument queries (enable = -1 in the C call); otherwise sets, and returns the setting."""
        if enable is not None:
            self.board.probe.autoconnect = enable
        return self.board.probe.autoconnect

    # --- clickwheel (JOS API :2161-2300) ------------------------------------------------------------------
    def clickwheel_up(self, clicks: int = 1) -> None:
        self.board.probe.wheel_direction = 1  # the firmware ignores the count: one event
        self.board.probe.wheel_position += 1

    def clickwheel_down(self, clicks: int = 1) -> None:
        self.board.probe.wheel_direction = 2
        self.board.probe.wheel_position -= 1

    def clickwheel_press(self) -> None:
        self.board.probe.wheel_button = 3  # pressed, then released

    def clickwheel_get_position(self) -> int:
        return self.board.probe.wheel_position

    def clickwheel_reset_position(self) -> None:
        self.board.probe.wheel_position = 0

    def clickwheel_get_direction(self, consume: bool = True) -> int:
        direction = self.board.probe.wheel_direction
        if consume:
            self.board.probe.wheel_direction = 0
        return direction

    def clickwheel_get_button(self) -> int:
        return self.board.probe.wheel_button

    def clickwheel_is_initialized(self) -> bool:
        return True
