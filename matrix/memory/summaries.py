"""Episode summaries from the tenant's own model.

An episode is stored with an extractive summary (``summary_source`` ``extractive``: the owner's
most salient statements), so recall never waits on a model. When the tenant has its own AI key,
the scheduler's ``memory`` job later asks that model for a summary of one or two sentences
(structured output, outside any transaction) and replaces the extractive one (``provider``). A
failure leaves the extractive summary and is tried again later, with a growing wait, at most
:data:`MAX_ATTEMPTS` times; at most :data:`PER_TICK` episodes are asked for per run of the job.
Every call is a ``provider_call`` telemetry row of feature ``memory_summary``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from matrix import envelopes as env
from matrix.concierge.ports import IntentClassifier, IntentRequest
from matrix.errors import MatrixError, ProviderError
from matrix.memory.ports import Record
from matrix.memory.reembed import Context

if TYPE_CHECKING:
    from matrix.concierge.ports import IntentOutput, TenantAI

FEATURE = "memory_summary"
KEY = "openai.api_key"
PER_TICK = 5
MAX_ATTEMPTS = 5
MAX_CHARS = 600
TURN_CHARS = 600
INSTRUCTIONS = (
    "You summarise part of a conversation between a business owner and their assistant, for the"
    " assistant to remember later. Write one or two sentences in the conversation's language:"
    " what the owner said, decided or asked for. State only what the conversation says; no"
    " greeting, no advice."
)
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string", "description": "one or two sentences"}},
    "required": ["summary"],
    "additionalProperties": False,
}
Models = Callable[["TenantAI"], IntentClassifier | None]
"""The structured model of a tenant with its own key (None: it has none)."""


def backoff(attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failures: 2, 4, 8, 16 minutes..."""
    return timedelta(minutes=2**attempts)


def summarise_due(ctx: Context, models: Models, *, limit: int = PER_TICK) -> int:
    """Ask for the due episodes' summaries (at most ``limit``); how many were replaced."""
    store, now = ctx.store, ctx.clock.now()
    tenants = store.runtime_config.tenants_with_secret(KEY)
    if not tenants:
        return 0
    due = store.memory_maintenance.episodes_to_summarise(
        sorted(tenants), now, limit=limit, max_attempts=MAX_ATTEMPTS
    )
    return sum(_summarise(ctx, models, episode) for episode in due)


def _summarise(ctx: Context, models: Models, episode: Record) -> bool:
    store, tenant_id = ctx.store, episode["tenant_id"]
    repo = store.memory_maintenance
    attempts = int(episode["summary_attempts"]) + 1

    def failed(give_up: bool = False) -> bool:
        at = ctx.clock.now()
        repo.summary_failed(tenant_id, episode["episode_id"],
                            MAX_ATTEMPTS if give_up else attempts,
                            None if give_up else at + backoff(attempts))  # fmt: skip
        return False

    try:
        ai = ctx.ai_of(tenant_id)
    except MatrixError:  # the tenant's runtime cannot be read (its rules are invalid): later
        return failed()
    model = models(ai) if ai is not None and ai.api_key else None
    if model is None:
        return failed()
    first, last = int(episode["first_turn"]), int(episode["last_turn"])
    turns = [t for t in store.memory.turns(tenant_id, episode["session_id"], last - first + 1 + 40)
             if first <= t["turn_no"] <= last]  # fmt: skip
    if not turns:  # the session's window has moved past them: the extractive summary stays
        return failed(give_up=True)
    transcript = "\n".join(
        f"{'owner' if t['role'] == 'user' else 'assistant'}: {t['content'][:TURN_CHARS]}"
        for t in turns
    )
    request = IntentRequest(tenant_id=tenant_id, text=transcript, instructions=INSTRUCTIONS,
                            schema=SCHEMA, schema_name="episode_summary")  # fmt: skip
    row: Record = {"tenant_id": tenant_id, "kind": "provider_call", "name": "memory.summary",
                   "module": env.OWNER, "feature": FEATURE, "correlation_id": None}  # fmt: skip
    try:
        out = model.classify(request)
    except ProviderError as exc:
        store.telemetry.insert_many([row | {
            "recorded_at": ctx.clock.now(), "status": "error", "provider": exc.provider or "openai",
            "model": ai.model if ai is not None else None, "error_code": exc.code,
        }])  # fmt: skip
        return failed()
    summary = _read(out.data)
    at = ctx.clock.now()
    usage = _usage(out) | {"recorded_at": at}
    if summary is None:
        store.telemetry.insert_many([row | usage | {"status": "error",
                                                    "error_code": "memory_summary_invalid_output"}])  # fmt: skip
        return failed()
    with store.transaction():
        replaced = repo.summarised(tenant_id, episode["episode_id"], summary, at)
        store.telemetry.insert_many([row | usage])
    return replaced


def _read(data: Any) -> str | None:
    """The summary in the model's output, trimmed, or None when there is none."""
    text = data.get("summary") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        return None
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def _usage(out: IntentOutput) -> Record:
    return {"status": "ok", "provider": out.provider, "model": out.model,
            "latency_ms": float(out.latency_ms), "input_tokens": out.usage.input,
            "cached_tokens": out.usage.cached, "output_tokens": out.usage.output,
            "reasoning_tokens": out.usage.reasoning}  # fmt: skip
