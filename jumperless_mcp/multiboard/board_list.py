"""Which boards a server drives, and keeping that list current while it runs.

The list comes from, in order: the configuration's boards (`[boards.NAME]` tables or `--board` flags);
with `port = "auto"`, every Jumperless on USB, named `board1`, `board2`, ... in USB location order when
there are several; otherwise the one board `port` selects. While serving, `BoardList.rescan()` re-reads
the config file when it changes and looks for boards plugged in (auto mode), and the federation swaps
members accordingly; members whose entry did not change keep their open session.

A changed file is applied only once it holds still (two reads `SETTLE` seconds apart agree), and never
when it would drop every board or loosen a safety limit without writing the new value: a truncating
writer (`> config.toml`, some editors) shows intermediate states that are valid TOML, such as an empty
file (port back to auto) or one cut after its first line (max_voltage back to 8 V). Such a reload is
refused with a warning; the file must say it (e.g. `max_voltage = 8.0`), or the server be restarted.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from jumperless_mcp.link.discovery import BoardPorts, find_boards
from jumperless_mcp.multiboard.federation import WATCH_INTERVAL, Federation
from jumperless_mcp.multiboard.members import LocalMember, Member
from jumperless_mcp.settings.board_config import SINGLE_NAME, BoardEntry, board_label
from jumperless_mcp.settings.config import Config, ConfigError

log = logging.getLogger("jumperless_mcp.multiboard.federation")

SETTLE = 0.1  # seconds between the two reads of a changed config file that must agree before it is applied
SETTLE_TRIES = 5  # reads that disagree before giving up until the next watch round
Scan = Callable[[], list[BoardPorts]]

# The safety settings, and when a new value is looser than the old one.
LOOSER: dict[str, Callable[[Any, Any], bool]] = {
    "max_voltage": lambda old, new: new > old,
    "min_voltage": lambda old, new: new < old,
    "read_only": lambda old, new: bool(old) and not new,
    "allow_python": lambda old, new: bool(new) and not old,
}
REMOTE_LIMITS = ("read_only",)  # the others of a remote board are set on its own server


def _written_level(entry: BoardEntry, key: str) -> int:
    """Where the file writes an entry's setting: 2 its own [boards.NAME] table, 1 the top level, 0 nowhere."""
    if key in entry.written:
        return 2
    return 1 if key in entry.config.file_keys else 0


def unsafe_changes(old: list[BoardEntry], new: list[BoardEntry], config: Config) -> list[str]:
    """What going from `old` to `new` would loosen without the file saying so; empty when it is safe.

    A limit may widen only where the new value is written at least as specifically as the old one was
    (a key that vanished from a board's table falls back to the top level or the default: not said).
    Every board may be dropped only when the file names the new ones (a `port` or `[boards]` tables).
    """
    problems = []
    before = {entry.name: entry for entry in old}
    kept = {(e.name, e.selector) for e in new} & {(e.name, e.selector) for e in old}
    if old and not kept and "port" not in config.file_keys and not any(entry.written for entry in new):
        served = ", ".join(f"{entry.name} = {entry.selector}" for entry in old)
        problems.append(f"it drops every board served now ({served}) and names no port or [boards]")
    for entry in new:
        prior = before.get(entry.name)
        if prior is None or prior.remote != entry.remote:
            continue
        for key in REMOTE_LIMITS if entry.remote else LOOSER:
            was, now = getattr(prior.config, key), getattr(entry.config, key)
            if LOOSER[key](was, now) and _written_level(entry, key) < max(1, _written_level(prior, key)):
                where = f"[boards.{entry.name}]" if _written_level(prior, key) == 2 else "the file"
                problems.append(
                    f"{board_label(entry.name)}: {key} would go from {was} to {now}, not written in {where}"
                )
    return problems


def member_for(entry: BoardEntry) -> Member:
    if entry.remote:
        from jumperless_mcp.multiboard.remote_board import RemoteBoard

        return RemoteBoard(
            entry.name, entry.selector, entry.token, timeout=entry.config.timeout, read_only=entry.config.read_only
        )
    return LocalMember(entry.name, entry.config)


def is_auto(config: Config) -> bool:
    return (config.port or "auto").strip() == "auto"


class BoardList:
    """The entries to serve now, from the configuration, USB enumeration and the config file."""

    def __init__(
        self,
        config: Config,
        *,
        reload: Callable[[], Config] | None = None,
        config_path: Path | None = None,
        scan: Scan = find_boards,
        settle: float = SETTLE,
    ) -> None:
        self.config = config
        self.reload = reload
        self.config_path = config_path
        self.scan = scan
        self.settle = settle
        self._snapshot = self._file_snapshot()
        self._auto_names: dict[str, str] = {}  # USB location -> board name, kept while the server runs
        self._emulator_fallback = False
        self.current: list[BoardEntry] = []  # the entries last handed out

    def entries(self, found: list[BoardPorts] | None = None) -> list[BoardEntry]:
        config = self.config
        if not config.boards and is_auto(config) and not self._emulator_fallback:
            found = self.scan() if found is None else found
            if not found and config.emulator_if_no_board and not self._auto_names:
                log.warning("no Jumperless found on USB; serving the virtual board instead (emulator_if_no_board)")
                self._emulator_fallback = True
            for ports in sorted(found, key=lambda p: p.location or p.name):
                if ports.name not in self._auto_names:
                    self._auto_names[ports.name] = f"board{len(self._auto_names) + 1}"
        self.current = self.planned(config)
        return self.current

    def planned(self, config: Config) -> list[BoardEntry]:
        """The entries `config` gives with the boards auto mode has found so far (no USB scan)."""
        if config.boards:
            return list(config.boards)
        if not is_auto(config):
            return [self._single(config, config.port or "auto")]
        if self._emulator_fallback:
            return [self._single(config, "emulator")]
        if len(self._auto_names) < 2:
            return [self._single(config, "auto")]
        return [
            BoardEntry(name, location, replace(config, port=location), origin="port auto")
            for location, name in self._auto_names.items()
        ]

    def naming(self) -> str:
        """How auto mode named the boards it found: `board1 = usb:1-1.2, board2 = usb:1-1.4`."""
        return ", ".join(f"{name} = {location}" for location, name in self._auto_names.items())

    @staticmethod
    def _single(config: Config, selector: str) -> BoardEntry:
        return BoardEntry(SINGLE_NAME, selector, replace(config, port=selector), origin="port")

    def _file_snapshot(self) -> tuple[int, bytes] | None:
        """The file's modification time and content; None when it cannot be read."""
        try:
            if self.config_path is None:
                return None
            return self.config_path.stat().st_mtime_ns, self.config_path.read_bytes()
        except OSError:
            return None

    async def _settled(self) -> tuple[int, bytes] | None:
        """The file's snapshot once two reads `settle` seconds apart agree; None if it keeps changing."""
        seen = self._file_snapshot()
        for _ in range(SETTLE_TRIES):
            await anyio.sleep(self.settle)
            now = self._file_snapshot()
            if now == seen:
                return now
            seen = now
        log.warning("config file %s keeps changing; looking again later", self.config_path)
        return None

    async def _reload(self) -> bool:
        """Apply a changed config file if it is settled, valid and safe; whether the board list was reloaded."""
        snapshot = await self._settled()
        if snapshot is None:
            return False
        try:
            config = self.reload()  # type: ignore[misc]
        except ConfigError as exc:
            self._snapshot = snapshot  # not read again until it changes
            log.error("config file changed but is not valid, keeping the current boards: %s", exc)
            return False
        if self._file_snapshot() != snapshot:
            return False  # changed while being read: next round
        self._snapshot = snapshot
        problems = unsafe_changes(self.current, self.planned(config), config)
        if problems:
            log.warning(
                "config file %s changed, but applying it would loosen the bench, so the current boards and limits "
                "stay (a half-written file? write the value explicitly, or restart the server): %s",
                self.config_path,
                "; ".join(problems),
            )
            return False
        self.config = config
        log.info("config file %s changed: board list reloaded", self.config_path)
        return True

    async def changed_entries(self) -> list[BoardEntry] | None:
        """New entries when the config file changed or boards appeared on USB; None when nothing did."""
        reloaded = False
        if self.reload is not None and self._file_snapshot() != self._snapshot:
            reloaded = await self._reload()
            if not reloaded:
                return None
        if not self.config.boards and is_auto(self.config) and not self._emulator_fallback:
            known = dict(self._auto_names)
            found = await anyio.to_thread.run_sync(self.scan)
            entries = self.entries(found)
            if known != self._auto_names:
                log.info("boards on USB by location: %s", self.naming())
                return entries
        return self.entries() if reloaded else None


class Bench:
    """A federation kept in step with a `BoardList`: members are swapped when their entries change."""

    def __init__(self, boards: BoardList) -> None:
        self.boards = boards
        self._entries: dict[str, BoardEntry] = {}  # what each member of the federation was made from
        self.federation = Federation()

    def _members_for(self, entries: list[BoardEntry]) -> list[Member]:
        """A member per entry: the federation's current one when its entry did not change, else a new one."""
        members = []
        for entry in entries:
            old, current = self._entries.get(entry.name), self.federation.member(entry.name)
            if current is None or old is None or replace(old, origin="") != replace(entry, origin=""):
                current = member_for(entry)
            members.append(current)
        self._entries = {entry.name: entry for entry in entries}
        return members

    async def start(self) -> None:
        config = self.boards.config
        if config.boards and (not is_auto(config) or config.parts):
            log.warning("the board list decides which boards are served: the top-level port / parts are not used")
        entries = self.boards.entries()
        if len(entries) > 1 and entries[0].origin == "port auto":
            log.info("several boards on USB, named by USB location order: %s", self.boards.naming())
        await self.federation.replace_all(self._members_for(entries))

    async def rescan(self) -> None:
        entries = await self.boards.changed_entries()
        if entries is not None:
            await self.federation.replace_all(self._members_for(entries))


@contextlib.asynccontextmanager
async def open_bench(
    config: Config,
    *,
    reload: Callable[[], Config] | None = None,
    config_path: Path | None = None,
    interval: float = WATCH_INTERVAL,
    scan: Scan = find_boards,
) -> AsyncIterator[Federation]:
    """The federation for this configuration, started, and watched for hot-plug and config changes."""
    bench = Bench(BoardList(config, reload=reload, config_path=config_path, scan=scan))
    async with anyio.create_task_group() as group:
        try:
            await bench.start()
            for member in bench.federation.members:
                log.info("%s: %s", board_label(member.name), member.selector)
            group.start_soon(lambda: bench.federation.watch(interval, rescan=bench.rescan))
            yield bench.federation
        finally:
            group.cancel_scope.cancel()
            await bench.federation.aclose()
