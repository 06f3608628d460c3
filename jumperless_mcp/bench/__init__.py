"""The bench-script API: `Board` and what it is built from.

Owns: `Board` and `Batch` (every firmware function as a method, made from the catalog, batched into one round
trip), their statically visible signatures (`board_methods`, generated), the net model read back from the board
(`netlist`), board state snapshots (`snapshots`), the statements a call is framed into (`steps`) and the
placeholder a batched call returns (`pending`); `SyncBoard`/`SyncBatch` (`sync_board`: the same methods, blocking, on a
loop thread of their own; their types in `sync_methods`, generated).

May import: `link`, `firmware_api`, `jumperless_mcp.errors`.
"""
