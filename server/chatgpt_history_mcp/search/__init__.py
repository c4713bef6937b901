"""The search engine: analysis and morphology, the query language, the Whoosh index (every Whoosh call lives in
:mod:`.index`), ranking, and snippets. It knows documents and queries, not conversations' storage."""
