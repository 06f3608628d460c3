"""pytest fixtures for a Jumperless: `jumperless`, `jumperless_clean`, `jumperless_boards`, `jumperless_record`,
and the marker `@pytest.mark.jumperless(firmware=..., persona=..., board=...)`.

Registered as the `pytest11` entry point `jumperless` (disable with `-p no:jumperless`). Inert unless a board is
configured (`--jumperless-port` or `JUMPERLESS_PORT`) *and* a test asks for one: nothing is opened, validated
from the environment or added to other tests. With no board configured, every test that needs one is skipped
with the reason, so one suite runs on a desk without hardware and in CI against `--jumperless-port emulator`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from jumperless_mcp.bench import records
from jumperless_mcp.bench.records import Measurement
from jumperless_mcp.errors import ArgumentError
from jumperless_mcp.testing.pool import BoardPool
from jumperless_mcp.testing.selection import ENV_VAR, MARKER_HELP, Requirement, SelectionError, parse_ports

if TYPE_CHECKING:  # the host loads when a test first needs a board, not with pytest
    from jumperless_mcp.testing.handle import BoardHandle

POOL = pytest.StashKey[BoardPool]()
NO_BOARD = (
    "no Jumperless configured: give --jumperless-port TARGET (repeatable, or NAME=TARGET) or set "
    f"{ENV_VAR} (e.g. emulator, emulator:legacy, /dev/ttyACM0, usb:1-1.4)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jumperless", "Jumperless breadboard (jumperless-mcp)")
    group.addoption(
        "--jumperless-port",
        action="append",
        default=[],
        metavar="[NAME=]TARGET",
        help=f"a board for the jumperless fixtures (repeat for several; default: ${ENV_VAR}); TARGET is any form "
        "Board.open takes: emulator, emulator:legacy, /dev/ttyACM0, usb:1-1.4, auto",
    )
    group.addoption(
        "--jumperless-records",
        default=None,
        metavar="PATH",
        help="also append every measurement recorded with jumperless_record to this .csv or .jsonl file",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    given = config.getoption("jumperless_port") or []
    try:
        if given:
            from jumperless_mcp.link.targets import Target

            targets = parse_ports(given)
            for target in targets.values():
                Target(target)  # the form is checked now; nothing is opened
        else:  # the environment is read as is and checked only when a test needs the board
            env = os.environ.get(ENV_VAR, "").strip()
            targets = parse_ports([env]) if env else {}
        path = config.getoption("jumperless_records")
        if path:
            records.file_format(path)
    except (SelectionError, ArgumentError, ValueError) as exc:
        raise pytest.UsageError(str(exc)) from exc
    config.stash[POOL] = BoardPool(targets)


def pytest_report_header(config: pytest.Config) -> str | None:
    pool = config.stash.get(POOL, None)
    if pool is None or not pool.targets:
        return None
    return "jumperless: " + ", ".join(f"{name}={target}" for name, target in pool.targets.items())


def pytest_sessionfinish(session: pytest.Session) -> None:
    pool = session.config.stash.get(POOL, None)
    if pool is not None:
        pool.close()


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("jumperless")
    if marker is None:
        return
    problem: str | None = None
    try:
        need = Requirement.from_marker(marker.args, marker.kwargs)
    except SelectionError as exc:
        problem = str(exc)
    if problem is not None:  # outside the `except`: the report shows the message once, unchained
        pytest.fail(problem, pytrace=False)
    pool = item.config.stash[POOL]
    if not pool.targets:
        _skip(NO_BOARD)
    name = need.board or pool.first
    if name not in pool.targets:
        _skip(f"needs the Jumperless {name!r}; configured: {', '.join(pool.targets)}")
    handle = _open(pool, name)  # type: ignore[arg-type]
    persona = getattr(handle.board.target, "persona", None) if handle.board.virtual_board is not None else None
    why = need.unmet(handle.board.version, persona)
    if why is not None:
        _skip(f"{name}: {why}")


def _skip(reason: str) -> None:
    """Skip, reported at the test's line (as skipif does), not at this plugin's."""
    raise pytest.skip.Exception(reason, _use_item_location=True)


def _open(pool: BoardPool, name: str) -> BoardHandle:
    try:
        return pool.get(name)
    except (LookupError, RuntimeError) as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


def _pool(request: pytest.FixtureRequest) -> BoardPool:
    pool = request.config.stash[POOL]
    if not pool.targets:
        pytest.skip(NO_BOARD)
    return pool


@pytest.fixture(scope="session")
def jumperless(request: pytest.FixtureRequest) -> BoardHandle:
    """The first configured board, connected for the whole session (its port lock held); methods block."""
    pool = _pool(request)
    return _open(pool, pool.first)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def jumperless_boards(request: pytest.FixtureRequest) -> dict[str, BoardHandle]:
    """Every configured board by name (`NAME=TARGET`, or board1, board2, ... by position), all connected."""
    pool = _pool(request)
    return {name: _open(pool, name) for name in pool.targets}


@pytest.fixture
def jumperless_clean(jumperless: BoardHandle) -> Iterator[BoardHandle]:
    """The `jumperless` board, snapshotted before the test and, after it, put in the safe state and restored.

    The teardown fails (an error in the report) when the board does not match the snapshot afterwards."""
    from jumperless_mcp.bench import snapshots

    before = jumperless.run(snapshots.capture, jumperless.board)
    yield jumperless
    jumperless.make_safe()
    result = jumperless.run(snapshots.restore, jumperless.board, before)
    if not result["matches"]:
        pytest.fail(
            f"jumperless_clean: {jumperless.name} could not be restored: {'; '.join(result['differences'])}",
            pytrace=False,
        )


Recorder = Callable[..., Measurement]


@pytest.fixture
def jumperless_record(request: pytest.FixtureRequest) -> Recorder:
    """`jumperless_record(what, name=None, *, low=None, high=None, units=None, check=False, **details)`.

    `what` is a `Measurement`, a reading with `.record()` (VoltageReading, ResistanceReading) or a number (then
    `name` and `units` are needed). The record goes into the test report's user properties, as `record_property`
    puts them (`NAME` the value, `NAME.units`, `NAME.low`, `NAME.high`, `NAME.passed`: JUnit XML shows them as
    <property> elements; its xunit2 schema has no place for them, so strict validators want
    `-o junit_family=xunit1`, which is why this does not warn on every call as `record_property` does) and, with
    `--jumperless-records PATH`, into that file. `check=True` fails the test when the value is outside its
    limits. Returns the record."""
    pool = request.config.stash[POOL]
    path = request.config.getoption("jumperless_records")

    def record(what: Any, name: str | None = None, *, check: bool = False, **details: Any) -> Measurement:
        measurement = _measurement(what, name, details)
        if not measurement.board and pool.opened:
            handle = next(iter(pool.opened.values()))
            firmware = measurement.firmware or handle.board.firmware or ""
            measurement = dataclasses.replace(measurement, board=handle.name, firmware=firmware)
        request.node.user_properties.extend(_properties(measurement))
        if path:
            metadata = {"test": request.node.nodeid, "boards": dict(pool.targets)}
            records.write(_worker_path(request.config, path), [measurement], metadata)
        if check and measurement.passed is False:
            pytest.fail(measurement.describe(), pytrace=False)
        return measurement

    return record


def _measurement(what: Any, name: str | None, details: dict[str, Any]) -> Measurement:
    if isinstance(what, Measurement):
        if name is not None:
            details["name"] = name
        return dataclasses.replace(what, **details) if details else what
    if hasattr(what, "record"):
        return what.record(name, **details)  # type: ignore[no-any-return]
    if what is None or (isinstance(what, int | float) and not isinstance(what, bool)):
        if name is None or "units" not in details:
            raise TypeError("jumperless_record: a plain number needs a name and units=...")
        units = details.pop("units")
        return Measurement(name, None if what is None else float(what), units, **details)
    raise TypeError(f"jumperless_record: expected a Measurement, a reading or a number, got {type(what).__name__}")


def _properties(m: Measurement) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = [(m.name, "none" if m.value is None else m.value), (f"{m.name}.units", m.units)]
    found += [(f"{m.name}.{key}", getattr(m, key)) for key in ("low", "high") if getattr(m, key) is not None]
    if m.passed is not None:
        found.append((f"{m.name}.passed", m.passed))
    return found


def _worker_path(config: pytest.Config, path: str) -> Path:
    """One file per pytest-xdist worker (`name-gw0.csv`), so workers never interleave rows."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    target = Path(path)
    return target.with_name(f"{target.stem}-{worker}{target.suffix}") if worker else target
