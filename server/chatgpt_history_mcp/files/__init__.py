"""Attachments as files: what a file is from its bytes (:mod:`.kinds`), its text for search and reading
(:mod:`.text`), an image an agent can be shown (:mod:`.images`).

Pure functions over bytes and paths, shared by the importer, the sync and the MCP face: nothing here knows the
store or MCP. An export's names are no guide (a 2026 export's files are ``<id>.dat``, an attachment that says
``.jpg`` can hold a PNG), so a type always comes from the bytes, and never one a browser would run.
"""
