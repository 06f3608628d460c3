"""Every piece of Python the host can generate from the catalog, for one firmware tree, built by the host's own code.

Each catalog function available in the tree's firmware version is built with `build_call` for every
combination of given and omitted optional arguments, and once for each further representative value of each
argument (node names, extreme numbers, non-ASCII text with quotes, newlines, Ctrl-C and Ctrl-D, JSON documents,
colour lists). Each call becomes the host's tagged statement (`steps.statement`) and runs alone in the raw
REPL's framing; all of a tree's calls also run as one batch (`steps.render`) in both framings, each after the
transport's own `prepare`: the raw REPL's (statements joined with newlines, as `transport_raw_repl` sends them)
and the `>` one-liner's (chunked by the session's `_chunks`, each `transport_oneliner` line without the bytes
the line editor takes).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from firmware_api.calls import Call, build_call
from firmware_api.catalog import Arg, ArgKind, Function, Returns, functions, lookup
from firmware_api.errors import ArgumentError
from firmware_api.signatures import Tree
from jumperless_mcp.bench.steps import NONCE_BYTES, SIZING_NONCE, Step, render, statement
from jumperless_mcp.link.session import _chunks
from jumperless_mcp.link.transport_oneliner import SO, OneLinerTransport
from jumperless_mcp.link.transport_raw_repl import RawReplTransport

WEIRD_TEXT = "pl\u00e9in 'single' \"double\" \\ back\nnew\rline\ttab \x03\x04\x11 \U0001f600 \u2603 '''"
JSON_DOCUMENT = {
    "nets": [{"nodes": ["20", "21"], "name": "n\u00e9t \U0001f600 'q' \"dq\""}],
    "power": {"dac0": 1.5},
}
NONCE = "0123abcd"
NUMBER_KINDS = ("float", "str_or_float")  # ArgKind values that may carry a float
_INT32 = (-(2**31), 2**31 - 1)  # build_call's bounds for an int argument without its own
_TAG = re.compile(rf"print\('\\x1e[0-9a-f]{{{2 * NONCE_BYTES}}}(\d+):'\+repr\(([A-Za-z_]\w*)\(")


@dataclass(frozen=True)
class HostSource:
    """One source as the board would receive it, where it came from, and the tree it is checked against."""

    tree: Tree
    text: str
    origin: str


# By ArgKind value, so a kind added to or dropped from the catalog fails with a message, not an import error.
_SAMPLES: dict[str, list[object]] = {
    "node": [20, "D13", "TOP_RAIL", "GND", "DAC0", "ADC1", "GPIO_1", "A0", 60],
    "slot": [0, 7],
    "dac_channel": [0, "DAC1", "TOP_RAIL", "BOTTOM_RAIL"],
    "adc_channel": [0, 3],
    "ina_sensor": [0, 1],
    "gpio_pin": [1, "GPIO_8", "UART_TX", 10],
    "pwm_pin": [1, "GPIO_8"],
    "wave": ["sine", 3, "triangle", "sawtooth"],
    "bool": [True, False],
    "str": ["plain", WEIRD_TEXT],
    "str_or_int": ["plain", 7, WEIRD_TEXT],
    "json": [JSON_DOCUMENT, json.dumps(JSON_DOCUMENT, ensure_ascii=False)],
    "colors": [],  # sized from the other arguments: see _with_colors
}


def samples(arg: Arg) -> list[object]:
    """Representative valid values of one argument, the most ordinary first."""
    if arg.kind.value in _SAMPLES:
        return _SAMPLES[arg.kind.value]
    if arg.kind.value in NUMBER_KINDS:
        return float_samples(arg) if arg.kind is ArgKind.FLOAT else ["plain", *float_samples(arg), WEIRD_TEXT]
    if arg.kind is ArgKind.INT:
        lo = int(arg.minimum) if arg.minimum is not None else _INT32[0]
        hi = int(arg.maximum) if arg.maximum is not None else _INT32[1]
        return sorted({lo, hi, *(v for v in (0, 1) if lo <= v <= hi)}, key=lambda v: (v not in (0, 1), v))
    raise AssertionError(
        f"no representative values for argument kind {arg.kind}: add them to tests/micropython_sources"
    )


def float_samples(arg: Arg) -> list[float]:
    """An awkward value inside the range (17 significant digits on the wire), then both bounds."""
    lo = arg.minimum if arg.minimum is not None else -1e300  # unbounded: the host would send any double
    hi = arg.maximum if arg.maximum is not None else 1e300
    return [lo + (hi - lo) / 3, float(lo), float(hi)]


def _differs(arg: Arg, value: object) -> bool:
    return arg.required or not (type(value) is type(arg.default) and value == arg.default)


def _with_colors(function: Function, values: dict[str, object], nested: bool = False) -> dict[str, object]:
    """Give each COLORS argument exactly as many colours as its `count_of` arguments ask for."""
    by_name = {arg.name: arg for arg in function.args}
    for arg in function.args:
        if arg.kind.value != "colors":
            continue
        dims = [int(values.get(name, by_name[name].default)) for name in arg.count_of]  # type: ignore[call-overload]
        count = math.prod(dims) if dims else 1
        colours = [(0x12AB34 + 0x010101 * i) & 0xFFFFFF for i in range(count)]
        if nested and len(dims) == 2:
            rows, width = dims
            values[arg.name] = [colours[r * width : (r + 1) * width] for r in range(rows)]
        else:
            values[arg.name] = colours
    return values


def argument_sets(function: Function) -> Iterator[dict[str, object]]:
    """Every given/omitted combination of the optional arguments, then each further sample of each argument."""
    first = {arg.name: next((v for v in samples(arg) if _differs(arg, v)), None) for arg in function.args}
    required = [arg for arg in function.args if arg.required]
    optional = [arg for arg in function.args if not arg.required]
    for given in itertools.product((False, True), repeat=len(optional)):
        chosen = {arg.name: first[arg.name] for arg in required}
        chosen |= {arg.name: first[arg.name] for arg, on in zip(optional, given, strict=True) if on}
        yield _with_colors(function, {k: v for k, v in chosen.items() if v is not None})
    complete = {k: v for k, v in first.items() if v is not None}
    for arg in function.args:
        for value in samples(arg)[1:]:
            yield _with_colors(function, complete | {arg.name: value})
        if arg.kind.value == "colors":
            yield _with_colors(function, dict(complete), nested=True)


def catalog_calls(tree: Tree) -> list[Call]:
    """Every distinct call the host can build for the tree's firmware version (optional functions it lacks left out)."""
    calls: dict[str, Call] = {}
    for function in functions(tree.version):
        if function.optional and function.name not in tree.table.functions:
            continue  # the host maps the NameError to unsupported_by_firmware
        for values in argument_sets(function):
            try:
                call = build_call(function.name, tree.version, **values)
            except ArgumentError as exc:
                raise AssertionError(f"{function.name}({values!r}) is not a valid host call: {exc}") from None
            calls.setdefault(call.source, call)
    return list(calls.values())


def one_liner(statements: list[str], tree: Tree) -> list[str]:
    """The `>` lines the host sends for these statements: prepared and chunked as the session does, each without
    the bytes the firmware's line editor takes (JumperlOS's leading SO, the `>` command, the final newline).

    A statement longer than the line limit is left out: the session refuses it before sending anything.
    """
    transport = OneLinerTransport(None, tree.family)  # type: ignore[arg-type]  # framing only: no link used
    prepared = [line for line in transport.prepare(statements) if len(line) <= (transport.max_line or len(line))]
    lines = [transport._line(chunk, NONCE) for chunk in _chunks(prepared, transport.max_line)]
    return [line.lstrip(SO).removeprefix(b">").removesuffix(b"\n").decode() for line in lines]


def raw_repl(statements: list[str]) -> str:
    """The code the host sends before Ctrl-D on the raw REPL (prepared as the session prepares it)."""
    return "\n".join(RawReplTransport(None).prepare(statements))  # type: ignore[arg-type]  # no link used


def generated_sources(tree: Tree) -> list[HostSource]:
    """Each call alone (raw REPL framing), then all of them as one batch in both framings."""
    calls = catalog_calls(tree)
    sources = [HostSource(tree, raw_repl([statement(0, c)]), f"generated {c.function.name}, raw REPL") for c in calls]
    batch = render([Step([call]) for call in calls], SIZING_NONCE)
    sources.append(HostSource(tree, raw_repl(batch), f"generated batch of {len(batch)} calls, raw REPL"))
    lines = one_liner(batch, tree)
    sources += [
        HostSource(tree, line, f"generated batch, one-liner {i + 1}/{len(lines)}") for i, line in enumerate(lines)
    ]
    return sources


def tagged_calls(source: str) -> list[tuple[int, str]]:
    """(tag index, function name) of each host statement `print('\\x1e<nonce><n>:'+repr(<function>(...)))`."""
    return [(int(index), name) for index, name in _TAG.findall(source)]


def declared_returns(tree: Tree, name: str) -> Returns:
    return lookup(name, tree.version).returns
