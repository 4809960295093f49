"""``matrix simulate``: weeks of owner traffic through the real runtime, on a virtual clock.

Every request goes through :class:`~matrix.concierge.Concierge` — planning, policy, approvals,
the task queue, the worker and the scheduler's expiry — against the real store, so the event log
and telemetry it leaves are what the product would record. What is simulated, and said so:

- the owners: a seeded mix of Portuguese and English requests over business hours, and how they
  answer approvals (approve, reject, or let them expire);
- the AI traffic of tenants on the ``openai`` provider: they talk through the real ``openai``
  client to an OpenAI-compatible endpoint on 127.0.0.1 that the simulator starts, which answers
  with plausible replies and token usage and fails at a small rate;
- the outside world of the modules: each tenant starts with customers and invoices, contacts
  write in over WhatsApp (signed webhooks through the real inbox), leads move through the funnel,
  customers pay some invoices, and the WhatsApp gateway is a recording transport that fails now
  and then. The module handlers, reminders, collections and the outbound queue are the real ones.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from matrix import envelopes as env
from matrix.clock import SYSTEM_CLOCK, Clock, VirtualClock
from matrix.concierge import Concierge
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.errors import ApprovalLimitError, ApprovalStateError, ProviderError
from matrix.metrics.costs import set_plan, set_price
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.crm import inbox, leads
from matrix.modules.crm.outbound import RecordingTransport
from matrix.modules.customers import service as customers
from matrix.modules.ports import Transport
from matrix.runtime import Scheduler, Worker
from matrix.storage import Store
from matrix.testing.openai_server import OpenAIServer, Randomness

# Every simulated tenant's id starts with this.
SIM_PREFIX = "sim-"

# Subscription plans of simulated tenants (USD per month).
PLANS = [("starter", 49.0), ("growth", 149.0), ("scale", 399.0)]

# List prices of the models simulated tenants use, USD per million tokens (input, cached input,
# output), set once from the simulation's start so that AI cost has numbers; the local model is free.
PRICES = {("openai", "gpt-5"): (1.25, 0.125, 10.0), ("openai", "gpt-5-mini"): (0.25, 0.025, 2.0),
          ("openai", "gpt-4.1-mini"): (0.40, 0.10, 1.60), ("local", "deterministic-rule-v1"): (0.0, 0.0, 0.0)}  # fmt: skip

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
    (5, "Novo lead: {lead}, WhatsApp {phone}", "New lead: {lead}, WhatsApp {phone}"),
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
LEAD_NAMES = [
    "Rafael Costa",
    "Juliana Prado",
    "Thiago Nunes",
    "Camila Reis",
    "Bruno Farias",
    "Larissa Mota",
]
# A lead's way through the funnel, one (stage, trigger) step at a time.
FUNNEL_PATH = [("contacted", "first_contact_attempt"), ("qualified", "qualification_passed"),
               ("proposal", "proposal_sent")]  # fmt: skip
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
    inbound_messages: int = 0
    domain: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    ai_endpoint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenants": self.tenants, "days": self.days, "seed": self.seed,
            "interactions": self.interactions, "provider_errors": self.provider_errors,
            "approval_limit_refusals": self.limit_refusals, "approvals": dict(self.approvals),
            "tasks": dict(self.tasks), "replies_by_provider": dict(self.providers),
            "inbound_whatsapp_messages": self.inbound_messages, "domain": self.domain,
            "seconds": round(self.seconds, 1),
            "note": "Owners, contacts, AI replies (a local OpenAI-compatible endpoint) and the WhatsApp "
                    "gateway (a recording transport) are simulated; the runtime and modules are real.",
        }  # fmt: skip


class Runtime(Protocol):
    """What the simulator drives: one wired application on the simulation's clock."""

    @property
    def store(self) -> Store: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def concierge(self) -> Concierge: ...

    @property
    def worker(self) -> Worker: ...

    def scheduler(self) -> Scheduler: ...


class Wiring(Protocol):
    """Builds the application around the simulation's clock and gateway (``matrix.app.build``
    with the store bound: ``functools.partial(build, store=store)``)."""

    def __call__(
        self, *, clock: Clock, transport: Transport, worker_id: str, lease_seconds: float
    ) -> Runtime: ...


def run_simulation(
    wire: Wiring,
    *,
    tenants: int,
    days: int,
    seed: int,
    end: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SimulationReport:
    """Drive ``tenants`` tenants for ``days`` days ending at ``end`` (default: today, 00:00 UTC).

    The runtime is the real one, wired by ``wire`` on a virtual clock, with a recording WhatsApp
    gateway that fails now and then; its scheduler runs the jobs ``matrix worker`` runs.
    """
    rng = random.Random(seed)
    end = (end or SYSTEM_CLOCK.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = VirtualClock(end - timedelta(days=days))
    report = SimulationReport(tenants=tenants, days=days, seed=seed)
    started = time.perf_counter()
    server = OpenAIServer(randomness=Randomness(seed=seed, error_rate=0.02, burst=4)).start()
    report.ai_endpoint = server.base_url
    try:
        transport = RecordingTransport(fail_rate=0.04, rng=random.Random(seed + 1))
        app = wire(clock=clock, transport=transport, worker_id="simulator", lease_seconds=120)
        store, concierge, worker = app.store, app.concierge, app.worker
        world = _World(store=store, clock=clock, rng=rng, report=report, scheduler=app.scheduler(),
                       worker=worker, catalog=Catalog(app.settings.contracts_dir))  # fmt: skip
        profiles = _tenants(store, concierge, tenants, rng, server.base_url, clock.now())
        _prices(store, clock.now())
        with store.session():
            for profile in profiles:
                world.seed(profile.tenant_id, days)
            store.tenants.add("platform", "Platform")
            for _day in range(days):
                world.delivery(clock.now())
                _simulate_day(concierge, world, profiles, clock, rng, report)
                if progress:
                    progress(1)
            clock.advance(timedelta(hours=1))
            world.settle()
        _detach(store, concierge, server.base_url)
    finally:
        server.stop()
    report.tasks.update(store.tasks.status_counts(tenant_prefix=SIM_PREFIX))
    report.approvals.update(store.approvals.status_counts(tenant_prefix=SIM_PREFIX))
    for label, table, column in (("leads_by_stage", "leads", "stage"), ("charges_by_status", "charges", "status"),
                                 ("outbound_by_status", "outbound", "status"),
                                 ("reminders_by_status", "reminders", "status")):  # fmt: skip
        report.domain[label] = getattr(store.modules, table).count_by(
            column, tenant_prefix=SIM_PREFIX
        )
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True, kw_only=True)
class _Profile:
    tenant_id: str
    language: str
    daily_requests: float
    approve_rate: float
    reject_rate: float


def _detach(store: Store, concierge: Concierge, ai_url: str) -> None:
    """Point tenants that used the simulation's AI endpoint (it stops with it) back to local."""
    for tenant in store.tenants.list():
        stored = store.runtime_config.get(tenant.tenant_id)
        if stored and (stored[0].get("openai") or {}).get("base_url") == ai_url:
            concierge.save_config(tenant.tenant_id, {"provider": {"mode": "local"},
                                                     "openai": {"api_key": "", "base_url": None}})  # fmt: skip


def _tenants(
    store: Store, concierge: Concierge, n: int, rng: random.Random, ai_url: str, start: datetime
) -> list[_Profile]:
    profiles = []
    for i in range(1, n + 1):
        tenant_id = f"{SIM_PREFIX}{i:02d}"
        store.tenants.add(tenant_id, f"Simulated Business {i:02d}")
        if store.runtime_config.get(tenant_id) is None:
            config: dict[str, Any] = {"provider": {"mode": "local"},
                                      "integrations": {"crm_evolution": {"webhook_secret": _secret(tenant_id)}}}  # fmt: skip
            if rng.random() < 0.35:  # these tenants bring their own OpenAI key
                config = {"openai": {"api_key": f"sk-sim-{rng.getrandbits(64):016x}", "base_url": ai_url,
                                     "model": rng.choice(["gpt-5-mini", "gpt-4.1-mini", "gpt-5"])},
                          "integrations": {"crm_evolution": {"webhook_secret": _secret(tenant_id)}}}  # fmt: skip
            concierge.save_config(tenant_id, config)
            plan, fee = rng.choice(PLANS)  # what the tenant pays, for the gross-margin proxy
            set_plan(store, tenant_id, plan=plan, monthly_fee_usd=fee, effective_from=start,
                     actor="simulation", now=start)  # fmt: skip
        else:
            concierge.save_config(tenant_id, {"openai": {"base_url": ai_url}})
        profiles.append(_Profile(
            tenant_id=tenant_id, language="pt" if rng.random() < 0.7 else "en",
            daily_requests=rng.uniform(3, 14), approve_rate=rng.uniform(0.5, 0.75),
            reject_rate=rng.uniform(0.1, 0.25),
        ))  # fmt: skip
    return profiles


def _prices(store: Store, start: datetime) -> None:
    """Price the simulated models (list prices) when they have no price yet."""
    priced = {(p["provider"], p["model"]) for p in store.pricing.prices()}
    for (provider, model), (input_price, cached, output) in PRICES.items():
        if (provider, model) not in priced:
            set_price(store, provider=provider, model=model, effective_from=start - timedelta(days=1),
                      input_per_mtok=input_price, cached_input_per_mtok=cached, output_per_mtok=output,
                      actor="simulation", note="list price (simulation)", now=start)  # fmt: skip


def _message(profile: _Profile, rng: random.Random) -> str:
    lang = profile.language if rng.random() < 0.9 else ("en" if profile.language == "pt" else "pt")
    return owner_request(rng, lang)


def owner_request(rng: random.Random, language: str = "pt") -> str:
    """One owner request as the simulated owners write them, in Portuguese or English."""
    weights = [w for w, _, _ in REQUESTS]
    _, pt, en = rng.choices(REQUESTS, weights=weights)[0]
    template = pt if language == "pt" else en
    return template.format(
        name=rng.choice(NAMES), day=rng.choice(DAYS[language]), hour=rng.choice([9, 10, 14, 16]),
        lead=rng.choice(LEAD_NAMES), phone=f"+55119{rng.randrange(10**7, 10**8)}",
        amount=rng.choice([150, 300, 480, 1200]), campaign=rng.choice(CAMPAIGNS),
    )  # fmt: skip


def _simulate_day(
    concierge: Concierge, world: _World, profiles: list[_Profile], clock: VirtualClock,
    rng: random.Random, report: SimulationReport,
) -> None:  # fmt: skip
    day_start = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    weekend = day_start.weekday() >= 5
    timeline: list[tuple[datetime, int, Callable[[], None]]] = []
    order = 0
    for profile in profiles:
        expected = profile.daily_requests * (0.3 if weekend else 1.0)
        count = sum(1 for _ in range(int(expected * 2)) if rng.random() < 0.5)
        for _ in range(count):
            at = day_start + timedelta(hours=rng.uniform(8, 19))
            order += 1
            timeline.append((at, order, _request(concierge, profile, rng, report, timeline, clock)))
        for _ in range(sum(1 for _ in range(4) if rng.random() < 0.4)):
            order += 1
            at = day_start + timedelta(hours=rng.uniform(7, 22))
            timeline.append((at, order, world.inbound(profile.tenant_id)))
        order += 1
        timeline.append((day_start + timedelta(hours=18), order, world.business(profile.tenant_id)))
    heapq.heapify(timeline)
    while timeline:
        at, _, action = heapq.heappop(timeline)
        if at > clock.now():
            clock.set(at)
        action()
        world.settle()
    clock.set(day_start + timedelta(days=1))
    world.settle()


def _request(
    concierge: Concierge, profile: _Profile, rng: random.Random, report: SimulationReport,
    timeline: list[tuple[datetime, int, Callable[[], None]]], clock: VirtualClock,
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
        report.providers[result.assistant_output.provider] += 1
        confirmation = result.confirmation
        if confirmation:
            roll = rng.random()
            if roll < profile.approve_rate + profile.reject_rate:
                decision = "approve" if roll < profile.approve_rate else "reject"
                delay = timedelta(minutes=rng.lognormvariate(1.5, 1.0))
                heapq.heappush(timeline, (clock.now() + delay, rng.getrandbits(32),
                                        _resolve(concierge, profile, confirmation.confirmation_id, decision)))  # fmt: skip
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


def _secret(tenant_id: str) -> str:
    return f"whsec-sim-{tenant_id}"


@dataclass(kw_only=True)
class _World:
    """Everything outside the product that the simulation plays: contacts, payers, the gateway."""

    store: Store
    clock: VirtualClock
    rng: random.Random
    report: SimulationReport
    scheduler: Scheduler
    worker: Worker
    catalog: Catalog

    def seed(self, tenant_id: str, days: int) -> None:
        """Customers with WhatsApp numbers, and invoices due across the simulated window."""
        work = Work.new(tenant_id, self.clock)
        for n, name in enumerate(NAMES):
            customer, status = customers.upsert(self.store, work, display_name=name, phone=f"+551198{n:03d}{self.rng.randrange(10**4):04d}",
                                                external_key=f"sim:{name}")  # fmt: skip
            if status != "created":
                continue
            for k in range(self.rng.randint(1, 3)):
                due = (self.clock.now() + timedelta(days=self.rng.randint(-20, days))).date()
                billing.create_charge(self.store, work, customer_id=customer["customer_id"],
                                      amount=self.rng.choice([150, 300, 480, 1200, 2500]), currency="BRL",
                                      due_date=due, external_key=f"sim:{name}:{k}")  # fmt: skip

    def inbound(self, tenant_id: str) -> Callable[[], None]:
        """A contact writes in over WhatsApp: a signed webhook through the real inbox."""

        def act() -> None:
            n = self.rng.randrange(40)
            body = json.dumps({
                "event_id": env.new_id(), "tenant_id": tenant_id, "provider": "evolution-api",
                "instance_id": f"{tenant_id}-main", "event_type": "message.inbound",
                "occurred_at": env.timestamp(self.clock.now()), "trace_id": f"trace-{env.new_id()[:12]}",
                "payload": {"message_id": f"wamid-{env.new_id()[:18]}", "from_e164": f"+551197{n:07d}",
                            "push_name": self.rng.choice(LEAD_NAMES), "message_type": "text",
                            "text": self.rng.choice(["Oi, quero saber o preço", "Vocês atendem sábado?",
                                                     "Quero agendar uma visita", "Hi, do you deliver?"]), "raw": {}},
            }).encode()  # fmt: skip
            inbox.ingest(self.store, self.clock, self.catalog, tenant_id=tenant_id, body=body,
                         signature=inbox.sign(body, _secret(tenant_id)), secret=_secret(tenant_id))  # fmt: skip
            self.report.inbound_messages += 1

        return act

    def business(self, tenant_id: str) -> Callable[[], None]:
        """The day's business: leads move on (or are lost), some customers pay their invoices."""

        def act() -> None:
            work = Work.new(tenant_id, self.clock)
            for lead in self.store.modules.leads.find(tenant_id, limit=5000):
                stages = [stage for stage, _ in FUNNEL_PATH]
                if lead["stage"] == "new" or lead["stage"] in stages:
                    if self.rng.random() > 0.3:
                        continue
                    index = 0 if lead["stage"] == "new" else stages.index(lead["stage"]) + 1
                    if index < len(FUNNEL_PATH):
                        stage, trigger = FUNNEL_PATH[index]
                        if self.rng.random() < 0.15:
                            stage, trigger = (
                                "lost",
                                "explicit_close_lost"
                                if lead["stage"] != "proposal"
                                else "proposal_rejected",
                            )
                    else:
                        won = self.rng.random() < 0.55
                        stage, trigger = (
                            ("won", "proposal_accepted") if won else ("lost", "proposal_rejected")
                        )
                    leads.move(
                        self.store,
                        work,
                        lead["lead_id"],
                        to_stage=stage,
                        trigger=trigger,
                        actor="simulated sales",
                    )
                    if stage == "won":
                        leads.convert(self.store, work, lead["lead_id"])
            today = self.clock.now().date()
            for charge in self.store.modules.charges.find(tenant_id, status="open", limit=5000):
                late = (today - charge["due_date"]).days
                if late >= -2 and self.rng.random() < (
                    0.25 if charge["collection_state"] else 0.12
                ):
                    billing.record_payment(self.store, work, charge_id=charge["charge_id"], amount=charge["amount"],
                                           currency=charge["currency"])  # fmt: skip

        return act

    def delivery(self, day: datetime) -> None:
        """A day of the platform team's delivery: commits, deployments (some failing), incidents.

        Everything is marked ``simulated`` so that reports can tell it from imported history.
        """
        if day.weekday() >= 5 or self.rng.random() < 0.35:
            return
        now = self.clock.now()
        deployed = day + timedelta(hours=self.rng.uniform(14, 18))
        version = f"sim-{deployed:%Y%m%d}"
        commits = []
        for _ in range(self.rng.randint(1, 6)):
            at = deployed - timedelta(hours=self.rng.lognormvariate(2.5, 1.0))
            sha = env.new_id().replace("-", "")[:40]
            commits.append({"commit_id": f"matrix-sim:{sha}", "tenant_id": "platform", "repo": "matrix-sim",
                            "sha": sha, "author": "simulated developer", "authored_at": at, "committed_at": at,
                            "is_merge": False, "subject": "simulated change", "created_at": now})  # fmt: skip
        failed = self.rng.random() < 0.08
        deployment = {"deployment_id": env.new_id(), "tenant_id": "platform", "service": "matrix-sim",
                      "version": version, "kind": "code", "deployed_at": deployed,
                      "status": "failed" if failed else "success", "simulated": True, "source": "simulation",
                      "created_at": now}  # fmt: skip
        with self.store.transaction():
            self.store.delivery.add("commits", commits)
            self.store.delivery.add("deployments", [deployment])
            if not failed and self.rng.random() < 0.12:
                started = deployed + timedelta(hours=self.rng.uniform(0.2, 6))
                resolved = started + timedelta(hours=self.rng.lognormvariate(0.3, 0.8))
                self.store.delivery.add("incidents", [{
                    "incident_id": env.new_id(), "tenant_id": "platform", "title": "simulated incident",
                    "severity": self.rng.choice(["sev2", "sev3"]), "started_at": started,
                    "resolved_at": resolved, "simulated": True, "created_at": now}])  # fmt: skip

    def settle(self) -> None:
        """Let the runtime catch up: the queued tasks, then every scheduler job (approval expiry,
        due reminders, outbound messages, and the tasks they lead to) until none has work."""
        self.worker.drain(max_tasks=200)
        self.scheduler.run(until_idle=True)
