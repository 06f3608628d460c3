"""The board's MicroPython VM, played by CPython.

Code arriving over serial runs here with the `jumperless` functions and
constants as globals, plus `print`, `time`, `os` and friends, as on the
firmware. Errors come back as MicroPython-style tracebacks. Interrupts follow
the firmware's mp_hal_check_interrupt: at each check (each line where the
firmware has a VM hook, each output, each sleep tick) the board's `check_input`
looks at what the host sent; an interrupt raises KeyboardInterrupt there.
"""

from __future__ import annotations

import ast
import ctypes
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import TYPE_CHECKING

from firmware_api import python_ast
from jumperless_mcp.emulator.dialect import Dialect
from jumperless_mcp.emulator.floats import set_running_family
from jumperless_mcp.emulator.module import JumperlessModule
from jumperless_mcp.emulator.reprs import mp_repr
from jumperless_mcp.emulator.tracebacks import USER_FILENAMES, format_traceback

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

ESCALATE_AFTER = 0.2  # seconds an interrupt may wait for a line event before it is forced
INTERRUPT, SOFT_RESET = "interrupt", "soft_reset"  # what the board's input check may ask for
ECHO_NAME = "__repl_echo__"


class _EchoExpressions(ast.NodeTransformer):
    """Print every module-scope expression statement's repr, as `is_repl` compilation does.

    MicroPython's compile_expr_stmt (py/compile.c:2006-2013 in the JumperlOS tree) echoes any expression
    statement whose scope is the module, so inside for/while/if/try/with blocks too, and REPL mode skips
    the docstring check (:3060), so a leading string is echoed as well. Function and class bodies are
    other scopes and stay silent.
    """

    def visit_Module(self, node: ast.Module) -> ast.Module:
        self.generic_visit(node)
        return ast.fix_missing_locations(node)

    def visit_Expr(self, node: ast.Expr) -> ast.Expr:
        call = ast.Call(ast.Name(ECHO_NAME, ast.Load()), [node.value], [])
        return ast.copy_location(ast.Expr(call), node)

    def _other_scope(self, node: ast.AST) -> ast.AST:
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _other_scope


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
        self._run_lock = threading.Lock()
        self._run_serial = 0
        self._thread_id = 0
        # interrupt machinery: the board installs check_input; ports arm and disarm the interrupt char
        self.check_input: Callable[[], str | None] = lambda: None
        self.interrupt_char_armed = True  # keyboard_interrupt_char >= 0
        self.vm_hook = True  # MICROPY_VM_HOOK_LOOP (JumperlOS): loops check too; 5.3.x checks at output and sleep
        self.soft_reset_requested = False  # a Ctrl-D was taken as a soft reset request while code ran
        self.forced_exit = False  # the last run ended with SystemExit (pyexec's PYEXEC_FORCED_EXIT)
        self._forced = False  # stop() / replug(): end the code whatever it does
        self._async_sent = False  # an interrupt was forced into the running thread (see end_run)
        self.recorder: Callable[[str], None] | None = None  # sees every source run (tests: real MicroPython)
        self.reset()

    def reset(self, *, soft: bool = False) -> None:
        """A fresh VM: `from jumperless import *` done, the firmware's globals and modules in place.

        `soft=True` is a soft reset (Ctrl-D): on JumperlOS the `jumperless`, `funcs` and `check_interrupt`
        globals do not come back (see `dialect`); at boot and replug they are there.
        """
        self.module = JumperlessModule(self.board, self)
        self.dialect = Dialect(self, self.module, soft=soft)
        self.jumperless = self.dialect.jumperless
        self.modules = self.dialect.modules
        self.globals: dict[str, object] = self.dialect.globals
        self.globals[ECHO_NAME] = self._echo

    # --- ExecutionContext for the module ---------------------------------------------------
    def write(self, text: str) -> None:
        self._out(text)

    def sleep(self, seconds: float) -> None:
        """mp_hal_delay_ms: an interrupt check on every tick (woken early when host bytes arrive)."""
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
        """The live-mode wait ends on any pending byte, so it only honours a forced stop itself."""
        if self._forced:
            self._forced = False
            raise KeyboardInterrupt
        self.interrupt.clear()
        self.interrupt.wait(seconds)

    def set_interrupt_char(self, char: int) -> None:
        """mp_hal_set_interrupt_char / micropython.kbd_intr: -1 turns every check off (JOS Python_Proper.cpp:567)."""
        self.interrupt_char_armed = int(char) >= 0

    def input_arrived(self) -> None:
        """I/O thread: host bytes arrived while code runs. Sleeps wake and check at once; where the
        firmware's VM hook would see them inside any loop, a timer checks code that has no line events."""
        self.interrupt.set()
        if self.vm_hook and self.running:
            self._escalate_later()

    def request_interrupt(self) -> None:
        """Stop the running code whatever it does (stop, replug): at its next check, or within 0.2 s."""
        self._forced = True
        self.interrupt.set()
        self._escalate_later()

    def _escalate_later(self) -> None:
        timer = threading.Timer(ESCALATE_AFTER, self._escalate, args=(self._run_serial,))
        timer.daemon = True
        timer.start()

    def _escalate(self, serial: int) -> None:
        with self._run_lock:
            if not (self.running and self._run_serial == serial):
                return
            if self._forced:
                self._forced = False
                pending: type[BaseException] | None = KeyboardInterrupt
            else:
                pending = self._pending_exception(self.check_input())
            if pending is not None:
                self._async_sent = True  # end_run lets it fire harmlessly if the code ends before it does
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id), ctypes.py_object(pending))

    def _pending_exception(self, request: str | None) -> type[BaseException] | None:
        if request == SOFT_RESET:
            self.soft_reset_requested = True
            return SystemExit
        return KeyboardInterrupt if request == INTERRUPT else None

    def _check_interrupt(self) -> None:
        """mp_hal_check_interrupt: a forced stop, or whatever the board's check finds in the host's input."""
        self.interrupt.clear()
        if self._forced:
            self._forced = False
            raise KeyboardInterrupt
        pending = self._pending_exception(self.check_input())
        if pending is not None:
            raise pending

    def _checked_output(self, out: Callable[[str], None]) -> Callable[[str], None]:
        """Output checks for interrupts too (JOS every 50 characters, 5.3.x every 10). JumperlOS only schedules
        the exception, so the text still goes out; 5.3.x raises from inside the check, before it."""

        def write(text: str) -> None:
            pending = self._pending_exception(self.check_input()) if text and self.running else None
            if pending is not None and not self.vm_hook:
                raise pending
            out(text)
            if pending is not None:
                raise pending

        return write

    # --- running code ------------------------------------------------------------------------
    def run(
        self,
        source: str,
        out: Callable[[str], None],
        *,
        echo: bool = False,
        owner: object = None,
    ) -> str | None:
        """Run source to completion; stdout goes to `out`. Returns a traceback, or None on success.

        `owner` is the port that sent the code: interrupt echoes (`^Q`, `^C`) go to its stream. Interrupt
        checks run at every line (with a VM hook), every output and every sleep tick.
        """
        if self.recorder is not None:
            self.recorder(source)
        filename = "<stdin>"
        set_running_family(self.board.family)  # floats print as this board's firmware prints them
        self._out = self._checked_output(out)
        self.owner = owner
        self.soft_reset_requested = self.forced_exit = False
        try:
            tree = python_ast.parse(source, filename)
            if echo:
                tree = _EchoExpressions().visit(tree)
            code = python_ast.compile_tree(tree, filename)
        except SyntaxError as exc:
            return format_traceback(exc)
        with self._run_lock:
            self.interrupt.clear()
            self._forced = False
            self._run_serial += 1
            self._thread_id = threading.get_ident()
            self.running = True
        previous_trace = sys.gettrace()
        sys.settrace(self._trace)
        try:
            exec(code, self.globals)
        except SystemExit:
            self.forced_exit = True
            return None
        except BaseException as exc:
            return format_traceback(exc)
        finally:
            sys.settrace(previous_trace)
            self.end_run()
        return None

    def end_run(self) -> None:
        """The run is over, also when an interrupt forced as it ended broke out of it (the board thread calls
        this then): nothing may stay pending for this thread. A KeyboardInterrupt set just before the code
        finished would otherwise fire in whatever the thread does next, e.g. in the next run's ast.parse, which
        CPython turns into `SystemError: AST constructor recursion depth mismatch` and the board thread dies."""
        with self._run_lock:
            self.running = False
            self.interrupt.clear()
            forced, self._async_sent = self._async_sent, False
        if forced:
            _absorb_pending_interrupt()

    def _trace(self, frame: types.FrameType, event: str, arg: object) -> Callable | None:  # type: ignore[type-arg]
        if frame.f_code.co_filename not in USER_FILENAMES:
            return None
        return self._trace_line

    def _trace_line(self, frame: types.FrameType, event: str, arg: object) -> Callable | None:  # type: ignore[type-arg]
        if event == "line" and self.vm_hook:  # not on 'return': nothing is checked after the last statement
            self._check_interrupt()
        return self._trace_line

    def _echo(self, value: object) -> None:
        if value is not None:
            self._out(mp_repr(value, self.board.family) + "\n")


def _absorb_pending_interrupt() -> None:
    """Let an asynchronous exception that has not fired yet fire here, where it does no harm.

    CPython delivers one at a backward jump; clearing it instead (PyThreadState_SetAsyncExc with NULL) would
    leave 3.11's eval loop signalled for good and crawl. If nothing is pending, the loop just ends."""
    try:
        for _ in range(3):
            pass
    except BaseException:  # an interrupt meant for code that has already ended
        pass
