"""The `jumperless-mcp` command as an MCP server on stdio: byte-level JSON-RPC, stdout purity, the CLI paths."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from stdio_harness import DIVIDER, server_command, server_env, spawn


class RawServer:
    """Newline-delimited JSON-RPC over the child's pipes, as Claude Code speaks it."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.stderr_path = tmp_path / "raw.stderr"
        self.process = subprocess.Popen(
            [*server_command(), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w"),
            env=env or server_env(tmp_path),
            cwd=tmp_path,
        )
        self.lines: list[str] = []

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()

    def receive(self, request_id: int) -> dict[str, Any]:
        """Read stdout lines until the response to request_id; every line must be JSON-RPC."""
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline().decode()
            assert line, f"server closed stdout; stderr:\n{self.stderr_path.read_text()}"
            self.lines.append(line)
            message = json.loads(line)
            assert message.get("jsonrpc") == "2.0", line
            if message.get("id") == request_id:
                return message

    def request(self, request_id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or {}})
        return self.receive(request_id)

    def close(self) -> tuple[str, str]:
        """Close stdin, let the server exit; (rest of stdout, stderr)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        rest = self.process.stdout.read().decode()
        self.process.wait(timeout=30)
        return rest, self.stderr_path.read_text()


def initialize(server: RawServer, capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {"protocolVersion": "2025-06-18", "capabilities": capabilities or {}}
    reply = server.request(1, "initialize", {**params, "clientInfo": {"name": "raw-test", "version": "0"}})
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return reply


def test_only_json_rpc_reaches_stdout_even_when_the_board_and_python_print(tmp_path: Path) -> None:
    server = RawServer(tmp_path, "--port", "emulator", "--log-level", "debug", "--allow-python")
    try:
        init = initialize(server)
        assert init["result"]["protocolVersion"] == "2025-06-18"
        assert init["result"]["capabilities"]["tools"] == {"listChanged": True}
        tools = server.request(2, "tools/list")["result"]["tools"]
        assert {"connect", "exec_python"} <= {tool["name"] for tool in tools}
        made = server.request(3, "tools/call", {"name": "connect", "arguments": {"node1": 1, "node2": 2}})
        assert made["result"]["structuredContent"]["ok"] is True
        printed = server.request(
            4, "tools/call", {"name": "exec_python", "arguments": {"code": "print('hello from the board')"}}
        )
        assert "hello from the board" in json.dumps(printed["result"])
        bad = server.request(5, "tools/call", {"name": "dac_set", "arguments": {"channel": "DAC0", "voltage": 99}})
        assert bad["result"]["isError"] is True and "structuredContent" not in bad["result"]
        assert bad["result"]["_meta"]["jumperless/error"]["parameter"] == "voltage"
        unknown = server.request(6, "tools/call", {"name": "nope", "arguments": {}})
        assert unknown["result"]["isError"] is True
    finally:
        rest, stderr = server.close()
    assert server.process.returncode == 0
    for line in rest.splitlines():
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert "DEBUG" in stderr and "serving emulator as the board" in stderr  # the logs went to stderr
    assert "board board" not in stderr  # the single board is "the board", not "board board"


def test_serve_subcommand_and_jumperless_port_from_the_environment(tmp_path: Path) -> None:
    server = RawServer(tmp_path, "serve", env=server_env(tmp_path, JUMPERLESS_PORT="emulator:legacy"))
    try:
        initialize(server)
        info = server.request(2, "tools/call", {"name": "dac_get", "arguments": {"channel": "TOP_RAIL"}})
        assert info["result"].get("isError") is not True
        names = {tool["name"] for tool in server.request(3, "tools/list")["result"]["tools"]}
        assert "node_voltage" not in names  # a 5.3.x board: JumperlOS-only tools are not listed
    finally:
        server.close()


def test_read_only_flag_and_config_file(tmp_path: Path) -> None:
    config = tmp_path / "jumperless.toml"
    config.write_text('port = "emulator"\nread_only = true\n')
    server = RawServer(tmp_path, "--config", str(config))
    try:
        initialize(server)
        tools = server.request(2, "tools/list")["result"]["tools"]
        assert tools and all(tool["annotations"]["readOnlyHint"] for tool in tools)
    finally:
        server.close()


def test_a_bad_setting_exits_with_a_message_and_nothing_on_stdout(tmp_path: Path) -> None:
    done = subprocess.run(
        [*server_command(), "--port", "emulator", "--max-voltage", "20"],
        capture_output=True,
        env=server_env(tmp_path),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"max_voltage" in done.stderr


async def test_official_client_on_stdio_wires_powers_and_measures(tmp_path: Path) -> None:
    async with spawn(tmp_path, "--port", "emulator", "--parts", str(DIVIDER)) as server:
        await server.ok("apply_netlist", bridges=[["TOP_RAIL", 10], [11, "ADC0"]])
        await server.ok("dac_set", channel="TOP_RAIL", voltage=4.0)
        reading = await server.ok("adc_read", channels=[0])
        assert abs(reading["readings"]["ADC0"] - 2.0) < 0.02


def test_a_client_asking_for_deferred_tools_gets_discovery_mode_over_stdio(tmp_path: Path) -> None:
    server = RawServer(tmp_path, "--port", "emulator")
    try:
        initialize(server, {"experimental": {"x-deferred-tools": {}}})
        tools = server.request(2, "tools/list")["result"]["tools"]
        assert [tool["name"] for tool in tools] == ["tools_search", "tools_describe_many", "tools_call"]
        found = server.request(3, "tools/call", {"name": "tools_search", "arguments": {"query": "ground row 9"}})
        assert found["result"]["structuredContent"]["matches"][0]["name"] == "connect"
        call = {"name": "connect", "arguments": {"node1": 9, "node2": "GND"}}
        made = server.request(4, "tools/call", {"name": "tools_call", "arguments": call})
        assert made["result"]["structuredContent"]["ok"] is True
    finally:
        _, stderr = server.close()
    assert "tools/list in discovery mode: client capability experimental.x-deferred-tools" in stderr


def test_lines_longer_than_a_pipe_buffer_go_both_ways_and_a_slow_reader_loses_nothing(tmp_path: Path) -> None:
    """The event loop reads and writes the pipes itself: a request line far above asyncio's default 64 KiB
    limit is read whole, and an answer larger than the pipe buffer waits for a client that reads late."""
    server = RawServer(tmp_path, "--port", "emulator", "--board", "b=emulator", "--board", "c=emulator")
    try:
        initialize(server)
        padded = server.request(2, "ping", {"_meta": {"pad": "x" * 300_000}})
        assert padded["result"] == {}
        server.send({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {}})
        time.sleep(0.5)  # the server's answer fills the pipe and must wait for us, not be cut or dropped
        tools = server.receive(3)["result"]["tools"]
        assert len(server.lines[-1]) > 65_536, "the answer should be larger than a pipe buffer"
        assert len(tools) > 100 and all("inputSchema" in tool for tool in tools)
        assert server.request(4, "ping")["result"] == {}
    finally:
        rest, stderr = server.close()
    assert server.process.returncode == 0, stderr
    assert rest == ""
