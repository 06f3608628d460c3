"""Spawn `jumperless-mcp` as Claude Code does (a subprocess on stdio) and talk to it with the official client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import result_schemas
from mcp import ClientSession, StdioServerParameters, stdio_client, types

ROOT = Path(__file__).resolve().parent.parent
DIVIDER = ROOT / "examples" / "divider.toml"


def server_command() -> list[str]:
    """The installed console script (what the README registers), next to this Python."""
    script = Path(sys.executable).with_name("jumperless-mcp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jumperless_mcp"]


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: config, state and lock dirs inside tmp_path; nothing inherited that matters."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "SYSTEMROOT", "TMPDIR") if key in os.environ}
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        JUMPERLESS_LOCK_DIR=str(tmp_path / "locks"),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Stdio:
    """A live session with the spawned server."""

    def __init__(self, session: ClientSession, init: types.InitializeResult) -> None:
        self.session = session
        self.init = init

    async def result(self, name: str, /, **arguments: Any) -> types.CallToolResult:
        """Call a tool; its result, checked against the tool's listed output schema (tests/result_schemas.py)."""
        result = await self.session.call_tool(name, arguments)
        await result_schemas.check(self.session, name, arguments, result)
        return result

    async def ok(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        result = await self.result(name, **arguments)
        text = result.content[0].text if result.content else ""
        assert not result.is_error, f"{name}({arguments}) failed: {text}"
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, name: str, /, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must fail; its error details from `_meta` (error, kind, retryable, ...)."""
        return result_schemas.error_details(await self.result(name, **arguments))

    async def tool_names(self) -> set[str]:
        return {tool.name for tool in (await self.session.list_tools()).tools}


@asynccontextmanager
async def spawn(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> AsyncIterator[Stdio]:
    """`jumperless-mcp <args>` on stdio; its stderr goes to tmp_path/server.stderr."""
    command = server_command()
    params = StdioServerParameters(
        command=command[0], args=[*command[1:], *args], env=env or server_env(tmp_path), cwd=str(tmp_path)
    )
    with open(tmp_path / "server.stderr", "w") as errlog, anyio.fail_after(timeout):
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            yield Stdio(session, init)


EXIT_BOUND = 5.0  # seconds from a signal to the server's exit; typically ~0.3 s
# Started from a terminal, a program gets SIGINT's default action; a test run started in the background of a
# shell ignores SIGINT, and its children inherit that. This puts the default back, then runs the server.
AS_FROM_A_TERMINAL = [
    sys.executable,
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])",
]


class Served:
    """`jumperless-mcp serve` on a board's port, its stdin a pipe held open or a pseudo-terminal."""

    def __init__(self, tmp_path: Path, port: str, stdin: str, *args: str) -> None:
        self.stderr_path = tmp_path / "serve.stderr"
        self.terminal: int | None = None
        if stdin == "pty":
            self.terminal, child_end = os.openpty()
        self.process = subprocess.Popen(
            [*AS_FROM_A_TERMINAL, *server_command(), "serve", "--port", port, *args],
            stdin=child_end if self.terminal is not None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w"),
            env=server_env(tmp_path),
            cwd=tmp_path,
        )
        if self.terminal is not None:
            os.close(child_end)

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        if self.terminal is not None:
            os.write(self.terminal, data)
        else:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            self.process.stdin.flush()

    def receive(self, request_id: int) -> dict[str, Any]:
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            assert line, f"server closed stdout; stderr:\n{self.stderr_path.read_text()}"
            message = json.loads(line)
            if message.get("id") == request_id:
                return message

    def initialize(self) -> None:
        client = {"name": "signal-test", "version": "0"}
        params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client}
        self.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
        self.receive(1)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(self, request_id: int, name: str, arguments: dict[str, Any]) -> None:
        self.send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": name, "arguments": arguments},
            }
        )

    def stop(self, signum: int, bound: float = EXIT_BOUND) -> float:
        """Send the signal; seconds until the process exited (the stdin pipe or terminal stays open). A process
        still running `bound` seconds after it is killed and TimeoutError raised."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise TimeoutError(f"still running {bound:g} s after {signal.Signals(signum).name}") from None
        return time.monotonic() - sent

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.terminal is not None:
            os.close(self.terminal)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
