"""Synthetic ChatGPT data export for benchmarks (deterministic per seed).

    python bench/synth_export.py N OUT.zip [--seed S] [--split K] [--long] [--rich] [--files SIZE] [--layout 2026]

Writes a ZIP shaped like the official export (``conversations.json``, or
``conversations-000.json``... with ``--split K``), plus ``user.json`` and a stub
``chat.html``. Conversations are mapping trees with a ``message: null`` root, hidden
system / custom-instruction nodes, reasoning (``thoughts``, ``reasoning_recap``),
python tool turns (``code`` / ``execution_output``), ``multimodal_text`` user turns and,
in ~10% of chats, an edit or regeneration branch off the current path; ~10% are in one of 15 projects
(``g-p-…``, ``snorlax``) and ~1.5% with one of 4 custom GPTs.
Conversation ``i`` depends only on ``(seed, i)``, its slot in time and the profile: ``--long`` writes the
same kinds of conversations with longer messages (~2x the text, ~25 KB of JSON per conversation against
~18 KB), closer to real exports, whose conversations run to 50-100 KB.

``--rich``: about one conversation in five ends with an exchange of a kind from chatgpt-files-and-canvas.md
(an uploaded photo, screenshot, PDF or text file with ``metadata.attachments``; a DALL-E or image_gen picture;
a CSV and its code-interpreter chart; a canvas created and updated; a deep-research report, async before 2026,
``widget_state`` after). ``--files SIZE`` (``2G``, ``500M``; implies ``--rich``) writes their files too, valid
images and PDFs padded to sizes drawn per kind and scaled to about SIZE in total, streamed into the ZIP one
piece at a time (a 2 GB export takes ~30 s and ~80 MB of memory); ``size_bytes`` in the JSON is the planned size.
``--layout 2026``: ``conversations-NNN.json``, files flat as ``<id>.dat`` with ``conversation_asset_file_names.json``,
``library_files.json`` and ``export_manifest.json``. Without these options the output is byte-identical to
what it was before they existed (the benchmarks compare against it); images need Pillow (a dependency of the package).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import random
import re
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

if __package__:
    from . import _files as F
    from . import _vocab as V
else:
    import _files as F  # type: ignore[no-redef]  # run as a script
    import _vocab as V  # type: ignore[no-redef]

Json = dict[str, Any]

START = datetime(2023, 1, 1, tzinfo=UTC).timestamp()
END = datetime(2026, 4, 1, tzinfo=UTC).timestamp()
TOPIC_RATE = 0.10  # share of prose tokens drawn from the conversation's topic
TECH_RATE = {True: 0.03, False: 0.002}  # identifiers in prose, tech vs other topics
RARE_RATE = 0.001  # tail words, names, diacritics
MODELS: list[tuple[int, list[tuple[str, float]]]] = [
    (2023, [("text-davinci-002-render-sha", 6), ("gpt-4", 4)]),
    (2024, [("gpt-4o", 55), ("gpt-4o-mini", 15), ("gpt-4", 10), ("o1-preview", 10), ("o1-mini", 10)]),
    (2025, [("gpt-4o", 35), ("o3", 15), ("o4-mini", 10), ("gpt-4-5", 5), ("gpt-5", 25), ("gpt-5-thinking", 10)]),
    (2026, [("gpt-5", 35), ("gpt-5-thinking", 20), ("gpt-5-1", 30), ("gpt-5-instant", 15)]),
]
REASONING = frozenset({"o1-preview", "o1-mini", "o3", "o4-mini", "gpt-5-thinking"})


# --- vocabulary ------------------------------------------------------------------------


class _Pool(NamedTuple):
    words: list[str]
    cum: list[float]

    def draw(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)


def _zipf(words: list[str], s: float = 1.0, q: float = 2.7) -> _Pool:
    words = list(dict.fromkeys(words))
    return _Pool(words, list(itertools.accumulate(1.0 / (r + q) ** s for r in range(len(words)))))


def _topic_pool(spec: str) -> _Pool:
    head, *phrases = spec.split("|")
    terms = head.split() + [" ".join(p.split()) for p in phrases]
    random.Random(spec).shuffle(terms)  # phrases not always at the tail
    return _zipf(terms, s=0.8, q=1.0)


def _tech_terms() -> list[str]:
    out: list[str] = []
    for i, (v, n) in enumerate(itertools.product(V.VERBS, V.NOUNS)):
        cap = n[0].upper() + n[1:]
        out.append(f"{v}_{n}")
        out.append(f"{v}{cap}" + ("", "ById", "List", "Async")[i % 4])
        if i % 5 == 0:
            out.append(f"{('self', 'client', 'db', 'app', 'cache')[i // 5 % 5]}.{v}_{n}")
    out += V.DOTTED
    out += [f"v{a}.{b}.{c}" for a in range(4) for b in range(13) for c in range(10)]
    out += [f"{p}=={a}.{b}.{c}" for p in V.PACKAGES for a, b, c in ((1, 0, 2), (2, 31, 0))]
    random.Random(20240601).shuffle(out)
    return out


GENERAL = _zipf(V.COMMON.split())
RARE = _zipf(V.RARE.split())
TECH = _zipf(_tech_terms(), s=1.1)
TOPIC_NAMES = list(V.TOPICS)
TOPIC_CUM = list(itertools.accumulate(V.TOPIC_WEIGHTS[t] for t in TOPIC_NAMES))
TOPICS = {name: _topic_pool(spec) for name, spec in V.TOPICS.items()}
CJK = {"zh": _zipf(V.CHINESE, q=5), "ja": _zipf(V.JAPANESE, q=5)}


# --- text ------------------------------------------------------------------------------


class Profile(NamedTuple):
    """Message lengths in prose tokens: ``min(cap, base + expovariate(1 / mean))``."""

    name: str
    user_base: int
    user_mean: float
    user_cap: int
    assistant_base: int
    assistant_mean: float
    assistant_cap: int


DEFAULT = Profile("default", 10, 14, 80, 80, 32, 400)
LONG = Profile("long", 14, 36, 500, 140, 112, 1800)
PROFILES = {p.name: p for p in (DEFAULT, LONG)}


class _Style(NamedTuple):
    topics: list[_Pool]
    tech: bool
    lang: str  # "en", "zh" or "ja"
    profile: Profile


def _tokens(rng: random.Random, st: _Style, k: int) -> list[str]:
    """k prose tokens: general Zipf words with topic terms and identifiers mixed in."""
    words = CJK[st.lang].draw(rng, k) if st.lang != "en" else GENERAL.draw(rng, k)
    mixes = [(rng.choice(st.topics), TOPIC_RATE), (TECH, TECH_RATE[st.tech]), (RARE, RARE_RATE)]
    for pool, rate in mixes:
        m = min(k, int(k * rate * 2 * rng.random() + rng.random()))
        for pos, word in zip(rng.sample(range(k), m), pool.draw(rng, m), strict=True):
            words[pos] = word
    return words


def _sentences(rng: random.Random, st: _Style, k: int, question: float = 0.0) -> list[str]:
    words = _tokens(rng, st, k)
    out: list[str] = []
    i = 0
    while i < len(words):
        n = rng.randint(6, 18) if st.lang == "en" else rng.randint(4, 12)
        chunk = words[i : i + n]
        i += n
        end = "?" if rng.random() < question else "."
        if st.lang != "en":  # no spaces, except around embedded latin terms
            pieces = [f" {w} " if w.isascii() else w for w in chunk]
            if len(pieces) > 3:
                pieces.insert(rng.randrange(2, len(pieces)), "，" if st.lang == "zh" else "、")
            out.append(" ".join("".join(pieces).split()) + ("？" if end == "?" else "。"))
            continue
        if len(chunk) > 8 and rng.random() < 0.4:
            chunk[rng.randrange(2, len(chunk) - 2)] += ","
        s = " ".join(chunk)
        out.append(s[0].upper() + s[1:] + end)
    return out


def _join(rng: random.Random, sentences: list[str], sep: str = " ") -> str:
    paras: list[str] = []
    while sentences:
        n = rng.randint(2, 5)
        paras.append(sep.join(sentences[:n]))
        sentences = sentences[n:]
    return "\n\n".join(paras)


def _ident(rng: random.Random) -> str:
    return TECH.draw(rng, 1)[0]


def _snake(rng: random.Random) -> str:
    return f"{rng.choice(V.VERBS)}_{rng.choice(V.NOUNS)}"


CODE_LINES: dict[str, list[str]] = {
    "python": [
        "import {mod}",
        "from {mod} import {snake}",
        "def {snake}({n}, {n2}=None):",
        "    {n} = {dotted}({n2})",
        "    for {n} in {n2}_list:",
        "        results.append({snake}({n}))",
        "    return {n}",
        'result = {snake}("{n}")',
        'print(f"{{{n}}}")',
        "class {Camel}:",
        "    async def {snake}(self, {n}):",
        "        await {dotted}({n})",
        'logger.info("{snake} finished (%s)", "{ver}")',
        "assert {n} is not None",
    ],
    "javascript": [
        "const {camel} = await {camel2}({n}Id);",
        "export function {camel}({n}) {{",
        "  return {n}s.filter(({n2}) => {n2}.{n}Id === {n}.id);",
        "}}",
        "console.log(`{n}:`, {camel});",
        "import {{ {camel} }} from './{n}';",
        "  if (!{n}) throw new Error('{n} missing');",
        "{dotted}({n}, {n2});",
    ],
    "sql": [
        "SELECT {n}_id, count(*) AS total FROM {n2}s",
        "WHERE status = 'active'",
        "GROUP BY {n}_id ORDER BY total DESC LIMIT 10;",
        "CREATE INDEX idx_{n}_{n2} ON {n}s ({n2}_id);",
        "JOIN {n2}s ON {n2}s.id = {n}s.{n2}_id",
        "UPDATE {n}s SET updated_at = now() WHERE id = $1;",
    ],
    "bash": [
        "pip install {pkg}",
        "docker compose up -d {n}",
        "kubectl rollout restart deployment/{n}-{n2}",
        "git checkout -b fix/{n}-{n2}",
        "export {N}_URL=postgres://localhost:5432/{n}",
        "python -m {mod}.{snake} --verbose",
        "curl -s http://localhost:8080/api/{n}s | jq .",
    ],
    "yaml": [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: {n}-{n2}",
        "spec:",
        "  replicas: 3",
        "      image: registry.local/{n}:{ver}",
        "      env:",
        "        - name: {N}_TIMEOUT",
        '          value: "30"',
    ],
}
LANG_WEIGHTS = [("python", 45), ("javascript", 20), ("sql", 12), ("bash", 15), ("yaml", 8)]


def _code(rng: random.Random, lang: str | None = None) -> tuple[str, str]:
    if lang is None:
        lang = rng.choices([x for x, _ in LANG_WEIGHTS], [w for _, w in LANG_WEIGHTS])[0]
    lines = CODE_LINES[lang]
    out = []
    for tpl in rng.choices(lines, k=rng.randint(3, 12)):
        n, n2 = rng.choice(V.NOUNS), rng.choice(V.NOUNS)
        v, v2 = rng.choice(V.VERBS), rng.choice(V.VERBS)
        ver = f"v{rng.randint(0, 3)}.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
        out.append(
            tpl.format(
                n=n,
                n2=n2,
                N=n.upper(),
                snake=_snake(rng),
                Camel=n.title() + n2.title(),
                camel=v + n.title(),
                camel2=v2 + n2.title(),
                dotted=rng.choice(V.DOTTED),
                mod=rng.choice(V.PACKAGES),
                pkg=f"{rng.choice(V.PACKAGES)}=={ver[1:]}",
                ver=ver,
            )
        )
    return lang, "\n".join(out)


def _user_text(rng: random.Random, st: _Style) -> str:
    p = st.profile
    k = min(p.user_cap, p.user_base + int(rng.expovariate(1 / p.user_mean)))
    text = (" " if st.lang == "en" else "").join(_sentences(rng, st, k, question=0.5))
    if st.tech and rng.random() < 0.15:
        text += f" I'm calling `{_ident(rng)}` and it fails."
    return text


def _assistant_text(rng: random.Random, st: _Style) -> str:
    p = st.profile
    k = min(p.assistant_cap, p.assistant_base + int(rng.expovariate(1 / p.assistant_mean)))
    sep = " " if st.lang == "en" else ""
    sents = _sentences(rng, st, k)
    parts: list[str] = []
    if k > 180 and rng.random() < 0.5:
        parts.append("### " + " ".join(GENERAL.draw(rng, 3)).capitalize())
    cut = rng.randint(1, max(1, len(sents) - 1))
    parts.append(_join(rng, sents[:cut], sep))
    if rng.random() < (0.45 if st.tech else 0.03):
        lang, code = _code(rng)
        parts.append(f"```{lang}\n{code}\n```")
    elif rng.random() < 0.25:
        parts.append("\n".join("- " + s for s in _sentences(rng, st, rng.randint(12, 30))))
    parts.append(_join(rng, sents[cut:], sep))
    return "\n\n".join(p for p in parts if p)


def _title(rng: random.Random, st: _Style) -> str | None:
    r = rng.random()
    if r < 0.005:
        return None
    if st.lang != "en":
        return "".join(CJK[st.lang].draw(rng, rng.randint(2, 4)))
    words = (
        st.topics[0].draw(rng, rng.randint(1, 2)) + [w for w in GENERAL.draw(rng, 6) if len(w) > 3][: rng.randint(1, 3)]
    )
    rng.shuffle(words)
    title = " ".join(w[0].upper() + w[1:] for w in words)
    return title + "\n" if r > 0.99 else title


def _perturb(rng: random.Random, text: str) -> str:
    """An edited user message: same text with a few words dropped or replaced."""
    words = text.split(" ")
    for _ in range(max(1, len(words) // 8)):
        i = rng.randrange(len(words))
        words[i] = GENERAL.draw(rng, 1)[0] if rng.random() < 0.7 else ""
    return " ".join(w for w in words if w)


# --- conversation trees ----------------------------------------------------------------


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def _message(
    rng: random.Random,
    role: str,
    t: float,
    content: Json,
    *,
    name: str | None = None,
    recipient: str = "all",
    metadata: Json | None = None,
    weight: float = 1.0,
    end_turn: bool | None = None,
) -> Json:
    return {
        "id": _uuid(rng),
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": round(t, 6),
        "update_time": None,
        "content": content,
        "status": "finished_successfully",
        "end_turn": end_turn,
        "weight": weight,
        "metadata": metadata or {},
        "recipient": recipient,
        "channel": None,
    }


def _text(*parts: Any) -> Json:
    return {"content_type": "text", "parts": list(parts)}


class _Tree:
    def __init__(self, rng: random.Random, st: _Style, slug: str, t0: float, root_id: str) -> None:
        self.rng, self.st, self.slug, self.clock = rng, st, slug, t0
        self.mapping: dict[str, Json] = {}
        self.root = self.add(None, None, root_id)

    def add(self, parent: str | None, message: Json | None, node_id: str | None = None) -> str:
        nid = message["id"] if message else node_id or _uuid(self.rng)
        self.mapping[nid] = {"id": nid, "message": message, "parent": parent, "children": []}
        if parent is not None:
            self.mapping[parent]["children"].append(nid)
        return nid

    def tick(self, lo: float, hi: float) -> float:
        self.clock += self.rng.uniform(lo, hi)
        return self.clock

    def user(self, parent: str, text: str) -> str:
        rng = self.rng
        self.clock += rng.expovariate(1 / 90)  # think time, sometimes resumed days later
        if rng.random() < 0.04:
            self.clock += rng.expovariate(1 / 86400)
        content = _text(text)
        if rng.random() < 0.03:
            ptr = {
                "content_type": "image_asset_pointer",
                "asset_pointer": f"file-service://file-{rng.getrandbits(96):024x}",
                "size_bytes": rng.randint(20_000, 3_000_000),
                "width": 1024,
                "height": 768,
                "fovea": None,
                "metadata": None,
            }
            content = {"content_type": "multimodal_text", "parts": [ptr, text]}
        elif rng.random() < 0.005:
            content = {
                "content_type": "multimodal_text",
                "parts": [
                    {"content_type": "audio_transcription", "text": text, "direction": "in"},
                    {
                        "content_type": "audio_asset_pointer",
                        "asset_pointer": f"sediment://file_{rng.getrandbits(128):032x}",
                        "size_bytes": rng.randint(10_000, 900_000),
                        "format": "wav",
                    },
                ],
            }
        return self.add(parent, _message(rng, "user", self.clock, content))

    def assistant(self, parent: str) -> str:
        """One assistant turn under ``parent``; returns the node of the visible answer."""
        rng, st = self.rng, self.st
        meta = {"model_slug": self.slug, "parent_id": parent}
        if self.slug in REASONING and rng.random() < 0.5:
            thought = " ".join(_sentences(rng, st, rng.randint(20, 60)))
            parent = self.add(
                parent,
                _message(
                    rng,
                    "assistant",
                    self.tick(1, 5),
                    {
                        "content_type": "thoughts",
                        "source_analysis_msg_id": _uuid(rng),
                        "thoughts": [
                            {
                                "summary": " ".join(GENERAL.draw(rng, 4)).capitalize(),
                                "content": thought,
                                "chunks": [],
                                "finished": True,
                            }
                        ],
                    },
                    metadata=meta,
                ),
            )
            secs = int(rng.expovariate(1 / 25)) + 2
            parent = self.add(
                parent,
                _message(
                    rng,
                    "assistant",
                    self.tick(secs, secs + 1),
                    {"content_type": "reasoning_recap", "content": f"Thought for {secs}s"},
                    metadata=meta,
                ),
            )
        if st.tech and rng.random() < 0.06:
            _, code = _code(rng, "python")
            parent = self.add(
                parent,
                _message(
                    rng,
                    "assistant",
                    self.tick(2, 10),
                    {"content_type": "code", "language": "unknown", "response_format_name": None, "text": code},
                    recipient="python",
                    metadata=meta,
                ),
            )
            parent = self.add(
                parent,
                _message(
                    rng,
                    "tool",
                    self.tick(1, 4),
                    {"content_type": "execution_output", "text": f"{rng.randint(0, 9999)} rows, {_ident(rng)} ok"},
                    name="python",
                    metadata={"aggregate_result": {"status": "success"}},
                ),
            )
        return self.add(
            parent,
            _message(
                rng,
                "assistant",
                self.tick(2, 40),
                _text(_assistant_text(rng, st)),
                metadata={**meta, "finish_details": {"type": "stop"}, "is_complete": True},
                end_turn=True,
            ),
        )

    def turns(self, parent: str, n: int) -> str:
        for _ in range(n):
            parent = self.assistant(self.user(parent, _user_text(self.rng, self.st)))
        return parent


def _pick_model(rng: random.Random, t: float) -> str:
    year = datetime.fromtimestamp(t, UTC).year
    table = next(m for y, m in reversed(MODELS) if y <= year)
    return rng.choices([s for s, _ in table], [w for _, w in table])[0]


@functools.lru_cache(maxsize=8)
def _gizmos(seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(f"{seed}:gizmos")
    projects = [f"g-p-{rng.getrandbits(128):032x}" for _ in range(15)]
    gpts = [f"g-{rng.getrandbits(36):09x}" for _ in range(4)]
    return projects, gpts


def make_conversation(i: int, n: int, seed: int = 0, profile: Profile = DEFAULT) -> Json:
    """Conversation ``i`` of ``n`` (index 0 is the newest)."""
    rng = random.Random(f"{seed}:{i}" if profile is DEFAULT else f"{seed}:{i}:{profile.name}")
    projects, gpts = _gizmos(seed)
    t0 = START + (n - 1 - i + rng.random()) / n * (END - START)
    r = rng.random()
    lang = "zh" if r < 0.02 else "ja" if r < 0.03 else "en"
    topics = rng.choices(TOPIC_NAMES, cum_weights=TOPIC_CUM, k=1 + (rng.random() < 0.3))
    st = _Style([TOPICS[t] for t in topics], topics[0] in V.TECH_TOPICS, lang, profile)
    slug = _pick_model(rng, t0)
    gizmo = gizmo_type = None
    r = rng.random()
    if r < 0.10:
        gizmo, gizmo_type = rng.choice(projects), "snorlax"
    elif r < 0.115:
        gizmo, gizmo_type = rng.choice(gpts), "gpt"

    root_id = "client-created-root" if t0 > START + 1.5 * 365 * 86400 else None
    tree = _Tree(rng, st, slug, t0, root_id or _uuid(rng))
    parent = tree.root
    if rng.random() < 0.7:
        parent = tree.add(
            parent,
            _message(
                rng,
                "system",
                t0,
                _text(""),
                weight=0.0,
                metadata={"is_visually_hidden_from_conversation": True},
                end_turn=True,
            ),
        )
    if rng.random() < 0.15:
        parent = tree.add(
            parent,
            _message(
                rng,
                "user",
                t0,
                {
                    "content_type": "user_editable_context",
                    "user_profile": "Preferred name: Sam. Role: " + " ".join(GENERAL.draw(rng, 6)),
                    "user_instructions": "Be concise. " + " ".join(GENERAL.draw(rng, 12)),
                },
                metadata={"is_visually_hidden_from_conversation": True, "user_context_message_data": {}},
            ),
        )

    r = rng.random()
    n_turns = (
        rng.randint(1, 3)
        if r < 0.45
        else rng.randint(4, 10)
        if r < 0.80
        else rng.randint(10, 20)
        if r < 0.95
        else rng.randint(20, 50)
    )
    branch_at = rng.randrange(n_turns) if rng.random() < 0.10 else -1
    edit = rng.random() < 0.6
    for turn in range(n_turns):
        text = _user_text(rng, st)
        if turn == branch_at and edit:  # the older, edited-away branch comes first
            alt = tree.assistant(tree.user(parent, _perturb(rng, text)))
            tree.turns(alt, rng.randint(0, 2))
        user = tree.user(parent, text)
        if turn == branch_at and not edit:  # an older regeneration
            tree.assistant(user)
        parent = tree.assistant(user)

    cid = _uuid(rng)
    return {
        "title": _title(rng, st),
        "create_time": round(t0, 6),
        "update_time": round(tree.clock + rng.uniform(0, 5), 6),
        "mapping": tree.mapping,
        "moderation_results": [],
        "current_node": parent,
        "plugin_ids": None,
        "conversation_id": cid,
        "conversation_template_id": gizmo if gizmo_type == "snorlax" else None,
        "gizmo_id": gizmo,
        "gizmo_type": gizmo_type,
        "is_archived": rng.random() < 0.02,
        "is_starred": None,
        "safe_urls": [],
        "blocked_urls": [],
        "default_model_slug": slug,
        "conversation_origin": None,
        "voice": None,
        "async_status": None,
        "disabled_tool_ids": [],
        "is_do_not_remember": False,
        "memory_scope": "global_enabled",
        "id": cid,
    }


def iter_conversations(n: int, seed: int = 0, profile: Profile = DEFAULT) -> Iterator[Json]:
    """The ``n`` conversations of the export, newest first."""
    for i in range(n):
        yield make_conversation(i, n, seed, profile)


# --- files, canvas, deep research (--rich, --files) ---------------------------------------------------
#
# Off by default, and then nothing below runs: the default export stays byte-identical for a seed. On, each
# conversation may end with one more exchange of a kind from chatgpt-files-and-canvas.md, drawn from a random
# stream of its own (``{seed}:{i}:rich``) and the conversation's slot in time, never from the conversation's own
# stream: the plan of every file is known before any conversation is written, so ``--files SIZE`` can scale the
# files to SIZE in total and stream them into the ZIP after the conversations.

#: Share of conversations that gain each kind (about one in five gains one): uploads are the most common.
RICH_RATES: list[tuple[str, float]] = [
    ("photo", 0.05),
    ("screenshot", 0.03),
    ("pdf", 0.03),
    ("text", 0.02),
    ("generated", 0.03),
    ("chart", 0.02),
    ("canvas", 0.03),
    ("research", 0.01),
]
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SYNTH_USER = "user-synthetic"
_PALETTE = ((200, 60, 50), (60, 160, 90), (50, 90, 200), (235, 235, 225))


class PlannedFile(NamedTuple):
    """A file a rich conversation refers to. ``weight``: its drawn size in bytes, before ``--files`` scales it."""

    file_id: str
    kind: str  # photo, screenshot, pdf, text, dalle, image_gen, chart, csv
    fmt: str  # JPEG, PNG, WEBP, PDF or TEXT
    name: str
    mime: str
    weight: int
    width: int = 0
    height: int = 0
    uuid: str = ""

    def entry(self, layout: str) -> str:
        if layout == "2026":
            return f"{self.file_id}.dat"
        if self.kind == "dalle":
            return f"dalle-generations/{self.file_id}-{self.uuid}.webp"
        if self.kind == "image_gen":
            return f"{_SYNTH_USER}/{self.file_id}-{self.uuid}.png"
        if self.kind == "chart":
            return f"{self.file_id}.png"
        return f"{self.file_id}-{self.name}"

    def mapped_name(self) -> str:
        """What ``conversation_asset_file_names.json`` says of it: the old-layout path of a generated image, else
        the original name (one in ten without its extension, as seen)."""
        if self.kind == "dalle":
            return f"dalle-generations/{self.uuid}.webp"
        if self.kind in ("image_gen", "chart"):
            return self.entry("2025")
        return self.name.rsplit(".", 1)[0] if int(self.uuid[:2], 16) < 26 else self.name


class RichPlan(NamedTuple):
    kind: str
    year: int
    files: list[PlannedFile]


def _upload_id(rng: random.Random) -> str:
    return "file-" + "".join(rng.choice(_B62) for _ in range(22))


def _sediment_id(rng: random.Random) -> str:
    return f"file_00000000{rng.getrandbits(96):024x}"


def _size(rng: random.Random, median: float, lo: int, hi: int) -> int:
    return int(min(hi, max(lo, rng.lognormvariate(0, 0.8) * median)))


def rich_plan(i: int, n: int, seed: int = 0) -> RichPlan | None:
    """What conversation ``i`` of ``n`` gains with ``--rich``, or None (most conversations)."""
    rng = random.Random(f"{seed}:{i}:rich")
    year = datetime.fromtimestamp(START + (n - 1 - i) / n * (END - START), UTC).year
    r, kind = rng.random(), None
    for name, rate in RICH_RATES:
        if r < rate:
            kind = name
            break
        r -= rate
    if kind is None:
        return None
    u = _uuid(rng)
    files: list[PlannedFile] = []
    if kind == "photo":
        w, h = rng.choice([(4032, 3024), (3024, 4032), (1600, 1200)])
        files.append(
            PlannedFile(
                _upload_id(rng),
                kind,
                "JPEG",
                f"IMG_{rng.randint(1000, 9999)}.jpg",
                "image/jpeg",
                _size(rng, 1_500_000, 80_000, 8_000_000),
                w,
                h,
                u,
            )
        )
    elif kind == "screenshot":
        files.append(
            PlannedFile(
                _upload_id(rng),
                kind,
                "PNG",
                f"Screenshot {rng.randint(10, 99)}.png",
                "image/png",
                _size(rng, 500_000, 40_000, 5_000_000),
                2560,
                1440,
                u,
            )
        )
    elif kind == "pdf":
        files.append(
            PlannedFile(
                _upload_id(rng),
                kind,
                "PDF",
                f"{_snake(rng)}.pdf",
                "application/pdf",
                _size(rng, 400_000, 2_000, 12_000_000),
                uuid=u,
            )
        )
    elif kind == "text":
        ext, mime = rng.choice([("md", "text/markdown"), ("txt", "text/plain"), ("py", "text/x-python")])
        files.append(
            PlannedFile(
                _upload_id(rng), kind, "TEXT", f"{_snake(rng)}.{ext}", mime, _size(rng, 6_000, 300, 60_000), uuid=u
            )
        )
    elif kind == "generated":
        if year < 2025:
            files.append(
                PlannedFile(
                    _upload_id(rng),
                    "dalle",
                    "WEBP",
                    "",
                    "image/webp",
                    _size(rng, 350_000, 60_000, 1_500_000),
                    1024,
                    1024,
                    u,
                )
            )
        else:
            files.append(
                PlannedFile(
                    _sediment_id(rng),
                    "image_gen",
                    "PNG",
                    "",
                    "image/png",
                    _size(rng, 2_200_000, 400_000, 4_000_000),
                    1024,
                    1536,
                    u,
                )
            )
    elif kind == "chart":
        files.append(
            PlannedFile(
                _upload_id(rng), "csv", "TEXT", f"{_snake(rng)}.csv", "text/csv", _size(rng, 4_000, 200, 40_000), uuid=u
            )
        )
        files.append(
            PlannedFile(
                _upload_id(rng),
                "chart",
                "PNG",
                "",
                "image/png",
                _size(rng, 90_000, 20_000, 400_000),
                1200,
                700,
                _uuid(rng),
            )
        )
    return RichPlan(kind, year, files)


def _rich_style(rng: random.Random) -> _Style:
    topic = rng.choices(TOPIC_NAMES, cum_weights=TOPIC_CUM, k=1)[0]
    return _Style([TOPICS[topic]], topic in V.TECH_TOPICS, "en", DEFAULT)


def _pointer(f: PlannedFile, size: int, scheme: str) -> Json:
    return {
        "content_type": "image_asset_pointer",
        "asset_pointer": f"{scheme}://{f.file_id}",
        "size_bytes": size,
        "width": f.width,
        "height": f.height,
        "fovea": None,
        "metadata": None,
    }


def enrich(conv: Json, plan: RichPlan, i: int, seed: int, sizes: dict[str, int]) -> Json:
    """Append ``plan``'s exchange after the conversation's current node (it becomes the current node)."""
    rng = random.Random(f"{seed}:{i}:rich:messages")
    st = _rich_style(rng)
    mapping: dict[str, Json] = conv["mapping"]
    parent: str = conv["current_node"]
    clock = float(conv["update_time"])

    def add(role: str, content: Json, **kw: Any) -> Json:
        nonlocal parent, clock
        clock += rng.uniform(3, 90) if role == "user" else rng.uniform(2, 30)
        msg = _message(rng, role, clock, content, **kw)
        mapping[msg["id"]] = {"id": msg["id"], "message": msg, "parent": parent, "children": []}
        mapping[parent]["children"].append(msg["id"])
        parent = msg["id"]
        return msg

    def answer(**meta: Any) -> Json:
        metadata = {"model_slug": conv["default_model_slug"], "finish_details": {"type": "stop"}, **meta}
        return add("assistant", _text(_assistant_text(rng, st)), metadata=metadata, end_turn=True)

    def attachment(f: PlannedFile) -> Json:
        found: Json = {"id": f.file_id, "name": f.name, "size": sizes[f.file_id], "mime_type": f.mime}
        if f.width:
            found.update(width=f.width, height=f.height)
        return found

    def call(recipient: str, payload: Any) -> Json:
        content = {"content_type": "code", "language": "json", "text": json.dumps(payload)}
        return add("assistant", content, recipient=recipient, end_turn=False)

    kind = plan.kind
    if kind in ("photo", "screenshot", "pdf", "text"):
        (f,) = plan.files
        question = _user_text(rng, st)
        scheme = "file-service" if plan.year < 2025 else "sediment"
        content = (
            {"content_type": "multimodal_text", "parts": [_pointer(f, sizes[f.file_id], scheme), question]}
            if f.width
            else _text(question)
        )
        add("user", content, metadata={"attachments": [attachment(f)]})
        answer()
    elif kind == "generated":
        (f,) = plan.files
        add("user", _text(_user_text(rng, st)))
        prompt = " ".join(_sentences(rng, st, rng.randint(12, 30)))
        if f.kind == "dalle":
            call("dalle.text2im", {"size": "1024x1024", "prompt": prompt})
            pointer = _pointer(f, sizes[f.file_id], "file-service")
            pointer["metadata"] = {"dalle": {"gen_id": _uuid(rng)[:16], "prompt": prompt, "seed": rng.getrandbits(31)}}
            add("tool", {"content_type": "multimodal_text", "parts": [pointer]}, name="dalle.text2im")
        else:
            call("t2uay3k.sj1i4kz", {"prompt": prompt, "size": "1024x1536", "n": 1})
            pointer = _pointer(f, sizes[f.file_id], "sediment")
            pointer["metadata"] = {
                "generation": {
                    "gen_id": _uuid(rng),
                    "gen_size": "image",
                    "width": f.width,
                    "height": f.height,
                    "transparent_background": False,
                }
            }
            meta = {"image_gen_title": " ".join(GENERAL.draw(rng, 3)).capitalize(), "async_task_type": "image_gen"}
            add("tool", {"content_type": "multimodal_text", "parts": [pointer]}, name="t2uay3k.sj1i4kz", metadata=meta)
        answer()
    elif kind == "chart":
        data, chart = plan.files
        add("user", _text(_user_text(rng, st)), metadata={"attachments": [attachment(data)]})
        code = f'import pandas as pd\ndf = pd.read_csv("/mnt/data/{data.name}")\ndf.plot()\n'
        add("assistant", {"content_type": "code", "language": "unknown", "text": code}, recipient="python")
        image = {
            "message_type": "image",
            "image_url": f"file-service://{chart.file_id}",
            "width": chart.width,
            "height": chart.height,
        }
        add(
            "tool",
            {"content_type": "execution_output", "text": f"{rng.randint(10, 9999)} rows"},
            name="python",
            metadata={"aggregate_result": {"status": "success", "messages": [image]}},
        )
        answer()
    elif kind == "canvas":
        add("user", _text(_user_text(rng, st)))
        textdoc = f"{rng.getrandbits(96):024x}"
        code_doc = st.tech and rng.random() < 0.5
        doc_type = "code/python" if code_doc else "document"
        body = _code(rng, "python")[1] if code_doc else _join(rng, _sentences(rng, st, rng.randint(60, 240)))
        name = _snake(rng)
        call("canmore.create_textdoc", {"name": name, "type": doc_type, "content": body})
        canvas = {"textdoc_id": textdoc, "textdoc_type": doc_type, "version": 1, "title": name}
        reply = f"Successfully created text document '{name}' with textdoc_id: '{textdoc}'"
        add(
            "tool",
            _text(reply),
            name="canmore.create_textdoc",
            metadata={"canvas": canvas, "command": "create_textdoc"},
        )
        for version in range(2, 2 + rng.choice([0, 1, 1, 2])):
            if code_doc or rng.random() < 0.5:
                new = _code(rng, "python")[1] if code_doc else _join(rng, _sentences(rng, st, rng.randint(60, 240)))
                update = {"pattern": ".*", "multiple": False, "replacement": new}
            else:
                word = rng.choice(body.split())
                update = {
                    "pattern": re.escape(word),
                    "multiple": rng.random() < 0.3,
                    "replacement": GENERAL.draw(rng, 1)[0],
                }
            call("canmore.update_textdoc", {"updates": [update]})
            add(
                "tool",
                _text(f"Successfully updated text document with textdoc_id '{textdoc}'"),
                name="canmore.update_textdoc",
                metadata={"canvas": {**canvas, "version": version}, "command": "update_textdoc"},
            )
        answer()
    elif kind == "research":
        add("user", _text(_user_text(rng, st)))
        task = f"deepresch_{rng.getrandbits(128):032x}"
        report = "\n\n".join(_assistant_text(rng, st) for _ in range(rng.randint(3, 8)))
        refs = [
            {
                "type": "grouped_webpages",
                "matched_text": "",
                "items": [
                    {
                        "title": " ".join(GENERAL.draw(rng, 4)),
                        "url": f"https://{rng.choice(V.NOUNS)}.example.org/{_snake(rng)}",
                    }
                ],
            }
            for _ in range(rng.randint(2, 9))
        ]
        if plan.year >= 2026:
            state = {
                "status": "completed",
                "report_message": {
                    "content": {"content_type": "text", "parts": [report]},
                    "metadata": {"content_references": refs},
                },
            }
            sdk = {"pineapple_uri": "connectors://connector_openai_deep_research", "widget_state": json.dumps(state)}
            add("assistant", _text(""), metadata={"chatgpt_sdk": sdk, "async_task_id": task}, end_turn=True)
        else:
            title = " ".join(GENERAL.draw(rng, 4)).capitalize()
            call("research_kickoff_tool.start_research_task", {"title": title, "response": _user_text(rng, st)})
            meta = {
                "async_task_id": task,
                "async_task_type": "research",
                "async_task_title": title,
                "is_visually_hidden_from_conversation": True,
            }
            add("tool", _text(""), name="research_kickoff_tool.start_research_task", metadata=meta)
            clock += rng.uniform(300, 1800)
            answer(is_async_task_result_message=True, async_task_id=task, content_references=refs)
    conv["current_node"] = parent
    conv["update_time"] = round(clock + rng.uniform(0, 5), 6)
    return conv


def _text_file(f: PlannedFile, size: int) -> bytes:
    """Prose (or CSV rows) of about ``size`` bytes: real text, so the importer can index it."""
    rng = random.Random(f.file_id)
    st = _rich_style(rng)
    out: list[str] = []
    length = 0
    if f.kind == "csv":
        out.append("date,item,amount")
        while length < size:
            out.append(
                f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},{rng.choice(V.NOUNS)},{rng.randint(1, 999)}"
            )
            length += len(out[-1]) + 1
    else:
        while length < size:
            out.append(_join(rng, _sentences(rng, st, 120)))
            length += len(out[-1]) + 2
    return "\n".join(out).encode("utf-8")[: max(size, 1)].decode("utf-8", "ignore").encode("utf-8")


@functools.lru_cache(maxsize=32)
def _base(fmt: str, width: int, height: int) -> bytes:
    if fmt == "PDF":
        return F.pdf(
            [[f"Synthetic document page {p + 1}", "A page of a document a person attached."] for p in range(3)]
        )
    return F.quadrants(fmt, width, height, _PALETTE)


def file_pieces(f: PlannedFile, size: int) -> Iterator[bytes]:
    """The bytes of ``f`` at about ``size`` (never below its valid base), in pieces: nothing is held whole."""
    if f.fmt == "TEXT":
        yield _text_file(f, size)
        return
    base = _base(f.fmt, f.width, f.height)
    yield from F.padded(f.fmt, base, max(size, len(base) + 64), random.Random(f.file_id))


def plan_sizes(plans: Sequence[RichPlan | None], total: int | None) -> dict[str, int]:
    """Each planned file's size: as drawn, or (with ``total``) the binary files scaled so all come to ``total``."""
    planned = [f for p in plans if p for f in p.files]
    if not total:
        return {f.file_id: f.weight for f in planned}
    text = sum(f.weight for f in planned if f.fmt == "TEXT")
    binary = sum(f.weight for f in planned if f.fmt != "TEXT") or 1
    scale = max(total - text, 0) / binary
    return {f.file_id: f.weight if f.fmt == "TEXT" else max(int(f.weight * scale), 1) for f in planned}


# --- the visible current path ----------------------------------------------------------


class PathMessage(NamedTuple):
    id: str
    role: str
    text: str
    create_time: float


def _visible_text(msg: Json | None) -> str:
    """The text a person sees for ``msg``, or "" when it is hidden or not user/assistant."""
    if not msg or (msg.get("author") or {}).get("role") not in ("user", "assistant"):
        return ""
    meta = msg.get("metadata") or {}
    if (
        (msg.get("recipient") or "all") != "all"
        or meta.get("is_visually_hidden_from_conversation")
        or msg.get("weight") == 0
        or msg.get("channel") in ("analysis", "commentary")
    ):
        return ""
    content = msg.get("content") or {}
    if content.get("content_type") not in ("text", "multimodal_text"):
        return ""
    texts = [
        p if isinstance(p, str) else p.get("text", "")
        for p in content.get("parts") or []
        if isinstance(p, str) or (isinstance(p, dict) and p.get("content_type") == "audio_transcription")
    ]
    return "\n".join(t for t in texts if t).strip()


def _seconds(value: Any) -> float:
    """A message time as epoch seconds: a number, or ISO-8601 as some exports write it; 0.0 when absent."""
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value or 0.0)


def current_path_messages(conv: Json) -> list[PathMessage]:
    """Visible user/assistant messages from the root to ``current_node``."""
    mapping: dict[str, Json] = conv.get("mapping") or {}
    node_id = conv.get("current_node")
    if node_id not in mapping:  # missing: newest leaf
        leaves = [k for k, v in mapping.items() if not v.get("children")]
        node_id = max(leaves, default=None, key=lambda k: (mapping[k].get("message") or {}).get("create_time") or 0)
    path: list[Json] = []
    seen: set[str] = set()
    while node_id in mapping and node_id not in seen:
        seen.add(node_id)
        path.append(mapping[node_id])
        node_id = mapping[node_id].get("parent")
    out = []
    for node in reversed(path):
        msg = node.get("message")
        text = _visible_text(msg)
        if msg and text:
            out.append(
                PathMessage(msg.get("id") or node["id"], msg["author"]["role"], text, _seconds(msg.get("create_time")))
            )
    return out


def current_path_texts(conv: Json) -> list[tuple[str, str, float]]:
    """(message id, text, create_time) of the visible current-path messages."""
    return [(m.id, m.text, m.create_time) for m in current_path_messages(conv)]


# --- the ZIP ---------------------------------------------------------------------------


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(2026, 4, 1, 0, 0, 0))  # byte-identical reruns
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_export(
    out: str,
    n: int,
    seed: int = 0,
    split: int = 1,
    profile: Profile = DEFAULT,
    *,
    rich: bool = False,
    files_bytes: int | None = None,
    layout: str = "2025",
    edit: Callable[[int, Json], None] | None = None,
) -> dict[str, float]:
    """Write the export ZIP; returns conversation, node and JSON byte counts (and file counts with files).

    ``rich``: conversations gain uploads, generated images, charts, canvases and deep-research reports
    (:func:`rich_plan`). ``files_bytes``: also write their files, scaled to about that many bytes in total and
    streamed (``rich`` implied). ``layout="2026"``: ``conversations-NNN.json`` (at least one), the files flat as
    ``<id>.dat`` with ``conversation_asset_file_names.json``, ``library_files.json`` and ``export_manifest.json``.
    ``edit(i, conversation)``: called on each conversation before it is written, to change it in place (a later
    export of the same history: its files stay byte for byte the same).
    """
    if layout not in ("2025", "2026"):
        raise ValueError(f"layout must be 2025 or 2026, not {layout!r}")
    rich = rich or files_bytes is not None
    if layout == "2026" and split <= 1:
        split = max(1, -(-n // 1000))
    names = ["conversations.json"] if split <= 1 else [f"conversations-{k:03d}.json" for k in range(split)]
    if layout == "2026" and names == ["conversations.json"]:
        names = ["conversations-000.json"]
    per = -(-n // len(names))
    plans = [rich_plan(i, n, seed) for i in range(n)] if rich else []
    sizes = plan_sizes(plans, files_bytes) if rich else {}
    convs = iter_conversations(n, seed, profile)
    if rich:
        convs = (enrich(c, plans[i], i, seed, sizes) if plans[i] else c for i, c in enumerate(convs))
    if edit is not None:
        convs = _edited(convs, edit)
    stats: dict[str, float] = {"conversations": 0, "nodes": 0, "json_bytes": 0}
    enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            with zf.open(_entry(name), "w", force_zip64=True) as fh:
                fh.write(b"[")
                for j, conv in enumerate(itertools.islice(convs, per)):
                    data = ("," if j else "") + enc.encode(conv)
                    stats["json_bytes"] += fh.write(data.encode())
                    stats["conversations"] += 1
                    stats["nodes"] += len(conv["mapping"])
                fh.write(b"]")
                stats["json_bytes"] += 2
        zf.writestr(
            _entry("user.json"),
            json.dumps(
                {
                    "id": "user-synthetic",
                    "email": "bench@example.invalid",
                    "chatgpt_plus_user": True,
                    "phone_number": None,
                }
            ),
        )
        zf.writestr(_entry("message_feedback.json"), "[]")
        zf.writestr(_entry("chat.html"), "<html><body><!-- synthetic export --></body></html>")
        if files_bytes is not None:
            stats.update(_write_files(zf, plans, sizes, layout))
    return stats


def _edited(convs: Iterator[Json], edit: Callable[[int, Json], None]) -> Iterator[Json]:
    for i, conv in enumerate(convs):
        edit(i, conv)
        yield conv


def _write_files(
    zf: zipfile.ZipFile, plans: Sequence[RichPlan | None], sizes: dict[str, int], layout: str
) -> dict[str, float]:
    """Stream every planned file into the ZIP (stored: media do not compress), then the 2026 side files."""
    count = written = 0
    names: dict[str, str] = {}
    library: list[Json] = []
    for plan in plans:
        for f in plan.files if plan else ():
            info = _entry(f.entry(layout))
            info.compress_type = zipfile.ZIP_STORED
            with zf.open(info, "w", force_zip64=True) as fh:
                for piece in file_pieces(f, sizes[f.file_id]):
                    written += fh.write(piece)
            count += 1
            if layout == "2026":
                names[info.filename] = f.mapped_name()
                library.append(
                    {
                        "id": {"id": f"libfile_{f.uuid.replace('-', '')}"},
                        "file_id": f.file_id,
                        "file_name": f.name or f.mapped_name().rsplit("/", 1)[-1],
                        "mime_type": f.mime,
                        "library_file_category": "image" if f.mime.startswith("image/") else "document",
                        "library_artifact_type": None,
                        "origination_message_id": None,
                        "origination_thread_id": None,
                        "image_gen_generation_id": f.uuid if f.kind == "image_gen" else None,
                        "created_at": None,
                    }
                )
    if layout == "2026":
        zf.writestr(_entry("conversation_asset_file_names.json"), json.dumps(names))
        zf.writestr(_entry("library_files.json"), json.dumps(library))
        listed = [{"path": i.filename, "size_bytes": i.file_size} for i in zf.infolist()]
        zf.writestr(_entry("export_manifest.json"), json.dumps({"version": 1, "export_files": listed}))
    return {"files": count, "file_bytes": written}


def _bytes(text: str) -> int:
    """``2G``, ``500M``, ``64K`` or a number of bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B")
    return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of conversations")
    ap.add_argument("out", help="output ZIP path")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", type=int, default=1, help="spread over K conversations-NNN.json")
    ap.add_argument("--long", action="store_true", help="longer messages (~25 KB per conversation)")
    ap.add_argument("--rich", action="store_true", help="uploads, generated images, charts, canvases, deep research")
    ap.add_argument("--files", type=_bytes, metavar="SIZE", help="write their files too, about SIZE in all (2G, 500M)")
    ap.add_argument("--layout", choices=("2025", "2026"), default="2025", help="2026: flat .dat files and side files")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    stats = write_export(
        args.out,
        args.n,
        args.seed,
        args.split,
        LONG if args.long else DEFAULT,
        rich=args.rich,
        files_bytes=args.files,
        layout=args.layout,
    )
    stats["seconds"] = round(time.perf_counter() - t, 2)
    json.dump(stats, sys.stdout)
    print()


if __name__ == "__main__":
    main()
