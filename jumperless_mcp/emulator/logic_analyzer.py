"""The logic analyzer's Python functions (la_*), as a settings model; the samples themselves go out on 5.3.x's
CDC2 through the host protocol (`la_port.py`), which shares these settings as the firmware's one object does.

JOS API `src/JumperlessMicroPythonAPI.cpp` :1589-1690 and V5 API :580-668 (the same code): the setters store
settings, starting a capture arms the analyzer until la_stop_capture resets it, a single sample completes
at once, triggers are accepted and ignored (returns True), and the control-channel getters read 0.0/False
(their bodies are commented out in the firmware). Upstream JumperlOS removed the analyzer (commit 54c931d),
so its tree has no la_* names at all.
"""

from __future__ import annotations

from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.retained_state import AnalyzerSettings

CONTINUOUS_SAMPLES = 0x7FFFFFFF  # jl_la_start_continuous_capture's "continuous"


class LogicAnalyzerFunctions(FunctionGroup):
    @property
    def _la(self) -> AnalyzerSettings:
        return self.board.logic_analyzer

    def la_set_trigger(self, trigger_type: int, channel: int, value: float) -> bool:
        return True  # "Triggers not implemented in LogicAnalyzer yet; accept and noop"

    def la_capture_single_sample(self) -> bool:
        if self._la.running:
            return False
        self._la.num_samples, self._la.sample_rate_hz = 1, 1000  # arm, run, and the one sample is done
        return True

    def la_start_continuous_capture(self) -> bool:
        if self._la.running:
            return False
        self._la.num_samples, self._la.sample_rate_hz, self._la.running = CONTINUOUS_SAMPLES, 1_000_000, True
        return True

    def la_stop_capture(self) -> bool:
        if not self._la.running:
            return False
        self._la.running = False
        return True

    def la_is_capturing(self) -> bool:
        return self._la.running

    def la_set_sample_rate(self, rate: int) -> None:
        self._la.sample_rate_hz = rate & 0xFFFFFFFF  # uint32_t

    def la_set_num_samples(self, samples: int) -> None:
        self._la.num_samples = samples & 0xFFFFFFFF

    def la_enable_channel(self, channel_type: int, channel: int, enable: bool) -> None:
        if not 0 <= channel < 8 or channel_type not in (0, 1):
            return
        mask = "d_mask" if channel_type == 0 else "a_mask"
        bits = getattr(self._la, mask)
        setattr(self._la, mask, bits | (1 << channel) if enable else bits & ~(1 << channel))

    def la_set_control_analog(self, channel: int, value: float) -> None:
        pass  # jl_control_set_analog's body is commented out

    def la_set_control_digital(self, channel: int, value: bool) -> None:
        pass  # jl_control_set_digital's body is commented out

    def la_get_control_analog(self, channel: int) -> float:
        return 0.0

    def la_get_control_digital(self, channel: int) -> bool:
        return False
