"""The running port's stream as board code sees it: `input()`, and on JumperlOS `sys.stdin/stdout/stderr`.

The firmware reads stdin from the stream of the port that runs the code (`global_mp_stream`): the REPL port
for code sent there, the main port for `>` one-liners. `mp_hal_stdin_rx_chr` turns `\\n` into `\\r`
(V5 lib/micropython/port/mphalport.c:68-82, JOS :101-150), and on JumperlOS a Ctrl-C or Ctrl-Q read there
raises KeyboardInterrupt. `input()` is MicroPython's readline with echo (py/modbuiltins.c mp_builtin_input):
Ctrl-C raises KeyboardInterrupt, Ctrl-D on an empty line EOFError, and Enter returns the line without it.
`sys.stdin.read()` / `readline()` read without echo and turn `\\r` into `\\n` (shared/runtime/sys_stdio_mphal.c).

The hook a port provides is its input buffer: the runtime reads `owner.input` (a `ByteSource`) of the port
that started the code; nothing else is needed from the port.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Protocol

from firmware_api.versions import Family
from jumperless_mcp.emulator.readline import Readline

CTRL_C, CTRL_D, CTRL_Q = 0x03, 0x04, 0x11
POLL_TICK = 0.02  # seconds between looks at the port while waiting for a byte


class ByteSource(Protocol):
    """What a port hands the runtime: the bytes its host sent that nobody has consumed (ports.InputBuffer)."""

    def read_byte(self, timeout: float = 0.0) -> int | None: ...
    def pending(self) -> int: ...


class Console:
    """stdin/stdout of the code running now."""

    def __init__(
        self,
        family: Family,
        source: Callable[[], ByteSource | None],
        write: Callable[[str], None],
        interrupt_armed: Callable[[], bool],
    ) -> None:
        self.family = family
        self._source = source
        self.write = write
        self._armed = interrupt_armed
        self.stdin = TextStdin(self)
        self.stdout = TextStdout(self, 1)
        self.stderr = TextStdout(self, 2)

    def pending(self) -> int:
        source = self._source()
        return source.pending() if source is not None else 0

    def read_byte(self) -> int:
        """mp_hal_stdin_rx_chr: wait for the next byte of the running port, `\\n` read as `\\r`."""
        while True:
            source = self._source()
            if source is None:
                raise EOFError  # code run with no port behind it (tests calling the runtime directly)
            byte = source.read_byte(POLL_TICK)
            if byte is None:
                continue
            if byte in (CTRL_C, CTRL_Q) and self.family is Family.JUMPERLOS and self._armed():
                raise KeyboardInterrupt
            return 0x0D if byte == 0x0A else byte

    def input(self, prompt: str = "") -> str:
        """input(): the prompt (already printed as str() would), then one edited line."""
        if prompt:
            self.write(prompt)
        editor = Readline(lambda data: self.write(data.decode("latin-1")))
        editor.init(b"")
        while True:
            key = editor.process(self.read_byte())
            if key < 0:
                continue
            if key == CTRL_C:
                raise KeyboardInterrupt
            if key == CTRL_D and not editor.line:
                raise EOFError
            return editor.line.decode("utf-8", "replace")


class TextStdin:
    """sys.stdin: read(n) and readline() without echo, `\\r` read as `\\n`; `.buffer` gives bytes."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self.buffer = BinaryStdin(console)

    def _char(self) -> int:
        byte = self._console.read_byte()
        return 0x0A if byte == 0x0D else byte

    def read(self, size: int | None = -1) -> str:
        data = bytearray()
        while size is None or size < 0 or len(data) < size:  # no size: until end of file, which never comes
            data.append(self._char())
        while data and _incomplete_utf8(data):  # a text stream returns whole characters
            data.append(self._char())
        return data.decode("utf-8", "replace")

    def readline(self, size: int = -1) -> str:
        data = bytearray()
        while size < 0 or len(data) < size:
            data.append(self._char())
            if data[-1] == 0x0A:
                break
        return data.decode("utf-8", "replace")

    def fileno(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "<io.TextIOWrapper 0>"


class BinaryStdin:
    def __init__(self, console: Console) -> None:
        self._console = console

    def read(self, size: int = -1) -> bytes:
        data = bytearray()
        while size < 0 or len(data) < size:
            data.append(self._console.read_byte())
        return bytes(data)

    def __repr__(self) -> str:
        return "<io.FileIO 0>"


class TextStdout:
    """sys.stdout / sys.stderr: both go to the running port (the raw REPL's stderr part holds only tracebacks)."""

    def __init__(self, console: Console, fd: int) -> None:
        self._console = console
        self._fd = fd
        self.buffer = BinaryStdout(console, fd)

    def write(self, data: str | bytes) -> int:
        text = data.decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else data
        if not isinstance(text, str):
            raise TypeError(f"object with buffer protocol required, not {type(data).__name__}")
        self._console.write(text)
        return len(data)

    def flush(self) -> None:
        return None

    def fileno(self) -> int:
        return self._fd

    def __repr__(self) -> str:
        return f"<io.TextIOWrapper {self._fd}>"


class BinaryStdout(TextStdout):
    def __init__(self, console: Console, fd: int) -> None:
        self._console = console
        self._fd = fd

    def __repr__(self) -> str:
        return f"<io.FileIO {self._fd}>"


for _stream in (TextStdin, BinaryStdin, TextStdout, BinaryStdout):
    io.IOBase.register(_stream)  # print(file=...) takes any stream


def _incomplete_utf8(data: bytearray) -> bool:
    """Does `data` end inside a multi-byte UTF-8 character?"""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # the lead byte of the last character
            needed = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4 if byte & 0xF8 == 0xF0 else 1
            return needed > back
    return False
