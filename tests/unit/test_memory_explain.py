"""A recall's ranking explained: each fact's RRF parts and prior add up to the score it was ranked by,
and the figure draws those parts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matrix import viz
from matrix.memory.explain import ranking
from matrix.memory.recall import RRF_K, Ranked, Recall


def _ranked(
    content: str, score: float, lexical: int | None, vector: int | None, lead: float = 0.0
) -> Ranked:
    entry = {"memory_id": content[:8], "content": content, "status": "promoted", "salience": 0.8,
             "valid_at": datetime(2026, 11, 2, tzinfo=UTC)}  # fmt: skip
    return Ranked(entry=entry, score=score, lexical_rank=lexical, lexical_score=1.5 if lexical else 0.0,
                  vector_rank=vector, vector_score=0.7 if vector else 0.0, lead=lead)  # fmt: skip


def test_ranking_splits_each_score_into_rrf_per_search_the_lead_and_the_prior() -> None:
    both = 1 / (RRF_K + 1) + 1 / (RRF_K + 2) + 0.018 + 0.004
    recall = Recall(entries=(_ranked("Our accountant is Rui.", both, 1, 2, lead=0.018),
                             _ranked("The shop is closed on Saturdays.", 1 / 63 + 0.003, 3, None)))  # fmt: skip
    first, second = ranking(recall)
    assert (first["place"], first["bm25_rank"], first["cosine_rank"]) == (1, 1, 2)
    assert first["rrf_bm25"] == pytest.approx(1 / 61) and first["rrf_cosine"] == pytest.approx(
        1 / 62
    )
    assert first["bm25_lead"] == pytest.approx(0.018) and first["prior"] == pytest.approx(0.004)
    assert first["score"] == pytest.approx(both)
    assert second["cosine_rank"] is None and second["rrf_cosine"] == 0.0
    assert second["rrf"] == pytest.approx(1 / 63) and second["prior"] == pytest.approx(0.003)


def test_the_recall_figure_stacks_the_parts_and_says_when_it_is_empty() -> None:
    rows = ranking(Recall(entries=(_ranked("Our accountant is Rui.", 1 / 61 + 0.004, 1, None),)))
    figure = viz.recall_scores(rows)
    assert [bar.name for bar in figure.data] == [
        "BM25: 1/(60 + rank)",
        "cosine: 1/(60 + rank)",
        "BM25 lead",
        "prior",
    ]
    assert figure.data[0].x[0] == pytest.approx(1 / 61) and figure.layout.barmode == "stack"
    empty = viz.recall_scores([])
    assert "long memory had no fact" in empty.layout.annotations[0].text.lower()
