"""The capture's burst loop among host-rendered statements (for tests/fault_scenarios.py).

Every other statement the host renders is one expression calling firmware functions on literals. The capture
(jumperless_mcp/bench/capture.py) instead sends a small fixed program, as it is on the raw REPL or as
`exec('<source with ~ for line ends>'.replace('~',chr(10)))` on the `>` channel. What varies from one capture to
the next is only the `_jc(...)` call's arguments, so a burst is accepted when every other statement is the
program's own (one of its variants: with or without the trigger wait, the pacing and the pre-trigger ring) and
those arguments hold nothing but literals and firmware function names: values cannot inject code there.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Set

from firmware_api import python_ast
from jumperless_mcp.bench.capture_burst import board_source
from jumperless_mcp.bench.capture_plan import plan_capture

ENTRY = "_jc"
ALLOWED_NODES = (ast.Constant, ast.Tuple, ast.UnaryOp, ast.USub, ast.Load, ast.Name)


@functools.cache
def _variants() -> frozenset[tuple[str, ...]]:
    """The program's fixed statements (all but the entry call), for each variant."""
    found = set()
    for rate, level, pretrigger in itertools.product((None, 1000.0), (None, 1.0), (0, 1)):
        if pretrigger and (rate is None or level is None):
            continue  # the pre-trigger ring needs a trigger and a rate
        plan = plan_capture(
            [0],
            rate=rate,
            samples=10,
            duration=None,
            trigger_channel=None,
            trigger_level=level,
            trigger_edge="rising",
            trigger_timeout=1.0,
            pretrigger=pretrigger,
        )
        found.add(_fixed(python_ast.parse(board_source(plan, "\x1e0000c")).body)[0])
    return frozenset(found)


def _fixed(body: list[ast.stmt]) -> tuple[tuple[str, ...], list[ast.Call]]:
    """(dumps of the statements that are not the entry call, the entry calls)."""
    fixed, calls = [], []
    for statement in body:
        value = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == ENTRY:
            calls.append(value)
        else:
            fixed.append(ast.dump(statement))
    return tuple(fixed), calls


def _unwrapped(body: list[ast.stmt]) -> str | None:
    """The source inside the `>` channel's `exec('...'.replace('~',chr(10)))`, or None if it is not that."""
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return None
    call = body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "exec"):
        return None
    if len(call.args) != 1 or call.keywords:
        return None
    replace = call.args[0]
    expected = "Call(func=Name(id='chr', ctx=Load()), args=[Constant(value=10)], keywords=[])"
    if not (
        isinstance(replace, ast.Call)
        and isinstance(replace.func, ast.Attribute)
        and replace.func.attr == "replace"
        and isinstance(replace.func.value, ast.Constant)
        and isinstance(replace.func.value.value, str)
        and len(replace.args) == 2
        and isinstance(replace.args[0], ast.Constant)
        and replace.args[0].value == "~"
        and ast.dump(replace.args[1]) == expected
    ):
        return None
    return replace.func.value.value.replace("~", "\n")


def burst_problems(statement: str, firmware_functions: Set[str]) -> list[str] | None:
    """None when the statement is not a capture burst; else what is wrong with it ([] when nothing is)."""
    try:
        body = python_ast.parse(statement).body
    except SyntaxError:
        return None
    inner = _unwrapped(body)
    if inner is not None:
        try:
            body = python_ast.parse(inner).body
        except SyntaxError as exc:
            return [f"a capture burst that does not parse inside exec() ({exc.msg}): {statement[:200]!r}"]
    fixed, calls = _fixed(body)
    if len(calls) != 1 or not any(dump.startswith(f"FunctionDef(name='{ENTRY}'") for dump in fixed):
        return None  # not the capture's program at all
    if fixed not in _variants():
        return [f"a capture burst whose program is not the host's: {statement[:300]!r}"]
    problems = []
    for node in ast.walk(ast.Tuple(elts=list(calls[0].args), ctx=ast.Load())):
        if not isinstance(node, ALLOWED_NODES):
            problems.append(f"a capture burst argument that is not a literal: {ast.unparse(node)[:120]!r}")
        elif isinstance(node, ast.Name) and node.id not in firmware_functions:
            problems.append(f"a capture burst argument names {node.id!r}, not a firmware function")
    if calls[0].keywords:
        problems.append("a capture burst call with keyword arguments")
    return problems
