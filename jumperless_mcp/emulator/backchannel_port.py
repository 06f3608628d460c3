"""The JumperlOS read-only fourth USB CDC port (USBSer3, interface 6, "aux"): `:verb` lines answered at once.

The firmware services this port from the Jerial loop, beside whatever runs on the REPL, so a query here never
disturbs a running script; the virtual board answers on its I/O thread for the same reason.
Checked against jumperlos-5.7.0.13-fork/src/Ser3Backchannel.cpp:
- ':' is echoed, then every printable byte of the line, then "\\r\\n" at CR/LF (serviceUSBSer3 :1105,
  usbSer3_readLine :1010-1036; backspace erases with "\\b \\b"); the line is trimmed, the head (up to the first
  ':') lower-cased (usbSer3_dispatchVerb :682-694). Stray CR/LF and control bytes outside a line are dropped (:1098).
- `:ver`/`:version` -> cmd_showVersion (:783, SingleCharCommands.cpp:2400): "Jumperless firmware version: <v>\\r\\n".
- `:leds` -> usbSer3_sendLeds (:314-332): "leds{<LED_COUNT>:" + 6 lower-case hex digits (0xRRGGBB) per LED + "}\\r\\n".
- `:oled:<enc>` -> oled.dumpFrameBufferEncoded (:750, encodings :640-645: "b64"/"base64").
- `:json[:section]` -> cmd_showJsonState('J', "J <section>") (:758-762, SingleCharCommands.cpp:1403-1410):
  "\\n\\n\\r" + JSON + "\\n\\r", printed as is (no CR/LF normalisation on that path).
- anything else: {"error":"unknown_verb","verb":"<line>"}\\r\\n (:812-814), the verb JSON-escaped (usbSer3_jsonStr).
Inferred (the fork tree is silent): LED_COUNT = 300, the breadboard rows only, 5 LEDs per row in strip order
(upstream CodeDocs/HANDOFF_2026-09-07_DOCS_SWEEP.md:183; the vendor bench script reads rows the same way); every
LED of a row in a net shows the net's colour as the model keeps it (BoardModel.net_color), unlit rows 000000.
The b64 frame "oled_b64{<W>x<H>:<base64 of the SSD1306 page buffer>}\\r\\n" (oled.cpp is not in the tree: the
framing is the vendor bench script's regex, the line end is assumed like every other dump here). With no display
attached the virtual board sends an empty 0x0 frame, as oled_get_framebuffer_size reports (0, 0, 0) then.
Not modelled (answered as unknown_verb): the other verbs, the other OLED encodings, single-char passthrough
(`:n`), `.`/`:repeat`, bare-':' help, the 2 s idle timeout that ends a line without a newline, and single-char
commands outside a line (dropped).
"""

from __future__ import annotations

import base64

from jumperless_mcp.emulator import state_json
from jumperless_mcp.emulator.board import BoardModel
from jumperless_mcp.emulator.ports import PtyPort

LED_COUNT = 300
LEDS_PER_ROW = 5
ROWS = 60
BACKSPACE = (0x08, 0x7F)


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

    def reset_session(self) -> None:
        self._line = None

    def feed(self, data: bytes) -> None:
        """I/O thread: the bytes the host wrote, processed as serviceUSBSer3 would."""
        self.received += len(data)
        for byte in data:
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
            if line:
                self.port.write(self.reply(line).encode("latin-1"))
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
        return '{"error":"unknown_verb","verb":' + json_str(verb) + "}\r\n"

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
