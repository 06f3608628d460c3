"""The smallest stdio MCP server on our SDK: the yardstick `call_path.py` times `jumperless-mcp`'s start against.

One tool, `dac_get`, returning a constant (1.25 V), on the low-level `mcp.server.Server` with the SDK's stdio.
Run: .venv/bin/python benchmarks/ten_line_server.py (speaks JSON-RPC on stdin/stdout).
"""

import anyio
from mcp import types
from mcp.server import Server
from mcp.server.stdio import stdio_server

TOOL = types.Tool(name="dac_get", description="A constant setpoint", input_schema={"type": "object"})


async def list_tools(ctx: object, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[TOOL])


async def call_tool(ctx: object, params: types.CallToolRequestParams) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text="DAC0 setpoint 1.25 V")])


async def main() -> None:
    server = Server("ten-line", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
