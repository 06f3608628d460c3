"""JumperlOS's main-port line editor (line buffering, on by default from 5.7) and its syntax highlighting.

Behaviour follows TermControl in JOS src/Jerial.cpp:

* every printable keystroke re-renders the whole line: `\\r`, the highlighted line,
  `ESC[K`, then the cursor put back with `\\r ESC[nG` (handleNormalChar :440-494,
  renderCurrentLine :696-746, moveCursorToPosition :800-815), so a 1000-character
  line costs about half a megabyte of echo;
* the line holds at most 1023 characters: past that each byte rings the bell (0x07)
  and is dropped (insertCharAtCursor :817-824);
* `?` prints the firmware version at once and is never inserted (:460-467);
  `\\r` or `\\n` ends the line with an echoed `\\r\\n`, even an empty one (handleEnter
  :527-626); backspace and Ctrl-U edit and re-render; left/right arrows move the
  cursor; other control bytes and non-ASCII are dropped; `Q` at the start of an
  empty line is submitted at once (:258-264).

The highlighting (src/SyntaxHighlighting.cpp highlightString :307-378) colours `>`
lines as Python and other lines as connections, and is cut at 1022 bytes; the
colour classes are approximated (keywords, builtins, Jumperless functions).
History recall (up/down arrows) and multi-line JSON entry are not modelled.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable

from firmware_api import catalog
from firmware_api.versions import Family

MAX_LINE = 1024  # JERIAL_MAX_LINE_LENGTH (JOS src/Jerial.h:66): 1023 characters fit
HIGHLIGHT_LIMIT = 1022  # SyntaxHighlighting::highlightString writes into a static char[1024]
COMMAND_CHARS = frozenset("?xnb>+-<svEmyGQJBfo/pUu@lrdtqcikwWzZ")
_KEYWORDS = frozenset(keyword.kwlist) | {"print", "exec"}  # python_keywords[] (:28-35)
_BUILTINS = frozenset(name for name in dir(builtins) if not name.startswith("_")) - _KEYWORDS
_JUMPERLESS = frozenset(function.name for function in catalog.functions(Family.JUMPERLOS))
_PYTHON_TOKEN = re.compile(
    r"(?P<comment>#.*)"
    r"|(?P<string>'(?:\\.|[^'\\]|\\$)*'?|\"(?:\\.|[^\"\\]|\\$)*\"?)"
    r"|(?P<number>(?:[0-9]|\.(?=[0-9]))[0-9.]*)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<other>.)",
    re.DOTALL,
)
_COLOURS = {"comment": 34, "string": 39, "number": 199, "keyword": 214, "builtin": 79, "jumperless": 207}
_FRIENDLY_NODES = {
    **{70 + i: f"D{i}" for i in range(14)},
    **{86 + i: f"A{i}" for i in range(8)},
    **{100: "GND", 101: "TOP_RAIL", 102: "BOTTOM_RAIL", 103: "3V3", 105: "5V", 106: "DAC0", 107: "DAC1"},
    **{108: "ISENSE_PLUS", 109: "ISENSE_MINUS", 110: "ADC0", 111: "ADC1", 112: "ADC2", 113: "ADC3"},
}


def _paint(colour: int, text: str) -> str:
    return f"\x1b[38;5;{colour}m{text}\x1b[0m"


def python_highlight(code: str) -> str:
    """highlightPythonCode (SyntaxHighlighting.cpp:518-629): comments, strings, numbers and known words coloured."""
    return "".join(_python_token(match) for match in _PYTHON_TOKEN.finditer(code))


def _python_token(match: re.Match[str]) -> str:
    kind, text = match.lastgroup or "other", match.group()
    if kind == "word":
        kind = "keyword" if text in _KEYWORDS else "builtin" if text in _BUILTINS else "jumperless"
        if kind == "jumperless" and text not in _JUMPERLESS:
            return text
    return text if kind == "other" else _paint(_COLOURS[kind], text)


def _connection_highlight(text: str) -> str:
    """highlightConnectionsPreserveSpaces (:690-719): node-like words coloured, numbers shown by name."""
    return re.sub(r"[A-Za-z0-9][A-Za-z0-9_]*", _node_word, text)


def _node_word(match: re.Match[str]) -> str:
    word = match.group()
    if word.isdigit() and 1 <= int(word) <= 150:
        return _paint(78, _FRIENDLY_NODES.get(int(word), word))
    named = word.startswith(("D", "A", "DAC", "ADC", "GPIO")) or word in ("GND", "5V", "3V3") or "RAIL" in word
    return _paint(78, word) if named else word


class _Highlighter:
    """highlightString for the growing line, reusing the tokens a keystroke at the end cannot change."""

    def __init__(self) -> None:
        self._text = ""
        self._done = 0  # source characters whose highlighting is final
        self._done_text = ""

    def render(self, line: str) -> str:
        if not line:
            return ""
        if len(line) == 1:
            return _paint(197, line) if line in COMMAND_CHARS else _connection_highlight(line)
        if line[0] not in COMMAND_CHARS:
            return _connection_highlight(line)[:HIGHLIGHT_LIMIT]
        head = _paint(197, line[0])
        if line[0] != ">":
            return (head + _connection_highlight(line[1:]))[:HIGHLIGHT_LIMIT]
        return (head + self._python(line[1:]))[:HIGHLIGHT_LIMIT]

    def _python(self, code: str) -> str:
        if not code.startswith(self._text):
            self._done, self._done_text = 0, ""
        self._text = code
        if len(self._done_text) > HIGHLIGHT_LIMIT:
            return self._done_text
        tail = ""
        for match in _PYTHON_TOKEN.finditer(code, self._done):
            painted = _python_token(match)
            if match.end() < len(code):  # something after it ended this token: it cannot change any more
                self._done, self._done_text = match.end(), self._done_text + painted
            else:
                tail = painted
        return self._done_text + tail


class TermControl:
    """The line being typed on the main port, echoed the way the firmware echoes it."""

    def __init__(self, write: Callable[[bytes], None], on_question: Callable[[], None]) -> None:
        self.write = write
        self.on_question = on_question
        self.line = bytearray()
        self.cursor = 0
        self.escape = 0  # 0 normal, 1 after ESC, 2 after ESC [
        self._highlighter = _Highlighter()
        self._echo = bytearray()

    def feed(self, byte: int) -> str | None:
        """One byte typed: the completed line on Enter (or `Q` on its own), else None."""
        if self.escape:
            self._escape_byte(byte)
            return None
        if byte == 0x1B:
            self.escape = 1
        elif byte == ord("Q") and not self.line:
            return "Q"  # the slot query is submitted at once, unechoed
        elif byte in (0x0D, 0x0A):
            return self._enter()
        elif byte in (0x08, 0x7F):
            self._backspace()
        elif byte == 0x15:
            self.line.clear()
            self.cursor = 0
            self._render()
        elif byte == ord("?"):
            self.flush()
            self.on_question()
        elif 0x20 <= byte <= 0x7E:
            self._insert(byte)
        return None

    def flush(self) -> None:
        """Send the echo collected so far (the firmware flushes every render; batching changes no byte)."""
        if self._echo:
            self.write(bytes(self._echo))
            self._echo.clear()

    def _enter(self) -> str:
        self._echo += b"\r\n"
        self.flush()
        text = self.line.decode("ascii")
        self.line.clear()
        self.cursor = 0
        return text

    def _insert(self, byte: int) -> None:
        if len(self.line) >= MAX_LINE - 1:
            self._echo += b"\x07"  # bell: the byte is dropped
            return
        self.line.insert(self.cursor, byte)
        self.cursor += 1
        self._render()

    def _backspace(self) -> None:
        if self.cursor > 0:
            self.cursor -= 1
            del self.line[self.cursor]
            self._render()

    def _escape_byte(self, byte: int) -> None:
        if self.escape == 1:
            self.escape = 2 if byte == ord("[") else 0
            return
        self.escape = 0
        if byte == ord("C") and self.cursor < len(self.line):
            self.cursor += 1
            self._move_cursor()
        elif byte == ord("D") and self.cursor > 0:
            self.cursor -= 1
            self._move_cursor()

    def _render(self) -> None:
        highlighted = self._highlighter.render(self.line.decode("ascii"))
        self._echo += b"\r" + highlighted.encode() + b"\x1b[K"
        self._move_cursor()
        if len(self._echo) > 1 << 16:
            self.flush()

    def _move_cursor(self) -> None:
        column = self.cursor + 1
        self._echo += b"\r" + (f"\x1b[{column}G".encode() if column > 1 else b"")
