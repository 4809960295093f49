"""What the concierge needs from the outside world: storage and AI providers, as protocols.

Storage implements the repositories; ``matrix.providers`` implements :class:`Provider` and the
selector that picks one per tenant. The provider values (request, output, usage) live here so
that the concierge and every provider share them without the concierge importing an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from matrix.approvals.ports import ApprovalStore
from matrix.envelopes import OWNER
from matrix.modules.crm.handling import ActivityStore


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
    memory: tuple[str, ...] = ()
    """The long-term facts recalled for the message, best first (also in ``instructions``)."""


@dataclass(frozen=True, kw_only=True)
class ProviderWarning:
    """The AI provider failed after the request's outcome was stored; reported beside it."""

    code: str
    message: str
    provider: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "provider": self.provider}


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
    error: ProviderWarning | None = None
    """Set when the provider failed and this output is the stand-in reply."""

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

    def call_row(self, tenant_id: str, corr: str, at: datetime) -> dict[str, Any]:
        """The telemetry row of the provider call that produced this reply."""
        fallback = (self.fallback_reason or "").startswith("fallback:")
        return {
            "tenant_id": tenant_id, "recorded_at": at, "kind": "provider_call", "name": "owner.respond",
            "module": OWNER, "status": "fallback" if fallback else "ok",
            "latency_ms": float(self.latency_ms), "provider": self.provider, "model": self.model,
            "feature": "owner_chat", "correlation_id": corr, "input_tokens": self.usage.input,
            "cached_tokens": self.usage.cached, "output_tokens": self.usage.output,
            "reasoning_tokens": self.usage.reasoning, "audio_seconds": self.usage.audio_seconds,
        }  # fmt: skip


class Provider(Protocol):
    """An AI provider: answer an owner's message."""

    name: str

    def respond(self, request: ProviderRequest) -> AssistantOutput: ...


@dataclass(frozen=True, kw_only=True)
class TenantAI:
    """The AI part of a tenant's runtime config."""

    mode: str = "auto"
    api_key: str | None = field(default=None, repr=False)
    model: str | None = None
    base_url: str | None = None
    temperature: float | None = None
    """None: the model's own default."""
    fallback_models: tuple[str, ...] = ()
    """Tried in order when ``model`` fails (an owner persona's ``fallback_models``)."""


class AudioProvider(Protocol):
    """Speech to text and text to speech; each returns its result and the latency in ms."""

    def transcribe(
        self,
        audio: bytes,
        *,
        filename: str,
        mime_type: str,
        model: str = ...,
        language: str | None = ...,
    ) -> tuple[str, int]: ...

    def speech(
        self, text: str, *, model: str = ..., voice: str = ..., speed: float = ...,
        response_format: str = ...,
    ) -> tuple[bytes, int]: ...  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class IntentRequest:
    """What an intent classifier is asked: which task an owner's message is, as a JSON object that
    fits ``schema`` (structured output)."""

    tenant_id: str
    text: str
    instructions: str
    schema: dict[str, Any]
    schema_name: str = "owner_intent"


@dataclass(frozen=True, kw_only=True)
class IntentOutput:
    """A classifier's answer: the JSON it returned (not yet checked against the schema)."""

    data: Any
    provider: str
    model: str | None
    latency_ms: int
    usage: Usage = Usage()


class IntentClassifier(Protocol):
    """Proposes the task of an owner's message; a failure is a ProviderError."""

    def classify(self, request: IntentRequest) -> IntentOutput: ...


class ClassifierSelector(Protocol):
    """The intent classifier that serves one tenant, or None (then the rules alone route)."""

    def __call__(self, tenant: TenantAI) -> IntentClassifier | None: ...


class ProviderSelector(Protocol):
    """Picks the providers that serve one tenant (see ``matrix.providers.select``)."""

    def __call__(self, tenant: TenantAI) -> Provider: ...

    def audio(self, tenant: TenantAI) -> AudioProvider:
        """The audio provider; raises ProviderError ``openai_not_configured`` without a key."""
        ...


class RuntimeConfigRepository(Protocol):
    def get(self, tenant_id: str) -> tuple[dict[str, Any], int, datetime] | None: ...

    def save(
        self, tenant_id: str, config: dict[str, Any], secrets: dict[str, str | None], at: datetime
    ) -> int: ...

    def secret(self, tenant_id: str, name: str) -> str | None: ...

    def secret_names(self, tenant_id: str) -> set[str]: ...


class StoredRuntime(Protocol):
    """A known tenant's stored runtime config (None when never saved) and one of its secrets."""

    @property
    def config(self) -> tuple[dict[str, Any], int, datetime] | None: ...

    @property
    def secret(self) -> str | None: ...


class TenantRuntimeReader(Protocol):
    def load(self, tenant_id: str, secret_name: str) -> StoredRuntime | None:
        """In one read: None for an unknown tenant, else its config and secret ``secret_name``."""
        ...


class RuntimeStore(ApprovalStore, ActivityStore, Protocol):
    """The parts of the operational store the concierge uses: the approval workflow's, the
    tenants' runtime config, and what Persona 2 did (for the operational context)."""

    @property
    def runtime_config(self) -> RuntimeConfigRepository: ...

    @property
    def tenant_runtime(self) -> TenantRuntimeReader: ...
