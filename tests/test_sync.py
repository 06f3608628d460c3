"""`SyncBoard`: the `Board` API without `await`, on an event loop in a thread of its own.

The README's bench example, written without async, runs against the virtual board (both personas); every public
member of `Board` and `Batch` has a blocking twin with the same signature; the generated types are current and a
type checker sees them; an interrupted call (Ctrl-C in the calling thread) or a timed-out one leaves the loop
and the board usable; it works where the calling thread already runs an event loop (Jupyter).
"""

from __future__ import annotations

import _thread
import ast
import asyncio
import contextlib
import inspect
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from jumperless_mcp import ArgumentError, BoardTimeout, JumperlessError, SyncBatch, SyncBoard
from jumperless_mcp.bench import sync_board
from jumperless_mcp.bench.board import Batch, Board

ROOT = Path(__file__).resolve().parent.parent

# The README's `Board` example for a plain script (the text given to the README, section "Bench scripts").
README_SYNC_EXAMPLE = """\
from jumperless_mcp import SyncBoard

with SyncBoard.open() as board:  # JUMPERLESS_PORT, else "auto"; or "emulator", "/dev/ttyACM0", "COM5"...
    result = board.connect("D13", 20)  # validated, sent, then read back
    print(result.ok, result.message)  # True NANO_D13-20 connected

    board.connect("DAC0", "ADC0")
    readings = []
    with board.batch() as sweep:  # one board round trip for the whole sweep
        for millivolts in range(0, 3300, 300):
            sweep.dac_set(0, millivolts / 1000)
            readings.append(sweep.adc_get(0))
    print([round(r.value, 2) for r in readings])

    results = board.apply_netlist([(1, 31), (2, 32), ("D2", "GPIO_1")])  # batched, each verified
    print(all(r.ok for r in results), board.health().level)
"""
# The short example given for the README's SyncBoard paragraph (parts and persona for a virtual board).
README_SYNC_PARTS_EXAMPLE = """\
from jumperless_mcp import SyncBoard  # every Board method, without await; its loop runs in a thread of its own

with SyncBoard.open("emulator", parts="examples/divider.toml") as board:  # persona="legacy": 5.3.x
    board.connect("TOP_RAIL", 10), board.connect(11, "ADC0")
    board.dac_set("TOP_RAIL", 5.0)
    with board.batch() as batch:  # one round trip, as with Board
        tap = batch.adc_get(0)
    print(round(tap.value, 1))  # 2.5
"""


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "jumperless-sync-loop"]


@pytest.mark.parametrize("port", ["emulator", "emulator:legacy"])
def test_the_readme_example_runs_without_async(port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_PORT", port)
    if port.endswith("legacy"):  # the 1 s `>` collector of 5.3.x made 50 ms, as elsewhere in the suite
        scaled = classmethod(lambda cls, target=None, **o: cls(target, emulator_options={"time_scale": 0.05}, **o))
        monkeypatch.setattr(SyncBoard, "open", scaled)
    before = len(_loop_threads())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(README_SYNC_EXAMPLE, "bench.py", "exec"), {"__name__": "__main__"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "True NANO_D13-20 connected"
    assert lines[1] == str([round(mv / 1000, 2) for mv in range(0, 3300, 300)])
    assert lines[2] == "True healthy"
    assert len(_loop_threads()) == before  # leaving `with` stopped the loop thread


def test_the_readme_parts_example_reads_the_divider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the example names examples/divider.toml relative to the checkout
    readme = ROOT / "README.md"
    if "SyncBoard.open(" in readme.read_text():  # once merged, the README must show this very example
        assert README_SYNC_PARTS_EXAMPLE in readme.read_text()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(README_SYNC_PARTS_EXAMPLE, "bench.py", "exec"), {"__name__": "__main__"})
    assert out.getvalue() == "2.5\n"


def test_every_board_member_has_a_blocking_twin_with_its_signature() -> None:
    for sync_cls, async_cls in ((SyncBoard, Board), (SyncBatch, Batch)):
        mirrored = sync_board.members(async_cls)
        assert len(mirrored) > 150  # the catalog methods alone are 172
        for name, (kind, attr) in mirrored.items():
            twin = inspect.getattr_static(sync_cls, sync_board.RENAMED.get(name, name))
            if kind == "property":
                assert isinstance(twin, property), name
                continue
            assert not inspect.iscoroutinefunction(twin), name
            if name not in sync_board.RENAMED:
                assert inspect.signature(twin) == inspect.signature(attr), name  # type: ignore[arg-type]
    for name in ("capture", "board_picture", "make_safe", "measure", "apply_netlist", "dac_set", "run_python"):
        assert name in sync_board.DERIVED["SyncBoard"]
    assert "close" in dir(SyncBoard) and "aclose" not in dir(SyncBoard)


def test_the_generated_types_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_methods.py"), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, "run `python tools/sync_methods.py`:\n" + done.stdout[-3000:] + done.stderr[-2000:]


def test_the_declared_plain_attributes_are_the_boards(tmp_path: Path) -> None:
    """SyncBoard forwards the async board's instance attributes; the TYPE_CHECKING list names every one."""
    tree = ast.parse(Path(sync_board.__file__).read_text())
    cls = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "SyncBoard")
    block = next(node for node in cls.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    declared = {node.target.id for node in block.body if isinstance(node, ast.AnnAssign)}  # type: ignore[union-attr]
    board = Board("emulator")
    assert {name for name in vars(board) if not name.startswith("_")} == declared


def test_mypy_sees_the_sync_methods(tmp_path: Path) -> None:
    pytest.importorskip("mypy", reason="mypy is in the test extras: pip install -e '.[test]'")
    script = README_SYNC_EXAMPLE + (
        "\n"
        "    volts: float = board.adc_get(0, timeout=2.0)\n"
        "    text: str = board.print_bridges()\n"
        "    print(volts, text, board.make_safe().done, board.target.kind)\n"
        "    board.dac_sett(0, 1.5)  # BAD\n"
        '    board.adc_get("zero")  # BAD\n'
        "    count: int = board.adc_get(0)  # BAD\n"
        "    sweep.nope()  # BAD\n"
    )
    path = tmp_path / "bench.py"
    path.write_text(script)
    bad = [number for number, line in enumerate(script.splitlines(), 1) if line.endswith("# BAD")]
    command = [sys.executable, "-m", "mypy", "--follow-imports=silent", "--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    done = subprocess.run([*command, str(path)], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    flagged = sorted({int(line.split(":")[1]) for line in done.stdout.splitlines() if ": error:" in line})
    assert flagged == bad, done.stdout
    assert '"SyncBoard" has no attribute "dac_sett"' in done.stdout


def test_ctrl_c_cancels_the_call_and_the_board_stays_usable() -> None:
    """A KeyboardInterrupt while probe_read waits for a touch cancels it on the loop; the next call is clean."""
    with SyncBoard.open("emulator") as board:
        timer = threading.Timer(0.3, _thread.interrupt_main)
        timer.start()
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            board.probe_read()  # waits up to 120 s for a person
        assert time.monotonic() - started < 60
        board.dac_set(0, 1.25)
        assert board.dac_get(0) == pytest.approx(1.25, abs=0.01)
        assert board.health().level == "healthy"
        with pytest.raises(BoardTimeout):
            board.probe_read(timeout=0.3)
        board.virtual_board.probe.touch(12)
        assert board.probe_read() is not None


def test_works_where_the_calling_thread_runs_an_event_loop() -> None:
    """Jupyter runs an asyncio loop in the main thread; the facade's own loop is in another thread."""

    async def cell() -> Any:
        with SyncBoard.open("emulator:legacy", emulator_options={"time_scale": 0.05}) as board:
            board.dac_set(0, 2.0)
            return board.dac_get(0), board.firmware

    volts, firmware = asyncio.run(cell())
    assert volts == pytest.approx(2.0, abs=0.01) and firmware.startswith("5.3")


def test_bad_options_fail_at_open_and_no_thread_is_left() -> None:
    before = len(_loop_threads())
    with pytest.raises(ArgumentError) as raised:
        SyncBoard.open("emulator", persona="jumperlos-5.7")
    assert raised.value.parameter == "persona" and "legacy" in str(raised.value)
    assert len(_loop_threads()) == before


def test_a_batch_left_by_an_exception_is_not_sent_and_close_is_final() -> None:
    board = SyncBoard.open("emulator")  # no `with`: calls connect on their own
    try:
        with pytest.raises(RuntimeError), board.batch() as batch:
            batch.dac_set(0, 2.5)
            raise RuntimeError("stop")
        assert len(batch) == 1
        assert board.dac_get(0) == pytest.approx(0.0, abs=0.01)
        batch2 = board.batch()
        pending = batch2.dac_get(0)
        assert board.run_batch(batch2) == [pending.value]
    finally:
        board.close()
    with pytest.raises(JumperlessError, match="closed"):
        board.dac_get(0)
    board.close()  # twice is harmless


def test_a_script_that_never_closes_still_exits(tmp_path: Path) -> None:
    """The loop thread is a daemon and the board is closed at exit: a forgotten close() does not hang Python."""
    code = (
        "from jumperless_mcp import SyncBoard\n"
        "board = SyncBoard.open('emulator', safe_state=True)\n"
        "board.dac_set(0, 1.0)\n"
        "print(board.dac_get(0))\n"
    )
    env = {**os.environ, "JUMPERLESS_LOCK_DIR": str(tmp_path / "locks")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1.0"


def test_threads_may_share_one_board() -> None:
    """Calls from several threads queue on the one session, in order, as async tasks would."""
    errors: list[BaseException] = []
    with SyncBoard.open("emulator") as board:

        def worker(channel: int) -> None:
            try:
                for step in range(5):
                    board.dac_set(channel, step / 4)
                    assert board.dac_get(channel) == pytest.approx(step / 4, abs=0.01)
            except BaseException as exc:  # reported below, in the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(channel,)) for channel in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert not errors, errors
