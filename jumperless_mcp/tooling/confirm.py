"""A person confirms before a call energises the board, wipes it or runs code on it.

Declarative: a `ToolSpec` names its rule (`confirm=`), an async function of the call's checked arguments that
returns the exact action in words ("set TOP_RAIL to 9 V") when this call needs a person, None when it does not.
The runner asks (`ToolRunner.call`, after the arguments are checked and before anything is sent); who is asked
and how is the serving layer's business, reached through the `Asker` the server puts in a context variable for
the request it handles (`asking`). No asker, or a client that cannot answer forms, means no question: the call
runs as it always did (the tools' annotations are all such a client has).

The `confirm` setting picks what asks: "off" nothing, "risky" (default) what a rule returns an action for,
"all" every tool that changes the board (a rule's words where it has one, the call itself otherwise).
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jumperless_mcp.tooling.tool_context import ToolContext

Rule = Callable[["ToolContext", dict[str, Any]], Awaitable["str | None"]]
REQUIRES_INTERACTION_META = "anthropic/requiresUserInteraction"  # Claude Code's tools/list marker
FIELD = "confirm"  # the form's one required yes/no field


class Confirmable(Protocol):
    """What the asking needs of a tool declaration (a `ToolSpec`)."""

    @property
    def name(self) -> str: ...
    @property
    def mutates(self) -> bool: ...
    @property
    def confirm(self) -> Rule | None: ...


class Answer(enum.Enum):
    ACCEPT = "accept"  # the person said yes: run the call
    DECLINE = "decline"  # the person said no (or answered the form with confirm = false)
    CANCEL = "cancel"  # the person dismissed the form
    UNSUPPORTED = "unsupported"  # nobody can be asked (client without form elicitation): run as before


class Asker(Protocol):
    """Asks the person at the client one yes/no question about `action`."""

    def can_ask(self) -> bool:
        """Whether this client can answer at all (when not, no rule is even evaluated: no reads for nothing)."""
        ...

    async def ask(self, tool: str, action: str) -> Answer: ...


_ASKER: ContextVar[Asker | None] = ContextVar("jumperless_confirm_asker", default=None)


@contextmanager
def asking(asker: Asker | None) -> Iterator[None]:
    """Within the block (one request's handling), confirmations go to `asker`."""
    token = _ASKER.set(asker)
    try:
        yield
    finally:
        _ASKER.reset(token)


def current_asker() -> Asker | None:
    return _ASKER.get()


def form_schema(action: str) -> dict[str, Any]:
    """The elicitation form: one required yes/no, described by the exact action."""
    field = {"type": "boolean", "title": "Allow this?", "description": action, "default": False}
    return {"type": "object", "properties": {FIELD: field}, "required": [FIELD]}


def form_message(tool: str, action: str) -> str:
    return f"The agent wants to run {tool} on the Jumperless: {action}. Allow it?"


def answer_of(action: str, content: dict[str, Any] | None) -> Answer:
    """An accepted form counts as yes only with confirm = true."""
    if action == "accept":
        return Answer.ACCEPT if isinstance(content, dict) and content.get(FIELD) is True else Answer.DECLINE
    return Answer.CANCEL if action == "cancel" else Answer.DECLINE


# --- which calls ask ------------------------------------------------------------------------------


def may_ask(spec: Confirmable, mode: str) -> bool:
    """Whether some call of this tool asks under this mode (what the tools/list marker says)."""
    if mode == "all":
        return spec.mutates
    return mode == "risky" and spec.confirm is not None


async def action_for(spec: Confirmable, context: ToolContext, args: dict[str, Any]) -> str | None:
    """The action to confirm for this call under the configured mode, None when no person is needed."""
    mode = context.config.confirm
    if mode == "off" or not spec.mutates:
        return None
    action = await spec.confirm(context, args) if spec.confirm is not None else None
    if action is None and mode == "all":
        action = call_words(spec.name, args)
    return action


def call_words(tool: str, args: dict[str, Any]) -> str:
    """A call in words when no rule describes it: the tool and its arguments, long values cut."""
    shown = []
    for key, value in args.items():
        text = json.dumps(value, default=str)
        shown.append(f"{key}={text if len(text) <= 80 else text[:77] + '...'}")
    return f"{tool}({', '.join(shown)})"


# --- rule helpers for tool declarations ----------------------------------------------------------


def always(describe: Callable[[dict[str, Any]], str]) -> Rule:
    """Every call asks (a wipe, code run on the board)."""

    async def rule(context: ToolContext, args: dict[str, Any]) -> str | None:
        return describe(args)

    return rule


def beyond_volts(volts: float, context: ToolContext) -> bool:
    """A setpoint beyond the configured +/- confirm_above_volts (energising)."""
    return math.isfinite(volts) and abs(volts) > context.config.confirm_above_volts


def above_vpp(amplitude: float, context: ToolContext) -> bool:
    """A waveform generator amplitude above the configured confirm_above_vpp."""
    return math.isfinite(amplitude) and amplitude > context.config.confirm_above_vpp
