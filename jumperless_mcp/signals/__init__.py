"""Captured samples, analysed and drawn: statistics, frequency and duty cycle, edges and pulse widths, protocol
decoders, waveform plots and timing diagrams as PNG, CSV files.

Pure: no board, no port; it works on samples it is given, so the same code serves `Board`, the MCP tools and
tests. May import: `firmware_api`, `jumperless_mcp.errors`, the standard library and Pillow.
"""
