"""Which boards a server drives, and keeping that list current while it runs.

The list comes from, in order: the configuration's boards (`[boards.NAME]` tables or `--board` flags);
with `port = "auto"`, every Jumperless on USB, named `board1`, `board2`, ... in USB location order when
there are several; otherwise the one board `port` selects. While serving, `BoardList.rescan()` re-reads
the config file when it changes and looks for boards plugged in (auto mode), and the federation swaps
members accordingly; members whose entry did not change keep their open session.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import anyio

from jumperless_mcp.board_config import BoardEntry
from jumperless_mcp.config import Config, ConfigError
from jumperless_mcp.discovery import BoardPorts, find_boards
from jumperless_mcp.federation import WATCH_INTERVAL, Federation
from jumperless_mcp.members import LocalMember, Member

log = logging.getLogger("jumperless_mcp.federation")

SINGLE_NAME = "board"  # the member name when the server drives one board it was not given a name for
Scan = Callable[[], list[BoardPorts]]


def member_for(entry: BoardEntry) -> Member:
    if entry.remote:
        from jumperless_mcp.remote_board import RemoteBoard

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
    ) -> None:
        self.config = config
        self.reload = reload
        self.config_path = config_path
        self.scan = scan
        self._mtime = self._file_mtime()
        self._auto_names: dict[str, str] = {}  # USB location -> board name, kept while the server runs
        self._emulator_fallback = False

    def entries(self, found: list[BoardPorts] | None = None) -> list[BoardEntry]:
        config = self.config
        if config.boards:
            return list(config.boards)
        if not is_auto(config) or self._emulator_fallback:
            return [self._single(config.port or "auto")]
        found = self.scan() if found is None else found
        if not found and config.emulator_if_no_board and not self._auto_names:
            log.warning("no Jumperless found on USB; serving the virtual board instead (emulator_if_no_board)")
            self._emulator_fallback = True
            return [self._single("emulator")]
        for ports in sorted(found, key=lambda p: p.location or p.name):
            if ports.name not in self._auto_names:
                self._auto_names[ports.name] = f"board{len(self._auto_names) + 1}"
        if len(self._auto_names) < 2:
            return [self._single("auto")]
        return [
            BoardEntry(name, location, replace(config, port=location), origin="port auto")
            for location, name in self._auto_names.items()
        ]

    def naming(self) -> str:
        """How auto mode named the boards it found: `board1 = usb:1-1.2, board2 = usb:1-1.4`."""
        return ", ".join(f"{name} = {location}" for location, name in self._auto_names.items())

    def _single(self, selector: str) -> BoardEntry:
        return BoardEntry(SINGLE_NAME, selector, replace(self.config, port=selector), origin="port")

    def _file_mtime(self) -> float | None:
        try:
            return self.config_path.stat().st_mtime if self.config_path else None
        except OSError:
            return None

    async def changed_entries(self) -> list[BoardEntry] | None:
        """New entries when the config file changed or boards appeared on USB; None when nothing did."""
        reloaded = False
        mtime = self._file_mtime()
        if self.reload is not None and mtime != self._mtime:
            self._mtime = mtime
            try:
                self.config = self.reload()
                reloaded = True
                log.info("config file %s changed: board list reloaded", self.config_path)
            except ConfigError as exc:
                log.error("config file changed but is not valid, keeping the current boards: %s", exc)
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
                log.info("board %s: %s", member.name, member.selector)
            group.start_soon(lambda: bench.federation.watch(interval, rescan=bench.rescan))
            yield bench.federation
        finally:
            group.cancel_scope.cancel()
            await bench.federation.aclose()
