"""Make statement text safe for the wire: bytes a channel would act on are written as escapes.

Inside a string literal a character can always be spelled as an escape (`\\x03`, `\\x3f`,
`\\u00e9`) without changing the program, so that is where the rewriting happens;
outside a literal such characters are not valid Python anyway, and a raw string
cannot escape them, so those are refused with an `ArgumentError`.

* raw REPL: Ctrl-A..Ctrl-D reset, leave, clear or end the raw REPL's buffer
  (pyexec_raw_repl_process_char);
* main-port `>` line: it ends at a newline and is joined with `;`, so comments (which
  would swallow the rest of the line) are dropped and control bytes escaped; on
  JumperlOS the line editor also drops everything outside printable ASCII and turns
  `?` into a version printout (JOS src/Jerial.cpp:440-494), so those are escaped too.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable

from firmware_api.calls import ArgumentError

RAW_REPL_CONTROLS = frozenset("\x01\x02\x03\x04")


def raw_repl_unsafe(char: str) -> bool:
    return char in RAW_REPL_CONTROLS


def line_unsafe(char: str) -> bool:
    """A `>` line to 5.3.x: no control byte may reach the collector."""
    return char < " " or char == "\x7f"


def editor_unsafe(char: str) -> bool:
    """A `>` line through the JumperlOS line editor: printable ASCII only, and no `?`."""
    return not " " <= char <= "~" or char == "?"


def escape_source(source: str, unsafe: Callable[[str], bool], *, drop_comments: bool = False) -> str:
    """`source` with every unsafe character inside string literals escaped (and comments dropped if asked).

    Tabs between tokens become spaces where tabs are unsafe; whatever unsafe character is left
    (outside a literal, in a raw string, or in text that does not tokenize) is refused.
    """
    if not any(unsafe(char) for char in source) and not (drop_comments and "#" in source):
        return source
    out: list[str] = []
    copied = 0
    for start, end, kind in _regions(source):
        out.append(_between(source[copied:start], unsafe))
        if kind == "string":
            out.append(_escape_literal(source[start:end], unsafe))
        elif not drop_comments:
            out.append(source[start:end])
        else:
            out[-1] = out[-1].rstrip(" \t")
        copied = end
    out.append(_between(source[copied:], unsafe))
    result = "".join(out)
    bad = sorted({char for char in result if unsafe(char)})
    if bad:
        shown = ", ".join(repr(char) for char in bad[:5])
        raise ArgumentError(
            "source",
            f"contains {shown} outside a plain string literal, which this channel cannot carry",
            "write such characters as escapes inside string literals ('\\x3f', '\\u00e9')",
        )
    return result


def _between(text: str, unsafe: Callable[[str], bool]) -> str:
    return text.replace("\t", " ") if unsafe("\t") else text


def _regions(source: str) -> list[tuple[int, int, str]]:
    """(start, end, "string" | "comment") character spans; none if the text does not tokenize."""
    offsets = [0]
    for line in source.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)

    def at(position: tuple[int, int]) -> int:
        return min(offsets[position[0] - 1] + position[1], len(source)) if position[0] <= len(offsets) else len(source)

    regions: list[tuple[int, int, str]] = []
    fstring_start, depth = 0, 0
    fstart_type, fend_type = getattr(tokenize, "FSTRING_START", -1), getattr(tokenize, "FSTRING_END", -1)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == fstart_type:  # Python 3.12+: a whole f-string is one region
                depth += 1
                fstring_start = at(token.start) if depth == 1 else fstring_start
            elif token.type == fend_type:
                depth -= 1
                if depth == 0:
                    regions.append((fstring_start, at(token.end), "string"))
            elif depth == 0 and token.type in (tokenize.STRING, tokenize.COMMENT):
                regions.append(
                    (at(token.start), at(token.end), "string" if token.type == tokenize.STRING else "comment")
                )
    except (tokenize.TokenError, SyntaxError):
        return []
    return regions


def _escape_literal(text: str, unsafe: Callable[[str], bool]) -> str:
    prefix = text[: len(text) - len(text.lstrip("rRbBuUfF"))].lower()
    if "r" in prefix:
        return text  # a raw string cannot spell the character differently: refused afterwards
    return "".join(_escape_char(char, "b" in prefix) if unsafe(char) else char for char in text)


def _escape_char(char: str, is_bytes: bool) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if is_bytes:
        return char  # not valid in a bytes literal anyway: refused afterwards
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
