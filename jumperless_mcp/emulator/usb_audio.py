"""Upstream JumperlOS's USB audio functions (usb_audio_*): the settings and status a script can see.

Upstream mjc (796c56c) :1983-2099 over jl_usb_audio_* (not in the reference). Enabling re-enumerates the
USB device on a real board (the serial ports drop and come back); the virtual board only records the
setting. Nothing is ever streamed: `streaming` and `host_open` stay False and the counters 0.
Assumed: 16 kHz until usb_audio_set_rate (the C comment: "2ch/16kHz/16-bit"), full scale 8.0 V (the
usb_audio_setup comment's default).
"""

from __future__ import annotations

from jumperless_mcp.emulator import strict
from jumperless_mcp.emulator.function_group import FunctionGroup
from jumperless_mcp.emulator.retained_state import AudioSettings

_COUNTERS = ("frames_sent", "fifo_overflow", "adc_overrun", "late_irq", "resyncs", "probe_pauses", "claim_fail",
             "init_fail")  # fmt: skip


class UsbAudioFunctions(FunctionGroup):
    @property
    def _audio(self) -> AudioSettings:
        return self.board.usb_audio

    def usb_audio_enable(self) -> bool:
        self._audio.enabled = True
        return True

    def usb_audio_disable(self) -> bool:
        self._audio.enabled = False
        return True

    def usb_audio_is_enabled(self) -> bool:
        return self._audio.enabled

    def usb_audio_active(self) -> bool:
        return False  # no host ever opens the virtual microphone

    @strict.keyword_args(
        strict.KwArg("left", "int", 0),
        strict.KwArg("right", "int", 1),
        strict.KwArg("full_scale", "obj", strict.NULL),
        strict.KwArg("dc_block", "bool", True),
    )
    def usb_audio_setup(self, left: int, right: int, full_scale: object, dc_block: bool) -> bool:
        if left == right or not (0 <= left <= 7 and 0 <= right <= 7):
            raise ValueError("left/right must be distinct ADC channels 0-7")
        self._audio.left, self._audio.right = left, right
        if full_scale is not strict.NULL:
            volts = strict.get_float(full_scale)
            if not 0.05 <= volts <= 20.0:
                raise ValueError("full_scale must be 0.05-20.0 volts")
            self._audio.full_scale = volts
        self._audio.dc_block = dc_block
        return self.usb_audio_enable()

    def usb_audio_save(self) -> bool:
        return True

    def usb_audio_set_rate(self, hz: int) -> bool:
        if not (8000 <= hz <= 48000 and hz % 1000 == 0):
            raise ValueError("rate must be 8000-48000 Hz in 1 kHz steps")
        self._audio.sample_rate = hz
        return True

    def usb_audio_set_range(self, volts: float) -> bool:
        if not 0.05 <= volts <= 20.0:
            raise ValueError("full scale must be 0.05-20.0 volts")
        self._audio.full_scale = volts
        return True

    def usb_audio_status(self) -> dict[str, object]:
        audio = self._audio
        status: dict[str, object] = {"enabled": audio.enabled, "streaming": False, "host_open": False,
                                     "left": audio.left, "right": audio.right, "full_scale": audio.full_scale,
                                     "dc_block": audio.dc_block, "sample_rate": audio.sample_rate,
                                     "pending_rate": 0}  # fmt: skip
        status.update(dict.fromkeys(_COUNTERS, 0))
        return status
