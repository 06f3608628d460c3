"""The pytest plugin for bench tests (a `pytest11` entry point, so installing the package installs it).

Owns: the plugin's options, fixtures and marker (`plugin`), which boards a test session was given and whether a
board matches a test's firmware/persona requirement (`selection`), and the blocking handle a synchronous test
drives a `Board` through (`handle`: the board lives on an event loop in a thread of its own).

Inert unless `--jumperless-port` or `JUMPERLESS_PORT` is given: nothing is opened until a test asks for a
board fixture or carries the `jumperless` marker.

May import: `bench`, `link`, `firmware_api`, `jumperless_mcp.errors`; pytest (only loaded by pytest).
"""
