"""Spawn `jumperless-mcp` as Claude Code does (a subprocess on stdio) and talk to it with the official client."""

from __future__ import annotations

import os
import sys
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
