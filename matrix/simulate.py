"""``matrix simulate``: weeks of owner traffic through the real runtime, on a virtual clock.

Every request goes through :class:`~matrix.concierge.Concierge` — planning, policy, approvals,
the task queue, the worker and the scheduler's expiry — against the real store, so the event log
and telemetry it leaves are what the product would record. What is simulated, and said so:

- the owners: a seeded mix of Portuguese and English requests over business hours, and how they
  answer approvals (approve, reject, or let them expire);
- the AI traffic of tenants on the ``openai`` provider: they talk through the real ``openai``
  client to an OpenAI-compatible endpoint on 127.0.0.1 that the simulator starts, which answers
  with plausible replies and token usage and fails at a small rate;
- module work: until the business modules ship their handlers, a simulated handler acknowledges
  each task (its result says ``simulated``) and fails transiently now and then, so retries and
  dead letters appear as they would.
"""

from __future__ import annotations

import contextlib
import heapq
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from matrix.clock import VirtualClock
from matrix.concierge import Concierge
from matrix.config import Settings
from matrix.errors import ApprovalLimitError, ApprovalStateError, ProviderError
from matrix.modules.tasks import TaskFailure
from matrix.policy import TASK_TYPES
from matrix.providers import selector
from matrix.runtime import TaskContext, Worker
from matrix.storage import Store
from matrix.testing.openai_server import OpenAIServer, Randomness

# (weight, Portuguese, English) — what owners ask for, roughly how often.
REQUESTS: list[tuple[int, str, str]] = [
    (18, "Oi, bom dia! Tudo certo por aí?", "Good morning! How are things?"),
    (6, "Obrigado pela ajuda de ontem.", "Thanks for yesterday's help."),
    (
        16,
        "Agendar reunião com {name} {day} às {hour}h",
        "Schedule a meeting with {name} {day} at {hour}",
    ),
    (12, "Cobrar a fatura vencida de {name}", "Collect the overdue invoice from {name}"),
    (
        12,
        "Mande uma mensagem de acompanhamento para {name} no WhatsApp",
        "Send a follow-up to {name} on WhatsApp",
    ),
    (9, "Cadastrar cliente {name}", "Register a new customer, {name}"),
    (7, "Crie uma cobrança de R$ {amount} para {name}", "Create an invoice of {amount} for {name}"),
    (5, "Novo lead: {name}, indicado por um cliente", "New lead: {name}, referred by a customer"),
    (5, "Dar baixa na dívida de {name}", "Write off the debt of {name}"),
    (4, "Disparar a campanha de {campaign} para todos", "Send the {campaign} campaign to everyone"),
    (2, "Excluir o cliente {name}", "Delete the customer {name}"),
]
NAMES = [
    "Ana Souza",
    "João Lima",
    "Maria Silva",
    "Pedro Alves",
    "Carla Dias",
    "Lucas Rocha",
    "Beatriz Melo",
]
DAYS = {
    "pt": ["segunda", "terça", "quarta", "quinta", "sexta"],
    "en": ["on Monday", "on Tuesday", "on Friday", "tomorrow"],
}
CAMPAIGNS = ["Black Friday", "Natal", "Dia das Mães", "Volta às aulas"]


@dataclass(kw_only=True)
class SimulationReport:
    tenants: int
    days: int
    seed: int
    interactions: int = 0
    provider_errors: int = 0
    limit_refusals: int = 0
    approvals: Counter[str] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)
    providers: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    ai_endpoint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenants": self.tenants, "days": self.days, "seed": self.seed,
            "interactions": self.interactions, "provider_errors": self.provider_errors,
            "approval_limit_refusals": self.limit_refusals, "approvals": dict(self.approvals),
            "tasks": dict(self.tasks), "replies_by_provider": dict(self.providers),
            "seconds": round(self.seconds, 1),
            "note": "Owner traffic, AI replies (a local OpenAI-compatible endpoint) and module work are simulated.",
        }  # fmt: skip


def simulated_handler(rng: random.Random) -> Callable[[TaskContext], str]:
    """Acknowledge a task the way a module would, failing transiently about 6% of the time."""

    def handle(ctx: TaskContext) -> str:
        if rng.random() < 0.06:
            raise TaskFailure("SIMULATED_TRANSIENT", "simulated transport timeout", retryable=True)
        ref = ctx.effect("simulated-delivery", lambda key: f"sim-{key[-8:]}")
        return f"simulated: {ctx.task.task_type} handled ({ref})"

    return handle


def run_simulation(
    store: Store,
    settings: Settings,
    *,
    tenants: int,
    days: int,
    seed: int,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Drive ``tenants`` tenants for ``days`` days ending at ``end`` (default: today, 00:00 UTC)."""
    rng = random.Random(seed)
    end = (end or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = VirtualClock(end - timedelta(days=days))
    report = SimulationReport(tenants=tenants, days=days, seed=seed)
    started = time.perf_counter()
    server = OpenAIServer(randomness=Randomness(seed=seed, error_rate=0.02, burst=4)).start()
    report.ai_endpoint = server.base_url
    try:
        concierge = Concierge(store, settings, selector(settings), clock)
        worker = Worker(store, {t: simulated_handler(rng) for t in TASK_TYPES}, clock=clock,
                        worker_id="simulator", lease_seconds=120)  # fmt: skip
        profiles = _tenants(store, concierge, tenants, rng, server.base_url)
        with store.session():
            for _day in range(days):
                _simulate_day(concierge, worker, profiles, clock, rng, report)
                if progress:
                    progress(1)
            clock.advance(timedelta(hours=1))
            concierge.expire_due()
            worker.drain()
    finally:
        server.stop()
    with store.backend.transaction() as tx:
        for status, count in tx.query(
            "SELECT status, count(*) FROM task_queue WHERE tenant_id LIKE 'sim-%' GROUP BY status"
        ):
            report.tasks[str(status)] = int(count)
        for status, count in tx.query(
            "SELECT status, count(*) FROM approvals WHERE tenant_id LIKE 'sim-%' GROUP BY status"
        ):
            report.approvals[str(status)] = int(count)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True, kw_only=True)
class _Profile:
    tenant_id: str
    language: str
    daily_requests: float
    approve_rate: float
    reject_rate: float


def _tenants(
    store: Store, concierge: Concierge, n: int, rng: random.Random, ai_url: str
) -> list[_Profile]:
    profiles = []
    for i in range(1, n + 1):
        tenant_id = f"sim-{i:02d}"
        store.tenants.add(tenant_id, f"Simulated Business {i:02d}")
        if store.runtime_config.get(tenant_id) is None:
            config: dict[str, Any] = {"provider": {"mode": "local"}}
            if rng.random() < 0.35:  # these tenants bring their own OpenAI key
                config = {"openai": {"api_key": f"sk-sim-{rng.getrandbits(64):016x}", "base_url": ai_url,
                                     "model": rng.choice(["gpt-5-mini", "gpt-4.1-mini", "gpt-5"])}}  # fmt: skip
            concierge.save_config(tenant_id, config)
        else:
            concierge.save_config(tenant_id, {"openai": {"base_url": ai_url}})
        profiles.append(_Profile(
            tenant_id=tenant_id, language="pt" if rng.random() < 0.7 else "en",
            daily_requests=rng.uniform(3, 14), approve_rate=rng.uniform(0.5, 0.75),
            reject_rate=rng.uniform(0.1, 0.25),
        ))  # fmt: skip
    return profiles


def _message(profile: _Profile, rng: random.Random) -> str:
    weights = [w for w, _, _ in REQUESTS]
    _, pt, en = rng.choices(REQUESTS, weights=weights)[0]
    lang = profile.language if rng.random() < 0.9 else ("en" if profile.language == "pt" else "pt")
    template = pt if lang == "pt" else en
    return template.format(
        name=rng.choice(NAMES), day=rng.choice(DAYS[lang]), hour=rng.choice([9, 10, 14, 16]),
        amount=rng.choice([150, 300, 480, 1200]), campaign=rng.choice(CAMPAIGNS),
    )  # fmt: skip


def _simulate_day(
    concierge: Concierge, worker: Worker, profiles: list[_Profile], clock: VirtualClock,
    rng: random.Random, report: SimulationReport,
) -> None:  # fmt: skip
    day_start = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    weekend = day_start.weekday() >= 5
    agenda: list[tuple[datetime, int, Callable[[], None]]] = []
    order = 0
    for profile in profiles:
        expected = profile.daily_requests * (0.3 if weekend else 1.0)
        count = sum(1 for _ in range(int(expected * 2)) if rng.random() < 0.5)
        for _ in range(count):
            at = day_start + timedelta(hours=rng.uniform(8, 19))
            order += 1
            agenda.append((at, order, _request(concierge, profile, rng, report, agenda, clock)))
    heapq.heapify(agenda)
    while agenda:
        at, _, action = heapq.heappop(agenda)
        if at > clock.now():
            clock.set(at)
        action()
        worker.drain(max_tasks=200)
        concierge.expire_due()
    clock.set(day_start + timedelta(days=1))
    concierge.expire_due()
    worker.drain()


def _request(
    concierge: Concierge, profile: _Profile, rng: random.Random, report: SimulationReport,
    agenda: list[tuple[datetime, int, Callable[[], None]]], clock: VirtualClock,
) -> Callable[[], None]:  # fmt: skip
    def act() -> None:
        session = f"sim-session-{profile.tenant_id}-{clock.now():%Y%m%d}"
        try:
            result = concierge.interact(profile.tenant_id, session, _message(profile, rng))
        except ProviderError:
            report.provider_errors += 1
            report.interactions += 1
            return
        except ApprovalLimitError:
            report.limit_refusals += 1
            return
        report.interactions += 1
        report.providers[result["assistant_output"]["provider"]] += 1
        confirmation = result.get("confirmation")
        if confirmation:
            roll = rng.random()
            if roll < profile.approve_rate + profile.reject_rate:
                decision = "approve" if roll < profile.approve_rate else "reject"
                delay = timedelta(minutes=rng.lognormvariate(1.5, 1.0))
                heapq.heappush(agenda, (clock.now() + delay, rng.getrandbits(32),
                                        _resolve(concierge, profile, confirmation["confirmation_id"], decision)))  # fmt: skip
            # else: left to expire; the scheduler's sweep will expire it

    return act


def _resolve(
    concierge: Concierge, profile: _Profile, confirmation_id: str, decision: str
) -> Callable[[], None]:
    def act() -> None:
        # An owner who answers after the time to live finds the confirmation expired.
        with contextlib.suppress(ApprovalStateError):
            concierge.resolve_confirmation(
                profile.tenant_id, confirmation_id, decision, actor="owner (simulated)"
            )

    return act
