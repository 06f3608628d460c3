"""`import` of `.py` files from the board's flash, searched along `sys.path` as MicroPython's import does.

py/builtinimport.c: for each `sys.path` entry, `entry/name` is a package if it is a directory, else
`entry/name.py` is tried; an empty entry means the current directory. The firmware's `sys.path` is
`['', '/python_scripts', '/python_scripts/lib', '/python_scripts/modules', '/python_scripts/examples']`
(JOS src/Python_Proper.cpp setupFilesystemAndPaths :5083-5095; on 5.3.x only the folders that existed at
start-up, V5 :3678-3712). 5.3.x has no VFS: its import stat (V5 mjc :3212 mp_import_stat) calls any existing
path a file, so only `name.py` modules import there, no packages. Built-in modules come first.
"""

from __future__ import annotations

import contextlib
import posixpath
import types
from collections.abc import Callable

from firmware_api.versions import Family
from jumperless_mcp.emulator.filesystem import BoardFiles

FIRMWARE_PATH = ("", "/python_scripts", "/python_scripts/lib", "/python_scripts/modules", "/python_scripts/examples")


def firmware_path(family: Family, files: BoardFiles) -> list[str]:
    if family is Family.JUMPERLOS:
        return list(FIRMWARE_PATH)
    return [entry for entry in FIRMWARE_PATH if not entry or files.exists(entry)]


class BoardImporter:
    """`__import__` for board code: built-in modules, then `.py` files (cached in `sys.modules`)."""

    def __init__(
        self,
        family: Family,
        files: BoardFiles,
        builtin: Callable[[str], types.ModuleType | None],
        builtins: dict[str, object],
        path: list[str],
        loaded: dict[str, types.ModuleType],
    ) -> None:
        self.family = family
        self.files = files
        self._builtin = builtin
        self._builtins = builtins
        self.path = path
        self.loaded = loaded
        self.filenames: set[str] = set()  # board files whose code ran: their frames belong in tracebacks

    def __call__(
        self,
        name: str,
        globals: dict[str, object] | None = None,
        locals: object = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level:
            name = _absolute(name, globals or {}, level)
        parts = name.split(".")
        top = module = self._load(parts[0])
        for index in range(1, len(parts)):
            module = self._load(".".join(parts[: index + 1]))
        if not fromlist:
            return top
        for item in fromlist:
            if item != "*" and not hasattr(module, item) and hasattr(module, "__path__"):
                with contextlib.suppress(ImportError):  # `from m import x` then reports the missing name itself
                    self._load(f"{module.__name__}.{item}")
        return module

    def _load(self, name: str) -> types.ModuleType:
        if name in self.loaded:
            return self.loaded[name]
        parent_name, _, leaf = name.rpartition(".")
        parent = self._load(parent_name) if parent_name else None
        if parent is None:
            builtin = self._builtin(name)
            if builtin is not None:
                return builtin
        folders = list(getattr(parent, "__path__", ())) if parent is not None else list(self.path)
        for folder in folders:
            stem = posixpath.join(folder, leaf) if folder else leaf
            if self.family is Family.JUMPERLOS and self._is_dir(stem):
                init = posixpath.join(stem, "__init__.py")
                return self._run(name, init if self.files.exists(init) else None, stem, parent)
            if self.files.exists(stem + ".py") and not self._is_dir(stem + ".py"):
                return self._run(name, stem + ".py", None, parent)
        raise ImportError(f"no module named '{name}'")

    def _is_dir(self, path: str) -> bool:
        try:
            return self.files.host_path(path).is_dir()
        except OSError:
            return False

    def _run(self, name: str, filename: str | None, package: str | None, parent: types.ModuleType | None):  # type: ignore[no-untyped-def]
        module = types.ModuleType(name)
        module.__dict__["__builtins__"] = self._builtins
        if package is not None:
            module.__path__ = [package]  # type: ignore[attr-defined]
        if filename is not None and self.family is Family.JUMPERLOS:
            module.__file__ = filename  # MICROPY_PY___FILE__ (JOS mpconfigport.h:424; off on 5.3.x)
        self.loaded[name] = module
        try:
            if filename is not None:
                source = self.files.host_path(filename).read_text(encoding="utf-8")
                self.filenames.add(filename)
                exec(compile(source, filename, "exec"), module.__dict__)
        except BaseException:
            self.loaded.pop(name, None)
            raise
        if parent is not None:
            setattr(parent, name.rpartition(".")[2], module)
        return module


def _absolute(name: str, globals: dict[str, object], level: int) -> str:
    """`from .x import y` inside a package module: the name relative to the importer's package."""
    package = str(globals.get("__name__", ""))
    if "__path__" not in globals:
        package = package.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    if not package or package == "__main__":
        raise ImportError("can't perform relative import")
    return f"{package}.{name}" if name else package
