"""MCP over the process's stdin/stdout, with a stdin reader that can never hold up shutdown.

The SDK's `stdio_server` reads stdin in an AnyIO worker thread; a cancelled read waits for its line, so
Ctrl-C did nothing until Enter was pressed (or the client wrote). Here one daemon thread reads lines and
hands each message to the event loop; on shutdown the loop stops listening and the thread, still blocked
in its read, is left behind (a daemon thread never keeps the process alive). Why a thread, not a
non-blocking reader: Windows pipes support neither selectors nor non-blocking reads, a thread works on
every platform and for pipes and terminals alike.

While serving, fd 1 points at stderr and fd 0 at the null device, so a stray write (C code, a child
process) never reaches the wire; the wire is kept on private duplicates and restored on exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import BinaryIO

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from anyio.from_thread import BlockingPortal
from mcp import types
from mcp.shared.message import SessionMessage

log = logging.getLogger("jumperless_mcp.stdio")

Incoming = SessionMessage | Exception


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
        if diverted:
            with contextlib.suppress(OSError):
                os.dup2(private, fd)
        if fd != 0:  # the stdin duplicate may still be read by the abandoned reader thread: it stays open
            with contextlib.suppress(OSError):
                os.close(private)


def _parse(line: bytes) -> Incoming:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(line, by_name=False))
    except Exception as exc:  # the session answers or logs it, as with the SDK's transport
        return exc


def _read_lines(wire: BinaryIO, portal: BlockingPortal, messages: ObjectSendStream[Incoming]) -> None:
    """The reader thread: one message per non-blank line, until EOF or until the loop stops listening."""
    try:
        for line in wire:
            if line.strip():
                portal.call(messages.send, _parse(line))
        portal.call(messages.aclose)  # EOF: the server's read side ends and it returns
    except Exception as exc:  # the portal stopped or the stream closed: shutting down
        log.debug("stdin reader stopped: %r", exc)


def _write(wire: BinaryIO, data: bytes) -> None:
    wire.write(data)
    wire.flush()


async def _write_lines(messages: ObjectReceiveStream[SessionMessage], wire: BinaryIO) -> None:
    async with messages:
        async for message in messages:
            data = message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n"
            await anyio.to_thread.run_sync(_write, wire, data.encode())


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
            async with BlockingPortal() as portal, anyio.create_task_group() as group:
                reader = threading.Thread(
                    target=_read_lines, args=(wire_in, portal, incoming_send), name="mcp-stdin", daemon=True
                )
                reader.start()
                group.start_soon(_write_lines, outgoing_receive, wire_out)
                try:
                    yield incoming, outgoing
                finally:
                    group.cancel_scope.cancel()
                    with anyio.CancelScope(shield=True):  # a reader blocked handing over a message lets go
                        await portal.stop(cancel_remaining=True)
                    incoming_send.close()
    finally:
        if null >= 0:
            os.close(null)
