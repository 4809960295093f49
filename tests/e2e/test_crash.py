"""Crashes: a worker SIGKILLed at every point of a task's and a message's life does nothing twice.

On a throwaway PostgreSQL, tasks of every handler type run in a real worker process (the
scheduler's jobs, built by ``matrix.app.build``) that sends WhatsApp messages through a local
Evolution-compatible gateway configured as the platform's (``MATRIX_EVOLUTION_*``). The process
kills itself with SIGKILL at a named point — after a claim commits, after a task's work commits,
inside the work before the ledger records the effect, after the gateway received a message and
before the dispatcher records it, before and after that record — or at a random moment, and is
started again until everything is done. The kill points are the runner's wrappers around the
functions involved; production code has no hooks for them.

At the end no task is lost or completed twice, and every appointment, reminder, charge, lead,
customer, collection, campaign, outbound row and gateway message id exists exactly once.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from matrix import envelopes as env
from matrix.clock import SYSTEM_CLOCK
from matrix.config import Settings
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.modules.tasks import Task, TaskStatus
from matrix.storage import Store, open_store
from matrix.testing.gateway import EvolutionGateway
from tests.conftest import ROOT

pytestmark = pytest.mark.postgres

KEY = "evo-crash-key-0123456789"
MIN_KILLS = 50
POINTS = ("claim", "work", "effect", "send", "mark", "settled", "random")

RUNNER = textwrap.dedent(
    """
    import os, random, signal, sys, threading
    from datetime import timedelta

    from matrix.app import build
    from matrix.config import Settings
    from matrix.modules.crm import outbound
    from matrix.providers import evolution
    from matrix.runtime import worker
    from matrix.storage import runtime

    url, point, nth, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    calls = [0]

    def hit():
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(owner, name, *, when="after", counts=lambda result: True):
        original = getattr(owner, name)

        def wrapped(*args, **kwargs):
            if when == "before":
                hit()
            result = original(*args, **kwargs)
            if when == "after" and counts(result):
                hit()
            return result

        setattr(owner, name, wrapped)

    # Short waits so that the suite runs in seconds: retries, leases, stalled sends.
    worker.backoff = outbound.backoff = lambda attempt: timedelta(seconds=0.2)
    outbound.SENDING_TIMEOUT = timedelta(seconds=1)
    match point:
        case "claim":  # the claim (and module.task.accepted) committed, nothing else done
            wrap(worker.Worker, "claim", counts=bool)
        case "work":  # the task's work, ledger entry and completion committed
            wrap(worker.Worker, "work")
        case "effect":  # inside the work: the handler's effect done, its ledger entry not yet
            wrap(runtime.SqlSideEffects, "record", when="before")
        case "send":  # the gateway received the message; the dispatcher knows nothing yet
            wrap(evolution.EvolutionTransport, "_post")
        case "mark":  # the dispatcher has the message id and has not recorded it
            wrap(outbound, "_settle", when="before")
        case "settled":  # the send and its outcome recorded
            wrap(outbound, "_settle")
        case "random":
            delay = random.Random(seed).uniform(0.02, 0.8)
            threading.Timer(delay, os.kill, (os.getpid(), signal.SIGKILL)).start()
    app = build(Settings.load(storage_url=url, provider_mode="local"), lease_seconds=1.0)
    scheduler = app.scheduler()
    scheduler.idle_sleep = 0.02
    scheduler.run(until_idle=True)
    print(scheduler.report(), flush=True)
    """
)

# Every customer has a WhatsApp number; campaigns send to all of them.
NAMES = {
    "agenda": ["Ana Lima", "Bruno Rocha", "Carla Dias"],
    "collect": ["Diego Prado", "Elisa Ramos", "Fabio Nunes"],
    "writeoff": ["Gina Paiva", "Hugo Pires", "Iara Leite"],
}


SYLLABLES = ("ka", "le", "mi", "no", "pu", "ra", "se", "ti", "vo", "zu")


def _text(kind: str, i: int, name: str, wave: int) -> tuple[str, str]:
    first = name.split()[0]
    new = f"{SYLLABLES[wave % 10]}{SYLLABLES[i]}".capitalize()  # a fresh name in every wave
    soon = (SYSTEM_CLOCK.now() + timedelta(minutes=30)).astimezone(ZoneInfo("America/Sao_Paulo"))
    return {
        "customer": ("customer.upsert", f"Cadastrar cliente {new} Quintana"),
        "agenda": ("agenda.commitment.schedule", f"Agendar reunião com {first} hoje às {soon:%H:%M}"),
        "charge": ("billing.charge.create", f"Criar cobrança de R$ 300 para {first}"),
        "collect": ("billing.collection.request", f"Cobrar a fatura vencida de {first}"),
        "writeoff": ("billing.writeoff.request", f"Dar baixa na dívida de {first}"),
        "lead": ("crm.lead.capture", f"Novo lead {new} Almeida 11 98{wave % 10}88-000{i}"),
        "followup": ("crm.followup.send", f"Send a follow-up to {first} on WhatsApp"),
        "campaign": ("crm.campaign.send", f"Enviar campanha de fim de ano numero {i}"),
    }[kind]  # fmt: skip


MODULE = {"customer": env.CUSTOMERS, "agenda": env.AGENDA, "charge": env.BILLING,
          "collect": env.BILLING, "writeoff": env.BILLING, "lead": env.CRM, "followup": env.CRM,
          "campaign": env.CRM}  # fmt: skip


def _task(kind: str, i: int, name: str, wave: int) -> Task:
    task_type, text = _text(kind, i, name, wave)
    now = SYSTEM_CLOCK.now()
    task_id, corr = env.new_id(), env.new_id()
    command = env.command(
        "module.task.create", tenant_id="acme", source_module=env.OWNER, target_module=MODULE[kind],
        correlation_id=corr, actor={"actor_id": "crash", "actor_type": "system", "channel": "api"},
        payload={"task_id": task_id, "task_type": task_type, "priority": "normal", "input": {"text": text}},
    )  # fmt: skip
    # Attempts are counted per claim, and a kill right after a claim costs one; allow plenty.
    return Task(task_id=task_id, tenant_id="acme", task_type=task_type, target_module=MODULE[kind],
                priority="normal", status=TaskStatus.QUEUED, attempts=0, max_attempts=200,
                available_at=now, correlation_id=corr, trace_id=command["trace_id"],
                command_id=command["command_id"], command=command, created_at=now)  # fmt: skip


def _seed(store: Store) -> None:
    """Customers with WhatsApp numbers (campaigns send to each), with an overdue charge for each
    collection and an open one for each write-off."""
    store.tenants.add("acme")
    work = Work.new("acme", SYSTEM_CLOCK)
    today = SYSTEM_CLOCK.now().date()
    phones = iter(range(1, 100))
    for group, names in NAMES.items():
        for name in names:
            customer, _ = customers.upsert(
                store, work, display_name=name, phone=f"+55119700000{next(phones):02d}"
            )
            if group != "agenda":
                billing.create_charge(store, work, customer_id=customer["customer_id"], amount=120,
                                      currency="BRL", due_date=today - timedelta(days=10))  # fmt: skip


def _enqueue(store: Store, wave: int, kinds: dict[str, str]) -> None:
    """One task of each kind per customer slot (task id → kind into ``kinds``). The first wave
    has every handler type; later ones (run while fewer than MIN_KILLS kills happened) leave out
    collections and write-offs, which need a charge each, and send one campaign."""
    with store.transaction():
        for i in range(3):
            for kind in MODULE:
                if wave and (kind in ("collect", "writeoff") or (kind == "campaign" and i)):
                    continue
                task = _task(kind, i, NAMES[kind if kind in NAMES else "agenda"][i], wave)
                store.tasks.enqueue(task)
                kinds[task.task_id] = kind


def _done(store: Store) -> bool:
    rows = _q(store, "SELECT count(*) FROM task_queue WHERE status <> 'completed'")
    rows += _q(store, "SELECT count(*) FROM outbound_messages WHERE status <> 'sent'")
    rows += _q(store, "SELECT count(*) FROM agenda_reminders WHERE status <> 'sent'")
    return all(n == 0 for (n,) in rows)


def _q(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with store.backend.transaction() as tx:
        return tx.query(sql, params or [])


def _run_until_done(
    url: str, store: Store, environment: dict[str, str], kinds: dict[str, str]
) -> Counter[str]:
    rng = random.Random(12)
    kills: Counter[str] = Counter()
    deadline = time.monotonic() + 240
    round_, wave = 0, 0
    _enqueue(store, wave, kinds)
    while time.monotonic() < deadline:
        point = POINTS[round_ % len(POINTS)] if sum(kills.values()) < MIN_KILLS else "none"
        round_ += 1
        run = subprocess.run(
            [sys.executable, "-c", RUNNER, url, point, str(rng.choice((1, 1, 2, 3))), str(rng.randrange(10**6))],
            cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if run.returncode == -9:
            kills[point] += 1
            continue
        assert run.returncode == 0, run.stderr[-3000:]
        if _done(store):
            if point == "none":
                return kills
            wave, round_ = wave + 1, 0  # each wave starts its cycle of kill points anew
            _enqueue(store, wave, kinds)
        elif point == "none":
            time.sleep(0.3)  # a killed worker's lease or a stalled send is about to expire
    pytest.fail(f"not everything was done within the time allowed (kills so far: {dict(kills)})")


def test_sigkill_at_every_point_repeats_no_effect(postgres_url: str) -> None:
    settings = Settings.load(storage_url=postgres_url, provider_mode="local")
    with (
        EvolutionGateway(api_key=KEY) as gateway,
        open_store(settings=settings, migrate=True) as store,
    ):
        _seed(store)
        kinds: dict[str, str] = {}
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
        environment.update(MATRIX_EVOLUTION_BASE_URL=gateway.url, MATRIX_EVOLUTION_API_KEY=KEY,
                           MATRIX_EVOLUTION_INSTANCE="crash", MATRIX_PROVIDER_MODE="local")  # fmt: skip
        kills = _run_until_done(postgres_url, store, environment, kinds)
        print(f"kills by point: {dict(kills)}", file=sys.stderr)  # shown with -s
        assert sum(kills.values()) >= MIN_KILLS
        assert set(kills) >= {"claim", "work", "effect", "send", "mark", "settled"}, kills
        _assert_exactly_once(store, kinds, gateway)


def _assert_exactly_once(store: Store, kinds: dict[str, str], gateway: EvolutionGateway) -> None:
    # No task lost, none completed twice.
    status = dict(_q(store, "SELECT task_id, status FROM task_queue"))
    assert status == dict.fromkeys(kinds, "completed")
    completed = Counter(
        e["payload"]["task_id"] for e in store.events.list("acme", name="module.task.completed", limit=10_000)
    )  # fmt: skip
    assert completed == Counter(dict.fromkeys(kinds, 1))
    by_kind: dict[str, list[str]] = {}
    for task_id, kind in kinds.items():
        by_kind.setdefault(kind, []).append(task_id)
    corr = {t.task_id: t.correlation_id for t in (store.tasks.get("acme", i) for i in kinds) if t}

    # One appointment and one reminder per agenda task, the reminder sent once.
    for task_id in by_kind["agenda"]:
        [(appointment,)] = _q(store, "SELECT appointment_id FROM agenda_appointments WHERE correlation_id = ?",
                              [corr[task_id]])  # fmt: skip
        [(reminder,)] = _q(
            store,
            "SELECT reminder_id FROM agenda_reminders WHERE appointment_id = ?",
            [appointment],
        )
        assert _outbound(store, f"reminder:{reminder}") == 1
    # One charge per charge task; one collection message per collection task; write-offs once.
    for task_id in by_kind["charge"]:
        assert _q(
            store,
            "SELECT count(*) FROM billing_charges WHERE external_key = ?",
            [f"task:{task_id}"],
        ) == [(1,)]
    assert _q(store, "SELECT count(*) FROM billing_payments") == [(0,)]  # no handler records one
    collections = _q(store, "SELECT context_id, count(*) FROM outbound_messages WHERE context_type = 'collection'"
                            " GROUP BY context_id")  # fmt: skip
    assert len(collections) == len(by_kind["collect"]) and all(n == 1 for _, n in collections)
    states = Counter(
        s
        for (s,) in _q(
            store, "SELECT collection_state FROM billing_charges WHERE collection_state IS NOT NULL"
        )
    )
    assert states == {"sent": len(by_kind["collect"])}
    assert _q(store, "SELECT count(*) FROM billing_charges WHERE status = 'written_off'") == [
        (len(by_kind["writeoff"]),)
    ]
    # One customer, lead, follow-up and campaign per task; a campaign messages each customer once.
    assert _q(store, "SELECT count(*) FROM customers WHERE display_name LIKE '% Quintana'") == [
        (len(by_kind["customer"]),)
    ]
    assert _q(store, "SELECT count(*) FROM crm_leads WHERE display_name LIKE '% Almeida'") == [
        (len(by_kind["lead"]),)
    ]
    for task_id in by_kind["followup"]:
        assert _outbound(store, f"followup:{task_id}") == 1
    with_phone = sum(len(names) for names in NAMES.values())
    for task_id in by_kind["campaign"]:
        [(campaign, state)] = _q(store, "SELECT campaign_id, state FROM crm_campaigns WHERE external_key = ?",
                                 [f"task:{task_id}"])  # fmt: skip
        assert state == "completed"
        assert _q(
            store, "SELECT count(*) FROM outbound_messages WHERE context_id = ?", [campaign]
        ) == [(with_phone,)]

    # Every outbound row sent once: the gateway delivered each key once, under the id recorded.
    rows = _q(store, "SELECT idempotency_key, provider_message_id, status FROM outbound_messages")
    assert {status for *_, status in rows} == {"sent"}
    delivered = {m.idempotency_key: m.message_id for m in gateway.delivered}
    assert len(delivered) == len(gateway.delivered)  # one message id per key
    assert delivered == {key: message_id for key, message_id, _ in rows}
    assert len(set(delivered.values())) == len(delivered)
    assert all(seen["key"] in delivered for seen in gateway.seen)  # resends carried their key


def _outbound(store: Store, key: str) -> int:
    return int(
        _q(store, "SELECT count(*) FROM outbound_messages WHERE idempotency_key = ?", [key])[0][0]
    )


def test_runner_kill_points_name_real_functions() -> None:
    """The runner wraps functions by name; fail loudly if one is renamed."""
    from matrix.modules.crm import outbound
    from matrix.providers import evolution
    from matrix.runtime import worker
    from matrix.storage import runtime

    for owner, name in ((worker.Worker, "claim"), (worker.Worker, "work"), (runtime.SqlSideEffects, "record"),
                        (evolution.EvolutionTransport, "_post"), (outbound, "_settle")):  # fmt: skip
        assert callable(getattr(owner, name)), name
