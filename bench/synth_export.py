"""Synthetic ChatGPT data export for benchmarks (stdlib only, deterministic per seed).

    python bench/synth_export.py N OUT.zip [--seed S] [--split K] [--long]

Writes a ZIP shaped like the official export (``conversations.json``, or
``conversations-000.json``... with ``--split K``), plus ``user.json`` and a stub
``chat.html``. Conversations are mapping trees with a ``message: null`` root, hidden
system / custom-instruction nodes, reasoning (``thoughts``, ``reasoning_recap``),
python tool turns (``code`` / ``execution_output``), ``multimodal_text`` user turns and,
in ~10% of chats, an edit or regeneration branch off the current path.
Conversation ``i`` depends only on ``(seed, i)``, its slot in time and the profile: ``--long`` writes the
same kinds of conversations with longer messages (~2x the text, ~25 KB of JSON per conversation against
~18 KB), closer to real exports, whose conversations run to 50-100 KB.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import random
import sys
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

if __package__:
    from . import _vocab as V
else:
    import _vocab as V  # type: ignore[no-redef]  # run as a script

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


def write_export(out: str, n: int, seed: int = 0, split: int = 1, profile: Profile = DEFAULT) -> dict[str, float]:
    """Write the export ZIP; returns conversation, node and JSON byte counts."""
    names = ["conversations.json"] if split <= 1 else [f"conversations-{k:03d}.json" for k in range(split)]
    per = -(-n // len(names))
    convs = iter_conversations(n, seed, profile)
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
    return stats


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of conversations")
    ap.add_argument("out", help="output ZIP path")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", type=int, default=1, help="spread over K conversations-NNN.json")
    ap.add_argument("--long", action="store_true", help="longer messages (~25 KB per conversation)")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    stats = write_export(args.out, args.n, args.seed, args.split, LONG if args.long else DEFAULT)
    stats["seconds"] = round(time.perf_counter() - t, 2)
    json.dump(stats, sys.stdout)
    print()


if __name__ == "__main__":
    main()
