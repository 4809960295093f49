"""What a simulation run did, as counts, with what was simulated said plainly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


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
