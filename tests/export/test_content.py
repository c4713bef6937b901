"""render_content / strip_citations: every content type reads as a person would read it, and odd shapes never raise."""

from __future__ import annotations

from typing import Any

import pytest

from chatgpt_history_mcp.export.content import render_content, strip_citations

_PRIVATE_USE = {chr(c) for c in range(0xE200, 0xE207)}


def text_of(content: Any, metadata: Any = None) -> str:
    return render_content(content, metadata)[1]


# -- known types, ordinary shapes --------------------------------------------------------------------------


def test_text_parts_are_joined() -> None:
    assert render_content({"content_type": "text", "parts": ["Hello", "world"]}) == ("text", "Hello\nworld")


def test_missing_content_type_reads_as_text() -> None:
    assert render_content({"parts": ["plain"]}) == ("text", "plain")


def test_plain_string_content_is_kept() -> None:
    assert render_content("just a string") == ("unknown", "just a string")


def test_code_block_with_language() -> None:
    content = {"content_type": "code", "language": "rust", "text": "fn main() {}"}
    assert render_content(content) == ("code", "```rust\nfn main() {}\n```")


@pytest.mark.parametrize("language", ["unknown", None, ""])
def test_code_block_without_a_known_language(language: Any) -> None:
    content = {"content_type": "code", "language": language, "text": "SELECT 1;"}
    assert text_of(content) == "```\nSELECT 1;\n```"


def test_execution_output_is_fenced() -> None:
    assert text_of({"content_type": "execution_output", "text": "3 10.0\n"}) == "```\n3 10.0\n\n```"


def test_tether_quote_names_its_source() -> None:
    content = {
        "content_type": "tether_quote",
        "url": "https://en.wikipedia.org/wiki/Lisbon",
        "domain": "en.wikipedia.org",
        "title": "Lisbon - Wikipedia",
        "text": "Lisbon is the capital.\nIt lies on the Tagus.",
    }
    text = text_of(content)
    assert "> Lisbon is the capital." in text
    assert "> It lies on the Tagus." in text
    assert "Lisbon - Wikipedia" in text
    assert "https://en.wikipedia.org/wiki/Lisbon" in text


def test_multimodal_image_audio_and_text() -> None:
    content = {
        "content_type": "multimodal_text",
        "parts": [
            {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-abc123", "width": 1536,
             "height": 2048, "size_bytes": 284113},
            "Is this leaf healthy?",
            {"content_type": "audio_transcription", "text": "water it weekly", "direction": "in"},
            {"content_type": "audio_asset_pointer", "asset_pointer": "sediment://file_0001", "format": "wav"},
            {"content_type": "real_time_user_audio_video_asset_pointer", "frames_asset_pointers": []},
        ],
    }  # fmt: skip
    kind, text = render_content(content)
    assert kind == "multimodal_text"
    lines = text.splitlines()
    assert lines[0].startswith("[image: file-abc123")
    assert "1536×2048" in lines[0]
    assert "Is this leaf healthy?" in lines
    assert "water it weekly" in lines
    assert "sediment://" not in text
    assert "file-service://" not in text


def test_image_without_pointer_still_shows_a_placeholder() -> None:
    text = text_of({"content_type": "multimodal_text", "parts": [{"content_type": "image_asset_pointer"}]})
    assert text.startswith("[image")


def test_thoughts_keep_summary_and_content() -> None:
    content = {
        "content_type": "thoughts",
        "thoughts": [
            {
                "summary": "Analyzing the borrow",
                "content": "iter_mut borrows self.items",
                "chunks": [],
                "finished": True,
            },
            {"summary": "Choosing fixes", "content": "", "finished": True},
        ],
    }
    text = text_of(content)
    assert "Analyzing the borrow" in text
    assert "iter_mut borrows self.items" in text
    assert "Choosing fixes" in text


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ({"content_type": "reasoning_recap", "content": "Thought for 2m 33s"}, ["Thought for 2m 33s"]),
        (
            {"content_type": "user_editable_context", "user_profile": "I am Alex.", "user_instructions": "Be brief."},
            ["I am Alex.", "Be brief."],
        ),
        ({"content_type": "model_editable_context", "model_set_context": "1. Likes tea."}, ["1. Likes tea."]),
        ({"content_type": "tether_browsing_display", "result": "RESULT", "summary": "SUMMARY"}, ["RESULT", "SUMMARY"]),
        ({"content_type": "sonic_webpage", "url": "https://x.example", "title": "T", "snippet": "SNIP"}, ["SNIP"]),
        ({"content_type": "system_error", "name": "tool_error", "text": "timed out"}, ["timed out"]),
    ],
)
def test_hidden_types_still_render_their_text(content: dict[str, Any], needles: list[str]) -> None:
    # Hidden from the transcript, but the text must be recoverable (branch/hidden views, low-weight indexing).
    text = text_of(content)
    for needle in needles:
        assert needle in text


def test_unknown_type_keeps_nested_strings() -> None:
    content = {
        "content_type": "computer_output",
        "computer_id": "cmp_01",
        "state": {"type": "browser_state", "url": "https://cafe.example/booking", "title": "Reservations"},
        "observation": "Friday 19:30 is available. UNKNOWNTYPEWORD",
    }
    kind, text = render_content(content)
    assert kind == "computer_output"
    assert "UNKNOWNTYPEWORD" in text
    assert "https://cafe.example/booking" in text
    assert "computer_output" not in text


def test_unknown_type_deeply_nested_does_not_overflow() -> None:
    deep: Any = "DEEPMARK"
    for _ in range(5000):
        deep = {"child": [deep]}
    kind, text = render_content({"content_type": "mystery", "tree": deep})
    assert kind == "mystery"
    assert "DEEPMARK" in text


def test_unknown_type_with_huge_payload_is_bounded() -> None:
    content = {"content_type": "mystery", "items": [f"item {i}" for i in range(10000)]}
    text = text_of(content)
    assert text.startswith("item 0")
    assert len(text.splitlines()) <= 100


# -- wrong types inside known types never raise --------------------------------------------------------------

WRONG_SHAPES: list[dict[str, Any]] = [
    {"content_type": "text", "parts": None},
    {"content_type": "text", "parts": "not a list"},
    {"content_type": "text", "parts": [None, 5, 1.5, True, ["nested"], {"no": "type"}, {"content_type": 7}]},
    {"content_type": "text", "parts": [{"content_type": "image_asset_pointer", "asset_pointer": None, "width": "x"}]},
    {"content_type": "text", "parts": [{"content_type": "audio_transcription", "text": None}]},
    {"content_type": "multimodal_text", "parts": {"0": "dict instead of list"}},
    {"content_type": "code", "language": ["python"], "text": None},
    {"content_type": "code", "text": {"lines": ["a"]}},
    {"content_type": "execution_output", "text": 42},
    {"content_type": "tether_quote", "text": None, "title": 5, "url": ["x"], "domain": None},
    {"content_type": "tether_browsing_display", "result": ["a"], "summary": {"b": 1}},
    {"content_type": "sonic_webpage", "text": None, "snippet": {"x": 1}, "title": 3, "url": None},
    {"content_type": "system_error", "name": None, "text": 404},
    {"content_type": "thoughts", "thoughts": "not a list"},
    {"content_type": "thoughts", "thoughts": [None, "str", 3, {"summary": 1, "content": ["x"]}]},
    {"content_type": "reasoning_recap", "content": {"seconds": 12}},
    {"content_type": "user_editable_context", "user_profile": ["x"], "user_instructions": None},
    {"content_type": "model_editable_context", "model_set_context": {"memories": []}},
    {"content_type": None, "parts": ["content type is null"]},
    {"content_type": 12, "parts": ["content type is a number"]},
    {"content_type": "mystery", "payload": None},
    {},
]


@pytest.mark.parametrize("content", WRONG_SHAPES, ids=[str(i) for i in range(len(WRONG_SHAPES))])
@pytest.mark.parametrize(
    "metadata",
    [None, "not a dict", {"content_references": "nope"}, {"content_references": [None, 1, {"matched_text": None}]}],
    ids=["no-meta", "str-meta", "str-refs", "junk-refs"],
)
def test_wrong_types_never_raise(content: dict[str, Any], metadata: Any) -> None:
    kind, text = render_content(content, metadata)
    assert isinstance(kind, str)
    assert kind
    assert isinstance(text, str)


@pytest.mark.parametrize("content", [None, 5, ["a", "b"], b"bytes"], ids=["none", "int", "list", "bytes"])
def test_non_object_content_never_raises(content: Any) -> None:
    kind, text = render_content(content)
    assert kind == "unknown"
    assert text == ""


def test_good_parts_survive_bad_neighbours() -> None:
    content = {"content_type": "text", "parts": [None, "GOODPART", 5, {"content_type": 7}]}
    assert text_of(content) == "GOODPART"


# -- citations ------------------------------------------------------------------------------------------------


def test_citation_resolved_from_content_references() -> None:
    marker = "\ue200cite\ue202turn0search3\ue201"
    metadata = {
        "content_references": [
            {
                "matched_text": marker,
                "alt": "([Wikipedia](https://en.wikipedia.org/wiki/Lisbon))",
                "type": "grouped_webpages",
                "items": [{"title": "Lisbon - Wikipedia", "url": "https://en.wikipedia.org/wiki/Lisbon"}],
            },
            {"matched_text": " ", "alt": "", "type": "sources_footnote", "sources": []},
        ]
    }
    text = text_of({"content_type": "text", "parts": [f"Lisbon is the capital.{marker} It is hilly."]}, metadata)
    assert "https://en.wikipedia.org/wiki/Lisbon" in text
    assert text.startswith("Lisbon is the capital.")
    assert text.endswith("It is hilly.")
    assert "turn0search3" not in text
    assert not _PRIVATE_USE & set(text)


def test_citation_without_references_is_dropped() -> None:
    text = strip_citations("Porto has port wine.\ue200cite\ue202turn0search5\ue202turn0search7\ue201 Cheers.")
    assert text.startswith("Porto has port wine.")
    assert text.endswith("Cheers.")
    assert "turn0search" not in text
    assert not _PRIVATE_USE & set(text)


def test_footnote_with_space_matched_text_does_not_eat_spaces() -> None:
    metadata = {"content_references": [{"matched_text": " ", "alt": "", "type": "sources_footnote"}]}
    text = strip_citations("one two three \ue200cite\ue202turn0search1\ue201", metadata)
    assert text.startswith("one two three")


def test_stray_private_use_characters_are_removed_but_words_kept() -> None:
    text = strip_citations("\ue203Lisbon is the capital\ue204\ue206 of Portugal\ue205.")
    assert text == "Lisbon is the capital of Portugal."


def test_text_without_markers_is_untouched() -> None:
    original = "café naïve 机器学习 `code` 🎉"
    assert strip_citations(original, {"content_references": [{"matched_text": "café", "alt": "X"}]}) == original


def test_citations_stripped_inside_every_rendered_type() -> None:
    marker = "\ue200cite\ue202turn0search3\ue201"
    for content in (
        {"content_type": "text", "parts": [f"a{marker}b"]},
        {"content_type": "multimodal_text", "parts": [f"a{marker}b"]},
        {"content_type": "tether_quote", "text": f"a{marker}b", "title": "t"},
        {"content_type": "thoughts", "thoughts": [{"summary": "s", "content": f"a{marker}b"}]},
        {"content_type": "mystery", "body": f"a{marker}b"},
    ):
        text = text_of(content)
        assert "turn0search3" not in text, content["content_type"]
        assert not _PRIVATE_USE & set(text), content["content_type"]


def test_citation_cut_off_at_the_end_leaves_no_token() -> None:
    # An answer stopped by max_tokens (or split by "continue generating") can end inside a marker.
    text = text_of({"content_type": "text", "parts": ["Lisbon is the capital. \ue200cite\ue202turn0search3"]})
    assert text.startswith("Lisbon is the capital.")
    assert not _PRIVATE_USE & set(text)
    assert "turn0search3" not in text
