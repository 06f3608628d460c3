"""The main port (CDC0): the single-character menu commands a host needs, and `>` Python.

Two personas share this class (protocol §2, §3.1, §3.2):
* legacy 5.3.x: character mode, a 100 ms `[cmd]?` help probe after each
  command, `>` collected by a 1 s `readString`, bare expressions echoed,
  input discarded after menu commands and, while Python runs, at each
  interrupt check (output, sleep) up to a Ctrl-Q;
* JumperlOS: line buffering (on by default from 5.7) through the firmware's
  line editor (term_control.py: a full re-render per keystroke), SO/SI to
  switch it, `>` ends at the newline (or 50 ms after the command in character
  mode), no expression echo, and after each `>` command the interrupt char is
  left at -1 (nothing on the main-port path sets it back).
Legacy waits are multiplied by `time_scale` so tests need not wait whole seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from firmware_api import nodes
from firmware_api.versions import Family
from jumperless_mcp.emulator import netprint, state_json
from jumperless_mcp.emulator.board import NUM_SLOTS, BoardModel
from jumperless_mcp.emulator.ports import InputBuffer, PtyPort
from jumperless_mcp.emulator.runtime import PythonRuntime
from jumperless_mcp.emulator.term_control import TermControl, python_highlight

ENQ, SO, SI, DLE, DC4 = 0x05, 0x0E, 0x0F, 0x10, 0x14
MENU_LINES = (
    "\t\tMenu",
    "",
    "\t'help' for docs or [command]?",
    "",
    "\tm = show this menu",
    "\tn = show netlist",
    "\tb = show bridge array",
    "\tx = clear all connections",
    "\t+ = add connections",
    "\t- = remove connections",
    "\ts = show slot files",
    "\t< = previous slot",
    "\tv = read ADCs",
    "\t> = run a Python command",
    "\t? = firmware version",
    "",
)
ENQ_REPLY = "CDC0: Jumperless Main\r\nCDC1: JL Passthrough\r\nCDC2: Disabled\r\nCDC3: Jumperless TUI\r\n"
HELP = {
    "n": "n - show the netlist",
    "b": "b - show the bridge array and paths",
    "x": "x - clear all connections",
    "+": "+ - add bridges: +1-5,3-D13",
    "-": "- - remove bridges: -1-5 or -5 for every bridge on 5",
    "v": "v - ADC readings: v, v0..v4",
    ">": "> - run one Python statement",
    "?": "? - firmware version",
    "s": "s - show slot files",
    "<": "< - previous slot",
    "m": "m - show the menu",
    "E": "E - toggle the menu",
}


class MainPort:
    def __init__(self, port: PtyPort, board: BoardModel, runtime: PythonRuntime, time_scale: float = 1.0) -> None:
        self.port = port
        self.board = board
        self.runtime = runtime
        self.family = board.family
        self.scale = time_scale
        self.input: InputBuffer | None = None
        self.show_menu = True
        self.colors = True
        self.line_buffering = board.version.line_buffering_default
        self.editor = TermControl(self.write, lambda: self._version(None))

    def attach(self, buffer: InputBuffer) -> None:
        self.input = buffer

    def reset_session(self) -> None:
        """After a reboot: the menu and line-buffering defaults, nothing queued."""
        self.show_menu = True
        self.line_buffering = self.board.version.line_buffering_default
        self.editor = TermControl(self.write, lambda: self._version(None))
        if self.input is not None:
            self.input.take_all()

    def write(self, text: str | bytes) -> None:
        self.port.write(text.encode("utf-8", "replace") if isinstance(text, str) else text)

    # --- the idle loop ------------------------------------------------------------------------
    def service(self) -> None:
        assert self.input is not None
        if self.family is Family.JUMPERLOS and self.line_buffering:
            self._service_line_mode()
            return
        byte = self.input.read_byte()
        if byte is None:
            return
        if self._in_band(byte) or byte in b" \r\n":
            return
        command = chr(byte)
        if self.family is Family.LEGACY:
            # the `[cmd]?` help probe follows every command byte, `?`, `A` and `a` included (V5 main.cpp:900-915)
            follow = self.input.peek_byte(0.1 * self.scale)
            if follow == ord("?"):
                self.input.read_byte()
                self.write(HELP.get(command, f"{command} - no help for this command") + "\r\n")
                return
        self._dispatch(command, None)

    def _in_band(self, byte: int) -> bool:
        """Control bytes acted on immediately, in any mode."""
        if byte == DLE:
            return True  # stop LED dump: nothing to stop, nothing printed
        if byte == ENQ:
            self.write(ENQ_REPLY)
            return True
        if self.family is Family.JUMPERLOS:
            if byte in (SO, SI):
                self.line_buffering = byte == SO  # acknowledgeAppLineBuffering: the typed line is kept
                return True
            if byte == DC4:
                self.write("n,n\r\n")
                return True
        return False

    def _service_line_mode(self) -> None:
        """JumperlOS line buffering (TermControl::service, Jerial.cpp:176-317): the editor echoes and edits,
        the main loop acts on each completed line."""
        assert self.input is not None
        while (byte := self.input.read_byte()) is not None:
            if self._in_band(byte):
                if not self.line_buffering:
                    self.editor.flush()
                    return  # SI: the rest is read in character mode
                continue
            text = self.editor.feed(byte)
            if text is None:
                continue
            stripped = text.strip()
            if stripped:
                self._dispatch(stripped[0], stripped[1:])
        self.editor.flush()

    def _args(self, given: str | None) -> str:
        """The rest of the command: the stored line, or what follows it.

        JumperlOS getCommandArgs (SingleCharCommands.cpp:1376-1400) reads until a newline or 50 ms after it
        started, however fast the bytes come (P16).
        """
        assert self.input is not None
        if given is not None:
            return given
        if self.family is Family.LEGACY:
            return self.input.read_until_gap(0.1 * self.scale, stop=b"\r\n").decode("utf-8", "replace")
        return self.input.read_until_deadline(0.05, stop=b"\r\n").decode("utf-8", "replace")

    # --- commands --------------------------------------------------------------------------------
    def _dispatch(self, command: str, args: str | None) -> None:
        handlers: dict[str, Callable[[str | None], bool]] = {
            "?": self._version,
            "x": self._clear,
            "n": self._netlist,
            "b": self._bridges,
            ">": self._python,
            "+": self._add,
            "-": self._remove,
            "<": self._previous_slot,
            "s": self._slots,
            "v": self._adc,
            "E": self._toggle_menu,
            "m": self._menu,
            "y": self._reload,
        }
        if self.family is Family.LEGACY:
            handlers["C"] = self._colors
        else:
            handlers.update({"G": self._colors, "Q": self._active_slot, "J": self._json, "B": self._buffering})
        handler = handlers.get(command)
        if handler is None:
            self.input.take_all()  # type: ignore[union-attr]  # `default:` drains the input
            self._after_menu_command()
            return
        if handler(args):
            self._after_menu_command()

    def _after_menu_command(self) -> None:
        """Commands that end with `break`: drop input past 5 pending bytes, past 20 at the menu, reprint it."""
        if self.family is not Family.LEGACY:
            return
        assert self.input is not None
        while self.input.pending() > 5:
            self.input.read_byte()
        if self.input.pending() > 20:
            self.input.take_all()
        if self.show_menu:
            self._print_menu()

    def _print_menu(self) -> None:
        colours = (39, 45, 51, 87, 123, 159, 195)
        body = "".join(f"\x1b[38;5;{colours[i % len(colours)]}m{line}\n\r" for i, line in enumerate(MENU_LINES))
        self.write("\n\n\r" + body + "\x1b[0m")

    def _version(self, args: str | None) -> bool:
        self.write(f"Jumperless firmware version: {self.board.version}\r\n")
        return False

    def _clear(self, args: str | None) -> bool:
        with self.board.lock:
            self.board.clear()
            if self.family is Family.LEGACY:
                self.board.save_slot()
        self.write("Cleared all connections\r\n")
        return False

    def _netlist(self, args: str | None) -> bool:
        with self.board.lock:
            text, live = netprint.netlist(self.board), netprint.interactive(self.board)
        self.write(text)
        if live:
            self.wait_for_input(lambda seconds: self.input.peek_byte(seconds))  # type: ignore[union-attr]
        return True

    def wait_for_input(self, sleep: Callable[[float], object]) -> None:
        """Live mode: return once a byte is waiting on this port (it is left there)."""
        assert self.input is not None
        while not self.input.pending() and not self.port.closed:
            sleep(0.05)

    def _bridges(self, args: str | None) -> bool:
        if args is None and self.family is Family.LEGACY:
            self.input.read_byte(0.01 * self.scale)  # type: ignore[union-attr]  # optional 0/2 duplicate flag
        with self.board.lock:
            self.write(netprint.bridges_compact(self.board))
        return True

    def _pairs(self, text: str) -> list[tuple[int, ...]]:
        cleaned = text.strip().strip("{}f[ ;").replace("\n", ",").replace(" ", ",")
        pairs: list[tuple[int, ...]] = []
        for chunk in filter(None, cleaned.split(",")):
            try:
                pairs.append(tuple(nodes.resolve_node(part) for part in chunk.split("-") if part))
            except ValueError:
                self.write("Invalid input\r\n")
        return pairs

    def _node_file(self) -> str:
        lines = "".join(f"{nodes.short_name(br.a)}-{nodes.short_name(br.b)},\n\r" for br in self.board.netlist.bridges)
        return "{\n\r" + lines + "}\n\r"

    def _add(self, args: str | None) -> bool:
        with self.board.lock:
            for pair in self._pairs(self._args(args)):
                if len(pair) == 2:
                    self.board.connect(pair[0], pair[1], save=True)
                    self.write(f"node2 = {pair[1]}\r\n")
            self.write(self._node_file())
        return True

    def _remove(self, args: str | None) -> bool:
        with self.board.lock:
            for pair in self._pairs(self._args(args)):
                self.board.disconnect(pair[0], pair[1] if len(pair) > 1 else -1)
                if len(pair) > 1:
                    self.write(f"node2 = {pair[1]}\r\n")
            self.board.save_slot()
            self.write(self._node_file())
        return True

    def _previous_slot(self, args: str | None) -> bool:
        with self.board.lock:
            wanted = self._args(args).strip() if self.family is Family.JUMPERLOS else ""
            if self.family is Family.JUMPERLOS and wanted.isdigit() and int(wanted) < NUM_SLOTS:
                slot = int(wanted)
            else:
                slot = (self.board.current_slot - 1) % NUM_SLOTS
            self.board.load_slot(slot)
        self.write(f"Slot {slot}\r\n")
        return True

    def _slots(self, args: str | None) -> bool:
        out = []
        for slot, state in enumerate(self.board.slots):
            marker = " <--- current slot" if slot == self.board.current_slot else ""
            pairs = "".join(f"{br.a}-{br.b}," for br in state.bridges)
            out.append(f"\n\rSlot {slot}{marker}\n\rnodeFileSlot{slot}.txt\n\rf {{ {pairs} }}\n\r")
        self.write("".join(out))
        return True

    def _reload(self, args: str | None) -> bool:
        with self.board.lock:
            self.board.load_slot(self.board.current_slot)
        return True

    def _adc(self, args: str | None) -> bool:
        assert self.input is not None
        if args is not None:
            selector = args[:1]
        else:
            byte = self.input.read_byte(0.01 * self.scale)
            selector = chr(byte) if byte is not None else ""
        if selector in ("\n", "\r"):
            return False  # `v\n`: the newline was the argument
        with self.board.lock:
            if selector.isdigit() and int(selector) in (0, 1, 2, 3, 4):
                self.write(f" adc{selector} = {self._adc_text(int(selector))}\r\n")
            else:
                lines = "".join(f"adc{ch} = {self._adc_text(ch)}\r\n" for ch in range(5))
                self.write("\r\n" + lines + f"probe = {self._adc_text(7)}\r\n")
        return False

    def _adc_text(self, channel: int) -> str:
        value = self.board.adc_read(channel)
        return (" " if value > 0 else "") + f"{value:.2f}"

    def _toggle_menu(self, args: str | None) -> bool:
        self.show_menu = not self.show_menu
        return True

    def _menu(self, args: str | None) -> bool:
        self._print_menu()
        return False

    def _colors(self, args: str | None) -> bool:
        wanted = self._args(args).strip() if self.family is Family.JUMPERLOS else ""
        if wanted in ("0", "1"):
            self.colors = wanted == "0"
        else:
            self.colors = not self.colors
        self.write(f"Terminal colors {'enabled' if self.colors else 'disabled'}\r\n")
        return True

    def _active_slot(self, args: str | None) -> bool:
        self.write(f"ACTIVE_SLOT:{self.board.current_slot}\r\n")
        return False

    def _json(self, args: str | None) -> bool:
        with self.board.lock:
            document = state_json.get_state(self.board)
        section = self._args(args).strip()
        if section in state_json.SECTIONS:
            start = document.index(f'  "{section}": ')
            end = document.find(',\n  "', start)
            body = document[start : end if end > 0 else document.rindex("\n}")]
            document = "{\n" + body + "\n}"
        self.write(document.replace("\n", "\r\n") + "\r\n")
        return False

    def _buffering(self, args: str | None) -> bool:
        wanted = self._args(args).strip()
        self.line_buffering = (wanted == "1") if wanted in ("0", "1") else not self.line_buffering
        self.write(f"Line buffering {'on' if self.line_buffering else 'off'}\r\n")
        return False

    # --- `>` Python -----------------------------------------------------------------------------
    def _python(self, args: str | None) -> bool:
        assert self.input is not None
        if self.family is Family.LEGACY:
            source = self._collect_legacy()
            if len(source) <= 1:
                self.write("Usage: > <python_command>\r\n")
                return False
            self._run(source, echo=True)
            return False
        text = self._args(args)
        if len(text) > 1024:
            self.write("Error: Command too long (max 1024 chars)\r\n")
            return False
        lines = [line.lstrip(">") for line in text.replace("\r", "\n").split("\n")]
        lines = [line for line in lines if line.strip()]
        if not lines:
            self.write("Usage: > <python_command>\r\n")
            return False
        for line in lines:
            if not self.line_buffering:  # executeSinglePythonCommand's own echo (Python_Proper.cpp:4775-4781)
                self.write("\r" + " " * 64 + "\r" + python_highlight(line.strip()) + "\r\n")
            self._run(line.strip(), echo=False)
        return False

    def _collect_legacy(self) -> str:
        """`while (Serial.available()) cmd += Serial.readString();` with the 1 s Stream timeout."""
        assert self.input is not None
        collected = bytearray()
        while self.input.pending():
            collected += self.input.read_until_gap(1.0 * self.scale)
        return collected.decode("utf-8", "replace")

    def _run(self, source: str, *, echo: bool) -> None:
        """mp_embed_exec_str: a traceback on error (after the interrupt check's own notice, P7)."""
        error = self.runtime.run(source, self._cooked, echo=echo, owner=self)
        if error is not None:
            self._cooked(error)
        if self.family is Family.JUMPERLOS:
            # micropython_embed.c:162/:180 set the interrupt char to -1 after every run, and the
            # `import gc; gc.collect()` that follows each command does it again (P9)
            self.runtime.set_interrupt_char(-1)
        if self.runtime.soft_reset_requested:  # a Ctrl-D at the head of the input while it ran
            self.runtime.reset(soft=True)

    def _cooked(self, text: str) -> None:
        """The main port's stdout turns '\\n' into '\\r\\n' (V5 Python_Proper.cpp:178-197, JOS :422-490)."""
        self.write(text.replace("\r\n", "\n").replace("\n", "\r\n"))
