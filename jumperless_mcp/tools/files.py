"""The board's filesystem: list folders, read and write text files (fs_listdir, fs_read, fs_write)."""

from __future__ import annotations

from typing import Any

from firmware_api.calls import build_call
from firmware_api.errors import FirmwareOSError
from jumperless_mcp.bench.steps import statement
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_context import ToolContext
from jumperless_mcp.tooling.tool_runner import ToolFailure
from jumperless_mcp.tooling.tool_spec import BOOLEAN, INTEGER, STRING, Param, ToolSpec

SUBSYSTEM = "files"
READ_LIMIT = 4095  # fs_read returns at most this many bytes (protocol §4.9)
MAX_PATH = 255
MAX_TEXT = 65536
NO_NUL = "^[^\\x00]*$"
PATH_ALLOWED = f"a board path, 1-{MAX_PATH} characters, no NUL (e.g. /python_scripts/test.py)"


def _path(description: str, default: object = None) -> Param:
    schema: dict[str, Any] = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_PATH,
        "pattern": "^[^\\x00]+$",
        "description": description,
    }
    if default is not None:
        schema["default"] = default
    return Param("path", schema, default is None, PATH_ALLOWED)


def _check_path(path: str) -> str:
    if not path.strip():
        raise ArgumentError("path", "a path of only spaces names no file", PATH_ALLOWED)
    return path


async def _fs_list(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    path = _check_path(args["path"])
    missing = ToolFailure(f"{path!r} does not exist on the board", "not_found", False, {"path": path})
    try:
        async with ctx.board.batch() as batch:
            exists = batch.fs_exists(path)
            listing = batch.fs_listdir(path)
    except FirmwareOSError as exc:
        # Upstream JumperlOS raises OSError(ENOENT) for a missing folder (mjc 796c56c jl_fs_listdir_func);
        # 5.7.0.13 and 5.3.x return [] (or None) and leave it to fs_exists.
        if exists.done and not exists.value:
            raise missing from None
        if _is_enoent(exc):  # it exists, but not as a folder the firmware can open (a file)
            raise ToolFailure(f"{path!r} is not a folder on the board", "not_found", False, {"path": path}) from None
        raise
    if not exists.value:
        raise missing
    names = [str(entry) for entry in (listing.value or [])]
    entries = [{"name": name.rstrip("/"), "is_dir": name.endswith("/")} for name in names]
    return {"path": path, "entries": entries, "count": len(entries)}


def _is_enoent(error: FirmwareOSError) -> bool:
    """MicroPython prints OSError(MP_ENOENT) as `[Errno 2] ENOENT`."""
    return "ENOENT" in error.message or "[Errno 2]" in error.message


def _list_text(result: dict[str, Any]) -> str:
    lines = [f"{e['name']}/" if e["is_dir"] else e["name"] for e in result["entries"]]
    return f"{result['path']}: " + (", ".join(lines) if lines else "(empty)")


async def _fs_read(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    path = _check_path(args["path"])
    text = await ctx.board.fs_read(path)
    if text is None:
        raise ToolFailure(
            f"{path!r} does not exist on the board (or is not a readable file)", "not_found", False, {"path": path}
        )
    text = str(text)
    size = len(text.encode("utf-8"))
    return {"path": path, "text": text, "bytes": size, "truncated": size >= READ_LIMIT}


async def _fs_write(ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    path, text = _check_path(args["path"]), args["text"]
    await _check_fits_channel(ctx, path, text)
    async with ctx.board.batch() as batch:
        written = batch.fs_write(path, text)
        back = batch.fs_read(path)
    data = text.encode("utf-8")
    read_back = back.value
    out = {
        "path": path,
        "bytes": len(data),
        "read_back_bytes": None if read_back is None else len(str(read_back).encode("utf-8")),
        "verified": read_back is not None and _matches(str(read_back), data),
    }
    if not written.value or read_back is None:
        raise ToolFailure(
            f"the board could not write {path!r} (fs_write returned {written.value!r}); is the folder valid?",
            "write_failed",
            False,
            out,
        )
    if not out["verified"]:
        raise ToolFailure(f"{path!r} was written but reads back different", "write_failed", True, out)
    return out


def _matches(read_back: str, data: bytes) -> bool:
    """Whether what fs_read gave back is the written text (its first 4095 bytes for longer texts)."""
    if len(data) < READ_LIMIT:
        return read_back == data.decode("utf-8")
    got = read_back.encode("utf-8")
    if data.startswith(got) and len(got) >= READ_LIMIT - 3:  # a character cut at the limit may be dropped
        return True
    return data[:READ_LIMIT].decode("utf-8", "replace") == read_back


async def _check_fits_channel(ctx: ToolContext, path: str, text: str) -> None:
    """The main-port `>` channel takes one line per call: refuse text too long for it before sending."""
    board = ctx.board
    family = await board._family()
    size, budget = board.session.wire_size(statement(0, build_call("fs_write", family, path, text)))
    if budget is not None and size > budget:
        raise ArgumentError(
            "text",
            f"too long for the main-port `>` channel this firmware uses ({size} characters once quoted, at most "
            f"{budget}); write the file in smaller files, or use firmware 5.6+ (raw REPL)",
            f"at most about {budget - len(path) - 40} plain ASCII characters",
        )


def _write_words(args: dict[str, Any]) -> str:
    text: str = args["text"]
    shown = text if len(text) <= 300 else text[:300] + f"... ({len(text) - 300} more characters)"
    return f"write {len(text)} characters to the board file {args['path']!r}, replacing it if it exists:\n{shown}"


TOOLS: list[ToolSpec] = [
    ToolSpec(
        name="fs_list",
        subsystem=SUBSYSTEM,
        description="List a folder of the board's flash filesystem (default the root '/'): names, and which are "
        "folders. They come in the firmware's order. JumperlOS leaves out hidden files (starting with '.'); 5.3.x "
        "lists them. A missing folder is an error of kind 'not_found' (whether the firmware answers it with an empty "
        "list or, as newer JumperlOS does, with OSError ENOENT). Slots, config and Python scripts live here "
        "(e.g. /python_scripts).",
        params=(_path("The folder.", "/"),),
        output={
            "path": STRING,
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"name": STRING, "is_dir": BOOLEAN},
                    "required": ["name", "is_dir"],
                },
            },
            "count": INTEGER,
        },
        run=_fs_list,
        text=_list_text,
    ),
    ToolSpec(
        name="fs_read",
        subsystem=SUBSYSTEM,
        description=f"Read a text file from the board. The firmware's fs_read returns at most the first {READ_LIMIT} "
        f"bytes of a file and stops at a NUL byte: `truncated` is true when the text reaches {READ_LIMIT} bytes, so "
        "the file may be longer. A missing file is an error of kind 'not_found'. Binary files do not come back "
        "intact.",
        params=(_path("The file."),),
        output={"path": STRING, "text": STRING, "bytes": INTEGER, "truncated": BOOLEAN},
        run=_fs_read,
        text=lambda r: r["text"] + ("\n[truncated at 4095 bytes]" if r["truncated"] else ""),
    ),
    ToolSpec(
        name="fs_write",
        subsystem=SUBSYSTEM,
        description="Write text to a file on the board, REPLACING the whole file if it exists (no append, no "
        "undo), then read it back to verify (for texts of 4095 bytes or more only the first 4095 are compared). "
        "Missing folders may make the write fail (kind 'write_failed'). The text is sent quoted, verbatim. Text "
        "may not contain NUL (the firmware treats it as the end). On 5.3.x firmware each call travels on one "
        "`>` line, so the text is limited to about 1900 characters there. Do not overwrite config or slot files "
        "unless you mean to: they change how the board boots.",
        params=(
            _path("The file to create or overwrite."),
            Param(
                "text",
                {
                    "type": "string",
                    "maxLength": MAX_TEXT,
                    "pattern": NO_NUL,
                    "description": "The whole new content of the file.",
                },
                True,
                f"text up to {MAX_TEXT} characters, no NUL",
            ),
        ),
        output={
            "path": STRING,
            "bytes": INTEGER,
            "read_back_bytes": {"type": ["integer", "null"]},
            "verified": BOOLEAN,
        },
        run=_fs_write,
        text=lambda r: f"wrote {r['bytes']} bytes to {r['path']}" + (" (verified)" if r["verified"] else ""),
        mutates=True,
        destructive=True,
        confirm=confirm.always(_write_words),
    ),
]
