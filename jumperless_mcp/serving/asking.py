"""Asking the person at an MCP client to confirm one action (the `Asker` of tooling/confirm.py).

Two ways, chosen by the protocol the client speaks:
- handshake-era clients (up to 2025-11-25) that declared form elicitation get a server-to-client
  `elicitation/create` while the call waits;
- 2026-07-28 clients get the question as the call's result (`input_required`, SEP-2322): the call ends
  without touching the board, and the client sends it again with the answer in `inputResponses` and our
  `requestState` echoed. The state names the action's digest, so an answer counts only for the question
  shown; the SDK's `RequestStateBoundary` (installed by `federation_server`) seals it and binds it to the
  tool name and arguments, so it cannot be forged or replayed for another call.
A client that declared no form elicitation cannot be asked: the call runs as before (`Answer.UNSUPPORTED`).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from mcp import types
from mcp.server import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import is_version_at_least

from jumperless_mcp.tooling import confirm
from jumperless_mcp.tooling.tool_runner import ToolFailure

log = logging.getLogger("jumperless_mcp.serving.asking")
INPUT_REQUIRED_VERSION = "2026-07-28"  # the first revision whose tools/call carries questions in its result
KEY = "jumperless_confirm"  # our key in inputRequests / inputResponses
STATE_PREFIX = "confirm:"


class InputRequired(Exception):
    """End this tools/call with `result` (an input_required result); raised through the tool layers."""

    def __init__(self, result: types.InputRequiredResult) -> None:
        super().__init__("input required")
        self.result = result


def can_answer_forms(capabilities: types.ClientCapabilities | None) -> bool:
    """Form elicitation declared (an empty `elicitation` object means form mode, per the spec)."""
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None:
        return False
    return elicitation.form is not None or elicitation.url is None


def _digest(tool: str, action: str) -> str:
    return STATE_PREFIX + hashlib.sha256(f"{tool}\n{action}".encode()).hexdigest()[:32]


class SessionAsker:
    """Asks the client of one tools/call request."""

    def __init__(self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> None:
        self._ctx = ctx
        self._params = params

    def can_ask(self) -> bool:
        session = self._ctx.session
        if not can_answer_forms(session.client_capabilities):
            return False
        if self._modern() or session.can_send_request:
            return True
        log.warning("the client declared elicitation but this channel cannot ask it: calls run unconfirmed")
        return False

    def _modern(self) -> bool:
        return is_version_at_least(self._ctx.protocol_version, INPUT_REQUIRED_VERSION)

    async def ask(self, tool: str, action: str) -> confirm.Answer:
        session = self._ctx.session
        if not self.can_ask():
            return confirm.Answer.UNSUPPORTED
        message, schema = confirm.form_message(tool, action), confirm.form_schema(action)
        if self._modern():
            return self._answered(tool, action, message, schema)
        try:
            result = await session.elicit_form(message, schema, related_request_id=self._ctx.request_id)
        except MCPError as exc:
            raise _unasked(tool, action, exc.error.message) from None
        except Exception as exc:  # no back channel, a malformed answer: not asked is not a yes
            raise _unasked(tool, action, f"{type(exc).__name__}: {exc}") from None
        return confirm.answer_of(result.action, result.content)

    def _answered(self, tool: str, action: str, message: str, schema: dict[str, Any]) -> confirm.Answer:
        """The answer the client sent with this call, or the question as an input_required result."""
        state = _digest(tool, action)
        answer = (self._params.input_responses or {}).get(KEY)
        if answer is not None and self._params.request_state == state:
            if not isinstance(answer, types.ElicitResult):
                raise _unasked(tool, action, "the client answered the confirmation with something else than a form")
            return confirm.answer_of(answer.action, answer.content)
        request = types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema=schema))
        raise InputRequired(types.InputRequiredResult(input_requests={KEY: request}, request_state=state))


def _unasked(tool: str, action: str, why: str) -> ToolFailure:
    message = f"could not ask the person to confirm {tool} ({action}): {why}; nothing was sent to the board"
    return ToolFailure(message, "confirmation_failed", True, {"action": action, "sent_to_board": False})
