"""The logic analyzer's host protocol on CDC2 ("JL Logic Analyzer"), as 5.3.x serves it (V5 src/LogicAnalyzer.cpp).

The firmware runs `LogicAnalyzer::handler` on core 2 (V5 main.cpp:2291-2294), one byte at a time
(LogicAnalyzer.cpp:94-103), so it answers while core 1 runs a script; here a thread of its own plays core 2.
Commands end with CR or LF; `*` clears the line, `+` stops (process_char :107-260); replies carry no line end.
A capture (`C` or `F`) blocks the handler: after a 100 ms + 1 ms settle (:667, :699) it samples GP20..GP27
(= GPIO_1..GPIO_8, bit 0 = GPIO_1) and the enabled ADC channels at the sample rate, sends each half buffer as
2 bytes per digital sample (encode_and_queue_digital :869-875) plus 2 per enabled analog channel in channel
order (:877-882, send_half :925-952), checks for a pending `+` after each half (:729), then `$<bytes>+`
(:736-740). Slow mode (< 5 kHz, :90-92) sends halves of rate/10 samples (:641-656), and its PIO loop takes 33
cycles against the 32 its divider assumes (prog_slow :22-34: the bare `pio_encode_delay(30)` is a JMP to the
program start, relocated by pio_add_program, so the 7 delays after it never run): samples come rate*32/33 apart.
"""

from __future__ import annotations

import threading
import time
import traceback

from firmware_api import nodes
from jumperless_mcp.emulator.ports import InputBuffer, PtyPort
from jumperless_mcp.emulator.retained_state import AnalyzerSettings

HISTORY = 5.0  # board seconds of samples kept before sampling them (the board model keeps 10 s of history)
HALF = 2048  # compute_layout's default chunk (:266)
SETTLE = 0.101  # delayMicroseconds(100000) before the PIO starts, then 1000 us before the first wait (:667, :699)
ID_REPLY = b"SRJLV5,A082D08,02"  # snprintf("SRJLV5,A%02d2D%02d,02", 8, 8) (:119)
# 'aN' calibration (:131-147); the virtual board's assumed spreads: +-9.14 V for 0-3 and 7, 0-5 V for 4, 3.3 V for 5-6
SPREADS = {0: 18.28, 1: 18.28, 2: 18.28, 3: 18.28, 4: 5.0, 7: 18.28}
ADC_NODES = {0: nodes.ADC0, 1: nodes.ADC1, 2: nodes.ADC2, 3: nodes.ADC3, 4: nodes.ADC4, 7: nodes.ADC7}


def calibration(channel: int) -> tuple[int, int]:
    """(scale_uv, offset_uv) of the 'aN' reply."""
    if channel in (5, 6):
        return int(3.3 * 1e6 / 4096), 0
    spread = SPREADS.get(channel)
    if spread is None:
        return int(18.28 * 1e6 / 4096), -8_000_000
    return int(spread * 1e6 / 4096), 0 if channel == 4 else -int(spread / 2 * 1e6)


def encode_digital(value: int) -> bytes:
    b0 = (value & 0x7F) + 0x30
    b1 = ((value >> 7) & 1) + 0x30
    return bytes((b0 | 0x80 if b0 < 0x80 else b0, b1 | 0x80))


def encode_analog(raw: int) -> bytes:
    return bytes(((raw & 0x7F) + 0x30, ((raw >> 7) & 0x7F) + 0x30))


class LogicAnalyzerPort:
    """CDC2 of a 5.3.x board: the analyzer's command parser and sample stream, on a thread of its own."""

    def __init__(self, port: PtyPort, model: object, settings: AnalyzerSettings) -> None:
        self.port = port
        self.model = model
        self.la = settings
        if not (settings.sample_rate_hz or settings.num_samples):  # the constructor's defaults (:42-57)
            settings.sample_rate_hz, settings.num_samples, settings.a_mask, settings.d_mask = 10000, 5000, 0x0F, 0xFF
        self._cond = threading.Condition()
        self.input = InputBuffer(self._cond)
        self._line = bytearray()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="virtual-board-la", daemon=True)
        self.captures = 0
        self.received = 0  # bytes from the host (tests: bad input sends nothing)
        self.crashes: list[str] = []  # the virtual board shares its own list here

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        self.input.feed(data)

    def reset_session(self) -> None:
        self.input.take_all()
        self._line.clear()
        self.la.running = False

    def _run(self) -> None:
        while not self._stop.is_set():
            byte = self.input.read_byte(0.1)
            if byte is None:
                continue
            try:
                reply = self.process(byte)
            except Exception:  # a bug of the emulator's: keep it for the tests, keep answering
                self.crashes.append(traceback.format_exc())
                self.la.running = False
                continue
            if reply:
                self.port.write(reply)

    # --- process_char (:107-260) --------------------------------------------------------------------------
    def process(self, byte: int) -> bytes | None:
        if len(self._line) >= 19:
            self._line.clear()
        if byte == ord("*"):
            self._line.clear()
            return None
        if byte == ord("+"):
            self.la.running = False
            return None
        if byte not in (0x0D, 0x0A):
            self._line.append(byte)
            return None
        line = bytes(self._line).split(b"\x00", 1)[0].decode("latin-1")
        self._line.clear()
        head, rest = line[:1], line[1:]
        if head == "i":
            return ID_REPLY
        if head == "a":
            if not rest:
                return b"805x0"
            scale, offset = calibration(_atoi(rest))
            return f"{scale}x{offset}".encode()
        if head == "R":
            value = _atoi(rest)
            if value > 0:
                self.la.sample_rate_hz = value & 0xFFFFFFFF
            return b"*1"
        if head == "L":
            value = _atoi(rest)
            if value > 0:
                self.la.num_samples = value & 0xFFFFFFFF
            return b"*"
        if head == "A":
            if len(line) >= 3:
                enable, channel = ord(line[1]) - ord("0"), _atoi(line[2:])
                if 0 <= channel < 8:
                    self.la.a_mask = self.la.a_mask | (1 << channel) if enable else self.la.a_mask & ~(1 << channel)
            return b"*"
        if head in ("D", "E"):
            return b"*"
        if head == "C" and len(line) > 1:
            return b"*"
        if head in ("C", "F"):
            self._capture()
            return None
        if head == "S":
            armed = int(self.la.running)
            return f"A{armed}S{armed}R{armed}T0".encode()
        return None

    # --- run (:606-771) -------------------------------------------------------------------------------------
    def _capture(self) -> None:
        la = self.la
        rate = max(1, la.sample_rate_hz)
        total = la.num_samples or 10000  # compute_layout (:264)
        analog = [ch for ch in range(8) if (la.a_mask >> ch) & 1]
        half = (HALF // len(analog)) * len(analog) if analog else HALF
        slow = rate < 5000
        period = 33 / (32 * rate) if slow else 1 / rate
        if slow:
            half = min(half, max(1, rate // 10))
        la.running = True
        self.captures += 1
        t0 = self._now() + SETTLE
        sent = 0
        pending: list[float] = []  # sample times of halves complete but not yet sent
        while sent < total and la.running and not self._stop.is_set():
            count = min(half, total - sent)
            times = [t0 + (sent + i) * period for i in range(count)]
            self._wait_until(times[-1])
            pending += times
            sent += count
            if times[-1] - pending[0] > HISTORY or sent >= total:
                self._send(pending, analog)  # sampled late from the board's history, so a script racing
                pending = []  # the capture does not share the interpreter with sampling work
            if self.input.peek_byte() == ord("+"):
                break  # checked after each half (:729)
        self._send(pending, analog)
        self.port.write(f"${sent * (2 + 2 * len(analog))}+".encode())
        la.running = False

    def _send(self, times: list[float], analog: list[int]) -> None:
        out = bytearray()
        for t in times:
            out += encode_digital(self._digital(t))
            for ch in analog:
                out += encode_analog(self._analog(ch, t))
        self.port.write(bytes(out))

    def _now(self) -> float:
        now = getattr(self.model, "now", None)
        return float(now()) if callable(now) else time.monotonic()

    def _wait_until(self, t: float) -> None:
        """Sleep until board time t (the half buffer's DMA is done)."""
        while not self._stop.is_set():
            left = t - self._now()
            if left <= 0:
                return
            time.sleep(min(left * self._scale(), 0.02))

    def _scale(self) -> float:
        clock = getattr(getattr(self.model, "time", None), "clock", None)
        return float(getattr(clock, "scale", 1.0))

    def _digital(self, t: float) -> int:
        value = 0
        for bit in range(8):
            if self._level(bit + 1, t):
                value |= 1 << bit
        return value

    def _level(self, pin: int, t: float) -> int:
        level_at = getattr(self.model, "gpio_level_at", None)
        if callable(level_at):
            return int(level_at(pin, t))
        gpio = self.model.gpio[pin - 1]  # type: ignore[attr-defined]  # before the time axis: the pin's state
        if gpio.direction.name != "OUTPUT":
            return int(gpio.pull.name == "PULLUP")
        if gpio.pwm_frequency:
            return int((t * gpio.pwm_frequency) % 1.0 < gpio.pwm_duty)
        return int(gpio.latch)

    def _analog(self, channel: int, t: float) -> int:
        scale, offset = calibration(channel)
        volts = 0.0
        node = ADC_NODES.get(channel)
        at = getattr(self.model, "node_voltage_at", None)
        if node is not None and callable(at):
            volts = float(at(node, t))
        elif node is not None:
            volts = float(self.model.voltage(node) or 0.0)  # type: ignore[attr-defined]
        return max(0, min(4095, round((volts * 1e6 - offset) / scale)))


def _atoi(text: str) -> int:
    """C atoi: optional sign and leading digits, else 0."""
    text = text.lstrip(" \t")
    sign, digits = 1, ""
    if text[:1] in "+-" and text:
        sign, text = (-1 if text[0] == "-" else 1), text[1:]
    for ch in text:
        if not ch.isdigit():
            break
        digits += ch
    return sign * int(digits) if digits else 0
