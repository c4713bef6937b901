"""The store: the conversation archive (SQLite), its locking and fault translation, and the facade
(:mod:`.history`) through which every read and every write goes."""
