"""The JumperlOS read-only fourth USB CDC port (USBSer3, interface 6, "aux"): `:verb` lines answered at once.

The firmware services this port from the Jerial loop, beside whatever runs on the REPL, so a query here never
disturbs a running script; the virtual board answers on its I/O thread for the same reason.
Checked against jumperlos-5.7.0.13-fork/src/Ser3Backchannel.cpp (the line numbers below); upstream's
src/tubes/Ser3Backchannel.cpp (the 5.7.11 persona) answers the verbs modelled here the same way (its changes are in
:all, :slot, the buffered :gpio capture and single-char commands), and its :json carries upstream JsonState's nets.
- ':' is echoed, then every printable byte of the line, then "\\r\\n" at CR/LF (serviceUSBSer3 :1105,
  usbSer3_readLine :1010-1036; backspace erases with "\\b \\b"); the line is trimmed, the head (up to the first
  ':') lower-cased (usbSer3_dispatchVerb :682-694). Stray CR/LF and control bytes outside a line are dropped (:1098).
- `:ver`/`:version` -> cmd_showVersion (:783, SingleCharCommands.cpp:2400): "Jumperless firmware version: <v>\\r\\n".
- `:leds` -> usbSer3_sendLeds (:314-332): "leds{<LED_COUNT>:" + 6 lower-case hex digits (0xRRGGBB) per LED + "}\\r\\n".
- `:oled:<enc>` -> oled.dumpFrameBufferEncoded (:750, encodings :640-645: "b64"/"base64").
- `:json[:section]` -> cmd_showJsonState('J', "J <section>") (:758-762, SingleCharCommands.cpp:1403-1410):
  "\\n\\n\\r" + JSON + "\\n\\r", printed as is (no CR/LF normalisation on that path).
- `:adc` -> usbSer3_sendADC (:191-203): '{"adc":{"adc0":%.4f,...,"adc4":%.4f},"current":{"ina0_mA":%.3f,
  "ina1_mA":%.3f}}\r\n' (one line, no spaces; readAdcVoltage(i, 8) averages 8 reads: here one model sample).
- `:every:<interval>:<count>:<verb>` (:1126-1129 -> usbSer3_runEvery :962-988): fewer than two ':' after
  "every:" -> {"error":"every_usage","fmt":":every:<interval>:<count>:<verb>"}\r\n. Interval (:876-886): a
  number (atof: leading digits, 0 or junk -> 1) with "us", "ms", "s" or no unit (= ms); count via toInt (<= 0:
  continuous, 60 s safety cap :946); the interval is raised to the verb's floor usbSer3_verbMinUs (:661-670,
  table :96: adc 4000 us, all/status 9000; other verbs 100 us). Streamed (usbSer3_captureStreamed :934-958):
  "cap{verb:<verb>,mode:streamed,eff_us:<us>,count:<count>}\r\n", then the verb's own reply per slot at
  start + i*eff_us (a late slot is counted, not bunched), then "cap_end{taken_us:<us>,sent:<n>,late:<n>}\r\n".
  Any byte the host sends ends the capture after the current sample; the byte is then read as usual, so
  `:stop` gives {"stop":1}\r\n (:1121-1124). The samples carry no timestamps.
- anything else: {"error":"unknown_verb","verb":"<line>"}\\r\\n (:812-814), the verb JSON-escaped (usbSer3_jsonStr).
Inferred (the fork tree is silent): LED_COUNT = 300, the breadboard rows only, 5 LEDs per row in strip order
(upstream CodeDocs/HANDOFF_2026-09-07_DOCS_SWEEP.md:183; the vendor bench script reads rows the same way); every
LED of a row in a net shows the net's colour as the model keeps it (BoardModel.net_color), unlit rows 000000.
The b64 frame "oled_b64{<W>x<H>:<base64 of the SSD1306 page buffer>}\\r\\n" (oled.cpp is not in the tree: the
framing is the vendor bench script's regex, the line end is assumed like every other dump here). With no display
attached the virtual board sends an empty 0x0 frame, as oled_get_framebuffer_size reports (0, 0, 0) then.
Not modelled (answered as unknown_verb): the buffered `:every:...:gpio:s` path (:906-931),
the other verbs, the other OLED encodings, single-char passthrough
(`:n`), `.`/`:repeat`, bare-':' help, the 2 s idle timeout that ends a line without a newline, and single-char
commands outside a line (dropped).
"""

from __future__ import annotations

import base64
import re
import threading

from jumperless_mcp.emulator import state_json
from jumperless_mcp.emulator.board import BoardModel
from jumperless_mcp.emulator.ports import PtyPort

LED_COUNT = 300
LEDS_PER_ROW = 5
ROWS = 60
BACKSPACE = (0x08, 0x7F)
ADC_COUNT = 5  # usbSer3_sendADC prints adc0..adc4
VERB_MIN_US = {"adc": 4000, "all": 9000, "status": 9000}  # usbSer3_verbs[].minUs of the verbs modelled here
DEFAULT_MIN_US = 100
CONTINUOUS_CAP_S = 60.0
EVERY_USAGE = '{"error":"every_usage","fmt":":every:<interval>:<count>:<verb>"}\r\n'
_FLOAT = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_INT = re.compile(r"\s*[-+]?\d+")


def parse_interval(text: str) -> int:
    """usbSer3_parseInterval: microseconds from "<n>us", "<n>ms", "<n>s" or "<n>" (ms); junk or <= 0 -> 1 unit."""
    text = text.strip().lower()
    mult = 1000
    for unit, factor in (("us", 1), ("ms", 1000), ("s", 1_000_000)):
        if text.endswith(unit):
            mult, text = factor, text[: -len(unit)]
            break
    found = _FLOAT.match(text)
    value = float(found[0]) if found else 0.0
    if value <= 0:
        value = 1
    return max(1, int(value * mult))


def verb_min_us(verb: str) -> int:
    """usbSer3_verbMinUs: the verb's floor, else its head's, else 100 us."""
    verb = verb.lower()
    return VERB_MIN_US.get(verb) or VERB_MIN_US.get(verb.partition(":")[0]) or DEFAULT_MIN_US


def json_str(text: str) -> str:
    """usbSer3_jsonStr: quote, escape only `"` and backslash."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BackchannelPort:
    """The aux port: collects a `:verb` line, echoes it, writes the firmware's reply."""

    def __init__(self, port: PtyPort, board: BoardModel) -> None:
        self.port = port
        self.board = board
        self._line: bytearray | None = None  # None: between lines; else the verb being typed after ':'
        self.received = 0
        self._lock = threading.Lock()  # the I/O thread and a capture thread both write to the port
        self._capture: threading.Event | None = None  # set while `:every` runs: set() asks it to stop
        self._pending = bytearray()  # bytes that arrived during a capture, read once it has ended

    def reset_session(self) -> None:
        with self._lock:
            if self._capture is not None:
                self._capture.set()
            self._line = None

    def feed(self, data: bytes) -> None:
        """I/O thread: the bytes the host wrote, processed as serviceUSBSer3 would."""
        with self._lock:
            self.received += len(data)
            if self._capture is not None:  # USBSer3.available() > 0: the capture stops, the bytes wait
                self._pending += data
                self._capture.set()
                return
            self._bytes(data)

    def _bytes(self, data: bytes | bytearray) -> None:
        for index, byte in enumerate(data):
            if self._capture is not None:  # an `:every` began mid-buffer: the rest waits for it
                self._pending += data[index:]
                self._capture.set()
                return
            self._byte(byte)

    def _byte(self, byte: int) -> None:
        if self._line is None:
            if byte == ord(":"):
                self.port.write(b":")
                self._line = bytearray()
            return  # stray CR/LF, control bytes and single-char commands: not modelled, dropped
        if byte in (0x0A, 0x0D):
            self.port.write(b"\r\n")
            line, self._line = self._line.decode("ascii").strip(), None
            low = line.lower()
            if low == "stop":
                self.port.write(b'{"stop":1}\r\n')
            elif low.startswith("every:"):
                self._every(line[6:])
            elif line:
                self.port.write(self.reply(line).encode("utf-8"))
        elif byte in BACKSPACE:
            if self._line:
                self._line.pop()
                self.port.write(b"\b \b")
        elif 32 <= byte < 127:
            self._line.append(byte)
            self.port.write(bytes([byte]))

    def reply(self, verb: str) -> str:
        """usbSer3_dispatchVerb for the verbs the virtual board models."""
        head, _, rest = verb.partition(":")
        head = head.lower()
        if head in ("ver", "version"):
            return f"Jumperless firmware version: {self.board.version}\r\n"
        if head == "leds":
            return self._leds()
        if head == "oled" and rest.lower() in ("b64", "base64"):
            return self._oled_b64()
        if head == "json":
            return "\n\n\r" + self._json(rest.strip()) + "\n\r"
        if head == "adc":
            return self._adc(self.board.now())
        return '{"error":"unknown_verb","verb":' + json_str(verb) + "}\r\n"

    def _adc(self, t: float) -> str:
        """usbSer3_sendADC with the ADCs sampled at board time t."""
        with self.board.lock:
            volts = [self.board.adc_sample_at(ch, t) for ch in range(ADC_COUNT)]
            ina = [self.board.ina(sensor)[0] * 1000 for sensor in (0, 1)]
        adc = ",".join(f'"adc{ch}":{v:.4f}' for ch, v in enumerate(volts))
        current = f'"ina0_mA":{ina[0]:.3f},"ina1_mA":{ina[1]:.3f}'
        return '{"adc":{' + adc + '},"current":{' + current + "}}\r\n"

    def _every(self, args: str) -> None:
        """usbSer3_runEvery: check the arguments here, then stream the samples from a thread of its own."""
        first = args.find(":")
        second = args.find(":", first + 1) if first >= 0 else -1
        if first < 0 or second < 0:
            self.port.write(EVERY_USAGE.encode("ascii"))
            return
        interval_us = parse_interval(args[:first])
        found = _INT.match(args[first + 1 : second])
        count = int(found[0]) if found else 0
        verb = args[second + 1 :].strip()
        interval_us = max(interval_us, verb_min_us(verb))
        self.port.write(f"cap{{verb:{verb},mode:streamed,eff_us:{interval_us},count:{count}}}\r\n".encode("latin-1"))
        stop = self._capture = threading.Event()
        args_ = (stop, interval_us, count, verb)
        threading.Thread(target=self._stream, args=args_, name="aux-every", daemon=True).start()

    def _stream(self, stop: threading.Event, interval_us: int, count: int, verb: str) -> None:
        """usbSer3_captureStreamed: the verb's reply at start + i*interval (board time), until count or a byte."""
        start = self.board.now()
        interval = interval_us / 1e6
        sent = late = 0
        continuous = count <= 0
        while continuous or sent < count:
            due = start + sent * interval
            reply = self._adc(max(due, self.board.now())) if verb.lower() == "adc" else self.reply(verb)
            with self._lock:
                self.port.write(reply.encode("utf-8"))
            sent += 1
            if stop.is_set() or (continuous and self.board.now() - start > CONTINUOUS_CAP_S):
                break
            wait = start + sent * interval - self.board.now()
            if wait <= 0:
                late += 1
            elif stop.wait(self.board.time.clock.real_seconds(wait)):
                break
        taken_us = int((self.board.now() - start) * 1e6)
        with self._lock:
            self.port.write(f"cap_end{{taken_us:{taken_us},sent:{sent},late:{late}}}\r\n".encode("ascii"))
            if self._capture is stop:
                self._capture = None
            pending, self._pending = bytes(self._pending), bytearray()
            self._bytes(pending)

    def led_colors(self) -> list[int]:
        """The strip as 0xRRGGBB: row r lights LEDs (r-1)*5 .. (r-1)*5+4 in its net's colour."""
        colors = [0] * LED_COUNT
        with self.board.lock:
            for net in self.board.netlist.nets():
                color = self.board.net_color(net.number)[0]
                for node in net.nodes:
                    if 1 <= node <= ROWS:  # node ids 1..60 are the breadboard rows
                        start = (node - 1) * LEDS_PER_ROW
                        colors[start : start + LEDS_PER_ROW] = [color & 0xFFFFFF] * LEDS_PER_ROW
        return colors

    def _leds(self) -> str:
        return f"leds{{{LED_COUNT}:" + "".join(f"{c:06x}" for c in self.led_colors()) + "}\r\n"

    def _oled_b64(self) -> str:
        with self.board.lock:
            oled = self.board.oled
            width, height, data = (oled.width, oled.height, bytes(oled.pixels)) if oled.connected else (0, 0, b"")
        return f"oled_b64{{{width}x{height}:" + base64.b64encode(data).decode("ascii") + "}\r\n"

    def _json(self, section: str) -> str:
        """JsonState::getJumperlessStateJSON(section), cut as the main port's `J <section>` cuts it."""
        with self.board.lock:
            document = state_json.get_state(self.board)
        if section in state_json.SECTIONS:
            start = document.index(f'  "{section}": ')
            end = document.find(',\n  "', start)
            body = document[start : end if end > 0 else document.rindex("\n}")]
            document = "{\n" + body + "\n}"
        return document
