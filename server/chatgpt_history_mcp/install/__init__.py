"""Putting this server into MCP hosts' configs: ``install HOST``, ``uninstall HOST``, ``install --list``."""
