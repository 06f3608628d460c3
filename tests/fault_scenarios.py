"""Fault-injection scenarios, shared by tests/test_faults.py (small, bounded) and benchmarks/faults.py (long runs).

Each scenario drives the real code path (virtual board on real pseudo-terminals, `Board`, the MCP server) with
one kind of fault and returns a `Tally`: how many answers were right, which were wrong (the one thing that must
never happen), errors by kind, and recovery times. The tests assert on the tally; the benchmark prints it.
"""

from __future__ import annotations

import ast
import contextlib
import math
import os
import random
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from anyio.from_thread import BlockingPortal, start_blocking_portal
from capture_sources import burst_problems
from hypothesis import strategies as st
from mcp import Client, types
from mcp_harness import Harness, board_calls, serve

from firmware_api import python_ast
from firmware_api.catalog import by_name
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.multiboard.board_list import Bench, BoardList
from jumperless_mcp.serving.server import federation_server
from jumperless_mcp.settings import config as settings
from jumperless_mcp.tooling.tool_runner import error_details

LEGACY_TIME_SCALE = 0.05  # the 1 s `>` collector becomes 50 ms (as in conftest)
PERSONAS = ("jumperlos", "legacy")

# node() answers, from the node table: rows are themselves, Nano D0..D13 = 70..83, A0..A7 = 86..93
EXPECTED_IDS: dict[str | int, int] = {
    **{f"D{i}": 70 + i for i in range(14)},
    **{f"A{i}": 86 + i for i in range(8)},
    **{row: row for row in range(1, 61)},
}
NAMES = list(EXPECTED_IDS)

# Unsolicited output the firmware (or a script on it) may print: banners, ANSI, SO/SI, and look-alikes of every
# marker the host's framing uses (one-liner start/end markers, result tags, tracebacks, Ctrl-Q notices, the raw
# REPL's OK / \x04 / > frame).
PAYLOADS: tuple[bytes, ...] = (
    b"\x0e\r\n\t connect nodes\r\n\x0f",
    b"\x1b[32mProbe: row 12\x1b[0m\r\n\x1b[2K\x1b[1A",
    b"Jumperless V5 firmware 5.3.2.4\r\n\r\n\t\tMenu\r\n\r\n\tn = show netlist\r\n",
    b"\r\n\x1b[38;5;202mKeyboardInterrupt (Ctrl+Q)\n\r\x1b[38;5;69m",
    b"^Q\n\rKeyboardInterrupt (Ctrl+Q)\n\r",
    b"KeyboardInterrupt (Ctrl+Q)\r\n",
    b'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\nValueError: fake\r\n',
    b"Traceback (most recent call last):\r\n",
    b"\x1e1:-7.5\r\n",
    b"\x1e0:99\r\n\x1e2:'forged'\r\n",
    b"\x02deadbeef\r\n",
    b"deadbeef\x03\r\n",
    b"\x02",
    b"\x03",
    b"\x04",
    b"\x1e",
    b"OK",
    b">",
    b"\x04\x04>",
    b"OK\x1e0:99\r\n\x04\x04>",
    b"raw REPL; CTRL-B to exit\r\n>",
    b"MicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 with rp2350b\r\n>>> ",
)


def error_kind(exc: BaseException) -> str:
    """`BoardDisconnected` or `FirmwareError (not retryable)`: how the tallies name an error."""
    retryable = getattr(exc, "retryable", False)
    return str(getattr(exc, "kind", type(exc).__name__)) + ("" if retryable else " (not retryable)")


@dataclass
class Tally:
    """What one scenario saw."""

    calls: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)  # never allowed: an answer that is not the call's own
    errors: Counter[str] = field(default_factory=Counter)  # by error_kind()
    cancelled: int = 0
    recovery: list[float] = field(default_factory=list)  # seconds, e.g. replug to the first right answer
    notes: list[str] = field(default_factory=list)

    def check(self, what: str, value: object, expected: object) -> None:
        self.calls += 1
        if value == expected:
            self.right += 1
        else:
            self.wrong.append(f"{what}: got {value!r}, expected {expected!r}")

    def failed(self, exc: BaseException) -> None:
        while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:  # a task group's wrapping
            exc = exc.exceptions[0]
        self.calls += 1
        self.errors[error_kind(exc)] += 1

    def not_retryable(self) -> dict[str, int]:
        return {kind: n for kind, n in self.errors.items() if kind.endswith("(not retryable)")}

    def lines(self, title: str) -> list[str]:
        """The figures in the form of the reliability findings."""
        out = [
            f"{title}: {self.calls} calls, {self.right} right, {len(self.wrong)} wrong, "
            f"{sum(self.errors.values())} errors, {self.cancelled} cancelled"
        ]
        if self.errors:
            out.append("  errors by kind: " + ", ".join(f"{k} {n}" for k, n in self.errors.most_common()))
        if self.recovery:
            ms = sorted(1000 * r for r in self.recovery)
            p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
            out.append(f"  recovery: median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms")
        out += [f"  wrong: {w}" for w in self.wrong[:5]]
        out += [f"  note: {n}" for n in self.notes[:5]]
        return out


def virtual(persona: str, fs_dir: Path, **options: Any) -> VirtualBoard:
    """A started virtual board; legacy at the tests' time scale."""
    scale = LEGACY_TIME_SCALE if persona == "legacy" else 1.0
    return VirtualBoard(persona, fs_dir=fs_dir, time_scale=scale, **options).start()


class BoardRuns:
    """Watches (and can hold) the virtual board's Python runs through its runtime's recorder hook.

    `sources` is every source the board ran. `arm()` then `started()` waits until the board begins the next
    run: the host has sent the whole call and waits for its reply. With `hold=True` the board thread stays in
    that run until `release()`, so a test can act (cancel, unplug) at an exactly known point.
    """

    def __init__(self, vboard: VirtualBoard) -> None:
        self.sources: list[str] = []
        self._seen = threading.Event()
        self._go = threading.Event()
        self._armed = False
        self._hold = False
        vboard.runtime.recorder = self._record

    def _record(self, source: str) -> None:
        self.sources.append(source)
        if self._armed:
            self._armed = False
            self._seen.set()
            if self._hold:
                self._go.wait(10)  # a safety net: never hold the board thread for good

    def arm(self, *, hold: bool = False) -> None:
        self._seen.clear()
        self._go.clear()
        self._hold = hold
        self._armed = True

    async def started(self, limit: float = 20.0) -> None:
        if not await anyio.to_thread.run_sync(self._seen.wait, limit):
            raise AssertionError(f"the board ran nothing within {limit:g} s")

    def release(self) -> None:
        self._go.set()


# --- a. unplug / replug with a call in flight --------------------------------------------------------


async def unplug_replug(persona: str, cycles: int, seed: int = 1) -> Tally:
    """Each cycle: a blocking call in flight, the cable pulled, a call while unplugged, replug, a call.

    The in-flight call and the call while unplugged must fail retryable; the first call after replug must be
    right (recovery = replug to that answer).
    """
    rng = random.Random(seed)
    tally = Tally()
    target = "emulator:legacy" if persona == "legacy" else "emulator"
    options = {"time_scale": LEGACY_TIME_SCALE} if persona == "legacy" else {}
    async with Board.open(target, emulator_options=options) as board:
        vboard = board.virtual_board
        assert vboard is not None
        runs = BoardRuns(vboard)
        name = rng.choice(NAMES)
        tally.check(f"node({name!r}) before the first unplug", await board.node(name), EXPECTED_IDS[name])
        for cycle in range(cycles):
            outcome: dict[str, object] = {}

            async def in_flight(into: dict[str, object] = outcome) -> None:
                try:
                    into["value"] = await board.probe_read(timeout=30)
                except Exception as exc:
                    into["error"] = exc

            async with anyio.create_task_group() as group:
                runs.arm()
                group.start_soon(in_flight)
                await runs.started()  # the board runs probe_read: the call is in flight
                vboard.unplug()
            if "error" in outcome:
                tally.failed(outcome["error"])  # type: ignore[arg-type]
            else:
                tally.wrong.append(f"cycle {cycle}: the in-flight call returned {outcome.get('value')!r}")
            try:
                await board.node("D3")
                tally.wrong.append(f"cycle {cycle}: a call while unplugged answered")
            except Exception as exc:
                tally.failed(exc)
            vboard.replug()
            started = time.monotonic()
            name = rng.choice(NAMES)
            try:
                value = await board.node(name)
            except Exception as exc:
                tally.failed(exc)
                tally.notes.append(f"cycle {cycle}: the first call after replug failed: {exc}")
                continue
            tally.recovery.append(time.monotonic() - started)
            tally.check(f"cycle {cycle}: node({name!r}) after replug", value, EXPECTED_IDS[name])
    return tally


# --- b. injected unsolicited output -------------------------------------------------------------------


async def injected_output(persona: str, calls: int, fs_dir: Path, seed: int = 2, during: bool = True) -> Tally:
    """Calls with realistic junk and marker look-alikes injected on the board's ports.

    Junk goes on every port the firmware could print on: both ports on JumperlOS between calls (the REPL port
    only then: the firmware prints nothing unsolicited there while a reply is under way), the main port also
    while a call runs (`during`). Each call is a single `node()`, a batch of three (tagged results), or on
    JumperlOS a net name: every answer is checked against the call's own expected value.
    """
    rng = random.Random(seed)
    tally = Tally()
    vboard = virtual(persona, fs_dir)
    ports = ["main", "repl"] if vboard.repl else ["main"]  # 5.3.x CDC2 is the logic analyzer
    try:
        async with Board.open(vboard.info()) as board:
            for index in range(calls):
                payload = rng.choice(PAYLOADS)
                port = rng.choice(ports)
                mid_call = during and port == "main" and rng.random() < 0.5
                if not mid_call:
                    vboard.inject(port, payload)
                    if rng.random() < 0.5:
                        await anyio.sleep(0.01)
                names = rng.sample(NAMES, 3)
                try:
                    async with anyio.create_task_group() as group:
                        if mid_call:
                            group.start_soon(_inject_later, vboard, port, payload, rng.uniform(0, 0.08))
                        if index % 3 == 0:
                            async with board.batch() as batch:
                                pending = [batch.node(n) for n in names]
                            values: object = [p.value for p in pending]
                            expected: object = [EXPECTED_IDS[n] for n in names]
                        else:
                            values, expected = await board.node(names[0]), EXPECTED_IDS[names[0]]
                    tally.check(f"{'during' if mid_call else 'after'} {payload!r} on {port}", values, expected)
                except Exception as exc:
                    tally.failed(exc)
                    tally.notes.append(f"{payload!r} on {port} ({'during' if mid_call else 'before'}): {exc}")
    finally:
        vboard.stop()
    return tally


async def _inject_later(vboard: VirtualBoard, port: str, payload: bytes, delay: float) -> None:
    await anyio.sleep(delay)
    vboard.inject(port, payload)


# --- c. concurrent calls with random cancellations ---------------------------------------------------


async def concurrent_cancellations(persona: str, calls: int, fs_dir: Path, seed: int = 3, span: float = 1.0) -> Tally:
    """`calls` tasks started over `span` seconds, ~40 % under a short random limit (cancelled anywhere: in the
    queue, while sending, while the board runs the call). Each answer must be the call's own: a batch reads back
    the distinct DAC voltage it set, a node() its id; afterwards the board answers right at once."""
    rng = random.Random(seed)
    tally = Tally()
    vboard = virtual(persona, fs_dir)
    short = (0.0001, 0.003) if persona == "jumperlos" else (0.005, 0.12)
    try:
        async with Board.open(vboard.info()) as board:

            async def one(index: int, delay: float, limit: float) -> None:
                await anyio.sleep(delay)
                with anyio.move_on_after(limit) as scope:
                    try:
                        if index % 2:
                            volts = round(-4 + (index % 8000) / 1000, 3)  # distinct per call
                            async with board.batch() as batch:
                                batch.dac_set(index % 2, volts)
                                readback = batch.dac_get(index % 2)
                            tally.check(f"call {index}: dac_set/dac_get {volts}", readback.value, volts)
                        else:
                            name = NAMES[index % len(NAMES)]
                            tally.check(f"call {index}: node({name!r})", await board.node(name), EXPECTED_IDS[name])
                    except Exception as exc:
                        tally.failed(exc)
                if scope.cancelled_caught:
                    tally.cancelled += 1

            async with anyio.create_task_group() as group:
                for index in range(calls):
                    limit = rng.uniform(*short) if rng.random() < 0.4 else 60.0
                    group.start_soon(one, index, rng.uniform(0, span), limit)
            for name in rng.sample(NAMES, 5):
                tally.check(f"node({name!r}) after the storm", await board.node(name), EXPECTED_IDS[name])
    finally:
        vboard.stop()
    return tally


# --- d. every source the board runs is the call the host rendered ------------------------------------

FIRMWARE_FUNCTIONS = frozenset(by_name())
_FRAMING_CALLS = {"print", "kbd_intr"}  # markers and checks print constants; the one-liner re-arms Ctrl-Q


def _statements(source: str) -> list[ast.stmt]:
    return python_ast.parse(source).body


def _call_names(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            yield func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else "?"


def _is_framing(statement: ast.stmt) -> bool:
    """A transport's own statement: an import of micropython, or calls of print/kbd_intr on constants only."""
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names] == ["micropython"]
    if not isinstance(statement, ast.Expr):
        return False
    names = set(_call_names(statement))
    loads = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name)}
    return bool(names) and names <= _FRAMING_CALLS and loads <= {"print", "micropython"}


def rendered_problems(statement: str) -> list[str]:
    """What is wrong with one statement the host rendered: it must be one expression statement whose only
    names are print, repr and firmware functions (arguments are literals, so nothing else can appear)."""
    try:
        body = _statements(statement)
    except SyntaxError as exc:
        return [f"does not parse ({exc.msg}): {statement!r}"]
    if (burst := burst_problems(statement, FIRMWARE_FUNCTIONS)) is not None:  # the capture's fixed program
        return burst
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        return [f"is not one expression statement: {statement!r}"]
    names = {n.id for n in ast.walk(body[0]) if isinstance(n, ast.Name)}
    strange = names - FIRMWARE_FUNCTIONS - {"print", "repr"}
    return [f"names {sorted(strange)} outside the firmware table: {statement!r}"] if strange else []


def source_problems(rendered: list[list[str]], executed: list[str]) -> list[str]:
    """The board must have run exactly the rendered statements, in order, plus the transports' own framing."""
    problems = [p for batch in rendered for statement in batch for p in rendered_problems(statement)]
    wanted = [ast.dump(s) for batch in rendered for statement in batch for s in _parsed_or_empty(statement)]
    found = 0
    for source in executed:
        try:
            statements = _statements(source)
        except SyntaxError as exc:
            problems.append(f"the board got a source that does not parse ({exc.msg}): {source[:200]!r}")
            continue
        for statement in statements:
            if found < len(wanted) and ast.dump(statement) == wanted[found]:
                found += 1
            elif not _is_framing(statement):
                problems.append(f"the board ran a statement the host did not render: {ast.unparse(statement)[:300]!r}")
    if found < len(wanted):
        problems.append(f"the board ran {found} of the {len(wanted)} rendered statements: {executed!r}"[:600])
    return problems


def _parsed_or_empty(statement: str) -> list[ast.stmt]:
    try:
        return _statements(statement)
    except SyntaxError:
        return []


class Person:
    """Someone at the bench: touches the probe and presses its buttons now and then, so calls that wait for a
    person (probe_read, probe_button) end."""

    def __init__(self, vboard: VirtualBoard, every: float = 0.05) -> None:
        self.vboard = vboard
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="person", daemon=True)

    def _run(self) -> None:
        rows = 0
        while not self._stop.wait(self.every):
            rows += 1
            with contextlib.suppress(Exception):
                self.vboard.probe.touch(rows % 60 + 1)
            with contextlib.suppress(Exception):
                self.vboard.probe.press("connect" if rows % 2 else "remove")

    def __enter__(self) -> Person:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def result_problems(tool: str, arguments: dict[str, Any], result: types.CallToolResult) -> list[str]:
    """A proper result: text content; an error names its kind; a success has structured content."""
    text = result.content[0].text if result.content and isinstance(result.content[0], types.TextContent) else None
    if text is None:
        return [f"{tool}({arguments!r}): no text content"]
    if result.is_error:
        error = error_details(result) or {}
        if not error.get("kind") or not text.startswith(str(error["kind"])):
            return [f"{tool}({arguments!r}): error without a kind: {text[:200]!r}"]
        if error["kind"] == "internal_error":
            return [f"{tool}({arguments!r}): internal error: {text[:300]!r}"]
        return []
    return [] if result.structured_content is not None else [f"{tool}({arguments!r}): success without structure"]


# Text that tries to break out of a string literal or the transports' framing.
NASTY_TEXT = (
    "'",
    '"',
    "\\",
    "'); import os; print('",
    '"""',
    "\\'",
    "\x03\x04\x02\x01",
    "\n\r",
    "\x1e0:1",
    "Traceback (most recent call last):",
    "KeyboardInterrupt (Ctrl+Q)",
    "\u00e9\u2603\U0001f600",
    "{!r}%s",
)


def schema_strategy(schema: dict[str, Any], text_cap: int = 200) -> st.SearchStrategy[Any]:
    """Values valid for the JSON Schema subset the tools use (type, enum, anyOf, bounds, pattern, items); integers
    also as integral floats (JSON Schema accepts 1.0), strings also as literal-breaking text."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([schema_strategy(option, text_cap) for option in schema["anyOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([schema_strategy({**schema, "type": k}, text_cap) for k in kind])
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "integer":
        ints = st.integers(schema.get("minimum"), schema.get("maximum"))
        return ints | ints.filter(lambda n: abs(n) < 2**53).map(float)
    if kind == "number":
        floats = st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False)
        return floats | st.integers(
            None if schema.get("minimum") is None else math.ceil(schema["minimum"]),
            None if schema.get("maximum") is None else math.floor(schema["maximum"]),
        )
    if kind == "string":
        lo, hi = schema.get("minLength", 0), min(schema.get("maxLength", text_cap), text_cap)
        if "pattern" in schema:
            text = st.from_regex(schema["pattern"], fullmatch=True) | st.sampled_from(NASTY_TEXT)
            pattern = re.compile(schema["pattern"])
            return text.filter(lambda s: lo <= len(s) <= hi and pattern.search(s) is not None)
        return (st.text(min_size=lo, max_size=hi) | st.sampled_from(NASTY_TEXT)).filter(lambda s: lo <= len(s) <= hi)
    if kind == "array":
        items = schema_strategy(schema.get("items", {"type": "integer"}), text_cap)
        return st.lists(items, min_size=schema.get("minItems", 0), max_size=min(schema.get("maxItems", 8), 8))
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", ()))
        return st.fixed_dictionaries(
            {k: schema_strategy(v, text_cap) for k, v in properties.items() if k in required},
            optional={k: schema_strategy(v, text_cap) for k, v in properties.items() if k not in required},
        )
    return st.none() | st.booleans() | st.integers() | st.text(max_size=20)


async def fuzz_call(h: Harness, runs: BoardRuns, tool: str, arguments: dict[str, Any]) -> list[str]:
    """One tool call through the MCP server: a proper result, and the board ran exactly what the host rendered."""
    runs.sources.clear()
    with board_calls(h) as sent:
        try:
            result = await h.result(tool, **arguments)
        except Exception as exc:
            return [f"{tool}({arguments!r}): the client got no proper result: {exc!r}"]
    problems = source_problems(sent, list(runs.sources))
    return result_problems(tool, arguments, result) + [f"{tool}({arguments!r}): {p}" for p in problems]


@dataclass
class Fuzzer:
    """A served virtual board reached from synchronous code (hypothesis drives `call` from its own loop)."""

    portal: BlockingPortal
    h: Harness
    runs: BoardRuns
    tools: list[types.Tool]

    def call(self, tool: str, arguments: dict[str, Any]) -> list[str]:
        return self.portal.call(fuzz_call, self.h, self.runs, tool, arguments)

    def alive(self) -> list[str]:
        """The server still serves: the board answers a plain read after everything the fuzzer sent."""
        result = self.portal.call(lambda: self.h.result("dac_get", channel="DAC0"))
        return [] if not result.is_error else [f"dac_get failed after fuzzing: {result.content[0].text[:200]!r}"]


@contextlib.contextmanager
def fuzzer(persona: str, fs_dir: Path, timeout: float = 3.0) -> Iterator[Fuzzer]:
    """Our MCP server on a virtual board of this persona, with someone at the bench, for synchronous callers."""
    vboard = virtual(persona, fs_dir)
    try:
        with (
            Person(vboard),
            start_blocking_portal() as portal,
            portal.wrap_async_context_manager(serve(vboard, timeout=timeout)) as h,
        ):
            runs = BoardRuns(vboard)
            tools = portal.call(h.client.list_tools).tools
            yield Fuzzer(portal, h, runs, list(tools))
    finally:
        vboard.stop()


# --- e. corrupted config files while serving ----------------------------------------------------------

GOOD_CONFIG = '# the bench\n[boards.one]\nport = "emulator"\nmax_voltage = 5.0\nmin_voltage = -5.0\ntimeout = 5.0\n'


def corrupted_configs(rng: random.Random, count: int) -> list[tuple[str, bytes]]:
    """(label, content): truncations mid-write at every kind of place, garbage, deep nesting, an empty file."""
    good = GOOD_CONFIG.encode()
    fixed = [
        ("empty file", b""),
        ("first line only", good[: good.index(b"\n") + 1]),
        ("truncated after the port", good[: good.index(b"max_voltage")]),
        ("truncated inside max_voltage", good[: good.index(b"5.0") + 1]),
        ("garbage bytes", bytes(rng.randrange(256) for _ in range(200))),
        ("deep array", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n"),
        ("deep table", b"x = " + b"{a = " * 3000 + b"1" + b"}" * 3000 + b"\n"),
        ("NUL bytes", good.replace(b"5.0", b"5\x00.0")),
    ]
    cuts = [
        (f"truncated at byte {n}", good[:n]) for n in sorted(rng.sample(range(1, len(good)), min(count, len(good) - 1)))
    ]
    return (fixed + cuts)[: max(count, len(fixed))]


def write_config(path: Path, content: bytes, stamp: int) -> None:
    """Write and give the file a distinct mtime (some filesystems keep whole seconds)."""
    path.write_bytes(content)
    os.utime(path, (stamp, stamp))


@contextlib.asynccontextmanager
async def config_bench(path: Path, settle: float = 0.01) -> AsyncIterator[tuple[Bench, Client]]:
    """A server on the boards of the config file at `path`, reloaded only when `bench.rescan()` is awaited."""
    environ = {settings.CONFIG_ENV: str(path)}
    config = settings.load(environ=environ)
    bench = Bench(
        BoardList(config, reload=lambda: settings.load(environ=environ), config_path=path, scan=list, settle=settle)
    )
    await bench.start()
    try:
        async with Client(federation_server(bench.federation, environ={}), mode="legacy") as client:
            yield bench, client
    finally:
        await bench.federation.aclose()


async def config_corruption(path: Path, count: int, seed: int = 5) -> Tally:
    """Serve a board whose file says 5 V; write each corrupted content and reload: the board keeps answering and
    7 V stays refused. Then the good file again, and the board still answers."""
    rng = random.Random(seed)
    tally = Tally()
    write_config(path, GOOD_CONFIG.encode(), 1_000_000)
    stamp = 1_000_000
    async with config_bench(path) as (bench, client):
        await _expect_serving(client, tally, "at start")
        for label, content in corrupted_configs(rng, count):
            stamp += 10
            write_config(path, content, stamp)
            try:
                await bench.rescan()
            except Exception as exc:
                tally.failed(exc)
                tally.notes.append(f"{label}: the reload raised {exc!r}")
            await _expect_serving(client, tally, label)
            stamp += 10
            write_config(path, GOOD_CONFIG.encode(), stamp)
            await bench.rescan()
    return tally


async def _expect_serving(client: Client, tally: Tally, label: str) -> None:
    """dac_get answers; dac_set 7 V (above the file's 5 V) is refused and never reaches the board."""
    got = await client.call_tool("dac_get", {"channel": "DAC0"})
    if got.is_error:
        tally.failed(_ResultError(got))
        tally.notes.append(f"{label}: dac_get failed: {got.content[0].text[:200]!r}")
    else:
        tally.check(f"{label}: dac_get answers", True, True)
    wide = await client.call_tool("dac_set", {"channel": "DAC0", "voltage": 7.0})
    kind = (error_details(wide) or {}).get("kind")
    tally.check(f"{label}: dac_set 7 V refused (limit 5 V)", kind, "invalid_argument")


class _ResultError(Exception):
    """An MCP error result, tallied by its kind."""

    def __init__(self, result: types.CallToolResult) -> None:
        error = error_details(result) or {}
        super().__init__(result.content[0].text if result.content else "")
        self.retryable = bool(error.get("retryable"))
        self.kind = str(error.get("kind"))
