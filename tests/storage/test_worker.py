"""The task queue and worker on both backends: events, retries, dead letters, side effects once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.modules.tasks import TaskFailure, backoff, queue_view
from matrix.runtime import Job, Scheduler, TaskContext, Worker
from matrix.storage import Store

FOLLOW_UP = "Send a follow-up to Ana on WhatsApp"  # → mod-02, Persona 2
MEETING = "Schedule a meeting with Ana on Friday"  # → mod-04


def _trace(store: Store, result: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        e["name"] for e in store.events.trace("acme", result["owner_command"]["correlation_id"])
    ]


def test_completed_task_emits_the_chain_and_delegation(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    result = concierge.interact("acme", "s1", FOLLOW_UP)
    sent: list[str] = []

    def send(ctx: TaskContext) -> str:
        message_id = ctx.effect(
            "whatsapp.send", lambda key: sent.append(ctx.task.input["text"]) or f"msg-{key[-6:]}"
        )
        return f"follow-up sent ({message_id})"

    stats = Worker(store, {"crm.followup.send": send}, clock=clock).drain()
    assert (stats.claimed, stats.completed) == (1, 1)
    assert _trace(store, result)[-3:] == [
        "module.task.accepted",
        "module.task.completed",
        "crm.delegation.sent",
    ]
    assert sent == [FOLLOW_UP]
    task = store.tasks.get("acme", result["downstream_tasks"][0]["task_id"])
    assert task is not None and task.status.value == "completed"
    assert task.result_summary is not None and task.result_summary.startswith(
        "follow-up sent (msg-"
    )


def test_task_without_handler_is_dead_lettered_with_a_reason(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    result = concierge.interact("acme", "s1", MEETING)
    stats = Worker(store, {}, clock=clock).drain()
    assert stats.dead == 1
    events = store.events.trace("acme", result["owner_command"]["correlation_id"])
    assert [e["name"] for e in events][-3:] == [
        "module.task.accepted",
        "module.task.failed",
        "module.task.dead_lettered",
    ]
    assert events[-1]["payload"]["error_code"] == "NO_HANDLER"
    assert "agenda.commitment.schedule" in events[-1]["payload"]["error_message"]
    assert store.tasks.counts("acme") == {"dead": 1}


def test_retryable_failures_back_off_then_succeed_without_repeating_effects(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    result = concierge.interact("acme", "s1", FOLLOW_UP)
    calls = {"n": 0, "effects": 0}

    def perform(key: str) -> str:
        calls["effects"] += 1
        return f"sent:{key}"

    def flaky(ctx: TaskContext) -> str:
        calls["n"] += 1
        assert ctx.effect("whatsapp.send", perform).startswith("sent:")
        if calls["n"] < 3:
            raise TaskFailure("PROVIDER_SEND_ERROR", "transport timed out", retryable=True)
        return "sent"

    worker = Worker(store, {"crm.followup.send": flaky}, clock=clock)
    assert worker.run_once().retried == 1
    assert worker.run_once().claimed == 0  # backing off: 2 s
    clock.advance(backoff(1))
    assert worker.run_once().retried == 1
    clock.advance(backoff(2) - timedelta(seconds=0.5))
    assert worker.run_once().claimed == 0
    clock.advance(1)
    assert worker.run_once().completed == 1
    # The message went out on the first attempt; the two retries reused the recorded result.
    assert calls == {"n": 3, "effects": 1}
    assert store.side_effects.count("acme") == 1
    names = _trace(store, result)
    assert names.count("module.task.failed") == 2 and names.count("crm.delegation.failed") == 2
    assert names[-2:] == ["module.task.completed", "crm.delegation.sent"]


def test_permanent_failure_goes_straight_to_dead_letter(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    concierge.interact("acme", "s1", MEETING)

    def refuse(ctx: TaskContext) -> str:
        raise TaskFailure("INVALID_INPUT", "no date in the request", retryable=False)

    stats = Worker(store, {"agenda.commitment.schedule": refuse}, clock=clock).drain()
    assert (stats.retried, stats.dead) == (0, 1)


def test_retries_are_bounded(concierge: Concierge, store: Store, clock: FrozenClock) -> None:
    concierge.interact("acme", "s1", MEETING)

    def always(ctx: TaskContext) -> str:
        raise RuntimeError("bug in handler")

    worker = Worker(store, {"agenda.commitment.schedule": always}, clock=clock)
    outcomes = []
    for _ in range(10):
        stats = worker.run_once()
        outcomes.append((stats.retried, stats.dead))
        clock.advance(400)
    assert outcomes[:5] == [(1, 0), (1, 0), (1, 0), (1, 0), (0, 1)]
    assert store.tasks.counts("acme") == {"dead": 1}


def test_expired_lease_is_reclaimed_and_the_old_worker_cannot_finish(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    result = concierge.interact("acme", "s1", MEETING)
    task_id = result["downstream_tasks"][0]["task_id"]
    [claimed] = store.tasks.claim("w-old", clock.now(), lease_seconds=30, limit=1)
    assert store.tasks.claim("w-new", clock.now(), lease_seconds=30, limit=1) == []
    clock.advance(31)
    [again] = store.tasks.claim("w-new", clock.now(), lease_seconds=30, limit=1)
    assert again.task_id == claimed.task_id == task_id and again.attempts == 2
    assert store.tasks.complete(task_id, "w-old", clock.now(), summary="late") is False
    assert store.tasks.complete(task_id, "w-new", clock.now(), summary="done") is True


def test_scheduler_runs_the_queue_and_expiry(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    concierge.interact("acme", "s1", "Write off Pedro's debt")
    concierge.interact("acme", "s1", MEETING)
    worker = Worker(store, {"agenda.commitment.schedule": lambda ctx: "booked"}, clock=clock)
    clock.advance(901)
    scheduler = Scheduler(jobs=[
        Job(name="tasks", every_seconds=0.1, fn=lambda: worker.run_once().claimed),
        Job(name="expiry", every_seconds=0.1, fn=concierge.expire_due),
    ])  # fmt: skip
    scheduler.run(until_idle=True)
    assert scheduler.report()["tasks"]["done"] == 1 and scheduler.report()["expiry"]["done"] == 1
    assert store.tasks.counts("acme") == {"completed": 1}


@pytest.mark.parametrize("attempt,seconds", [(1, 2), (2, 4), (3, 8), (9, 300), (20, 300)])
def test_backoff_doubles_and_is_capped(attempt: int, seconds: float) -> None:
    assert backoff(attempt).total_seconds() == seconds


def test_queue_view_lists_waiting_tasks_in_run_order_and_finished_newest_first(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    first = concierge.interact("acme", "s1", MEETING)["downstream_tasks"][0]["task_id"]
    clock.advance(1)
    second = concierge.interact("acme", "s1", MEETING)["downstream_tasks"][0]["task_id"]
    clock.advance(1)
    third = concierge.interact("acme", "s1", FOLLOW_UP)["downstream_tasks"][0]["task_id"]
    store.tenants.add("globex", "GLOBEX")
    Worker(store, {}, clock=clock).run_once(limit=2)  # no handler: both dead-lettered
    view = queue_view(store.tasks, "acme", limit=10)
    assert (view.pending_count, view.history_count) == (1, 2)
    assert [t.task_id for t in view.pending] == [third]
    assert {t.task_id for t in view.history} == {first, second}
    assert view.as_dict()["history"][0]["status"] == "dead"
    assert queue_view(store.tasks, "acme", limit=1).history_count == 2
    assert len(queue_view(store.tasks, "acme", limit=1).history) == 1
    assert queue_view(store.tasks, "globex", limit=10).as_dict()["pending"] == []
