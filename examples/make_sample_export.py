#!/usr/bin/env python3
"""Write ``examples/sample-export.zip``: a synthetic ChatGPT data export.

Everything in it is invented (the account belongs to the fictional "Alex Example").
It is built to exercise every rule of the export format described in
``docs`` (section 1 of chatgpt-data.md): split conversation files, mapping trees
with edits and regenerations, null/missing ``current_node``, hidden messages,
every content type seen in the wild, citation markers, "continue generating",
both timestamp forms, odd titles, old-style ids, projects and custom GPTs; and what
``chatgpt-files-and-canvas.md`` describes: uploads, generated images, attachments,
code-interpreter charts, canvases, deep-research reports. A second ZIP,
``sample-export-2026.zip``, holds the same kinds in the 2026 layout (flat ``.dat`` files).

The output is deterministic: running the script twice gives byte-identical ZIPs
(fixed ZIP timestamps and attributes, sorted entries, seeded randomness only; the
images are encoded by Pillow, so with the version uv.lock pins). Needs Pillow (a
dependency of the package) for JPEG and WEBP; everything else is the standard library.

Usage::

    python examples/make_sample_export.py [OUTPUT.zip [OUTPUT-2026.zip]]

``SAMPLE.md`` beside this file lists the conversations, files and marker words tests use.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import json
import os
import random
import struct
import sys
import textwrap
import uuid
import wave
import zipfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: bench/_files.py
from bench import _files as files

# Namespace for every uuid5 in the sample (ids are stable and readable in SAMPLE.md).
NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://example.invalid/chatgpt-history-mcp/sample")

ZIP_DATE = (2025, 9, 1, 12, 0, 0)

# Projects ("snorlax") and custom GPTs.
PROJECT_ID = "g-p-" + uuid.uuid5(NS, "project/relocation").hex
GPT_DEVOPS = "g-Kx7pQ2mZr"
GPT_SQL = "g-Sq3nS31aQ"

_MISSING = object()  # "leave this key out entirely"
_AUTO = object()


def conv_id(slug: str) -> str:
    return str(uuid.uuid5(NS, "conversation/" + slug))


def d(s: str) -> str:
    """Dedent a triple-quoted block and strip the surrounding blank lines."""
    return textwrap.dedent(s).strip("\n")


def epoch(y, mo, day, h, mi, s=0, us=0) -> float:
    t = _dt.datetime(y, mo, day, h, mi, s, us, tzinfo=_dt.UTC)
    return round(t.timestamp(), 6)


def iso(t: float) -> str:
    """ISO-8601 with microseconds and a Z, as the web backend writes it."""
    dt = _dt.datetime.fromtimestamp(t, tz=_dt.UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---------------------------------------------------------------- content helpers


def text(*parts: str) -> dict:
    return {"content_type": "text", "parts": list(parts)}


def code(src: str, language: str = "unknown") -> dict:
    return {"content_type": "code", "language": language, "response_format_name": None, "text": src}


def execution_output(out: str) -> dict:
    return {"content_type": "execution_output", "text": out}


def multimodal(*parts) -> dict:
    return {"content_type": "multimodal_text", "parts": list(parts)}


def image_pointer(pointer: str, size: int, width: int, height: int) -> dict:
    return {
        "content_type": "image_asset_pointer",
        "asset_pointer": pointer,
        "size_bytes": size,
        "width": width,
        "height": height,
        "fovea": None,
        "metadata": {
            "dalle": None,
            "gizmo": None,
            "generation": None,
            "container_pixel_height": None,
            "container_pixel_width": None,
            "emu_omit_glimpse_image": None,
            "emu_patches_override": None,
            "sanitized": True,
            "asset_pointer_link": None,
            "watermarked_asset_pointer": None,
        },
    }


def audio_transcription(words: str, direction: str) -> dict:
    return {"content_type": "audio_transcription", "text": words, "direction": direction, "decoding_id": None}


def audio_pointer(pointer: str, size: int, seconds: float) -> dict:
    return {
        "content_type": "audio_asset_pointer",
        "expiry_datetime": None,
        "asset_pointer": pointer,
        "size_bytes": size,
        "format": "wav",
        "metadata": {
            "start_timestamp": None,
            "end_timestamp": None,
            "pretokenized_vq": None,
            "interruptions": None,
            "original_audio_source": None,
            "transcription": None,
            "word_transcription": None,
            "start": 0.0,
            "end": seconds,
        },
    }


# ---------------------------------------------------------------- tree builder


class Conv:
    """Builds one conversation's ``mapping`` tree with a monotonic clock."""

    def __init__(
        self,
        slug: str,
        start: float,
        default_model: str,
        *,
        root_id: str | None = None,
        root_message_key: bool = True,
        gizmo_id: str | None = None,
    ):
        self.slug = slug
        self.id = conv_id(slug)
        self.start = start
        self.t = start
        self.default_model = default_model
        self.gizmo_id = gizmo_id
        self.rng = random.Random(zlib.crc32(slug.encode("utf-8")))
        self.mapping: dict[str, dict] = {}
        self.times: list[float] = []
        self.n = 0
        rid = root_id or self.node_id("root")
        root = {"id": rid}
        if root_message_key:
            root["message"] = None
        root["parent"] = None
        root["children"] = []
        self.mapping[rid] = root
        self.root = rid
        self.last = rid

    def node_id(self, key: str) -> str:
        return str(uuid.uuid5(NS, f"{self.slug}/node/{key}"))

    def add(
        self,
        role: str,
        content: dict,
        *,
        parent=None,
        key: str | None = None,
        gap: float | None = None,
        name: str | None = None,
        model=_AUTO,
        recipient: str = "all",
        channel: str | None = None,
        weight: float = 1.0,
        end_turn=_AUTO,
        status: str = "finished_successfully",
        meta: dict | None = None,
        create_time=_AUTO,
        update_time=None,
        iso_times: bool = False,
        finish: str | None = "stop",
        edited_after: float | None = None,
    ) -> str:
        self.n += 1
        key = key or f"m{self.n:02d}"
        nid = self.node_id(key)
        parent = self.last if parent is None else parent
        if gap is None:
            gap = self.rng.uniform(25, 240) if role == "user" else self.rng.uniform(2, 35)
            gap += self.rng.randrange(0, 999999) / 1e6
        self.t = round(self.t + gap, 6)
        t = self.t
        if edited_after is not None:
            update_time = round(t + edited_after, 6)
        if create_time is _AUTO:
            create_time = t
        if create_time is not None:
            self.times.append(create_time)
        if isinstance(update_time, (int, float)) and not isinstance(update_time, bool):
            self.times.append(update_time)
        if iso_times:
            create_time = iso(create_time) if isinstance(create_time, float) else create_time
            update_time = iso(update_time) if isinstance(update_time, float) else update_time

        parent_msg = self.mapping[parent].get("message")
        metadata: dict = {}
        if role == "assistant":
            if model is _AUTO:
                model = self.default_model
            if finish:
                metadata["finish_details"] = (
                    {"type": finish, "stop_tokens": [200002]} if finish == "stop" else {"type": finish}
                )
            metadata["is_complete"] = True
            metadata["citations"] = []
            metadata["content_references"] = []
            if model:
                metadata["model_slug"] = model
                metadata["default_model_slug"] = self.default_model
        if role in ("user", "assistant"):
            metadata["request_id"] = uuid.uuid5(NS, f"{self.slug}/request/{key}").hex[:16]
        if self.gizmo_id and role == "assistant":
            metadata["gizmo_id"] = self.gizmo_id
        if parent_msg is not None:
            metadata["parent_id"] = parent
        metadata["timestamp_"] = "absolute"
        metadata["message_type"] = None
        if meta:
            metadata.update(meta)
        if end_turn is _AUTO:
            end_turn = True if (role == "assistant" and recipient == "all" and channel in (None, "final")) else None

        message = {
            "id": nid,
            "author": {"role": role, "name": name, "metadata": {}},
            "create_time": create_time,
            "update_time": update_time,
            "content": content,
            "status": status,
            "end_turn": end_turn,
            "weight": weight,
            "metadata": metadata,
            "recipient": recipient,
            "channel": channel,
        }
        self.mapping[nid] = {"id": nid, "message": message, "parent": parent, "children": []}
        self.mapping[parent]["children"].append(nid)
        self.last = nid
        return nid

    # Shortcuts -----------------------------------------------------------
    def hidden_system(self, **kw) -> str:
        """The empty, visually hidden system message most real conversations start with."""
        kw.setdefault("gap", 0.0)
        return self.add(
            "system",
            text(""),
            create_time=None,
            weight=0.0,
            meta={"is_visually_hidden_from_conversation": True},
            end_turn=True,
            **kw,
        )

    def user(self, *parts: str, **kw) -> str:
        return self.add("user", text(*parts), **kw)

    def assistant(self, *parts: str, **kw) -> str:
        return self.add("assistant", text(*parts), **kw)

    def to_dict(
        self,
        title,
        *,
        current_node=_AUTO,
        ids: str = "id",
        update_time=_AUTO,
        gizmo_type: str | None = None,
        archived: bool = False,
        starred=None,
        voice: str | None = None,
        origin: str | None = None,
    ) -> dict:
        if current_node is _AUTO:
            current_node = self.last
        conv: dict = {"title": title, "create_time": self.start}
        if update_time is _AUTO:
            conv["update_time"] = round(max(self.times) + 1.234567, 6)
        elif update_time is not _MISSING:
            conv["update_time"] = update_time
        conv["mapping"] = self.mapping
        conv["moderation_results"] = []
        if current_node is not _MISSING:
            conv["current_node"] = current_node
        conv["plugin_ids"] = None
        if ids in ("conversation_id", "both"):
            conv["conversation_id"] = self.id
        conv["conversation_template_id"] = self.gizmo_id if gizmo_type == "snorlax" else None
        conv["gizmo_id"] = self.gizmo_id
        conv["gizmo_type"] = gizmo_type
        conv["is_archived"] = archived
        conv["is_starred"] = starred
        conv["safe_urls"] = []
        conv["blocked_urls"] = []
        conv["default_model_slug"] = self.default_model
        conv["conversation_origin"] = origin
        conv["voice"] = voice
        conv["async_status"] = None
        conv["disabled_tool_ids"] = []
        conv["is_do_not_remember"] = False
        conv["memory_scope"] = "global_enabled"
        conv["sugar_item_id"] = None
        if ids in ("id", "both"):
            conv["id"] = self.id
        return conv


# ================================================================ conversations


def c_sourdough() -> dict:
    c = Conv("sourdough", epoch(2024, 2, 11, 9, 14, 3, 512000), "gpt-4o")
    c.hidden_system()
    c.user(
        d("""
        My sourdough starter is about 10 days old and it barely rises anymore. The first few days it
        doubled and smelled like beer, now it's sluggish and there's a grey liquid on top. I feed it
        1:1:1 with all-purpose flour and tap water once a day. What am I doing wrong?
    """)
    )
    c.assistant(
        d("""
        Nothing is "wrong" yet: what you describe is the classic week-two slump of a young starter.

        **What's happening**
        - The early burst of activity comes from bacteria that don't survive once the culture gets
          acidic. The wild yeast and lactobacilli you actually want take another week or two to take over.
        - The grey liquid is **hooch**, alcohol produced by hungry yeast. It means the starter ran out
          of food long before the next feeding. Pour it off (or stir it in for a tangier flavour).

        **What to change**
        1. **Feed a bigger ratio.** 1:1:1 leaves a lot of acid behind. Try 1:5:5 (10 g starter,
           50 g flour, 50 g water). More fresh flour means more food and less acid.
        2. **Add some whole grain.** Replace 20–30 % of the flour with whole rye or whole wheat.
           The bran carries extra nutrients and wild yeast.
        3. **Mind the temperature.** Starters are happiest at 24–26 °C. Below 20 °C everything slows
           down a lot. The oven with only the light on, or the top of the fridge, often works.
        4. **Chlorine.** Heavily chlorinated tap water can slow things down. Leave the water out
           overnight or use filtered water.

        Mark the level with a rubber band after each feeding so you can see how far it rises.
    """)
    )
    c.user(
        d("""
        I keep it on the counter, the kitchen is around 19 °C. Should I switch to twice-a-day feedings?
        And how do I know when it's ready to bake with?
    """)
    )
    c.assistant(
        d("""
        At 19 °C, once a day with a 1:5:5 ratio is usually enough. Twice a day helps if you can find a
        warmer spot (24 °C or more), because then it peaks and collapses within 8–10 hours.

        Signs that it's ready to leaven bread:
        - It **doubles predictably** within 4–8 hours of a feeding, three days in a row.
        - It has a domed top and lots of bubbles throughout, not just on the surface.
        - It smells pleasantly sour, like yoghurt or green apples, not like nail polish remover.
        - The **float test**: a spoonful dropped in water floats. It's not infallible (rye starters
          often sink even when strong) but it's a good hint.

        Use it for baking at or just before its peak, when it has roughly doubled and is still domed.
    """)
    )
    c.user("Ok it doubled in 5 hours today! Can you give me a simple first loaf recipe with baker's percentages?")
    c.assistant(
        d("""
        Congratulations! Here is a forgiving country loaf.

        | ingredient | grams | baker's % |
        |---|---|---|
        | bread flour | 450 | 90 % |
        | whole wheat flour | 50 | 10 % |
        | water | 350 | 70 % |
        | levain (active starter) | 100 | 20 % |
        | salt | 10 | 2 % |

        **Schedule**
        1. **Autolyse (30–60 min):** mix flour and 330 g water until no dry bits remain.
        2. **Mix:** add the levain, the salt and the remaining 20 g water. Squeeze and fold until combined.
        3. **Bulk fermentation (4–6 h at 24 °C, longer at 19 °C):** four sets of stretch and folds
           every 30 minutes, then leave it alone. It's done when the dough has grown about 50 %, feels
           airy and jiggles when you shake the bowl.
        4. **Pre-shape, rest 20 min, shape** into a tight boule and put it seam-side up in a floured banneton.
        5. **Cold retard:** 12–16 h in the fridge. This builds flavour and makes scoring easier.
        6. **Bake** in a preheated Dutch oven at 250 °C, 20 min with the lid on, then 20–25 min at
           230 °C with the lid off until deep brown.

        Let it cool for at least an hour before cutting: the crumb is still setting.
    """)
    )
    c.user("Thanks! I baked it. The crust is great but the crumb came out dense and gummy near the bottom.")
    last = c.assistant(
        d("""
        A dense, gummy layer near the bottom almost always means **under-fermentation**, sometimes
        combined with cutting too early.

        - At 19 °C, bulk fermentation can take 7–9 hours, not 4–6. Go by the dough, not the clock:
          look for a 50 % rise, a domed surface and bubbles on the sides of the container.
        - Make sure the starter was at its peak when you mixed. A starter past its peak has less
          leavening power.
        - Preheat the Dutch oven for a full 45 minutes so the bottom gets enough heat. A baking stone
          or a tray on the rack below also helps.
        - Wait until the loaf is fully cool. Gumminess is often just steam that hasn't escaped yet.

        Next time, try a warmer spot for bulk fermentation and keep notes on times and temperatures.
        After two or three bakes you'll know exactly how your starter behaves.
    """)
    )
    conv = c.to_dict("Sourdough starter not rising", ids="both", starred=True)
    conv["_feedback"] = [(last, "thumbsUp", "Very clear, thanks")]
    return conv


def c_lisbon() -> dict:
    c = Conv("lisbon", epoch(2024, 4, 2, 20, 31, 11, 870000), "gpt-4o", gizmo_id=PROJECT_ID)
    c.hidden_system()
    c.user(
        d("""
        I'm planning 4 days in Lisbon in mid-May with my partner. We like food, viewpoints and not too
        many museums. Also, is Lisbon actually the capital of Portugal, or is it Porto? My friend insists
        it's Porto 😅. What's the weather like then?
    """)
    )
    c.add(
        "assistant",
        code('{"search_query": [{"q": "capital of Portugal"}, {"q": "Lisbon weather mid May"}]}'),
        recipient="web",
        end_turn=False,
        finish=None,
    )
    c.add(
        "tool",
        {
            "content_type": "system_error",
            "name": "tool_error",
            "text": "Error: the search request timed out after 30 seconds. SYSTEMERRORWORD",
        },
        name="web",
        meta={"is_visually_hidden_from_conversation": False},
    )
    c.add(
        "assistant",
        code('{"search_query": [{"q": "capital of Portugal"}, {"q": "Lisbon weather mid May"}]}'),
        recipient="web",
        end_turn=False,
        finish=None,
    )
    c.add(
        "tool",
        {
            "content_type": "tether_browsing_display",
            "result": (
                "# 【0†Lisbon - Wikipedia†en.wikipedia.org】\n"
                "Lisbon is the capital and largest city of Portugal.\n"
                "# 【1†Lisbon weather in May†weather.example.org】\n"
                "Average highs of 22 °C in May. BROWSINGDISPLAYWORD"
            ),
            "summary": "Searched for the capital of Portugal and Lisbon weather in May.",
            "assets": None,
            "tether_id": None,
        },
        name="web",
    )
    c.add(
        "tool",
        {
            "content_type": "tether_quote",
            "url": "https://en.wikipedia.org/wiki/Lisbon",
            "domain": "en.wikipedia.org",
            "title": "Lisbon - Wikipedia",
            "text": (
                "Lisbon is the capital and largest city of Portugal, lying on the northern "
                "bank of the Tagus estuary where the river meets the Atlantic Ocean."
            ),
            "tether_id": None,
        },
        name="web",
    )
    c.add(
        "tool",
        {
            "content_type": "sonic_webpage",
            "url": "https://weather.example.org/lisbon/may",
            "domain": "weather.example.org",
            "title": "Lisbon weather in May",
            "text": (
                "Lisbon in May: average high 22 °C, average low 14 °C, about 9 hours of sunshine "
                "per day and 5 rainy days. Sea temperature 17 °C. SONICPAGEWORD"
            ),
            "snippet": "Average high 22 °C, low 14 °C.",
            "pub_date": None,
            "crawl_date": None,
            "ref_id": {"turn_index": 0, "ref_type": "search", "ref_index": 5},
        },
        name="web",
    )

    cite1 = "\ue200cite\ue202turn0search3\ue201"
    cite2 = "\ue200cite\ue202turn0search5\ue202turn0search7\ue201"
    answer = (
        "Your friend is mixing them up: Lisbon is the capital of Portugal. " + cite1 + " Porto is the "
        "second-largest city, famous for port wine and the Ribeira waterfront.\n\n"
        "**Weather in mid-May:** expect highs around 22 °C and lows around 14 °C, mostly sunny with the "
        "occasional shower. " + cite2 + " Bring a light jacket for windy evenings on the viewpoints.\n\n"
        "**A relaxed 4-day outline**\n"
        "1. **Alfama and Graça:** wander the old lanes, lunch on grilled sardines, sunset at the "
        "Miradouro da Senhora do Monte.\n"
        "2. **Belém:** the riverside, the monastery from the outside, and the famous custard tarts. "
        "Evening in Bairro Alto for petiscos.\n"
        "3. **Day trip to Sintra:** go early by train from Rossio; the palaces get crowded after 11:00.\n"
        "4. **Príncipe Real and LX Factory:** markets, bookshops, a long lunch at the Time Out Market "
        "and a final drink at a rooftop bar in Chiado.\n\n"
        "Book Sintra tickets online and wear comfortable shoes: Lisbon's hills and slippery calçada "
        "cobblestones are no joke."
    )
    s1 = answer.index(cite1)
    s2 = answer.index(cite2)
    refs = [
        {
            "matched_text": cite1,
            "start_idx": s1,
            "end_idx": s1 + len(cite1),
            "refs": [{"turn_index": 0, "ref_type": "search", "ref_index": 3}],
            "alt": "([Wikipedia](https://en.wikipedia.org/wiki/Lisbon))",
            "prompt_text": None,
            "type": "grouped_webpages",
            "items": [
                {
                    "title": "Lisbon - Wikipedia",
                    "url": "https://en.wikipedia.org/wiki/Lisbon",
                    "pub_date": None,
                    "snippet": "Lisbon is the capital and largest city of Portugal.",
                    "attribution": "Wikipedia",
                    "supporting_websites": [],
                    "refs": [],
                }
            ],
            "status": "done",
            "error": None,
            "style": None,
        },
        {
            "matched_text": cite2,
            "start_idx": s2,
            "end_idx": s2 + len(cite2),
            "refs": [
                {"turn_index": 0, "ref_type": "search", "ref_index": 5},
                {"turn_index": 0, "ref_type": "search", "ref_index": 7},
            ],
            "alt": "([weather.example.org](https://weather.example.org/lisbon/may))",
            "prompt_text": None,
            "type": "grouped_webpages",
            "items": [
                {
                    "title": "Lisbon weather in May",
                    "url": "https://weather.example.org/lisbon/may",
                    "pub_date": None,
                    "snippet": "Average high 22 °C, low 14 °C.",
                    "attribution": "weather.example.org",
                    "supporting_websites": [
                        {
                            "title": "Lisbon climate by month",
                            "url": "https://climate.example.net/pt/lisbon",
                            "pub_date": None,
                            "snippet": "May is one of the best months to visit.",
                            "attribution": "climate.example.net",
                        }
                    ],
                    "refs": [],
                }
            ],
            "status": "done",
            "error": None,
            "style": None,
        },
        # Real exports end with a footnote reference whose matched_text is a single space.
        {
            "matched_text": " ",
            "start_idx": len(answer),
            "end_idx": len(answer),
            "refs": [],
            "alt": "",
            "prompt_text": None,
            "type": "sources_footnote",
            "sources": [
                {
                    "title": "Lisbon - Wikipedia",
                    "url": "https://en.wikipedia.org/wiki/Lisbon",
                    "attribution": "Wikipedia",
                },
                {
                    "title": "Lisbon weather in May",
                    "url": "https://weather.example.org/lisbon/may",
                    "attribution": "weather.example.org",
                },
            ],
            "has_images": False,
        },
    ]
    c.assistant(
        answer,
        meta={
            "content_references": refs,
            "search_result_groups": [{"type": "search_result_group", "domain": "en.wikipedia.org", "entries": []}],
        },
    )
    c.user("Perfect. Where should we eat pastéis de nata, and is the 28 tram worth it?")
    c.assistant(
        d("""
        **Pastéis de nata:** the bakery in Belém next to the monastery is the famous one. The queue
        moves fast, or sit inside where there's rarely a wait. In the centre, Manteigaria near Praça
        Luís de Camões bakes them all day; eat them warm with cinnamon and a bica (Lisbon's espresso)
        standing at the counter, like at any local café.

        **Tram 28:** the route itself is lovely (Graça, Alfama, Baixa, Estrela), but the trams are
        packed from 10:00 to 18:00 and it's a hotspot for pickpockets. Tips:
        - Board at the Martim Moniz terminus early in the morning to get a seat.
        - Or ride the quieter tram 12, which loops around the castle hill.
        - A Viva Viagem card with zapping credit is cheaper than paying on board.

        Walking downhill from Graça to Baixa gives you most of the views for free.
    """)
    )
    return c.to_dict("Lisbon trip in May", gizmo_type="snorlax")


def c_k8s() -> dict:
    c = Conv("k8s", epoch(2025, 3, 4, 9, 20, 41, 30000), "gpt-4o", gizmo_id=GPT_DEVOPS)
    c.hidden_system()
    c.user(
        d("""
        After deploying v1.2.3 of our orders-api the pod is stuck in CrashLoopBackOff. v1.2.2 was fine.

        ```
        $ kubectl get pods -n shop
        NAME                          READY   STATUS             RESTARTS      AGE
        orders-api-7c9d8f6b5d-x2k4p   0/1     CrashLoopBackOff   6 (42s ago)   9m
        ```

        `kubectl logs` shows nothing at all. What should I check?
    """)
    )
    c.assistant(
        d("""
        Empty logs plus CrashLoopBackOff usually means the container dies before the app writes
        anything, or you're looking at the fresh container instead of the one that crashed. Work through this:

        1. **Logs of the previous container:**
           ```bash
           kubectl logs -n shop orders-api-7c9d8f6b5d-x2k4p --previous
           ```
        2. **Events and exit code:**
           ```bash
           kubectl describe pod -n shop orders-api-7c9d8f6b5d-x2k4p
           ```
           Look at `Last State: Terminated`, the `Exit Code` and `Reason`. `137` with `OOMKilled` means
           memory limits; `1` is an application error; a failing liveness probe shows up in the events.
        3. **Diff the manifests** between v1.2.2 and v1.2.3: env vars, ConfigMap keys, the
           container command, resource limits and probes.
           ```bash
           kubectl rollout history deployment/orders-api -n shop
           kubectl diff -f k8s/orders-api.yaml
           ```
        4. If you need the release back quickly: `kubectl rollout undo deployment/orders-api -n shop`.

        Paste the `--previous` logs and the `describe` output and we'll narrow it down.
    """)
    )
    c.user(
        d("""
        --previous gives:

        ```
        2025-03-04T09:12:44Z INFO  starting orders-api v1.2.3
        2025-03-04T09:12:44Z ERROR HttpRequestHandler: config key "ordersDbUrl" not found
        ```

        and describe says `Exit Code: 1`, plus
        `Liveness probe failed: Get "http://10.0.3.17:8080/healthz": connection refused`.
    """)
    )
    c.assistant(
        d("""
        That's the cause. In v1.2.3 the service reads its database URL from the key `ordersDbUrl`
        (camelCase), but your ConfigMap still has the old `ORDERS_DB_URL`. The HttpRequestHandler fails
        during start-up, the process exits with code 1, and Kubernetes restarts it with an increasing
        back-off.

        Fix the ConfigMap (or map the old key explicitly in the Deployment):

        ```yaml
        env:
          - name: ordersDbUrl
            valueFrom:
              configMapKeyRef:
                name: orders-api-config
                key: ORDERS_DB_URL
        ```

        Then restart the rollout:

        ```bash
        kubectl apply -f k8s/orders-api.yaml
        kubectl rollout restart deployment/orders-api -n shop
        kubectl rollout status deployment/orders-api -n shop
        ```

        The "connection refused" from the liveness probe is only a symptom: nothing listens on :8080
        because the process already exited.
    """)
    )
    c.user(
        "That was it! But why did the liveness probe start killing it before it even logged anything on slower nodes?"
    )
    last = c.assistant(
        d("""
        Your liveness probe probably starts too early. With `initialDelaySeconds: 5` and
        `failureThreshold: 3`, a container that needs 20 seconds to warm up (JIT, migrations, cache
        loading) gets killed before it is ready. Use a **startupProbe**: liveness and readiness
        checks are held back until it succeeds.

        ```yaml
        startupProbe:
          httpGet:
            path: /healthz
            port: 8080
          periodSeconds: 5
          failureThreshold: 24   # up to 2 minutes to start
        livenessProbe:
          httpGet:
            path: /healthz
            port: 8080
          periodSeconds: 10
          failureThreshold: 3
        readinessProbe:
          httpGet:
            path: /ready
            port: 8080
          periodSeconds: 5
        ```

        Keep `/healthz` cheap (no database call) so a slow database doesn't trigger restarts, and let
        `/ready` check dependencies instead.
    """)
    )
    conv = c.to_dict("CrashLoopBackOff after deploying v1.2.3", gizmo_type="gpt")
    conv["_feedback"] = [(last, "thumbsDown", "Probe values were too aggressive for our cluster")]
    return conv


def c_rust() -> dict:
    c = Conv("rust", epoch(2025, 5, 18, 21, 5, 9, 441000), "o3")
    c.hidden_system()
    c.user(
        d("""
        Why doesn't this compile?

        ```rust
        struct Item { name: String, count: u32 }
        struct Inventory { items: Vec<Item>, log: Vec<String> }

        impl Inventory {
            fn restock(&mut self) {
                for item in self.items.iter_mut() {
                    if item.count < 3 {
                        self.record(format!("restocking {}", item.name));
                        item.count += 10;
                    }
                }
            }
            fn record(&mut self, msg: String) { self.log.push(msg); }
        }
        ```

        error[E0499]: cannot borrow `*self` as mutable more than once at a time
    """)
    )
    c.add(
        "assistant",
        {
            "content_type": "thoughts",
            "thoughts": [
                {
                    "summary": "Analyzing the double mutable borrow",
                    "content": (
                        "iter_mut borrows self.items mutably for the whole loop; "
                        "self.record needs &mut self, which overlaps. Suggest field-level borrows. "
                        "THOUGHTSWORD"
                    ),
                    "chunks": [],
                    "finished": True,
                },
                {
                    "summary": "Choosing fixes to present",
                    "content": ("Options: push to self.log directly, collect messages first, or split the struct."),
                    "chunks": [],
                    "finished": True,
                },
            ],
            "source_analysis_msg_id": c.node_id("analysis-1"),
        },
        end_turn=False,
        finish=None,
        meta={"reasoning_status": "is_reasoning"},
    )
    c.add(
        "assistant",
        {"content_type": "reasoning_recap", "content": "Thought for 12s"},
        end_turn=False,
        finish=None,
        meta={"reasoning_status": "reasoning_ended"},
    )
    c.assistant(
        d("""
        `self.items.iter_mut()` creates a mutable borrow of `self.items` that lives for the whole `for`
        loop (each `item` is a `&mut Item` pointing into the vector). Inside the loop you call
        `self.record(...)`, which takes `&mut self`: a mutable borrow of the **entire** struct, including
        `self.items`. Two overlapping mutable borrows are exactly what the borrow checker forbids,
        because `record` could, for all the compiler knows, push to or clear `self.items` and leave
        `item` dangling.

        Three idiomatic fixes:

        **1. Borrow the field directly** (disjoint fields are fine):
        ```rust
        for item in self.items.iter_mut() {
            if item.count < 3 {
                self.log.push(format!("restocking {}", item.name));
                item.count += 10;
            }
        }
        ```

        **2. Collect first, record afterwards:**
        ```rust
        let mut msgs = Vec::new();
        for item in self.items.iter_mut().filter(|i| i.count < 3) {
            msgs.push(format!("restocking {}", item.name));
            item.count += 10;
        }
        for m in msgs { self.record(m); }
        ```

        **3. Split the struct** so the logger is its own type with its own `&mut self` methods, and
        pass `&mut self.log` around explicitly.
    """)
    )
    c.user("Why does calling self.log.push directly work but self.record() doesn't? Isn't it the same thing?")
    c.add(
        "assistant",
        {
            "content_type": "thoughts",
            "thoughts": [
                {
                    "summary": "Explaining borrow granularity",
                    "content": "Borrow checking is intraprocedural; method signatures are the contract.",
                    "chunks": [],
                    "finished": True,
                }
            ],
            "source_analysis_msg_id": c.node_id("analysis-2"),
        },
        end_turn=False,
        finish=None,
    )
    c.add(
        "assistant",
        {"content_type": "reasoning_recap", "content": "Thought for 7s"},
        end_turn=False,
        finish=None,
    )
    c.assistant(
        d("""
        It does the same thing at runtime, but the borrow checker only looks at **signatures**, one
        function at a time.

        - Inside `restock`, the compiler can see that `self.log` and `self.items` are different fields,
          so borrowing both mutably at once is provably safe ("disjoint field borrows").
        - `fn record(&mut self, ...)` promises nothing about *which* fields it touches. From the
          caller's side, `&mut self` means "may read or modify anything in `self`", so it conflicts with
          the live borrow of `self.items`.

        Rust deliberately doesn't peek into the body of `record`: if it did, changing the body of a
        function could break callers elsewhere without any change to its signature. If you want
        a helper that only touches the log, make it take just that field:

        ```rust
        fn record(log: &mut Vec<String>, msg: String) { log.push(msg); }
        // call site
        Self::record(&mut self.log, format!("restocking {}", item.name));
        ```

        There are proposals ("view types") to express partial borrows in signatures, but today the
        field-level borrow or a free function is the way to go.
    """)
    )
    return c.to_dict("Rust borrow checker: cannot borrow `*self` as mutable")


def c_cover_letter() -> dict:
    c = Conv("cover-letter", epoch(2025, 1, 26, 16, 40, 2, 5000), "gpt-4o", gizmo_id=PROJECT_ID)
    c.hidden_system()
    c.user(
        d("""
        Can you help me write a cover letter for a Data Analyst position at Nordlicht Data AG in Zürich?
        Some background from my résumé: 4 years as a data analyst at a mid-size e-commerce company;
        SQL, Python (pandas), Tableau; I led a churn analysis project that cut subscription
        cancellations by 12 %; I built the weekly KPI dashboard used by the leadership team.
    """)
    )
    a1 = c.assistant(
        d("""
        Here's a first draft:

        ---
        Dear Hiring Team,

        I'm excited to apply for the Data Analyst position at Nordlicht Data AG. For the past four years I
        have turned messy e-commerce data into decisions, and I'd love to bring that experience to your
        team in Zürich.

        In my current role I led a churn analysis that combined subscription, support and usage data in
        SQL and Python. The model highlighted three early warning signals, and the retention campaign
        built on them reduced cancellations by 12 %. I also designed the weekly KPI dashboard in Tableau
        that our leadership team uses to steer the business, replacing a dozen manual spreadsheets.

        What I enjoy most is the step between analysis and action: framing the right question, checking
        the data carefully, and explaining the result so that people outside the data team can act on it.

        I'd welcome the chance to discuss how I can contribute to Nordlicht Data's projects.

        Kind regards,
        Alex Example
        ---

        Want me to make it more personal or tailor it to the job ad?
    """)
    )
    # Abandoned edit: the first version of the follow-up question.
    c.user(
        "Can you make it more personal? Mention that in my free time I build scale zeppelin models "
        "and restore old radios.",
        parent=a1,
        key="edit-old",
    )
    c.assistant(
        d("""
        Sure, here's a more personal version of the closing paragraphs:

        ---
        Outside work I build scale zeppelin models and restore old radios. Both hobbies reward the same
        patience I bring to data work: understanding how every part fits before changing anything, and
        testing carefully before declaring something finished.

        I'd welcome the chance to discuss how I can contribute to Nordlicht Data's projects.
        ---
    """),
        key="edit-old-answer",
    )
    # The edited version of the same question: the current branch.
    c.user(
        "Can you make it more personal? Mention that I'm relocating to Zürich this summer and that "
        "I'm learning German, and keep it under 250 words.",
        parent=a1,
        key="edit-new",
    )
    c.assistant(
        d("""
        Here's a tighter, more personal version (about 220 words):

        ---
        Dear Hiring Team,

        I'm relocating to Zürich this summer, and the Data Analyst role at Nordlicht Data AG is the
        position I'm most excited about. For four years I've turned e-commerce data into decisions that
        teams actually act on.

        I led a churn analysis combining subscription, support and usage data in SQL and Python. The
        early warning signals we found drove a retention campaign that cut cancellations by 12 %. I also
        built the weekly KPI dashboard in Tableau that our leadership team relies on.

        I'm currently learning German (B1, improving every week) because I want to be part of the city,
        not just work in it, and I'd be glad to join meetings in German as soon as possible.

        What I enjoy most is the step between analysis and action: asking the right question, checking
        the data, and explaining the result clearly. I'd love to bring that to your team.

        Kind regards,
        Alex Example
        ---
    """),
        key="edit-new-answer",
    )
    c.user("Great. What should the email subject line be, and should I attach the résumé as a PDF?")
    c.assistant(
        d("""
        **Subject line:** keep it scannable, e.g. "Application: Data Analyst (Ref. DA-2025-07), Alex Example".
        Use the job reference number if the ad has one.

        **Attachments:**
        - Yes, send the résumé as a PDF so the layout survives every mail client. Name it
          `Alex_Example_Resume.pdf` (avoid accents in file names; some applicant tracking systems
          mangle "é").
        - Swiss employers often expect a complete dossier: résumé, cover letter and reference letters
          (Arbeitszeugnisse) if you have them, ideally merged into one PDF under 5 MB.
        - A photo on the résumé is still common in Switzerland, but optional.

        In the email body, two or three sentences are enough: who you are, which role, and that the
        documents are attached.
    """)
    )
    return c.to_dict("Cover letter for data analyst role in Zürich", gizmo_type="snorlax")


def c_spanish() -> dict:
    c = Conv("spanish", epoch(2024, 9, 8, 8, 12, 55, 250000), "gpt-4o", gizmo_id=PROJECT_ID)
    c.hidden_system()
    q = c.user(
        "I'm learning Spanish (around A2/B1). I can never tell when to use the subjunctive. "
        "Can you explain it with simple examples?"
    )
    # Regeneration: the first answer was regenerated; the later sibling is current.
    c.assistant(
        d("""
        Think of the subjunctive as the kazoo of Spanish grammar: it hums along whenever the sentence is
        about something unreal, wished for or uncertain, rather than a plain fact.

        - Fact (indicative): *Sé que vienes.* (I know you're coming.)
        - Wish (subjunctive): *Quiero que vengas.* (I want you to come.)

        A quick rule: if there's a change of subject after *que* and the main verb expresses a wish,
        emotion or doubt, use the subjunctive.
    """),
        parent=q,
        key="regen-old",
        model="gpt-4o-mini",
    )
    c.assistant(
        d("""
        The subjunctive (*subjuntivo*) is a mood, not a tense: it marks things that are wished for,
        felt, doubted or not (yet) real. The classic memory aid is **WEIRDO**:

        - **W**ishes: *Quiero que vengas a la fiesta.* (I want you to come to the party.)
        - **E**motions: *Me alegra que estés aquí.* (I'm glad you're here.)
        - **I**mpersonal expressions: *Es importante que estudies cada día.* (It's important to study
          every day.)
        - **R**ecommendations: *Te recomiendo que pidas un café con leche.* (I recommend you order a
          café con leche.)
        - **D**oubt / denial: *Dudo que llueva mañana.* (I doubt it will rain tomorrow.)
        - **O**jalá: *¡Ojalá haga sol el sábado!* (Hopefully it's sunny on Saturday!)

        Two practical tips:
        1. It usually appears after **que** when the subject changes: *Quiero ir* (I want to go) but
           *Quiero que tú vayas* (I want you to go).
        2. Certainty takes the indicative, doubt takes the subjunctive: *Creo que tiene razón* vs.
           *No creo que tenga razón*.

        Forming the present subjunctive: take the *yo* form, drop the -o, and swap the vowel: -ar verbs
        take -e (hablo → hable), -er/-ir verbs take -a (como → coma, vivo → viva).
    """),
        parent=q,
        key="regen-new",
        gap=95.0,
    )
    c.user("Can you give me 5 practice sentences to conjugate?")
    c.assistant(
        d("""
        ¡Claro! Fill in the present subjunctive:

        1. Espero que mi jefe ______ (hablar) más despacio en la reunión.
        2. No creo que tú ______ (tener) tiempo para todo.
        3. Es mejor que nosotros ______ (ir) en tren.
        4. Me sorprende que el examen ______ (ser) tan fácil.
        5. Ojalá que Ana ______ (poder) venir mañana.

        Send me your answers and I'll correct them.
    """)
    )
    c.user("1. hable 2. tengas 3. vayamos 4. sea 5. pueda")
    c.assistant(
        d("""
        ¡Perfecto, 5 de 5! 🎉

        - *hable*: regular -ar verb, hablo → hable.
        - *tengas*: irregular stem from *tengo*.
        - *vayamos*: *ir* is fully irregular in the subjunctive (vaya, vayas, vaya, vayamos, vayáis, vayan).
        - *sea*: *ser* is also irregular (sea, seas, sea...).
        - *pueda*: stem change o → ue, just like the indicative *puedo*.

        Next step: the imperfect subjunctive (*si tuviera tiempo...*), which you'll need for
        hypotheticals. Want to try that next time?
    """)
    )
    return c.to_dict("Learning Spanish: the subjunctive\n", gizmo_type="snorlax")


def c_parse_config() -> dict:
    c = Conv("parse-config", epoch(2024, 11, 19, 14, 2, 7, 660000), "gpt-4o")
    c.hidden_system()
    c.user(
        d("""
        Our sync job started crashing after we bumped our internal client library to v2.4.0:

        ```
        Traceback (most recent call last):
          File "/app/sync.py", line 48, in <module>
            main()
          File "/app/sync.py", line 41, in main
            cfg = parse_config(os.environ["SYNC_CONFIG"])
          File "/app/config.py", line 17, in parse_config
            retries = raw["http"]["max_retries"]
        KeyError: 'max_retries'
        ```

        The relevant code:

        ```python
        def parse_config(path):
            with open(path) as fh:
                raw = yaml.safe_load(fh)
            retries = raw["http"]["max_retries"]
            timeout = raw["http"]["timeout"]
            return Config(retries=retries, timeout=timeout)

        def main():
            cfg = parse_config(os.environ["SYNC_CONFIG"])
            client = ApiClient(cfg)
            items = client.fetch_items(since=last_run)
            profile = client.getUserProfile(user_id)
        ```
    """)
    )
    c.assistant(
        d("""
        The traceback says `raw["http"]` exists but has no `max_retries` key. v2.4.0 of your client
        library most likely renamed the setting (a common change is `max_retries` → `retries`), and the
        YAML file was updated while `parse_config` still reads the old name. Let me check a tolerant
        lookup quickly.
    """),
        end_turn=False,
    )
    c.add(
        "assistant",
        code(
            d("""
        # quick check of the fallback logic TOOLCALLWORD
        def pick(section, *names, default=None):
            for name in names:
                if name in section:
                    return section[name]
            return default

        for raw in ({"http": {"max_retries": 3, "timeout": 10}}, {"http": {"retries": 5}}, {"http": {}}):
            http = raw.get("http", {})
            print(pick(http, "max_retries", "retries", default=3), float(pick(http, "timeout", default=10)))
    """)
        ),
        recipient="python",
        end_turn=False,
        finish=None,
    )
    c.add(
        "tool",
        execution_output("3 10.0\n5 10.0\n3 10.0\n"),
        name="python",
        meta={
            "aggregate_result": {
                "status": "success",
                "run_id": uuid.uuid5(NS, "run/1").hex,
                "start_time": c.t + 1.5,
                "end_time": c.t + 1.9,
                "code": "…",
                "messages": [],
                "jupyter_messages": [],
            },
            "is_complete": True,
        },
    )
    c.assistant(
        d("""
        The fallback works for the old name, the new name and a missing key. Here's a sturdier `parse_config`:

        ```python
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class HttpConfig:
            retries: int = 3
            timeout: float = 10.0

        def parse_config(path: str) -> HttpConfig:
            with open(path, encoding="utf-8") as fh:
                raw = yaml.safe_load(fh) or {}
            http = raw.get("http", {})
            retries = http.get("retries", http.get("max_retries", HttpConfig.retries))
            return HttpConfig(retries=int(retries), timeout=float(http.get("timeout", HttpConfig.timeout)))
        ```

        One more thing to check after the upgrade: `last_run` is probably a naïve datetime
        (`datetime.now()` without a timezone). If `client.fetch_items(since=...)` in v2.4.0 compares it
        with timezone-aware timestamps you'll get `TypeError: can't compare offset-naive and
        offset-aware datetimes`. Use `datetime.now(timezone.utc)` when you store it.
    """)
    )
    # A visible message whose create_time is null.
    c.user(
        "Also getUserProfile now sometimes returns None, and our HttpRequestHandler retries forever "
        "when the API is down. How should I cap it?",
        create_time=None,
    )
    c.assistant(
        d("""
        Treat `None` from `getUserProfile` as "not found" explicitly, and bound the retries with
        exponential back-off and jitter:

        ```python
        import random, time

        class RetryExhausted(Exception):
            pass

        def call_with_retries(fn, *args, retries=3, base=0.5, cap=8.0, **kwargs):
            for attempt in range(retries + 1):
                try:
                    return fn(*args, **kwargs)
                except (ConnectionError, TimeoutError):
                    if attempt == retries:
                        raise RetryExhausted(fn.__name__)
                    time.sleep(min(cap, base * 2 ** attempt) * random.uniform(0.5, 1.0))

        profile = call_with_retries(client.getUserProfile, user_id, retries=cfg.retries)
        if profile is None:
            log.warning("user %s has no profile; skipping", user_id)
        ```

        Inside `HttpRequestHandler`, honour `Retry-After` on 429/503 responses and never retry
        non-idempotent POSTs blindly.
    """)
    )
    return c.to_dict("Fixing KeyError in parse_config")


def c_sql() -> dict:
    c = Conv("sql", epoch(2024, 6, 13, 11, 47, 30, 90000), "gpt-4o-mini", gizmo_id=GPT_SQL)
    c.hidden_system()
    c.user(
        "I have an events table (user_id, event_name, occurred_at) in Postgres. I need monthly active "
        "users for the last 12 months, plus how many of them were also active the previous month. "
        "Can you write the query?"
    )
    # "Continue generating": one answer split over two consecutive assistant messages; the split
    # falls inside the SQL code block.
    c.assistant(
        "Sure! Here's a query with two CTEs: one that reduces events to (user, month) pairs, and one "
        "that joins each month to the previous one.\n\n"
        "```sql\n"
        "WITH monthly AS (\n"
        "    SELECT DISTINCT\n"
        "        user_id,\n"
        "        date_trunc('month', occurred_at) AS month\n"
        "    FROM events\n"
        "    WHERE occurred_at >= date_trunc('month', now()) - interval '12 months'\n"
        "),\n"
        "retained AS (\n"
        "    SELECT m.month,\n"
        "           count(*) AS mau,\n",
        finish="max_tokens",
        end_turn=False,
        key="part-1",
    )
    c.assistant(
        "           count(p.user_id) AS retained_users\n"
        "    FROM monthly m\n"
        "    LEFT JOIN monthly p\n"
        "      ON p.user_id = m.user_id\n"
        "     AND p.month = m.month - interval '1 month'\n"
        "    GROUP BY m.month\n"
        ")\n"
        "SELECT month,\n"
        "       mau,\n"
        "       retained_users,\n"
        "       round(100.0 * retained_users / mau, 1) AS retained_pct\n"
        "FROM retained\n"
        "ORDER BY month;\n"
        "```\n\n"
        "How it works:\n"
        "- `monthly` keeps one row per user per month, so heavy users aren't counted twice.\n"
        "- The self-join matches each (user, month) with the same user in the previous month.\n"
        "- `count(p.user_id)` only counts matched rows, which gives the retained users.\n\n"
        "For a large table, add an index on `events (occurred_at, user_id)`.",
        key="part-2",
        gap=6.0,
    )
    c.user("Why LEFT JOIN and not a plain JOIN?")
    c.assistant(
        d("""
        With a plain `JOIN`, users who were **not** active in the previous month would disappear from the
        result, so `count(*)` would no longer be the monthly active users: it would only count the
        retained ones, and `retained_pct` would always be 100 %.

        `LEFT JOIN` keeps every row from `monthly m`. For new or returning users there is no match, so
        `p.user_id` is `NULL`, and `count(p.user_id)` skips those NULLs while `count(*)` counts them.
        That's why one query can produce both numbers.

        Note that the first month in the window will show 0 % retention, because the month before it is
        outside the `WHERE` filter. Extend the filter by one month and drop the first row if that matters.
    """)
    )
    return c.to_dict("Monthly active users SQL query", gizmo_type="gpt")


def c_chinese() -> dict:
    c = Conv("chinese-ml", epoch(2023, 11, 21, 3, 33, 12, 120000), "gpt-4o")
    c.hidden_system()
    c.user("你好！我想学习机器学习，但是不知道从哪里开始。我有一些 Python 基础。你能给我一个学习路线吗？")
    c.assistant(
        d("""
        当然可以！下面是一个循序渐进的学习路线：

        1. **数学基础**：线性代数（向量、矩阵）、概率论与统计、基础微积分（导数和梯度）。
        2. **Python 工具**：NumPy、pandas 和 Matplotlib，用来处理和可视化数据。
        3. **经典机器学习**：线性回归、逻辑回归、决策树、随机森林和支持向量机。推荐使用 scikit-learn 做练习。
        4. **深度学习**：神经网络、反向传播，以及 PyTorch 框架。
        5. **选择方向**：例如自然语言处理（NLP）或计算机视觉。

        建议每学完一个算法就做一个小项目，比如用 Kaggle 上的数据集预测房价。
    """)
    )
    c.user("自然语言处理和机器学习有什么关系？中文分词难吗？")
    c.assistant(
        d("""
        自然语言处理是人工智能的一个分支，研究如何让计算机理解和生成人类语言。现在大多数自然语言处理方法都基于机器学习，尤其是深度学习。

        中文分词确实是一个特别的问题：中文句子里词语之间没有空格，所以需要先把句子切分成词。例如：

        - 原句：我爱自然语言处理
        - 分词结果：我 / 爱 / 自然语言处理

        常用的工具有 jieba 和 pkuseg。对于搜索引擎来说，也可以使用字符级别的 n-gram，这样就不依赖分词词典。
    """),
        model="gpt-4o-mini",
    )
    return c.to_dict("机器学习入门问题", ids="conversation_id")


def c_japanese_korean() -> dict:
    c = Conv("ja-ko", epoch(2024, 3, 5, 10, 20, 30, 123456), "gpt-4o-mini")
    c.hidden_system()
    c.user(
        "東京の天気は晴れです。この文は正しいですか？もっと自然な言い方はありますか？",
        iso_times=True,
        gap=0.0,
    )
    c.assistant(
        d("""
        はい、「東京の天気は晴れです」は文法的に正しいです。

        日常会話では、次のような言い方もよく使います：
        - 「東京は晴れています。」
        - 「今日の東京はいい天気ですね。」

        天気予報では「東京は晴れでしょう」のように「でしょう」を使います。
    """),
        iso_times=True,
        edited_after=4.5,
    )
    c.user("日本語の形態素解析をPythonでやりたいです。おすすめのライブラリは？")
    c.assistant(
        d("""
        日本語の形態素解析には MeCab、SudachiPy、Janome がよく使われます。
        Janome は純粋な Python なので、インストールが簡単です。

        ```python
        from janome.tokenizer import Tokenizer

        t = Tokenizer()
        for token in t.tokenize("東京の天気は晴れです"):
            print(token.surface, token.part_of_speech)
        ```

        速度が必要なら MeCab、検索エンジン向けの分割モードが欲しいなら SudachiPy がおすすめです。
    """),
        iso_times=True,
    )
    c.user("이제 한국어도 연습하고 싶어요. '저는 커피를 좋아해요'는 자연스러운가요?")
    c.assistant(
        d("""
        네, '저는 커피를 좋아해요'는 아주 자연스러운 문장이에요.

        - 친구에게는 더 편하게 '나는 커피 좋아해'라고 말할 수 있어요.
        - 격식 있는 자리에서는 '저는 커피를 좋아합니다'라고 해요.

        한국어 형태소 분석에는 KoNLPy 같은 라이브러리를 쓸 수 있어요.
    """),
        iso_times=True,
    )
    return c.to_dict("日本語と한국어の練習")


def c_houseplant() -> dict:
    c = Conv("houseplant", epoch(2024, 7, 21, 18, 3, 44, 700000), "gpt-4o")
    c.hidden_system()
    c.add(
        "user",
        multimodal(
            image_pointer("file-service://file-abc123", 284113, 1536, 2048),
            "My monstera has yellow leaves with brown, crispy edges. Photo attached. Am I overwatering it?",
        ),
        meta={
            "attachments": [
                {
                    "id": "file-abc123",
                    "name": "monstera.jpg",
                    "size": 284113,
                    "mime_type": "image/jpeg",
                    "width": 1536,
                    "height": 2048,
                }
            ]
        },
    )
    c.assistant(
        d("""
        From the photo, the lower leaves are yellowing evenly while the edges are brown and crispy. That
        combination usually points to **inconsistent watering** rather than pure overwatering:

        - Overwatering: soft, yellow leaves, dark mushy stems, soil that stays wet for a week.
        - Underwatering or dry air: crispy brown edges and curling leaves.

        Check the soil 5 cm deep with a finger: water only when it's dry at that depth, then water
        thoroughly until it drains. Make sure the pot has a drainage hole, and move the plant out of
        direct afternoon sun, which can scorch the leaves.
    """)
    )
    c.add(
        "user",
        multimodal(
            audio_transcription("Okay, I moved it next to the east window. How often should I water it now?", "in"),
            audio_pointer("sediment://file_00000000a1b2c3d4e5f60718293a4b5c", 98304, 6.1),
        ),
        meta={"voice_mode_message": True},
    )
    c.add(
        "assistant",
        multimodal(
            audio_transcription(
                "An east window is perfect. In summer that usually means watering about once "
                "a week, and every two weeks in winter. Always check the soil first.",
                "out",
            ),
            audio_pointer("sediment://file_00000000b2c3d4e5f60718293a4b5c6d", 163840, 9.8),
        ),
        meta={"voice_mode_message": True},
    )
    c.add(
        "user",
        multimodal(
            "Here's the new leaf that just unfurled, does this look healthy?",
            image_pointer("sediment://file_000000004c2a61f6b1d2e3f4a5b6c7d8", 191022, 1200, 1600),
        ),
    )
    c.assistant(
        d("""
        That looks great: a glossy, deep green leaf with the first fenestrations (the splits) starting to
        form, which means the plant is getting enough light. Keep the routine as it is, wipe the leaves
        now and then, and consider a moss pole so it can climb.
    """)
    )
    return c.to_dict("🌱 Houseplant check\u2011up 🪴", update_time=_MISSING, voice="cove")


def c_meal_plan() -> dict:
    c = Conv("meal-plan", epoch(2024, 11, 3, 17, 30, 18, 330000), "gpt-4o")
    # A plain system prompt: hidden because of its role.
    c.add(
        "system",
        text(
            "You are ChatGPT, a large language model trained by OpenAI.\n"
            "Knowledge cutoff: 2023-10\nCurrent date: 2024-11-03\nHIDDENSYSTEMWORD"
        ),
        create_time=None,
        gap=0.0,
        end_turn=True,
    )
    # Custom instructions: hidden because of the content type (no visually-hidden flag here on purpose).
    c.add(
        "user",
        {
            "content_type": "user_editable_context",
            "user_profile": (
                "The user provided the following information about themselves. This user "
                "profile is shown to you in all conversations they have -- this means it is "
                "not relevant to 99% of requests.\nUser profile:\n```Preferred name: Alex\n"
                "Role: data analyst\nOther information: vegetarian, cooks on weekends. "
                "SECRETINSTRUCTIONWORD```"
            ),
            "user_instructions": (
                "The user provided the additional info about how they would like you "
                "to respond:\n```Be concise. Use metric units. SECRETINSTRUCTIONWORD```"
            ),
        },
        gap=0.0,
        meta={
            "is_user_system_message": True,
            "user_context_message_data": {
                "about_user_message": "Preferred name: Alex\nvegetarian. SECRETINSTRUCTIONWORD",
                "about_model_message": "Be concise. Use metric units.",
            },
        },
    )
    # Memory snapshot: hidden by content type.
    c.add(
        "assistant",
        {
            "content_type": "model_editable_context",
            "model_set_context": (
                "1. [2024-10-12]. Alex is vegetarian and batch-cooks on Sundays. "
                "MEMORYSNAPSHOTWORD\n2. [2024-10-20]. Alex is learning Spanish."
            ),
            "repository": None,
            "repo_summary": None,
        },
        gap=0.0,
        model=None,
        end_turn=None,
        finish=None,
    )
    # A system message the user wrote: visible.
    c.add(
        "system",
        text("Household note from Alex: plan for two adults, one of whom dislikes mushrooms. VISIBLESYSTEMWORD"),
        gap=0.0,
        meta={"is_user_system_message": True},
    )
    # An injected user message flagged as hidden.
    c.add(
        "user",
        text("[Opened from the weekly planning shortcut] VISUALLYHIDDENWORD"),
        gap=1.0,
        meta={"is_visually_hidden_from_conversation": True},
    )
    c.user(
        "Plan 5 vegetarian dinners for this week. High protein, max 40 minutes each, and I'd like to "
        "reuse ingredients so nothing goes to waste."
    )
    c.assistant(
        d("""
        Here's a plan built around shared ingredients (chickpeas, spinach, feta, lentils, peppers):

        1. **Monday – Red lentil dal** with spinach and rice (25 min, ~24 g protein).
        2. **Tuesday – Chickpea and pepper traybake** with feta and a yoghurt-tahini sauce (35 min).
        3. **Wednesday – Tofu stir-fry** with broccoli, peppers and peanut sauce over noodles (20 min).
        4. **Thursday – Spinach and feta omelette wraps** with a bean salad (15 min).
        5. **Friday – Black bean and sweet potato chili** topped with the leftover yoghurt (40 min);
           make a double batch for the freezer.

        Protein boosters: add edamame to the stir-fry and a spoon of hemp seeds to the dal.
    """)
    )
    c.user("Can you turn that into a shopping list grouped by aisle?")
    last = c.assistant(
        d("""
        **Produce:** 400 g spinach, 4 peppers, 1 head of broccoli, 2 sweet potatoes, 2 onions, 1 garlic
        bulb, ginger, 2 limes, coriander.

        **Dairy & eggs:** 6 eggs, 200 g feta, 500 g Greek yoghurt.

        **Tofu & chilled:** 400 g firm tofu, 200 g frozen edamame.

        **Dry goods:** 250 g red lentils, 250 g basmati rice, 200 g rice noodles, 4 tortilla wraps,
        hemp seeds.

        **Tins & jars:** 2 × chickpeas, 2 × black beans, 1 × mixed beans, 2 × chopped tomatoes, tahini,
        peanut butter, soy sauce.

        **Spices (check the cupboard):** cumin, turmeric, garam masala, smoked paprika, chili flakes.
    """)
    )
    conv = c.to_dict("Weekly vegetarian meal plan")
    conv["_feedback"] = [(last, "thumbsUp", "")]
    return conv


def c_running() -> dict:
    c = Conv("running", epoch(2025, 8, 14, 6, 45, 0, 10000), "gpt-5")
    c.hidden_system()
    c.user(
        "I can run 5 km in 31 minutes. I want to run a 10 km race in 10 weeks. Can you build a plan with 3 runs a week?"
    )
    c.assistant("", end_turn=None, finish=None)  # an empty assistant message
    c.assistant(
        "The user runs 5 km in 31:00 (about 6:12/km). Build 10 weeks, 3 runs, long run up to 11 km. "
        "ANALYSISCHANNELWORD",
        channel="analysis",
        end_turn=None,
        finish=None,
    )
    c.assistant(
        "I'll lay out the plan week by week. COMMENTARYCHANNELWORD",
        channel="commentary",
        end_turn=None,
        finish=None,
    )
    c.assistant(
        "Week 1: run 3 × 20 minutes. (superseded draft) WEIGHTZEROWORD",
        weight=0.0,
        end_turn=None,
        finish=None,
    )
    c.assistant(
        d("""
        Here's a 10-week plan with three runs a week: one easy run, one quality session and one long run.

        | week | easy run | quality session | long run |
        |---|---|---|---|
        | 1 | 4 km | 6 × 1 min fast / 2 min easy | 6 km |
        | 2 | 4 km | 5 × 2 min at 5:40/km | 6.5 km |
        | 3 | 5 km | 20 min tempo at 5:55/km | 7 km |
        | 4 | 4 km (recovery week) | 6 × 1 min strides | 6 km |
        | 5 | 5 km | 4 × 4 min at 5:35/km | 8 km |
        | 6 | 5 km | 25 min tempo at 5:50/km | 9 km |
        | 7 | 6 km | 5 × 1 km at 5:35/km | 9.5 km |
        | 8 | 5 km (recovery week) | 30 min tempo | 8 km |
        | 9 | 6 km | 3 × 2 km at goal pace | 11 km |
        | 10 | 4 km | 10 min easy + 4 strides | **race: 10 km** |

        A realistic goal from your 5 km time is about 64–66 minutes for 10 km (around 6:30/km).
        Keep the easy runs truly easy, and add two short strength sessions (squats, lunges, calf raises).
    """),
        channel="final",
    )
    c.user("What pace should the easy runs be?")
    c.assistant(
        d("""
        Roughly **7:00–7:30 per km** for you, which is 45–75 seconds slower than your 5 km pace. The
        simplest check is the talk test: you should be able to speak in full sentences. If you use a
        heart-rate monitor, stay under about 75 % of your maximum. Most beginners run their easy days too
        fast and then have nothing left for the quality sessions.
    """),
        channel="final",
    )
    return c.to_dict("10k training plan")


def c_hike() -> dict:
    # current_node is null: a reader must take the newest leaf. The three edits of the second question
    # are siblings; the newest leaf sits under the *middle* one, so neither "first child" nor
    # "last child" nor "newest child at each level" finds it.
    c = Conv("hike", epoch(2025, 6, 5, 19, 10, 15, 0), "gpt-4o-mini", root_id="client-created-root")
    c.hidden_system()
    c.user("Suggest a day hike for this Saturday: about 15 km, with a lake and a place to swim.")
    a1 = c.assistant(
        d("""
        A good template for a 15 km lake hike: start at a train station, climb to a ridge for the first
        half, and descend to the lake for a swim and lunch. Look for loops with about 500 m of ascent,
        a marked swimming area and a bus stop at the lake in case you want to shorten the return.
        Tell me your region and I can be more specific.
    """)
    )
    c.user("Actually make it shorter, under 8 km, we're bringing a toddler.", parent=a1, key="u2a", gap=100.0)
    c.assistant(
        "For a toddler, pick a flat lakeside path under 8 km with shade, a playground and toilets. "
        "Start early and plan a picnic by the periwinkle meadow near the shore.",
        key="a2a",
        gap=10.0,
    )
    c.user("Actually, what about a hut-to-hut overnight instead?", parent=a1, key="u2b", gap=90.0)
    a2b = c.assistant(
        "An overnight hut trip is a great idea: reserve the hut in advance, expect dormitory "
        "beds and half board, and carry a sleeping-bag liner.",
        key="a2b",
        gap=5.0,
    )
    c.user("Actually could we do it by bike instead?", parent=a1, key="u2c", gap=95.0)
    c.assistant(
        "By bike, follow the lakeside cycle route and stop at the gooseberry farm for cake. "
        "Bring a lock and a spare tube.",
        key="a2c",
        gap=10.0,
    )
    c.user("Ok, the overnight hut it is. What should we pack?", parent=a2b, key="u3", gap=40.0)
    c.assistant(
        d("""
        Packing list for one night in a mountain hut:
        - Sleeping-bag liner (usually mandatory), earplugs, a small headlamp.
        - Layers: a warm fleece, a rain jacket, a spare T-shirt, hat and gloves even in summer.
        - Hut slippers are often provided, but light sandals are nice.
        - Snacks: nuts, chocolate and a tangerine or two; water bottle or bladder (2 L).
        - Cash: many huts don't take cards.
        - First-aid kit, blister plasters, sunscreen, and the hut's phone number.
    """),
        key="a3",
        gap=10.0,
    )
    return c.to_dict("Weekend hike near the lakes", current_node=None)


def c_gift() -> dict:
    # current_node missing entirely, and the root node has no "message" key at all.
    c = Conv("gift", epoch(2024, 12, 1, 12, 0, 5, 900000), "gpt-4o-mini", root_message_key=False)
    c.hidden_system()
    q = c.user("My sister loves tea and board games. Gift ideas under 50 euros?")
    c.assistant(
        "A tin of bergamot-scented Earl Grey with a small infuser is a safe choice.",
        parent=q,
        key="regen-old",
    )
    c.assistant(
        d("""
        A few ideas under 50 €:
        - A tea tasting set with five single-origin teas and a glass teapot.
        - A compact two-player game such as a card-based strategy game she can take to cafés.
        - A personalised mug plus a box of loose-leaf tea from a local shop.
        - A cooperative puzzle game for game nights with friends.
    """),
        parent=q,
        key="regen-new",
        gap=60.0,
    )
    c.user("She already has a teapot. Anything more unusual?")
    c.assistant(
        d("""
        Then try something experiential: a tea-blending workshop voucher, a cold-brew tea bottle for
        summer, or a board-game café gift card so you can play together. An indie game from a small
        publisher also makes a more personal present than a mass-market title.
    """)
    )
    return c.to_dict("Birthday gift ideas for my sister", current_node=_MISSING)


def c_computer() -> dict:
    # Agent-style chat with an unknown content type (computer_output); no title; archived.
    c = Conv("computer-use", epoch(2025, 2, 20, 13, 15, 51, 400000), "gpt-4o")
    c.hidden_system()
    c.user("Book a table for two at Café Aurora this Friday at 19:30.")
    c.assistant("I'll open the restaurant's booking page.", end_turn=False)
    c.add(
        "assistant",
        code('{"actions": [{"action": "open_url", "url": "https://cafe-aurora.example/booking"}]}'),
        recipient="computer.do",
        end_turn=False,
        finish=None,
    )
    c.add(
        "tool",
        {
            "content_type": "computer_output",
            "computer_id": "cmp_01",
            "screenshot": image_pointer("sediment://file_00000000c3d4e5f60718293a4b5c6d7e", 120332, 1280, 800),
            "tether_id": None,
            "state": {
                "type": "browser_state",
                "id": "tab-1",
                "url": "https://cafe-aurora.example/booking",
                "title": "Café Aurora – Reservations",
            },
            "is_ephemeral": False,
            "observation": "Booking form visible. Friday 19:30 is available for 2 guests. UNKNOWNTYPEWORD",
        },
        name="computer.do",
    )
    c.assistant(
        "Done! Your table for two at Café Aurora is booked for Friday at 19:30. The confirmation "
        "code is AUR-4821; the café asks you to call if you're more than 15 minutes late."
    )
    return c.to_dict(None, archived=True, origin="agent")


# ---------------------------------------------------------------- files, canvas, deep research
#
# The conversations below carry what issue 12 reads: uploads, generated images, a PDF and a CSV, a chart from
# the code interpreter, a canvas, deep-research reports and a second project. Their files are real (known pixels,
# extractable text: see SAMPLE.md) and are written into the ZIP by ``sample_files``.

USER_ID = "user-AlexExample00000000000"
CRAFT_PROJECT_ID = "g-p-" + uuid.uuid5(NS, "project/craft-shop").hex

PHOTO_ID = "file-8Gm2QxT4rVb7KpLw1NcYe5"
DALLE_ID = "file-Ud3XwP9sKq2LmR7vTb4Hn8"
IMAGE_GEN_ID = "file_000000009f1c6e2ab84d4f0c93e7d215"
CHART_ID = "file-3nWq8ZrT6yHb1VxKd5Lc9P"
CSV_ID = "file-Rk8vN2mQp4LxT7bWc9Ye3A"
# Starts with CSV_ID: a reader that takes "any file whose name starts with the id" gives the CSV this PDF.
PDF_ID = CSV_ID + "x"
VOICE_ID = "file_00000000a1b2c3d4e5f60718293a4b5c"  # the houseplant's first voice clip (the second has no file)

# Four solid quadrants per image (top-left, top-right, bottom-left, bottom-right), distinct per image.
PHOTO_COLOURS = ((178, 34, 34), (34, 139, 34), (30, 60, 200), (245, 245, 220))
DALLE_COLOURS = ((255, 215, 0), (0, 0, 0), (255, 255, 255), (128, 0, 128))
IMAGE_GEN_COLOURS = ((0, 128, 128), (255, 127, 80), (135, 206, 235), (85, 107, 47))
CHART_COLOURS = ((255, 255, 255), (31, 119, 180), (255, 127, 14), (44, 160, 44))

CANVAS_TEXTDOC_ID = uuid.uuid5(NS, "textdoc/candle-about").hex[:24]
CANVAS_V1 = d("""
    # About Clay & Wick

    Clay & Wick is a two-person studio in a converted garage. Every candle is hand-poured into a mug we threw
    ourselves, using beeswax from a farm twenty minutes away.

    Once the candle is gone, the mug is yours: rinse it with warm water and use it for coffee.
""")
CANVAS_V2_PATTERN = r"using beeswax from a farm twenty minutes away\."
CANVAS_V2_REPLACEMENT = "using a coconut and rapeseed wax blend that burns clean and slow."
CANVAS_COMMENT_PATTERN = "two-person studio"
CANVAS_FINAL = d("""
    # About Clay & Wick

    We are Mira and Jonas, and Clay & Wick is our two-person studio in a converted garage. Every candle is
    hand-poured into a mug we threw ourselves, in small batches of twelve, using a coconut and rapeseed wax
    blend that burns clean and slow.

    Our glazes are food-safe and lead-free. Once the candle is gone, the mug is yours: rinse it with warm water
    and use it for coffee. Our customers call this the CANVASFINALWORD promise.
""")


@functools.lru_cache(maxsize=1)
def sample_files() -> dict[str, bytes]:
    """Every file of the old-layout sample, by ZIP entry name (SAMPLE.md lists them with their pixels)."""
    return {
        "file-abc123-monstera.png": tiny_png(),
        f"{PHOTO_ID}-mug-IMG_4471.jpg": files.quadrants("JPEG", 640, 480, PHOTO_COLOURS),
        f"dalle-generations/{DALLE_ID}-{uuid.uuid5(NS, 'dalle/poster')}.webp": files.quadrants(
            "WEBP", 1024, 1024, DALLE_COLOURS
        ),
        f"{USER_ID}/{IMAGE_GEN_ID}-{uuid.uuid5(NS, 'image-gen/otter')}.png": files.quadrants(
            "PNG", 1024, 1536, IMAGE_GEN_COLOURS
        ),
        f"{CHART_ID}.png": files.quadrants("PNG", 1800, 1000, CHART_COLOURS),
        f"{CSV_ID}-reading-log.csv": READING_LOG_CSV.encode("utf-8"),
        f"{PDF_ID}-kayak-safety-briefing.pdf": files.pdf(KAYAK_PDF_PAGES, title="Harbour Kayak Club safety briefing"),
        f"{conv_id('houseplant')}/audio/{VOICE_ID}.wav": silent_wav(0.25),
    }


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV of silence (a voice clip's stand-in)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(rate * seconds))
    return buf.getvalue()


def attachment(file_id: str, name: str, data: bytes, mime: str, **extra) -> dict:
    return {"id": file_id, "name": name, "size": len(data), "mime_type": mime, **extra}


def entry(prefix: str) -> bytes:
    """The bytes of the one sample file whose entry name starts with ``prefix``."""
    (data,) = [v for k, v in sample_files().items() if k.startswith(prefix)]
    return data


def c_glaze_photo() -> dict:
    c = Conv("glaze-photo", epoch(2025, 1, 12, 15, 22, 8, 310000), "gpt-4o", gizmo_id=CRAFT_PROJECT_ID)
    c.hidden_system()
    photo = entry(PHOTO_ID)
    c.add(
        "user",
        multimodal(
            image_pointer(f"file-service://{PHOTO_ID}", len(photo), 640, 480),
            "The glaze on this mug pulled back into little islands and left bare clay in between. "
            "It's a glossy celadon over stoneware, fired to cone 6. What happened?",
        ),
        meta={"attachments": [attachment(PHOTO_ID, "mug-IMG_4471.jpg", photo, "image/jpeg", width=640, height=480)]},
    )
    c.assistant(
        d("""
        That's **crawling**: the glaze shrank away from the clay before it melted, and the edges rounded into
        beads during the firing. The usual causes:

        - **Dust or oil on the bisque.** Glaze doesn't grip a dusty or handled surface. Wipe the pot with a damp
          sponge before glazing and handle it by the foot.
        - **Glaze applied too thick.** A thick coat cracks as it dries, and every crack becomes a bare patch.
          Aim for the thickness of a credit card.
        - **High shrinkage.** Glazes with a lot of raw clay or zinc shrink more. Replace part of the raw kaolin
          with calcined kaolin.
        - **Re-wetting.** Dipping a second coat onto a dry first coat often lifts it from the surface.

        From the photo, the bare patches are widest near the rim, where glaze usually pools thickest, so I'd
        start with a thinner application and a wiped bisque.
    """)
    )
    c.user("It was a second dip, yes. Can I refire it?")
    c.assistant(
        d("""
        You can try: dab extra glaze onto the bare patches with a brush (mixed with a little gum so it sticks to
        the fired surface), warm the mug first so the glaze dries fast, and refire to the same cone. The
        islands may soften, but a refire rarely hides crawling completely; this mug may end up as a pencil pot.
    """)
    )
    return c.to_dict("Why did the glaze crawl on my mug?", gizmo_type="snorlax")


def c_chess_poster() -> dict:
    c = Conv("chess-poster", epoch(2024, 3, 19, 18, 40, 2, 120000), "gpt-4")
    c.hidden_system()
    c.user(
        "Make a poster for our Thursday chess club at the Eastfield library: beginners welcome, 6 to 8 pm, "
        "free tea. Bold, simple, one big knight."
    )
    prompt = (
        "A bold, minimalist poster for a neighbourhood chess club: one large black knight piece on a golden "
        "background, clean sans-serif headline 'Thursday Chess Club', subtitle 'Eastfield Library, 6-8 pm, "
        "beginners welcome, free tea', flat design."
    )
    c.add(
        "assistant",
        code(json.dumps({"size": "1024x1024", "prompt": prompt}, indent=2)),
        recipient="dalle.text2im",
        end_turn=False,
        finish=None,
    )
    webp = entry(f"dalle-generations/{DALLE_ID}")
    pointer = image_pointer(f"file-service://{DALLE_ID}", len(webp), 1024, 1024)
    pointer["metadata"]["dalle"] = {
        "gen_id": "Qz81vAfRkL3mP0sT",
        "prompt": prompt,
        "seed": 2846117390,
        "parent_gen_id": None,
        "edit_op": None,
        "serialization_title": "DALL-E generation metadata",
    }
    c.add("tool", multimodal(pointer), name="dalle.text2im", meta={"is_complete": True})
    c.add(
        "tool",
        text(
            "DALL·E displayed 1 images. The images are already plainly visible, so don't repeat the descriptions "
            "in detail. Do not list download links as they are available in the ChatGPT UI already."
        ),
        name="dalle.text2im",
    )
    c.assistant(
        "Here's your poster: a single oversized knight on gold, with the club name, the time and the library "
        "in a clean headline. If you'd like the tea mentioned more prominently, I can move it into the title."
    )
    return c.to_dict("Chess club poster")


def c_otter_card() -> dict:
    c = Conv("otter-card", epoch(2025, 6, 2, 8, 5, 44, 880000), "gpt-4o")
    c.hidden_system()
    c.user("Draw a birthday card for my nephew Teo: an otter floating on its back, holding a red balloon.")
    c.add(
        "assistant",
        code(
            json.dumps(
                {
                    "prompt": "A cheerful watercolour birthday card: a sea otter floating on its back in calm teal "
                    "water, holding a red balloon, the words 'Happy Birthday Teo' in playful letters",
                    "size": "1024x1536",
                    "n": 1,
                }
            ),
            "json",
        ),
        recipient="t2uay3k.sj1i4kz",
        end_turn=False,
        finish=None,
    )
    png = entry(f"{USER_ID}/{IMAGE_GEN_ID}")
    pointer = image_pointer(f"sediment://{IMAGE_GEN_ID}", len(png), 1024, 1536)
    pointer["metadata"]["generation"] = {
        "gen_id": "8f3d2c1b-a6e5-4f70-9b18-2c4d6e8fa0b1",
        "gen_size": "image",
        "seed": None,
        "parent_gen_id": None,
        "height": 1536,
        "width": 1024,
        "transparent_background": False,
        "serialization_title": "Image Generation Output",
    }
    c.add(
        "tool",
        multimodal(pointer),
        name="t2uay3k.sj1i4kz",
        meta={
            "image_gen_title": "Otter birthday card",
            "image_gen_async": True,
            "async_task_type": "image_gen",
            "async_task_id": "task_" + uuid.uuid5(NS, "image-gen/otter/task").hex[:24],
            "trigger_async_ux": True,
        },
    )
    c.assistant("Happy birthday to Teo! Want a version with his age on the balloon?")
    return c.to_dict("Otter birthday card for Teo")


READING_LOG_CSV = (
    d("""
    date,title,author,pages,club_pick
    2024-01-14,The Salt Road,Ines Marlowe,312,yes
    2024-01-29,Paper Lanterns,K. Osei,198,no
    2024-02-18,The Clockmaker's Daughter-in-Law,Ruth Ambler,421,yes
    2024-03-10,North of Nowhere,Per Lindqvist,276,no
    2024-03-31,A Field Guide to Small Hours,Dana Whitfield,233,yes
    2024-04-21,CSVATTACHMENTWORD Almanac,Theo Grant,154,no
    2024-05-12,Tidewater,Amara Chukwu,389,yes
    2024-06-02,The Lighthouse Accounts,M. Ferreira,301,no
""")
    + "\n"
)


def c_reading_chart() -> dict:
    c = Conv("reading-chart", epoch(2024, 6, 9, 20, 12, 37, 450000), "gpt-4o")
    c.hidden_system()
    csv_bytes = READING_LOG_CSV.encode("utf-8")
    c.add(
        "user",
        text("Here's my reading log for the book club. Can you chart the pages I read each month?"),
        meta={"attachments": [attachment(CSV_ID, "reading-log.csv", csv_bytes, "text/csv")]},
    )
    c.add(
        "assistant",
        code(
            d("""
            import pandas as pd
            import matplotlib.pyplot as plt

            log = pd.read_csv("/mnt/data/reading-log.csv", parse_dates=["date"])
            monthly = log.groupby(log["date"].dt.to_period("M"))["pages"].sum()
            ax = monthly.plot(kind="bar", figsize=(12, 6.67), color="#1f77b4")
            ax.set_title("Pages read per month")
            ax.set_xlabel("")
            plt.tight_layout()
            plt.savefig("/mnt/data/pages_per_month.png", dpi=150)
            monthly
        """)
        ),
        recipient="python",
        end_turn=False,
        finish=None,
    )
    c.add(
        "tool",
        execution_output(
            "date\n2024-01    510\n2024-02    421\n2024-03    509\n2024-04    154\n2024-05    389\n"
            "2024-06    301\nFreq: M, Name: pages, dtype: int64"
        ),
        name="python",
        meta={
            "aggregate_result": {
                "status": "success",
                "run_id": uuid.uuid5(NS, "run/reading-chart").hex,
                "start_time": c.t + 1.2,
                "end_time": c.t + 3.4,
                "code": "…",
                "messages": [
                    {
                        "message_type": "image",
                        "time": c.t + 3.3,
                        "sender": "server",
                        "image_payload": None,
                        "image_url": f"file-service://{CHART_ID}",
                        "width": 1800,
                        "height": 1000,
                    }
                ],
                "jupyter_messages": [],
                "final_expression_output": None,
            },
            "is_complete": True,
        },
    )
    c.assistant(
        "Here's the chart of pages per month. January and March were your biggest months (about 510 pages "
        "each); April was the quietest with a single short book. The club picks account for most of the pages."
    )
    c.user("Nice. Which book was the longest?")
    c.assistant("The longest was *The Clockmaker's Daughter-in-Law* by Ruth Ambler, at 421 pages, in February.")
    return c.to_dict("Reading log chart by month")


KAYAK_PDF_PAGES = [
    [
        "Harbour Kayak Club - Safety briefing for new paddlers",
        "Revised March 2025",
        "",
        "1. Before you launch",
        "Check the tide table and the wind forecast at the clubhouse board.",
        "Wear a buoyancy aid at all times on the water, zipped and fastened.",
        "Tell the duty officer your route and expected return time.",
        "",
        "2. On the water",
        "Paddle in groups of three or more and keep the group within shouting distance.",
        "Stay inside the breakwater unless a coach is with you.",
        "Give way to sailing dinghies and never cross the ferry channel.",
    ],
    [
        "3. Capsize drill",
        "Every new member practises a wet exit and an assisted rescue in the pool",
        "before their first harbour session. The coach signs the PDFATTACHMENTWORD card",
        "when both are done.",
        "",
        "4. Emergencies",
        "Raise one paddle upright and whistle three short blasts.",
        "The safety boat is moored at pontoon C; its skipper carries the first-aid kit.",
    ],
]


def c_kayak_pdf() -> dict:
    c = Conv("kayak-pdf", epoch(2025, 4, 6, 9, 31, 15, 20000), "gpt-4o")
    c.hidden_system()
    pdf_bytes = entry(PDF_ID)
    c.add(
        "user",
        text("I'm joining a kayak club next week. Can you turn the attached safety briefing into a checklist?"),
        meta={
            "attachments": [
                attachment(PDF_ID, "kayak-safety-briefing.pdf", pdf_bytes, "application/pdf", file_token_size=412)
            ]
        },
    )
    c.add(
        "tool",
        {
            "content_type": "tether_quote",
            "url": PDF_ID,
            "domain": "kayak-safety-briefing.pdf",
            "title": "kayak-safety-briefing.pdf",
            "text": "Harbour Kayak Club - Safety briefing for new paddlers\nRevised March 2025",
            "tether_id": None,
        },
        name="myfiles_browser",
        meta={"is_visually_hidden_from_conversation": True, "command": "context_stuff"},
    )
    c.assistant(
        d("""
        Here's the briefing as a checklist:

        **Before launching**
        - [ ] Tide table and wind forecast checked
        - [ ] Buoyancy aid on, zipped and fastened
        - [ ] Route and return time given to the duty officer

        **On the water**
        - [ ] Group of three or more, within shouting distance
        - [ ] Inside the breakwater unless a coach is along
        - [ ] Give way to dinghies; stay out of the ferry channel

        **Before the first harbour session**
        - [ ] Wet exit and assisted rescue practised in the pool, card signed by the coach

        **Emergency signal:** one paddle held upright and three short whistle blasts; the safety boat is at
        pontoon C.
    """)
    )
    return c.to_dict("Kayak club safety checklist")


def _canvas_reply(c: Conv, command: str, text_: str, version: int, **canvas_extra) -> None:
    canvas = {
        "textdoc_id": CANVAS_TEXTDOC_ID,
        "textdoc_type": "document",
        "version": version,
        "title": "candle_shop_about",
        "create_source": "model",
        **canvas_extra,
    }
    c.add("tool", text(text_), name=f"canmore.{command}", meta={"canvas": canvas, "command": command})


def c_candle_canvas() -> dict:
    c = Conv("candle-canvas", epoch(2025, 2, 23, 10, 2, 51, 670000), "gpt-4o", gizmo_id=CRAFT_PROJECT_ID)
    c.hidden_system()
    c.user("Write the About page for our shop: candles poured into mugs we make ourselves. Put it in a canvas.")
    create = {"name": "candle_shop_about", "type": "document", "content": CANVAS_V1}
    c.add(
        "assistant", code(json.dumps(create), "json"), recipient="canmore.create_textdoc", end_turn=False, finish=None
    )
    _canvas_reply(
        c,
        "create_textdoc",
        "Successfully created text document 'candle_shop_about' which will be referenced in all future messages "
        f"with the unique identifier textdoc_id: '{CANVAS_TEXTDOC_ID}'",
        1,
    )
    c.assistant("I've drafted the About page in the canvas. Tell me what to change.")
    c.user("We switched to a coconut and rapeseed blend last year, it's not beeswax any more.")
    update = {"updates": [{"pattern": CANVAS_V2_PATTERN, "multiple": False, "replacement": CANVAS_V2_REPLACEMENT}]}
    c.add(
        "assistant", code(json.dumps(update), "json"), recipient="canmore.update_textdoc", end_turn=False, finish=None
    )
    _canvas_reply(c, "update_textdoc", f"Successfully updated text document with textdoc_id '{CANVAS_TEXTDOC_ID}'", 2)
    comment = {"comments": [{"pattern": CANVAS_COMMENT_PATTERN, "comment": "Say who the two people are."}]}
    c.add(
        "assistant", code(json.dumps(comment), "json"), recipient="canmore.comment_textdoc", end_turn=False, finish=None
    )
    _canvas_reply(
        c,
        "comment_textdoc",
        f"Successfully added comments to text document with textdoc_id '{CANVAS_TEXTDOC_ID}'",
        2,
        comment_ids=[uuid.uuid5(NS, "textdoc/candle-about/comment/1").hex[:24]],
    )
    c.assistant("Updated the wax. I also left a comment: readers like to know who is behind a small shop.")
    c.user("Good point. We're Mira and Jonas. Add that, mention the small batches of twelve and the food-safe glazes.")
    rewrite = {"updates": [{"pattern": ".*", "multiple": False, "replacement": CANVAS_FINAL}]}
    c.add(
        "assistant", code(json.dumps(rewrite), "json"), recipient="canmore.update_textdoc", end_turn=False, finish=None
    )
    _canvas_reply(c, "update_textdoc", f"Successfully updated text document with textdoc_id '{CANVAS_TEXTDOC_ID}'", 3)
    c.assistant("Done: the page now introduces you both, mentions the batches of twelve and the glazes.")
    return c.to_dict("About page for Clay & Wick", gizmo_type="snorlax")


DEEP_RESEARCH_REPORT = d("""
    # Four-day work weeks: what the trials found

    Across the large pilots run since 2019, most companies that tried a 32-hour week at full pay kept it. In the
    2022 UK pilot, 56 of 61 companies continued after six months, and revenue over the trial period was broadly
    flat. \ue200cite\ue202turn0view0\ue201

    **Wellbeing.** Employees reported less burnout and better sleep; the share of staff who reported burnout fell
    by about a third. \ue200cite\ue202turn0view2\ue201

    **Productivity.** Results depend on redesigning work, not just cutting a day: fewer and shorter meetings,
    protected focus time and clearer priorities. Companies that only compressed five days into four saw fatigue.

    **Where it struggles.** Shift-based services and customer support need staggered schedules so that cover
    does not drop. The DEEPRESEARCHWORD effect (teams inventing their own rules) faded when managers set shared
    response times.

    **Bottom line.** For office teams with measurable output, a well-prepared trial of six months is low-risk;
    measure output, sick days and attrition before and after.
""")
DR_REFS = [
    ("\ue200cite\ue202turn0view0\ue201", "Four-day week pilot results", "https://research.example.org/4dw-pilot"),
    ("\ue200cite\ue202turn0view2\ue201", "Burnout and reduced hours", "https://journal.example.net/burnout-hours"),
]


def _references(answer: str, refs) -> list[dict]:
    out = []
    for marker, title, url in refs:
        start = answer.index(marker)
        out.append(
            {
                "matched_text": marker,
                "start_idx": start,
                "end_idx": start + len(marker),
                "refs": [],
                "alt": f"([{title}]({url}))",
                "prompt_text": None,
                "type": "grouped_webpages",
                "items": [{"title": title, "url": url, "pub_date": None, "snippet": "", "attribution": url}],
                "status": "done",
                "error": None,
                "style": None,
            }
        )
    return out


def c_deep_research_2025() -> dict:
    c = Conv("deep-research-4dw", epoch(2025, 5, 8, 13, 44, 20, 150000), "o3")
    c.hidden_system()
    c.user("Do a deep research on four-day work weeks: do they keep productivity up? I run a team of 14.")
    c.assistant(
        "Happy to. To focus the research: is your team office-based or shift-based, and are you thinking of "
        "32 hours at full pay or compressed hours (four 10-hour days)?",
    )
    c.user("Office-based software team, 32 hours at full pay.")
    task_id = "deepresch_" + uuid.uuid5(NS, "deep-research/4dw").hex
    kickoff = {
        "task_violates_safety_guidelines": False,
        "user_def_doesnt_want_research": False,
        "response": "I'll look at the published trials, what happened to output and wellbeing, and where it failed.",
        "title": "Four-day work week evidence",
    }
    c.add(
        "assistant",
        code(json.dumps(kickoff), "json"),
        recipient="research_kickoff_tool.start_research_task",
        end_turn=False,
        finish=None,
    )
    c.add(
        "tool",
        text(""),
        name="research_kickoff_tool.start_research_task",
        meta={
            "async_task_id": task_id,
            "async_task_type": "research",
            "async_task_title": "Four-day work week evidence",
            "async_task_prompt": "Four-day work weeks at full pay for an office-based software team of 14",
            "async_task_status_messages": {"initial": "Four-day work week evidence", "completed": "Research completed"},
            "is_visually_hidden_from_conversation": True,
        },
    )
    c.assistant(
        "Great, I'll dig into the four-day work week trials and let you know when the report is ready.",
        meta={"async_task_id": task_id},
    )
    c.add(
        "assistant",
        text(DEEP_RESEARCH_REPORT),
        gap=742.5,
        meta={
            "is_async_task_result_message": True,
            "async_task_id": task_id,
            "async_task_title": "Four-day work week evidence",
            "async_completion_id": "deepresch_completion_" + uuid.uuid5(NS, "deep-research/4dw/done").hex[:16],
            "deep_research_version": "full",
            "content_references": _references(DEEP_RESEARCH_REPORT, DR_REFS),
        },
    )
    return c.to_dict("Four-day work week research")


WIDGET_REPORT = d("""
    # Sizing a rainwater tank for a small house

    For a 90 m² roof in a climate with about 700 mm of rain a year, the roof collects roughly 50,000 litres a
    year after losses (runoff coefficient 0.8). \ue200cite\ue202turn1view0\ue201 Garden watering and toilet
    flushing for two people use about 40,000 litres, so a 3,000-5,000 litre tank covers most of the dry spells.

    Fit a first-flush diverter and a leaf screen; an overflow to a soakaway is usually a planning condition.
    The WIDGETREPORTWORD rule of thumb: one litre of tank per square metre of roof per week of dry weather.
""")
WIDGET_REFS = [("\ue200cite\ue202turn1view0\ue201", "Rainwater harvesting yield", "https://water.example.org/yield")]


def c_deep_research_2026() -> dict:
    c = Conv("deep-research-rainwater", epoch(2026, 2, 14, 11, 5, 9, 500000), "gpt-5-thinking")
    c.hidden_system()
    c.user("Deep research: what size rainwater tank do I need for a 90 m² roof? Two people, a vegetable patch.")
    report = {
        "content": {"content_type": "text", "parts": [WIDGET_REPORT]},
        "metadata": {"content_references": _references(WIDGET_REPORT, WIDGET_REFS)},
    }
    state = {"status": "completed", "plan": {"title": "Rainwater tank sizing"}, "report_message": report}
    c.add(
        "assistant",
        text(""),
        gap=905.25,
        meta={
            "chatgpt_sdk": {
                "pineapple_uri": "connectors://connector_openai_deep_research",
                "widget_session_id": uuid.uuid5(NS, "deep-research/rainwater/widget").hex,
                "widget_state": json.dumps(state),
            },
            "venus_widget_state": {"status": "completed"},
            "async_task_id": "deepresch_" + uuid.uuid5(NS, "deep-research/rainwater").hex,
        },
    )
    return c.to_dict("Rainwater tank size")


CONVERSATIONS = [
    c_sourdough,
    c_lisbon,
    c_k8s,
    c_rust,
    c_cover_letter,
    c_spanish,
    c_parse_config,
    c_sql,
    c_chinese,
    c_japanese_korean,
    c_houseplant,
    c_meal_plan,
    c_running,
    c_hike,
    c_gift,
    c_computer,
    c_glaze_photo,
    c_chess_poster,
    c_otter_card,
    c_reading_chart,
    c_kayak_pdf,
    c_candle_canvas,
    c_deep_research_2025,
    c_deep_research_2026,
]


# ================================================================ other export files


def tiny_png() -> bytes:
    """A valid 1×1 green PNG (stands in for an uploaded image file in the export)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\x3a\x9a\x3a"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


CHAT_HTML = """<!DOCTYPE html>
<html>
<head><meta charset="UTF-8"><title>ChatGPT Data Export</title></head>
<body>
<div id="root"></div>
<script>
// The real file embeds every conversation here; this sample keeps a stub.
var jsonData = [];
</script>
</body>
</html>
"""


def _dump(obj, ascii_only: bool = False) -> bytes:
    return json.dumps(obj, ensure_ascii=ascii_only).encode("utf-8")


def build_entries() -> dict[str, bytes]:
    """Return {zip entry name: bytes} for the whole export."""
    convs = [make() for make in CONVERSATIONS]
    feedback = []
    for conv in convs:
        for message_id, rating, note in conv.pop("_feedback", []):
            cid = conv.get("id") or conv.get("conversation_id")
            t = conv["mapping"][message_id]["message"]["create_time"] + 30.0
            feedback.append(
                {
                    "id": str(uuid.uuid5(NS, "feedback/" + message_id)),
                    "conversation_id": cid,
                    "user_id": "user-AlexExample00000000000",
                    "rating": rating,
                    "create_time": iso(t),
                    "workspace_id": None,
                    "content": json.dumps({"text": note, "tags": []} if note else {}),
                    "storage_protocol": "zstd::1.5.5",
                }
            )

    half = (len(convs) + 1) // 2
    parts = [convs[:half], convs[half:]]
    entries: dict[str, bytes] = {}
    for i, part in enumerate(parts):
        entries[f"conversations-{i:03d}.json"] = _dump(part)
    # An index beside the split files. It is NOT a conversations array: readers must only take
    # conversations-NNN.json (digits) and must not trip over this file.
    entries["conversations-index.json"] = _dump(
        {
            "version": 1,
            "total": len(convs),
            "files": [{"name": f"conversations-{i:03d}.json", "count": len(p)} for i, p in enumerate(parts)],
        }
    )
    entries["user.json"] = _dump(
        {
            "id": "user-AlexExample00000000000",
            "email": "alex.example@example.com",
            "chatgpt_plus_user": True,
            "phone_number": "+15555550100",
        }
    )
    entries["message_feedback.json"] = _dump(feedback)
    entries["model_comparisons.json"] = _dump([])
    sourdough = next(c for c in convs if c.get("id") == conv_id("sourdough"))
    entries["shared_conversations.json"] = _dump(
        [
            {
                "id": str(uuid.uuid5(NS, "share/sourdough")),
                "conversation_id": sourdough["id"],
                "title": sourdough["title"],
                "is_anonymous": True,
            }
        ]
    )
    entries["group_chats.json"] = _dump([])
    entries["chat.html"] = CHAT_HTML.encode("utf-8")
    entries.update(sample_files())
    return entries


# ================================================================ the 2026 layout
#
# ``sample-export-2026.zip``: the same kinds in the layout of 2026 exports. Conversations in
# ``conversations-000.json``/``-001.json``; every file flat as ``<file id>.dat`` with no type of its own, named by
# ``conversation_asset_file_names.json`` (old-layout path or original name, sometimes without an extension);
# ``library_files.json`` ties files to messages; ``export_manifest.json`` lists the entries.

SCREENSHOT_ID = "file_00000000e4b7a9d2c6f1408b95a3d7e1"
MISSING_ID = "file_00000000f0e1d2c3b4a5968778695a4b"  # referenced, no .dat: missing files are normal
SCHEDULE_ID = "file-Vw5Yh2Jq8Nc3Tz6Lr9Bd1M"
GENERATED_2026_ID = "file_0000000071c3e5a9b2d4460f8e1a3c5d"
VOICE_2026_ID = "file_00000000aa11bb22cc33dd44ee55ff66"
SCREENSHOT_COLOURS = ((236, 236, 236), (52, 101, 164), (204, 0, 0), (46, 52, 54))
GENERATED_2026_COLOURS = ((255, 192, 203), (72, 61, 139), (240, 230, 140), (0, 100, 0))
CODE_CANVAS_ID = uuid.uuid5(NS, "2026/textdoc/invoice-script").hex[:24]
CODE_CANVAS_V1 = d("""
    import csv

    def total(path):
        with open(path, newline="") as fh:
            return sum(float(row["amount"]) for row in csv.DictReader(fh))
""")
CODE_CANVAS_FINAL = d("""
    import csv
    from decimal import Decimal


    def total(path: str) -> Decimal:
        \"\"\"Sum the amount column exactly (CODECANVASWORD: money is never a float).\"\"\"
        with open(path, newline="", encoding="utf-8") as fh:
            return sum((Decimal(row["amount"]) for row in csv.DictReader(fh)), Decimal("0"))
""")
SCHEDULE_PDF_PAGES = [
    [
        "Riverside Community Orchestra - Spring term rehearsals",
        "Tuesdays 19:30-21:30, St Anne's hall",
        "",
        "13 Jan  Sectionals: strings in the hall, winds in room 2",
        "20 Jan  Full rehearsal: Dvorak 8, first and second movements",
        "27 Jan  Full rehearsal: ORCHESTRAPDFWORD overture, bring a pencil",
        "3 Feb   No rehearsal (hall booked)",
        "10 Feb  Dress rehearsal; concert on Saturday 14 Feb at 19:00",
    ]
]


def conv_id_2026(slug: str) -> str:
    return conv_id("2026/" + slug)


@functools.lru_cache(maxsize=1)
def files_2026() -> dict[str, tuple[bytes, str]]:
    """Every file of the 2026 sample: ``{file id: (bytes, the name conversation_asset_file_names.json gives)}``."""
    return {
        SCREENSHOT_ID: (
            files.quadrants("PNG", 2560, 1440, SCREENSHOT_COLOURS),
            "Screenshot 2026-01-20 at 09.14.22.png",
        ),
        SCHEDULE_ID: (files.pdf(SCHEDULE_PDF_PAGES, title="Spring term rehearsals"), "rehearsal-schedule"),
        GENERATED_2026_ID: (
            files.quadrants("WEBP", 1024, 1024, GENERATED_2026_COLOURS),
            f"dalle-generations/{uuid.uuid5(NS, '2026/generated/fox')}.webp",
        ),
        VOICE_2026_ID: (silent_wav(0.5), f"{conv_id_2026('insurance')}/audio/{VOICE_2026_ID}.wav"),
    }


def c26_screenshot() -> dict:
    c = Conv("2026/screenshot", epoch(2026, 1, 20, 9, 15, 3, 250000), "gpt-5")
    c.hidden_system()
    png = files_2026()[SCREENSHOT_ID][0]
    name = files_2026()[SCREENSHOT_ID][1]
    c.add(
        "user",
        multimodal(
            image_pointer(f"sediment://{SCREENSHOT_ID}", len(png), 2560, 1440),
            image_pointer(f"sediment://{MISSING_ID}", 48211, 800, 600),
            "My spreadsheet shows this error when I open the budget file. The second picture is the old version.",
        ),
        meta={
            "attachments": [
                attachment(SCREENSHOT_ID, name, png, "image/png", width=2560, height=1440),
                {"id": MISSING_ID, "name": "budget-old.png", "size": 48211, "mime_type": "image/png"},
            ]
        },
    )
    c.assistant(
        "The dialog says the file was saved by a newer version with features your copy can't open. Open it in "
        "the web version, save a copy in the older format, or update the desktop app."
    )
    return c.to_dict("Spreadsheet error on opening")


def c26_schedule() -> dict:
    c = Conv("2026/schedule", epoch(2026, 1, 8, 21, 2, 40, 110000), "gpt-5")
    c.hidden_system()
    pdf_bytes = files_2026()[SCHEDULE_ID][0]
    c.add(
        "user",
        text("Which Tuesdays are full rehearsals? Schedule attached."),
        meta={"attachments": [attachment(SCHEDULE_ID, "rehearsal-schedule.pdf", pdf_bytes, "application/pdf")]},
    )
    c.assistant("Full rehearsals are on 20 and 27 January; 10 February is the dress rehearsal.")
    return c.to_dict("Orchestra rehearsal dates")


def c26_generated() -> dict:
    c = Conv("2026/generated", epoch(2026, 2, 2, 17, 45, 0, 900000), "gpt-5")
    c.hidden_system()
    c.user("Make a sticker of a sleepy fox curled up in a teacup.")
    c.add(
        "assistant",
        code(json.dumps({"prompt": "A sleepy fox curled up in a teacup, sticker style", "size": "1024x1024"}), "json"),
        recipient="t2uay3k.sj1i4kz",
        end_turn=False,
        finish=None,
    )
    webp = files_2026()[GENERATED_2026_ID][0]
    pointer = image_pointer(f"sediment://{GENERATED_2026_ID}", len(webp), 1024, 1024)
    pointer["metadata"]["generation"] = {
        "gen_id": "2f6a1c3e-9b8d-4e7f-a0c1-d2e3f4a5b6c7",
        "gen_size": "image",
        "height": 1024,
        "width": 1024,
        "transparent_background": True,
    }
    c.add("tool", multimodal(pointer), name="t2uay3k.sj1i4kz", meta={"image_gen_title": "Sleepy fox sticker"})
    c.assistant("Here's your sleepy fox sticker.")
    return c.to_dict("Sleepy fox sticker")


def c26_code_canvas() -> dict:
    c = Conv("2026/code-canvas", epoch(2026, 1, 27, 14, 30, 12, 300000), "gpt-5")
    c.hidden_system()
    c.user("Write a small Python function that totals the amount column of a CSV, in a canvas.")
    create = {"name": "invoice_total", "type": "code/python", "content": CODE_CANVAS_V1}
    c.add(
        "assistant", code(json.dumps(create), "json"), recipient="canmore.create_textdoc", end_turn=False, finish=None
    )
    canvas = {"textdoc_id": CODE_CANVAS_ID, "textdoc_type": "code/python", "version": 1, "title": "invoice_total"}
    c.add(
        "tool",
        text(
            "Successfully created text document 'invoice_total' which will be referenced in all future messages "
            f"with the unique identifier textdoc_id: '{CODE_CANVAS_ID}'"
        ),
        name="canmore.create_textdoc",
        meta={"canvas": canvas, "command": "create_textdoc"},
    )
    c.user("Floats make the cents wrong. Use Decimal, and add type hints.")
    rewrite = {"updates": [{"pattern": ".*", "multiple": False, "replacement": CODE_CANVAS_FINAL}]}
    c.add(
        "assistant", code(json.dumps(rewrite), "json"), recipient="canmore.update_textdoc", end_turn=False, finish=None
    )
    c.add(
        "tool",
        text(f"Successfully updated text document with textdoc_id '{CODE_CANVAS_ID}'"),
        name="canmore.update_textdoc",
        meta={"canvas": {**canvas, "version": 2}, "command": "update_textdoc"},
    )
    c.assistant("Rewritten with Decimal and type hints; the total is exact now.")
    return c.to_dict("CSV total in Python")


def c26_insurance() -> dict:
    c = Conv("2026/insurance", epoch(2026, 3, 3, 7, 55, 31, 640000), "gpt-5", gizmo_id=PROJECT_ID)
    c.hidden_system()
    c.add(
        "user",
        multimodal(
            audio_transcription("How does the basic health insurance deductible work in Switzerland?", "in"),
            audio_pointer(f"sediment://{VOICE_2026_ID}", len(files_2026()[VOICE_2026_ID][0]), 0.5),
        ),
        meta={"voice_mode_message": True},
    )
    c.assistant(
        "You pay your medical costs yourself up to the deductible you chose (the franchise, from 300 to 2,500 "
        "francs a year), then 10 % of the rest up to 700 francs. A higher franchise lowers the monthly premium."
    )
    return c.to_dict("Swiss health insurance deductible", gizmo_type="snorlax", voice="cove")


CONVERSATIONS_2026 = [c26_screenshot, c26_schedule, c26_generated, c26_code_canvas, c26_insurance]


def build_entries_2026() -> dict[str, bytes]:
    convs = [make() for make in CONVERSATIONS_2026]
    entries: dict[str, bytes] = {
        "conversations-000.json": _dump(convs[:3]),
        "conversations-001.json": _dump(convs[3:]),
        "user.json": _dump({"id": USER_ID, "email": "alex.example@example.com", "chatgpt_plus_user": True}),
        "message_feedback.json": _dump([]),
        "shared_conversations.json": _dump([]),
        "group_chats.json": _dump({"chats": []}),
        "chat.html": CHAT_HTML.encode("utf-8"),
    }
    names = {}
    for file_id, (data, name) in files_2026().items():
        entries[f"{file_id}.dat"] = data
        names[f"{file_id}.dat"] = name
    entries["conversation_asset_file_names.json"] = _dump(names)
    generated = next(c for c in convs if c["id"] == conv_id_2026("generated"))
    schedule = next(c for c in convs if c["id"] == conv_id_2026("schedule"))

    def library(file_id: str, conv: dict, category: str, artifact: str | None, gen: str | None, mime: str) -> dict:
        node = next(k for k, v in conv["mapping"].items() if v.get("message") and file_id in json.dumps(v["message"]))
        return {
            "id": {"id": "libfile_" + uuid.uuid5(NS, "2026/library/" + file_id).hex},
            "file_id": file_id,
            "file_name": files_2026()[file_id][1].rsplit("/", 1)[-1],
            "mime_type": mime,
            "library_file_category": category,
            "library_artifact_type": artifact,
            "origination_message_id": node,
            "origination_thread_id": conv["id"],
            "image_gen_generation_id": gen,
            "created_at": iso(conv["create_time"] + 60.0),
        }

    entries["library_files.json"] = _dump(
        [
            library(GENERATED_2026_ID, generated, "image", None, "2f6a1c3e-9b8d-4e7f-a0c1-d2e3f4a5b6c7", "image/webp"),
            library(SCHEDULE_ID, schedule, "document", None, None, "application/pdf"),
        ]
    )
    entries["export_manifest.json"] = _dump(
        {"version": 1, "export_files": [{"path": k, "size_bytes": len(v)} for k, v in sorted(entries.items())]}
    )
    return entries


def write_zip(path: str, entries: dict[str, bytes]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, entries[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(buf.getvalue())
    os.replace(tmp, path)


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    out = argv[1] if len(argv) > 1 else os.path.join(here, "sample-export.zip")
    out_2026 = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(out), "sample-export-2026.zip")
    for path, entries in ((out, build_entries()), (out_2026, build_entries_2026())):
        write_zip(path, entries)
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
