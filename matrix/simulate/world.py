"""Everything outside the product that the simulation plays: contacts, payers, the gateway,
and the delivery history of the platform."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from matrix import envelopes as env
from matrix.clock import VirtualClock
from matrix.contracts import Catalog
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.crm import inbox, leads
from matrix.modules.customers import service as customers
from matrix.runtime import Scheduler, Worker
from matrix.simulate.report import SimulationReport
from matrix.simulate.traffic import (
    CONTACT_TEXTS,
    CONTACTS,
    FUNNEL_PATH,
    LEAD_NAMES,
    NAMES,
)
from matrix.storage import Store


def _secret(tenant_id: str) -> str:
    return f"whsec-sim-{tenant_id}"


def _contact_name(n: int) -> str:
    """Contact ``n``'s WhatsApp name (a first name of a lead and a family name, unique per n)."""
    first, family = (
        LEAD_NAMES[n % len(LEAD_NAMES)].split()[0],
        NAMES[n // len(LEAD_NAMES) % len(NAMES)].split()[-1],
    )
    return f"{first} {family}"


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
    written: dict[tuple[str, int], int] = field(default_factory=dict)
    """How many messages each (tenant, contact) wrote: where their conversation is."""

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

    def inbound(self, tenant_id: str) -> Callable[[], bool]:
        """A contact writes in over WhatsApp: a signed webhook through the real inbox. What they
        write follows their conversation: interest or a price question first, then questions,
        negotiating, a request for a person or a refusal, then closing, refusing or complaining."""

        def act() -> bool:
            n = self.rng.randrange(CONTACTS)
            step = min(self.written.get((tenant_id, n), 0), 2)
            self.written[(tenant_id, n)] = self.written.get((tenant_id, n), 0) + 1
            choices = [t for t in CONTACT_TEXTS if t[0] == step]
            _, _, _, pt, en = self.rng.choices(choices, weights=[t[1] for t in choices])[0]
            text = en if n % 4 == 3 else pt  # a quarter of the contacts write in English
            body = json.dumps({
                "event_id": env.new_id(), "tenant_id": tenant_id, "provider": "evolution-api",
                "instance_id": f"{tenant_id}-main", "event_type": "message.inbound",
                "occurred_at": env.timestamp(self.clock.now()), "trace_id": f"trace-{env.new_id()[:12]}",
                "payload": {"message_id": f"wamid-{env.new_id()[:18]}", "from_e164": f"+551197{n:07d}",
                            "push_name": _contact_name(n), "message_type": "text",
                            "text": text, "raw": {}},
            }).encode()  # fmt: skip
            inbox.ingest(self.store, self.clock, self.catalog, tenant_id=tenant_id, body=body,
                         signature=inbox.sign(body, _secret(tenant_id)), secret=_secret(tenant_id))  # fmt: skip
            self.report.inbound_messages += 1
            return True

        return act

    def business(self, tenant_id: str) -> Callable[[], bool]:
        """The day's business: leads move on (or are lost), some customers pay their invoices."""

        def act() -> bool:
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
            return True

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
        """Let the runtime catch up: the due tasks in one claim, then every scheduler job (the
        queue again, approval expiry, due reminders, outbound messages, and the tasks they lead
        to) until a round finds no work. Called after each action that queued work and at the
        end of each day; time-based work due meanwhile (a reminder, an expiry, a retry) waits
        for the next of those, as it would for a worker that polls between owner actions."""
        # One claim, not a drain: the scheduler's round claims again, so a drain's last (empty)
        # claim would be a query for nothing on every action.
        self.worker.run_once(limit=200)
        self.scheduler.run(until_idle=True)
