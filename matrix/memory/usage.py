"""What a remote embedding call costs, counted the same way for a turn's recall and for the
re-embedding job: its tokens, its latency, and the ``provider_call`` telemetry row the cost
report prices (by the bare model name, as for chat)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.memory.ports import Embedder, Record


def embed_counted(embedder: Embedder, texts: Sequence[str]) -> tuple[list[list[float]], int, float]:
    """The vectors, the input tokens the provider counted (0 for a local model), and the
    milliseconds the call took. A failure is the embedder's ProviderError."""
    started = time.perf_counter()
    with_usage = getattr(embedder, "embed_with_usage", None)
    if with_usage is None:
        vectors, tokens = embedder.embed(texts), 0
    else:
        embedded: Any = with_usage(texts)
        vectors, tokens = embedded.vectors, int(embedded.usage.input)
    return vectors, tokens, (time.perf_counter() - started) * 1000


def call_row(
    tenant_id: str, embedder: Embedder, *, name: str, at: datetime, tokens: int,
    latency_ms: float, correlation_id: str | None, error_code: str | None = None,
) -> Record:  # fmt: skip
    """The ``provider_call`` row of one remote embedding call (feature ``memory_embedding``)."""
    return {
        "tenant_id": tenant_id, "recorded_at": at, "kind": "provider_call", "name": name,
        "module": env.OWNER, "feature": "memory_embedding",
        "status": "error" if error_code else "ok", "provider": embedder.model.split(":")[0],
        "model": getattr(embedder, "provider_model", embedder.model), "input_tokens": tokens,
        "output_tokens": 0, "latency_ms": latency_ms, "correlation_id": correlation_id,
        "error_code": error_code,
    }  # fmt: skip
