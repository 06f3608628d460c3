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

LISTDIR_LIMIT = 1900  # jl_fs_listdir's "Prevent buffer overflow" check


class BoardFiles:
    def __init__(self, root: Path, hide_dotfiles: bool = True, missing_folder_raises: bool = False) -> None:
        self.root = root.resolve()
        self.cwd = "/"
        self.hide_dotfiles = hide_dotfiles  # JumperlOS's jl_fs_listdir skips '.' names, 5.3.x's does not
        self.missing_folder_raises = missing_folder_raises  # upstream JumperlOS: listing a missing folder

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

    def listdir_marked(self, path: str) -> list[str] | None:
        """jl_fs_listdir(): bare names, folders with a trailing '/'; None when the folder is missing.

        JumperlOS skips names starting with '.', 5.3.x lists them (JOS API :2314, V5 API :817). Past 1900
        characters the firmware's buffer ends the last name with '...' and stops. FatFS lists in directory
        order; the host's directory has none, so names come sorted.
        """
        try:
            folder = self.host_path(path)
            entries = sorted(folder.iterdir())
        except OSError:
            return None
        names: list[str] = []
        length = 0
        for entry in entries:
            if self.hide_dotfiles and entry.name.startswith("."):
                continue
            names.append(entry.name + ("/" if entry.is_dir() else ""))
            length += len(names[-1]) + (len(names) > 1)
            if length > LISTDIR_LIMIT:
                names[-1] += "..."
                break
        return names

    def listdir(self, path: str) -> list[str]:
        """fs_listdir(): a missing folder lists empty (5.3.x, the fork), or raises ENOENT (upstream mjc :4782)."""
        names = self.listdir_marked(path)
        if names is None:
            if self.missing_folder_raises:
                raise OSError(2, "ENOENT")
            return []
        return names

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
            """jl_vfs_ilistdir_method (JOS mjc :5570): jl_fs_listdir's names without the '/', stat'ed."""
            folder = files.host_path(path)
            for name in files.listdir(path):
                entry = folder / name.rstrip("/")
                kind = 0x4000 if entry.is_dir() else 0x8000
                size = entry.stat().st_size if kind == 0x8000 and entry.exists() else 0  # "name..." past 1900
                yield (entry.name, kind, 0, size)

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
        """The `jfs` submodule (upstream JumperlOS's jfs.listdir is fs_listdir: ENOENT for a missing folder)."""
        files = self
        module = types.ModuleType("jfs")

        def listdir(path: str = "/") -> list[str]:
            return files.listdir(path)  # jfs_listdir parses the same buffer: folders keep their '/'

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
