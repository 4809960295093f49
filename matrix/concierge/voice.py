"""Voice: speech to text and text to speech through the tenant's OpenAI key (else the platform's).

Every call, failed or not, is recorded as a ``provider_call`` telemetry row with its latency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matrix import envelopes as env
from matrix.approvals import Body
from matrix.clock import Clock
from matrix.concierge.ports import ProviderSelector, RuntimeStore
from matrix.concierge.tenant import TenantRuntimes
from matrix.errors import ProviderError, UsageError

PROVIDER = "openai"
TRANSCRIPTION_MODEL = "whisper-1"
SPEECH_MODEL = "gpt-4o-mini-tts"
MIN_SPEED, MAX_SPEED = 0.25, 4.0


@dataclass(frozen=True, kw_only=True)
class Transcription(Body):
    text: str
    model: str
    latency_ms: int
    provider: str = PROVIDER

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "provider": self.provider, "model": self.model,
                "latency_ms": self.latency_ms}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Speech(Body):
    """What was spoken and how (the audio itself travels beside it)."""

    model: str
    voice: str
    speed: float
    latency_ms: int
    provider: str = PROVIDER

    def as_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "voice": self.voice,
                "speed": self.speed, "latency_ms": self.latency_ms}  # fmt: skip


class Voice:
    """Transcription and speech for every tenant of one store."""

    def __init__(
        self, store: RuntimeStore, providers: ProviderSelector, runtimes: TenantRuntimes,
        clock: Clock,
    ) -> None:  # fmt: skip
        self.store = store
        self.providers = providers
        self.runtimes = runtimes
        self.clock = clock

    def transcribe(
        self, tenant_id: str, audio: bytes, *, mime_type: str = "audio/webm",
        filename: str = "audio.webm", language: str | None = None,
        model: str = TRANSCRIPTION_MODEL,
    ) -> Transcription:  # fmt: skip
        """Speech to text, with usage recorded."""
        runtime = self.runtimes.resolve(tenant_id)
        if not audio:
            raise UsageError("audio is empty; send the recording's bytes (invalid_audio_base64).")
        provider = self.providers.audio(runtime.ai)
        try:
            text, latency = provider.transcribe(audio, filename=filename, mime_type=mime_type,
                                                model=model, language=language)  # fmt: skip
        except ProviderError as exc:
            self._record(tenant_id, "transcription", model, 0, "error", exc.code)
            raise
        self._record(tenant_id, "transcription", model, latency, "ok", None)
        return Transcription(text=text, model=model, latency_ms=latency)

    def speak(
        self, tenant_id: str, text: str, *, model: str = SPEECH_MODEL, voice: str = "shimmer",
        speed: float = 1.12, response_format: str = "mp3",
    ) -> tuple[bytes, Speech]:  # fmt: skip
        """Text to speech; refused when the tenant turned voice off."""
        runtime = self.runtimes.resolve(tenant_id)
        if not isinstance(text, str) or not text.strip():
            raise UsageError("text must not be empty.")
        if runtime.config["openai"]["voice_enabled"] is False:
            raise ProviderError("voice_disabled_by_tenant: this tenant turned voice off.",
                                code="voice_disabled_by_tenant", provider=PROVIDER)  # fmt: skip
        provider = self.providers.audio(runtime.ai)
        speed = min(MAX_SPEED, max(MIN_SPEED, float(speed)))
        try:
            audio, latency = provider.speech(text, model=model, voice=voice, speed=speed,
                                             response_format=response_format)  # fmt: skip
        except ProviderError as exc:
            self._record(tenant_id, "speech", model, 0, "error", exc.code)
            raise
        self._record(tenant_id, "speech", model, latency, "ok", None)
        return audio, Speech(model=model, voice=voice, speed=speed, latency_ms=latency)

    def _record(
        self, tenant_id: str, feature: str, model: str, latency: int, status: str, error: str | None
    ) -> None:
        self.store.telemetry.insert_many([{
            "tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "provider_call",
            "name": f"owner.{feature}", "module": env.OWNER, "status": status, "latency_ms": float(latency),
            "provider": PROVIDER, "model": model, "feature": feature, "error_code": error,
        }])  # fmt: skip
