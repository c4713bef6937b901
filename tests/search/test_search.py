"""Search as a person uses it: ranking, query syntax, code identifiers, CJK, accents, what stays hidden,
filters, grouping, snippets and paging. Runs on the bundled sample export and on a small built corpus."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.errors import QueryError
from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import BadArgument, HistoryStore
from sample import (
    AGENT,
    CHINESE,
    COVER_LETTER,
    GIFT,
    HIKE,
    JAPANESE_KOREAN,
    LISBON,
    MEAL_PLAN,
    PARSE_CONFIG,
    PROJECT,
    RUST,
    SOURDOUGH,
    SPANISH,
    SQL,
    TRAINING,
)

K8S = "d4add0b2-9779-5567-8ca6-5e1d7c3dcbfc"


def ids(store: HistoryStore, query: str, **kwargs: Any) -> list[str]:
    """Conversation ids a search returns, best first."""
    return [r.conversation_id for r in store.search(query, limit=50, **kwargs).results]


# -- a small corpus of our own, for ranking and syntax ---------------------------------------------------


@pytest.fixture(scope="module")
def corpus(
    tmp_path_factory: pytest.TempPathFactory,
    build_conversation: Callable[..., dict[str, Any]],
    write_export: Callable[..., Path],
) -> Iterator[HistoryStore]:
    b = build_conversation
    conversations = [
        # ranking
        b("rank-all", ["How do I save my monstera? The soil smells and there is root rot.", "Trim the roots."]),
        b("rank-one", ["My monstera has a new leaf, look!", "Lovely, new leaves unfurl slowly."]),
        # title weight: the word only in the title vs twice in the body
        b("title-hit", ["What should I feed it every day?", "Bloodworms and pellets work well."], title="Axolotl care"),
        b(
            "body-hit",
            ["My friend keeps an axolotl at home, an axolotl named Bob.", "They need cold, clean water."],
            title="Pet questions",
        ),
        # phrases and operators
        b("phrase-adjacent", ["I saw a red kite over the hills today.", "Red kites are lovely birds of prey."]),
        b("phrase-apart", ["The red balloon got stuck near the kite shop.", "Ask the shop for a ladder."]),
        b("phrase-boundary", ["My favourite colour is red", "Kite surfing would suit you then."]),
        # words typed together, found together and three words apart
        b("near-together", ["Where did I pack the tent stakes?", "In the blue bag."]),
        b("near-apart", ["The tent needs steel stakes.", "Sand needs longer ones."]),
        # identifiers in other spellings than the sample's parse_config
        b("camel", ["We call parseConfig before the server starts.", "Then parseConfig must not block."]),
        b("kebab", ["The parse-config script fails on Windows.", "Quote the path argument."]),
        b(
            "camel-deep",
            ["Why is this slow? " + "The loop runs every second. " * 30 + "It calls getUserProfile.", "Cache it."],
        ),
        # unaccented text, to be found by accented queries
        b("plain-ascii", ["Is the cafe on the corner any good?", "It is, but the naive espresso is bitter."]),
    ]
    export = write_export(tmp_path_factory.mktemp("corpus-export") / "corpus.zip", conversations)
    store = HistoryStore(tmp_path_factory.mktemp("corpus-data"))
    assert import_export(store, export).added == len(conversations)
    yield store
    store.close()


# -- ranking ---------------------------------------------------------------------------------------------


def test_conversation_matching_all_words_ranks_above_one_matching_one(corpus: HistoryStore) -> None:
    found = ids(corpus, "monstera soil rot")
    assert found[:2] == ["rank-all", "rank-one"]  # plain words are ranked, not all required


def test_title_is_weighted_above_the_body(corpus: HistoryStore) -> None:
    found = ids(corpus, "axolotl")
    assert found == ["title-hit", "body-hit"]


def test_sample_title_words_find_their_conversation_first(sample_store: HistoryStore) -> None:
    assert ids(sample_store, "sourdough starter")[0] == SOURDOUGH
    assert ids(sample_store, "subjunctive")[0] == SPANISH


# -- query syntax ------------------------------------------------------------------------------------------


def test_quoted_phrase_requires_adjacent_words(corpus: HistoryStore) -> None:
    assert set(ids(corpus, "red kite")) >= {"phrase-adjacent", "phrase-apart", "phrase-boundary"}
    assert ids(corpus, '"red kite"') == ["phrase-adjacent"]


def test_phrase_does_not_span_two_messages(corpus: HistoryStore) -> None:
    # "...colour is red" ends the user message and "Kite surfing..." starts the answer.
    assert "phrase-boundary" not in ids(corpus, '"red kite"')


def test_phrase_with_a_function_word_inside(sample_store: HistoryStore) -> None:
    found = sample_store.search('"LEFT JOIN"').results
    assert [r.conversation_id for r in found] == [SQL]
    assert any("**LEFT JOIN**" in m.snippet for m in found[0].matches)


def test_an_exclusion_looks_in_the_whole_conversation_whatever_the_role_filter(sample_store: HistoryStore) -> None:
    # "hooch" is only in the assistant's answers of the sourdough chat; the user's messages say "sourdough".
    assert SOURDOUGH in ids(sample_store, "sourdough", role="user")
    assert SOURDOUGH not in ids(sample_store, "sourdough -hooch", role="user")


def test_minus_excludes_conversations(corpus: HistoryStore, sample_store: HistoryStore) -> None:
    assert set(ids(corpus, "kite -balloon")) == {"phrase-adjacent", "phrase-boundary"}
    assert SPANISH in ids(sample_store, "cafe")
    assert SPANISH not in ids(sample_store, "cafe -leche")
    assert SPANISH not in ids(sample_store, 'cafe -"con leche"')


def test_plus_requires_a_word(corpus: HistoryStore) -> None:
    assert ids(corpus, "kite +balloon") == ["phrase-apart"]


def test_and_requires_both_sides(corpus: HistoryStore, sample_store: HistoryStore) -> None:
    assert set(ids(corpus, "red balloon")) == {"phrase-adjacent", "phrase-apart", "phrase-boundary"}
    assert ids(corpus, "red AND balloon") == ["phrase-apart"]
    assert ids(sample_store, "sourdough AND hooch") == [SOURDOUGH]
    assert ids(sample_store, "sourdough AND zeppelin") == []


@pytest.mark.parametrize("query", ["sourdough OR starter", "sourdough || starter", "OR sourdough OR starter"])
def test_or_between_words_is_skipped_not_searched(sample_store: HistoryStore, query: str) -> None:
    plain = sample_store.search("sourdough starter")
    assert plain.results[0].conversation_id == SOURDOUGH
    typed = sample_store.search(query)
    assert typed.results == plain.results  # the same chats, scores and snippets: "or" is neither sought nor bold
    assert typed.note == plain.note


def test_or_is_not_a_word_standing_between_the_others(corpus: HistoryStore) -> None:
    # Read as the word "or", "tent OR stakes" would expect the two a word apart and lift "near-apart" too.
    plain = corpus.search("tent stakes").results
    assert [r.conversation_id for r in plain] == ["near-together", "near-apart"]
    assert corpus.search("tent OR stakes").results == plain


def test_prefix_matches_word_starts(corpus: HistoryStore, sample_store: HistoryStore) -> None:
    assert ids(corpus, "ballo*") == ["phrase-apart"]
    assert set(ids(corpus, "kit*")) == {"phrase-adjacent", "phrase-apart", "phrase-boundary"}
    result = sample_store.search("sourd*").results
    assert [r.conversation_id for r in result] == [SOURDOUGH]
    assert any("**sourdough**" in m.snippet.lower() for m in result[0].matches)


@pytest.mark.parametrize("query", ["a*", "x*", "é*", "+b*"])
def test_too_short_prefix_is_refused_with_a_clear_message(sample_store: HistoryStore, query: str) -> None:
    with pytest.raises(QueryError, match=r"too short.*at least 2 characters"):
        sample_store.search(query)


@pytest.mark.parametrize(
    "query", ["", "   ", '""', "*", "AND", "OR", "||", "-sourdough", '-"con leche"', "-cafe -kazoo"]
)
def test_empty_or_exclusion_only_queries_are_refused(sample_store: HistoryStore, query: str) -> None:
    with pytest.raises(QueryError) as err:
        sample_store.search(query)
    message = str(err.value)
    if query.strip().startswith("-"):
        assert "exclude" in message
    else:
        assert "empty" in message


# -- code identifiers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["parse_config", "parseConfig", "parse-config", "PARSE_CONFIG", '"parse config"'])
def test_identifier_spellings_find_each_other(sample_store: HistoryStore, query: str) -> None:
    found = sample_store.search(query).results
    assert [r.conversation_id for r in found] == [PARSE_CONFIG]
    assert any("**parse_config**" in m.snippet for m in found[0].matches)


def test_identifier_spellings_across_conversations(corpus: HistoryStore) -> None:
    for query in ("parse_config", "parseConfig", "parse-config"):
        assert set(ids(corpus, query)) == {"camel", "kebab"}, query
    assert set(ids(corpus, "config")) == {"camel", "kebab"}


def test_identifier_part_finds_the_identifier(sample_store: HistoryStore) -> None:
    result = sample_store.search("config").results
    assert result[0].conversation_id == PARSE_CONFIG
    assert any("parse_**config**" in m.snippet for m in result[0].matches)


@pytest.mark.parametrize(
    ("query", "highlight"),
    [
        ("client.fetch_items", "**client.fetch_items**"),
        ("fetch", "client.**fetch**_items"),
        ("items", "fetch_**items**"),
        ("getUserProfile", "**getUserProfile**"),
        ("get_user_profile", "**getUserProfile**"),
    ],
)
def test_method_and_camel_case_identifiers(sample_store: HistoryStore, query: str, highlight: str) -> None:
    result = {r.conversation_id: r for r in sample_store.search(query, limit=50).results}
    assert PARSE_CONFIG in result
    assert any(highlight in m.snippet for m in result[PARSE_CONFIG].matches), result[PARSE_CONFIG].matches


def test_snippet_highlights_a_camel_case_part(corpus: HistoryStore) -> None:
    # The message matched "profile" through getUserProfile; its snippet must show where.
    (result,) = corpus.search("profile").results
    assert result.conversation_id == "camel-deep"
    (match,) = result.matches
    assert "getUser**Profile**" in match.snippet, match.snippet
    assert len(match.snippet) > 60, "the snippet keeps the context before the hit"
    assert "Profile**" in match.snippet, match.snippet


def test_dotted_method_name_without_its_object_is_found(sample_store: HistoryStore) -> None:
    # `fetch_items` is a part of `client.fetch_items(...)`: a person looking for the method by name
    # expects the conversation that calls it.
    assert PARSE_CONFIG in ids(sample_store, "fetch_items")


def test_version_numbers(sample_store: HistoryStore) -> None:
    result = sample_store.search("v1.2.3").results
    assert result[0].conversation_id == K8S
    assert any("**v1.2.3**" in m.snippet for m in result[0].matches)
    assert ids(sample_store, "v1")[0] == K8S  # a part of v1.2.3
    assert ids(sample_store, "v2.4.0") == [PARSE_CONFIG]


def test_dotted_number_does_not_match_a_different_number(sample_store: HistoryStore) -> None:
    # "1.2" is not "12": the SQL chat ("last 12 months") and the cover letter ("by 12 %") never say 1.2.
    found = ids(sample_store, "1.2")
    assert SQL not in found and COVER_LETTER not in found


@pytest.mark.parametrize(
    ("query", "expected"),
    [("CrashLoopBackOff", K8S), ("crash", K8S), ("ordersDbUrl", K8S), ("E0499", RUST), ("date_trunc", SQL)],
)
def test_other_code_tokens(sample_store: HistoryStore, query: str, expected: str) -> None:
    assert ids(sample_store, query)[0] == expected


# -- Chinese, Japanese, Korean -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("器学", CHINESE),  # from 机器学习
        ("言处理", CHINESE),  # from 自然语言处理
        ("文分", CHINESE),  # from 中文分词
        ("京の天", JAPANESE_KOREAN),  # from 東京の天気は晴れです
        ("晴れ", JAPANESE_KOREAN),
        ("形態素", JAPANESE_KOREAN),  # from 日本語の形態素解析
        ("커피를", JAPANESE_KOREAN),  # the word with its particle, as written
        ("커피", JAPANESE_KOREAN),  # the bare noun, found inside 커피를
    ],
)
def test_cjk_found_by_a_few_characters(sample_store: HistoryStore, query: str, expected: str) -> None:
    result = sample_store.search(query).results
    assert [r.conversation_id for r in result] == [expected]
    assert any(f"**{query}**" in m.snippet for m in result[0].matches), result[0].matches


def test_cjk_characters_not_adjacent_do_not_match(sample_store: HistoryStore) -> None:
    assert ids(sample_store, "机习") == []  # both characters occur in 机器学习, but not side by side


# -- accents -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), [("cafe", AGENT), ("café", AGENT), ("CAFÉ", AGENT)])
def test_accents_fold_from_the_query_side(sample_store: HistoryStore, query: str, expected: str) -> None:
    found = sample_store.search(query).results
    assert {r.conversation_id for r in found} == {AGENT, SPANISH, GIFT, LISBON}
    assert found[0].conversation_id == expected
    assert any("**Café**" in m.snippet for m in found[0].matches)


@pytest.mark.parametrize(
    ("query", "expected", "shown"),
    [
        ("naive", PARSE_CONFIG, "**naïve**"),
        ("zurich", COVER_LETTER, "**Zürich**"),
        ("resume", COVER_LETTER, "**résumé**"),
        ("pasteis", LISBON, "**Pastéis**"),
    ],
)
def test_unaccented_query_finds_accented_text(
    sample_store: HistoryStore, query: str, expected: str, shown: str
) -> None:
    found = sample_store.search(query).results
    assert found[0].conversation_id == expected
    assert any(shown in m.snippet for m in found[0].matches)


@pytest.mark.parametrize("query", ["café", "naïve", "CAFE"])
def test_accented_query_finds_unaccented_text(corpus: HistoryStore, query: str) -> None:
    assert ids(corpus, query) == ["plain-ascii"]


# -- what search must not see ------------------------------------------------------------------------------

HIDDEN_WORDS = [
    "SECRETINSTRUCTIONWORD",
    "MEMORYSNAPSHOTWORD",
    "HIDDENSYSTEMWORD",
    "VISUALLYHIDDENWORD",
    "THOUGHTSWORD",
    "ANALYSISCHANNELWORD",
    "COMMENTARYCHANNELWORD",
    "WEIGHTZEROWORD",
    "SYSTEMERRORWORD",
]
#: Hidden from the transcript, but the person saw or wrote them: code sent to a tool, what browsing showed.
SEEN_IN_TOOLS = [
    ("TOOLCALLWORD", "tool call"),
    ("BROWSINGDISPLAYWORD", "tool output"),
    ("SONICPAGEWORD", "tool output"),
]
ABANDONED_BRANCH_WORDS = ["zeppelin", "kazoo", "periwinkle", "gooseberry", "bergamot"]


@pytest.mark.parametrize("word", HIDDEN_WORDS)
def test_hidden_content_is_not_searchable(sample_store: HistoryStore, word: str) -> None:
    assert ids(sample_store, word) == []
    assert ids(sample_store, word.lower()[:-2] + "*") == []


@pytest.mark.parametrize(("word", "kind"), SEEN_IN_TOOLS)
def test_what_tools_were_sent_or_showed_is_found_and_says_where(
    sample_store: HistoryStore, word: str, kind: str
) -> None:
    (result,) = sample_store.search(word).results
    match = result.matches[0]
    assert match.where == kind
    assert word in match.snippet
    # The transcript still shows what ChatGPT shows: the match is in a hidden message.
    page = sample_store.get_conversation(result.conversation_id, limit=200)
    assert all(m.message_id != match.message_id for m in page.messages)
    hidden = sample_store.get_conversation(result.conversation_id, limit=200, include_hidden=True)
    assert any(m.message_id == match.message_id and m.hidden for m in hidden.messages)


@pytest.mark.parametrize("word", ABANDONED_BRANCH_WORDS)
def test_abandoned_branches_are_not_searchable(sample_store: HistoryStore, word: str) -> None:
    assert ids(sample_store, word) == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [("VISIBLESYSTEMWORD", MEAL_PLAN), ("tangerine", HIKE), ("relocating", COVER_LETTER), ("gift", GIFT)],
)
def test_visible_current_branch_words_are_searchable(sample_store: HistoryStore, word: str, expected: str) -> None:
    result = sample_store.search(word).results
    assert result and result[0].conversation_id == expected
    assert any(f"**{word}**".lower() in m.snippet.lower() for m in result[0].matches)


def test_citation_markers_are_not_searchable(sample_store: HistoryStore) -> None:
    assert ids(sample_store, "turn0search3") == []
    assert ids(sample_store, "turn0search*") == []
    lisbon = next(r for r in sample_store.search("Lisbon capital").results if r.conversation_id == LISBON)
    for match in lisbon.matches:
        assert not re.search("[\ue200-\ue202]|turn0search", match.snippet), match.snippet


# -- filters -----------------------------------------------------------------------------------------------


def test_role_filter(sample_store: HistoryStore) -> None:
    # "sourdough" is in the title and the user's messages only; "hooch" only in an answer
    assert ids(sample_store, "sourdough", role="assistant") == []
    user = sample_store.search("sourdough", role="user").results
    assert [r.conversation_id for r in user] == [SOURDOUGH]
    assert user[0].matches and {m.role for m in user[0].matches} == {"user"}
    assert ids(sample_store, "hooch", role="user") == []
    assert ids(sample_store, "hooch", role="assistant") == [SOURDOUGH]


def test_role_filter_limits_the_matches_shown(sample_store: HistoryStore) -> None:
    result = sample_store.search("Lisbon", role="assistant").results
    assert result[0].conversation_id == LISBON
    assert result[0].matches and all(m.role == "assistant" for m in result[0].matches)


@pytest.mark.parametrize(
    ("after", "before", "expected"),
    [
        ("2024-10-01", None, {AGENT, GIFT}),
        (None, "2024-10-01", {SPANISH, LISBON}),
        ("2024-05-01", "2024-12-31", {SPANISH, GIFT}),
        ("2024-05-01T00:00:00Z", "2024-12-31T00:00:00+00:00", {SPANISH, GIFT}),
        ("2030-01-01", None, set()),
    ],
)
def test_date_filters(sample_store: HistoryStore, after: str | None, before: str | None, expected: set[str]) -> None:
    found = sample_store.search("café", after=after, before=before).results
    assert {r.conversation_id for r in found} == expected
    for result in found:
        for match in result.matches:
            when = match.create_time
            assert when is None or after is None or when.isoformat() >= after[:10]


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "01/02/2024"])
def test_bad_date_is_a_bad_argument(sample_store: HistoryStore, bad: str) -> None:
    with pytest.raises(BadArgument, match="ISO-8601"):
        sample_store.search("café", after=bad)
    with pytest.raises(BadArgument, match="before"):
        sample_store.search("café", before=bad)


def test_project_filter(sample_store: HistoryStore) -> None:
    assert set(ids(sample_store, "café", project=PROJECT)) == {SPANISH, LISBON}
    found = sample_store.search("café", project=PROJECT).results
    assert all(r.project_id == PROJECT for r in found)
    assert ids(sample_store, "café", project="g-p-doesnotexist") == []


def test_custom_gpt_filter(sample_store: HistoryStore) -> None:
    assert set(ids(sample_store, "config")) >= {PARSE_CONFIG, K8S}
    assert ids(sample_store, "config", project="g-Kx7pQ2mZr") == [K8S]
    assert ids(sample_store, "query", project="g-Sq3nS31aQ") == [SQL]


def test_model_filter(sample_store: HistoryStore) -> None:
    assert {TRAINING, MEAL_PLAN} <= set(ids(sample_store, "plan"))
    assert ids(sample_store, "plan", model="gpt-5") == [TRAINING]
    assert ids(sample_store, "borrow", model="o3") == [RUST]
    assert ids(sample_store, "borrow", model="gpt-5") == []


# -- grouping and snippets ---------------------------------------------------------------------------------


def test_one_result_per_conversation_with_up_to_three_matches(sample_store: HistoryStore) -> None:
    page = sample_store.search("the", limit=50)
    found = [r.conversation_id for r in page.results]
    assert len(found) == len(set(found)) >= 10
    for result in page.results:
        assert 1 <= len(result.matches) <= 3, result.conversation_id
        conv = sample_store.get_conversation(result.conversation_id, limit=200, include_hidden=True)
        shown = {m.message_id: m for m in conv.messages}
        for match in result.matches:
            assert match.message_id in shown  # a message of the current branch, not of another branch
            assert match.role == shown[match.message_id].role
            # A hidden match says where it is; a canvas is shown (its final text) yet says canvas; a file a
            # shown message carries says attachment.
            message = shown[match.message_id]
            assert message.hidden == (match.where not in ("message", "attachment") and message.kind != "canvas")
            if match.where == "attachment":
                assert message.attachments
            assert "**" in match.snippet
        assert len({(m.message_id, m.where) for m in result.matches}) == len(result.matches)
        assert result.title == conv.title


def test_snippet_wraps_the_matched_word(sample_store: HistoryStore) -> None:
    result = sample_store.search("hooch").results[0]
    assert result.conversation_id == SOURDOUGH
    (match,) = result.matches
    assert match.role == "assistant"
    assert "hooch**" in match.snippet and "**hooch" in match.snippet
    assert len(match.snippet) < 400


def test_matches_prefer_messages_with_more_query_words(sample_store: HistoryStore) -> None:
    result = sample_store.search("starter peak fridge").results[0]
    assert result.conversation_id == SOURDOUGH
    first = result.matches[0].snippet.lower()
    assert sum(f"**{w}" in first for w in ("starter", "peak", "fridge")) >= 2


# -- paging ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 3, 4])
def test_paging_walks_all_results_once(sample_store: HistoryStore, limit: int) -> None:
    everything = [r.conversation_id for r in sample_store.search("the", limit=50).results]
    assert len(everything) > 2 * limit
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = sample_store.search("the", limit=limit, offset=offset)
        assert 1 <= len(page.results) <= limit
        seen.extend(r.conversation_id for r in page.results)
        offset = page.next_offset
        pages += 1
        assert pages <= 50
    assert seen == everything
    assert len(set(seen)) == len(seen)


def test_last_page_has_no_next_offset(sample_store: HistoryStore) -> None:
    everything = ids(sample_store, "café")
    assert len(everything) == 4
    assert sample_store.search("café", limit=4).next_offset is None
    assert sample_store.search("café", limit=3).next_offset == 3
    last = sample_store.search("café", limit=3, offset=3)
    assert [r.conversation_id for r in last.results] == everything[3:]
    assert last.next_offset is None
    beyond = sample_store.search("café", limit=3, offset=10)
    assert beyond.results == [] and beyond.next_offset is None
