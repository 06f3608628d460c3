"""Pictures of the board as a person sees it (rows, rails, the Nano header, bridges, LED colours, voltages) and
of its OLED framebuffer, drawn as PNG from state the board reported.

Pure: no board, no port. May import: `firmware_api`, `jumperless_mcp.errors`, the standard library and Pillow.
"""
