"""One request end to end, as an LLM-observability tool shows it: steps on real time in lanes
(command, decision, approval, AI call, task, events, memory), each with the details a person
reads, and the tenant's requests found by correlation id, a customer's name or words.

    trace = traces.open_trace(store, "acme", correlation_id)
    trace.steps[0].lane, trace.steps[0].details     # "command", {"text": "Write off …", …}
    found = traces.find(store, "acme", since=…, until=…, term="Pedro")

The AI call is the provider-call telemetry of the correlation (provider, model, tokens in and out,
latency, cost at the price in force) with the reply the owner read (``owner.response.sent``).
Every read names its tenant: another tenant's correlation id finds nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from matrix import formats
from matrix.envelopes import Envelope, parse_timestamp
from matrix.errors import NotFoundError, UsageError
from matrix.metrics.costs import trace_calls

LANES = ("command", "decision", "approval", "AI call", "task", "events", "memory")
PREFIXES = (("owner.command", "command"), ("owner.decision", "decision"),
            ("owner.confirmation", "approval"), ("owner.response", "AI call"),
            ("module.task", "task"), ("owner.memory", "memory"), ("owner.context", "memory"),
            ("memory.", "memory"))  # fmt: skip
REQUESTS = ("owner.command.create", "crm.message.received")
PAGE_SIZE = 50
MAX_PAGES = 200  # 10,000 requests back: further is a search, not paging
MAX_TERM = 200
FAILED = ("failed", "error", "rejected", "dead", "refused", "blocked")
# A request's calls are recorded within this long of its first envelope.
CALL_WINDOW = timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing that happened on the trace, as a person reads it."""

    at: datetime
    lane: str
    name: str
    status: str
    summary: str
    details: dict[str, str] = field(default_factory=dict)
    duration_ms: float | None = None
    """How long it took, when it was a span (an AI call, a recall), else None."""

    @property
    def failed(self) -> bool:
        return self.status in FAILED


@dataclass(frozen=True, kw_only=True)
class Trace:
    tenant_id: str
    correlation_id: str
    events: tuple[Envelope, ...]
    steps: tuple[Step, ...]
    calls: tuple[dict[str, Any], ...] = ()

    @property
    def ai_cost_usd(self) -> float | None:
        """What the request's AI calls cost (None when one of them has no price)."""
        costs = [c["cost_usd"] for c in self.calls]
        return None if any(c is None for c in costs) else sum(costs)


@dataclass(frozen=True, kw_only=True)
class Request:
    """A request to choose: an owner's message or a WhatsApp message Persona 2 read."""

    correlation_id: str
    at: datetime
    label: str


def check_correlation(value: Any) -> str:
    """A correlation id as the store keeps them (a UUID), or a message saying what one is."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        return str(uuid.UUID(text[:64] if len(text) <= 64 else ""))
    except ValueError:
        shown = text[:40] + ("…" if len(text) > 40 else "")
        raise UsageError(
            f"The correlation id {shown!r} is not one: it is a UUID such as"
            " 1b4e28ba-2fa1-4d3b-883f-0016d3cca427. Pick a request from the list, or search by"
            " a customer's name or words of the message."
        ) from None


def open_trace(store: Any, tenant_id: str, correlation_id: Any, tz: str | None = None) -> Trace:
    """The trace of ``correlation_id`` in ``tenant_id``, its steps oldest first.

    Raises:
        UsageError: the id is not a correlation id.
        NotFoundError: the tenant has no envelope with it (another tenant's reads the same).
    """
    correlation = check_correlation(correlation_id)
    events = store.events.trace(tenant_id, correlation)
    if not events:
        raise NotFoundError(
            f"No request of tenant {tenant_id!r} has that correlation id; pick one from the"
            " list, or search by a customer's name or words of the message."
        )
    first = _at(events[0])
    calls = trace_calls(store, tenant_id, correlation, since=first - timedelta(minutes=5),
                        until=_at(events[-1]) + CALL_WINDOW)  # fmt: skip
    replies = [e for e in events if e["name"] == "owner.response.sent"]
    steps = [_call_step(c, replies, tz) for c in calls]
    answered = {c["name"] for c in calls} & {"owner.respond"}
    for event in events:
        if event["name"] == "owner.response.sent" and answered:
            continue  # shown as its provider call's reply
        steps.append(_event_step(event, tz))
    steps.sort(key=lambda s: s.at)
    return Trace(tenant_id=tenant_id, correlation_id=correlation, events=tuple(events),
                 steps=tuple(steps), calls=tuple(calls))  # fmt: skip


def find(store: Any, tenant_id: str, *, since: datetime, until: datetime, term: str | None = None,
         page: int = 1, tz: str | None = None) -> list[Request]:  # fmt: skip
    """One page (of :data:`PAGE_SIZE`) of the tenant's requests in the window, newest first;
    with ``term``, those whose trace mentions it (a customer's name, words, a correlation id)."""
    if not isinstance(page, int) or isinstance(page, bool) or not 1 <= page <= MAX_PAGES:
        raise UsageError(f"The page must be a whole number from 1 to {MAX_PAGES}; got {page!r}.")
    words = (term or "").strip()
    if len(words) > MAX_TERM:
        raise UsageError(f"Search for at most {MAX_TERM} characters; got {len(words)}.")
    if words and len(words) < 2:
        raise UsageError("Search for at least 2 characters (a name, a word, a correlation id).")
    found = store.events.requests(tenant_id, REQUESTS, since=since, until=until, term=words or None,
                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)  # fmt: skip
    return [
        Request(correlation_id=e["correlation_id"], at=_at(e), label=_label(e, tz)) for e in found
    ]


def _label(event: Envelope, tz: str | None) -> str:
    when = formats.when(_at(event), tz)
    payload = event.get("payload") or {}
    if event["name"] == "crm.message.received":
        who = payload.get("push_name") or f"…{str(payload.get('phone_e164', ''))[-4:]}"
        return f"{when} · WhatsApp from {who}: {_short(payload.get('text'), 40)}"
    return f"{when} · {_short(payload.get('text'), 60)}"


def _short(text: Any, size: int) -> str:
    words = " ".join(str(text or "").split())
    return words if len(words) <= size else words[: size - 1] + "…"


def _at(event: Envelope) -> datetime:
    return parse_timestamp(str(event.get("created_at") or event.get("emitted_at")))


def _lane(name: str) -> str:
    return next((lane for prefix, lane in PREFIXES if name.startswith(prefix)), "events")


def _call_step(call: dict[str, Any], replies: list[Envelope], tz: str | None) -> Step:
    """A provider call: when it ended minus its latency is when it started."""
    latency = float(call["latency_ms"] or 0)
    end = call["at"] if call["at"].tzinfo else call["at"].replace(tzinfo=UTC)
    tokens_in, tokens_out = call["input_tokens"], call["output_tokens"]
    cost = "no price for this model" if call["unpriced"] else formats.money(call["cost_usd"])
    details = {
        "provider": str(call["provider"] or "—"), "model": str(call["model"] or "—"),
        "feature": str(call["feature"] or "—"), "status": str(call["status"]),
        "tokens in": formats.count(tokens_in), "tokens out": formats.count(tokens_out),
        "cached tokens": formats.count(call["cached_tokens"] or 0), "cost": cost,
        "latency": formats.duration(latency / 1000), "started": formats.when(end - timedelta(milliseconds=latency), tz, seconds=True),
    }  # fmt: skip
    if call["error_code"]:
        details["error"] = str(call["error_code"])
    reply = replies[0] if replies and call["name"] == "owner.respond" else None
    if reply is not None:
        details["reply"] = str(reply["payload"].get("text") or "")
        if reply["payload"].get("fallback_reason"):
            details["fallback"] = str(reply["payload"]["fallback_reason"])
    summary = (f"{call['provider']}/{call['model'] or '—'} · {formats.count(tokens_in)} in /"
               f" {formats.count(tokens_out)} out · {cost} · {formats.duration(latency / 1000)}")  # fmt: skip
    return Step(at=end - timedelta(milliseconds=latency), lane="AI call", name=str(call["name"]),
                status=str(call["status"]), summary=summary, details=details, duration_ms=latency)  # fmt: skip


def _event_step(event: Envelope, tz: str | None) -> Step:
    name, payload = event["name"], event.get("payload") or {}
    details = {"at": formats.when(_at(event), tz, seconds=True), "status": str(event.get("status") or "—"),
               "from": str(event.get("source_module")), "to": str(event.get("target_module"))}  # fmt: skip
    for key, value in payload.items():
        if isinstance(value, str | int | float | bool) or value is None:
            details[key.replace("_", " ")] = "—" if value is None else _short(value, 400)
    if isinstance(payload.get("facts"), list):
        details["facts"] = "\n".join(_short(f, 200) for f in payload["facts"])
    duration = payload.get("latency_ms") if name == "owner.memory.recalled" else None
    summary = {
        "owner.command.create": f"“{_short(payload.get('text'), 80)}”",
        "owner.decision.made": f"{payload.get('execution_decision')} by {payload.get('policy_rule_id')}"
        f" ({payload.get('reason_code')}) for {payload.get('task_type')}",
        "owner.response.sent": f"reply: {_short(payload.get('text'), 80)}",
        "owner.memory.recalled": f"{formats.count(payload.get('tokens'))} tokens of memory",
    }.get(name) or " · ".join(str(payload[k]) for k in ("task_type", "result_summary", "error_code",
                                                          "reason_code", "text") if payload.get(k)) or name  # fmt: skip
    at = _at(event)
    if duration:
        at -= timedelta(milliseconds=float(duration))
    return Step(at=at, lane=_lane(name), name=name, status=str(event.get("status") or "info"),
                summary=_short(summary, 120), details=details,
                duration_ms=float(duration) if duration else None)  # fmt: skip
