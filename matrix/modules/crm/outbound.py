"""Persona 2's outbound WhatsApp queue: one row per message, idempotent, retried, dead-lettered.

A message is enqueued with an idempotency key (``reminder:<id>``, ``collection:<charge>:<n>``,
``followup:<task>``); enqueuing the same key again returns the stored message. The dispatcher
sends due messages through a :class:`Transport`, passing the key so the provider can drop a
duplicate; a retryable failure waits (backoff) and tries again, up to ``max_attempts``; then the
message is ``dead`` with its last error. Each outcome is reported on the message's correlation by
the module that asked for it (reminder, collection, follow-up events).

This is the transactional outbox: a task queues its message in the same transaction as the rest
of its work, so a message exists exactly when the work committed. Sending is at least once — a
dispatcher that dies between the send and recording it leaves the message ``sending``, and after
:data:`SENDING_TIMEOUT` it is sent again with the same key — and the gateway answers a repeated
key with the first message id, which is the one recorded. A send's result and its outcome commit
together, once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from matrix import envelopes as env
from matrix.clock import Clock
from matrix.errors import MatrixError, UsageError
from matrix.modules import values
from matrix.modules.context import Outcome, Work
from matrix.modules.ports import ModuleStore, Record, Transport
from matrix.modules.tasks import backoff

CONTEXTS = ("reminder", "collection", "followup", "manual", "conversation")
DEFAULT_MAX_ATTEMPTS = 5
SENDING_TIMEOUT = timedelta(minutes=5)


class TransportError(MatrixError):
    """A send failed: a stable ``code``, a sanitised message, and whether a retry may succeed."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable


@dataclass
class RecordingTransport:
    """A transport for tests and simulations: records what it sent, fails as scripted.

    ``failures`` is a list of (code, retryable) consumed one per send; ``fail_rate`` with ``rng``
    fails at random. A repeated idempotency key returns the first message id, as Evolution does.
    """

    failures: list[tuple[str, bool]] = field(default_factory=list)
    fail_rate: float = 0.0
    rng: Any = None
    sent: list[dict[str, str]] = field(default_factory=list)
    attempts: int = 0

    def send(self, *, tenant_id: str, phone_e164: str, text: str, idempotency_key: str) -> str:
        self.attempts += 1
        if self.failures:
            code, retryable = self.failures.pop(0)
            raise TransportError(code, f"scripted failure {code}", retryable=retryable)
        if self.fail_rate and self.rng is not None and self.rng.random() < self.fail_rate:
            raise TransportError(
                "PROVIDER_SEND_ERROR", "simulated provider failure", retryable=True
            )
        for item in self.sent:
            if item["idempotency_key"] == idempotency_key:
                return item["provider_message_id"]
        message_id = f"wamid-{len(self.sent) + 1:06d}"
        self.sent.append({"tenant_id": tenant_id, "phone_e164": phone_e164, "text": text,
                          "idempotency_key": idempotency_key, "provider_message_id": message_id})  # fmt: skip
        return message_id


def enqueue(
    store: ModuleStore, work: Work, *, context_type: str, context_id: str, phone: str, text: str,
    idempotency_key: str, max_attempts: int = DEFAULT_MAX_ATTEMPTS, available_at: datetime | None = None,
) -> tuple[Record, bool]:  # fmt: skip
    """Queue one message, due at ``available_at`` (default: now); returns it and whether it is new."""
    values.phone(phone)
    if context_type not in CONTEXTS:
        raise UsageError(
            f"Unknown outbound context {context_type!r}; use one of {', '.join(CONTEXTS)}."
        )
    with store.transaction():
        found = store.modules.outbound.find(
            work.tenant_id, idempotency_key=idempotency_key, limit=1
        )
        if found:
            return found[0], False
        now = work.clock.now()
        message = {
            "message_id": env.new_id(), "tenant_id": work.tenant_id, "idempotency_key": idempotency_key,
            "context_type": context_type, "context_id": context_id, "phone_e164": phone, "text": text,
            "status": "queued", "attempts": 0, "max_attempts": max_attempts, "available_at": available_at or now,
            "provider_message_id": None, "error_code": None, "error_message": None,
            "correlation_id": work.correlation_id, "trace_id": work.trace_id,
            "causation_id": work.causation_id, "created_at": now, "updated_at": now,
        }  # fmt: skip
        store.modules.outbound.insert(message)
    return message, True


@dataclass(kw_only=True)
class DispatchStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0


def dispatch_due(
    store: ModuleStore,
    transport: Transport,
    clock: Clock,
    *,
    on_outcome: Mapping[str, Outcome],
    limit: int = 50,
    tenants: Collection[str] | None = None,
) -> DispatchStats:
    """Send every due queued message (of every tenant, or of ``tenants``), oldest first."""
    stats = DispatchStats()
    now = clock.now()
    # A message left "sending" by a dispatcher that died is picked up again after a while; the
    # idempotency key lets the gateway drop the duplicate if the first send did go out.
    due = store.modules.outbound.due(
        [("queued", "available_at", now), ("sending", "updated_at", now - SENDING_TIMEOUT)],
        order="available_at, created_at", limit=limit, tenants=tenants,
    )  # fmt: skip
    for message in due:
        claimed = store.modules.outbound.update(message["tenant_id"], message["message_id"],
                                                {"status": "sending", "updated_at": clock.now()},
                                                expect={"status": message["status"], "updated_at": message["updated_at"]})  # fmt: skip
        if not claimed:
            continue  # another dispatcher took it
        work = Work(tenant_id=message["tenant_id"], clock=clock, correlation_id=message["correlation_id"],
                    trace_id=message["trace_id"], causation_id=message["causation_id"])  # fmt: skip
        attempt = message["attempts"] + 1
        try:
            provider_id = transport.send(tenant_id=message["tenant_id"], phone_e164=message["phone_e164"],
                                         text=message["text"], idempotency_key=message["idempotency_key"])  # fmt: skip
        except TransportError as exc:
            final = not exc.retryable or attempt >= message["max_attempts"]
            changes: Record = {"status": "dead" if final else "queued", "attempts": attempt, "error_code": exc.code,
                               "error_message": exc.message[:500], "updated_at": clock.now()}  # fmt: skip
            if not final:
                changes["available_at"] = clock.now() + backoff(attempt)
            _settle(
                store, work, on_outcome, message, changes, "dead" if final else "failed", exc.code
            )
            if final:
                stats.dead += 1
            else:
                stats.retried += 1
            continue
        changes = {"status": "sent", "attempts": attempt, "provider_message_id": provider_id,
                   "updated_at": clock.now()}  # fmt: skip
        _settle(store, work, on_outcome, message, changes, "sent", None)
        stats.sent += 1
    return stats


def _settle(
    store: ModuleStore, work: Work, on_outcome: Mapping[str, Outcome], message: Record,
    changes: Record, outcome: str, error: str | None,
) -> None:  # fmt: skip
    """Record a send's result and let the module that asked for the message report it."""
    with store.transaction():
        if not store.modules.outbound.update(message["tenant_id"], message["message_id"], changes,
                                             expect={"status": "sending"}):  # fmt: skip
            return  # a dispatcher that took the message over after ours stalled settled it first
        handler = on_outcome.get(message["context_type"])
        if handler:
            handler(store, work, {**message, **changes}, outcome, error, outcome == "failed")
