"""Persona 1: the owner's concierge — plan, decide, queue or ask, and answer honestly."""

from __future__ import annotations

from matrix.concierge.facade import Concierge
from matrix.concierge.planner import Plan, plan
from matrix.concierge.responses import InteractionResult, PolicyView, Receipt
from matrix.concierge.tenant import TenantRuntime
from matrix.concierge.voice import Speech, Transcription

__all__ = [
    "Concierge",
    "InteractionResult",
    "Plan",
    "PolicyView",
    "Receipt",
    "Speech",
    "TenantRuntime",
    "Transcription",
    "plan",
]
