"""AI providers behind one interface: openai (official SDK), local (deterministic), off, auto."""

from __future__ import annotations

from matrix.providers.base import (
    AssistantOutput,
    Provider,
    ProviderRequest,
    TenantAI,
    Turn,
    Usage,
    sanitize,
)
from matrix.providers.local import LocalProvider, OffProvider
from matrix.providers.select import FallbackProvider, Selector, select_provider, selector

__all__ = [
    "AssistantOutput",
    "FallbackProvider",
    "LocalProvider",
    "OffProvider",
    "Provider",
    "ProviderRequest",
    "Selector",
    "TenantAI",
    "Turn",
    "Usage",
    "sanitize",
    "select_provider",
    "selector",
]
