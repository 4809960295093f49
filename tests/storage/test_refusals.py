"""A business rule's refusal is not an outage: it spends no error budget and is counted, with its
reason, as a business number — on both backends, with the real handlers."""

from __future__ import annotations

from datetime import timedelta

from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.metrics.engine import compute
from matrix.metrics.slo import refusals, status
from matrix.runtime import Worker
from matrix.runtime.handlers import default_handlers
from matrix.storage import Store

NO_DATE = "Schedule a meeting with Ana"  # → mod-04, which needs a day or time


def test_refused_task_spends_no_error_budget(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    concierge.interact("acme", "s1", NO_DATE)
    stats = Worker(store, default_handlers(), clock=clock).drain()
    assert (stats.refused, stats.dead, stats.retried) == (1, 0, 0)
    assert store.tasks.counts("acme") == {"refused": 1}
    clock.advance(60)
    agenda = {s.slo: s for s in status(store, "acme", at=clock.now())}["agenda_task_success"]
    assert agenda.bad == 0 and agenda.budget_remaining is None  # nothing valid: no budget spent
    since, until = clock.now() - timedelta(days=1), clock.now()
    assert refusals(store, "acme", since=since, until=until) == [
        {"module": "mod-04-agenda", "task_type": "agenda.commitment.schedule", "reason_code": "MISSING_DATE",
         "refused": 1}]  # fmt: skip
    counted = compute(store, "task_refusals_count", tenant_id="acme", since=since, until=until)
    assert counted.frame["value"].sum() == 1


def test_a_crashing_handler_still_counts_against_the_budget(
    concierge: Concierge, store: Store, clock: FrozenClock
) -> None:
    concierge.interact("acme", "s1", "Schedule a meeting with Ana on Friday at 10")

    def broken(_ctx: object) -> str:
        raise RuntimeError("bug")

    worker = Worker(store, {"agenda.commitment.schedule": broken}, clock=clock)
    for _ in range(6):
        worker.run_once()
        clock.advance(400)
    agenda = {s.slo: s for s in status(store, "acme", at=clock.now())}["agenda_task_success"]
    assert (
        agenda.bad == agenda.valid == 5
        and agenda.budget_remaining is not None
        and agenda.budget_remaining < 0
    )
    assert refusals(store, "acme", since=clock.now() - timedelta(days=1), until=clock.now()) == []
