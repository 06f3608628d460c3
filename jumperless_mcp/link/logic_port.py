"""The logic analyzer's host protocol: a client for CDC2 of a 5.3.x board ("JL Logic Analyzer").

What the firmware does (V5 5.3.2.4 `src/LogicAnalyzer.cpp`, `src/LogicAnalyzer.h`, `src/main.cpp`):

* Port: `USBSer2` = CDC2 (LogicAnalyzer.h:41, handler :94-103), the USB interface named "JL Logic Analyzer" on
  5.3.x, where >= 5.6 puts the MicroPython REPL (firmware-protocol.md §1.2). Core 2 polls it every 20 ms, at once
  for 3 s after a command (main.cpp:2291-2294), so it answers while core 1 serves the main port. While a capture
  is armed or running, core 1's idle loop only sleeps (main.cpp:582-589) and core 2 skips its other work
  (main.cpp:2303): the host holds the session (no main-port call) for the whole capture. Replies and samples
  go out only while the host holds DTR (tud_cdc_n_connected, :884-890); pyserial raises it on open. The handler
  reads one byte per call, every 20 ms when idle, then every loop for 3 s after a byte (main.cpp:2291).
* Commands, one per line (CR or LF), replies without a line end (process_char :107-260): `*` clears the line
  buffer, `+` stops at once (also between half buffers of a running capture, :729); `i` -> `SRJLV5,A082D08,02`
  (:119); `a` -> `805x0`, `aN` -> `<scale_uV>x<offset_uV>` for ADC channel N (:123-150); `R<hz>` -> `*1` (a value
  <= 0 keeps the rate, :152-159); `L<n>` -> `*` (:160-166); `A<0|1><ch>` analog enable -> `*` (:167-182);
  `D...`, `E...`, `C<x><y>` -> `*` (accepted, ignored: all 8 GPIO are always sent, :183-197, :214-217);
  `C` or `F` -> start, no reply, or `!` when arming fails (:198-239); `S` -> `A<a>S<s>R<r>T0` (:240-250); anything
  else: no reply. The line buffer holds 19 characters (:108). Defaults: 10 kHz, 5000 samples, ADC 0-3 enabled
  (:42-57), so a digital-only capture must send `A00`..`A07`.
* Stream (send_half :925-952): per sample 2 bytes of digital (bits 0-6 + 0x30, then bit 7 + 0x30, each OR 0x80
  when below 0x80: :869-875) then 2 bytes per enabled ADC channel in channel order (12 bits: low 7 + 0x30, high
  5 + 0x30: :877-882); no RLE. Bit n of the digital byte is GP(20+n) (:79-82, :369-370) = GPIO_(n+1)
  (Peripherals.h gpioDef: GPIO_1..8 = GP20..27). After the last half: `$<bytes sent>+` (:736-740). Data bytes are
  never `$` (0x24 < 0x30), so the trailer is unambiguous. ADC volts = raw * scale_uV + offset_uV (µV).
* Limits: normal mode >= 5 kHz with rate * analog channels <= 200 kHz (LogicAnalyzer.h:24, :83-88); beyond that
  the ADC divider clamps and there is no decimation ("TODO", :18). Slow mode < 5 kHz streams halves of rate/10
  samples (:641-656); its PIO loop is 33 cycles while the divider assumes 32 (:22-34, :527: the bare
  `pio_encode_delay(30)` encodes `jmp 0 [30]`, which pico-sdk's pio_add_program relocates to the program's
  start), so samples come at rate*32/33: reported as the actual rate. The divider saturates at 65535.996
  (:530): at a 150 MHz system clock slow mode cannot go below about 72 Hz (clock inferred). Halves are
  ping-pong DMA buffers sent over USB while the next fills; if USB is slower than sampling, samples are
  overwritten silently (inferred from :691-733), hence the host's caps.
* Trigger: none in the firmware (`S` always says T0, :246; la_set_trigger is a no-op); triggering is done on the
  host, as the vendor's sigrok driver does (software trigger, libsigrok-falaj src/hardware/jumperless).
* Other firmware: JumperlOS 5.7.0.13 keeps LogicAnalyzer.cpp but polls the handler only while the analyzer is
  already active or was commanded in the last 3 s (fork main.cpp:1378-1391; last_command_time is set only by the
  handler), and CDC2 is the raw REPL there: the protocol cannot be reached. Upstream JumperlOS removed the
  analyzer (commit 54c931d; the la_* functions end before 5.7.2 in the catalog). JulseView.cpp, the firmware
  side of libsigrok-falaj's `jumperless-mixed-signal`/`jumperless-fala` drivers, is commented out in the fork
  (JulseView.cpp:8-3556) and absent from upstream: no JumperlOS tree serves a sigrok protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import anyio

from jumperless_mcp.errors import BoardDisconnected, ProtocolError
from jumperless_mcp.link.serial_link import SerialLink

ID_REPLY = re.compile(rb"SRJLV5,A(\d\d)\dD(\d\d),\d\d")
CAL_REPLY = re.compile(rb"(\d+)x(-?\d+)")
TRAILER = re.compile(rb"\$(\d+)\+")
SETTLE = 0.101  # LogicAnalyzer.cpp:667, :699
REPLY_TIMEOUT = 2.0  # core 2 polls every 20 ms (main.cpp:2291)
SLOW_BELOW = 5000


def actual_rate(rate_hz: int) -> float:
    """The rate the samples really come at (slow mode's 33-cycle loop, see the module docstring)."""
    return rate_hz * 32 / 33 if rate_hz < SLOW_BELOW else float(rate_hz)


@dataclass
class RawCapture:
    requested_rate_hz: int
    rate_hz: float
    digital: bytes  # one byte per sample, bit n = GPIO_(n+1)
    analog: dict[int, list[float]] = field(default_factory=dict)  # ADC channel -> volts per sample
    stopped_early: bool = False


def decode_stream(data: bytes, analog: tuple[int, ...]) -> tuple[bytes, dict[int, list[int]]]:
    """Split the sample stream into digital bytes and raw ADC codes per channel."""
    stride = 2 + 2 * len(analog)
    if len(data) % stride:
        raise ProtocolError(f"logic analyzer sent {len(data)} bytes, not a multiple of {stride} per sample")
    digital = bytearray()
    codes: dict[int, list[int]] = {ch: [] for ch in analog}
    for start in range(0, len(data), stride):
        b0, b1 = data[start], data[start + 1]
        low = b0 - 0xB0 if b0 >= 0xB0 else b0 - 0x30
        digital.append(low | ((b1 - 0xB0) & 1) << 7)
        for k, ch in enumerate(analog):
            a0, a1 = data[start + 2 + 2 * k], data[start + 3 + 2 * k]
            codes[ch].append((a0 - 0x30) | (a1 - 0x30) << 7)
    return bytes(digital), codes


class LogicAnalyzerClient:
    """One capture session on the analyzer's port; the caller holds the board (Session.exclusive)."""

    def __init__(self, device: str) -> None:
        self.link = SerialLink(device)

    async def __aenter__(self) -> LogicAnalyzerClient:
        await self.link.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.link.close()

    async def _command(self, text: str, reply: re.Pattern[bytes] | bytes | None) -> bytes:
        await self.link.write(text.encode() + b"\n")
        if reply is None:
            return b""
        try:
            return await self.link.read_until(reply, REPLY_TIMEOUT)
        except TimeoutError:
            raise ProtocolError(f"the logic analyzer did not answer {text!r} within {REPLY_TIMEOUT:g} s") from None

    async def identify(self) -> None:
        await self.link.write(b"+*")  # stop anything left running, clear a partial command line
        await anyio.sleep(0.05)
        await self.link.discard_pending()
        await self._command("i", ID_REPLY)

    async def capture(self, rate_hz: int, samples: int, analog: tuple[int, ...] = ()) -> RawCapture:
        await self.identify()
        await self._command(f"R{rate_hz}", b"*1")
        await self._command(f"L{samples}", b"*")
        for ch in range(8):
            await self._command(f"A{int(ch in analog)}{ch}", b"*")
        calibration = {}
        for ch in analog:
            match = CAL_REPLY.search(await self._command(f"a{ch}", CAL_REPLY))
            assert match is not None
            calibration[ch] = (int(match.group(1)), int(match.group(2)))
        await self.link.write(b"C\n")
        limit = SETTLE + samples / actual_rate(rate_hz) * 1.5 + 5.0
        try:
            with anyio.fail_after(limit):
                data = await self.link.read_until(re.compile(rb"\$\d+\+|^!"))
        except TimeoutError:
            await self.stop()
            raise ProtocolError(f"the capture did not finish within {limit:.1f} s; it was stopped") from None
        except BoardDisconnected:
            raise
        except BaseException:
            with anyio.CancelScope(shield=True), anyio.move_on_after(1.0):
                await self.stop()
            raise
        if data.startswith(b"!"):
            raise ProtocolError("the logic analyzer could not arm (out of memory on the board?)")
        match = TRAILER.search(data)
        assert match is not None
        body = data[: match.start()]
        if int(match.group(1)) != len(body):
            raise ProtocolError(f"logic analyzer said {match.group(1).decode()} bytes but sent {len(body)}")
        digital, codes = decode_stream(body, analog)
        volts = {
            ch: [(code * calibration[ch][0] + calibration[ch][1]) / 1e6 for code in values]
            for ch, values in codes.items()
        }
        return RawCapture(rate_hz, actual_rate(rate_hz), digital, volts, stopped_early=len(digital) < samples)

    async def stop(self) -> None:
        """`+` stops a running capture between half buffers; drain what is still coming."""
        await self.link.write(b"+")
        await self.link.read_quiet(0.2, 2.0)
