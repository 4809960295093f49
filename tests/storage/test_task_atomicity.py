"""A task's work commits with its completion or not at all, on both backends; nested transactions
never commit half a unit of work."""

from __future__ import annotations

import pytest

from matrix.app import build
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.config import Settings
from matrix.errors import StorageError
from matrix.modules.agenda.handlers import schedule_commitment
from matrix.modules.crm import outbound
from matrix.modules.tasks import TaskFailure, backoff
from matrix.providers.evolution import EvolutionTransport
from matrix.runtime import TaskContext, Worker
from matrix.storage import Store, open_store
from matrix.testing.gateway import EvolutionGateway

MEETING = "Schedule a meeting with Ana on Friday at 10am"


def _appointments(store: Store) -> int:
    return len(store.modules.appointments.find("acme"))


def test_a_failed_task_leaves_no_trace_of_its_work_and_the_retry_does_it_once(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    concierge.interact("acme", "s1", MEETING)
    calls = {"n": 0}

    def flaky(ctx: TaskContext) -> str:
        summary = schedule_commitment(ctx)  # books the appointment and its reminder
        calls["n"] += 1
        if calls["n"] == 1:
            raise TaskFailure("PROVIDER_SEND_ERROR", "failed after booking", retryable=True)
        return summary

    worker = Worker(store, {"agenda.commitment.schedule": flaky}, clock=clock)
    assert worker.run_once().retried == 1
    assert _appointments(store) == 0 and store.side_effects.count("acme") == 0
    assert store.modules.reminders.find("acme") == []
    clock.advance(backoff(1))
    assert worker.run_once().completed == 1
    assert _appointments(store) == 1 and len(store.modules.reminders.find("acme")) == 1
    assert store.side_effects.count("acme", kind="agenda.appointment") == 1


@pytest.mark.postgres
def test_a_lost_claim_rolls_the_work_back(postgres_url: str, clock: FrozenClock) -> None:
    """On PostgreSQL another worker can take a task over while our work is open. (On DuckDB one
    process writes at a time and holds the file for the whole work transaction, so a takeover
    can only happen before it begins, and then the work's completion finds the claim gone.)"""
    settings = Settings.load(storage_url=postgres_url, provider_mode="local")
    store = open_store(settings=settings, clock=clock, migrate=True)
    store.tenants.add("acme", "ACME")
    build(settings, store=store, clock=clock).concierge.interact("acme", "s1", MEETING)

    def taken_over(ctx: TaskContext) -> str:
        summary = schedule_commitment(ctx)
        # Meanwhile our lease ran out and another worker claimed the task (its own commit).
        with store.backend.independent_transaction() as tx:
            tx.execute(
                "UPDATE task_queue SET claimed_by = 'w-other' WHERE task_id = ?",
                [ctx.task.task_id],
            )
        return summary

    stats = Worker(store, {"agenda.commitment.schedule": taken_over}, clock=clock).run_once()
    assert (stats.completed, stats.lost) == (0, 1)
    assert _appointments(store) == 0 and store.side_effects.count("acme") == 0
    assert store.events.count("acme", name="module.task.completed") == 0
    store.close()


def test_a_task_takes_two_transactions(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    concierge.interact("acme", "s1", MEETING)
    opened: list[int] = []
    original = store.backend.transaction
    depth = {"n": 0}

    def counting():  # type: ignore[no-untyped-def]
        depth["n"] += 1
        if depth["n"] == 1:
            opened.append(1)
        context = original()

        class Wrapped:
            def __enter__(self):  # type: ignore[no-untyped-def]
                return context.__enter__()

            def __exit__(self, *exc):  # type: ignore[no-untyped-def]
                depth["n"] -= 1
                return context.__exit__(*exc)

        return Wrapped()

    store.backend.transaction = counting  # type: ignore[method-assign]
    try:
        stats = Worker(
            store, {"agenda.commitment.schedule": schedule_commitment}, clock=clock
        ).run_once()
    finally:
        store.backend.transaction = original  # type: ignore[method-assign]
    assert stats.completed == 1
    assert len(opened) == 2  # the claim, then the work with its completion


def test_a_nested_failure_caught_inside_dooms_the_outer_transaction(store: Store) -> None:
    store.tenants.add("acme")
    with pytest.raises(StorageError, match="nested unit of work failed"), store.transaction():
        store.tenants.add("kept-out-1")
        try:
            with store.transaction():
                store.tenants.add("kept-out-2")
                raise ValueError("inner step failed")
        except ValueError:
            pass
    assert store.tenants.get("kept-out-1") is None and store.tenants.get("kept-out-2") is None
    with store.transaction():  # the next transaction starts clean
        store.tenants.add("after")
    assert store.tenants.get("after") is not None


def test_a_repeated_send_gets_the_first_message_id_from_the_gateway(
    store: Store, clock: FrozenClock
) -> None:
    """The dispatcher passes each message's key; a resend after a crash is answered with the id
    of the first send, and that is the id recorded."""
    from matrix.modules.context import Work

    store.tenants.add("acme")
    with EvolutionGateway(api_key="k") as gateway:
        transport = EvolutionTransport(base_url=gateway.url, api_key="k", instance_id="main")
        first = transport.send(
            tenant_id="acme", phone_e164="+5511999990000", text="Oi", idempotency_key="x:1"
        )
        message, new = outbound.enqueue(store, Work.new("acme", clock), context_type="manual", context_id="n",
                                        phone="+5511999990000", text="Oi", idempotency_key="x:1")  # fmt: skip
        assert new
        stats = outbound.dispatch_due(store, transport, clock, on_outcome={})
        assert stats.sent == 1 and len(gateway.delivered) == 1
        assert [s["key"] for s in gateway.seen] == ["x:1", "x:1"]
    stored = store.modules.outbound.get("acme", message["message_id"])
    assert stored is not None and stored["provider_message_id"] == first
