"""Parsing Python source into an AST, one thread at a time.

CPython 3.11 keeps the depth counter that guards AST construction in state shared by every thread. When two
threads build or compile an AST at once (several virtual boards in one process, or a test that parses while a
board runs) and a garbage collection runs Python code halfway through, the counters interleave and one of them
fails with `SystemError: AST constructor recursion depth mismatch`. A host serving a virtual board in its own
process parses replies while the board parses the calls, so every AST the host or the emulator builds or
compiles goes through this lock; so should test code that parses while a virtual board may be running.
"""

from __future__ import annotations

import ast
import threading
from types import CodeType

AST_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> ast.Module:
    """`ast.parse` under the process-wide AST lock."""
    with AST_LOCK:
        return ast.parse(source, filename, mode)  # type: ignore[return-value]


def compile_tree(tree: ast.AST, filename: str, mode: str = "exec") -> CodeType:
    """`compile` of an AST (which converts it back into C structures) under the same lock."""
    with AST_LOCK:
        return compile(tree, filename, mode)
