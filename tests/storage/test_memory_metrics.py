"""The memory metrics of the catalog, on both backends, computed from the rows the concierge writes
when it answers a few owner messages: hits and misses, and one recall whose embedder failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.errors import ProviderError
from matrix.metrics import compute
from matrix.storage import Store

MEMORY_METRICS = ("memory_recall_latency_p95_ms", "memory_recall_tokens_p95", "memory_hit_ratio",
                  "memory_degraded_ratio")  # fmt: skip


class _DownEmbedder:
    """A remote embedding service that is down (the recall then ranks by BM25 alone)."""

    model, dimension, remote = "remote-test-embedder", 8, True

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise ProviderError("The embedding service is down.", code="memory_embed_down")


def _no_embedder(ai: Any, mode: str | None = None) -> None:
    return None


def _down(ai: Any, mode: str | None = None) -> _DownEmbedder:
    return _DownEmbedder()


@pytest.fixture
def answered(concierge: Concierge, clock: FrozenClock) -> Concierge:
    """Four owner messages: nothing to recall yet, a question memory answers, a greeting it has
    nothing for, and the question again while the embedder is down."""
    memory = concierge.memory
    assert memory is not None
    memory.embedders = _no_embedder  # no vector search: the ranks are BM25's, known in advance
    for text in ("Our accountant is Ana Souza.", "Who is our accountant?", "Good morning!"):
        concierge.interact("acme", "owner-1", text)
        clock.advance(60)
    memory.embedders = _down
    concierge.interact("acme", "owner-1", "Who is our accountant?")
    return concierge


def _recall_rows(store: Store) -> list[tuple[Any, ...]]:
    with store.backend.transaction() as tx:
        return tx.query(
            "SELECT status, latency_ms, input_tokens, error_code, feature, name FROM telemetry"
            " WHERE tenant_id = 'acme' AND kind = 'memory_recall' ORDER BY recorded_at"
        )


def test_the_concierge_writes_one_recall_row_per_owner_message(
    answered: Concierge, store: Store
) -> None:
    rows = _recall_rows(store)
    assert [r[0] for r in rows] == ["miss", "hit", "miss", "hit"]
    assert [r[3] for r in rows] == [None, None, None, "memory_embed_down"]
    assert rows[0][2] == 0  # the session's first message: memory had nothing to add
    assert all(r[2] > 0 for r in rows[1:])  # the session's turns at least
    assert {(r[4], r[5]) for r in rows} == {("memory", "memory.recall")}


def test_each_memory_metric_computes_a_real_value(
    answered: Concierge, store: Store, clock: FrozenClock
) -> None:
    window = {"since": clock.now() - timedelta(days=1), "until": clock.now() + timedelta(days=1)}
    results = {name: compute(store, name, tenant_id="acme", grain="all", **window)
               for name in MEMORY_METRICS}  # fmt: skip
    rows = _recall_rows(store)
    latencies = [float(r[1]) for r in rows]
    tokens = [float(r[2]) for r in rows]
    # quantile_cont interpolates linearly between ranks, as numpy's default percentile does.
    assert results["memory_recall_latency_p95_ms"].total == pytest.approx(
        float(np.percentile(latencies, 95))
    )
    assert results["memory_recall_tokens_p95"].total == pytest.approx(
        float(np.percentile(tokens, 95))
    )
    assert results["memory_hit_ratio"].total == pytest.approx(2 / 4)
    assert results["memory_degraded_ratio"].total == pytest.approx(1 / 4)
    for name, result in results.items():
        assert result.empty_reason is None and result.provenance["rows_read"] == 4, name
        assert result.metric.target is not None and result.status in ("ok", "breach"), name
    assert results["memory_recall_tokens_p95"].status == "ok"  # within the 2,000-token budget
    assert results["memory_degraded_ratio"].status == "breach"  # one recall in four, above 2 %


def test_memory_metrics_say_why_they_are_empty_before_any_message(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    window = {"since": clock.now() - timedelta(days=1), "until": clock.now() + timedelta(days=1)}
    for name in MEMORY_METRICS:
        result = compute(store, name, tenant_id="acme", grain="all", **window)
        assert result.total is None and "kind = 'memory_recall'" in (result.empty_reason or "")


def test_a_remote_query_embedding_is_a_priced_provider_call(
    concierge: Concierge, store: Store, openai_server: Any
) -> None:
    """The turn's text embedded by OpenAI (the real SDK, over HTTP to the local server) is one
    ``provider_call`` row with the tokens the API counted, under the bare model name that
    prices are kept by — and it appears in the cost report."""
    from matrix.metrics.costs import ai_cost
    from matrix.providers.embeddings import OpenAIEmbedder
    from matrix.providers.openai import OpenAIProvider

    remote = OpenAIEmbedder(OpenAIProvider(api_key="sk-test-0123456789abcdef", max_retries=0,
                                           model="text-embedding-3-small",
                                           base_url=openai_server.base_url, timeout=5.0))  # fmt: skip
    memory = concierge.memory
    assert memory is not None
    memory.embedders = lambda ai, mode=None: remote
    answer = concierge.interact("acme", "owner-1", "Who is our accountant these days?")
    with store.backend.transaction() as tx:
        rows = tx.query(
            "SELECT name, feature, provider, model, input_tokens, status, correlation_id"
            " FROM telemetry WHERE tenant_id = 'acme' AND feature = 'memory_embedding'"
        )
    assert openai_server.count("embeddings") >= 1
    (row,) = rows
    assert row[:4] == ("memory.embed", "memory_embedding", "openai", "text-embedding-3-small")
    assert row[4] > 0 and row[5] == "ok" and row[6] == answer.owner_command.correlation_id
    clock_now = concierge.clock.now()
    report = ai_cost(store, "acme", since=clock_now - timedelta(days=1),
                     until=clock_now + timedelta(days=1), by="model")  # fmt: skip
    assert "text-embedding-3-small" in {r["model"] for r in report.rows}
