"""What deferred discovery saves in context, and how well tools_search finds the right tool (one run).

1. Size of the `tools/list` result as sent on the wire (JSON bytes, and tokens estimated as bytes / 4, the
   usual rule of thumb for English and JSON; no tokenizer is installed) in full, names and discovery mode
   (JUMPERLESS_LIST_MODE), for 1, 2 and 4 virtual boards behind one server (wire names `bench_N_tool` with
   several). Also the median time of a `tools/list` call, and what discovery costs per task instead: the
   median size of a `tools_search` result and of a `tools_describe_many` result for one tool.
2. Search quality: recall@1 and recall@3 of `tools_search` over the kept query sets, bench tasks written as
   users phrase them (benchmarks/search_queries.toml, used while tuning the synonyms, and
   benchmarks/search_queries_holdout.toml, never used for tuning). With several boards, each query gets
   " on bench 2" appended and must find that board's tool. Also the median time of one search.

Run: .venv/bin/python benchmarks/deferred_tools.py [--boards 1 2 4] [--rounds 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from jumperless_mcp import Board
from jumperless_mcp.emulator import VirtualBoard
from jumperless_mcp.serving.server import directory_server
from jumperless_mcp.settings.config import Config
from jumperless_mcp.tooling.deferred import LIST_MODE_ENV, META_TOOLS, ListMode
from jumperless_mcp.tooling.tool_context import ServerMemory, ToolContext
from jumperless_mcp.tooling.tool_directory import SINGLE_BOARD, ToolDirectory
from jumperless_mcp.tooling.tool_runner import ToolRunner
from jumperless_mcp.tooling.tool_search import SearchIndex
from jumperless_mcp.tools import ALL_TOOLS

HERE = Path(__file__).resolve().parent
QUERY_SETS = {"tuning set": HERE / "search_queries.toml", "held-out set": HERE / "search_queries_holdout.toml"}


def wire_bytes(result: Any) -> int:
    return len(json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True)).encode())


def board_name(index: int, count: int) -> str:
    return SINGLE_BOARD if count == 1 else f"bench_{index + 1}"


async def list_sizes(count: int, rounds: int) -> None:
    config = Config().validated()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        vboards = [stack.enter_context(VirtualBoard("jumperlos", fs_dir=f"{tmp}/{i}")) for i in range(count)]
        async with contextlib.AsyncExitStack() as boards:
            runners = {}
            for index, vboard in enumerate(vboards):
                board = await boards.enter_async_context(Board(vboard.info()))
                runners[board_name(index, count)] = ToolRunner(ALL_TOOLS, ToolContext(board, config, ServerMemory()))
            directory = ToolDirectory.of_runners(runners, reserved=META_TOOLS)
            row: dict[str, Any] = {}
            for mode in ListMode:
                async with Client(directory_server(directory, {LIST_MODE_ENV: mode}), mode="legacy") as client:
                    times = []
                    for _ in range(rounds):
                        started = time.perf_counter()
                        listed = await client.list_tools()
                        times.append(time.perf_counter() - started)
                    row[mode] = (len(listed.tools), wire_bytes(listed), statistics.median(times) * 1000)
                    if mode == "discovery":
                        row["per_task"] = await per_task_cost(client, board_name(0, count))
    (n_full, b_full, t_full), (n_disc, b_disc, t_disc) = row["full"], row["discovery"]
    n_names, b_names, t_names = row["names"]
    search_bytes, describe_bytes = row["per_task"]
    print(
        f"{count} board(s): full {n_full:4} tools {b_full:7} B ~{b_full // 4:6} tok {t_full:6.1f} ms | "
        f"names {n_names:4} tools {b_names:6} B ~{b_names // 4:5} tok {t_names:5.1f} ms | "
        f"discovery {n_disc} tools {b_disc:5} B ~{b_disc // 4:4} tok {t_disc:5.1f} ms | "
        f"full/names {b_full / b_names:4.1f}x, full/discovery {b_full / b_disc:5.1f}x | per task: "
        f"search {search_bytes} B, describe 1 tool {describe_bytes} B"
    )


async def per_task_cost(client: Client, board: str) -> tuple[int, int]:
    """Median bytes of a tools_search result (8 matches) and of describing the first match."""
    queries = [q["text"] for q in tomllib.loads(QUERY_SETS["tuning set"].read_text())["query"]][:20]
    searched, described = [], []
    suffix = f" on {board.replace('_', ' ')}" if board else ""
    for text in queries:
        found = await client.call_tool("tools_search", {"query": text + suffix})
        searched.append(wire_bytes(found))
        first = found.structured_content["matches"][0]["name"]
        described.append(wire_bytes(await client.call_tool("tools_describe_many", {"names": [first]})))
    return int(statistics.median(searched)), int(statistics.median(described))


def search_quality(count: int) -> None:
    config = Config().validated()
    runners = {
        board_name(i, count): ToolRunner(ALL_TOOLS, ToolContext(Board("emulator", eager=False), config, ServerMemory()))
        for i in range(count)
    }
    listings = ToolDirectory.of_runners(
        runners
    ).listings()  # boards never started: every declared tool but the gated one
    index = SearchIndex(listing.search_text() for listing in listings)
    target = board_name(count - 1, count)
    for label, path in QUERY_SETS.items():
        queries = tomllib.loads(path.read_text())["query"]
        hits1 = hits3 = 0
        times = []
        for query in queries:
            text = query["text"] + (f" on {target.replace('_', ' ')}" if target else "")
            expected = {f"{target}_{name}" if target else name for name in query["expect"]}
            started = time.perf_counter()
            names = [match.name for match in index.search(text, 3)]
            times.append(time.perf_counter() - started)
            hits1 += bool(names) and names[0] in expected
            hits3 += any(name in expected for name in names)
        n = len(queries)
        print(
            f"{count} board(s), {label:12} ({n:3} queries): recall@1 {hits1 / n:.3f} ({hits1}/{n})   "
            f"recall@3 {hits3 / n:.3f} ({hits3}/{n})   median search {statistics.median(times) * 1000:.2f} ms"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boards", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print("tools/list size (bytes of the JSON result; tokens ~ bytes/4) and time: full, names, discovery mode")
    for count in args.boards:
        await list_sizes(count, args.rounds)
    print("\ntools_search quality")
    for count in args.boards:
        search_quality(count)


if __name__ == "__main__":
    anyio.run(main)
