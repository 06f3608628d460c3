"""jumperless-mcp: drive a Jumperless V5 breadboard from an AI agent or a bench script."""

__version__ = "0.1.0"
