"""One interface for every AI provider, the usage record every call writes, and sanitising.

``respond`` returns an :class:`AssistantOutput` with the origin's fields (text, provider, model,
latency_ms, fallback_reason) plus ``usage`` in the ``usage_details`` shape (input, cached,
output and reasoning tokens; audio seconds). Errors are :class:`~matrix.errors.ProviderError`
with a stable code and a message that never carries a key.
"""

from __future__ import annotations

import re

from matrix.concierge.ports import (
    AssistantOutput,
    Provider,
    ProviderRequest,
    TenantAI,
    Turn,
    Usage,
)
from matrix.errors import ProviderError

__all__ = [
    "AssistantOutput",
    "Provider",
    "ProviderRequest",
    "TenantAI",
    "Turn",
    "Usage",
    "provider_error",
    "sanitize",
]


_KEY = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")


def sanitize(message: str, *secrets: str) -> str:
    """A provider error message safe to show: keys masked, known cases named, length capped."""
    text = message or ""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _KEY.sub("sk-***", text)
    lowered = text.lower()
    if "incorrect api key" in lowered or "invalid_api_key" in lowered:
        return "openai_invalid_api_key"
    if "openai_not_configured" in lowered:
        return "openai_not_configured"
    text = " ".join(text.split())
    if not text:
        return "provider_error"
    return text if len(text) <= 220 else text[:220] + "..."


def provider_error(
    code: str, message: str, *secrets: str, provider: str = "openai"
) -> ProviderError:
    return ProviderError(f"{code}: {sanitize(message, *secrets)}", code=code, provider=provider)
