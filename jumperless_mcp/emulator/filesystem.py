"""The board's FAT filesystem, as a directory on the host that code cannot escape.

Backs the `fs_*` functions, the `jfs` submodule, and the `os`/`open` that
MicroPython's VFS gives scripts (enough for `mpremote fs ls/cat/cp`).
"""

from __future__ import annotations

import io
import os
import posixpath
import types
from pathlib import Path


class BoardFiles:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.cwd = "/"

    def host_path(self, path: str) -> Path:
        """Map a board path to the host, refusing anything outside the board's root."""
        if not isinstance(path, str):
            raise TypeError("can't convert to str implicitly")
        board_path = posixpath.normpath(posixpath.join(self.cwd, path))
        resolved = (self.root / board_path.lstrip("/")).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            raise OSError(2, "ENOENT")
        return resolved

    def exists(self, path: str) -> bool:
        try:
            return self.host_path(path).exists()
        except OSError:
            return False

    def listdir_marked(self, path: str) -> list[str]:
        """fs_listdir(): bare names, directories with a trailing '/', dotfiles hidden, [] if missing."""
        try:
            folder = self.host_path(path)
            entries = sorted(folder.iterdir())
        except OSError:
            return []
        return [e.name + ("/" if e.is_dir() else "") for e in entries if not e.name.startswith(".")]

    def read_text(self, path: str, limit: int | None = None) -> str | None:
        try:
            data = self.host_path(path).read_bytes()
        except OSError:
            return None
        if limit is not None:
            data = data[:limit]
        return data.split(b"\0", 1)[0].decode("utf-8", errors="replace")

    def write_text(self, path: str, text: str) -> bool:
        try:
            target = self.host_path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError:
            return False
        return True

    # --- MicroPython VFS surface -------------------------------------------------------------
    def open(self, path: str, mode: str = "r", *args: object, **kwargs: object) -> io.IOBase:
        if not path:
            raise OSError(22, "EINVAL")
        try:
            return open(self.host_path(path), mode)
        except FileNotFoundError:
            raise OSError(2, "ENOENT") from None

    def os_module(self) -> types.ModuleType:
        files = self
        module = types.ModuleType("os")

        def ilistdir(path: str = ".") -> object:
            for entry in sorted(files.host_path(path).iterdir()):
                kind = 0x4000 if entry.is_dir() else 0x8000
                yield (entry.name, kind, 0, entry.stat().st_size if kind == 0x8000 else 0)

        def stat(path: str) -> tuple[int, ...]:
            try:
                st = files.host_path(path).stat()
            except FileNotFoundError:
                raise OSError(2, "ENOENT") from None
            kind = 0x4000 if Path(files.host_path(path)).is_dir() else 0x8000
            return (kind, 0, 0, 0, 0, 0, st.st_size, int(st.st_mtime), int(st.st_mtime), int(st.st_mtime))

        def chdir(path: str) -> None:
            if not files.host_path(path).is_dir():
                raise OSError(2, "ENOENT")
            files.cwd = posixpath.normpath(posixpath.join(files.cwd, path))

        def _wrap(action):  # type: ignore[no-untyped-def]
            def run(*paths: str) -> None:
                try:
                    action(*(files.host_path(p) for p in paths))
                except FileNotFoundError:
                    raise OSError(2, "ENOENT") from None
                except FileExistsError:
                    raise OSError(17, "EEXIST") from None

            return run

        module.__dict__.update(
            listdir=lambda path=".": [e[0] for e in ilistdir(path)],
            ilistdir=ilistdir,
            stat=stat,
            chdir=chdir,
            getcwd=lambda: files.cwd,
            mkdir=_wrap(os.mkdir),
            rmdir=_wrap(os.rmdir),
            remove=_wrap(os.remove),
            unlink=_wrap(os.remove),
            rename=_wrap(os.rename),
            statvfs=lambda path="/": (4096, 4096, 4096, 3072, 3072, 0, 0, 0, 0, 255),
            uname=lambda: ("rp2", "rp2", "1.28.0", "v1.28.0-dirty on 2026-06-01", "jumperless-v5 with rp2350b"),
            sep="/",
        )
        return module

    def jfs_module(self) -> types.ModuleType:
        files = self
        module = types.ModuleType("jfs")

        def listdir(path: str = "/") -> list[str]:
            return [name.rstrip("/") for name in files.listdir_marked(path)]

        def info() -> tuple[int, int, int]:
            used = sum(p.stat().st_size for p in files.root.rglob("*") if p.is_file())
            total = 16 * 1024 * 1024
            return total, used, total - used

        os_module = self.os_module()
        module.__dict__.update(
            open=files.open,
            exists=files.exists,
            listdir=listdir,
            mkdir=os_module.mkdir,
            rmdir=os_module.rmdir,
            remove=os_module.remove,
            rename=os_module.rename,
            info=info,
            stat=lambda p: (0x8000, 0, 0, 1, 0, 0, files.host_path(p).stat().st_size, 0, 0, 0),
            read=lambda f, size=1024: f.read(size),
            write=lambda f, s: (f.write(s), None)[1],
            close=lambda f: f.close(),
            seek=lambda f, pos, whence=0: (f.seek(pos, whence), True)[1],
            tell=lambda f: f.tell(),
            SEEK_SET=0,
            SEEK_CUR=1,
            SEEK_END=2,
        )
        return module
