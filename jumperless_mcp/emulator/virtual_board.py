"""A whole virtual Jumperless V5: board model, Python VM and serial personas on pseudo-terminals.

    with VirtualBoard(persona="jumperlos", parts=load_parts("parts.toml")) as board:
        board.main_path, board.repl_path   # open these with pyserial, mpremote, our host code...
        board.probe.touch(12)              # script the probe
        board.inject("main", b"\\x0e probe banner \\x0f")  # unsolicited output

Two threads do the work: an I/O thread moves host bytes into per-port buffers,
and the board thread serves the ports in turn, like the firmware's main loop (a
long script on one port stalls the other). Running code looks for interrupt bytes
the way the firmware's mp_hal_check_interrupt does: only the first pending byte of
each port counts (JumperlOS), or everything pending up to a Ctrl-Q is read and
dropped (5.3.x).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.emulator.backchannel_port import BackchannelPort
from jumperless_mcp.emulator.board import BoardModel, ProbeInput
from jumperless_mcp.emulator.la_port import LogicAnalyzerPort
from jumperless_mcp.emulator.main_port import MainPort
from jumperless_mcp.emulator.parts import Capacitor, Part, Resistor, parse_parts
from jumperless_mcp.emulator.ports import InputBuffer, IoThread, PtyPort
from jumperless_mcp.emulator.repl_port import ReplPort
from jumperless_mcp.emulator.runtime import INTERRUPT, SOFT_RESET, PythonRuntime

log = logging.getLogger(__name__)

CTRL_C, CTRL_D, CTRL_Q = 0x03, 0x04, 0x11
DEBOUNCE = 0.02  # check_stream_for_interrupt ignores a second interrupt byte within 20 ms (JOS Python_Proper.cpp:528)
# 5.3.x mp_hal_check_interrupt's notice (V5 src/Python_Proper.cpp:225-232): replColors[4] then replColors[1]
LEGACY_NOTICE = b"^Q\n\r\x1b[38;5;202mKeyboardInterrupt (Ctrl+Q)\n\r\x1b[38;5;69m"


@dataclass(frozen=True)
class Persona:
    name: str
    version: str
    micropython_banner: str

    @property
    def family(self) -> Family:
        return FirmwareVersion.parse(self.version).family


# A persona is a firmware version: its `jumperless` module is the table of the firmware tree that version
# maps to (firmware_api.signatures.tree_for), so a newer tree needs only an entry here.
PERSONAS = {
    "jumperlos": Persona(
        "jumperlos",
        "5.7.0.13",
        "MicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 v5.7.0.13 with rp2350b\r\n"
        'Type "help()" for more information.\r\n',
    ),
    "jumperlos-upstream": Persona(  # the newest upstream JumperlOS tree ("upstream-7077df9", as in 5.7.11.0)
        "jumperlos-upstream",
        "5.7.11",
        "MicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 v5.7.11 with rp2350b\r\n"
        'Type "help()" for more information.\r\n',
    ),
    "jumperlos-5.7.5": Persona(  # the stable-5.7.5 branch tree ("upstream-796c56c"): no parts, no bg_*
        "jumperlos-5.7.5",
        "5.7.5",
        "MicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 v5.7.5 with rp2350b\r\n"
        'Type "help()" for more information.\r\n',
    ),
    "legacy": Persona("legacy", "5.3.2.4", ""),
}
PART_VALUE_KEYS = {"resistor": "ohms", "capacitor": "farads"}  # place_part: the value's key in the parts file
# Personas whose firmware tree has Ser3Backchannel.cpp (the aux port): the fork's src/ and upstream's src/tubes/
# (the verbs modelled here are the same in both; 5.7.5's tree is not known to have it, so it has none here).
AUX_PERSONAS = frozenset({"jumperlos", "jumperlos-upstream"})
LINK_ROLES = ("main", "repl", "ser3")  # the udev rules' /dev/jumperless_<role> names this board keeps in link_dir


class VirtualBoard:
    def __init__(
        self,
        persona: str = "jumperlos",
        *,
        parts: list[Part] | None = None,
        fs_dir: str | Path | None = None,
        time_scale: float = 1.0,
        adc_noise: float = 0.0,
        seed: int = 0,
        link_dir: str | Path | None = None,
    ) -> None:
        if persona not in PERSONAS:
            raise ValueError(f"persona must be one of {', '.join(PERSONAS)}, got {persona!r}")
        self.persona = PERSONAS[persona]
        self.time_scale = time_scale
        self.link_dir = Path(link_dir) if link_dir else None
        self._tempdir = None if fs_dir else tempfile.TemporaryDirectory(prefix="jumperless-fs-")
        root = Path(fs_dir) if fs_dir else Path(self._tempdir.name)  # type: ignore[union-attr]
        self.model = BoardModel(FirmwareVersion.parse(self.persona.version), root, parts, adc_noise, seed)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._io = IoThread()
        self._main_pty = PtyPort("main")
        self.runtime = PythonRuntime(self.model, self._main_write, self._main_wait)
        jumperlos = self.persona.family is Family.JUMPERLOS
        self.runtime.vm_hook = jumperlos  # MICROPY_VM_HOOK_LOOP: JOS mpconfigport.h:515; none in 5.3.x (P6)
        self.runtime.check_input = self._check_jumperlos if jumperlos else self._check_legacy
        self._check_lock = threading.Lock()
        self._last_interrupt = 0.0
        self.main = MainPort(self._main_pty, self.model, self.runtime, time_scale)
        self.main.attach(InputBuffer(self._cond))
        self.repl: ReplPort | None = None
        if self.persona.family is Family.JUMPERLOS:
            self.repl = ReplPort(PtyPort("repl"), self.runtime, self.persona.micropython_banner)
            self.repl.attach(InputBuffer(self._cond))
        # 5.3.x: CDC2 is "JL Logic Analyzer" (its handler runs on core 2; see la_port.py)
        self.la = None if self.repl else LogicAnalyzerPort(PtyPort("repl"), self.model, self.model.logic_analyzer)
        # the read-only fourth port (USBSer3, Ser3Backchannel.cpp): in the 5.7.0.13 fork tree only
        self.aux = BackchannelPort(PtyPort("aux"), self.model) if persona in AUX_PERSONAS else None
        self._thread = threading.Thread(target=self._run, name="virtual-board", daemon=True)
        self._started = False
        self.hung = False  # firmware stuck: bytes from the host are read and dropped, nothing answers
        self.crashes: list[str] = []  # tracebacks of errors the board thread caught (emulator bugs: tests check)
        if self.la:
            self.la.crashes = self.crashes

    # --- public surface -------------------------------------------------------------------------
    @property
    def main_path(self) -> str:
        return self._main_pty.path

    @property
    def repl_path(self) -> str | None:
        """CDC2: the REPL (JumperlOS) or the logic analyzer (5.3.x)."""
        cdc2 = self._cdc2()
        return cdc2.path if cdc2 else None

    @property
    def aux_path(self) -> str | None:
        """The read-only fourth port (`:verb` queries), on personas that have it."""
        return self.aux.port.path if self.aux else None

    def _cdc2(self) -> PtyPort | None:
        return self.repl.port if self.repl else self.la.port if self.la else None

    @property
    def firmware(self) -> str:
        return self.persona.version

    @property
    def probe(self) -> ProbeInput:
        return self.model.probe

    def info(self) -> dict[str, str | None]:
        """The mapping `jumperless-mcp emulate` prints, and `Board.open()` accepts."""
        info: dict[str, str | None] = {"main": self.main_path, "repl": self.repl_path}
        if self.aux:
            info["aux"] = self.aux_path
        return info | {
            "persona": self.persona.name,
            "firmware": self.firmware,
            "time_scale": self.time_scale,
        }

    def stable_path(self, role: str) -> str:
        """A symlink that follows the port across replugs, like a udev `/dev/jumperless_*` link."""
        if self.link_dir is None:
            raise ValueError("start the board with link_dir=... to get stable port paths")
        return str(self.link_dir / f"jumperless_{role}")

    @property
    def plugged_in(self) -> bool:
        return not self._main_pty.closed

    def unplug(self) -> None:
        """Pull the USB cable: the port nodes vanish and open host handles see an error."""
        for port in self._pty_ports():
            self._io.remove(port)
            port.close()
        if self.link_dir:
            for role in LINK_ROLES:
                Path(self.stable_path(role)).unlink(missing_ok=True)

    def replug(self) -> None:
        """Plug back in: the board reboots (a fresh MicroPython VM) on new port nodes.

        The netlist and files persist, as if restored from flash at boot.
        """
        if self.plugged_in:
            self.unplug()
        self.runtime.request_interrupt()
        with self._cond:
            self.main.port = self._main_pty = PtyPort("main")
            self.main.reset_session()
            if self.repl:
                self.repl.port = PtyPort("repl")
                self.repl.reset_session()
            if self.la:
                self.la.port = PtyPort("repl")
                self.la.reset_session()
            if self.aux:
                self.aux.port = PtyPort("aux")
                self.aux.reset_session()
            self.runtime.reset()
            self._boot()
        self._register_ports()

    def _pty_ports(self) -> list[PtyPort]:
        cdc2 = self._cdc2()
        ports = [self._main_pty, cdc2] if cdc2 else [self._main_pty]
        return [*ports, self.aux.port] if self.aux else ports

    def _register_ports(self) -> None:
        self._io.add(self._main_pty, lambda data: self._from_host(self.main, data))
        if self.repl:
            self._io.add(self.repl.port, lambda data: self._from_host(self.repl, data))
        if self.la:
            self._io.add(self.la.port, lambda data: None if self.hung else self.la.feed(data))  # type: ignore[union-attr]
        if self.aux:
            self._io.add(self.aux.port, lambda data: None if self.hung else self.aux.feed(data))  # type: ignore[union-attr]
        if self.link_dir:
            self.link_dir.mkdir(parents=True, exist_ok=True)
            for role, path in (("main", self.main_path), ("repl", self.repl_path), ("ser3", self.aux_path)):
                link = Path(self.stable_path(role))
                link.unlink(missing_ok=True)
                if path:
                    link.symlink_to(path)

    def hang(self) -> None:
        """Stop answering, as firmware stuck in a loop does: the ports stay open, input is ignored."""
        self.hung = True

    def unhang(self) -> None:
        self.hung = False

    def inject(self, port: str, data: bytes) -> None:
        """Unsolicited output (probe banners, ANSI, SO/SI), as the firmware prints between commands."""
        target = {"main": self._main_pty, "repl": self._cdc2()}.get(port)
        if target is None:
            raise ValueError(f"port must be 'main' or 'repl' (on JumperlOS), got {port!r}")
        target.write(data)

    def bytes_written(self, port: str) -> int:
        """How many bytes the board has sent on a port since it was plugged in (echo volume, benchmarks)."""
        target = {"main": self._main_pty, "repl": self._cdc2(), "aux": self.aux and self.aux.port}.get(port)
        if target is None:
            raise ValueError(f"port must be 'main', 'repl' (on JumperlOS) or 'aux' (where present), got {port!r}")
        return target.written

    def block_path(self, a: int, b: int) -> None:
        """Let the crossbars find no free path for the bridge a-b, as on a crowded board: the firmware keeps
        the bridge but never routes it (is_connected says yes, get_path_between says None)."""
        with self.model.lock:
            self.model.no_free_path.add(frozenset((a, b)))

    def place_part(
        self, kind: str, between: tuple[int | str, int | str] | list[int | str], value: object = None,
        name: str | None = None, **fields: object,
    ) -> Part:  # fmt: skip
        """A person pushes a part into the breadboard while the board runs (tests script the bench with this).

        `kind` and the fields are the parts file's (`value` goes under the kind's value key: ohms, farads);
        the part counts from the next sample on."""
        entry: dict[str, object] = {"between": list(between), **fields}
        if value is not None:
            entry[PART_VALUE_KEYS.get(kind, "value")] = value
        if name is not None:
            entry["name"] = name
        (part,) = parse_parts({kind: [entry]}, source="place_part")
        with self.model.lock:
            self._part_list(part).append(part)
            self.model.time.parts_changed()
        return part

    def remove_part(self, name: str) -> bool:
        """A person pulls a placed part (by name) out of the breadboard; False when there is none."""
        with self.model.lock:
            part_lists: list[list] = [self.model.parts, self.model.capacitors, *self._other_part_lists()]
            for part_list in part_lists:
                for part in [p for p in part_list if p.name == name]:
                    part_list.remove(part)
                    self.model.time.parts_changed()
                    return True
        return False

    def _part_list(self, part: Part) -> list:
        lists = {Resistor: self.model.parts, Capacitor: self.model.capacitors}
        found = lists.get(type(part), getattr(self.model, f"{type(part).__name__.lower()}s", None))
        if not isinstance(found, list):
            raise ValueError(f"the board model has no place for a {type(part).__name__}")
        return found

    def _other_part_lists(self) -> list[list]:
        """Part lists the model may have beyond resistors and capacitors (diodes)."""
        return [found for found in (getattr(self.model, "diodes", None),) if isinstance(found, list)]

    def oled_text(self) -> str:
        return self.model.oled.text

    def start(self) -> VirtualBoard:
        if not self._started:
            self._started = True
            self._io.start()
            self._boot()
            self._register_ports()
            self._thread.start()
            if self.la:
                self.la.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.runtime.request_interrupt()
        with self._cond:
            self._cond.notify_all()
        if self.la:
            self.la.stop()
        if self._started:
            self._thread.join(timeout=5)
            self._io.stop()
        for port in self._pty_ports():
            port.close()
        if self.link_dir:
            for role in LINK_ROLES:
                Path(self.stable_path(role)).unlink(missing_ok=True)
        if self._tempdir:
            self._tempdir.cleanup()

    @staticmethod
    def replay(path: str | Path):  # type: ignore[no-untyped-def]
        """A board that answers with a recording's replies (emulator/replay.py; start() it)."""
        from jumperless_mcp.emulator.replay import ReplayBoard

        return ReplayBoard(path)

    def __enter__(self) -> VirtualBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals --------------------------------------------------------------------------------
    def _boot(self) -> None:
        """Power-on: the interrupt char is Ctrl-Q once MpRemoteService has run (MpRemoteService.cpp:113-140),
        which also prints the MicroPython banner into CDC2, whether or not anyone listens (P13)."""
        self.runtime.set_interrupt_char(CTRL_Q)
        if self.repl:
            self.repl.boot()

    def _from_host(self, port: MainPort | ReplPort, data: bytes) -> None:
        """I/O thread: queue the bytes for the board thread; running code checks them at its next check."""
        assert port.input is not None
        if self.hung:
            return
        port.input.feed(data)
        if self.runtime.running:
            self.runtime.input_arrived()

    def _check_jumperlos(self) -> str | None:
        """mp_hal_check_interrupt (JOS src/Python_Proper.cpp:554-657): nothing while the interrupt char is -1;
        else the first pending byte of CDC0, then of CDC2 (check_stream_for_interrupt, :497-549): Ctrl-D asks
        for a soft reset, Ctrl-C or Ctrl-Q (either, on either port) interrupts and is echoed unless CDC2 is in
        raw mode. Bytes behind the first one are never looked at."""
        if not self.runtime.interrupt_char_armed:
            return None
        with self._check_lock:
            for port, echo in ((self.main, b"^Q"), (self.repl, b"^C")):
                if port is None or port.input is None:
                    continue
                head = port.input.peek_byte()
                if head not in (CTRL_C, CTRL_D, CTRL_Q):
                    continue
                port.input.read_byte()
                now, last = time.monotonic(), self._last_interrupt
                self._last_interrupt = now
                if head == CTRL_D:
                    return SOFT_RESET
                if now - last <= DEBOUNCE:
                    return None  # consumed, ignored
                if not (self.repl and self.repl.in_raw_repl):
                    owner = self.runtime.owner
                    if isinstance(owner, (MainPort, ReplPort)):
                        owner.write(echo)
                return INTERRUPT
        return None

    def _check_legacy(self) -> str | None:
        """5.3.x mp_hal_check_interrupt (V5 src/Python_Proper.cpp:202-246): read and drop everything pending on
        the main port up to a Ctrl-Q, which prints its notice and raises at once (the 50 ms debounce never
        engages: the raise skips the line that would record the time)."""
        assert self.main.input is not None
        with self._check_lock:
            while (byte := self.main.input.read_byte()) is not None:
                if byte == CTRL_Q:
                    self.main.write(LEGACY_NOTICE)
                    return INTERRUPT
        return None

    def _main_write(self, text: str) -> None:
        self.main.write(text)

    def _main_wait(self, sleep) -> None:  # type: ignore[no-untyped-def]
        self.main.wait_for_input(sleep)

    def _ports(self) -> list[MainPort | ReplPort]:
        return [self.main, self.repl] if self.repl else [self.main]

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not any(p.input.pending() for p in self._ports()):  # type: ignore[union-attr]
                    self._cond.wait(0.1)
            for port in self._ports():
                if self._stop.is_set():
                    return
                try:
                    port.service()
                except (KeyboardInterrupt, SystemExit):
                    # An interrupt forced just as the code finished: the firmware reports such strays too.
                    self.runtime.end_run()
                    self.main.write("[MpRemote] Caught stray exception\r\n")
                except Exception:  # a bug of the emulator's: say so loudly, keep the board answering
                    self.crashes.append(traceback.format_exc())
                    log.exception("virtual board %s: the board thread caught an error of its own", self.main_path)
