"""Search finds what a person remembers: other word forms, other languages' inflections, CJK typed without
spaces, a remembered sentence of common words, a pasted passage or error, and the tokens people type
(C++, 4:30, wife's). A small corpus of its own, imported through a real export ZIP into a real index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgpt_history_mcp.ingest.exports import import_export
from chatgpt_history_mcp.store.history import HistoryStore

FILLER = (
    "We talked about the weather, a few errands, the week ahead and what to cook on Sunday. "
    "Nothing in particular stood out, it was an ordinary chat about ordinary things. "
)
PASSAGE = (
    "The migration failed halfway because the orders table still had rows whose customer reference pointed at "
    "customers deleted during the spring cleanup. Before rerunning it, find those orphaned rows with a left "
    "join against customers, decide whether to archive them into a separate table or reattach them to a "
    "placeholder account, and only then add the foreign key constraint. Run the whole thing inside a "
    "transaction so a second failure leaves the schema exactly as it was, and take a logical backup first "
    "because restoring a physical snapshot of a database this size takes most of an afternoon. Once the "
    "constraint is in place, the nightly report that kept double counting refunds should agree with the "
    "ledger again, and the dashboard tiles that show monthly revenue by region can be trusted for the board "
    "meeting. Keep the cleanup script in the repository next to the migration, with a comment that explains "
    "why those customers disappeared, so that nobody repeats the same mistake during the next spring cleanup."
)


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory,
    build_conversation: Callable[..., dict[str, Any]],
    write_export: Callable[..., Path],
) -> Iterator[HistoryStore]:
    b = build_conversation
    conversations = [
        # other forms of a word
        b("config-noun", ["Where does the configuration of the proxy live?", "In /etc/proxy.conf, under [main]."]),
        b("starter-one", ["My sourdough starter smells of acetone.", "Feed the starter more often."]),
        b("starters-many", ["I keep two sourdough starters, rye and wheat.", "Feed both starters daily."]),
        b("fetch-item", ["What does fetch_items return?", "fetch_items returns a list of Item objects."]),
        # other languages
        b(
            "french-crepes",
            [
                "Je cherche des recettes de crêpes sans gluten pour le petit déjeuner des enfants.",
                "Voici trois recettes : avec de la farine de sarrasin, de riz ou de châtaigne.",
            ],
        ),
        b(
            "german-kinder",
            [
                "Welche Spiele kann ich mit den Kindern bei Regen im Haus spielen?",
                "Mit Kindern im Haus: Versteckspiel, Kissenburgen bauen und Brettspiele, "
                "die auch kleinen Kindern Spaß machen.",
            ],
        ),
        b(
            "spanish-viajes",
            [
                "Estoy planeando viajes baratos por Andalucía en primavera.",
                "Para viajar barato por Andalucía, usa el tren regional y alójate en hostales del centro.",
            ],
        ),
        # CJK: the remembered words are apart in the chat
        b(
            "zh-roadmap",
            [
                "我想系统地学习机器学习，不知道从哪里开始。",
                "可以按照这个学习路线：先学线性代数和概率，再学监督学习。",
            ],
        ),
        b("zh-machine", ["这台机器的噪音很大，怎么办？", "检查一下风扇和轴承。"]),
        b("ja-trip", ["来月、京都へ旅行に行きます。おすすめのお寺はありますか？", "清水寺と金閣寺がおすすめです。"]),
        b("ko-recipe", ["김치찌개 만드는 방법을 알려주세요.", "돼지고기와 신김치를 볶은 다음 물을 넣고 끓이세요."]),
        # a remembered sentence of common words: together in one chat, scattered in others
        b(
            "sentence-together",
            [
                "Here are the quarterly numbers for the three stores, north, south and east.",
                "North grew, south held steady and east fell slightly.",
                "Can you write that out again as a table?",
                "| store | change |\n|---|---|\n| north | up |",
            ],
        ),
        b(
            "sentence-scattered",
            [
                "Can you help me write a letter to my landlord?",
                "Sure. Should it point out again that the heating failed?",
                "Yes, and add a table of the dates it was out.",
                "Here is a draft with the dates as a table.",
            ],
        ),
        b(
            "sentence-scattered-2",
            [
                "I want to write a short story. " + FILLER,
                "A table of characters could help you plan it. " + FILLER,
                "Try again tomorrow if the ideas run out. " + FILLER,
            ],
        ),
        # a passage the person or agent pastes back
        b("passage-source", ["How should I clean up before the migration?", PASSAGE]),
        b(
            "passage-near",
            [
                "Our migration added a foreign key constraint and a backup step.",
                "Take a backup, run the migration in a transaction, then check the report and the dashboard.",
            ],
        ),
        # tokens people type
        b("cpp", ["Why does my C++ template not compile?", "In C++ the template must be visible where used."]),
        b("c-lang", ["Is C still used for embedded work?", "Yes, C is everywhere in firmware."]),
        b("csharp", ["How do I read a file in C#?", "Use File.ReadAllText in C#."]),
        b("wife", ["Ideas for my wife's birthday?", "Plan a picnic she would love."]),
        b("wife-plain", ["My wife likes hiking.", "Try the coastal trail."]),
        b("alarm", ["Set the alarm for 4:30 tomorrow.", "Done: 4:30 AM."]),
        b("verbose", ["What does pytest --verbose print?", "--verbose prints each test's name."]),
        b("ssh-key", ["How do I pass a key file to ssh?", "Use ssh -i ~/.ssh/id_ed25519 user@host."]),
        b("sql-null", ["Why does my column say NOT NULL constraint failed?", "You inserted a row without a name."]),
    ] + [b(f"filler-{i}", [FILLER, FILLER]) for i in range(20)]
    export = write_export(tmp_path_factory.mktemp("recall-export") / "recall.zip", conversations)
    store = HistoryStore(tmp_path_factory.mktemp("recall-data"))
    assert import_export(store, export).added == len(conversations)
    yield store
    store.close()


def ids(store: HistoryStore, query: str, **kwargs: Any) -> list[str]:
    return [r.conversation_id for r in store.search(query, limit=20, **kwargs).results]


# -- other forms of a word ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["configuring proxy", "configure the proxy", "proxy configurations"])
def test_other_forms_of_a_word_find_the_chat(store: HistoryStore, query: str) -> None:
    assert ids(store, query)[0] == "config-noun"


def test_the_form_typed_ranks_above_another_form(store: HistoryStore) -> None:
    assert ids(store, "starters")[:2] == ["starters-many", "starter-one"]
    assert ids(store, "starter")[:2] == ["starter-one", "starters-many"]


def test_snippet_highlights_the_other_form(store: HistoryStore) -> None:
    (match, *_) = store.search("configuring proxy").results[0].matches
    assert "**configuration**" in match.snippet


def test_quoted_phrase_is_exact(store: HistoryStore) -> None:
    assert ids(store, '"sourdough starters"') == ["starters-many"]
    assert ids(store, '"configuring"') == []


def test_identifiers_are_never_stemmed(store: HistoryStore) -> None:
    assert ids(store, "fetch_items") == ["fetch-item"]
    assert ids(store, "fetch_item") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("recette crepe", "french-crepes"),
        ("crêpe sans gluten", "french-crepes"),
        ("Spiel mit Kind", "german-kinder"),
        ("viaje barato andalucia", "spanish-viajes"),
    ],
)
def test_other_languages_inflections_meet(store: HistoryStore, query: str, expected: str) -> None:
    assert ids(store, query)[0] == expected


# -- CJK typed the way people type it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [("机器学习路线", "zh-roadmap"), ("京都旅行", "ja-trip"), ("김치찌개만드는", "ko-recipe")],
)
def test_cjk_typed_without_spaces_finds_words_that_stand_apart(store: HistoryStore, query: str, expected: str) -> None:
    assert ids(store, query)[0] == expected


def test_cjk_more_bigrams_rank_first_and_quotes_stay_a_phrase(store: HistoryStore) -> None:
    found = ids(store, "机器学习路线")
    assert found.index("zh-roadmap") < found.index("zh-machine")  # 机器 alone matches the other chat
    assert ids(store, '"机器学习路线"') == []  # never contiguous in the chat
    assert ids(store, '"学习路线"') == ["zh-roadmap"]


# -- closeness -----------------------------------------------------------------------------------------------


def test_a_remembered_sentence_ranks_the_chat_where_its_words_stand_together(store: HistoryStore) -> None:
    found = ids(store, "can you write that out again as a table")
    assert found[0] == "sentence-together"
    assert {"sentence-scattered", "sentence-scattered-2"} <= set(found)


# -- pasted text -----------------------------------------------------------------------------------------------


def test_a_pasted_passage_finds_the_chat_it_came_from_and_says_what_was_searched(store: HistoryStore) -> None:
    page = store.search(PASSAGE)
    assert page.results[0].conversation_id == "passage-source"
    assert page.note is not None and "most telling words" in page.note


def test_a_very_long_query_still_answers(store: HistoryStore) -> None:
    long = " ".join([PASSAGE] * 8)  # ~1,500 words
    assert ids(store, long)[0] == "passage-source"


def test_sql_keywords_in_a_pasted_error_are_words_not_operators(store: HistoryStore) -> None:
    assert ids(store, "NOT NULL constraint failed: users.name")[0] == "sql-null"
    assert "sql-null" not in ids(store, "constraint NOT null")  # an operator before a word in lower case


def test_a_pasted_traceback_finds_its_chat(store: HistoryStore) -> None:
    traceback = (
        'Traceback (most recent call last):\n  File "app.py", line 12, in <module>\n    db.commit()\n'
        "sqlite3.IntegrityError: NOT NULL constraint failed: users.name"
    )
    assert ids(store, traceback)[0] == "sql-null"


# -- tokens people type ----------------------------------------------------------------------------------------


def test_language_names_with_symbols(store: HistoryStore) -> None:
    assert ids(store, "C++ template")[0] == "cpp"
    assert ids(store, "C++") == ["cpp"]
    assert ids(store, "C#") == ["csharp"]


def test_possessive_finds_the_word_too(store: HistoryStore) -> None:
    found = ids(store, "wife's")
    assert found[0] == "wife"  # the form typed first
    assert "wife-plain" in found


def test_times_and_flags(store: HistoryStore) -> None:
    assert ids(store, "4:30") == ["alarm"]
    assert ids(store, "--verbose")[0] == "verbose"
    assert ids(store, "pytest - verbose")[0] == "verbose"  # a lone operator is ignored
    assert "ssh-key" in ids(store, "ssh -i")  # a flag, not "exclude every chat with the word I"
