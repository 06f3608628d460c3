"""MCP over the process's stdin/stdout, served on the event loop itself, and never holding up shutdown.

An MCP client spawns the server with pipes. On Linux and macOS those pipes are read and written by the event
loop (asyncio pipe transports): a request is parsed and answered with no thread hand-off. Where the loop cannot
watch stdin (Windows pipes support neither selectors nor non-blocking reads; a terminal on macOS; a regular
file), one daemon thread reads lines and hands each message to the loop, and writes go through a worker thread.
Either way a shutdown never waits for stdin: the SDK's own `stdio_server` reads in a worker thread whose
cancelled read waits for its line, so Ctrl-C did nothing until Enter was pressed.

While serving, fd 1 points at stderr and fd 0 at the null device, so a stray write (C code, a child process)
never reaches the wire; the wire is kept on private duplicates and restored on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import BinaryIO

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream, TaskGroup
from anyio.from_thread import BlockingPortal
from mcp import types
from mcp.shared.message import SessionMessage

log = logging.getLogger("jumperless_mcp.stdio")

Incoming = SessionMessage | Exception
Writer = Callable[[bytes], Awaitable[None]]
LINE_LIMIT = 1 << 28  # bytes in one JSON-RPC line: far above any request, below exhausting memory at once
DRAIN_LIMIT = 2.0  # seconds shutdown waits for a client to read the last answer


@contextlib.contextmanager
def _claimed(fd: int, mode: str, diversion: int | None) -> Iterator[BinaryIO]:
    """The wire on a private duplicate of `fd` while `fd` itself points at `diversion` (if given)."""
    try:
        private = os.dup(fd)
    except OSError:  # no such descriptor (a detached process): nothing to divert, use the sys stream
        yield (sys.stdin if fd == 0 else sys.stdout).buffer
        return
    diverted = False
    if diversion is not None:
        with contextlib.suppress(OSError):
            os.dup2(diversion, fd)
            diverted = True
    try:
        yield os.fdopen(private, mode, closefd=False)  # never closed under a reader still blocked on it
    finally:
        with contextlib.suppress(OSError):
            os.set_blocking(private, True)  # the loop made it non-blocking; the restored fd must not be
        if diverted:
            with contextlib.suppress(OSError):
                os.dup2(private, fd)
        if fd != 0:  # the stdin duplicate may still be read by the abandoned reader thread: it stays open
            with contextlib.suppress(OSError):
                os.close(private)


def _loop_can_watch(wire: BinaryIO) -> bool:
    """A pipe or socket on a POSIX system: the event loop reads and writes it without a thread."""
    if sys.platform == "win32":
        return False
    try:
        mode = os.fstat(wire.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _parse(line: bytes) -> Incoming:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except Exception as exc:  # the session answers or logs it, as with the SDK's transport
        return exc


def _encode(message: SessionMessage) -> bytes:
    return (message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode()


# --- on the event loop ---------------------------------------------------------------------------------------


async def _read_on_loop(wire: BinaryIO, messages: ObjectSendStream[Incoming]) -> None:
    """One message per non-blank line, until EOF; the loop is woken by the pipe, no thread involved."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), wire)
    try:
        async with messages:
            while line := await reader.readline():
                if line.strip():
                    await messages.send(_parse(line))
    finally:
        transport.close()


class _FlowControl(asyncio.Protocol):
    """Tells the writer to wait while the client has not read what was written (a full pipe)."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable.set()  # a writer waiting on a closed pipe fails on its next write instead of hanging


@contextlib.asynccontextmanager
async def _loop_writer(wire: BinaryIO) -> AsyncIterator[Writer]:
    loop = asyncio.get_running_loop()
    transport, flow = await loop.connect_write_pipe(_FlowControl, wire)
    transport.set_write_buffer_limits(high=0)  # a write that does not go out at once waits until all has

    async def write(data: bytes) -> None:
        transport.write(data)  # straight into the pipe when the client keeps up, as it does
        await flow.writable.wait()

    try:
        yield write
    finally:
        with anyio.move_on_after(DRAIN_LIMIT, shield=True):  # the last answer reaches a client that reads
            await flow.writable.wait()
        transport.close()  # unwatched at once; the descriptor itself is closed by `_claimed`


# --- through threads (Windows, terminals, files) -------------------------------------------------------------


def _read_in_thread(wire: BinaryIO, portal: BlockingPortal, messages: ObjectSendStream[Incoming]) -> None:
    """The reader thread: one message per non-blank line, until EOF or until the loop stops listening."""
    try:
        for line in wire:
            if line.strip():
                portal.call(messages.send, _parse(line))
        portal.call(messages.aclose)  # EOF: the server's read side ends and it returns
    except Exception as exc:  # the portal stopped or the stream closed: shutting down
        log.debug("stdin reader stopped: %r", exc)


def _write_blocking(wire: BinaryIO, data: bytes) -> None:
    wire.write(data)
    wire.flush()


@contextlib.asynccontextmanager
async def _reading(wire: BinaryIO, messages: ObjectSendStream[Incoming], group: TaskGroup) -> AsyncIterator[None]:
    """Read stdin on the loop when it can watch it, else in a daemon thread that shutdown never waits for."""
    if _loop_can_watch(wire):
        group.start_soon(_read_on_loop, wire, messages)
        yield
        return
    async with BlockingPortal() as portal:
        reader = threading.Thread(target=_read_in_thread, args=(wire, portal, messages), name="mcp-stdin", daemon=True)
        reader.start()
        try:
            yield
        finally:
            with anyio.CancelScope(shield=True):  # a reader blocked handing over a message lets go
                await portal.stop(cancel_remaining=True)
            messages.close()


@contextlib.asynccontextmanager
async def _writing(wire: BinaryIO) -> AsyncIterator[Writer]:
    if _loop_can_watch(wire):
        async with _loop_writer(wire) as write:
            yield write
        return

    async def write(data: bytes) -> None:
        await anyio.to_thread.run_sync(_write_blocking, wire, data)

    yield write


async def _send_all(messages: ObjectReceiveStream[SessionMessage], write: Writer) -> None:
    async with messages:
        async for message in messages:
            await write(_encode(message))


@contextlib.asynccontextmanager
async def stdio_streams() -> AsyncIterator[tuple[ObjectReceiveStream[Incoming], ObjectSendStream[SessionMessage]]]:
    """(read, write) streams for `Server.run` over stdin/stdout; leaving the block never waits for stdin."""
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        stderr = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        stderr = None
    try:
        with _claimed(0, "rb", null) as wire_in, _claimed(1, "wb", stderr) as wire_out:
            os.close(null)
            null = -1
            incoming_send, incoming = anyio.create_memory_object_stream[Incoming](0)
            outgoing, outgoing_receive = anyio.create_memory_object_stream[SessionMessage](0)
            async with _writing(wire_out) as write, anyio.create_task_group() as group:
                group.start_soon(_send_all, outgoing_receive, write)
                async with _reading(wire_in, incoming_send, group):
                    try:
                        yield incoming, outgoing
                    finally:
                        group.cancel_scope.cancel()
    finally:
        if null >= 0:
            os.close(null)
