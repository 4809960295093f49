"""The simulation's driver: tenants, days of owner requests, and the runtime catching up."""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from matrix.clock import SYSTEM_CLOCK, Clock, VirtualClock
from matrix.concierge import Concierge
from matrix.concierge.packs import apply_pack, read_pack, sample_pack
from matrix.config import Settings
from matrix.contracts import Catalog
from matrix.errors import ApprovalLimitError, ApprovalStateError, ProviderError
from matrix.metrics.costs import set_plan, set_price
from matrix.modules.crm.outbound import RecordingTransport
from matrix.modules.ports import Transport
from matrix.runtime import Scheduler, Worker
from matrix.simulate.report import SimulationReport, persona2_counts
from matrix.simulate.traffic import (
    AUDIO_PRICES,
    CAMPAIGNS,
    DAYS,
    LEAD_NAMES,
    NAMES,
    PERSONA2_MODES,
    PLANS,
    PRICES,
    REQUESTS,
    SIM_PREFIX,
)
from matrix.simulate.usage import tenant_size, write_workload
from matrix.simulate.world import _secret, _World
from matrix.storage import Store
from matrix.testing.openai_server import OpenAIServer, Randomness


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
        self,
        *,
        clock: Clock,
        transport: Transport,
        worker_id: str,
        lease_seconds: float,
        settings: Settings | None = None,
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
        wiring: dict[str, Any] = {"clock": clock, "transport": transport,
                                  "worker_id": "simulator", "lease_seconds": 120}  # fmt: skip
        # The tenants that bring their own key reach the simulator's own AI server, on this
        # machine: the simulated platform allows that (MATRIX_ALLOW_LOOPBACK_URLS).
        settings = replace(wire(**wiring).settings, allow_loopback_urls=True)
        app = wire(**wiring, settings=settings)
        store, concierge, worker = app.store, app.concierge, app.worker
        world = _World(store=store, clock=clock, rng=rng, report=report, scheduler=app.scheduler(),
                       worker=worker, catalog=Catalog(app.settings.contracts_dir))  # fmt: skip
        profiles = _tenants(store, concierge, tenants, rng, server.base_url, clock.now(), world.catalog)
        _prices(store, clock.now())
        with store.session():
            for profile in profiles:
                world.seed(profile.tenant_id, days)
            store.tenants.add("platform", "Platform")
            first_day = clock.now()
            for _day in range(days):
                world.delivery(clock.now())
                _simulate_day(concierge, world, profiles, clock, rng, report)
                if progress:
                    progress(1)
            sizes = {p.tenant_id: tenant_size(p.daily_requests) for p in profiles}
            report.ai_workload_calls = write_workload(store, sizes, first_day, days, seed)
            clock.advance(timedelta(hours=1))
            world.settle()
        _detach(store, concierge, server.base_url)
    finally:
        server.stop()
    report.tasks.update(store.tasks.status_counts(tenant_prefix=SIM_PREFIX))
    report.approvals.update(store.approvals.status_counts(tenant_prefix=SIM_PREFIX))
    report.persona2 = persona2_counts(store, [p.tenant_id for p in profiles])
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
    store: Store, concierge: Concierge, n: int, rng: random.Random, ai_url: str, start: datetime,
    catalog: Catalog,
) -> list[_Profile]:  # fmt: skip
    """The simulated tenants, each created from the shipped example pack (its personas, rules and
    modules), then given its own AI key or local mode and its way of letting Persona 2 work."""
    profiles = []
    for i in range(1, n + 1):
        tenant_id = f"{SIM_PREFIX}{i:02d}"
        if store.runtime_config.get(tenant_id) is None:
            pack = read_pack(sample_pack(), catalog, tenant_id=tenant_id, name=f"Simulated Business {i:02d}")
            apply_pack(concierge.runtimes, pack)
            config: dict[str, Any] = {"provider": {"mode": "local"},
                                      "integrations": {"crm_evolution": {"webhook_secret": _secret(tenant_id)}}}  # fmt: skip
            if rng.random() < 0.35:  # these tenants bring their own OpenAI key
                config = {"openai": {"api_key": f"sk-sim-{rng.getrandbits(64):016x}", "base_url": ai_url,
                                     "model": rng.choice(["gpt-5-mini", "gpt-4.1-mini", "gpt-5"])},
                          "integrations": {"crm_evolution": {"webhook_secret": _secret(tenant_id)}}}  # fmt: skip
            _, execution, evolution = PERSONA2_MODES[(i - 1) % len(PERSONA2_MODES)]
            config["execution"] = execution
            config["integrations"]["crm_evolution"] |= evolution
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
    for (provider, model), per_minute in AUDIO_PRICES.items():
        if (provider, model) not in priced:
            set_price(store, provider=provider, model=model, effective_from=start - timedelta(days=1),
                      input_per_mtok=0.0, output_per_mtok=0.0, audio_per_minute=per_minute,
                      actor="simulation", note="list price per audio minute (simulation)", now=start)  # fmt: skip


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
    timeline: list[tuple[datetime, int, Callable[[], bool]]] = []
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
        if action():
            world.settle()
    clock.set(day_start + timedelta(days=1))
    world.settle()


def _request(
    concierge: Concierge, profile: _Profile, rng: random.Random, report: SimulationReport,
    timeline: list[tuple[datetime, int, Callable[[], bool]]], clock: VirtualClock,
) -> Callable[[], bool]:  # fmt: skip
    def act() -> bool:
        session = f"sim-session-{profile.tenant_id}-{clock.now():%Y%m%d}"
        try:
            result = concierge.interact(profile.tenant_id, session, _message(profile, rng))
        except ProviderError:
            report.provider_errors += 1
            report.interactions += 1
            return True  # a task may have been queued before the provider failed
        except ApprovalLimitError:
            report.limit_refusals += 1
            return False
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
        return bool(result.downstream_tasks)

    return act


def _resolve(
    concierge: Concierge, profile: _Profile, confirmation_id: str, decision: str
) -> Callable[[], bool]:
    def act() -> bool:
        # An owner who answers after the time to live finds the confirmation expired.
        try:
            resolution = concierge.resolve_confirmation(
                profile.tenant_id, confirmation_id, decision, actor="owner (simulated)"
            )
        except ApprovalStateError:
            return False
        return resolution.downstream_task is not None

    return act
