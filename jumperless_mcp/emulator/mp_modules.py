"""The built-in modules the board's MicroPython has, per firmware family, as read-only stand-ins.

Which modules exist comes from each tree's `lib/micropython/port/mpconfigport.h`: 5.3.x (MicroPython 1.25)
turns off json, re, random, binascii, hashlib, heapq and io (V5 :64-76, :155-156), has no VFS (so `os` is only
`uname`, and there is no `open`) and no sys.stdin/stdout/stderr (MICROPY_PY_SYS_STDFILES 0, :168); JumperlOS
(1.28) has them all (JOS :309-333, :433). Neither has time.time/localtime/gmtime/mktime
(MICROPY_PY_TIME_TIME_TIME_NS and MICROPY_PY_TIME_GMTIME_LOCALTIME_MKTIME are 0 in both). Each module offers
the names MicroPython's own module table has (py/mod*.c, extmod/mod*.c of 1.28), backed by CPython's.

Built-in modules live in ROM: assigning or deleting an attribute fails as `py/objmodule.c module_attr` makes
it fail, except the `sys` attributes MICROPY_PY_SYS_ATTR_DELEGATION keeps mutable (path, ps1, ps2).
"""

from __future__ import annotations

import binascii
import collections
import errno
import hashlib
import heapq
import io
import json
import math
import random
import re
import struct
import time
import types
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar, Protocol

from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.emulator.mp_stdio import Console

TICKS_PERIOD = 1 << 30  # MICROPY_PY_TIME_TICKS_PERIOD: MP_SMALL_INT_POSITIVE_MASK + 1
POLLIN, POLLOUT, POLLERR, POLLHUP = 1, 4, 8, 16  # MP_STREAM_POLL_* (py/stream.h)
PLATFORM = "jumperless-rp2350"  # MICROPY_PY_SYS_PLATFORM, both trees
BOARD = "jumperless-v5 with rp2350b"  # MICROPY_HW_BOARD_NAME " with " MICROPY_HW_MCU_NAME


@dataclass(frozen=True)
class MicroPythonBuild:
    """The MicroPython a firmware family embeds (the build date of 5.3.x is not known: its release date stands in)."""

    version: tuple[int, int, int]
    git_tag: str
    build_date: str
    maxsize: int  # sys.maxsize: MP_SMALL_INT_MAX without long ints (5.3.x), else INT32_MAX


BUILDS = {
    Family.LEGACY: MicroPythonBuild((1, 25, 0), "v1.25.0", "2025-04-16", (1 << 30) - 1),
    Family.JUMPERLOS: MicroPythonBuild((1, 28, 0), "v1.28.0-dirty", "2026-06-01", (1 << 31) - 1),
}


def machine(family: Family, firmware: FirmwareVersion) -> str:
    """MICROPY_BANNER_MACHINE: JumperlOS puts its version in it (JOS mpconfigport.h:485-486)."""
    if family is Family.JUMPERLOS:
        return f"jumperless-v5 v{firmware} with rp2350b"
    return BOARD


class BuiltinModule(types.ModuleType):
    """A module in ROM: attributes cannot be set or deleted, missing ones say so as MicroPython does."""

    settable: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, attributes: Mapping[str, object]) -> None:
        super().__init__(name)
        for dunder in ("__doc__", "__package__", "__loader__", "__spec__"):  # MicroPython's have __name__ only
            self.__dict__.pop(dunder, None)
        self.__dict__.update(attributes)

    def __setattr__(self, name: str, value: object) -> None:
        if name not in self.settable:
            raise AttributeError(f"'module' object has no attribute '{name}'")
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"'module' object has no attribute '{name}'")

    def __getattr__(self, name: str) -> object:
        raise AttributeError(f"'module' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return f"<module '{self.__name__}'>"


class SysModule(BuiltinModule):
    settable = frozenset({"path", "ps1", "ps2"})  # modsys.c sys_mutable_keys


class AttrTuple(tuple):  # type: ignore[type-arg]
    """MicroPython's attrtuple (sys.implementation, os.uname()): a tuple with named fields, printed `(a=1, b=2)`."""

    _fields: tuple[str, ...] = ()

    def __new__(cls, **fields: object) -> AttrTuple:
        made = super().__new__(cls, fields.values())
        made._fields = tuple(fields)
        return made

    def __getattr__(self, name: str) -> object:
        if name in self._fields:
            return self[self._fields.index(name)]
        raise AttributeError(f"'tuple' object has no attribute '{name}'")

    def __repr__(self) -> str:
        return "(" + ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True)) + ")"


def mp_get_int(value: object) -> int:
    """mp_obj_get_int(): ints, bools and objects with an int conversion; floats and strings are refused."""
    if isinstance(value, int):
        return int(value)
    index = getattr(type(value), "__index__", None)
    if index is None:
        raise TypeError(f"can't convert {type(value).__name__} to int")
    return index(value)


# --- the modules ---------------------------------------------------------------------------------------------------
class Clock(Protocol):
    def now(self) -> float: ...  # board seconds since boot
    def real_seconds(self, board_seconds: float) -> float: ...  # how long they last on the host


def time_module(sleep: Callable[[float], None], clock: Clock | None = None) -> BuiltinModule:
    """ticks_* count the board's clock (`BoardModel.now()`, so samples and the time model agree); sleeps last
    board seconds, shortened like the board's other timers under a time_scale."""
    start = time.monotonic()
    now = clock.now if clock is not None else lambda: time.monotonic() - start
    real = clock.real_seconds if clock is not None else lambda seconds: seconds

    def ticks(scale: float) -> Callable[[], int]:
        return lambda: int(now() * scale) % TICKS_PERIOD

    def sleep_seconds(seconds: object) -> None:
        if not isinstance(seconds, (int, float)):
            mp_get_int(seconds)  # the same refusal as the firmware's mp_obj_get_float for a str
        sleep(real(float(seconds)))  # type: ignore[arg-type]

    return BuiltinModule(
        "time",
        {
            "sleep": sleep_seconds,
            "sleep_ms": lambda ms: sleep(real(mp_get_int(ms) / 1000)),
            "sleep_us": lambda us: sleep(real(mp_get_int(us) / 1e6)),
            "ticks_ms": ticks(1e3),
            "ticks_us": ticks(1e6),
            "ticks_cpu": ticks(1e6),
            "ticks_add": lambda a, b: (mp_get_int(a) + mp_get_int(b)) % TICKS_PERIOD,
            "ticks_diff": lambda a, b: (
                ((mp_get_int(a) - mp_get_int(b) + TICKS_PERIOD // 2) % TICKS_PERIOD) - TICKS_PERIOD // 2
            ),
        },
    )


def gc_module() -> BuiltinModule:
    return BuiltinModule(
        "gc",
        {
            "collect": lambda: None,
            "mem_free": lambda: 7_800_000,
            "mem_alloc": lambda: 200_000,
            "enable": lambda: None,
            "disable": lambda: None,
            "isenabled": lambda: True,
        },
    )


def micropython_module(kbd_intr: Callable[[int], None]) -> BuiltinModule:
    """micropython: kbd_intr sets the interrupt char the VM's checks honour; the decorators do nothing here."""

    def schedule(function: Callable[[object], object], argument: object) -> None:
        function(argument)  # no other work runs between bytecodes here, so "soon" is now

    return BuiltinModule(
        "micropython",
        {
            "const": lambda value: value,
            "opt_level": lambda *level: 0,
            "mem_info": lambda *verbose: None,
            "qstr_info": lambda *verbose: None,
            "stack_use": lambda: 2048,
            "alloc_emergency_exception_buf": lambda size: None,
            "heap_lock": lambda: 0,
            "heap_unlock": lambda: 0,
            "kbd_intr": lambda char: kbd_intr(mp_get_int(char)),
            "schedule": schedule,
            "native": lambda function: function,
            "viper": lambda function: function,
        },
    )


def sys_module(
    family: Family,
    firmware: FirmwareVersion,
    path: list[str],
    loaded: dict[str, types.ModuleType],
    console: Console | None,
    print_exception: Callable[..., None],
    exit_: Callable[..., None],
) -> SysModule:
    build = BUILDS[family]
    attributes: dict[str, object] = {
        "argv": [],
        "byteorder": "little",
        "exit": exit_,
        "implementation": AttrTuple(
            name="micropython", version=(*build.version, ""), _machine=machine(family, firmware)
        ),
        "maxsize": build.maxsize,
        "modules": loaded,
        "path": path,
        "platform": PLATFORM,
        "print_exception": print_exception,
        "ps1": ">>> ",
        "ps2": "... ",
        "version": f"3.4.0; MicroPython {build.git_tag} on {build.build_date}",
        "version_info": (3, 4, 0),
    }
    if console is not None:  # MICROPY_PY_SYS_STDFILES
        attributes.update(stdin=console.stdin, stdout=console.stdout, stderr=console.stderr)
    if family is Family.JUMPERLOS:
        attributes["getsizeof"] = lambda value: 16  # MICROPY_PY_SYS_GETSIZEOF (JOS mpconfigport.h:437)
    return SysModule("sys", attributes)


def os_module(family: Family, firmware: FirmwareVersion, vfs: types.ModuleType) -> BuiltinModule:
    """os: the VFS functions on JumperlOS; only uname on 5.3.x (MICROPY_VFS 0: extmod/modos.c has nothing else)."""
    build = BUILDS[family]

    def uname() -> AttrTuple:
        return AttrTuple(
            sysname=PLATFORM,
            nodename=PLATFORM,
            release=".".join(str(part) for part in build.version),
            version=f"{build.git_tag} on {build.build_date}",
            machine=BOARD,
        )

    attributes: dict[str, object] = {"uname": uname}
    if family is Family.JUMPERLOS:
        names = "chdir getcwd ilistdir listdir mkdir remove rename rmdir stat statvfs unlink sep"
        attributes.update({name: getattr(vfs, name) for name in names.split() if hasattr(vfs, name)})
    return BuiltinModule("os", attributes)


def io_module(open_: Callable[..., object]) -> BuiltinModule:
    return BuiltinModule("io", {"open": open_, "IOBase": io.IOBase, "StringIO": io.StringIO, "BytesIO": io.BytesIO})


def select_module(console: Console | None, sleep: Callable[[float], None]) -> BuiltinModule:
    """select: poll() and select() over sys.stdin (readable when the port has bytes) and other streams."""

    def ready(stream: object, mask: int) -> int:
        if console is not None and stream in (console.stdin, console.stdin.buffer):
            return POLLIN & mask if console.pending() else 0
        if isinstance(stream, io.IOBase):
            return (POLLIN | POLLOUT) & mask
        raise TypeError("object with stream.ioctl required")

    class Poll:
        def __init__(self) -> None:
            self._registered: dict[int, tuple[object, int]] = {}

        def register(self, stream: object, mask: int = POLLIN | POLLOUT) -> None:
            self._registered[id(stream)] = (stream, mp_get_int(mask))

        def modify(self, stream: object, mask: int) -> None:
            if id(stream) not in self._registered:
                raise OSError(errno.ENOENT, "ENOENT")
            self.register(stream, mask)

        def unregister(self, stream: object) -> None:
            self._registered.pop(id(stream), None)

        def poll(self, timeout: int | None = -1) -> list[tuple[object, int]]:
            return list(self.ipoll(timeout))

        def ipoll(self, timeout: int | None = -1, flags: int = 0) -> Iterator[tuple[object, int]]:
            deadline = None if timeout is None or mp_get_int(timeout) < 0 else time.monotonic() + timeout / 1000
            while True:
                events = [(s, e) for s, m in self._registered.values() if (e := ready(s, m))]
                if events or (deadline is not None and time.monotonic() >= deadline):
                    return iter(events)
                sleep(0.005)

    def select(read: Iterable[object], write: Iterable[object], error: Iterable[object], timeout: float | None = None):  # type: ignore[no-untyped-def]
        poller = Poll()
        for stream in read:
            poller.register(stream, POLLIN)
        for stream in write:
            poller.register(stream, POLLOUT)
        found = poller.poll(-1 if timeout is None else int(timeout * 1000))
        return ([s for s, e in found if e & POLLIN], [s for s, e in found if e & POLLOUT], [])

    return BuiltinModule(
        "select",
        {"poll": Poll, "select": select, "POLLIN": POLLIN, "POLLOUT": POLLOUT, "POLLERR": POLLERR, "POLLHUP": POLLHUP},
    )


# --- modules backed by CPython's, cut to MicroPython's names -------------------------------------------------------
_ERRNO_NAMES = (
    "EPERM ENOENT EIO EBADF EAGAIN ENOMEM EACCES EEXIST ENODEV EISDIR EINVAL EOPNOTSUPP EADDRINUSE ECONNABORTED "
    "ECONNRESET ENOBUFS ENOTCONN ETIMEDOUT ECONNREFUSED EHOSTUNREACH EALREADY EINPROGRESS"
)
_STDLIB: dict[str, tuple[Family, object, str]] = {
    "math": (
        Family.BOTH,
        math,
        "e pi tau inf nan sqrt pow exp expm1 log log2 log10 cosh sinh tanh acosh asinh atanh cos sin tan acos asin "
        "atan atan2 ceil copysign fabs floor fmod frexp ldexp modf isfinite isinf isnan isclose trunc radians "
        "degrees erf erfc gamma lgamma",
    ),
    "struct": (Family.BOTH, struct, "calcsize pack pack_into unpack unpack_from"),
    "collections": (Family.BOTH, collections, "deque namedtuple OrderedDict"),
    "array": (Family.BOTH, types.SimpleNamespace(array=array), "array"),
    "errno": (Family.BOTH, errno, _ERRNO_NAMES),
    "json": (Family.JUMPERLOS, json, "dump dumps load loads"),
    "re": (Family.JUMPERLOS, re, "compile match search sub"),
    "random": (Family.JUMPERLOS, random, "getrandbits seed randrange randint choice random uniform"),
    "binascii": (Family.JUMPERLOS, binascii, "hexlify unhexlify a2b_base64 b2a_base64 crc32"),
    "hashlib": (Family.JUMPERLOS, hashlib, "sha256"),  # sha1 and md5 need MICROPY_PY_SSL
    "heapq": (Family.JUMPERLOS, heapq, "heappush heappop heapify"),
}


def stdlib_module(name: str, family: Family) -> BuiltinModule | None:
    entry = _STDLIB.get(name)
    if entry is None or not entry[0] & family:
        return None
    _, source, names = entry
    attributes = {attribute: getattr(source, attribute) for attribute in names.split()}
    if name == "errno":
        attributes["errorcode"] = {getattr(errno, code): code for code in _ERRNO_NAMES.split()}
    return BuiltinModule(name, attributes)


def stdlib_names(family: Family) -> tuple[str, ...]:
    return tuple(name for name, (families, _, _) in _STDLIB.items() if families & family)
