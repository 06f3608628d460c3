"""A pytest plugin: every tool result any test gets from an MCP client session is checked (tests/result_schemas.py).

It wraps `ClientSession.call_tool`, which `mcp.Client.call_tool` goes through too, so results of tests that
build their own clients (HTTP, federation, remote boards) are checked as well as the harnesses'. Loaded from
tests/conftest.py (`pytest_plugins = ["result_schema_plugin"]`), or with `-p result_schema_plugin`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import result_schemas
from mcp import ClientSession


@pytest.fixture(autouse=True)
def checked_tool_results() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientSession, "call_tool", result_schemas.checked_call_tool)
        yield
