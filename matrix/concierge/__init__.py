"""Persona 1: the owner's concierge — plan, decide, queue or ask, and answer honestly."""

from __future__ import annotations

from matrix.concierge.orchestrator import Concierge
from matrix.concierge.planner import Plan, plan

__all__ = ["Concierge", "Plan", "plan"]
