"""Framing that text cannot fool (issue 14, findings F2, F3, F3b, F11, F12).

Through the real `Board` code on virtual boards: the `>` one-liner on 5.3.x and on JumperlOS's main
port (opened on the main port alone), and the raw REPL. The look-alikes come from where they would on
a real board: text the call itself prints or stores (a board function printing a tagged line, a file
holding a traceback), and unsolicited output on a port (injected just before a reply, or between the
raw REPL's two \\x04, where the emulator's own timing would make a plain `inject` land by chance).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from firmware_api.errors import FirmwareError, FirmwareNameError, FirmwareValueError
from jumperless_mcp.bench.board import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.errors import ProtocolError

NOTICE = "KeyboardInterrupt (Ctrl+Q)"
# a saved error log: a traceback after text on the same line, then the 5.3.x Ctrl-Q notice on a line of its own
LOG = f'see: Traceback (most recent call last):\n  File "<stdin>", line 1, in <module>\nValueError: boom\n{NOTICE}\n'
BANNER = b"\x0e\r\n\x1b[38;5;69mProbe connected\x1b[0m\r\n\x0f"  # what the main loop prints between commands
LOOK_ALIKES = (  # markers and result tags of other requests, the Ctrl-Q notice, a header quoted on a line
    b"\x02deadbeef\r\ndeadbeef\x03\r\n\x1e0:-7.5\r\n\x1ea1b2c3:0:-7.5\r\n^Q\n\r" + NOTICE.encode() + b"\n\r"
    b"Traceback (most recent call last): see the log\r\n"
)
TRACEBACK = b'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\nValueError: junk\r\n'
SCALE = {"legacy": 0.05, "jumperlos": 1.0}  # the 5.3.x 1 s `>` collector becomes 50 ms


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUMPERLESS_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.delenv("JUMPERLESS_PORT", raising=False)


@contextmanager
def virtual(persona: str, tmp_path: Path) -> Iterator[VirtualBoard]:
    with VirtualBoard(persona, fs_dir=tmp_path / "fs", time_scale=SCALE[persona]) as board:
        yield board


def main_port_only(vboard: VirtualBoard) -> dict[str, object]:
    """The `>` channel on either persona (JumperlOS's fallback when its REPL port is not given)."""
    return {**vboard.info(), "repl": None}


def before_next_reply(board: VirtualBoard, data: bytes) -> Callable[[], None]:
    """Print `data` on the main port once, as the board starts the next code it runs: before the reply's start
    marker, after the JumperlOS echo. Returns a function that says whether it has been printed."""
    pending = [data]

    def record(source: str) -> None:
        if pending:
            board.inject("main", pending.pop())

    board.runtime.recorder = record
    return lambda: not pending


# --- F2, F11: the `>` one-liner's own markers -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["legacy", "jumperlos"])
async def test_look_alikes_in_what_a_call_prints_are_its_output(persona: str, tmp_path: Path) -> None:
    with virtual(persona, tmp_path) as vboard:
        async with Board.open(main_port_only(vboard), allow_python=True) as board:
            assert board.session.channel == "main-oneliner"
            assert await board.run_python("print(1)") == "1\n"  # F11: not the start marker's line end too
            await board.oled_print(NOTICE, 1)
            assert vboard.oled_text() == NOTICE
            assert await board.fs_write("/m.txt", LOG) is True
            assert await board.fs_read("/m.txt") == LOG
            assert (tmp_path / "fs" / "m.txt").read_text() == LOG
            assert await board.run_python("print(fs_read('/m.txt'), end='')") == LOG
            header_alone = "Traceback (most recent call last):\n"  # then comes the line with the end marker
            assert await board.run_python(f"print({header_alone.strip()!r})") == header_alone
            if persona == "jumperlos":
                await board.set_net_name(3, NOTICE)
                assert await board.get_net_name(3) == NOTICE
            # the firmware's own tracebacks still end the reply: after text with no line end, and a compile error
            with pytest.raises(FirmwareNameError, match="nope"):
                await board.run_python("print('text', end='');nope()")
            with pytest.raises(FirmwareError, match="SyntaxError"):
                await board.run_python("x = (")
            assert await board.run_python("print(2)") == "2\n"


@pytest.mark.parametrize("persona", ["legacy", "jumperlos"])
async def test_unsolicited_output_before_a_reply(persona: str, tmp_path: Path) -> None:
    with virtual(persona, tmp_path) as vboard:
        async with Board.open(main_port_only(vboard), allow_python=True) as board:
            printed = before_next_reply(vboard, BANNER + LOOK_ALIKES)
            assert await board.node("D13") == 83
            assert printed()
            # F3b: a whole traceback before the start marker is not this call's: never its error nor its values
            printed = before_next_reply(vboard, BANNER + b"1.234\r\n" + TRACEBACK)
            with pytest.raises(ProtocolError, match="before the reply's start marker"):
                await board.dac_get(0)
            assert printed()
            assert await board.run_python("print(3)") == "3\n"  # resynchronised
            assert await board.node("A7") == 93


# --- F3: result tags bound to the request ----------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["legacy", "jumperlos"])
async def test_forged_result_tags_do_not_change_a_batch(target: str, tmp_path: Path) -> None:
    """The F3 repro (`adc_get` prints a line tagged as call 1's result), then tags with other nonces."""
    with virtual(target, tmp_path) as vboard:
        async with Board.open(vboard.info(), allow_python=True) as board:
            await board.connect("DAC0", "ADC0")
            await board.run_python("real_adc_get = adc_get")
            for forged in ["'\\x1e1:-7.5'", "'\\x1ea1b2c3:1:-7.5\\n\\x1e000000:1:-7.5'"]:
                await board.run_python(f"adc_get = lambda *a: (print({forged}), real_adc_get(*a))[1]")
                async with board.batch() as batch:
                    batch.dac_set(0, 1.5)
                    setpoint = batch.dac_get(0)
                    reading = batch.adc_get(0)
                assert setpoint.value == pytest.approx(1.5), forged
                assert reading.value == pytest.approx(1.5, abs=0.05), forged


# --- F12: the raw REPL -----------------------------------------------------------------------------------------------


def on_the_repl_port(vboard: VirtualBoard, where: str, chunk_start: bytes, data: bytes) -> Callable[[], bool]:
    """Let `data` land on the REPL port once, "before" or "after" the board writes a chunk starting with
    `chunk_start` (b"OK": a reply's start; b"\\x04": the end of its stdout; b"Traceback"). Returns whether it has."""
    port = vboard.repl.port  # type: ignore[union-attr]
    write = port.write

    def write_with_junk(chunk: bytes) -> None:
        if not chunk.startswith(chunk_start):
            write(chunk)
            return
        port.write = write  # type: ignore[method-assign]
        write(data if where == "before" else chunk)
        write(chunk if where == "before" else data)

    port.write = write_with_junk  # type: ignore[method-assign]
    return lambda: port.write == write


async def test_repl_port_junk_is_not_the_next_calls_error(tmp_path: Path) -> None:
    with virtual("jumperlos", tmp_path) as vboard:
        async with Board.open(vboard.info(), allow_python=True) as board:
            assert board.session.channel == "raw-repl"
            vboard.inject("repl", BANNER + LOOK_ALIKES)  # between calls
            assert await board.node("D13") == 83
            for forged in (b"OK\x1e0:99\r\n\x04\x04>", b"OK\x04" + TRACEBACK.replace(b"\r\n", b"\n") + b"\x04>"):
                landed = on_the_repl_port(vboard, "before", b"OK", forged)  # a whole frame just before the reply
                assert await board.node("D11") == 81
                assert landed()
            landed = on_the_repl_port(vboard, "after", b"\x04", b"\r\n\x1b[32mMicroPython banner\x1b[0m\r\n")
            assert await board.node("D12") == 82
            assert landed()
            landed = on_the_repl_port(vboard, "after", b"Traceback", b"junk\r\n")
            with pytest.raises(FirmwareValueError, match="ADC channel must be 0-3"):
                await board.run_python("adc_get(9)")
            assert landed()
            with pytest.raises(FirmwareError, match="SyntaxError"):  # no start marker, and still the call's error
                await board.run_python("x = (")
            assert await board.run_python("print(4)") == "4\n"
