"""``matrix simulate``: weeks of owner traffic through the real runtime, on a virtual clock.

Every request goes through :class:`~matrix.concierge.Concierge` — planning, policy, approvals,
the task queue, the worker and the scheduler's expiry — against the real store, so the event log
and telemetry it leaves are what the product would record. What is simulated, and said so:

- the owners: a seeded mix of Portuguese and English requests over business hours, and how they
  answer approvals (approve, reject, or let them expire);
- the AI traffic of tenants on the ``openai`` provider: they talk through the real ``openai``
  client to an OpenAI-compatible endpoint on 127.0.0.1 that the simulator starts, which answers
  with plausible replies and token usage and fails at a small rate;
- the rest of each tenant's AI day (:mod:`matrix.simulate.usage`): the concierge's other
  conversations, Persona 2's drafts for a day of WhatsApp traffic, memory's embeddings and
  summaries, voice notes transcribed — provider calls with realistic per-call tokens (or audio
  seconds) on several models, priced at list prices, so that AI cost has weeks of spend to show;
- the outside world of the modules: each tenant starts with customers and invoices, contacts
  write in over WhatsApp (signed webhooks through the real inbox), leads move through the funnel,
  customers pay some invoices, and the WhatsApp gateway is a recording transport that fails now
  and then. The module handlers, reminders, collections and the outbound queue are the real ones.
"""

from __future__ import annotations

from matrix.simulate.driver import Runtime, Wiring, owner_request, run_simulation
from matrix.simulate.report import SimulationReport
from matrix.simulate.traffic import SIM_PREFIX

__all__ = ["SIM_PREFIX", "Runtime", "SimulationReport", "Wiring", "owner_request", "run_simulation"]
