"""What a simulation run did, as counts, with what was simulated said plainly."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from matrix.modules.crm import handling
from matrix.modules.ports import ModuleStore

AUTOMATIC = "crm_ai"
"""The actor of what Persona 2 did by itself (a person's approval names the person)."""


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
    persona2: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    ai_endpoint: str = ""
    ai_workload_calls: int = 0
    """Provider calls of the tenants' AI workload beyond the driven requests (:mod:`.usage`)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenants": self.tenants, "days": self.days, "seed": self.seed,
            "interactions": self.interactions, "provider_errors": self.provider_errors,
            "approval_limit_refusals": self.limit_refusals, "approvals": dict(self.approvals),
            "tasks": dict(self.tasks), "replies_by_provider": dict(self.providers),
            "inbound_whatsapp_messages": self.inbound_messages, "domain": self.domain,
            "persona2": self.persona2, "ai_workload_calls": self.ai_workload_calls,
            "seconds": round(self.seconds, 1),
            "note": "Owners, contacts, AI replies (a local OpenAI-compatible endpoint), the rest of each "
                    "tenant's AI workload (provider calls with usage, priced at list prices) and the "
                    "WhatsApp gateway (a recording transport) are simulated; the runtime and modules are real.",
        }  # fmt: skip


def persona2_counts(store: ModuleStore, tenants: Iterable[str]) -> dict[str, Any]:
    """What Persona 2 did for ``tenants``, counted in its audit: inbound messages it read,
    replies it sent by itself and replies people approved, leads it moved, handoffs by reason,
    and the conversations waiting for a human now."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for tenant_id in tenants:
        audit = store.modules.ai_actions.find(tenant_id, status="ok", limit=1_000_000)
        for row in audit:
            automatic = row["actor"] == AUTOMATIC
            match row["action"]:
                case "auto_handle":
                    counts["messages_read"] += 1
                case "send_reply":
                    counts[
                        "replies_sent_automatically" if automatic else "replies_approved_by_people"
                    ] += 1
                case "update_stage":
                    counts["leads_moved"] += 1
                case "handoff":
                    reasons[row["reason_code"] or "unknown"] += 1
        counts["waiting_for_human"] += len(handling.waiting(store, tenant_id, limit=10_000))
    keys = ("messages_read", "replies_sent_automatically", "replies_approved_by_people", "leads_moved",
            "waiting_for_human")  # fmt: skip
    return {**{k: counts[k] for k in keys}, "handoffs_by_reason": dict(sorted(reasons.items()))}
