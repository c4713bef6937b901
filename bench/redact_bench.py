"""What masking secrets costs on the index path: ``redact_all`` over every conversation of the bench export.

    python bench/redact_bench.py [N] [--runs 5] [--seed 0]

The texts are the ones the importer indexes (title and the visible current-path messages of each
conversation, shaped by ``synth_export``); N conversations (default 2,000) are generated once, then
``redact_all`` runs over all of them ``--runs`` times. Prints the median CPU seconds, scaled to 10k
conversations, and the throughput in MB of text per CPU second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from chatgpt_history_mcp.redact import redact_all

if __package__:
    from .synth_export import current_path_texts, iter_conversations
else:  # run as a script
    from synth_export import current_path_texts, iter_conversations  # type: ignore[no-redef]


def conversation_texts(n: int, seed: int) -> list[list[str]]:
    """Per conversation, the texts ``index_document`` hands to ``redact_all``."""
    return [
        [conv.get("title") or "", *(text for _, text, _ in current_path_texts(conv))]
        for conv in iter_conversations(n, seed)
    ]


def cpu_seconds(conversations: list[list[str]]) -> float:
    start = time.process_time()
    for texts in conversations:
        redact_all(texts)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, nargs="?", default=2000, help="conversations to generate")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    conversations = conversation_texts(args.n, args.seed)
    megabytes = sum(len(t.encode()) for texts in conversations for t in texts) / 1e6
    median = statistics.median(cpu_seconds(conversations) for _ in range(args.runs))
    json.dump(
        {
            "conversations": args.n,
            "text_mb": round(megabytes, 1),
            "runs": args.runs,
            "cpu_s_per_10k_conversations": round(median * 10_000 / args.n, 3),
            "mb_per_cpu_s": round(megabytes / median, 1),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
