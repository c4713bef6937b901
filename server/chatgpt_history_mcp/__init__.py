"""chatgpt-history-mcp: a person's ChatGPT history, searchable locally and served over MCP."""

__version__ = "0.1.0"
