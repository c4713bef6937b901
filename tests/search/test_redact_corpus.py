"""Masking measured over a hand-labelled corpus (tests/redact_corpus.py): every labelled secret masked
(recall 100 % on each secret kind) and few masks over text that is no secret (precision >= 97 %).

Precision is counted per mask: a mask that covers no labelled secret is a false positive. Recall is counted
per labelled secret: one not fully covered by masks is a miss. The figures are printed at the end of the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import pytest

from chatgpt_history_mcp.redact import redact, redact_all, secret_spans
from redact_corpus import CASES, LATER, SECRET_KINDS, Case

MIN_PRECISION = 0.97
Span = tuple[int, int]


class Tally(NamedTuple):
    masks: int
    true_masks: int
    secrets: int
    found: int
    spilled: int  # masked characters outside every labelled secret

    def __add__(self, other: object) -> Tally:
        assert isinstance(other, Tally)
        return Tally(*(a + b for a, b in zip(self, other, strict=True)))

    @property
    def precision(self) -> float | None:
        return self.true_masks / self.masks if self.masks else None

    @property
    def recall(self) -> float | None:
        return self.found / self.secrets if self.secrets else None


def labelled(case: Case) -> list[Span]:
    """Every occurrence of every labelled secret."""
    spans = []
    for value in case.secrets:
        at = case.text.find(value)
        while at != -1:
            spans.append((at, at + len(value)))
            at = case.text.find(value, at + 1)
    return spans


def tally(case: Case, masks: list[Span]) -> Tally:
    secrets = labelled(case)
    masked = {i for start, end in masks for i in range(start, end)}
    inside = {i for start, end in secrets for i in range(start, end)}
    true_masks = sum(any(s < e2 and s2 < e for s2, e2 in secrets) for s, e in masks)
    found = sum(all(i in masked for i in range(s, e)) for s, e in secrets)
    return Tally(len(masks), true_masks, len(secrets), found, len(masked - inside))


ALL = CASES + LATER


def evaluate(spans_of: Callable[[str], Iterable[Span]], cases: list[Case] = ALL) -> tuple[dict[str, Tally], list[str]]:
    """Per kind, what the masks of ``spans_of`` score; and a line for each case that went wrong."""
    kinds: dict[str, Tally] = defaultdict(lambda: Tally(0, 0, 0, 0, 0))
    wrong = []
    for case in cases:
        masks = sorted(spans_of(case.text))
        got = tally(case, masks)
        kinds[case.kind] += got
        if got.true_masks < got.masks or got.found < got.secrets:
            shown = [case.text[s:e] for s, e in masks]
            wrong.append(f"{case.kind}: {case.text!r} masked {shown}")
    return dict(kinds), wrong


def percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def overall(kinds: dict[str, Tally], only: frozenset[str] | None = None) -> Tally:
    return sum((t for k, t in kinds.items() if only is None or k in only), Tally(0, 0, 0, 0, 0))


def report(kinds: dict[str, Tally]) -> dict[str, str]:
    """Figures by name: precision and recall per kind, overall, and over the secret kinds."""
    out = {}
    for kind, t in sorted(kinds.items()):
        role = "secret" if kind in SECRET_KINDS else "look-alike"
        out[f"masking: {role} {kind}"] = (
            f"precision {percent(t.precision)} ({t.true_masks}/{t.masks} masks), "
            f"recall {percent(t.recall)} ({t.found}/{t.secrets}), spill {t.spilled} chars"
        )
    every, secret = overall(kinds), overall(kinds, SECRET_KINDS)
    out["masking: overall precision"] = f"{percent(every.precision)} ({every.true_masks}/{every.masks} masks)"
    out["masking: overall recall"] = f"{percent(secret.recall)} ({secret.found}/{secret.secrets} secrets)"
    out["masking: corpus cases (secret / look-alike)"] = (
        f"{sum(c.kind in SECRET_KINDS for c in ALL)} / {sum(c.kind not in SECRET_KINDS for c in ALL)}"
    )
    return out


def test_the_corpus_is_big_and_varied_enough() -> None:
    assert len(CASES) >= 150
    kinds = {case.kind for case in ALL}
    assert kinds >= SECRET_KINDS
    assert {"reference", "identifier", "placeholder", "template", "example-key", "hash-or-id", "prose"} <= kinds
    assert all(bool(case.secrets) == (case.kind in SECRET_KINDS) for case in ALL)
    assert len({case.text for case in ALL}) == len(ALL)  # no case counted twice


def spans(text: str) -> list[Span]:
    return [(s.start, s.end) for s in secret_spans(text)]


def test_precision_and_recall_over_the_corpus(figures: dict[str, Any]) -> None:
    kinds, wrong = evaluate(spans)
    figures.update(report(kinds))
    missed = {k: t for k, t in kinds.items() if k in SECRET_KINDS and t.found < t.secrets}
    assert not missed, "secrets left unmasked:\n" + "\n".join(wrong)
    precision = overall(kinds).precision
    assert precision is not None and precision >= MIN_PRECISION, "\n".join(wrong)


@pytest.mark.parametrize("case", [c for c in ALL if c.secrets], ids=lambda c: c.kind)
def test_redacted_text_holds_no_labelled_secret(case: Case) -> None:
    masked = redact(case.text)
    assert not [s for s in case.secrets if s in masked], masked


def test_masking_is_one_mask_per_secret_and_stable() -> None:
    """Results are masked on output and snippets come from masked text: masking twice changes nothing and
    never nests a mask inside another (``https://[REDACTED:[REDACTED:url-password]@…``)."""
    for case in ALL:
        once = redact(case.text)
        assert "[REDACTED:[REDACTED" not in once, once
        assert redact(once) == once, case.text
        assert once.count("[REDACTED:") == len(secret_spans(case.text))
    url = "git clone https://ghp_yNnU4CRZvjCOMOXl4i1pLH8YSTYKSeGUBGZk:x-oauth-basic@github.com/acme/api.git"
    assert redact(url) == "git clone https://[REDACTED:github-token]:x-oauth-basic@github.com/acme/api.git"
    texts = [case.text for case in ALL]
    assert redact_all(texts) == [redact(t) for t in texts]
