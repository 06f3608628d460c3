"""The bridges on the board now, as the firmware keeps them: JumperlOS lists them (`get_bridge`), 5.3.x keeps
the current slot's file, which `Board.connect` always saves. Needs only `call`, `batch` and `_firmware` of a
board (no import of bench/board.py), so the Board mixins and the netlist tools read bridges the same way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from firmware_api.versions import Family, FirmwareVersion

Pair = tuple[int, int]


class BridgeReader(Protocol):
    async def _firmware(self) -> FirmwareVersion: ...

    async def call(self, name: str, /, *args: object, timeout: float | None = None, **kwargs: object) -> Any: ...

    def batch(self) -> Any: ...


def key(a: int, b: int) -> Pair:
    """A bridge the same way round whichever end is named first."""
    return (a, b) if a <= b else (b, a)


def slot_file_pairs(text: str) -> Iterator[Pair]:
    """The bridges of a 5.3.x slot file, `{ 1-10, 20-101, ... }` with node ids."""
    body = text.partition("{")[2].partition("}")[0]
    for token in body.replace("\n", ",").split(","):
        ends = [part.strip() for part in token.split("-")]
        if len(ends) == 2 and all(e.isdigit() for e in ends):
            yield key(int(ends[0]), int(ends[1]))


def unique(pairs: Iterable[Pair]) -> list[Pair]:
    return list(dict.fromkeys(pairs))


async def read_bridges(board: BridgeReader) -> list[Pair]:
    """Every bridge on the board now: two round trips on either family."""
    if (await board._firmware()).family is Family.JUMPERLOS:
        count = int(await board.call("get_num_bridges"))
        batch = board.batch()
        entries = [batch.call("get_bridge", i) for i in range(count)]
        await batch.run()
        return unique(key(int(e.value[0]), int(e.value[1])) for e in entries if e.value)
    slot = await board.call("CURRENT_SLOT")
    text = await board.call("fs_read", f"nodeFileSlot{slot}.txt") or ""
    return unique(slot_file_pairs(text))
