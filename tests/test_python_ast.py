"""Python ASTs are built one thread at a time (firmware_api.python_ast).

CPython 3.11 shares the AST constructor's depth counter between threads; a virtual board parsing a call while
the host parses a reply (or another board parses its own call) failed in CI with `SystemError: AST constructor
recursion depth mismatch`, and the board's thread died. The first two tests show that both sides take the lock;
the third runs the interleaving that reproduces the fault on bare `ast.parse`.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from serial_clients import RawRepl

from firmware_api import python_ast
from firmware_api.replies import parse_literal

HELD = 0.3  # seconds the test holds the lock; nothing can finish meanwhile, however loaded the machine is


def test_the_virtual_board_compiles_a_call_only_under_the_ast_lock(repl: RawRepl) -> None:
    with ThreadPoolExecutor(1) as pool:
        with python_ast.AST_LOCK:
            pending = pool.submit(repl.lines, "print(6 * 7)")
            done, _ = wait([pending], timeout=HELD)
            assert not done, "the board ran the call while another thread held the AST lock"
        assert pending.result(timeout=10) == ["42"]


def test_the_host_parses_replies_only_under_the_ast_lock() -> None:
    with ThreadPoolExecutor(1) as pool:
        with python_ast.AST_LOCK:
            pending = pool.submit(parse_literal, "[1, {'a': 2.5}]")
            done, _ = wait([pending], timeout=HELD)
            assert not done, "a reply was parsed while another thread held the AST lock"
        assert pending.result(timeout=10) == [1, {"a": 2.5}]


class _Cycle:
    """Cyclic garbage with a finaliser: a collection during AST construction runs Python code, and the
    interpreter may switch threads there."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        sum(range(20))


def test_threads_parsing_and_compiling_with_collections_in_between_all_succeed() -> None:
    source = "\n".join(f"x{i} = f(a[{i}], (b, [c, {{d: e}}]), lambda q: q + {i})" for i in range(100))
    failures: list[BaseException] = []

    def work() -> None:
        for _ in range(25):
            for _ in range(100):
                _Cycle()
            try:
                python_ast.compile_tree(python_ast.parse(source), "<test>")
            except SystemError as exc:
                failures.append(exc)
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
