"""MCP `completion/complete`: values for prompt arguments and resource-template variables.

Clients that turn prompts into slash commands (Claude Code) ask for an argument's values as the person types.
What is offered comes from the declarations themselves: a prompt argument's check (a node, a node list, a
choice) or its name (`board`), and a template's variables (`{board}`, `{slot}`, `{name}`, `{topic}`), so a new
argument or template gets completion where its kind allows. Completion only reads the server's own state
(board names, the captures folder, the node table): it never sends anything to a board.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mcp import types
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from firmware_api.nodes import NODES, Node, NodeKind
from jumperless_mcp.bench.capture import KIND as WAVEFORM
from jumperless_mcp.bench.capture import list_captures
from jumperless_mcp.serving import prompts
from jumperless_mcp.serving.resources import REFERENCE, Resources
from jumperless_mcp.tools.slots import NUM_SLOTS

MAX_VALUES = 100  # the specification's cap on values in one answer
MAX_CAPTURES = 1000  # capture files looked at (newest first), so that `total` is honest for any folder
_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LAST_ITEM = re.compile(r"^(.*[\s,;])?([^\s,;]*)$", re.DOTALL)  # a node list: what is kept, the item typed


def matching(candidates: Iterable[str], typed: str) -> types.Completion:
    """The candidates starting with `typed` (any case), in order, at most MAX_VALUES, with the full count."""
    prefix = typed.casefold()
    found = [value for value in dict.fromkeys(candidates) if value.casefold().startswith(prefix)]
    return types.Completion(values=found[:MAX_VALUES], total=len(found), has_more=len(found) > MAX_VALUES)


def invalid(parameter: str, problem: str, allowed: Sequence[str]) -> MCPError:
    """An invalid-params error naming the request parameter and what is allowed (as prompts.get_prompt)."""
    data = {"parameter": parameter, "allowed": list(allowed)}
    return MCPError(INVALID_PARAMS, f"{parameter}: {problem}; allowed: {', '.join(allowed) or 'none'}", data)


# --- nodes --------------------------------------------------------------------------------------------------


def offered_name(node: Node) -> str:
    """The name a person types for a node: the firmware's canonical name without a maker's prefix when the
    firmware accepts that too (NANO_D5 -> D5, RP_GPIO_1 -> GPIO_1, SUPPLY_5V -> 5V), else the canonical one."""
    if node.kind is NodeKind.ROW:
        return str(node.id)
    bare = node.name.partition("_")[2]
    return bare if bare in node.aliases else node.name


@functools.cache
def node_names() -> tuple[str, ...]:
    """Rows 1-60, then one name for each node some firmware family routes (what connect and measure accept)."""
    return tuple(offered_name(node) for node in sorted(NODES.values(), key=lambda n: n.id) if node.routable)


def complete_nodes(typed: str) -> types.Completion:
    return matching(node_names(), typed)


def complete_node_list(typed: str) -> types.Completion:
    """Complete the last item of a comma-separated list; each value is the whole list as it would read."""
    found = _LAST_ITEM.match(typed)
    head, item = (found.group(1) or "", found.group(2)) if found else ("", typed)
    completion = complete_nodes(item)
    completion.values = [head + value for value in completion.values]
    return completion


# --- prompt arguments ---------------------------------------------------------------------------------------


def prompt_values(arg: prompts.Arg, catalog: prompts.Catalog) -> Callable[[str], types.Completion]:
    """How one declared argument completes, from its check (or, for `board`, its name)."""
    if arg.name == "board":  # pick_board's argument: the names only matter (and only work) with several boards
        names = [name for name, key in prompts.boards_of(catalog).items() if key]
        return lambda typed: matching(names, typed)
    if arg.check is prompts.node_arg:
        return complete_nodes
    if arg.check is prompts.node_list_arg:
        return complete_node_list
    if isinstance(arg.check, prompts.Choice):
        options = arg.check.options
        return lambda typed: matching(options, typed)
    return lambda typed: matching((), typed)  # numbers, free text, netlists: nothing to offer


def complete_prompt(catalog: prompts.Catalog, name: str, argument: str, typed: str) -> types.Completion:
    spec = prompts.BY_NAME.get(name)
    if spec is None:
        raise invalid("ref.name", f"no prompt named {name!r}", list(prompts.BY_NAME))
    for arg in spec.arguments:
        if arg.name == argument:
            return prompt_values(arg, catalog)(typed)
    raise invalid("argument.name", f"prompt {name} has no argument {argument!r}", [a.name for a in spec.arguments])


# --- resource-template variables ----------------------------------------------------------------------------


def capture_names(waveforms_only: bool = False) -> list[str]:
    """The captures folder's files, newest first, as jumperless://captures lists them."""
    return [
        str(entry["name"])
        for entry in list_captures(limit=MAX_CAPTURES)
        if not waveforms_only or entry["kind"] == WAVEFORM
    ]


def variable_values(view: Resources, template: str, variable: str) -> list[str]:
    """The values a template variable may take now; none for a variable without a known set."""
    if variable == "board":
        return view.board_names()  # the boards resources/read serves
    if variable == "slot":
        return [str(slot) for slot in range(NUM_SLOTS)]
    if variable == "name":
        return capture_names(waveforms_only=template.endswith("/plot.png"))  # only waveforms have a plot
    if variable == "topic":
        return list(REFERENCE)
    return []


def complete_resource(view: Resources, uri: str, argument: str, typed: str) -> types.Completion:
    templates = [str(template.uri_template) for template in view.templates()]
    if uri not in templates:
        raise invalid("ref.uri", f"{uri!r} is not a resource template of this server", templates)
    variables = _VARIABLE.findall(uri)
    if argument not in variables:
        raise invalid("argument.name", f"template {uri} has no variable {argument!r}", variables)
    return matching(variable_values(view, uri, argument), typed)


# --- the server side ----------------------------------------------------------------------------------------


def complete(catalog: prompts.Catalog, view: Resources, params: types.CompleteRequestParams) -> types.Completion:
    argument, typed = params.argument.name, params.argument.value
    if isinstance(params.ref, types.PromptReference):
        return complete_prompt(catalog, params.ref.name, argument, typed)
    return complete_resource(view, str(params.ref.uri), argument, typed)


def handlers(catalog: prompts.Catalog, view: Resources) -> dict[str, Any]:
    """`on_completion` for the low-level Server (which then declares the `completions` capability)."""

    async def on_completion(
        ctx: ServerRequestContext[Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        return types.CompleteResult(completion=complete(catalog, view, params))

    return {"on_completion": on_completion}
