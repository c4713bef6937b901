"""Recall a past ChatGPT conversation the way an agent does: search, then read the best match.

python examples/recall.py "sourdough starter"          # uses your configured history
CHATGPT_HISTORY_DATA_DIR=/tmp/chatgpt-sample python examples/recall.py parseConfig
"""

from __future__ import annotations

import os
import sys

import anyio
from mcp import Client, StdioServerParameters


async def recall(topic: str) -> None:
    # The child gets only a minimal environment unless told: pass ours (data dir, exports, session…).
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "chatgpt_history_mcp", "serve"], env=dict(os.environ)
    )
    async with Client(server) as client:
        found = await client.call_tool("search_conversations", {"query": topic, "limit": 3})
        results = (found.structured_content or {}).get("results", [])
        if not results:
            print(f"Nothing about {topic!r} in the history.")
            return
        for result in results:
            print(f"- {result['title']} ({(result['update_time'] or '')[:10]}) {result['conversation_id']}")
            for match in result["matches"][:1]:
                print(f"    {match['role']}: {match['snippet']}")
        best = results[0]["conversation_id"]
        page = await client.call_tool("get_conversation", {"conversation_id": best, "limit": 6})
        print(f"\n# {page.structured_content['title']}")
        for message in page.structured_content["messages"]:
            print(f"\n[{message['role']}] {message['text'][:600]}")


if __name__ == "__main__":
    anyio.run(recall, " ".join(sys.argv[1:]) or "sourdough starter")
