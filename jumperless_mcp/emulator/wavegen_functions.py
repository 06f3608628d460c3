"""The firmware's waveform generator functions (wavegen_*): the settings a script sets and reads back.

JOS API :210-330; the C side clamps silently. While it runs, the time model (time_model.py, waveforms.py) drives
its output with the wave from the moment it started; the DC model (the net scan) sees the offset, its mean
(`BoardModel.driven_power`). A change counts from the moment it is made.
"""

from __future__ import annotations

from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.analog_functions import dac_channel
from jumperless_mcp.emulator.board import Wavegen, single
from jumperless_mcp.emulator.function_group import FunctionGroup

WAVEGEN_OUTPUT_ERROR = "Invalid output. Use DAC0, DAC1, TOP_RAIL, BOTTOM_RAIL"
_WAVE_NAMES = {"SINE": 0, "TRIANGLE": 1, "TRI": 1, "RAMP": 2, "SAW": 2, "SAWTOOTH": 2, "SQUARE": 3, "SQ": 3,
               "ARBITRARY": 4, "ARB": 4}  # fmt: skip  # get_wavegen_wave (JOS mjc :1880)


class WavegenFunctions(FunctionGroup):
    """wavegen_set_*, wavegen_get_*, wavegen_start/stop/is_running."""

    def _wavegen(self) -> Wavegen:
        self.board.wavegen_configured = True
        return self.board.wavegen

    def _changed(self) -> None:
        """A change counts on the time axis from this moment."""
        with self.board.lock:
            self.board.time.sync()

    @strict.converts_itself(0)
    def wavegen_set_output(self, channel: object) -> None:
        self._wavegen().output = dac_channel(self._node(channel), WAVEGEN_OUTPUT_ERROR)
        self._changed()

    def wavegen_set_freq(self, hz: float) -> None:
        self._wavegen().frequency = single(hz if hz > 0 else 0.0001)
        self._changed()

    def wavegen_set_wave(self, wave: object) -> None:
        if isinstance(wave, int) and not isinstance(wave, bool):
            if not 0 <= wave <= 4:
                raise ValueError("Waveform must be 0-4")
            number = wave
        elif isinstance(wave, str):
            upper = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in wave[:23])
            if upper not in _WAVE_NAMES:
                raise ValueError("Unknown waveform")
            number = _WAVE_NAMES[upper]
        else:
            raise TypeError("Expected int or string for waveform")
        if number == 4:
            raise NotImplementedError("ARBITRARY waveform not implemented yet")
        self._wavegen().wave = number
        self._changed()

    def wavegen_set_amplitude(self, vpp: float) -> None:
        self._wavegen().amplitude = single(max(vpp, 0.0))
        self._changed()

    def wavegen_set_offset(self, volts: float) -> None:
        self._wavegen().offset = single(volts)
        self._changed()

    def wavegen_set_sweep(self, start_hz: float, end_hz: float, seconds: float) -> None:
        self._wavegen().sweep = (start_hz if start_hz > 0 else 0.0001, end_hz if end_hz > 0 else 0.0001,
                                 max(seconds, 0.0))  # fmt: skip  # recorded only: the C side stores it unused

    def wavegen_start(self, run: bool = True) -> None:
        wavegen = self.board.wavegen
        if run and not wavegen.running:
            wavegen.started = self.board.now()  # phase 0 of the wave
        wavegen.running = run
        self._changed()

    def wavegen_stop(self) -> None:
        self.board.wavegen.running = False
        self._changed()

    def wavegen_get_output(self) -> int:
        return self.board.wavegen.output

    def wavegen_get_freq(self) -> float:
        return self.board.wavegen.frequency

    def wavegen_get_wave(self) -> int:
        return self.board.wavegen.wave

    def wavegen_get_amplitude(self) -> float:
        return self.board.wavegen.amplitude

    def wavegen_get_offset(self) -> float:
        return self.board.wavegen.offset

    def wavegen_is_running(self) -> bool:
        return self.board.wavegen.running
