"""MicroPython's friendly-REPL line editor, as the JumperlOS build configures it.

Behaviour follows `shared/readline/readline.c` of the embedded MicroPython (JumperlOS
tree, lib/micropython/micropython_embed) with MICROPY_REPL_EMACS_KEYS and
MICROPY_REPL_AUTO_INDENT on (lib/micropython/port/mpconfigport.h:286-287):

* `\\r` and `\\n` are both Enter; a `\\r\\n` pair counts once (process_nl, :143-151);
* Ctrl-A..Ctrl-E on an empty line are returned to pyexec (mode switches); on a non-empty
  line Ctrl-A/E are home/end, Ctrl-B/F left/right, Ctrl-D delete, Ctrl-K/U kill (:158-206);
* after a line ending in `:` the next line starts indented by 4 more spaces, which a
  typed space or tab right after replaces (:243-253, :496-538);
* echo is redrawn from the cursor with `\\b` / `ESC[nD` moves and `ESC[K` (:467-486).

Tab completion of names is not modelled (a tab after a non-space does nothing).
"""

from __future__ import annotations

from collections.abc import Callable

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E, CTRL_F = 1, 2, 3, 4, 5, 6
CTRL_K, CTRL_N, CTRL_P, CTRL_U = 11, 14, 16, 21
ESC = 27
HISTORY_SIZE = 8  # MICROPY_READLINE_HISTORY_SIZE default
AUTO_INDENT_ENABLED, AUTO_INDENT_JUST_ADDED = 1, 2


class Readline:
    """One edited line, appended to `line` (which may already hold earlier continuation lines)."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self.write = write
        self.line = bytearray()
        self.history: list[bytes] = []
        self.orig = 0  # where the line being edited starts in `line`
        self.cursor = 0
        self.escape: str | None = None  # None, "esc", "bracket", "digit" or "o"
        self.escape_digit = 0
        self.hist_cur = -1
        self.last_nl = 0
        self.auto_indent = 0

    # --- readline_init / readline_note_newline ----------------------------------------------------
    def init(self, prompt: bytes) -> None:
        """Start a fresh input after `prompt` (readline_init, :551-567)."""
        self.orig = self.cursor = len(self.line)
        self.escape, self.hist_cur = None, -1
        self.write(prompt)
        if not self.line:
            self.auto_indent = AUTO_INDENT_ENABLED
        self._auto_indent()

    def note_newline(self, prompt: bytes) -> None:
        """A continuation line begins after `prompt` (readline_note_newline, :541-549)."""
        self.orig = self.cursor = len(self.line)
        self.write(prompt)
        self._auto_indent()

    def _auto_indent(self) -> None:
        if not self.auto_indent & AUTO_INDENT_ENABLED:
            return
        line = self.line
        if len(line) <= 1 or line[-1] != 0x0A:
            return
        start = line.rfind(b"\n", 0, len(line) - 1) + 1  # the line just finished
        first = start
        while first < len(line) and line[first] == 0x20:
            first += 1
        if start > 0 and first + 1 == len(line) and self._line_before_is_blank(start):
            return  # the last two lines were all spaces: no indent, so Enter can finish the block
        levels = (first - start) // 4 + (1 if line[-2] == ord(":") else 0)
        for _ in range(levels):
            self.line += b"    "
            self.write(b"    ")
            self.cursor += 4
            self.auto_indent |= AUTO_INDENT_JUST_ADDED

    def _line_before_is_blank(self, start: int) -> bool:
        before = self.line[: start - 1]
        previous = before[before.rfind(b"\n") + 1 :]
        return before.rfind(b"\n") >= 0 and not previous.strip(b" ")

    # --- readline_process_char ---------------------------------------------------------------------
    def process(self, c: int) -> int:
        """Feed one byte: -1 while editing, 0 on Enter, or a control key pyexec must act on."""
        last_len = len(self.line)
        edit = _Redraw()
        if self.escape is None:
            result = self._plain(c, edit)
            if result is not None:
                return result
        else:
            self._escaped(c, edit)
        self._redraw(edit, last_len)
        self.auto_indent &= ~AUTO_INDENT_JUST_ADDED
        return -1

    def _plain(self, c: int, edit: _Redraw) -> int | None:
        empty = len(self.line) == self.orig
        if CTRL_A <= c <= CTRL_E and empty:
            return c
        keys: dict[int, Callable[[_Redraw], None]] = {
            CTRL_A: self._home,
            CTRL_B: self._left,
            CTRL_D: self._delete,
            CTRL_E: self._end,
            CTRL_F: self._right,
            CTRL_K: self._kill_to_end,
            CTRL_N: self._history_down,
            CTRL_P: self._history_up,
            CTRL_U: self._kill_to_start,
        }
        if c == CTRL_C:
            return c
        if c in keys:
            keys[c](edit)
        elif self._is_newline(c):
            self.write(b"\r\n")
            self._push_history(bytes(self.line[self.orig :]))
            return 0
        elif c == ESC:
            self.escape = "esc"
        elif c in (8, 127):
            self._backspace(edit)
        elif self.auto_indent & AUTO_INDENT_JUST_ADDED and c in (9, 32):
            self.auto_indent = 0  # typed indentation replaces the automatic one
            if c == 32:
                edit.back = 3
                del self.line[-3:]
        elif c == 9:
            if len(self.line) and self.cursor and self.line[self.cursor - 1 : self.cursor].isspace():
                self.line[self.cursor : self.cursor] = b"    "
                edit.from_cursor, edit.forward = True, 4
        elif 32 <= c <= 126:
            self.line.insert(self.cursor, c)
            edit.from_cursor, edit.forward = True, 1
        return None

    def _is_newline(self, c: int) -> bool:
        """process_nl: `\\r` or `\\n` is Enter, but the second byte of a `\\r\\n` / `\\n\\r` pair is not."""
        if c in (10, 13) and self.last_nl in (0, c):
            self.last_nl = c
            return True
        self.last_nl = 0
        return False

    def _escaped(self, c: int, edit: _Redraw) -> None:
        state, self.escape = self.escape, None
        if state == "esc":
            self.escape = {ord("["): "bracket", ord("O"): "o"}.get(c)
        elif state == "bracket":
            if 0x30 <= c <= 0x39:
                self.escape, self.escape_digit = "digit", c
                return
            moves = {"A": self._history_up, "B": self._history_down, "C": self._right, "D": self._left}
            moves.update({"H": self._home, "F": self._end})
            if chr(c) in moves:
                moves[chr(c)](edit)
        elif state == "digit" and c == ord("~"):
            {ord("1"): self._home, ord("7"): self._home, ord("4"): self._end, ord("8"): self._end}.get(
                self.escape_digit, self._delete if self.escape_digit == ord("3") else _nothing
            )(edit)
        elif state == "o" and chr(c) in "HF":
            (self._home if c == ord("H") else self._end)(edit)

    # --- editing keys ------------------------------------------------------------------------
    def _home(self, edit: _Redraw) -> None:
        edit.back = self.cursor - self.orig

    def _end(self, edit: _Redraw) -> None:
        edit.forward = len(self.line) - self.cursor

    def _left(self, edit: _Redraw) -> None:
        if self.cursor > self.orig:
            edit.back = 1

    def _right(self, edit: _Redraw) -> None:
        if self.cursor < len(self.line):
            edit.forward = 1

    def _delete(self, edit: _Redraw) -> None:
        if self.cursor < len(self.line):
            del self.line[self.cursor]
            edit.from_cursor = True

    def _kill_to_end(self, edit: _Redraw) -> None:
        del self.line[self.cursor :]
        edit.from_cursor = True

    def _kill_to_start(self, edit: _Redraw) -> None:
        del self.line[self.orig : self.cursor]
        edit.back, edit.from_cursor = self.cursor - self.orig, True

    def _backspace(self, edit: _Redraw) -> None:
        if self.cursor <= self.orig:
            return
        typed = self.line[self.orig : self.cursor]
        spaces = 4 if len(typed) >= 4 and not typed.strip(b" ") else 1  # all spaces: undo one indent level
        del self.line[self.cursor - spaces : self.cursor]
        edit.back, edit.from_cursor = spaces, True

    def _history_up(self, edit: _Redraw) -> None:
        if self.hist_cur + 1 < len(self.history):
            self.hist_cur += 1
            self._recall(edit)

    def _history_down(self, edit: _Redraw) -> None:
        if self.hist_cur >= 0:
            self.hist_cur -= 1
            self._recall(edit)

    def _recall(self, edit: _Redraw) -> None:
        del self.line[self.orig :]
        if self.hist_cur >= 0:
            self.line += self.history[self.hist_cur]
        edit.back, edit.from_cursor = self.cursor - self.orig, True
        edit.forward = len(self.line) - self.orig

    def _push_history(self, entry: bytes) -> None:
        if entry and (not self.history or self.history[0] != entry):
            self.history = [entry, *self.history][:HISTORY_SIZE]

    # --- echo ---------------------------------------------------------------------------------
    def _redraw(self, edit: _Redraw, last_len: int) -> None:
        if edit.back > 0:
            self._move_back(edit.back)
            self.cursor -= edit.back
        if edit.from_cursor:
            if len(self.line) < last_len:
                self.write(b"\x1b[K")
            self.write(bytes(self.line[self.cursor :]))
            self._move_back(len(self.line) - (self.cursor + edit.forward))
            self.cursor += edit.forward
        elif edit.forward > 0:
            self.write(bytes(self.line[self.cursor : self.cursor + edit.forward]))
            self.cursor += edit.forward

    def _move_back(self, steps: int) -> None:
        if steps <= 4:
            self.write(b"\b" * steps)
        else:
            self.write(f"\x1b[{steps}D".encode())


class _Redraw:
    """What one key changed: move back, redraw from the cursor, move forward."""

    def __init__(self) -> None:
        self.back = 0
        self.forward = 0
        self.from_cursor = False


def _nothing(edit: _Redraw) -> None:
    return None


def continue_with_input(source: bytes) -> bool:
    """mp_repl_continue_with_input (py/repl.c): does the friendly REPL want another line?"""
    if not source:
        return False
    text = source.decode("utf-8", "replace")
    compound = text[0] == "@" or any(
        text.startswith(word) and (len(text) == len(word) or not (text[len(word)].isalnum() or text[len(word)] == "_"))
        for word in ("if", "while", "for", "try", "with", "def", "class", "async")
    )
    depth = {"(": 0, "[": 0, "{": 0}
    closers = {")": "(", "]": "[", "}": "{"}
    quote, i = "", 0
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            triple = text[i : i + 3] == ch * 3
            if triple and quote in ("", ch * 3):
                quote = "" if quote else ch * 3
                i += 2
            elif quote in ("", ch):
                quote = "" if quote else ch
        elif ch == "\\" and text[i + 1 : i + 2] in ("'", '"', "\\"):
            if quote:
                i += 1
        elif not quote and ch in depth:
            depth[ch] += 1
        elif not quote and ch in closers:
            depth[closers[ch]] -= 1
        i += 1
    if len(quote) == 3:
        return True
    if any(count > 0 for count in depth.values()) and not quote:
        return True
    if text.endswith("\\"):
        return True
    return compound and not text.endswith("\n")
