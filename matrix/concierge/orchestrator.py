"""Persona 1's orchestrator: owner message → plan → decision → task or approval → reply.

:meth:`Concierge.interact` follows the origin's flow and result shape (``assistant_output``,
``policy_decision``, ``execution_receipts``, ``confirmation``, ``downstream_tasks``) with its
quirks fixed: a greeting creates no task, confirmations are on unless a tenant turns them off,
the claim guard ignores words echoed from the owner, and approvals expire on a schedule.

Every command and event is validated against ``contracts/`` and appended to the event log on
the interaction's correlation and trace ids. What the interaction stores before calling the
provider (the owner command, the task or approval) is written in one transaction; the provider
is called outside it, so a slow model never holds the store.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from matrix import envelopes as env
from matrix.approvals import (
    DEFAULT_LIST_LIMIT,
    LIST_LIMIT_CAP,
    Approval,
    Status,
    max_pending,
    ttl_seconds,
)
from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.concierge import guard
from matrix.concierge.language import language
from matrix.concierge.planner import Plan, plan
from matrix.concierge.ports import (
    AssistantOutput,
    ProviderRequest,
    ProviderSelector,
    RuntimeStore,
    TenantAI,
)
from matrix.concierge.runtime_config import DEFAULTS, changed_kinds, normalize, summary
from matrix.config import Settings
from matrix.errors import (
    ApprovalLimitError,
    ApprovalStateError,
    MatrixError,
    NotFoundError,
    ProviderError,
    UsageError,
)
from matrix.modules.tasks import DEFAULT_MAX_ATTEMPTS, Task, TaskStatus
from matrix.policy import Decision, Outcome, decide, parse_policy, parse_routing
from matrix.policy.rules import ExecutionPolicy, RoutingTable, shipped_policy, shipped_routing

log = logging.getLogger(__name__)

ENDPOINT = "/v1/owner-concierge/interaction"
OPERATIONS = ("send_message", "toggle_continuous_mode", "avatar_config_upsert")
CHANNELS = ("ui-chat", "ui-avatar")
ATTACHMENT_TYPES = ("audio", "image", "file")
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 10
MAX_BASE64 = 8_000_000
MAX_EXCERPT = 20_000
BASE_INSTRUCTIONS = (
    "You are a neutral Owner Concierge for a modular SaaS (customers, agenda, billing, contracts,"
    " WhatsApp CRM). Be concise and operational. Use the operational context you are given; never"
    " claim an action is done unless the context says it is."
)


@dataclass(frozen=True, kw_only=True)
class TenantRuntime:
    """A tenant's resolved runtime: config, AI settings and rules."""

    config: dict[str, Any]
    ai: TenantAI
    routing: RoutingTable
    policy: ExecutionPolicy
    key: str | None = field(default=None, repr=False)


class Concierge:
    """Persona 1 for every tenant of one store."""

    def __init__(
        self,
        store: RuntimeStore,
        settings: Settings,
        providers: ProviderSelector,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.settings = settings
        self.providers = providers
        self.clock = clock
        self._routing = shipped_routing()
        self._policy = shipped_policy()

    # -- tenant runtime config --------------------------------------------------------------

    def tenant_runtime(self, tenant_id: str) -> TenantRuntime:
        """The tenant's config with defaults, AI settings and rules (shipped or the tenant's)."""
        self.store.tenants.require(tenant_id)
        stored = self.store.runtime_config.get(tenant_id)
        config = normalize({}, stored[0] if stored else None)[0]
        key = self.store.runtime_config.secret(tenant_id, "openai.api_key")
        ai = TenantAI(
            mode=config["provider"]["mode"],
            api_key=key,
            model=config["openai"]["model"] if stored else None,
            base_url=config["openai"]["base_url"],
        )
        routing = self._routing
        if config["policy"]["routing"]:
            routing = parse_routing(
                config["policy"]["routing"], f"tenant {tenant_id} policy.routing"
            )
        policy = self._policy
        if config["policy"]["execution"]:
            policy = parse_policy(
                config["policy"]["execution"], f"tenant {tenant_id} policy.execution"
            )
        return TenantRuntime(config=config, ai=ai, routing=routing, policy=policy, key=key)

    def config_summary(self, tenant_id: str) -> dict[str, Any]:
        """The origin's runtime-config summary; secrets only as "configured"."""
        self.store.tenants.require(tenant_id)
        stored = self.store.runtime_config.get(tenant_id)
        config = normalize({}, stored[0] if stored else None)[0]
        updated = env.timestamp(stored[2]) if stored else None
        return summary(
            tenant_id, config, self.store.runtime_config.secret_names(tenant_id), updated
        )

    def save_config(self, tenant_id: str, update: Any) -> dict[str, Any]:
        """Validate and store a config update; emits ``tenant.config.changed`` per kind changed.

        A change of prompt, model, policy or runtime settings is a deployment of kind ``config``
        for the delivery metrics.
        """
        self.store.tenants.require(tenant_id)
        stored = self.store.runtime_config.get(tenant_id)
        before = stored[0] if stored else None
        config, secrets = normalize(update, before)
        old_names = self.store.runtime_config.secret_names(tenant_id)
        secrets_changed = any(
            v is not None and (v != "" or name in old_names) for name, v in secrets.items()
        )
        kinds = changed_kinds(before or DEFAULTS, config, secrets_changed)
        now = self.clock.now()
        with self.store.transaction():
            version = self.store.runtime_config.save(tenant_id, config, secrets, now)
            self.store.events.append_many(
                [
                    env.event(
                        "tenant.config.changed",
                        tenant_id=tenant_id,
                        source_module=env.OWNER,
                        target_module=env.OWNER,
                        status="info",
                        clock=self.clock,
                        payload={
                            "config_kind": kind,
                            "version": str(version),
                            "changed_fields": fields,
                        },
                    )
                    for kind, fields in sorted(kinds.items())
                ]
            )
        return self.config_summary(tenant_id)

    # -- interaction ------------------------------------------------------------------------

    def interact(
        self, tenant_id: str, session_id: str, text: str = "", **options: Any
    ) -> dict[str, Any]:
        """Handle one owner request end to end and return the origin's response body.

        Every attempt is measured: a request row with status ``ok``, ``error`` (the product
        failed: provider, storage) or ``rejected`` (the request was refused: bad input, unknown
        tenant, approval queue full), so the success SLI counts failures, not only successes.
        See :meth:`_interact` for the options and the errors raised.
        """
        started = time.perf_counter()
        try:
            return self._interact(tenant_id, session_id, text, **options)
        except MatrixError as exc:
            status = (
                "rejected"
                if isinstance(exc, UsageError | NotFoundError | ApprovalLimitError)
                else "error"
            )
            self._record_failure(
                tenant_id, status, type(exc).__name__, (time.perf_counter() - started) * 1000
            )
            raise

    def _record_failure(self, tenant_id: str, status: str, error: str, latency_ms: float) -> None:
        if not isinstance(tenant_id, str) or self.store.tenants.get(tenant_id) is None:
            return  # nothing to attribute the failure to
        try:
            self.store.telemetry.insert_many([{
                "tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "request",
                "name": "owner.interaction", "module": env.OWNER, "status": status,
                "latency_ms": latency_ms, "error_code": error,
            }])  # fmt: skip
        except MatrixError:
            log.warning("could not record a failed interaction for tenant %s", tenant_id)

    def _interact(
        self,
        tenant_id: str,
        session_id: str,
        text: str = "",
        *,
        operation: str = "send_message",
        channel: str = "ui-chat",
        attachments: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
        persona_overrides: dict[str, str] | None = None,
        enabled: bool | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """The interaction itself (see :meth:`interact`).

        Raises:
            NotFoundError: unknown tenant.
            UsageError: bad input (named field, nothing stored).
            ApprovalLimitError: the tenant's approval queue is full (nothing stored).
            PolicyError: the tenant's rule override is invalid.
            ProviderError: a strict provider failed (the command and task stay stored).
        """
        started = time.perf_counter()
        request_id = request_id or env.new_id()
        attachments = tuple(attachments)
        overrides = self._check_input(
            session_id, text, operation, channel, attachments, persona_overrides
        )
        runtime = self.tenant_runtime(tenant_id)
        overrides = overrides or _tenant_personas(runtime.config)
        planned = plan(text, runtime.routing) if operation == "send_message" else None
        decision = (
            decide(
                planned.task_type,
                planned.target_module,
                runtime.policy,
                confirmations_enabled=runtime.config["execution"]["confirmations_enabled"]
                is not False,
            )
            if planned
            else None
        )
        now = self.clock.now()
        corr = correlation_id or env.new_id()
        trace = env.new_id()
        mode = "continuous" if operation != "send_message" and enabled else "one-shot"
        owner_command = env.command(
            "owner.command.create", tenant_id=tenant_id, source_module=env.OWNER,
            target_module=env.OWNER, correlation_id=corr, trace_id=trace, clock=self.clock,
            actor={"actor_id": session_id, "actor_type": "owner", "channel": channel},
            payload=_owner_payload(text or operation, mode, attachments, overrides),
        )  # fmt: skip
        envelopes: list[dict[str, Any]] = [
            owner_command,
            env.event(
                "owner.command.created", tenant_id=tenant_id, source_module=env.OWNER,
                target_module=env.OWNER, status="info", correlation_id=corr, trace_id=trace,
                causation_id=owner_command["command_id"], clock=self.clock,
                payload={"owner_command_id": owner_command["payload"]["owner_command_id"], "mode": mode},
            ),
        ]  # fmt: skip
        receipts = [_receipt("owner.command.persisted", "persisted", owner_command["command_id"],
                             env.OWNER, tenant_id, corr, trace, now)]  # fmt: skip
        snapshot = {
            "request_id": request_id, "session_id": session_id, "channel": channel,
            "text": text, "attachments_count": len(attachments), "persona_overrides": overrides,
        }  # fmt: skip
        confirmation: Approval | None = None
        task: Task | None = None
        with self.store.transaction():
            if decision and decision.outcome is Outcome.CONFIRM_REQUIRED:
                limit = max_pending(runtime.config["execution"]["max_pending_confirmations"])
                pending = self.store.approvals.count_pending(tenant_id)
                if pending >= limit:
                    raise ApprovalLimitError(
                        f"Tenant {tenant_id!r} already has {pending} pending confirmations (the limit"
                        f" is {limit}); approve, reject or let some expire first. Nothing was stored.",
                        pending_count=pending, max_pending=limit,
                    )  # fmt: skip
            assert planned is not None or decision is None
            if decision and planned and decision.outcome is Outcome.ALLOW:
                task, task_envelopes = self._build_task(
                    tenant_id, planned, snapshot, owner_command, corr, trace,
                    actor={"actor_id": session_id, "actor_type": "owner", "channel": channel},
                )  # fmt: skip
                envelopes += task_envelopes
                receipts.append(_receipt("module.task.queued", "queued", task.task_id,
                                         planned.target_module, tenant_id, corr, trace, now))  # fmt: skip
            elif decision and planned and decision.outcome is Outcome.CONFIRM_REQUIRED:
                ttl = ttl_seconds(runtime.config["execution"]["confirmation_ttl_seconds"])
                confirmation = Approval(
                    confirmation_id=env.new_id(), tenant_id=tenant_id, status=Status.PENDING,
                    reason_code=decision.reason_code, task_type=planned.task_type,
                    target_module=planned.target_module, priority=planned.priority,
                    route_rule_id=planned.route_rule_id, policy_rule_id=decision.policy_rule_id,
                    correlation_id=corr, trace_id=trace, owner_command_id=owner_command["command_id"],
                    request_snapshot=snapshot, created_at=now, expires_at=now + timedelta(seconds=ttl),
                )  # fmt: skip
                self.store.approvals.insert(confirmation)
                envelopes.append(env.event(
                    "owner.confirmation.requested", tenant_id=tenant_id, source_module=env.OWNER,
                    target_module=env.OWNER, status="info", correlation_id=corr, trace_id=trace,
                    causation_id=owner_command["command_id"], clock=self.clock,
                    payload={"confirmation_id": confirmation.confirmation_id,
                             "task_type": planned.task_type, "target_module": planned.target_module,
                             "reason_code": decision.reason_code},
                ))  # fmt: skip
                receipts.append(_receipt("owner.confirmation.pending", "pending",
                                         confirmation.confirmation_id, env.OWNER, tenant_id, corr,
                                         trace, now))  # fmt: skip
            self.store.events.append_many(envelopes)
            if task is not None:
                self.store.tasks.enqueue(task)

        output = self._respond(tenant_id, runtime, text, operation, attachments, overrides,
                               planned, decision, task, confirmation, corr)  # fmt: skip
        after: list[dict[str, Any]] = []
        if operation == "send_message":
            verdict = guard.check(
                output.text, text, had_task=task is not None,
                pending_confirmation=confirmation is not None, language=language(text),
            )  # fmt: skip
            if verdict.blocked:
                blocked = env.event(
                    "owner.response.claim.blocked", tenant_id=tenant_id, source_module=env.OWNER,
                    target_module=env.OWNER, status="info", correlation_id=corr, trace_id=trace,
                    causation_id=owner_command["command_id"], clock=self.clock,
                    payload={
                        "request_id": _uuid_or_new(request_id), "session_id": _uuid_or_new(session_id),
                        "reason_code": verdict.reason_code,
                        "original_text_sha256": hashlib.sha256(output.text.encode()).hexdigest(),
                        "provider": output.provider, "model": output.model,
                        "execution_decision": decision.outcome.value if decision else "none",
                        "had_downstream_task": task is not None,
                        "had_pending_confirmation": confirmation is not None,
                    },
                )  # fmt: skip
                after.append(blocked)
                reason = f"claim_guard:{verdict.reason_code}"
                fallback = "|".join(r for r in (output.fallback_reason, reason) if r)
                output = AssistantOutput(
                    text=verdict.text, provider=output.provider, model=output.model,
                    latency_ms=output.latency_ms, usage=output.usage,
                    attachments=output.attachments, fallback_reason=fallback,
                )  # fmt: skip
                receipts.append(_receipt("assistant.claim.blocked", "blocked", blocked["event_id"],
                                         env.OWNER, tenant_id, corr, trace, self.clock.now()))  # fmt: skip
        total_ms = (time.perf_counter() - started) * 1000
        with self.store.transaction():
            if after:
                self.store.events.append_many(after)
            self.store.telemetry.insert_many([
                _provider_row(tenant_id, output, corr, self.clock.now()),
                {"tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "request",
                 "name": "owner.interaction", "module": env.OWNER, "status": "ok",
                 "latency_ms": total_ms, "correlation_id": corr, "feature": operation},
            ])  # fmt: skip
        return _response(request_id, owner_command, operation, enabled, output, planned, decision,
                         receipts, confirmation, task)  # fmt: skip

    def _respond(
        self, tenant_id: str, runtime: TenantRuntime, text: str, operation: str,
        attachments: tuple[dict[str, Any], ...], overrides: dict[str, str] | None,
        planned: Plan | None, decision: Decision | None, task: Task | None,
        confirmation: Approval | None, corr: str,
    ) -> AssistantOutput:  # fmt: skip
        if operation != "send_message":
            return AssistantOutput(text="Operation accepted.", provider="none", model=None,
                                   latency_ms=0, fallback_reason="non_message_operation")  # fmt: skip
        provider = self.providers(runtime.ai)
        context = {
            "execution_decision": decision.outcome.value if decision else "none",
            "task_type": planned.task_type if planned else None,
            "target_module": planned.target_module if planned else None,
            "reason_code": decision.reason_code if decision else None,
            "task_id": task.task_id if task else None,
            "confirmation_id": confirmation.confirmation_id if confirmation else None,
        }
        instructions = "\n\n".join(
            part for part in (
                BASE_INSTRUCTIONS,
                (overrides or {}).get("owner_concierge_prompt", ""),
                "Operational context: " + ", ".join(f"{k}={v}" for k, v in context.items() if v),
            ) if part
        )  # fmt: skip
        request = ProviderRequest(tenant_id=tenant_id, text=text, instructions=instructions,
                                  attachments=attachments, context=context)  # fmt: skip
        try:
            return provider.respond(request)
        except ProviderError as exc:
            now = self.clock.now()
            self.store.telemetry.insert_many([{
                "tenant_id": tenant_id, "recorded_at": now, "kind": "provider_call",
                "name": "owner.respond", "module": env.OWNER, "status": "error",
                "provider": exc.provider or "openai", "model": runtime.ai.model or self.settings.openai_model,
                "feature": "owner_chat", "correlation_id": corr, "error_code": exc.code,
            }])  # fmt: skip
            raise

    def _build_task(
        self, tenant_id: str, planned: Plan, snapshot: dict[str, Any], owner_command: dict[str, Any],
        corr: str, trace: str, *, actor: dict[str, str],
    ) -> tuple[Task, list[dict[str, Any]]]:  # fmt: skip
        task_id = env.new_id()
        task_input = {
            "request_id": snapshot["request_id"], "session_id": snapshot["session_id"],
            "text": snapshot["text"], "attachments_count": snapshot["attachments_count"],
            "planning_rule": planned.route_rule_id,
        }  # fmt: skip
        if snapshot.get("persona_overrides"):
            task_input["persona_overrides"] = snapshot["persona_overrides"]
        command = env.command(
            "module.task.create", tenant_id=tenant_id, source_module=env.OWNER,
            target_module=planned.target_module, correlation_id=corr, trace_id=trace,
            causation_id=owner_command["command_id"], clock=self.clock, actor=actor,
            payload={"task_id": task_id, "task_type": planned.task_type,
                     "priority": planned.priority, "input": task_input},
        )  # fmt: skip
        created = env.event(
            "module.task.created", tenant_id=tenant_id, source_module=env.OWNER,
            target_module=planned.target_module, correlation_id=corr, trace_id=trace,
            causation_id=command["command_id"], clock=self.clock,
            payload={"task_id": task_id, "task_type": planned.task_type,
                     "target_module": planned.target_module},
        )  # fmt: skip
        now = self.clock.now()
        task = Task(
            task_id=task_id, tenant_id=tenant_id, task_type=planned.task_type,
            target_module=planned.target_module, priority=planned.priority,
            status=TaskStatus.QUEUED, attempts=0, max_attempts=DEFAULT_MAX_ATTEMPTS,
            available_at=now, correlation_id=corr, trace_id=trace,
            command_id=command["command_id"], command=command, created_at=now,
        )  # fmt: skip
        return task, [command, created]

    # -- audio ------------------------------------------------------------------------------

    def transcribe(
        self, tenant_id: str, audio: bytes, *, mime_type: str = "audio/webm",
        filename: str = "audio.webm", language: str | None = None, model: str = "whisper-1",
    ) -> dict[str, Any]:  # fmt: skip
        """Speech to text through the tenant's OpenAI key (else the platform's), with usage."""
        runtime = self.tenant_runtime(tenant_id)
        if not audio:
            raise UsageError("audio is empty; send the recording's bytes (invalid_audio_base64).")
        provider = self.providers.audio(runtime.ai)
        try:
            text, latency = provider.transcribe(audio, filename=filename, mime_type=mime_type,
                                                model=model, language=language)  # fmt: skip
        except ProviderError as exc:
            self._audio_row(tenant_id, "transcription", model, 0, "error", exc.code)
            raise
        self._audio_row(tenant_id, "transcription", model, latency, "ok", None)
        return {"text": text, "provider": "openai", "model": model, "latency_ms": latency}

    def speak(
        self, tenant_id: str, text: str, *, model: str = "gpt-4o-mini-tts", voice: str = "shimmer",
        speed: float = 1.12, response_format: str = "mp3",
    ) -> tuple[bytes, dict[str, Any]]:  # fmt: skip
        """Text to speech; refused when the tenant turned voice off."""
        runtime = self.tenant_runtime(tenant_id)
        if not isinstance(text, str) or not text.strip():
            raise UsageError("text must not be empty.")
        if runtime.config["openai"]["voice_enabled"] is False:
            raise ProviderError("voice_disabled_by_tenant: this tenant turned voice off.",
                                code="voice_disabled_by_tenant", provider="openai")  # fmt: skip
        provider = self.providers.audio(runtime.ai)
        speed = min(4.0, max(0.25, float(speed)))
        try:
            audio, latency = provider.speech(text, model=model, voice=voice, speed=speed,
                                             response_format=response_format)  # fmt: skip
        except ProviderError as exc:
            self._audio_row(tenant_id, "speech", model, 0, "error", exc.code)
            raise
        self._audio_row(tenant_id, "speech", model, latency, "ok", None)
        return audio, {
            "provider": "openai",
            "model": model,
            "voice": voice,
            "speed": speed,
            "latency_ms": latency,
        }

    def _audio_row(
        self, tenant_id: str, feature: str, model: str, latency: int, status: str, error: str | None
    ) -> None:
        self.store.telemetry.insert_many([{
            "tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "provider_call",
            "name": f"owner.{feature}", "module": env.OWNER, "status": status, "latency_ms": float(latency),
            "provider": "openai", "model": model, "feature": feature, "error_code": error,
        }])  # fmt: skip

    # -- approvals --------------------------------------------------------------------------

    def list_confirmations(
        self, tenant_id: str, status: str = "all", limit: int = DEFAULT_LIST_LIMIT
    ) -> dict[str, Any]:
        """The origin's listing: newest first, ``status`` all|pending|approved|rejected|expired."""
        self.store.tenants.require(tenant_id)
        allowed = ["all", *[s.value for s in Status]]
        status = status or "all"
        if status not in allowed:
            raise UsageError(f"status {status!r} is not one of {allowed} (invalid_status_filter).")
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise UsageError(
                f"limit must be a whole number of at least 1, got {limit!r} (invalid_limit)."
            )
        limit = min(limit, LIST_LIMIT_CAP)
        items = self.store.approvals.list(
            tenant_id, status=None if status == "all" else Status(status), limit=limit
        )
        return {"tenant_id": tenant_id, "status_filter": status, "count": len(items),
                "items": [a.summary() for a in items]}  # fmt: skip

    def resolve_confirmation(
        self,
        tenant_id: str,
        confirmation_id: str,
        decision: str,
        *,
        actor: str,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """Approve or reject a pending confirmation, once.

        Approving queues the task on the original correlation, trace and causation. Exactly one
        of several concurrent approvals wins; the others get ``confirmation_not_pending``.

        Raises:
            ApprovalStateError: ``confirmation_not_found`` (unknown for this tenant),
                ``confirmation_not_pending`` (already resolved), ``confirmation_expired``.
            UsageError: ``decision`` is not approve or reject, or no actor is named.
        """
        if decision not in ("approve", "reject"):
            raise UsageError(f'decision must be "approve" or "reject", got {decision!r}.')
        if not isinstance(actor, str) or not actor.strip():
            raise UsageError(
                "Name who resolves the confirmation (actor), e.g. the owner's session id."
            )
        self.store.tenants.require(tenant_id)
        request_id = request_id or env.new_id()
        now = self.clock.now()
        approval = self.store.approvals.get(tenant_id, confirmation_id)
        if approval is None:
            raise ApprovalStateError(
                f"No confirmation {confirmation_id!r} for tenant {tenant_id!r}.",
                code="confirmation_not_found",
            )
        if approval.status is not Status.PENDING:
            raise ApprovalStateError(
                f"Confirmation {confirmation_id} is already {approval.status.value}; nothing changed.",
                code="confirmation_not_pending", status=approval.status.value,
            )  # fmt: skip
        if approval.is_expired(now):
            self._expire(approval, now)
            raise ApprovalStateError(
                f"Confirmation {confirmation_id} expired at {env.timestamp(approval.expires_at)}"
                " and can no longer be approved; ask again.",
                code="confirmation_expired", status=Status.EXPIRED.value,
            )  # fmt: skip
        snapshot = approval.request_snapshot
        task: Task | None = None
        with self.store.transaction():
            if decision == "approve":
                planned = Plan(route_rule_id=approval.route_rule_id or "confirmation_resume",
                               target_module=approval.target_module, task_type=approval.task_type,
                               priority=approval.priority)  # fmt: skip
                owner_ref = {"command_id": approval.owner_command_id}
                task, envelopes = self._build_task(
                    tenant_id, planned, snapshot, owner_ref, approval.correlation_id, approval.trace_id,
                    actor={"actor_id": actor, "actor_type": "owner",
                           "channel": snapshot.get("channel") or "ui-chat"},
                )  # fmt: skip
                status = Status.APPROVED
            else:
                envelopes = []
                status = Status.REJECTED
            won = self.store.approvals.resolve(
                tenant_id, confirmation_id, status=status, at=now, actor=actor, reason=reason,
                task_id=task.task_id if task else None,
            )  # fmt: skip
            if not won:
                current = self.store.approvals.get(tenant_id, confirmation_id)
                raise ApprovalStateError(
                    f"Confirmation {confirmation_id} was resolved by someone else just now"
                    f" ({current.status.value if current else 'unknown'}); nothing changed.",
                    code="confirmation_not_pending",
                    status=current.status.value if current else None,
                )
            common: dict[str, Any] = {"tenant_id": tenant_id, "source_module": env.OWNER, "target_module": env.OWNER,
                      "correlation_id": approval.correlation_id, "trace_id": approval.trace_id,
                      "causation_id": approval.owner_command_id, "clock": self.clock}  # fmt: skip
            if task is not None:
                envelopes.append(env.event(
                    "owner.confirmation.approved", status="accepted",
                    payload={"confirmation_id": confirmation_id, "task_id": task.task_id,
                             "task_type": approval.task_type, "target_module": approval.target_module,
                             "actor_id": actor, "resolution_reason": reason}, **common,
                ))  # fmt: skip
            else:
                envelopes.append(env.event(
                    "owner.confirmation.rejected", status="info",
                    payload={"confirmation_id": confirmation_id, "task_type": approval.task_type,
                             "target_module": approval.target_module,
                             "reason_code": approval.reason_code, "actor_id": actor,
                             "resolution_reason": reason}, **common,
                ))  # fmt: skip
            self.store.events.append_many(envelopes)
            if task is not None:
                self.store.tasks.enqueue(task)
        resolved = self.store.approvals.get(tenant_id, confirmation_id)
        assert resolved is not None
        body: dict[str, Any] = {"request_id": request_id, "status": "accepted",
                                "confirmation": resolved.summary()}  # fmt: skip
        if task is not None:
            body["downstream_task"] = {"task_id": task.task_id, "target_module": task.target_module,
                                       "task_type": task.task_type, "status": "queued"}  # fmt: skip
        self.store.telemetry.insert_many([{
            "tenant_id": tenant_id, "recorded_at": now, "kind": "approval", "name": f"owner.confirmation.{status.value}",
            "module": env.OWNER, "status": status.value,
            "latency_ms": (now - approval.created_at).total_seconds() * 1000,
            "correlation_id": approval.correlation_id, "feature": approval.task_type,
        }])  # fmt: skip
        return body

    def expire_due(self, *, limit: int = 500) -> int:
        """Expire every pending confirmation past its time to live (run by the scheduler)."""
        now = self.clock.now()
        expired = 0
        for approval in self.store.approvals.due_for_expiry(now, limit=limit):
            expired += self._expire(approval, now)
        return expired

    def _expire(self, approval: Approval, now: datetime) -> int:
        with self.store.transaction():
            if not self.store.approvals.resolve(
                approval.tenant_id, approval.confirmation_id, status=Status.EXPIRED, at=now,
                actor="scheduler", reason="expired_ttl",
            ):  # fmt: skip
                return 0
            ttl = max(1, int((approval.expires_at - approval.created_at).total_seconds()))
            self.store.events.append_many([env.event(
                "owner.confirmation.expired", tenant_id=approval.tenant_id, source_module=env.OWNER,
                target_module=env.OWNER, status="info", correlation_id=approval.correlation_id,
                trace_id=approval.trace_id, causation_id=approval.owner_command_id, clock=self.clock,
                payload={"confirmation_id": approval.confirmation_id, "task_type": approval.task_type,
                         "target_module": approval.target_module, "ttl_seconds": ttl},
            )])  # fmt: skip
            self.store.telemetry.insert_many([{
                "tenant_id": approval.tenant_id, "recorded_at": now, "kind": "approval",
                "name": "owner.confirmation.expired", "module": env.OWNER, "status": "expired",
                "latency_ms": (now - approval.created_at).total_seconds() * 1000,
                "correlation_id": approval.correlation_id, "feature": approval.task_type,
            }])  # fmt: skip
        return 1

    # -- input checks -----------------------------------------------------------------------

    @staticmethod
    def _check_input(
        session_id: str, text: str, operation: str, channel: str,
        attachments: tuple[dict[str, Any], ...], overrides: dict[str, str] | None,
    ) -> dict[str, str] | None:  # fmt: skip
        problems = []
        if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > 200:
            problems.append("session_id must be a non-empty id (at most 200 characters)")
        if operation not in OPERATIONS:
            problems.append(f"operation must be one of {list(OPERATIONS)}, got {operation!r}")
        if channel not in CHANNELS:
            problems.append(f"channel must be one of {list(CHANNELS)}, got {channel!r}")
        if operation == "send_message":
            if not isinstance(text, str) or not text.strip():
                problems.append("payload.text must not be empty for send_message")
            elif len(text) > MAX_TEXT:
                problems.append(
                    f"payload.text is {len(text):,} characters; the limit is {MAX_TEXT:,}"
                )
        if len(attachments) > MAX_ATTACHMENTS:
            problems.append(
                f"payload.attachments has {len(attachments)} items; the limit is {MAX_ATTACHMENTS}"
            )
        for i, item in enumerate(attachments[:MAX_ATTACHMENTS]):
            where = f"payload.attachments[{i}]"
            if not isinstance(item, dict):
                problems.append(f"{where} must be an object")
                continue
            if item.get("type") not in ATTACHMENT_TYPES:
                problems.append(f"{where}.type must be one of {list(ATTACHMENT_TYPES)}")
            data = item.get("data_base64")
            if data is not None and (not isinstance(data, str) or len(data) > MAX_BASE64):
                size = len(data) if isinstance(data, str) else 0
                problems.append(
                    f"{where}.data_base64 is {size:,} characters; the limit is {MAX_BASE64:,}"
                )
            excerpt = item.get("text_excerpt")
            if excerpt is not None and (not isinstance(excerpt, str) or len(excerpt) > MAX_EXCERPT):
                problems.append(f"{where}.text_excerpt is over {MAX_EXCERPT:,} characters")
        cleaned: dict[str, str] | None = None
        if overrides is not None:
            if not isinstance(overrides, dict):
                problems.append("payload.persona_overrides must be an object")
            else:
                unknown = set(overrides) - {"owner_concierge_prompt", "whatsapp_agent_prompt"}
                if unknown:
                    problems.append(
                        f"payload.persona_overrides has unknown field(s) {sorted(unknown)}"
                    )
                cleaned = {k: v.strip() for k, v in overrides.items()
                           if k not in unknown and isinstance(v, str) and v.strip()}  # fmt: skip
                if not cleaned and not unknown:
                    problems.append("payload.persona_overrides needs at least one non-blank prompt")
        if problems:
            raise UsageError(
                "Invalid interaction: " + "; ".join(problems) + ". Nothing was stored."
            )
        return cleaned or None


def _tenant_personas(config: dict[str, Any]) -> dict[str, str] | None:
    personas = {k: v for k, v in config["personas"].items() if isinstance(v, str) and v.strip()}
    return personas or None


def _owner_payload(
    text: str, mode: str, attachments: tuple[dict[str, Any], ...], overrides: dict[str, str] | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"owner_command_id": env.new_id(), "text": text, "mode": mode}
    if attachments:
        payload["attachments"] = [
            {"type": a["type"], "uri": a.get("uri") or "upload://local/unknown"}
            for a in attachments
        ]
    if overrides:
        payload["persona_overrides"] = overrides
    return payload


def _receipt(
    name: str, status: str, reference: str, target: str, tenant_id: str, corr: str, trace: str,
    at: datetime,
) -> dict[str, Any]:  # fmt: skip
    return {
        "receipt": name, "status": status, "reference": reference, "endpoint": ENDPOINT,
        "method": "POST", "target_module": target, "occurred_at": env.timestamp(at),
        "tenant_id": tenant_id, "correlation_id": corr, "trace_id": trace,
    }  # fmt: skip


def _provider_row(tenant_id: str, out: AssistantOutput, corr: str, at: datetime) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id, "recorded_at": at, "kind": "provider_call", "name": "owner.respond",
        "module": env.OWNER, "status": "fallback" if (out.fallback_reason or "").startswith("fallback:") else "ok",
        "latency_ms": float(out.latency_ms), "provider": out.provider, "model": out.model,
        "feature": "owner_chat", "correlation_id": corr, "input_tokens": out.usage.input,
        "cached_tokens": out.usage.cached, "output_tokens": out.usage.output,
        "reasoning_tokens": out.usage.reasoning, "audio_seconds": out.usage.audio_seconds,
    }  # fmt: skip


def _uuid_or_new(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"matrix:{value}"))


def _response(
    request_id: str, owner_command: dict[str, Any], operation: str, enabled: bool | None,
    output: AssistantOutput, planned: Plan | None, decision: Decision | None,
    receipts: list[dict[str, Any]], confirmation: Approval | None, task: Task | None,
) -> dict[str, Any]:  # fmt: skip
    if operation == "send_message":
        session_state = {"mode": "one-shot", "state": "awaiting_user"}
    elif operation == "toggle_continuous_mode":
        session_state = (
            {"mode": "continuous", "state": "active_continuous"}
            if enabled
            else {"mode": "one-shot", "state": "paused"}
        )
    else:
        session_state = {"mode": "one-shot", "state": "idle"}
    avatar_on = bool(enabled) and operation in ("avatar_config_upsert", "toggle_continuous_mode")
    avatar_state = (
        {"enabled": True, "state": "ready", "voice_profile": "owner-default"}
        if avatar_on
        else {"enabled": False, "state": "disabled"}
    )
    body: dict[str, Any] = {
        "request_id": request_id,
        "status": "accepted",
        "owner_command": {"command_id": owner_command["command_id"],
                          "correlation_id": owner_command["correlation_id"],
                          "name": "owner.command.create"},
        "session_state": session_state,
        "avatar_state": avatar_state,
        "assistant_output": output.as_dict(),
        "policy_decision": {
            "route_rule_id": planned.route_rule_id if planned else None,
            "policy_rule_id": decision.policy_rule_id if decision else None,
            "execution_decision": decision.outcome.value if decision else "none",
            "requires_confirmation": bool(decision and decision.requires_confirmation),
            "reason_code": decision.reason_code if decision else ("no_route" if operation == "send_message" else None),
        },
        "execution_receipts": receipts,
    }  # fmt: skip
    if confirmation is not None:
        body["confirmation"] = confirmation.summary()
    if task is not None:
        body["downstream_tasks"] = [{"task_id": task.task_id, "target_module": task.target_module,
                                     "task_type": task.task_type, "status": "queued"}]  # fmt: skip
    return body
