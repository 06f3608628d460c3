"""A whole virtual Jumperless V5: board model, Python VM and serial personas on pseudo-terminals.

    with VirtualBoard(persona="jumperlos", parts=load_parts("parts.toml")) as board:
        board.main_path, board.repl_path   # open these with pyserial, mpremote, our host code...
        board.probe.touch(12)              # script the probe
        board.inject("main", b"\\x0e probe banner \\x0f")  # unsolicited output

Two threads do the work: an I/O thread moves host bytes into per-port buffers
(or interrupts running code), and the board thread serves the ports in turn,
like the firmware's main loop (a long script on one port stalls the other).
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from firmware_api.versions import Family, FirmwareVersion
from jumperless_mcp.emulator.board import BoardModel, ProbeInput
from jumperless_mcp.emulator.main_port import MainPort
from jumperless_mcp.emulator.parts import Resistor
from jumperless_mcp.emulator.ports import InputBuffer, IoThread, PtyPort
from jumperless_mcp.emulator.repl_port import ReplPort
from jumperless_mcp.emulator.runtime import PythonRuntime


@dataclass(frozen=True)
class Persona:
    name: str
    version: str
    micropython_banner: str

    @property
    def family(self) -> Family:
        return FirmwareVersion.parse(self.version).family


PERSONAS = {
    "jumperlos": Persona(
        "jumperlos",
        "5.7.0.13",
        "MicroPython v1.28.0-dirty on 2026-06-01; jumperless-v5 v5.7.0.13 with rp2350b\r\n"
        'Type "help()" for more information.\r\n',
    ),
    "legacy": Persona("legacy", "5.3.2.4", ""),
}


class VirtualBoard:
    def __init__(
        self,
        persona: str = "jumperlos",
        *,
        parts: list[Resistor] | None = None,
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
        self.main = MainPort(self._main_pty, self.model, self.runtime, time_scale)
        self.main.attach(InputBuffer(self._cond))
        self.repl: ReplPort | None = None
        if self.persona.family is Family.JUMPERLOS:
            self.repl = ReplPort(PtyPort("repl"), self.runtime, self.persona.micropython_banner)
            self.repl.attach(InputBuffer(self._cond))
        self._thread = threading.Thread(target=self._run, name="virtual-board", daemon=True)
        self._started = False
        self.hung = False  # firmware stuck: bytes from the host are read and dropped, nothing answers

    # --- public surface -------------------------------------------------------------------------
    @property
    def main_path(self) -> str:
        return self._main_pty.path

    @property
    def repl_path(self) -> str | None:
        return self.repl.port.path if self.repl else None

    @property
    def firmware(self) -> str:
        return self.persona.version

    @property
    def probe(self) -> ProbeInput:
        return self.model.probe

    def info(self) -> dict[str, str | None]:
        """The mapping `jumperless-mcp emulate` prints, and `Board.open()` accepts."""
        return {
            "main": self.main_path,
            "repl": self.repl_path,
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
            for role in ("main", "repl"):
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
            self.runtime.reset()
        self._register_ports()

    def _pty_ports(self) -> list[PtyPort]:
        return [self._main_pty, self.repl.port] if self.repl else [self._main_pty]

    def _register_ports(self) -> None:
        self._io.add(self._main_pty, lambda data: self._from_host(self.main, data))
        if self.repl:
            self._io.add(self.repl.port, lambda data: self._from_host(self.repl, data))
        if self.link_dir:
            self.link_dir.mkdir(parents=True, exist_ok=True)
            for role, path in (("main", self.main_path), ("repl", self.repl_path)):
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
        target = {"main": self._main_pty, "repl": self.repl.port if self.repl else None}.get(port)
        if target is None:
            raise ValueError(f"port must be 'main' or 'repl' (on JumperlOS), got {port!r}")
        target.write(data)

    def block_path(self, a: int, b: int) -> None:
        """Let the crossbars find no free path for the bridge a-b, as on a crowded board: the firmware keeps
        the bridge but never routes it (is_connected says yes, get_path_between says None)."""
        with self.model.lock:
            self.model.no_free_path.add(frozenset((a, b)))

    def oled_text(self) -> str:
        return self.model.oled.text

    def start(self) -> VirtualBoard:
        if not self._started:
            self._started = True
            self._io.start()
            self._register_ports()
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.runtime.request_interrupt()
        with self._cond:
            self._cond.notify_all()
        if self._started:
            self._thread.join(timeout=5)
            self._io.stop()
        for port in self._pty_ports():
            port.close()
        if self.link_dir:
            for role in ("main", "repl"):
                Path(self.stable_path(role)).unlink(missing_ok=True)
        if self._tempdir:
            self._tempdir.cleanup()

    def __enter__(self) -> VirtualBoard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals --------------------------------------------------------------------------------
    def _from_host(self, port: MainPort | ReplPort, data: bytes) -> None:
        """I/O thread: interrupt code the port is running, or queue the bytes for the board thread."""
        assert port.input is not None
        if self.hung:
            return
        if self.runtime.running and self.runtime.owner is port:
            keep = bytearray()
            for byte in data:
                if byte in port.interrupt_bytes:
                    if isinstance(port, MainPort):
                        if port.discard_while_running:
                            keep.clear()  # the check that sees Ctrl-Q reads and drops what came before it
                        port.on_interrupt_byte(byte)
                    else:
                        self.runtime.request_interrupt()
                else:
                    keep.append(byte)  # 5.3.x drops these at its next interrupt check (MainPort._cooked)
            data = bytes(keep)
        if data:
            port.input.feed(data)

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
                except KeyboardInterrupt:
                    # An interrupt forced just as the code finished: the firmware reports such strays too.
                    self.main.write("[MpRemote] Caught stray exception\r\n")
