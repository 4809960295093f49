"""An owner interaction costs at most two transactions (three for a tenant whose own AI key brings
an intent classifier), and none is open during a provider call.

The store's backend is wrapped to count outermost ``transaction()`` entries (each one commit or
rollback; nested calls join the outer one), and the provider is wrapped to look at the store while
it is being asked: the interaction's own transaction depth must be zero and, on PostgreSQL, no
session of the database may sit "idle in transaction" (checked from a second connection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.concierge.ports import AssistantOutput, IntentOutput, IntentRequest, ProviderRequest
from matrix.config import Settings
from matrix.storage import Store, open_store
from matrix.testing.openai_server import Behavior, OpenAIServer

IDLE_IN_TRANSACTION = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
)


class Probe:
    """Counts the store's outermost transactions and what the provider saw when it was called."""

    def __init__(self, store: Store) -> None:
        self.outer = 0
        self.depth = 0
        self.seen: list[tuple[int, int]] = []  # (our depth, other open transactions) per call
        self._other = (
            open_store(settings=Settings.load(storage_url=store.settings.storage_url))
            if store.dialect == "postgres"
            else None
        )
        backend = store.backend
        real = backend.transaction

        @contextmanager
        def counted() -> Iterator[Any]:
            if self.depth == 0:
                self.outer += 1
            self.depth += 1
            try:
                with real() as tx:
                    yield tx
            finally:
                self.depth -= 1

        backend.transaction = counted  # type: ignore[method-assign]

    def provider_called(self) -> None:
        open_elsewhere = 0
        if self._other is not None:
            with self._other.backend.transaction() as tx:
                open_elsewhere = int(tx.query(IDLE_IN_TRANSACTION)[0][0])
        self.seen.append((self.depth, open_elsewhere))

    def reset(self) -> None:
        self.outer = 0
        self.seen.clear()

    def close(self) -> None:
        if self._other is not None:
            self._other.close()


class _Watched:
    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner, self._probe = inner, probe

    def respond(self, request: ProviderRequest) -> AssistantOutput:
        self._probe.provider_called()
        return self._inner.respond(request)  # type: ignore[no-any-return]


@pytest.fixture
def probe(concierge: Concierge, store: Store) -> Iterator[Probe]:
    watched = Probe(store)
    select: Callable[[Any], Any] = concierge.interaction.providers
    concierge.interaction.providers = lambda ai: _Watched(select(ai), watched)
    concierge.interact("acme", "warm-up", "Oi")  # first-use work is not the interaction's cost
    watched.reset()
    yield watched
    watched.close()


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("Agendar reunião com a Ana sexta às 10h", "task"),
        ("Write off Pedro's debt", "approval"),
        ("Oi, tudo bem?", "none"),
    ],
)
def test_an_interaction_is_two_transactions_none_open_across_the_provider_call(
    concierge: Concierge, store: Store, probe: Probe, text: str, outcome: str
) -> None:
    result = concierge.interact("acme", "s1", text)
    assert probe.outer == 2
    assert probe.seen == [(0, 0)]
    assert (result.confirmation is not None) == (outcome == "approval")
    assert len(result.downstream_tasks) == (1 if outcome == "task" else 0)
    corr = result.owner_command.correlation_id
    assert store.events.trace("acme", corr)  # the outcome was committed before the reply
    with store.backend.transaction() as tx:
        rows = tx.query(
            "SELECT kind, status FROM telemetry WHERE correlation_id = ? ORDER BY kind", [corr]
        )
    # The recall (first turn of the session: long memory has nothing) is measured beside the call.
    assert rows == [("memory_recall", "miss"), ("provider_call", "ok"), ("request", "ok")]


def test_a_blocked_claim_is_stored_in_the_second_transaction(
    concierge: Concierge, store: Store, probe: Probe
) -> None:
    class Boastful:
        def respond(self, request: ProviderRequest) -> AssistantOutput:
            return AssistantOutput(text="Done! The invoice was sent.", provider="local",
                                   model="boastful", latency_ms=1)  # fmt: skip

    concierge.interaction.providers = lambda ai: _Watched(Boastful(), probe)
    result = concierge.interact("acme", "s1", "Oi, tudo bem?")
    assert "claim_guard" in (result.assistant_output.fallback_reason or "")
    assert probe.outer == 2 and probe.seen == [(0, 0)]
    names = [e["name"] for e in store.events.trace("acme", result.owner_command.correlation_id)]
    assert "owner.response.claim.blocked" in names


class _WatchedClassifier:
    def __init__(self, inner: Any, probe: Probe) -> None:
        self._inner, self._probe = inner, probe

    def classify(self, request: IntentRequest) -> IntentOutput:
        self._probe.provider_called()
        return self._inner.classify(request)  # type: ignore[no-any-return]


def test_an_interaction_through_the_openai_client_holds_no_transaction(
    concierge: Concierge, store: Store, probe: Probe, openai_server: OpenAIServer
) -> None:
    """With its own key a tenant's message is classified too: its runtime is read in a
    transaction of its own, and neither the classifier nor the reply sees one open."""
    classifiers = concierge.interaction.classifiers
    assert classifiers is not None
    concierge.interaction.classifiers = lambda ai: (
        _WatchedClassifier(found, probe) if (found := classifiers(ai)) else None
    )
    concierge.save_config(
        "acme", {"openai": {"api_key": "sk-tx-0123456789", "base_url": openai_server.base_url}}
    )
    for text, outcome in (("Schedule a meeting with Ana", "task"), (WRITE_OFF, "approval")):
        probe.reset()
        result = concierge.interact("acme", "s1", text)
        assert result.assistant_output.provider == "openai"
        assert probe.outer == 3 and probe.seen == [(0, 0), (0, 0)]
        assert (result.confirmation is not None) == (outcome == "approval")

    # A strict provider that fails: the outcome stays stored and is returned with its id, the
    # provider error beside it, in the same transactions; the classifier's failure only hands the
    # routing to the rules.
    failing = Behavior(status=500)
    openai_server.script("responses", *[failing] * 4)
    openai_server.script("chat", *[failing] * 4)
    probe.reset()
    result = concierge.interact("acme", "s1", "Send a follow-up to Ana")
    assert probe.outer == 3 and probe.seen == [(0, 0), (0, 0)]
    assert result.provider_error is not None and result.provider_error.code
    [task] = result.downstream_tasks
    assert task.task_id in result.assistant_output.text
    assert store.tasks.get("acme", task.task_id) is not None
    with store.backend.transaction() as tx:
        rows = tx.query(
            "SELECT kind, name, status FROM telemetry WHERE status = 'error' ORDER BY kind, name"
        )
    assert rows == [("provider_call", "owner.classify", "error"),
                    ("provider_call", "owner.respond", "error"), ("request", "owner.interaction", "error")]  # fmt: skip


WRITE_OFF = "Write off Pedro's debt"


def test_resolving_a_confirmation_is_one_transaction(
    concierge: Concierge, store: Store, probe: Probe, clock: FrozenClock
) -> None:
    for decision in ("approve", "reject"):
        pending = concierge.interact("acme", "s1", WRITE_OFF).confirmation
        assert pending is not None
        probe.reset()
        resolution = concierge.resolve_confirmation(
            "acme", pending.confirmation_id, decision, actor="owner"
        )
        assert probe.outer == 1
        assert (resolution.downstream_task is not None) == (decision == "approve")
