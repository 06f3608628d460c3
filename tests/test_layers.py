"""The import rules of the layout (issue 15 §1), read from the source with `ast`, so nothing is imported.

Imports go one way, downwards, with no circles; `firmware_api` stays pure (no I/O); the emulator stays apart
from the host, which imports it only to start or configure a virtual board. Every import counts: at module
level, inside a function and under `if TYPE_CHECKING:`; `from pkg import name` is an import of the submodule
`pkg.name` when there is one.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from firmware_api import python_ast

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("jumperless_mcp", "firmware_api")
EMULATOR = "jumperless_mcp.emulator"
TOP = "jumperless_mcp"

# The layers, bottom up: (rank, what belongs there). A module may import its own layer and any lower rank;
# layers of the same rank may not import each other. The three modules of the top count as one layer.
LAYERS: dict[str, tuple[int, str]] = {
    "firmware_api": (0, "what the firmware offers (catalog, calls, replies); pure, no I/O"),
    "jumperless_mcp.errors": (1, "the exceptions; a leaf every layer may import"),
    "jumperless_mcp.version": (1, "the version; a leaf every layer may import"),
    "jumperless_mcp.link": (2, "one board over serial: ports, lock, handshake, channels, session"),
    "jumperless_mcp.signals": (2, "captured samples analysed and drawn: statistics, edges, decoders, plots; pure"),
    "jumperless_mcp.pictures": (2, "pictures of the board and its OLED drawn from their state; pure"),
    "jumperless_mcp.bench": (3, "`Board`, the bench-script API"),
    "jumperless_mcp.settings": (3, "the config file, environment, flags and board table"),
    "jumperless_mcp.tooling": (4, "how an MCP tool is declared, validated, run and found"),
    "jumperless_mcp.testing": (4, "the pytest plugin: fixtures and marker for bench tests"),
    "jumperless_mcp.tools": (5, "the MCP tool declarations, one module per subsystem"),
    "jumperless_mcp.multiboard": (6, "several local and remote boards behind one server"),
    "jumperless_mcp.serving": (7, "the MCP server on stdio or HTTP"),
    "jumperless_mcp.doctor": (7, "`jumperless-mcp doctor`: checks of the machine and the board, read-only"),
    "the top": (8, "`jumperless_mcp/__init__.py` (the public face), `__main__.py`, `cli.py` (the command line)"),
}
TOP_MODULES = frozenset({TOP, "jumperless_mcp.__main__", "jumperless_mcp.cli"})
TOP_FILES = frozenset({"__init__.py", "__main__.py", "cli.py", "errors.py", "version.py", "py.typed"})
SUBPACKAGES = frozenset(
    {
        "link",
        "signals",
        "pictures",
        "bench",
        "settings",
        "tooling",
        "tools",
        "multiboard",
        "serving",
        "emulator",
        "doctor",
        "testing",
    }
)

# firmware_api describes the firmware; reading files, ports or the network belongs to the host.
IMPURE = frozenset(
    {"serial", "serial_asyncio_fast", "anyio", "asyncio", "socket", "subprocess", "mcp", "http", "urllib"}
    | {"io", "pathlib", "os"}
)

# The host modules that may import the emulator, lazily, because their job includes a virtual board.
EMULATOR_USERS = {
    "jumperless_mcp.link.targets": "starts a virtual board when the port is `emulator[:PERSONA]`",
    "jumperless_mcp.cli": "`jumperless-mcp emulate` runs a virtual board on its own",
    "jumperless_mcp.settings.config": "checks the parts file (`parts`) of the virtual board it will serve",
    "jumperless_mcp.settings.board_config": "checks the parts file of a virtual `[boards.NAME]` member",
    "jumperless_mcp.multiboard.members": "checks a virtual member's parts file when the board list changes",
}
# What the emulator may import of the rest of the project: the exceptions, and the firmware description.
EMULATOR_MAY_IMPORT = ("jumperless_mcp.errors", "firmware_api")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    path: str  # its file, relative to the repository
    target: str  # the module imported: a submodule when `from pkg import name` names one
    line: int
    where: str  # "module level", "in a function" or "under TYPE_CHECKING"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.where}) imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def modules() -> dict[str, Path]:
    """Every module of the two packages, by dotted name."""
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Finder(ast.NodeVisitor):
    """Collects a module's imports with where each one runs."""

    def __init__(self, module: str, path: Path, known: dict[str, Path]) -> None:
        self.module, self.known = module, known
        self.path = str(path.relative_to(ROOT))
        self.package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        self.in_function = self.type_checking = False
        self.found: list[Import] = []

    def _add(self, target: str, node: ast.stmt) -> None:
        where = "under TYPE_CHECKING" if self.type_checking else "in a function" if self.in_function else "module level"
        self.found.append(Import(self.module, self.path, target, node.lineno, where))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.in_function = self.in_function, True
        self.generic_visit(node)
        self.in_function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        outer, self.type_checking = self.type_checking, True
        for statement in node.body:
            self.visit(statement)
        self.type_checking = outer
        for statement in node.orelse:  # the `else:` of `if TYPE_CHECKING` is what runs
            self.visit(statement)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = ".".join(self.package.split(".")[: len(self.package.split(".")) - node.level + 1])
            base = f"{base}.{node.module}" if node.module else base
        else:
            base = node.module or ""
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            self._add(submodule if submodule in self.known else base, node)


@functools.cache
def imports() -> tuple[Import, ...]:
    """Every import statement of the two packages."""
    found: list[Import] = []
    known = modules()
    for module, path in known.items():
        finder = _Finder(module, path, known)
        # under the process-wide AST lock: a virtual board may be parsing in another thread of this process
        finder.visit(python_ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found += finder.found
    return tuple(dict.fromkeys(found))  # `from pkg import a, b` is one import of pkg


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def area(module: str) -> str:
    if _within(module, "firmware_api"):
        return "firmware_api"
    return "the emulator" if _within(module, EMULATOR) else "the host"


def layer(module: str) -> str | None:
    """The layer a host or firmware_api module belongs to (None for the emulator and unknown top modules)."""
    if module in TOP_MODULES:
        return "the top"
    if _within(module, EMULATOR):
        return None
    return next((name for name in LAYERS if _within(module, name)), None)


def _internal() -> list[Import]:
    known = modules()
    return [found for found in imports() if found.target in known and found.target != found.source]


def cycles() -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    graph: dict[str, set[str]] = defaultdict(set)
    for found in _internal():
        graph[found.source].add(found.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for after in sorted(graph[node]):
            if after not in index:
                visit(after)
                low[node] = min(low[node], low[after])
            elif after in on_stack:
                low[node] = min(low[node], index[after])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(modules()):
        if node not in index:
            visit(node)
    return groups


def _shortest_cycle(group: list[str]) -> list[str]:
    """One circle through the group's first module, for the message."""
    members = set(group)
    edges: dict[str, set[str]] = defaultdict(set)
    for found in _internal():
        if found.source in members and found.target in members:
            edges[found.source].add(found.target)
    start = group[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for after in sorted(edges[node]):
            if after == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if after not in came_from:
                came_from[after] = node
                queue.append(after)
    return group


def _describe_cycle(group: list[str]) -> str:
    """One circle with the import behind each step, and every module caught in the same knot."""
    circle = _shortest_cycle(group)
    lines = [" -> ".join(circle)]
    for source, target in itertools.pairwise(circle):
        lines += [f"    {found}" for found in _internal() if (found.source, found.target) == (source, target)]
    if len(group) > len(circle) - 1:
        lines.append(f"    (the same knot holds {len(group)} modules: {', '.join(group)})")
    return "\n".join(lines)


@pytest.mark.parametrize("where", ["the host", "the emulator", "firmware_api"])
def test_no_import_cycle(where: str) -> None:
    """A circle of imports makes the load order decide what works; every dependency must run one way."""
    found = [group for group in cycles() if any(area(module) == where for module in group)]
    assert not found, f"import cycles touching {where}:\n" + "\n".join(_describe_cycle(group) for group in found)


def _may_import(rank: int, own: str) -> str:
    lower = [name for name, (other, _) in LAYERS.items() if other < rank]
    return f"{own} itself" + (f" and the lower layers {', '.join(lower)}" if lower else "")


def test_layers_import_only_downwards() -> None:
    """Each layer builds on the ones below it, never on one above or beside it (`bench` and `settings`)."""
    wrong: list[str] = []
    unranked = sorted(module for module in modules() if area(module) != "the emulator" and layer(module) is None)
    for found in _internal():
        source, target = layer(found.source), layer(found.target)
        if source is None or target is None or source == target:
            continue  # the emulator's imports are test_the_emulator_stays_apart_from_the_host's
        rank, target_rank = LAYERS[source][0], LAYERS[target][0]
        if target_rank >= rank:
            side = "above" if target_rank > rank else "beside"
            wrong.append(
                f"{found}: {target} is {side} {source} (rank {rank}); it may import {_may_import(rank, source)}"
            )
    wrong += [f"{module}: a module in no layer (see LAYERS)" for module in unranked]
    assert not wrong, "imports that do not go downwards:\n" + "\n".join(wrong)


def test_firmware_api_is_pure() -> None:
    """`firmware_api` says what the firmware offers; ports, files, the network and the host are not its business."""
    wrong = [
        f"{found}: " + ("firmware_api may not import the host" if _within(found.target, TOP) else "I/O module")
        for found in imports()
        if area(found.source) == "firmware_api" and (_within(found.target, TOP) or found.target.split(".")[0] in IMPURE)
    ]
    assert not wrong, "firmware_api imports:\n" + "\n".join(wrong)


def _host_imports_of_the_emulator() -> Iterator[str]:
    for found in imports():
        if area(found.source) != "the host" or not _within(found.target, EMULATOR):
            continue
        if found.source not in EMULATOR_USERS:
            yield f"{found}: only {sorted(EMULATOR_USERS)} may import the emulator (see EMULATOR_USERS)"
        elif found.where != "in a function":
            yield f"{found}: import the emulator inside the function that starts or checks the virtual board"


def _emulator_imports_of_the_host() -> Iterator[str]:
    for found in imports():
        if area(found.source) != "the emulator" or not _within(found.target, TOP) or _within(found.target, EMULATOR):
            continue
        if not any(_within(found.target, allowed) for allowed in EMULATOR_MAY_IMPORT):
            yield f"{found}: the emulator may import only {', '.join(EMULATOR_MAY_IMPORT)} of the host"


def test_the_emulator_stays_apart_from_the_host() -> None:
    """The host imports the emulator only to start or configure a virtual board, and only when it does;
    the emulator needs nothing of the host but its exceptions and the firmware description."""
    wrong = [*_host_imports_of_the_emulator(), *_emulator_imports_of_the_host()]
    assert not wrong, "imports across the emulator's border:\n" + "\n".join(wrong)


def test_the_package_top_holds_only_the_public_face() -> None:
    """New code goes into the layer it belongs to, not next to `cli.py`."""
    where = "\n".join(f"    {name}: {what}" for name, (_, what) in LAYERS.items())
    wrong = []
    for entry in sorted((ROOT / TOP).iterdir()):
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            if entry.name not in SUBPACKAGES:
                wrong.append(f"{entry.relative_to(ROOT)}/: not a known layer (add it to LAYERS and SUBPACKAGES)")
            elif not (entry / "__init__.py").is_file():
                wrong.append(f"{entry.relative_to(ROOT)}/: a layer needs an __init__.py saying what it may import")
        elif entry.name not in TOP_FILES:
            wrong.append(f"{entry.relative_to(ROOT)}: a file at the top of {TOP}; move it into its layer")
    assert not wrong, "\n".join(wrong) + f"\nthe layers, bottom up:\n{where}\n    {EMULATOR}: the virtual board"
