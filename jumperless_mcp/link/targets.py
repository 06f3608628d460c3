"""What the user asked to connect to, and how to find its ports again after a replug.

    "auto"                 the only Jumperless on USB (error if none or several)
    "usb:1-1.4"            the board at that USB location (see `jumperless-mcp ports`)
    "emulator[:PERSONA]"   a virtual board started in this process, on pseudo-terminals (personas:
                           jumperlos (default), jumperlos-upstream, jumperlos-5.7.5, legacy)
    "emulator:replay=FILE" a virtual board that replays a recording (emulator/replay.py)
    '{"main": ..., "repl": ...}'  the mapping `jumperless-mcp emulate` prints (or a dict)
    "/dev/ttyACM0", "COM5" a main or REPL port; which one is found out by talking to it

`JUMPERLESS_PORT` in the environment gives the default. Anything else must look like a path (a path
separator, `COMn`, a pyserial URL such as socket://...) or name one that exists: a bare word is a typo,
refused with the forms and the nearest one, never waited for as a device. A path that does not exist yet
(a board not plugged in) is accepted: the session waits for it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from jumperless_mcp.errors import ArgumentError, BoardNotFound
from jumperless_mcp.link.discovery import ROLES, BoardPorts, find_boards, sibling_ports
from jumperless_mcp.link.personas import DEFAULT_PERSONA, EMULATOR_PERSONAS, emulator_selectors
from jumperless_mcp.link.recording import Recorder

ENV_VAR = "JUMPERLESS_PORT"
TargetSpec = str | Mapping[str, object] | BoardPorts | None


class Target:
    """Resolves a selection to the board's current ports; called again on every reconnect."""

    def __init__(self, spec: TargetSpec, *, record: str | os.PathLike[str] | None = None) -> None:
        if spec is None or (isinstance(spec, str) and not spec.strip()):
            spec = os.environ.get(ENV_VAR, "").strip() or "auto"
        self.spec = spec
        self.recorder = Recorder(record) if record else None  # every port's exchange to a file (recording.py)
        self.replay: str | None = None  # emulator:replay=FILE
        self.virtual_board = None  # set for "emulator": the VirtualBoard this target owns
        self._fixed: BoardPorts | None = None
        self.kind = self._classify(spec)

    def _classify(self, spec: TargetSpec) -> str:
        if isinstance(spec, BoardPorts):
            self._fixed = spec
            return "mapping"
        if isinstance(spec, Mapping):
            self._fixed = ports_from_mapping(spec)
            return "mapping"
        text = spec.strip()
        if text == "auto":
            return "auto"
        if text.startswith("usb:"):
            if text == "usb:":
                raise ArgumentError(
                    "port", "usb: needs a location", "usb:<location> as listed by `jumperless-mcp ports`"
                )
            return "usb"
        if text.startswith("emulator:replay="):
            self.replay = text.partition("=")[2]
            if not Path(self.replay).is_file():
                raise ArgumentError("port", f"no recording at {self.replay!r}", "emulator:replay=<a recording file>")
            self.persona = "replay"
            return "emulator"
        if text == "emulator" or text.startswith("emulator:"):
            persona = text.partition(":")[2] or DEFAULT_PERSONA
            if persona not in EMULATOR_PERSONAS:
                hint = did_you_mean(text, _keywords())
                raise ArgumentError("port", f"unknown emulator persona {persona!r}{hint}", emulator_selectors())
            self.persona = persona
            return "emulator"
        if text.startswith("{"):
            try:
                mapping = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ArgumentError("port", f"not a valid JSON port mapping: {exc}", _ALLOWED) from None
            self._fixed = ports_from_mapping(mapping)
            return "mapping"
        check_path_like(text)
        return "path"

    @property
    def description(self) -> str:
        return self.spec if isinstance(self.spec, str) else json.dumps(self.as_mapping())

    def as_mapping(self) -> dict[str, object]:
        return self._fixed.as_dict() if self._fixed else {"spec": str(self.spec)}

    def start_emulator(self, **options: object) -> None:
        """Start the in-process virtual board for an `emulator` target (no-op otherwise)."""
        if self.kind != "emulator" or self.virtual_board is not None:
            return
        from jumperless_mcp.emulator.virtual_board import VirtualBoard

        if self.replay is not None:
            self.virtual_board = VirtualBoard.replay(self.replay).start()
            return
        self.virtual_board = VirtualBoard(self.persona, **options).start()  # type: ignore[arg-type]

    def stop_emulator(self) -> None:
        if self.virtual_board is not None:
            self.virtual_board.stop()
            self.virtual_board = None

    def locate(self) -> BoardPorts:
        """The board's ports right now; raises BoardNotFound when they are not there."""
        if self.kind == "emulator":
            if self.virtual_board is None:
                self.start_emulator()
            board = self.virtual_board
            if not board.plugged_in:  # type: ignore[union-attr]
                # its old pty paths may already belong to another device: never hand them out
                failure = getattr(board, "failure", None)  # a replay that met a request it has not recorded
                raise BoardNotFound(failure or "the virtual board is unplugged; it reconnects after replug()")
            return BoardPorts(
                main=board.main_path,  # type: ignore[union-attr]
                repl=board.repl_path,  # type: ignore[union-attr]
                aux=board.aux_path,  # type: ignore[union-attr]
                time_scale=board.time_scale,  # type: ignore[union-attr]
            )
        if self._fixed is not None:
            return self._fixed
        assert isinstance(self.spec, str)
        text = self.spec.strip()
        if self.kind == "path":
            if "://" not in text and not text.upper().startswith("COM") and not Path(text).exists():
                raise BoardNotFound(f"no such port: {text}")
            found = sibling_ports(text)
            return found if found and (found.main or found.repl) else BoardPorts(unknown=text)
        boards = find_boards()
        if self.kind == "usb":
            location = text[4:]
            for board in boards:
                if board.location == location:
                    return board
            raise BoardNotFound(f"no Jumperless at USB location {location}; {_listing(boards)}")
        if not boards:
            raise BoardNotFound(
                "no Jumperless found on USB (VID:PID 1D50:ACAB). Plug one in, give a port path, "
                f"or use the virtual board with port 'emulator' ({ENV_VAR}=emulator)"
            )
        if len(boards) > 1:
            raise BoardNotFound(f"several Jumperless boards found; choose one: {_listing(boards)}")
        return boards[0]


def emulator_options(target: Target, *, parts: object = None, persona: str | None = None) -> dict[str, object]:
    """`Board.open("emulator", parts=..., persona=...)`, checked before anything starts; returns VirtualBoard options.

    `parts` is a parts TOML file (a path), its parsed document (a dict), or the parts `load_parts` returned;
    `persona` one of the virtual personas (the same as `emulator:PERSONA`).
    """
    given = [name for name, value in (("parts", parts), ("persona", persona)) if value is not None]
    if persona is not None and (not isinstance(persona, str) or persona not in EMULATOR_PERSONAS):
        hint = did_you_mean(persona, list(EMULATOR_PERSONAS)) if isinstance(persona, str) else ""
        raise ArgumentError("persona", f"unknown virtual persona {persona!r}{hint}", ", ".join(EMULATOR_PERSONAS))
    if given and target.kind != "emulator":
        raise ArgumentError(
            given[0],
            f"only a virtual board takes {given[0]}=, and the target is {target.description!r}",
            f"an emulator target: {emulator_selectors()} (or {ENV_VAR}=emulator)",
        )
    if persona is not None:
        named = str(target.spec).strip().partition(":")[2]
        if named and named != persona:
            raise ArgumentError(
                "persona",
                f"the target {target.spec!r} already names the persona {named!r}",
                f'"emulator", persona={persona!r}',
            )
        target.persona = persona
    return {} if parts is None else {"parts": _load_parts(parts)}


def _load_parts(parts: object) -> list[object]:
    from jumperless_mcp.emulator import parts as model  # the emulator only when a virtual board is configured

    allowed = "a parts TOML file path, its parsed dict, or a list of parts from load_parts (see README, Parts file)"
    try:
        if isinstance(parts, (str, os.PathLike)):
            return list(model.load_parts(Path(parts)))
        if isinstance(parts, Mapping):
            return list(model.parse_parts(dict(parts)))
    except (model.PartsFileError, RecursionError) as exc:
        raise ArgumentError("parts", str(exc) or "values nested too deeply", allowed) from None
    part_types = (model.Resistor, model.Capacitor, model.Diode)
    if isinstance(parts, (list, tuple)) and all(isinstance(part, part_types) for part in parts):
        return list(parts)
    raise ArgumentError("parts", f"expected parts, got {type(parts).__name__}", allowed)


_ALLOWED = f'auto, {emulator_selectors()}, usb:<location>, a device path, or {{"main": ..., "repl": ...}}'
_COM_PORT = re.compile(r"COM\d+", re.IGNORECASE)


def _keywords() -> list[str]:
    return ["auto", "usb:", *emulator_selectors().split(", ")]


def did_you_mean(text: str, choices: list[str]) -> str:
    """`; did you mean 'emulator'?` for a near miss, else nothing."""
    close = difflib.get_close_matches(text.strip().lower(), choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_path_like(text: str) -> None:
    """Refuse a port that is no known form and cannot be a device: no separator, not COMn, not existing.

    `/dev/ttyACM0` or `/dev/jumperless_main` that is not plugged in yet stays accepted (the session waits
    for it); `emulatr` is a typo, not a device to wait for.
    """
    if "/" in text or "\\" in text or "://" in text or _COM_PORT.fullmatch(text) or os.path.exists(text):
        return
    raise ArgumentError(
        "port", f"{text!r} is neither a known port form nor a path{did_you_mean(text, _keywords())}", _ALLOWED
    )


def ports_from_mapping(mapping: Mapping[str, object]) -> BoardPorts:
    """The JSON `jumperless-mcp emulate` prints (extra keys such as persona are ignored)."""
    roles = {role: mapping[role] for role in ROLES if mapping.get(role)}
    for role, value in roles.items():
        if not isinstance(value, str):
            raise ArgumentError(f"port.{role}", f"expected a device path, got {value!r}", "a string")
    if not roles.get("main") and not roles.get("repl"):
        raise ArgumentError("port", "the mapping names neither a main nor a repl port", _ALLOWED)
    scale = mapping.get("time_scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
        raise ArgumentError("port.time_scale", f"expected a positive number, got {scale!r}", "> 0")
    return BoardPorts(**roles, time_scale=float(scale))  # type: ignore[arg-type]


def _listing(boards: list[BoardPorts]) -> str:
    if not boards:
        return "none found"
    return ", ".join(f"{b.name} (main {b.main})" for b in boards)
