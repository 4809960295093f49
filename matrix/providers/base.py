"""One interface for every AI provider, the usage record every call writes, and sanitising.

``respond`` returns an :class:`AssistantOutput` with the origin's fields (text, provider, model,
latency_ms, fallback_reason) plus ``usage`` in the ``usage_details`` shape (input, cached,
output and reasoning tokens; audio seconds). Errors are :class:`~matrix.errors.ProviderError`
with a stable code and a message that never carries a key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from matrix.errors import ProviderError


@dataclass(frozen=True, kw_only=True)
class Usage:
    """Token and audio usage of one provider call (langfuse's ``usage_details`` keys)."""

    input: int = 0
    cached: int = 0
    output: int = 0
    reasoning: int = 0
    audio_seconds: float = 0.0

    def details(self) -> dict[str, float]:
        return {
            "input": self.input,
            "cached": self.cached,
            "output": self.output,
            "reasoning": self.reasoning,
            "audio_seconds": self.audio_seconds,
        }


@dataclass(frozen=True, kw_only=True)
class Turn:
    role: str
    content: str


@dataclass(frozen=True, kw_only=True)
class ProviderRequest:
    """Everything a provider may use to answer one owner message."""

    tenant_id: str
    text: str
    instructions: str = ""
    history: tuple[Turn, ...] = ()
    attachments: tuple[dict[str, Any], ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    """What the runtime did with the message (decision, task, confirmation); local replies use it."""


@dataclass(frozen=True, kw_only=True)
class AssistantOutput:
    text: str
    provider: str
    model: str | None
    latency_ms: int
    usage: Usage = Usage()
    fallback_reason: str | None = None
    attachments: tuple[dict[str, Any], ...] = ()
    status: str = "ok"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "provider": self.provider,
            "model": self.model,
            "latency_ms": self.latency_ms,
        }
        if self.fallback_reason:
            out["fallback_reason"] = self.fallback_reason
        if self.attachments:
            out["attachments"] = list(self.attachments)
        out["usage_details"] = self.usage.details()
        return out


class Provider(Protocol):
    """An AI provider: answer an owner's message."""

    name: str

    def respond(self, request: ProviderRequest) -> AssistantOutput: ...


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


def provider_error(code: str, message: str, *secrets: str, provider: str = "openai") -> ProviderError:
    return ProviderError(f"{code}: {sanitize(message, *secrets)}", code=code, provider=provider)
