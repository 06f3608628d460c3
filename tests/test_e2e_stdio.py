"""End to end, as Claude Code runs it: `jumperless-mcp --port emulator` spawned on stdio, the official client,
every tool called at least once with assertions on what the board did (steps in tests/e2e_steps/)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import e2e_steps
from e2e_steps import Fails
from stdio_harness import DIVIDER, spawn

STEP_MODULES = [importlib.import_module(f"e2e_steps.{info.name}") for info in pkgutil.iter_modules(e2e_steps.__path__)]
FIRST = ["connections", "power"]  # the rest follow alphabetically


def _ordered_steps() -> list:
    def rank(module: object) -> tuple[int, str]:
        name = module.__name__.rsplit(".", 1)[1]  # type: ignore[attr-defined]
        return (FIRST.index(name) if name in FIRST else len(FIRST), name)

    return [step for module in sorted(STEP_MODULES, key=rank) for step in module.STEPS]


async def test_every_tool_over_stdio(tmp_path: Path) -> None:
    async with spawn(tmp_path, "--port", "emulator", "--parts", str(DIVIDER), "--allow-python") as server:
        assert server.init.server_info.name == "jumperless-mcp"
        assert server.init.capabilities.tools is not None and server.init.capabilities.tools.list_changed is True
        listed = await server.tool_names()
        called: set[str] = set()
        for step in _ordered_steps():
            called.add(step.tool)
            if isinstance(step.check, Fails):
                error = await server.error(step.tool, **step.arguments)
                assert error["kind"] == step.check.kind, (step, error)
                if step.check.parameter:
                    assert error["parameter"] == step.check.parameter, (step, error)
                continue
            result = await server.ok(step.tool, **step.arguments)
            if step.check is not None:
                assert step.check(result), (step.tool, step.arguments, result)
        assert listed - called == set(), f"tools never called end to end: {sorted(listed - called)}"
