"""The board's MicroPython VM, played by CPython.

Code arriving over serial runs here with the `jumperless` functions and
constants as globals, plus `print`, `time`, `os` and friends, as on the
firmware. Errors come back as MicroPython-style tracebacks. An interrupt
(Ctrl-C, Ctrl-Q) set from the I/O thread raises KeyboardInterrupt at the next
line of user code, or inside a blocking call such as `time.sleep`.
"""

from __future__ import annotations

import ast
import builtins
import ctypes
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable
from typing import TYPE_CHECKING

from jumperless_mcp.emulator.module import JumperlessModule

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

USER_FILENAMES = ("<stdin>", "<string>")
ESCALATE_AFTER = 0.2  # seconds an interrupt may wait for a line event before it is forced
ECHO_NAME = "__repl_echo__"
_PURE_MODULES = (
    "math",
    "json",
    "struct",
    "re",
    "collections",
    "binascii",
    "array",
    "hashlib",
    "io",
    "errno",
    "random",
    "select",
)
_ALIASES = {
    "utime": "time",
    "uos": "os",
    "ujson": "json",
    "ustruct": "struct",
    "ubinascii": "binascii",
    "ucollections": "collections",
    "ure": "re",
    "uerrno": "errno",
    "uio": "io",
    "urandom": "random",
}
_MESSAGES = (
    (NameError, lambda e: str(e).replace(" is not defined", " isn't defined")),
    (ZeroDivisionError, lambda e: "divide by zero"),
)


class _EchoExpressions(ast.NodeTransformer):
    """Make top-level expression statements print their repr, as `is_repl` compilation does."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        for index, statement in enumerate(node.body):
            if isinstance(statement, ast.Expr):
                call = ast.Call(ast.Name(ECHO_NAME, ast.Load()), [statement.value], [])
                node.body[index] = ast.copy_location(ast.Expr(call), statement)
        return ast.fix_missing_locations(node)


class PythonRuntime:
    """One VM per board, shared by the main port's `>` and the REPL port, as on the firmware."""

    def __init__(
        self,
        board: BoardModel,
        main_port_write: Callable[[str], None],
        main_port_wait: Callable[[Callable[[float], None]], None],
    ) -> None:
        self.board = board
        self.interrupt = threading.Event()
        self._main_port_write = main_port_write
        self._main_port_wait = main_port_wait
        self._out: Callable[[str], None] = lambda text: None
        self.running = False
        self.owner: object = None
        self._on_check: Callable[[], None] | None = None
        self._run_lock = threading.Lock()
        self._run_serial = 0
        self._thread_id = 0
        self.reset()

    def reset(self) -> None:
        """Soft reset: a fresh VM with `from jumperless import *` already done."""
        self.module = JumperlessModule(self.board, self)
        self.jumperless = self.module.module()
        self.modules = {
            "jumperless": self.jumperless,
            "jfs": self.jumperless.jfs,  # type: ignore[attr-defined]
            "time": self._time_module(),
            "sys": self._sys_module(),
            "os": self.module.files.os_module(),
            "gc": self._gc_module(),
            "micropython": self._micropython_module(),
        }
        self.globals: dict[str, object] = {
            **self.jumperless.__dict__,
            "__name__": "__main__",
            "__builtins__": self._builtins(),
            ECHO_NAME: self._echo,
        }

    # --- ExecutionContext for the module ---------------------------------------------------
    def write(self, text: str) -> None:
        self._out(text)

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + max(0.0, float(seconds))
        while True:
            self._check_interrupt()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.interrupt.wait(min(remaining, 0.05))

    def main_port(self, text: str) -> None:
        self._main_port_write(text)

    def wait_main_port_input(self) -> None:
        """Live mode polls the main port itself: its waits see Ctrl-Q but must not drop the byte that ends it."""
        self._main_port_wait(self._poll_sleep)

    def _poll_sleep(self, seconds: float) -> None:
        if self.interrupt.is_set():
            self.interrupt.clear()
            raise KeyboardInterrupt
        self.interrupt.wait(seconds)

    def request_interrupt(self) -> None:
        """Interrupt the running code: at its next line, or within 0.2 s even in a one-line loop."""
        self.interrupt.set()
        timer = threading.Timer(ESCALATE_AFTER, self._escalate, args=(self._run_serial,))
        timer.daemon = True
        timer.start()

    def _escalate(self, serial: int) -> None:
        with self._run_lock:
            if self.running and self._run_serial == serial and self.interrupt.is_set():
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(self._thread_id), ctypes.py_object(KeyboardInterrupt)
                )

    def _check_interrupt(self) -> None:
        if self._on_check is not None:
            self._on_check()
        if self.interrupt.is_set():
            self.interrupt.clear()
            raise KeyboardInterrupt

    # --- running code ------------------------------------------------------------------------
    def run(
        self,
        source: str,
        out: Callable[[str], None],
        *,
        echo: bool = False,
        owner: object = None,
        on_check: Callable[[], None] | None = None,
    ) -> str | None:
        """Run source to completion; stdout goes to `out`. Returns a traceback, or None on success.

        `owner` is the port that sent the code: only its interrupt bytes interrupt it.
        `on_check` runs at every interrupt check (each line, each sleep tick), as the
        firmware's mp_hal_check_interrupt does.
        """
        filename = "<stdin>"
        self._out = out
        self.owner = owner
        self._on_check = on_check
        try:
            tree = ast.parse(source, filename, "exec")
            if echo:
                tree = _EchoExpressions().visit(tree)
            code = compile(tree, filename, "exec")
        except SyntaxError as exc:
            return format_traceback(exc)
        with self._run_lock:
            self.interrupt.clear()
            self._run_serial += 1
            self._thread_id = threading.get_ident()
            self.running = True
        previous_trace = sys.gettrace()
        sys.settrace(self._trace)
        try:
            exec(code, self.globals)
        except SystemExit:
            return None
        except BaseException as exc:
            return format_traceback(exc)
        finally:
            sys.settrace(previous_trace)
            with self._run_lock:
                self.running = False
                self.interrupt.clear()
        return None

    def _trace(self, frame: types.FrameType, event: str, arg: object) -> Callable | None:  # type: ignore[type-arg]
        if frame.f_code.co_filename not in USER_FILENAMES:
            return None
        return self._trace_line

    def _trace_line(self, frame: types.FrameType, event: str, arg: object) -> Callable | None:  # type: ignore[type-arg]
        if event == "line":  # not on 'return': nothing may be checked (or input dropped) after the last statement
            self._check_interrupt()
        return self._trace_line

    def _echo(self, value: object) -> None:
        if value is not None:
            self._out(repr(value) + "\n")

    # --- the builtins and modules a script sees ------------------------------------------------
    def _builtins(self) -> dict[str, object]:
        names = dict(builtins.__dict__)
        names.update(print=self._print, open=self.module.files.open, __import__=self._import)
        for name in ("input", "breakpoint", "help", "exit", "quit", "copyright", "credits", "license"):
            names.pop(name, None)
        names["help"] = self.module.help
        return names

    def _print(self, *values: object, sep: str | None = " ", end: str | None = "\n", file: object = None) -> None:
        text = (" " if sep is None else sep).join(str(v) for v in values) + ("\n" if end is None else end)
        if file is not None and hasattr(file, "write"):
            file.write(text)
        else:
            self._out(text)

    def _import(
        self, name: str, globals: object = None, locals: object = None, fromlist: object = (), level: int = 0
    ) -> object:
        name = _ALIASES.get(name, name)
        if name in self.modules:
            return self.modules[name]
        if name in _PURE_MODULES:
            return __import__(name, fromlist=fromlist or ())  # type: ignore[arg-type]
        raise ImportError(f"no module named '{name}'")

    def _time_module(self) -> types.ModuleType:
        start = time.monotonic()
        module = types.ModuleType("time")
        module.__dict__.update(
            sleep=self.sleep,
            sleep_ms=lambda ms: self.sleep(ms / 1000),
            sleep_us=lambda us: self.sleep(us / 1e6),
            ticks_ms=lambda: int((time.monotonic() - start) * 1000) & 0x3FFFFFFF,
            ticks_us=lambda: int((time.monotonic() - start) * 1e6) & 0x3FFFFFFF,
            ticks_diff=lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000,
            ticks_add=lambda a, b: (a + b) & 0x3FFFFFFF,
            time=lambda: int(time.time()),
            time_ns=time.time_ns,
            localtime=time.localtime,
            gmtime=time.gmtime,
            mktime=time.mktime,
        )
        return module

    def _sys_module(self) -> types.ModuleType:
        runtime = self

        class _Stdout:
            def write(self, text: object) -> int:
                runtime._out(text.decode() if isinstance(text, (bytes, bytearray)) else str(text))
                return len(text)  # type: ignore[arg-type]

            buffer = property(lambda self: self)

        module = types.ModuleType("sys")
        version = str(self.board.version)
        module.__dict__.update(
            platform="rp2",
            byteorder="little",
            maxsize=2**31 - 1,
            path=["", "/lib"],
            argv=[],
            modules={},
            version="3.4.0; MicroPython v1.28.0-dirty on 2026-06-01",
            implementation=types.SimpleNamespace(
                name="micropython", version=(1, 28, 0, ""), _machine=f"jumperless-v5 v{version} with rp2350b", _mpy=0
            ),
            stdout=_Stdout(),
            stderr=_Stdout(),
            exit=sys.exit,
            print_exception=lambda exc, file=None: self._out(format_traceback(exc)),
        )
        return module

    @staticmethod
    def _gc_module() -> types.ModuleType:
        module = types.ModuleType("gc")
        module.__dict__.update(
            collect=lambda: None,
            mem_free=lambda: 7_800_000,
            mem_alloc=lambda: 200_000,
            enable=lambda: None,
            disable=lambda: None,
            isenabled=lambda: True,
        )
        return module

    @staticmethod
    def _micropython_module() -> types.ModuleType:
        module = types.ModuleType("micropython")
        module.__dict__.update(
            const=lambda x: x,
            kbd_intr=lambda c: None,
            opt_level=lambda *a: 0,
            mem_info=lambda *a: None,
            native=lambda f: f,
            viper=lambda f: f,
        )
        return module


def format_traceback(exc: BaseException) -> str:
    """A MicroPython-style traceback: only the script's own frames, `Type: message`."""
    lines = ["Traceback (most recent call last):"]
    if isinstance(exc, SyntaxError):
        lines.append(f'  File "{exc.filename or "<stdin>"}", line {exc.lineno or 1}')
        lines.append("SyntaxError: invalid syntax")
        return "\n".join(lines) + "\n"
    for frame, line_number in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename in USER_FILENAMES:
            where = "<module>" if frame.f_code.co_name == "<module>" else frame.f_code.co_name
            lines.append(f'  File "{filename}", line {line_number}, in {where}')
    if len(lines) == 1:
        lines.append('  File "<stdin>", line 1, in <module>')
    lines.append(f"{_type_name(exc)}: {_message(exc)}")
    return "\n".join(lines) + "\n"


def _type_name(exc: BaseException) -> str:
    """MicroPython has one OSError (no FileNotFoundError and friends)."""
    return "OSError" if isinstance(exc, OSError) else type(exc).__name__


def _message(exc: BaseException) -> str:
    for kind, render in _MESSAGES:
        if isinstance(exc, kind):
            return render(exc)
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"[Errno {exc.errno}] {exc.strerror}" if exc.strerror else str(exc.errno)
    return str(exc) if exc.args else ""
