"""How `Board` calls travel: each call becomes one statement that prints a tagged result line.

    print('\\x1e5f3a3:'+repr(connect(83, 20)))   ->   "\\x1e5f3a3:None"

The tag holds a nonce drawn for each request (4 hex digits) and the call's index in it, so a line that only
looks like a result (printed by a board function or a script, from an earlier request, or
unsolicited) is text, never a value: other lines, tagged with another nonce or none, are what
the call itself printed (print_bridges, set_state messages...) and belong to the next tagged
call. A `Step` is one user-level operation: one or more calls, and how their parsed values
combine into its result (a verified `connect` is `connect` + `is_connected`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from firmware_api.calls import Call
from firmware_api.errors import NonFiniteReading, ReplyParseError
from firmware_api.quoting import literal
from firmware_api.replies import parse_reply
from jumperless_mcp.errors import ProtocolError

RESULT_TAG = "\x1e"
NONCE_BYTES = 2  # 4 hex characters: every statement carries them, and a line's budget is tight on the `>` channel
SIZING_NONCE = "0" * 2 * NONCE_BYTES  # for measuring a statement; requests draw theirs with `new_nonce`

Combine = Callable[[list[object], list[str]], object]


def _first_value(values: list[object], outputs: list[str]) -> object:
    return values[0]


@dataclass
class Step:
    calls: list[Call]
    combine: Combine = _first_value
    label: str = ""
    nudge_main: bool = False  # may wait for a byte on the main port (print_nets' live mode)
    blocking: bool = field(init=False)

    def __post_init__(self) -> None:
        self.blocking = any(call.function.blocking for call in self.calls)
        if not self.label:
            self.label = self.calls[0].function.name if self.calls else "?"


def new_nonce() -> str:
    """A fresh request nonce, never the sizing one."""
    while (nonce := secrets.token_hex(NONCE_BYTES)) == SIZING_NONCE:
        pass
    return nonce


def statement(index: int, call: Call, nonce: str = SIZING_NONCE) -> str:
    return f"print({literal(f'{RESULT_TAG}{nonce}{index}:')}+repr({call.source}))"


def render(steps: Sequence[Step], nonce: str) -> list[str]:
    """The statements for a list of steps, numbered across the whole list, tagged with the request's nonce."""
    statements: list[str] = []
    for step in steps:
        for call in step.calls:
            statements.append(statement(len(statements), call, nonce))
    return statements


def split_output(stdout: str, nonce: str = SIZING_NONCE) -> tuple[dict[int, str], dict[int, str]]:
    """Results tagged with `nonce` by index, and the text printed before each of them.

    Calls run in order and print their results in order, so a repeated index (or one out of order) means the
    reply is not what was asked for: ProtocolError, never "the last one wins". (A chunk of a long request
    starts past index 0; a skipped index leaves the calls from there on without a result.)
    """
    prefix = f"{RESULT_TAG}{nonce}"
    results: dict[int, str] = {}
    printed: dict[int, str] = {}
    pending: list[str] = []
    for line in stdout.replace("\r\n", "\n").replace("\r", "").split("\n"):
        tag = _find_tag(line, prefix)
        if tag is None:
            if line.strip():
                pending.append(line)
            continue
        start, end, index = tag
        if results and index <= max(results):
            raise ProtocolError(
                f"the reply holds a second result for call {index}, or results out of order: "
                "something printed a line that imitates this request's results"
            )
        if line[:start].strip():
            pending.append(line[:start])
        results[index] = line[end:]
        printed[index] = "\n".join(pending)
        pending = []
    return results, printed


_INDEX = re.compile(r"(\d+):")


def _find_tag(line: str, prefix: str) -> tuple[int, int, int] | None:
    """(start, end, index) of the first `<prefix><index>:` in the line. A plain search for the nonce's prefix,
    not a regex built for each request's nonce (compiling one cost more than the rest of the parse)."""
    at = line.find(prefix)
    while at >= 0:
        digits = _INDEX.match(line, at + len(prefix))
        if digits is not None:
            return at, digits.end(), int(digits.group(1))
        at = line.find(prefix, at + 1)
    return None


def parse_values(
    steps: Sequence[Step], stdout: str, nonce: str = SIZING_NONCE
) -> tuple[list[list[object]], list[list[str]]]:
    """Per step: its calls' parsed values and printed text, for the calls that completed."""
    results, printed = split_output(stdout, nonce)
    values: list[list[object]] = []
    outputs: list[list[str]] = []
    index = 0
    for step in steps:
        step_values: list[object] = []
        step_outputs: list[str] = []
        for call in step.calls:
            if index not in results:
                break
            try:
                step_values.append(parse_reply(call.function.returns, results[index]))
            except ReplyParseError as exc:  # say which call answered oddly, not just what it said
                raise ReplyParseError(f"{call.source}: {exc}") from None
            except NonFiniteReading as exc:
                raise NonFiniteReading(exc.text, call.source) from None
            step_outputs.append(printed[index])
            index += 1
        values.append(step_values)
        outputs.append(step_outputs)
    return values, outputs
