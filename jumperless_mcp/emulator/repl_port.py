"""The REPL port (CDC2, JumperlOS ≥ 5.6): MicroPython's friendly, paste, raw and raw-paste REPL.

Bytes are processed one at a time like the firmware's MpRemoteService feeding the
event-driven pyexec (JOS src/MpRemoteService.cpp:95-295, micropython_embed
shared/runtime/pyexec.c:327-541), so stock tools (mpremote) work unchanged:
raw REPL `code` Ctrl-D → `OK` stdout `\\x04` stderr `\\x04` `>`;
raw-paste `\\x05A\\x01` → `R\\x01` + window size + flow control. Firmware details kept:
the banner is printed once at boot; a soft reset prints nothing in friendly mode and,
in raw mode, finishes the bytes already received before it reboots and drains the rest;
raw-paste data is read through mp_hal_stdin_rx_chr, so `\\n` becomes `\\r` and Ctrl-C or
Ctrl-Q in the data interrupt.
"""

from __future__ import annotations

import enum
import struct

from jumperless_mcp.emulator.ports import InputBuffer, PtyPort
from jumperless_mcp.emulator.readline import Readline, continue_with_input
from jumperless_mcp.emulator.runtime import PythonRuntime

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
PASTE_BANNER = b"paste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
RAW_PASTE_WINDOW = 128  # MICROPY_REPL_STDIN_BUFFER_MAX (256) / 2
BATCH = 8192  # bytes MpRemoteService feeds to pyexec per service call (:150)
CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E, CTRL_Q = 1, 2, 3, 4, 5, 0x11
FRIENDLY_CONTROLS = frozenset({1, 2, 3, 4, 5, 8, 9, 10, 13, 27})  # MpRemoteService.cpp:174-190 lets these through


class Mode(enum.Enum):
    FRIENDLY = "friendly"
    PASTE = "paste"
    RAW = "raw"
    RAW_PASTE = "raw_paste"


class ReplPort:
    def __init__(self, port: PtyPort, runtime: PythonRuntime, banner: str) -> None:
        self.port = port
        self.runtime = runtime
        self.banner = banner
        self.input: InputBuffer | None = None
        self.readline = Readline(self.write)
        self.mode = Mode.FRIENDLY
        self.cont_line = False  # friendly mode is collecting a compound statement
        self.raw = bytearray()  # raw / raw-paste buffer
        self.window_left = RAW_PASTE_WINDOW
        self.draining = False  # raw-paste reader closed after an interrupt: skip to Ctrl-C / Ctrl-D
        self.reboot_pending = False

    @property
    def in_raw_repl(self) -> bool:
        """MpRemoteService::isInRawRepl: interrupt echoes are suppressed while this holds."""
        return self.mode in (Mode.RAW, Mode.RAW_PASTE)

    def attach(self, buffer: InputBuffer) -> None:
        self.input = buffer

    def reset_session(self) -> None:
        """After a reboot: friendly mode, nothing typed, nothing queued."""
        self.mode, self.cont_line, self.draining, self.reboot_pending = Mode.FRIENDLY, False, False, False
        self.raw.clear()
        self.readline = Readline(self.write)
        if self.input is not None:
            self.input.take_all()

    def boot(self) -> None:
        """pyexec_event_repl_init at the first service after boot: the banner and `>>> `, listener or not (P13)."""
        self.readline.init(b"")
        self._friendly(CTRL_B)

    def write(self, data: bytes | str) -> None:
        self.port.write(data.encode("utf-8", "replace") if isinstance(data, str) else data)

    def service(self) -> None:
        """One MpRemoteService::service call: arm the interrupt char, feed up to 8192 bytes, then reboot if asked."""
        assert self.input is not None
        if not self.input.pending():
            return
        self.runtime.set_interrupt_char(CTRL_C)  # setGlobalStreamWithInterrupt(&USBSer2), :145
        for _ in range(BATCH):
            byte = self.input.read_byte()
            if byte is None:
                break
            if self.mode in (Mode.FRIENDLY, Mode.PASTE) and byte < 0x20 and byte not in FRIENDLY_CONTROLS:
                continue  # stray control byte the friendly REPL cannot use
            self._process(byte)
        if self.reboot_pending:
            self._soft_reboot()
        self.runtime.set_interrupt_char(CTRL_Q)  # the saved Serial stream is restored with Ctrl-Q, :290-292

    def _process(self, byte: int) -> None:
        if self.mode is Mode.RAW:
            self._raw(byte)
        elif self.mode is Mode.RAW_PASTE:
            self._raw_paste(byte)
        elif self.mode is Mode.PASTE:
            self._paste(byte)
        else:
            self._friendly(byte)

    def _soft_reboot(self) -> None:
        """jl_soft_reboot (JOS src/JumperlessMicroPythonAPI.cpp:1336-1352): drain CDC2 RX, fresh VM; only raw mode
        says so (MpRemoteService.cpp:265-286)."""
        assert self.input is not None
        self.reboot_pending = False
        self.input.take_all()
        self.runtime.reset(soft=True)
        if self.in_raw_repl:
            self.mode = Mode.RAW
            self.write(b"soft reboot\r\n" + RAW_BANNER + b">")

    # --- friendly REPL ----------------------------------------------------------------------
    def _friendly(self, byte: int) -> None:
        key = self.readline.process(byte)
        if key < 0:
            return
        if self.cont_line and key == CTRL_C:
            self.write(b"\r\n")
            self._restart()
        elif self.cont_line and key == CTRL_D:
            self._friendly_exec()  # Ctrl-D ends a compound statement
        elif not self.cont_line and key > 0:
            self._friendly_control(key)
        else:
            self._enter()  # Enter; on an empty continuation line Ctrl-A/B/E act as Enter too (pyexec.c:493-513)

    def _enter(self) -> None:
        if continue_with_input(bytes(self.readline.line)):
            self.readline.line += b"\n"
            self.cont_line = True
            self.readline.note_newline(b"... ")
        else:
            self._friendly_exec()

    def _friendly_control(self, key: int) -> None:
        """Ctrl-A..E on an empty line (pyexec.c:445-478)."""
        if key == CTRL_A:
            self.mode = Mode.RAW
            self.write(b"\r\n")
            self._raw(CTRL_A)
        elif key == CTRL_B:
            self.write(b"\r\n" + self.banner.encode())
            self._restart()
        elif key == CTRL_C:
            self.write(b"\r\n")
            self._restart()
        elif key == CTRL_D:
            self.write(b"\r\n")  # soft reset: nothing more is printed in friendly mode (P12)
            self._clear_line()
            self.reboot_pending = True
        else:
            self.write(b"\r\n" + PASTE_BANNER)
            self._clear_line()
            self.mode = Mode.PASTE

    def _clear_line(self) -> None:
        self.readline.line.clear()
        self.readline.orig = self.readline.cursor = 0
        self.cont_line = False

    def _friendly_exec(self) -> None:
        self._run(bytes(self.readline.line))
        if self.runtime.forced_exit or self.runtime.soft_reset_requested:
            self._clear_line()  # PYEXEC_FORCED_EXIT: no prompt, the VM reboots after this batch
            self.reboot_pending = True
            return
        self._restart()

    def _restart(self) -> None:
        """input_restart: a fresh `>>> ` line."""
        self._clear_line()
        self.mode = Mode.FRIENDLY
        self.readline.init(b">>> ")

    def _paste(self, byte: int) -> None:
        if byte == CTRL_C:
            self.write(b"\r\n")
            self._restart()
        elif byte == CTRL_D:
            self.write(b"\r\n")
            self._run(bytes(self.raw))
            self.raw.clear()
            if self.runtime.forced_exit or self.runtime.soft_reset_requested:
                self.mode, self.reboot_pending = Mode.FRIENDLY, True
                return
            self._restart()
        else:
            self.raw.append(byte)
            self.write(b"\r\n=== " if byte == 0x0D else bytes([byte]))

    # --- raw REPL ---------------------------------------------------------------------------
    def _raw(self, byte: int) -> None:
        if byte == CTRL_A:
            if len(self.raw) == 2 and self.raw[0] == CTRL_E:
                self._raw_paste_request(self.raw[1])
                return
            self.raw.clear()
            self.write(RAW_BANNER + b">")
        elif byte == CTRL_B:
            self.raw.clear()
            self.mode = Mode.FRIENDLY
            self._clear_line()
            self.readline.init(b"")
            self._friendly(CTRL_B)
        elif byte == CTRL_C:
            self.raw.clear()
        elif byte == CTRL_D:
            source = bytes(self.raw)
            self.raw.clear()
            self.write(b"OK")
            if not source:
                self.write(b"\r\n")
                self.reboot_pending = True  # the rest of this batch is still processed first (P11)
                return
            self._run_raw(source)
        else:
            self.raw.append(byte)

    def _raw_paste_request(self, command: int) -> None:
        self.raw.clear()
        if command != ord("A"):
            self.write(b"R\x00>")
            return
        self.mode, self.window_left, self.draining = Mode.RAW_PASTE, RAW_PASTE_WINDOW, False
        self.write(b"R\x01" + struct.pack("<H", RAW_PASTE_WINDOW) + b"\x01")

    def _raw_paste(self, byte: int) -> None:
        """Bytes as mp_hal_stdin_rx_chr returns them to the raw-paste reader (JOS mphalport.c:101-175)."""
        if self.draining:
            if byte in (CTRL_C, CTRL_D):  # mp_reader_stdin_close waits for one of these (pyexec.c:280-292)
                self.draining, self.mode = False, Mode.RAW
                self.write(b"\x04KeyboardInterrupt: \n\x04>")
            return
        if byte in (CTRL_C, CTRL_Q):  # the interrupt chars never reach the reader: KeyboardInterrupt
            self.raw.clear()
            self.draining = True
            self.write(b"\x04")
            return
        if byte == CTRL_D:
            self.write(b"\x04")  # end of data acknowledged
            source = bytes(self.raw)
            self.raw.clear()
            self.mode = Mode.RAW
            self._run_raw(source)
            return
        self.raw.append(0x0D if byte == 0x0A else byte)  # `\n` is turned into `\r` on the way in
        self.window_left -= 1
        if self.window_left == 0:
            self.window_left = RAW_PASTE_WINDOW
            self.write(b"\x01")

    def _run_raw(self, source: bytes) -> None:
        error = self._execute(source, echo=False)
        self.write(b"\x04")
        if self.runtime.forced_exit or self.runtime.soft_reset_requested:
            self.write(b"\x04")  # SystemExit: no traceback, no prompt; the VM reboots after this batch
            self.reboot_pending = True
            return
        if error:
            self.write(error)
        self.write(b"\x04>")

    # --- running code ------------------------------------------------------------------------
    def _stdout(self, text: str) -> None:
        self.write(text)  # verbatim: '\n', not '\r\n', on the REPL port

    def _run(self, source: bytes) -> None:
        """Friendly and paste mode: compiled in REPL mode, so expression statements print their repr."""
        error = self._execute(source, echo=True)
        if error:
            self.write(error)

    def _execute(self, source: bytes, *, echo: bool) -> str | None:
        """parse_compile_execute: interrupts armed while it runs (pyexec.c:127-139)."""
        self.runtime.set_interrupt_char(CTRL_C)
        try:
            return self.runtime.run(lexer_text(source), self._stdout, echo=echo, owner=self)
        finally:
            self.runtime.set_interrupt_char(-1)


def lexer_text(source: bytes) -> str:
    """Source as MicroPython's lexer reads it: `\\r\\n` and a lone `\\r` are both one newline (py/lexer.c:186-193)."""
    return source.replace(b"\r\n", b"\n").replace(b"\r", b"\n").decode("utf-8", "replace")
