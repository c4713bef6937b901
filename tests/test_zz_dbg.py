import numpy as np
from chatgpt_history_mcp.store.query import parse_query
from chatgpt_history_mcp.store.ranking import _Scorer
def test_dbg(sample_store):
    snap = sample_store.index._current_searcher()
    q = parse_query("config")
    u = q.should[0]
    print(u)
    for f in ["title","user","assistant","tool","hidden"]:
        for t in [a[0] for a in u.searched] + list(u.stems):
            p = snap.postings(f, t)
            if p is not None:
                print(f, t, p[0][:10], p[1][:10], p[1].dtype)
        print(f, snap.lengths(f)[:10])
