"""The resource list follows the boards: with several, an unplugged board's resources leave the list with its tools,
and clients hear notifications/resources/list_changed (handshake era) or ResourcesListChanged (2026-07-28)."""

from __future__ import annotations

import anyio
from mcp import Client, types

from jumperless_mcp.multiboard.federation import Federation
from jumperless_mcp.multiboard.members import LocalMember
from jumperless_mcp.serving.server import federation_server
from jumperless_mcp.settings.config import Config

WATCH = 0.05  # seconds between presence checks
EMULATOR = Config(port="emulator", timeout=1.0).validated()


def board_uris(resources: types.ListResourcesResult, board: str) -> list[str]:
    return [str(r.uri) for r in resources.resources if str(r.uri).startswith(f"jumperless://{board}/")]


async def test_an_unplugged_board_s_resources_leave_the_list_and_clients_are_told() -> None:
    federation = Federation([LocalMember("a", EMULATOR), LocalMember("b", EMULATOR)])
    heard: list[str] = []

    async def on_message(message: object) -> None:
        if isinstance(message, types.ResourceListChangedNotification):
            heard.append("resources")
        elif isinstance(message, types.ToolListChangedNotification):
            heard.append("tools")

    async def wait_for(count: int) -> None:
        with anyio.fail_after(5):
            while heard.count("resources") < count:
                await anyio.sleep(0.01)

    await federation.start()
    try:
        server = federation_server(federation, environ={})
        async with anyio.create_task_group() as group:
            group.start_soon(federation.watch, WATCH)
            async with (
                Client(server, mode="legacy", message_handler=on_message) as old,
                Client(server) as new,  # 2026-07-28: no handshake, changes through subscriptions/listen
            ):
                capabilities = old.server_capabilities
                assert capabilities.resources is not None and capabilities.resources.list_changed is True
                assert board_uris(await old.list_resources(), "b") and board_uris(await old.list_resources(), "a")
                member = federation.member("b")
                assert isinstance(member, LocalMember) and member.board.virtual_board is not None
                async with new.listen(resources_list_changed=True) as events:
                    member.board.virtual_board.unplug()
                    await wait_for(1)
                    with anyio.fail_after(5):
                        event = await events.__anext__()
                    assert "ResourcesListChanged" in type(event).__name__
                listed = await old.list_resources()
                assert board_uris(listed, "b") == [] and board_uris(listed, "a"), "only b's resources left"
                member.board.virtual_board.replug()
                await wait_for(2)
                assert board_uris(await new.list_resources(), "b")
                assert heard.count("tools") >= 2  # the tool list changed each time too
            group.cancel_scope.cancel()
    finally:
        await federation.aclose()


async def test_a_change_of_tools_that_leaves_the_resources_as_they_were_is_not_a_resource_change() -> None:
    """One board: an unplugged board keeps its tools (they retry per call), so nothing is announced at all."""
    federation = Federation([LocalMember("solo", EMULATOR)])
    heard: list[object] = []

    async def on_message(message: object) -> None:
        if isinstance(message, types.ResourceListChangedNotification | types.ToolListChangedNotification):
            heard.append(message)

    await federation.start()
    try:
        server = federation_server(federation, environ={})
        async with anyio.create_task_group() as group:
            group.start_soon(federation.watch, WATCH)
            async with Client(server, mode="legacy", message_handler=on_message) as client:
                before = [str(r.uri) for r in (await client.list_resources()).resources]
                member = federation.member("solo")
                assert isinstance(member, LocalMember) and member.board.virtual_board is not None
                member.board.virtual_board.unplug()
                await anyio.sleep(WATCH * 6)
                assert heard == []
                assert [str(r.uri) for r in (await client.list_resources()).resources] == before
            group.cancel_scope.cancel()
    finally:
        await federation.aclose()
