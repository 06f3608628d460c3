"""(to be written)"""

from __future__ import annotations

from jumperless_mcp.tool_spec import ToolSpec

TOOLS: list[ToolSpec] = []
