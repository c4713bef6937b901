"""The store: the conversation archive (SQLite) and the full-text index (Whoosh)."""
