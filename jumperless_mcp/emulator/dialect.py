"""What a fresh MicroPython VM on the board holds: its builtins, its built-in modules and its globals.

The firmware fills the globals itself at start-up (JOS src/Python_Proper.cpp addJumperlessPythonFunctions
:2525-2611 and addMicroPythonModules :2649-2674; V5 :1510-1600): `from jumperless import *`, the module as
`jumperless`, a `funcs` list of its names, a `check_interrupt()` helper that sleeps 1 ms (an interrupt
check), and `time`, `os`, `math`, `gc`, `sys` and `micropython` imported; JumperlOS adds `walk()`, a recursive
listing of the flash. A soft reset on JumperlOS (JOS src/JumperlessMicroPythonAPI.cpp jl_soft_reboot
:1336-1430) brings back the star import, the modules and `walk`, but not `jumperless`, `funcs` or
`check_interrupt`: addJumperlessPythonFunctions returns early once it has run.
"""

from __future__ import annotations

import builtins
import io
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from firmware_api.versions import Family
from jumperless_mcp.emulator.module import JumperlessModule
from jumperless_mcp.emulator.mp_errors import MICROPYTHON_EXCEPTIONS
from jumperless_mcp.emulator.mp_import import BoardImporter, firmware_path
from jumperless_mcp.emulator.mp_modules import (
    BuiltinModule,
    gc_module,
    io_module,
    micropython_module,
    os_module,
    select_module,
    stdlib_module,
    stdlib_names,
    sys_module,
    time_module,
)
from jumperless_mcp.emulator.mp_stdio import ByteSource, Console
from jumperless_mcp.emulator.reprs import mp_repr, mp_str
from jumperless_mcp.emulator.tracebacks import format_traceback

if TYPE_CHECKING:
    from jumperless_mcp.emulator.board import BoardModel

# py/modbuiltins.c mp_module_builtins_globals_table (1.28, FULL_FEATURES): the only builtins MicroPython has
MICROPYTHON_BUILTINS = (
    frozenset(
        [
            "__build_class__",
            "__import__",
            "bool",
            "bytes",
            "bytearray",
            "complex",
            "dict",
            "enumerate",
            "filter",
            "float",
            "frozenset",
            "int",
            "list",
            "map",
            "memoryview",
            "object",
            "property",
            "range",
            "reversed",
            "set",
            "slice",
            "str",
            "super",
            "tuple",
            "type",
            "zip",
            "classmethod",
            "staticmethod",
            "Ellipsis",
            "NotImplemented",
            "abs",
            "all",
            "any",
            "bin",
            "callable",
            "chr",
            "delattr",
            "dir",
            "divmod",
            "eval",
            "exec",
            "getattr",
            "setattr",
            "globals",
            "hasattr",
            "hash",
            "hex",
            "id",
            "isinstance",
            "issubclass",
            "iter",
            "len",
            "locals",
            "max",
            "min",
            "next",
            "oct",
            "ord",
            "pow",
            "print",
            "repr",
            "round",
            "sorted",
            "sum",
        ]
    )
    | MICROPYTHON_EXCEPTIONS
)
MODULE_ALIASES = {"utime": "time", "uos": "os", "ujson": "json", "ustruct": "struct", "ubinascii": "binascii",
                  "ucollections": "collections", "ure": "re", "uerrno": "errno", "uio": "io", "urandom": "random",
                  "uselect": "select", "uhashlib": "hashlib", "uheapq": "heapq", "uarray": "array"}  # fmt: skip
BOOT_IMPORTS = ("sys", "micropython", "time", "os", "math", "gc")  # imported into the globals at start-up


class VmHost(Protocol):
    """What the VM needs from the runtime that runs it."""

    board: BoardModel
    owner: object  # the port running code now; its `input` (a ByteSource) is stdin
    interrupt_char_armed: bool

    def write(self, text: str) -> None: ...
    def sleep(self, seconds: float) -> None: ...
    def set_interrupt_char(self, char: int) -> None: ...


class Dialect:
    """One VM's builtins, modules and globals, for the family of the board it runs on."""

    def __init__(self, host: VmHost, module: JumperlessModule, *, soft: bool = False) -> None:
        self.host = host
        self.family = family = host.board.family
        self.module = module
        files = module.files
        self.console = Console(family, self._stdin, host.write, lambda: host.interrupt_char_armed)
        self.loaded: dict[str, types.ModuleType] = {}  # sys.modules: the .py modules imported so far
        jumperless = module.module()
        names = {name: value for name, value in vars(jumperless).items() if not name.startswith("__")}
        if isinstance(names.get("jfs"), types.ModuleType):
            names["jfs"] = BuiltinModule("jfs", _public(names["jfs"]))
        self.jumperless = BuiltinModule("jumperless", names)
        stdfiles = self.console if family is Family.JUMPERLOS else None
        path = firmware_path(family, files)
        self.modules: dict[str, types.ModuleType] = {
            "jumperless": self.jumperless,
            "time": time_module(host.sleep, host.board.time.clock),
            "sys": sys_module(family, host.board.version, path, self.loaded, stdfiles, self._print_exception,
                              sys.exit),
            "os": os_module(family, host.board.version, files.os_module()),
            "gc": gc_module(),
            "micropython": micropython_module(host.set_interrupt_char),
            "select": select_module(stdfiles, host.sleep),
        }  # fmt: skip
        if isinstance(names.get("jfs"), types.ModuleType):
            self.modules["jfs"] = names["jfs"]  # type: ignore[assignment]
        if family is Family.JUMPERLOS:
            self.modules["io"] = io_module(files.open)
        for name in stdlib_names(family):
            self.modules[name] = stdlib_module(name, family)  # type: ignore[assignment]
        self.builtins = self._builtins()
        self.importer = BoardImporter(family, files, self.builtin_module, self.builtins, path, self.loaded)
        self.builtins["__import__"] = self.importer
        self.globals = self._globals(names, soft)

    def builtin_module(self, name: str) -> types.ModuleType | None:
        return self.modules.get(MODULE_ALIASES.get(name, name))

    def _stdin(self) -> ByteSource | None:
        return getattr(self.host.owner, "input", None)

    # --- globals ------------------------------------------------------------------------------------------------
    def _globals(self, names: dict[str, object], soft: bool) -> dict[str, object]:
        namespace: dict[str, object] = {**names, "__name__": "__main__", "__builtins__": self.builtins}
        namespace.update({name: self.modules[name] for name in BOOT_IMPORTS})
        if self.family is Family.JUMPERLOS:
            namespace["walk"] = _plain_function(self._walk, "walk")
        if not soft:
            namespace.update(jumperless=self.jumperless, funcs=sorted(names))
            namespace["check_interrupt"] = _plain_function(self._check_interrupt, "check_interrupt")
        return namespace

    def _check_interrupt(self) -> None:
        """check_interrupt(): `time.sleep_ms(1)`, whose sleep checks for an interrupt."""
        self.host.sleep(0.001)

    def _walk(self, path: str) -> None:
        """walk(p): one `f|path|size` line per file and `d|path|size` per folder, recursing into folders."""
        os_ = self.modules["os"]
        for name in os_.listdir(path or "/"):  # type: ignore[attr-defined]
            full = f"{path}/{name}"
            try:
                stat = os_.stat(full)  # type: ignore[attr-defined]
            except OSError:
                stat = (0,) * 7
            if not stat[0] & 0x4000:
                self._print(f"f|{full}|{stat[6]}")
            elif name not in (".", ".."):
                self._print(f"d|{full}|{stat[6]}")
                self._walk(full)

    # --- builtins -----------------------------------------------------------------------------------------------
    def _builtins(self) -> dict[str, object]:
        names = {name: value for name, value in vars(builtins).items() if name in MICROPYTHON_BUILTINS}
        names.update(print=self._print, repr=self._repr, input=self._input, help=self.module.help,
                     execfile=self._execfile, exec=board_exec, eval=board_eval)  # fmt: skip
        if self.family is Family.JUMPERLOS:
            names.update(open=self.module.files.open, compile=builtins.compile)  # MICROPY_PY_IO, BUILTINS_COMPILE
        return names

    def _print(self, *values: object, **options: object) -> None:
        """print(): sep and end must be str; `file` exists only with sys.stdout (JumperlOS) and needs a stream."""
        allowed = ("sep", "end", "file") if self.family is Family.JUMPERLOS else ("sep", "end")
        for key in options:
            if key not in allowed:
                raise TypeError(f"unexpected keyword argument '{key}'")
        sep, end = options.get("sep", " "), options.get("end", "\n")
        for text in (sep, end):
            if not isinstance(text, str):
                raise TypeError(f"can't convert '{type(text).__name__}' object to str implicitly")
        line = sep.join(mp_str(value, self.family) for value in values) + end  # type: ignore[union-attr]
        if "file" not in options:
            self.host.write(line)
            return
        stream = options["file"]
        if not isinstance(stream, io.IOBase):
            raise OSError("stream operation not supported")
        stream.write(line)

    def _repr(self, value: object, /) -> str:
        return mp_repr(value, self.family)

    def _input(self, *prompt: object) -> str:
        if len(prompt) > 1:
            raise TypeError(f"function expected at most 1 arguments, got {len(prompt)}")
        return self.console.input(mp_str(prompt[0], self.family) if prompt else "")

    def _execfile(self, filename: str, globals_: dict[str, object] | None = None, locals_: object = None) -> None:
        source = Path(self.module.files.host_path(filename)).read_text(encoding="utf-8")
        self.importer.filenames.add(filename)
        exec(compile(source, filename, "exec"), self.globals if globals_ is None else globals_, locals_)  # type: ignore[arg-type]

    def _print_exception(self, exc: BaseException, stream: object = None, /) -> None:
        text = format_traceback(exc)
        if stream is None:
            self.host.write(text)
        else:
            stream.write(text)  # type: ignore[attr-defined]


def _public(module: types.ModuleType) -> dict[str, object]:
    return {name: value for name, value in vars(module).items() if not name.startswith("__")}


def _plain_function(method: Callable[..., object], name: str) -> Callable[..., object]:
    """A global the firmware defines in Python: a function named as there (`<function walk>`), not a method."""

    def function(*args: object) -> object:
        return method(*args)

    function.__name__ = function.__qualname__ = name
    return function


def board_exec(source: object, globals_: dict[str, object] | None = None, locals_: object = None, /) -> None:
    """exec() for board code: a string is compiled first.

    CPython's exec() of a *string* runs it through PyRun_String, which records a KeyboardInterrupt escaping it in
    a process-wide flag: the interpreter then exits with status 130 long after the board code was interrupted
    (a Ctrl-C sent to `exec('while True: pass')` on the virtual board failed a whole test run that way). A code
    object goes straight to the evaluator. Without globals it runs in the caller's namespace, as exec() does.
    """
    if globals_ is None:
        caller = sys._getframe(1)
        globals_, locals_ = caller.f_globals, caller.f_locals if locals_ is None else locals_
    code = compile(source, "<string>", "exec") if isinstance(source, (str, bytes)) else source
    exec(code, globals_, locals_)  # type: ignore[arg-type]


def board_eval(source: object, globals_: dict[str, object] | None = None, locals_: object = None, /) -> object:
    """eval() for board code: a string is compiled first, for the reason board_exec gives."""
    if globals_ is None:
        caller = sys._getframe(1)
        globals_, locals_ = caller.f_globals, caller.f_locals if locals_ is None else locals_
    code = compile(source, "<string>", "eval") if isinstance(source, (str, bytes)) else source
    return eval(code, globals_, locals_)  # type: ignore[arg-type]
