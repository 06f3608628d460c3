"""The REPL port (CDC2, JumperlOS ≥ 5.6): MicroPython's friendly, paste, raw and raw-paste REPL.

Bytes are processed one at a time like the firmware's event-driven pyexec
(protocol §3.4), so stock tools (mpremote) work unchanged:
raw REPL `code` Ctrl-D → `OK` stdout `\\x04` stderr `\\x04` `>`;
raw-paste `\\x05A\\x01` → `R\\x01` + window size + flow control.
"""

from __future__ import annotations

import codeop
import enum
import struct

from jumperless_mcp.emulator.ports import InputBuffer, PtyPort
from jumperless_mcp.emulator.runtime import PythonRuntime

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
PASTE_BANNER = b"paste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
RAW_PASTE_WINDOW = 128  # MICROPY_REPL_STDIN_BUFFER_MAX (256) / 2
CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 1, 2, 3, 4, 5


class Mode(enum.Enum):
    FRIENDLY = "friendly"
    PASTE = "paste"
    RAW = "raw"
    RAW_PASTE = "raw_paste"


class ReplPort:
    interrupt_bytes = frozenset({CTRL_C})

    def __init__(self, port: PtyPort, runtime: PythonRuntime, banner: str) -> None:
        self.port = port
        self.runtime = runtime
        self.banner = banner
        self.input: InputBuffer | None = None
        self.mode = Mode.FRIENDLY
        self.line = bytearray()  # friendly line being edited, or raw/paste buffer
        self.block: list[str] = []  # friendly continuation lines
        self.escape = False  # inside an ANSI escape sequence being skipped
        self.window_left = RAW_PASTE_WINDOW

    def attach(self, buffer: InputBuffer) -> None:
        self.input = buffer

    def reset_session(self) -> None:
        """After a reboot: friendly mode, nothing typed, nothing queued."""
        self.mode = Mode.FRIENDLY
        self.line.clear()
        self.block.clear()
        self.escape = False
        self.window_left = RAW_PASTE_WINDOW
        if self.input is not None:
            self.input.take_all()

    def write(self, data: bytes | str) -> None:
        self.port.write(data.encode("utf-8", "replace") if isinstance(data, str) else data)

    def service(self) -> None:
        assert self.input is not None
        while (byte := self.input.read_byte()) is not None:
            handler = {
                Mode.FRIENDLY: self._friendly,
                Mode.PASTE: self._paste,
                Mode.RAW: self._raw,
                Mode.RAW_PASTE: self._raw_paste,
            }[self.mode]
            handler(byte)

    # --- friendly REPL ----------------------------------------------------------------------
    def _prompt(self) -> bytes:
        return b"... " if self.block else b">>> "

    def _friendly(self, byte: int) -> None:
        if self.escape:  # skip an ANSI sequence (arrow keys): ESC [ params final-byte
            self.escape = byte == ord("[") or 0x30 <= byte <= 0x3F
            return
        if byte == CTRL_A:
            self.mode, self.line, self.block = Mode.RAW, bytearray(), []
            self.write(b"\r\n" + RAW_BANNER + b">")
        elif byte == CTRL_B:
            self.line, self.block = bytearray(), []
            self.write(b"\r\n" + self.banner.encode() + b">>> ")
        elif byte == CTRL_C:
            self.line, self.block = bytearray(), []
            self.write(b"\r\n>>> ")
        elif byte == CTRL_D:
            if not self.line:
                self.write(b"\r\n")
                self._soft_reset()
                self.write(self.banner.encode() + b">>> ")
        elif byte == CTRL_E:
            self.mode, self.line, self.block = Mode.PASTE, bytearray(), []
            self.write(b"\r\n" + PASTE_BANNER)
        elif byte == 0x0D:
            self.write(b"\r\n")
            self._friendly_enter()
        elif byte in (0x08, 0x7F):
            if self.line:
                self.line = self.line[:-1]
                self.write(b"\b \b")
        elif byte == 0x1B:
            self.escape = True
        elif byte == 0x09:
            self.line.extend(b"    ")
            self.write(b"    ")
        elif byte >= 0x20:
            self.line.append(byte)
            self.write(bytes([byte]))

    def _friendly_enter(self) -> None:
        text = self.line.decode("utf-8", "replace")
        self.line = bytearray()
        if not self.block and not text.strip():
            self.write(b">>> ")
            return
        self.block.append(text)
        source = "\n".join(self.block)
        ends_block = bool(self.block) and len(self.block) > 1 and not text.strip()
        if not ends_block:
            try:
                complete = codeop.compile_command(source, "<stdin>", "single") is not None
            except (SyntaxError, ValueError, OverflowError):
                complete = True  # let the run report the error
            if not complete:
                self.write(b"... ")
                return
        self.block = []
        self._run(source + "\n")
        self.write(b">>> ")

    def _paste(self, byte: int) -> None:
        if byte == CTRL_C:
            self.mode, self.line = Mode.FRIENDLY, bytearray()
            self.write(b"\r\n>>> ")
        elif byte == CTRL_D:
            source = self.line.decode("utf-8", "replace")
            self.mode, self.line = Mode.FRIENDLY, bytearray()
            self.write(b"\r\n")
            self._run(source)
            self.write(b">>> ")
        else:
            self.line.append(0x0A if byte == 0x0D else byte)
            self.write(b"\r\n=== " if byte == 0x0D else bytes([byte]))

    # --- raw REPL ---------------------------------------------------------------------------
    def _raw(self, byte: int) -> None:
        if byte == CTRL_A:
            if self.line == b"\x05A":  # raw-paste request
                self.line = bytearray()
                self.mode, self.window_left = Mode.RAW_PASTE, RAW_PASTE_WINDOW
                self.write(b"R\x01" + struct.pack("<H", RAW_PASTE_WINDOW) + b"\x01")
                return
            self.line = bytearray()
            self.write(RAW_BANNER + b">")
        elif byte == CTRL_B:
            self.mode, self.line = Mode.FRIENDLY, bytearray()
            self.write(b"\r\n" + self.banner.encode() + b">>> ")
        elif byte == CTRL_C:
            self.line = bytearray()
        elif byte == CTRL_D:
            source, self.line = self.line.decode("utf-8", "replace"), bytearray()
            self.write(b"OK")
            if not source:
                self.write(b"\r\n")
                self._soft_reset()
                self.write(b"soft reboot\r\n" + RAW_BANNER + b">")
                return
            self._run_raw(source)
        else:
            self.line.append(byte)

    def _raw_paste(self, byte: int) -> None:
        if byte in (CTRL_C, CTRL_D):
            self.write(b"\x04")  # tell the host the data has ended
            source, self.line = self.line.decode("utf-8", "replace"), bytearray()
            self.mode = Mode.RAW
            if byte == CTRL_C:
                self.write(b"\x04Traceback (most recent call last):\nKeyboardInterrupt: \n\x04>")
                return
            self._run_raw(source)
            return
        self.line.append(byte)
        self.window_left -= 1
        if self.window_left == 0:
            self.window_left = RAW_PASTE_WINDOW
            self.write(b"\x01")

    def _run_raw(self, source: str) -> None:
        error = self.runtime.run(source, self._stdout_raw, owner=self)
        self.write(b"\x04")
        if error:
            self.write(error)
        self.write(b"\x04>")

    # --- running code ------------------------------------------------------------------------
    def _stdout_raw(self, text: str) -> None:
        self.write(text)  # verbatim: '\n', not '\r\n', on the REPL port

    def _run(self, source: str) -> None:
        """Friendly and paste mode: bare expressions print their repr."""
        error = self.runtime.run(source, self._stdout_raw, echo=True, owner=self)
        if error:
            self.write(error)

    def _soft_reset(self) -> None:
        self.runtime.reset()
