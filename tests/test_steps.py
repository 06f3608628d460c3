"""How calls travel and come back: tagged result lines, untagged printed text, partial replies.

The statements are built by the real `Board` step builders, and two tests run them on the virtual
board (raw REPL: `\\n` endings; 5.3.x main port: `\\r\\n` endings and an echo-free `>` line).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from serial_clients import MainPortClient, RawRepl

from firmware_api.calls import build_call
from firmware_api.errors import ReplyParseError
from firmware_api.values import GPIOState
from firmware_api.versions import Family
from jumperless_mcp.bench.board import ConnectionResult, connect_step, plain_step
from jumperless_mcp.bench.steps import (
    RESULT_TAG,
    SIZING_NONCE,
    Step,
    new_nonce,
    parse_values,
    render,
    split_output,
    statement,
)
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import ProtocolError

JOS, LEGACY = Family.JUMPERLOS, Family.LEGACY
NONCE = "5f3a"
TAG = f"{RESULT_TAG}{NONCE}"  # then the index and a colon


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))


def step(name: str, *args: object, family: Family = JOS) -> Step:
    return plain_step(name, family, args, {})


# --- rendering --------------------------------------------------------------------------------------------------------


def test_each_call_prints_its_nonce_index_and_repr() -> None:
    call = build_call("connect", JOS, "D13", 20)
    assert statement(3, call, NONCE) == r"print('\x1e5f3a3:'+repr(connect(83, 20)))"
    assert statement(3, call, NONCE).isascii() and RESULT_TAG not in statement(3, call)  # the tag byte: on the board
    assert len(statement(3, call)) == len(statement(3, call, new_nonce()))  # sizing measures the real length
    assert len({new_nonce() for _ in range(20)}) == 20 and SIZING_NONCE not in {new_nonce() for _ in range(20)}


def test_render_numbers_calls_across_steps() -> None:
    steps = [step("dac_set", 0, 1.5), connect_step(JOS, 1, 2), step("adc_get", 0)]
    statements = render(steps, NONCE)
    assert [re.match(r"print\('\\x1e5f3a(\d+):'", s).group(1) for s in statements] == ["0", "1", "2", "3", "4"]  # type: ignore[union-attr]
    assert "connect(1, 2)" in statements[1]
    assert "is_connected(1, 2)" in statements[2] and "get_path_between(1, 2)" in statements[3]
    assert "adc_get(0)" in statements[4]


def test_step_flags() -> None:
    assert step("probe_read").blocking and not step("adc_get", 0).blocking
    assert step("print_nets").nudge_main and not step("print_bridges").nudge_main
    assert step("adc_get", 0).label == "adc_get" and connect_step(LEGACY, 1, 2).label == "connect"


# --- splitting output ----------------------------------------------------------------------------------------------


def test_untagged_lines_belong_to_the_next_tagged_result() -> None:
    stdout = f"boot noise\n{TAG}0:None\nwarning: slow\nmore\n{TAG}1:1.5\n{TAG}2:'x:y'\n"
    results, printed = split_output(stdout, NONCE)
    assert results == {0: "None", 1: "1.5", 2: "'x:y'"}  # only the first ':' separates index and value
    assert printed == {0: "boot noise", 1: "warning: slow\nmore", 2: ""}


def test_text_printed_without_a_newline_before_the_tag() -> None:
    results, printed = split_output(f"no newline here{TAG}0:None\n", NONCE)
    assert results == {0: "None"} and printed == {0: "no newline here"}


def test_crlf_and_lf_cr_endings() -> None:
    stdout = f"\n\rBridge Array\n\r\n\r0  [1,2,Net 6],\n\r{TAG}0:None\r\n{TAG}1:CONNECTED\r\n"
    results, printed = split_output(stdout, NONCE)
    assert results == {0: "None", 1: "CONNECTED"}  # no stray '\r' in a value
    assert printed[0] == "Bridge Array\n0  [1,2,Net 6],"


def test_lines_that_only_look_tagged_are_printed_text() -> None:
    forged = f"{RESULT_TAG}0:1\n{RESULT_TAG}a1b20:2\n{RESULT_TAG}{NONCE}x:3"  # no nonce, another nonce, no index
    results, printed = split_output(f"{TAG}abc:1\n{TAG}:2\n{forged}\n{TAG}0:None\n{RESULT_TAG}0:4\n", NONCE)
    assert results == {0: "None"}
    assert printed[0] == f"{TAG}abc:1\n{TAG}:2\n{forged}"


@pytest.mark.parametrize("stdout", [f"{TAG}0:1.5\n{TAG}0:-7.5\n", f"{TAG}0:1.5\n{TAG}2:1\n{TAG}1:-7.5\n"])
def test_a_result_of_ours_repeated_or_out_of_order_is_a_protocol_error(stdout: str) -> None:
    with pytest.raises(ProtocolError, match="imitates this request's results"):
        split_output(stdout, NONCE)


def test_print_output_is_attributed_to_its_call() -> None:
    steps = [step("adc_get", 0), step("print_bridges"), step("gpio_get", 1)]
    stdout = f"{TAG}0:0.5\n\n\rBridge Array\n\r0  [1,2,Net 6],\n\r{TAG}1:None\n{TAG}2:HIGH\n"
    values, outputs = parse_values(steps, stdout, NONCE)
    assert values == [[0.5], [None], [GPIOState.HIGH]]
    assert outputs == [[""], ["Bridge Array\n0  [1,2,Net 6],"], [""]]
    assert steps[1].combine(values[1], outputs[1]) == "Bridge Array\n0  [1,2,Net 6],"


def test_a_multi_call_step_combines_its_values() -> None:
    steps = [connect_step(JOS, "D13", 20), connect_step(JOS, 12, "TOP_RAIL")]
    path = "{'node1': 83, 'node2': 20, 'net': 6}"
    stdout = f"{TAG}0:None\n{TAG}1:CONNECTED\n{TAG}2:{path}\n{TAG}3:None\n{TAG}4:CONNECTED\n{TAG}5:None\n"
    values, outputs = parse_values(steps, stdout, NONCE)
    assert values[0] == [None, True, {"node1": 83, "node2": 20, "net": 6}]
    assert steps[0].combine(values[0], outputs[0]) == ConnectionResult("connect", 83, 20, True, True)
    # stored (is_connected) but never routed (no path): not connected
    assert steps[1].combine(values[1], outputs[1]) == ConnectionResult("connect", 12, 101, False, True)


def test_a_reply_that_stopped_early_leaves_the_rest_missing() -> None:
    steps = [step("dac_set", 0, 1.0), connect_step(LEGACY, 1, 2), step("adc_get", 0), step("adc_get", 1)]
    stdout = f"{TAG}0:None\r\n{TAG}1:None\r\n"  # stopped inside the connect step (e.g. a traceback came next)
    values, outputs = parse_values(steps, stdout, NONCE)
    assert values == [[None], [None], [], []]
    assert [len(o) for o in outputs] == [1, 1, 0, 0]
    assert split_output("", NONCE) == ({}, {})
    assert parse_values(steps, "", NONCE) == ([[], [], [], []], [[], [], [], []])


def test_a_value_of_the_wrong_kind_is_a_parse_error() -> None:
    with pytest.raises(ReplyParseError, match=r"^adc_get\(0\): not a number: 'HIGH'$"):
        parse_values([step("dac_set", 0, 1.0), step("adc_get", 0)], f"{TAG}0:None\n{TAG}1:HIGH\n", NONCE)


# --- the statements on the virtual board ------------------------------------------------------------------------------


def test_rendered_calls_on_the_raw_repl(jos_board: VirtualBoard, repl: RawRepl) -> None:
    steps = [step("dac_set", 0, 2.5), connect_step(JOS, "DAC0", "ADC0"), step("print_bridges"), step("adc_get", 0)]
    stdout, stderr = repl.exec("\n".join(render(steps, NONCE)))
    assert stderr == "" and f"{TAG}0:None\n{TAG}1:None\n" in stdout  # '\n' endings on the raw REPL
    values, outputs = parse_values(steps, stdout, NONCE)
    results = [s.combine(v, o) for s, v, o in zip(steps, values, outputs, strict=True)]
    assert results[0] is None
    assert results[1] == ConnectionResult("connect", 106, 110, True, True)
    assert "[DAC_0,ADC_0," in results[2]
    assert results[3] == pytest.approx(2.5)


def test_rendered_calls_on_the_legacy_main_port(legacy_board: VirtualBoard) -> None:
    steps = [step("dac_set", 1, 1.25, family=LEGACY), connect_step(LEGACY, "DAC1", "ADC1"), step("adc_get", 1)]
    with MainPortClient(legacy_board.main_path) as client:
        client.send(b"E")  # menu off, as the session does not need it
        client.read_quiet(0.2)
        client.send((">" + ";".join(render(steps, NONCE)) + ";print('END'+'!')\n").encode())
        raw = client.read_until(b"END!").decode()
    assert "\r\n" in raw  # the main port cooks '\n' into '\r\n'
    values, outputs = parse_values(steps, raw[: raw.index("END!")], NONCE)
    assert values == [[None], [None, True], [pytest.approx(1.25)]]
    assert steps[1].combine(values[1], outputs[1]).ok
