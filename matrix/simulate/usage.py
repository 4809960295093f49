"""The AI workload of each simulated tenant's day beyond the owner requests the simulation drives
one by one: the concierge's other conversations, the intent classifier, Persona 2's drafts and
qualifications for a day of WhatsApp traffic, memory's embeddings and episode summaries, and the
transcription of voice notes. Each is a ``provider_call`` telemetry row, as the product records
one, with the provider, model and feature, tokens (or audio seconds) drawn around realistic
per-call sizes (:data:`~matrix.simulate.traffic.WORKLOAD`), a latency and a small error rate.

They carry no correlation id: they are usage, not traces (the requests the simulation drives
through the runtime keep theirs). Their cost comes from the price table at query time, as every
call's does. The draws use their own random stream per tenant, so the rest of the simulation is
the same with or without them, and a seed gives the same rows on every run.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from matrix.simulate.traffic import WORKLOAD
from matrix.storage import Store

ERROR_RATE = 0.01
ERROR_CODE = "openai_all_endpoints_failed"


def tenant_size(daily_requests: float) -> float:
    """How busy a tenant is against the workload's reference tenant (6 owner requests a day)."""
    return daily_requests / 6.0


def workload_day(tenant_id: str, day: datetime, *, size: float, seed: int) -> list[dict[str, Any]]:
    """The provider calls of ``tenant_id`` on ``day`` (00:00 UTC), in time order. Weekends carry
    a third of a weekday's calls; each tenant keeps its models for the whole run."""
    models = random.Random(f"{seed}:models:{tenant_id}")
    picks = {(feature, name): models.choice(choices) for feature, name, _, choices, *_ in WORKLOAD}
    rng = random.Random(f"{seed}:usage:{tenant_id}:{day:%Y-%m-%d}")
    scale = size * (0.3 if day.weekday() >= 5 else 1.0)
    rows: list[dict[str, Any]] = []
    for (
        feature,
        name,
        module,
        _,
        per_day,
        tokens_in,
        tokens_out,
        cached,
        audio,
        latency,
    ) in WORKLOAD:
        mean = per_day * scale
        calls = max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
        model = picks[(feature, name)]
        for _ in range(calls):
            at = day + timedelta(hours=rng.uniform(7, 21))
            row: dict[str, Any] = {
                "tenant_id": tenant_id, "recorded_at": at, "kind": "provider_call", "name": name,
                "module": module, "provider": "openai", "model": model, "feature": feature,
                "correlation_id": None, "latency_ms": round(rng.lognormvariate(math.log(latency), 0.4), 1),
            }  # fmt: skip
            if rng.random() < ERROR_RATE:
                rows.append(row | {"status": "error", "error_code": ERROR_CODE})
                continue
            row["status"] = "ok"
            if audio:
                row["audio_seconds"] = round(rng.lognormvariate(math.log(audio), 0.6), 1)
            else:
                size_in = max(1, round(rng.lognormvariate(math.log(tokens_in), 0.4)))
                row["input_tokens"] = size_in
                row["cached_tokens"] = round(size_in * cached * rng.uniform(0.6, 1.0))
                if tokens_out:
                    out = max(1, round(rng.lognormvariate(math.log(tokens_out), 0.5)))
                    reasoning = (
                        round(out * rng.uniform(0.2, 0.6)) if model.startswith("gpt-5") else 0
                    )
                    row["output_tokens"], row["reasoning_tokens"] = out + reasoning, reasoning
            rows.append(row)
    rows.sort(key=lambda r: r["recorded_at"])
    return rows


def write_workload(
    store: Store, tenants: dict[str, float], start: datetime, days: int, seed: int
) -> int:
    """Write every tenant's workload for ``days`` days from ``start`` (00:00 UTC); ``tenants``
    maps each tenant to its size. Returns how many calls were written."""
    written = 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        rows = [
            r
            for tenant, size in tenants.items()
            for r in workload_day(tenant, day, size=size, seed=seed)
        ]
        if rows:
            store.telemetry.insert_many(rows)
            written += len(rows)
    return written
