"""Regenerate `docs/api.md`, the `Board` API reference, from the catalog, the `Board` class and the MCP tools.

    python tools/api_reference.py            # rewrite docs/api.md
    python tools/api_reference.py --check    # exit 1, with a diff, if docs/api.md is stale

Every public member of `Board` is listed with its signature, what it returns, which firmware has it (from the
catalog; for a workflow, from the firmware functions its code calls) and the MCP tools that reach it. Which tool
reaches which method is read from the tools' code with `ast`: a `firmware_tool` names its function, a
hand-written tool's runner (and the project functions it calls) uses `board.<method>` or `batch.<method>`.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from firmware_api.catalog import CATALOG, Function  # noqa: E402
from firmware_api.versions import Family  # noqa: E402
from jumperless_mcp.bench.board import GENERATED, Board  # noqa: E402
from jumperless_mcp.bench.sync_board import RENAMED  # noqa: E402
from jumperless_mcp.tools import ALL_TOOLS  # noqa: E402

DOC = ROOT / "docs" / "api.md"
PLUMBING = frozenset({"batch", "call", "health", "family", "firmware", "version", "virtual_board"})  # not a "use"
BATCH_NAMES = re.compile(r"(board|batch|\bb|sweep)$")
ENTRIES: dict[str, list[Function]] = {}
for _function in CATALOG:
    ENTRIES.setdefault(_function.name, []).append(_function)
ALIASES = {alias: f.name for f in CATALOG for alias in f.names}
MEMBERS = {name for name in dir(Board) if not name.startswith("_")}


def uses(function: Callable[..., Any], seen: set[object] | None = None) -> set[str]:
    """The Board members and firmware functions a function's code reaches, following the project's functions."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    if function in seen or not inspect.isfunction(function):
        return set()
    seen.add(function)
    found: set[str] = set()
    for name, value in inspect.getclosurevars(function).nonlocals.items():
        if name == "function" and isinstance(value, str):  # firmware_tool's runner
            found.add(ALIASES.get(value, value))
        elif inspect.isfunction(value) and value.__module__.startswith("jumperless_mcp."):
            found |= uses(value, seen)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return found
    module = sys.modules[function.__module__]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MEMBERS:
            if BATCH_NAMES.search(ast.unparse(node.value)) or ast.unparse(node.value) == "self":
                found.add(node.attr)
        elif isinstance(node, ast.Call):
            callee = node.func
            if isinstance(callee, ast.Attribute) and callee.attr == "call" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(ALIASES.get(first.value, first.value))
            target = None
            if isinstance(callee, ast.Name):
                target = getattr(module, callee.id, None)
            elif isinstance(callee, ast.Attribute) and isinstance(callee.value, ast.Name):  # netlist.apply_changes
                owner = getattr(module, callee.value.id, None)
                target = getattr(owner, callee.attr, None) if inspect.ismodule(owner) else None
            if inspect.isfunction(target) and target.__module__.startswith("jumperless_mcp."):
                found |= uses(target, seen)
    return found - PLUMBING


def tools_by_method() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for spec in ALL_TOOLS:
        for method in uses(spec.run):
            found.setdefault(method, []).append(spec.name)
    return {method: sorted(names, key=lambda tool: (tool != method, tool)) for method, names in found.items()}


FAMILY_WORDS = {Family.BOTH: "all", Family.JUMPERLOS: "JumperlOS (5.6+)", Family.LEGACY: "5.3.x only"}


def firmware_of(name: str) -> str:
    """Which firmware has a catalog function, in words."""
    entries = ENTRIES[name]
    families = Family(0)
    for entry in entries:
        families |= entry.families
    if families == Family.BOTH and not any(e.requirement() or e.optional for e in entries):
        return "all"
    words = []
    for entry in entries:
        text = FAMILY_WORDS.get(entry.families, str(entry.families))
        if entry.requirement():
            text += f", {entry.requirement()}"
        if entry.optional:
            text += ", some builds"
        words.append(text)
    return "; ".join(words)


def workflow_firmware(method: str) -> str:
    """A hand-written method's firmware: the restrictions of the firmware functions its code calls."""
    attr = inspect.getattr_static(Board, method)
    function = attr.fget if isinstance(attr, property) else getattr(attr, "__func__", attr)
    limited = sorted(name for name in uses(function) if name in ENTRIES and firmware_of(name) != "all")
    return (
        "all"
        if not limited
        else "as the functions it calls: " + ", ".join(f"`{n}` ({firmware_of(n)})" for n in limited)
    )


def spelled(value: object) -> str:
    if value is inspect.Signature.empty:
        return ""
    if value is None or value is type(None):
        return "None"
    if isinstance(value, str):
        return value
    if value is Any:
        return "Any"
    if hasattr(value, "__args__") and type(value).__name__ == "UnionType":
        return " | ".join(spelled(part) for part in value.__args__)  # type: ignore[attr-defined]
    return getattr(value, "__name__", repr(value))


def signature_of(member: str) -> tuple[str, str, str]:
    """(how it is called, what it returns, its kind) for a Board member."""
    attr = inspect.getattr_static(Board, member)
    if isinstance(attr, property):
        return f"board.{member}", spelled(inspect.signature(attr.fget).return_annotation), "property"  # type: ignore[arg-type]
    function = getattr(attr, "__func__", attr)
    signature = inspect.signature(function)
    words = []
    params = list(signature.parameters.values())
    star_done = False
    for index, parameter in enumerate(params):
        if index == 0 and parameter.name in ("self", "cls"):
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and not star_done:
            words.append("*")
        if parameter.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_POSITIONAL):
            star_done = True
        prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(parameter.kind, "")
        word = prefix + parameter.name
        if parameter.annotation is not inspect.Parameter.empty:
            word += f": {spelled(parameter.annotation)}"
        if parameter.default is not inspect.Parameter.empty:
            word += f" = {parameter.default!r}"
        words.append(word)
        if parameter.kind is inspect.Parameter.POSITIONAL_ONLY and (
            index + 1 == len(params) or params[index + 1].kind is not parameter.kind
        ):
            words.append("/")
    kind = "async" if inspect.iscoroutinefunction(function) else "classmethod" if isinstance(attr, classmethod) else ""
    returns = spelled(signature.return_annotation)
    if member in GENERATED and returns == "Any":
        returns = "the firmware's value"
    prefix = "Board." if kind == "classmethod" else "await board." if kind == "async" else "board."
    return f"{prefix}{member}({', '.join(words)})", returns, kind


def summary(member: str) -> str:
    attr = inspect.getattr_static(Board, member)
    doc = inspect.getdoc(attr.fget if isinstance(attr, property) else getattr(attr, "__func__", attr)) or ""
    first = doc.split("\n\n")[0] if doc else ""
    return " ".join(first.split()).replace("|", "\\|")


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(members: Iterable[str], tools: dict[str, list[str]], firmware: Callable[[str], str]) -> list[str]:
    rows = ["| call | returns | firmware | MCP tool | what it does |", "|---|---|---|---|---|"]
    for member in members:
        call, returns, _ = signature_of(member)
        tool = ", ".join(f"`{name}`" for name in tools.get(member, [])) or "—"
        rows.append(
            f"| `{cell(call)}` | {cell(returns) or '—'} | {cell(firmware(member))} | {tool} | {summary(member)} |"
        )
    return rows


def sections() -> list[tuple[str, str, list[str]]]:
    """(title, where it is defined, members) in reading order: the board itself, workflows, firmware functions."""
    by_module: dict[str, list[str]] = {}
    for member in sorted(MEMBERS - set(GENERATED)):
        attr = inspect.getattr_static(Board, member)
        function = attr.fget if isinstance(attr, property) else getattr(attr, "__func__", attr)
        by_module.setdefault(function.__module__, []).append(member)
    out = [("Opening, the session, verified connections, batches", "jumperless_mcp.bench.board", [])]
    out[0][2].extend(by_module.pop("jumperless_mcp.bench.board", []))
    for module in sorted(by_module):
        title = (sys.modules[module].__doc__ or module).strip().splitlines()[0].rstrip(".")
        out.append((title, module, by_module[module]))
    out.append(("Firmware functions (one method each, from the catalog)", "firmware_api/catalog.py", sorted(GENERATED)))
    return out


HEADER = """# The `Board` API

Generated by `tools/api_reference.py` from `firmware_api/catalog.py`, the `Board` class and the MCP tools; do
not edit (`tests/test_api_reference.py` fails when this file is stale).

`Board` is async (`async with Board.open(...) as board:`, `await board.dac_set(0, 1.5)`); `SyncBoard` has the
same methods without `await` (`with SyncBoard.open(...) as board:`; `aclose` is `close`). `board.batch()`
records every firmware function below without sending it: the call returns a `Pending` whose `.value` is set when
the batch runs (one round trip). Every firmware function method also takes `timeout=` (seconds). A method the
connected firmware lacks raises `UnsupportedByFirmware` before anything is sent. *MCP tool* names the tools of
`jumperless-mcp serve` that reach the method (found in their code), so an agent's tool call can be written as a
script call; *firmware* says which firmware has it ("all": every version this project supports).
"""


def render() -> str:
    tools = tools_by_method()
    out = [HEADER]
    for title, where, members in sections():
        firmware = firmware_of if where.endswith("catalog.py") else workflow_firmware
        out += [f"## {title}", "", f"From `{where}`.", "", *table(members, tools, firmware), ""]
    renamed = ", ".join(f"`{a}` → `{s}`" for a, s in RENAMED.items())
    out += [
        "## `SyncBoard` differences",
        "",
        f"Renamed: {renamed}. Own members: `open`, `start`, `close`, `aio` "
        "(the async `Board` underneath), `with` instead of `async with`.",
        "",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    import generated_file  # tools/generated_file.py, beside this script

    sys.exit(generated_file.main(DOC, render, __doc__))
