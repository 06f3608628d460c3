"""MicroPython-style tracebacks for exceptions out of board code.

Apart from `runtime` because both the runtime (a run's error) and the VM's `sys.print_exception` (`dialect`)
format them, and the dialect sits below the runtime.
"""

from __future__ import annotations

import traceback
import types

from firmware_api.versions import Family
from jumperless_mcp.emulator import mp_errors
from jumperless_mcp.emulator.floats import running_family
from jumperless_mcp.emulator.mp_import import BoardImporter

USER_FILENAMES = ("<stdin>", "<string>")


def format_traceback(exc: BaseException) -> str:
    """A MicroPython-style traceback: the board code's own frames (typed in or imported), `Type: message`."""
    lines = ["Traceback (most recent call last):"]
    if isinstance(exc, SyntaxError):
        lines.append(f'  File "{exc.filename or "<stdin>"}", line {exc.lineno or 1}')
        lines.append("SyntaxError: invalid syntax")
        return "\n".join(lines) + "\n"
    for frame, line_number in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        if code.co_filename in USER_FILENAMES or _is_board_code(frame):
            where = "<module>" if code.co_name == "<module>" else code.co_name
            lines.append(f'  File "{code.co_filename}", line {line_number}, in {where}')
    if len(lines) == 1:
        lines.append('  File "<stdin>", line 1, in <module>')
    family = running_family() or Family.JUMPERLOS
    lines.append(f"{mp_errors.type_name(exc)}: {mp_errors.message(exc, family)}")
    return "\n".join(lines) + "\n"


def _is_board_code(frame: types.FrameType) -> bool:
    """Code the VM runs has the VM's builtins, whose `__import__` is the board's importer."""
    vm_builtins = frame.f_globals.get("__builtins__")
    return isinstance(vm_builtins, dict) and isinstance(vm_builtins.get("__import__"), BoardImporter)
