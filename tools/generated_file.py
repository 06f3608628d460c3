"""What the generators in tools/ share: the command line (write the file, or `--check` that it is current) and
how an annotation is written in source."""

from __future__ import annotations

import argparse
import difflib
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any


def main(path: Path, render: Callable[[], str], description: str | None) -> int:
    """Write `render()` to `path`; with --check, print a diff and return 1 when the file is not what it gives."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help=f"fail with a diff if {path.name} is not current")
    args = parser.parse_args()
    text = render()
    current = path.read_text() if path.exists() else ""
    if args.check:
        if text == current:
            return 0
        diff = difflib.unified_diff(current.splitlines(True), text.splitlines(True), "checked in", "generated")
        sys.stdout.writelines(diff)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return 0


def annotation(value: object) -> str:
    """How a signature's annotation is written in source (the catalog's methods carry objects, others strings)."""
    if value is None or value is type(None):
        return "None"
    if value is Any:
        return "Any"
    if isinstance(value, str):
        return value
    if isinstance(value, types.UnionType):
        return " | ".join(annotation(part) for part in value.__args__)
    if isinstance(value, type):
        return value.__name__
    raise TypeError(f"no spelling for the annotation {value!r}")
