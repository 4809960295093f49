"""Persona 1's front door: one object that every face (CLI, HTTP, dashboards, simulation) calls.

:class:`Concierge` keeps the public methods callers have always used and hands each to the part
that does that job: tenant runtime resolution (:mod:`matrix.concierge.tenant`), the interaction
(:mod:`matrix.concierge.interaction`), voice (:mod:`matrix.concierge.voice`) and the approval
state machine (:mod:`matrix.approvals.workflow`). Results are typed; ``as_dict()`` gives the
origin's response body.
"""

from __future__ import annotations

from typing import Any

from matrix.approvals import (
    DEFAULT_LIST_LIMIT,
    ApprovalWorkflow,
    ConfirmationList,
    Resolution,
)
from matrix.approvals.workflow import EXPIRY_SWEEP_LIMIT
from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.concierge.interaction import Interaction
from matrix.concierge.ports import ClassifierSelector, ProviderSelector, RuntimeStore
from matrix.concierge.responses import InteractionResult
from matrix.concierge.tenant import TenantRuntime, TenantRuntimes
from matrix.concierge.voice import SPEECH_MODEL, TRANSCRIPTION_MODEL, Speech, Transcription, Voice
from matrix.config import Settings
from matrix.memory.service import Memory


class Concierge:
    """Persona 1 for every tenant of one store."""

    def __init__(
        self,
        store: RuntimeStore,
        settings: Settings,
        providers: ProviderSelector,
        clock: Clock = SYSTEM_CLOCK,
        classifiers: ClassifierSelector | None = None,
        memory: Memory | None = None,
    ) -> None:
        """``classifiers`` gives a tenant's intent classifier (None: the rules alone route);
        ``memory`` recalls into every owner message and remembers it (None: no memory)."""
        self.store = store
        self.settings = settings
        self.providers = providers
        self.clock = clock
        self.runtimes = TenantRuntimes(store, clock, allow_loopback=settings.allow_loopback_urls)
        self.approvals = ApprovalWorkflow(store, clock)
        self.memory = memory
        self.interaction = Interaction(
            store, settings, providers, self.runtimes, self.approvals, clock, classifiers, memory
        )
        self.voice = Voice(store, providers, self.runtimes, clock)

    # -- tenant runtime config --------------------------------------------------------------

    def tenant_runtime(self, tenant_id: str) -> TenantRuntime:
        """The tenant's config with defaults, AI settings and rules (shipped or the tenant's)."""
        return self.runtimes.resolve(tenant_id)

    def config_summary(self, tenant_id: str) -> dict[str, Any]:
        """The origin's runtime-config summary; secrets only as "configured"."""
        return self.runtimes.summary(tenant_id)

    def save_config(self, tenant_id: str, update: Any) -> dict[str, Any]:
        """Validate and store a config update; emits ``tenant.config.changed`` per kind changed.

        A change of prompt, model, policy or runtime settings is a deployment of kind ``config``
        for the delivery metrics. Returns the new summary.
        """
        return self.runtimes.save(tenant_id, update)

    # -- interaction ------------------------------------------------------------------------

    def interact(
        self, tenant_id: str, session_id: str, text: str = "", **options: Any
    ) -> InteractionResult:
        """Handle one owner request end to end; ``.as_dict()`` is the origin's response body.

        Options: ``operation`` (send_message, toggle_continuous_mode, avatar_config_upsert),
        ``channel`` (ui-chat, ui-avatar), ``attachments``, ``persona_overrides``, ``enabled``,
        ``request_id``, ``correlation_id``.

        Raises:
            NotFoundError: unknown tenant.
            UsageError: bad input (named field, nothing stored).
            ApprovalLimitError: the tenant's approval queue is full (nothing stored).
            PolicyError: the tenant's rule override is invalid.
            ProviderError: a strict provider failed (the command and task stay stored).
        """
        return self.interaction.interact(tenant_id, session_id, text, **options)

    # -- voice ------------------------------------------------------------------------------

    def transcribe(
        self, tenant_id: str, audio: bytes, *, mime_type: str = "audio/webm",
        filename: str = "audio.webm", language: str | None = None,
        model: str = TRANSCRIPTION_MODEL,
    ) -> Transcription:  # fmt: skip
        """Speech to text through the tenant's OpenAI key (else the platform's), with usage."""
        return self.voice.transcribe(tenant_id, audio, mime_type=mime_type, filename=filename,
                                     language=language, model=model)  # fmt: skip

    def speak(
        self, tenant_id: str, text: str, *, model: str = SPEECH_MODEL, voice: str = "shimmer",
        speed: float = 1.12, response_format: str = "mp3",
    ) -> tuple[bytes, Speech]:  # fmt: skip
        """Text to speech; refused when the tenant turned voice off."""
        return self.voice.speak(tenant_id, text, model=model, voice=voice, speed=speed,
                                response_format=response_format)  # fmt: skip

    # -- approvals --------------------------------------------------------------------------

    def list_confirmations(
        self, tenant_id: str, status: str = "all", limit: int = DEFAULT_LIST_LIMIT
    ) -> ConfirmationList:
        """The origin's listing: newest first, ``status`` all|pending|approved|rejected|expired."""
        return self.approvals.list(tenant_id, status, limit)

    def resolve_confirmation(
        self,
        tenant_id: str,
        confirmation_id: str,
        decision: str,
        *,
        actor: str,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> Resolution:
        """Approve or reject a pending confirmation, once.

        Approving queues the task on the original correlation, trace and causation. Exactly one
        of several concurrent approvals wins; the others get ``confirmation_not_pending``.

        Raises:
            ApprovalStateError: ``confirmation_not_found`` (unknown for this tenant),
                ``confirmation_not_pending`` (already resolved), ``confirmation_expired``.
            UsageError: ``decision`` is not approve or reject, or no actor is named.
        """
        return self.approvals.resolve(
            tenant_id, confirmation_id, decision, actor=actor, reason=reason,
            request_id=request_id, build_task=self.interaction.approved_task,
        )  # fmt: skip

    def expire_due(self, *, limit: int = EXPIRY_SWEEP_LIMIT) -> int:
        """Expire every pending confirmation past its time to live (run by the scheduler)."""
        return self.approvals.expire_due(limit=limit)
