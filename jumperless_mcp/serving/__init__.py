"""The MCP server: the low-level SDK server built from the board list, on stdio or streamable HTTP.

May import every layer below: `multiboard`, `tools`, `tooling`, `bench`, `settings`, `link`.
"""
