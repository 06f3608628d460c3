"""Exception names and messages as the board's MicroPython words them in a traceback.

Board code runs in CPython, so its exceptions carry CPython's texts. The common ones are rewritten to
MicroPython's (`py/runtime.c`, `py/objstr.c`, `py/objlist.c`, `py/bc.c` of 1.28, MICROPY_ERROR_REPORTING_DETAILED
in both trees); others pass unchanged. Only tracebacks are rewritten: `str(e)` inside board code still gives
CPython's text. Exception classes MicroPython lacks print as the built-in one they derive from
(FileNotFoundError -> OSError, RecursionError -> RuntimeError).
"""

from __future__ import annotations

import errno
import re
from collections.abc import Callable

from firmware_api.versions import Family
from jumperless_mcp.emulator.reprs import mp_str

MICROPYTHON_EXCEPTIONS = frozenset(
    [
        "BaseException",
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "EOFError",
        "Exception",
        "GeneratorExit",
        "ImportError",
        "IndentationError",
        "IndexError",
        "KeyboardInterrupt",
        "KeyError",
        "LookupError",
        "MemoryError",
        "NameError",
        "NotImplementedError",
        "OSError",
        "OverflowError",
        "RuntimeError",
        "StopAsyncIteration",
        "StopIteration",
        "SyntaxError",
        "SystemExit",
        "TypeError",
        "UnicodeError",
        "ValueError",
        "ZeroDivisionError",
    ]
)  # py/modbuiltins.c mp_module_builtins_globals_table
_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "**": "pow",
              "<<": "lshift", ">>": "rshift", "&": "and", "|": "or", "^": "xor", "@": "matmul", "<": "lt",
              "<=": "le", ">": "gt", ">=": "ge"}  # fmt: skip
_UNARY = {"-": "neg", "+": "pos", "~": "invert"}

_REWRITES: tuple[tuple[type[BaseException], re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (kind, re.compile(pattern), render)
    for kind, pattern, render in (
        (NameError, r"name '(.+)' is not defined", lambda m: f"name '{m[1]}' isn't defined"),
        (TypeError, r'can only concatenate (\w+) \(not "(.+)"\) to \w+', lambda m: _binary("+", m[1], m[2])),
        (TypeError, r"unsupported operand type\(s\) for (\S+?)=?: '(.+)' and '(.+)'", lambda m: _binary(*m.groups())),
        (TypeError, r"'(\S+)' not supported between instances of '(.+)' and '(.+)'", lambda m: _binary(*m.groups())),
        (TypeError, r"bad operand type for unary (.): '(.+)'", lambda m: _unary(_UNARY[m[1]], m[2])),
        (TypeError, r"bad operand type for abs\(\): '(.+)'", lambda m: _unary("abs", m[1])),
        (TypeError, r"unhashable type: '(.+)'", lambda m: _unary("hash", m[1])),
        (
            TypeError,
            r"'(.+)' object is not (subscriptable|callable|iterable)",
            lambda m: f"'{m[1]}' object isn't {m[2]}",
        ),
        (
            TypeError,
            r"\S+\(\) got an unexpected keyword argument '(.+)'",
            lambda m: f"unexpected keyword argument '{m[1]}'",
        ),
        (
            TypeError,
            r"(\S+)\(\) takes (\d+) positional arguments? but (\d+) (?:was|were) given",
            lambda m: f"{m[1]}() takes {m[2]} positional arguments but {m[3]} were given",
        ),
        (
            TypeError,
            r"\S+\(\) missing (\d+) required positional arguments?.*",
            lambda m: f"function missing {m[1]} required positional arguments",
        ),
        (TypeError, r"'(\w+)' object cannot be interpreted as an integer", lambda m: f"can't convert {m[1]} to int"),
        (
            ValueError,
            r"invalid literal for int\(\) with base (\d+): (.*)",
            lambda m: f"invalid syntax for integer with base {m[1]}: {m[2]}",
        ),
        (ValueError, r"could not convert string to float: .*", lambda m: "invalid syntax for number"),
        (
            ValueError,
            r"(?:max|min)\(\) (?:arg|iterable argument) is an empty sequence",
            lambda m: "arg is an empty sequence",
        ),
        (ValueError, r"list\.remove\(x\): x not in list|.* is not in list", lambda m: "object not in sequence"),
        (
            ValueError,
            r"not enough values to unpack \(expected \d+, got (\d+)\)",
            lambda m: f"need more than {m[1]} values to unpack",
        ),
        (IndexError, r"list assignment index out of range", lambda m: "list index out of range"),
        (
            AttributeError,
            r"module '.+' has no attribute '(.+)'",
            lambda m: f"'module' object has no attribute '{m[1]}'",
        ),
        (ImportError, r"No module named '(.+)'", lambda m: f"no module named '{m[1]}'"),
    )
)


def _binary(operator: str, left: str, right: str) -> str:
    return f"unsupported types for __{_OPERATORS.get(operator, operator)}__: '{left}', '{right}'"


def _unary(name: str, operand: str) -> str:
    return f"unsupported type for __{name}__: '{operand}'"


def type_name(exc: BaseException) -> str:
    """The class name MicroPython would show: user classes keep theirs, CPython-only built-ins fall back."""
    for kind in type(exc).__mro__:
        if kind.__module__ != "builtins" or kind.__name__ in MICROPYTHON_EXCEPTIONS:
            return kind.__name__
    return "Exception"


def message(exc: BaseException, family: Family) -> str:
    """What follows `TypeName: ` in MicroPython's traceback (py/objexcept.c mp_obj_exception_print)."""
    if type(exc) is ZeroDivisionError:  # CPython's texts; the firmware's own ("modulo by zero") pass unchanged
        return "divide by zero"
    if isinstance(exc, RecursionError):
        return "maximum recursion depth exceeded"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"[Errno {exc.errno}] {errno.errorcode.get(exc.errno, exc.strerror)}"
    if not exc.args:
        return ""
    if len(exc.args) > 1:
        return mp_str(exc.args, family)
    text = mp_str(exc.args[0], family)
    if type(exc).__module__ == "builtins":
        for kind, pattern, render in _REWRITES:
            if isinstance(exc, kind) and (match := pattern.fullmatch(text)):
                return render(match)
    return text
