"""How `Board` calls travel: each call becomes one statement that prints a tagged result line.

    print('\\x1e3:'+repr(connect(83, 20)))   ->   "\\x1e3:None"

Lines without the tag are what the call itself printed (print_bridges, set_state
messages...) and belong to the next tagged call. A `Step` is one user-level
operation: one or more calls, and how their parsed values combine into its result
(a verified `connect` is `connect` + `is_connected`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from firmware_api.calls import Call
from firmware_api.errors import ReplyParseError
from firmware_api.quoting import literal
from firmware_api.replies import parse_reply

RESULT_TAG = "\x1e"

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


def statement(index: int, call: Call) -> str:
    return f"print({literal(f'{RESULT_TAG}{index}:')}+repr({call.source}))"


def render(steps: Sequence[Step]) -> list[str]:
    """The statements for a list of steps, numbered across the whole list."""
    statements: list[str] = []
    for step in steps:
        for call in step.calls:
            statements.append(statement(len(statements), call))
    return statements


def split_output(stdout: str) -> tuple[dict[int, str], dict[int, str]]:
    """Tagged results by index, and the untagged text printed before each of them."""
    results: dict[int, str] = {}
    printed: dict[int, str] = {}
    pending: list[str] = []
    for line in stdout.replace("\r\n", "\n").replace("\r", "").split("\n"):
        tag = line.find(RESULT_TAG)
        if tag >= 0:
            head, _, value = line[tag + 1 :].partition(":")
            if head.isdigit():
                if line[:tag].strip():
                    pending.append(line[:tag])
                index = int(head)
                results[index] = value
                printed[index] = "\n".join(pending)
                pending = []
                continue
        if line.strip():
            pending.append(line)
    return results, printed


def parse_values(steps: Sequence[Step], stdout: str) -> tuple[list[list[object]], list[list[str]]]:
    """Per step: its calls' parsed values and printed text, for the calls that completed."""
    results, printed = split_output(stdout)
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
            step_outputs.append(printed[index])
            index += 1
        values.append(step_values)
        outputs.append(step_outputs)
    return values, outputs
