"""Talking to one board over serial.

Owns: finding ports (`discovery`, `targets`), the exclusive lock on a port (`port_lock`), the byte link
(`serial_link`), the handshake that tells the firmware family, the two channels a call travels on (`transport`:
the raw REPL of JumperlOS ≥ 5.6 and the `>` one-liner of older firmware) and `session`, which keeps the links
open, reconnects and times calls out.

May import: `firmware_api`, `jumperless_mcp.errors`. The emulator only in `targets`, lazily, to start a virtual
board when one is asked for.
"""
