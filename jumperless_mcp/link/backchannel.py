"""A read-only client of the JumperlOS fourth port ("aux", USBSer3): one `:verb` line, one framed reply.

The port answers from the firmware's service loop, beside a running script, so reading the LEDs or the OLED here
disturbs nothing on the REPL. Reply shapes (Ser3Backchannel.cpp, see emulator/backchannel_port.py for lines):
the port first echoes ":<verb>\\r\\n", then
  :leds        leds{<n>:<6 hex digits per LED>}\\r\\n   (rows 1..60 are LEDs (r-1)*5 .. (r-1)*5+4)
  :oled:b64    oled_b64{<W>x<H>:<base64 SSD1306 page buffer>}\\r\\n
  :json:power  "\\n\\n\\r" + JSON (top_rail, bottom_rail, dac0, dac1 under "power") + "\\n\\r"
  :json        the same framing around the whole get_state() document (power, nets with their nodes, gpio, overlays)
  :ver         Jumperless firmware version: <v>\\r\\n
  unknown      {"error":"unknown_verb","verb":"..."}\\r\\n
The port is opened with the same lock file as every other port (SerialLink), so two programs never mix replies.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from dataclasses import dataclass
from types import TracebackType

from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.errors import BoardTimeout, ProtocolError
from jumperless_mcp.link.discovery import BoardPorts
from jumperless_mcp.link.serial_link import SerialLink

TIMEOUT = 3.0
AUX_SINCE = FirmwareVersion.parse("5.7.0.13")  # the oldest tree known to have Ser3Backchannel (the fork's)
ROWS = 60
LEDS_PER_ROW = 5
_ERROR = rb'\{"error":"[^"]*"[^\r\n]*\}\r\n'
_LEDS = re.compile(rb"leds\{(\d+):([0-9a-fA-F]*)\}|" + _ERROR)
_OLED = re.compile(rb"oled_b64\{(\d+)x(\d+):([A-Za-z0-9+/=]*)\}|" + _ERROR)
_VER = re.compile(rb"Jumperless firmware version: ([^\r\n]*)\r?\n|" + _ERROR)
_VERB = re.compile(r"[A-Za-z0-9_:]+")
_CAP_END = re.compile(rb"cap_end\{taken_us:(\d+),sent:(\d+),late:(\d+)\}\r\n|" + _ERROR)
_CAP = re.compile(r"cap\{verb:([^,]*),mode:(\w+),eff_us:(\d+),count:(-?\d+)\}")
ADC_COUNT = 5  # usbSer3_sendADC prints adc0..adc4
ADC_MIN_US = 4000  # usbSer3_verbs[] minUs for "adc": the firmware raises a shorter :every interval to this
MAX_EVERY_SAMPLES = 100_000


def firmware_has_aux(firmware: FirmwareVersion | None) -> bool:
    """Whether this firmware serves the fourth port (JumperlOS AUX_SINCE or later)."""
    return firmware is not None and firmware.family is Family.JUMPERLOS and firmware >= AUX_SINCE


def aux_port(firmware: FirmwareVersion | None, ports: BoardPorts | None) -> str | None:
    """The fourth port's path when the board has it (the firmware serves it and its port was found), else None."""
    return str(ports.aux) if firmware_has_aux(firmware) and ports is not None and ports.aux else None


@dataclass(frozen=True)
class AdcStream:
    """What `:every:...:adc` sent: the interval the firmware used, each sample's five ADC volts, its own count."""

    eff_us: int
    samples: list[tuple[float, ...]]
    taken_us: int
    late: int


def parse_adc(text: str) -> tuple[float, ...]:
    """One `:adc` line -> (adc0, ..., adc4) volts."""
    try:
        adc = json.loads(text)["adc"]
        return tuple(float(adc[f"adc{i}"]) for i in range(ADC_COUNT))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise BackchannelError(f"not an :adc reply: {text[:80]!r}") from None


def parse_every_adc(text: str) -> AdcStream:
    """The whole `:every:...:adc` reply (after the echo): header, sample lines, `cap_end{...}`."""
    error = re.search(r'\{"error":[^\r\n]*\}', text)
    if error:
        raise BackchannelError(f"the aux port refused :every: {error[0]}")
    header = _CAP.search(text)
    end = re.search(r"cap_end\{taken_us:(\d+),sent:(\d+),late:(\d+)\}", text)
    if header is None or end is None or header[1].lower() != "adc":
        raise BackchannelError(f"not an :every ... :adc capture: {text[:80]!r}")
    body = text[header.end() : end.start()]
    samples = [parse_adc(line) for line in body.split("\r\n") if line.strip()]
    if len(samples) != int(end[2]):
        raise BackchannelError(f":every said it sent {end[2]} samples, {len(samples)} arrived")
    return AdcStream(int(header[3]), samples, int(end[1]), int(end[3]))


class BackchannelError(ProtocolError):
    """The aux port answered with an error frame, or something this client cannot parse."""


def parse_leds(text: str) -> list[tuple[int, int, int]]:
    """`leds{<n>:<hex>}` -> n (r, g, b) tuples in strip order."""
    found = re.search(r"leds\{(\d+):([0-9a-fA-F]*)\}", text)
    if not found:
        raise BackchannelError(f"not a :leds reply: {text[:80]!r}")
    count, digits = int(found[1]), found[2]
    if len(digits) != count * 6:
        raise BackchannelError(f":leds announced {count} LEDs but sent {len(digits) // 6}")
    return [tuple(int(digits[i + j : i + j + 2], 16) for j in (0, 2, 4)) for i in range(0, len(digits), 6)]  # type: ignore[misc]


def row_colors(leds: list[tuple[int, int, int]]) -> dict[int, tuple[int, int, int]]:
    """Each lit breadboard row's brightest LED colour (rows with all five LEDs dark are left out)."""
    rows = {}
    for row in range(1, ROWS + 1):
        pixels = leds[(row - 1) * LEDS_PER_ROW : row * LEDS_PER_ROW]
        brightest = max(pixels, key=max, default=(0, 0, 0))
        if max(brightest) > 0:
            rows[row] = brightest
    return rows


def parse_oled_b64(text: str) -> tuple[int, int, bytes]:
    """`oled_b64{<W>x<H>:<base64>}` -> (width, height, framebuffer bytes)."""
    found = re.search(r"oled_b64\{(\d+)x(\d+):([A-Za-z0-9+/=]*)\}", text)
    if not found:
        raise BackchannelError(f"not an :oled:b64 reply: {text[:80]!r}")
    width, height, data = int(found[1]), int(found[2]), base64.b64decode(found[3])
    if len(data) != width * height // 8:
        raise BackchannelError(f"OLED frame of {len(data)} bytes does not fill {width}x{height}")
    return width, height, data


def parse_power(text: str) -> dict[str, float]:
    """`:json:power`'s document -> {top_rail, bottom_rail, dac0, dac1} in volts."""
    try:
        document = json.loads(text.strip())
    except json.JSONDecodeError as exc:
        raise BackchannelError(f"not a :json:power reply: {exc}") from None
    power = document.get("power", document) if isinstance(document, dict) else None
    keys = ("top_rail", "bottom_rail", "dac0", "dac1")
    if not isinstance(power, dict) or not all(isinstance(power.get(k), (int, float)) for k in keys):
        raise BackchannelError(f"the :json:power reply lacks {', '.join(keys)}")
    return {key: float(power[key]) for key in keys}


def parse_state(text: str) -> dict[str, object]:
    """`:json`'s document (JsonState::getJumperlessStateJSON, what get_state() returns) -> a dict with a nets list."""
    try:
        document = json.loads(text.strip())
    except json.JSONDecodeError as exc:
        raise BackchannelError(f"not a :json reply: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("nets"), list):
        raise BackchannelError("the :json reply has no nets list")
    return document


class Backchannel:
    """`async with Backchannel(path) as aux: await aux.leds()` - holds the aux port's lock while open."""

    def __init__(self, device: str, timeout: float = TIMEOUT) -> None:
        self.link = SerialLink(device)
        self.timeout = timeout

    async def __aenter__(self) -> Backchannel:
        await self.link.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.link.close()

    async def _ask(self, verb: str, reply: re.Pattern[bytes] | None = None) -> str:
        """Send `:verb\\n`, skip the echo, return the reply text (the framed part when `reply` is given)."""
        if not _VERB.fullmatch(verb):
            raise ValueError(f"verb must be letters, digits, '_' and ':', got {verb!r}")
        await self.link.discard_pending()
        await self.link.write(f":{verb}\n".encode("ascii"))
        try:
            await self.link.read_until(f":{verb}\r\n".encode("ascii"), self.timeout)
            if reply is not None:
                text = (await self.link.read_until(reply, self.timeout)).decode("utf-8", "replace")
            else:
                text = await self._json_document()
        except TimeoutError:
            raise BoardTimeout(f"the aux port {self.link.device} did not answer :{verb} in {self.timeout} s") from None
        error = re.search(r'\{"error":[^\r\n]*\}', text)
        if error:
            raise BackchannelError(f"the aux port refused :{verb}: {error[0]}")
        return text

    async def _json_document(self) -> str:
        """A JSON reply is multi-line: read up to each '}' until the text parses (or is an error frame)."""
        text = ""
        while True:
            text += (await self.link.read_until(b"}", self.timeout)).decode("utf-8", "replace")
            try:
                json.loads(text.strip())
                return text
            except json.JSONDecodeError:
                continue

    async def version(self) -> str:
        text = await self._ask("ver", _VER)
        return text.partition("version: ")[2].strip()

    async def leds(self) -> list[tuple[int, int, int]]:
        return parse_leds(await self._ask("leds", _LEDS))

    async def oled(self) -> tuple[int, int, bytes]:
        return parse_oled_b64(await self._ask("oled:b64", _OLED))

    async def adc(self) -> tuple[float, ...]:
        """One `:adc` sample: the five ADC channels in volts."""
        return parse_adc((await self._ask("adc")).strip())

    async def every_adc(self, interval_us: int, count: int) -> AdcStream:
        """`count` scheduled `:adc` samples `interval_us` apart (raised by the firmware to 4000 us), timed on
        the board while the REPL runs on; returns when `cap_end` has come (or stops the capture on a timeout)."""
        if isinstance(interval_us, bool) or not isinstance(interval_us, int) or interval_us < 1:
            raise ValueError(f"interval_us must be a whole number of microseconds >= 1, got {interval_us!r}")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_EVERY_SAMPLES:
            raise ValueError(f"count must be 1-{MAX_EVERY_SAMPLES} (continuous capture is not offered), got {count!r}")
        verb = f"every:{interval_us}us:{count}:adc"
        await self.link.discard_pending()
        await self.link.write(f":{verb}\n".encode("ascii"))
        limit = self.timeout + count * max(interval_us, ADC_MIN_US) / 1e6 * 1.5
        try:
            await self.link.read_until(f":{verb}\r\n".encode("ascii"), self.timeout)
            text = (await self.link.read_until(_CAP_END, limit)).decode("latin-1")
        except TimeoutError:
            await self.stop()
            raise BoardTimeout(f"the aux port {self.link.device} did not finish :{verb} in {limit:.3g} s") from None
        return parse_every_adc(text)

    async def stop(self) -> None:
        """End a running `:every` (any byte does; `:stop` then answers {"stop":1}) and drop what it sent."""
        await self.link.write(b":stop\n")
        with contextlib.suppress(TimeoutError):
            await self.link.read_until(b'{"stop":1}\r\n', self.timeout)
        await self.link.discard_pending()

    async def power(self) -> dict[str, float]:
        return parse_power(await self._ask("json:power"))

    async def state(self) -> dict[str, object]:
        """The whole state document (`:json`): power, nets with their nodes and voltages, gpio, overlays."""
        return parse_state(await self._ask("json"))
