"""The interaction: owner message → plan → decision → task or approval → reply.

It follows the origin's flow with its quirks fixed: a greeting creates no task, confirmations
are on unless a tenant turns them off, the claim guard ignores words echoed from the owner.
Every command and event is appended to the event log on the interaction's correlation and trace
ids. An interaction is two transactions: the first reads the tenant's runtime and stores the
owner command with its outcome (the task or approval); the provider is called outside any
transaction, so a slow model never holds the store (what memory recalls for the message is read in
the first as well; a remote embedding model's query vector is made with no transaction open); the second stores what the reply adds (a
blocked claim) with the request's telemetry. A failed request is recorded in one transaction.

The task is routed by the rules, or, for a tenant with an intent classifier (its own AI key), by
the model within the rules' guard (:mod:`matrix.concierge.intent`). That tenant's runtime is read
in a transaction of its own, so that the classifier (and a remote model's embedding of the query)
is asked with none open: three in all. A tenant whose embedding model is remote but who has no
classifier (the platform's key) reads its recall alone after its query is embedded: three too.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.approvals import Approval, ApprovalWorkflow, QueuedTask
from matrix.clock import Clock
from matrix.concierge import guard, tasks
from matrix.concierge.intent import NOT_A_MESSAGE, Routing, route
from matrix.concierge.language import language
from matrix.concierge.planner import Plan
from matrix.concierge.ports import (
    AssistantOutput,
    ClassifierSelector,
    Provider,
    ProviderRequest,
    ProviderSelector,
    ProviderWarning,
    RuntimeStore,
    Turn,
)
from matrix.concierge.privacy import redact
from matrix.concierge.requests import Operation, check_input
from matrix.concierge.responses import (
    AvatarState,
    InteractionResult,
    OwnerCommandRef,
    PolicyView,
    Receipt,
    ReceiptStatus,
    SessionMode,
    SessionState,
    receipt,
)
from matrix.concierge.tenant import TenantRuntime, TenantRuntimes
from matrix.config import Settings
from matrix.errors import ApprovalLimitError, MatrixError, NotFoundError, ProviderError, UsageError
from matrix.memory.recall import Recall
from matrix.memory.service import Memory, Query
from matrix.modules.crm import handling
from matrix.modules.tasks import Task
from matrix.policy import Decision, Outcome

log = logging.getLogger(__name__)

BASE_INSTRUCTIONS = (
    "You are a neutral Owner Concierge for a modular SaaS (customers, agenda, billing, contracts,"
    " WhatsApp CRM). Be concise and operational. Use the operational context you are given; never"
    " claim an action is done unless the context says it is."
)


@dataclass(frozen=True, kw_only=True)
class _Stored:
    """What the request stored before the provider is called."""

    task: Task | None
    confirmation: Approval | None
    receipts: list[Receipt]
    whatsapp: str | None = None
    """What Persona 2 did for the tenant lately, read in the same transaction."""


@dataclass(frozen=True, kw_only=True)
class _Opened:
    """The owner command, its routed plan and decision, and what they stored."""

    planned: Plan | None
    decision: Decision | None
    chain: env.Chain
    caused: env.Chain
    owner_command: env.Envelope
    stored: _Stored
    overrides: dict[str, str] | None


class Interaction:
    """Handles owner requests for every tenant of one store."""

    def __init__(
        self, store: RuntimeStore, settings: Settings, providers: ProviderSelector,
        runtimes: TenantRuntimes, approvals: ApprovalWorkflow, clock: Clock,
        classifiers: ClassifierSelector | None = None, memory: Memory | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.memory = memory
        self.settings = settings
        self.providers = providers
        self.runtimes = runtimes
        self.approvals = approvals
        self.clock = clock
        self.classifiers = classifiers

    def interact(
        self, tenant_id: str, session_id: str, text: str = "", **options: Any
    ) -> InteractionResult:
        """Handle one owner request end to end (see ``Concierge.interact``).

        Every attempt is measured: a request row with status ``ok``, ``error`` (the product
        failed: provider, storage) or ``rejected`` (the request was refused: bad input, unknown
        tenant, approval queue full), so the success SLI counts failures, not only successes.
        """
        started = time.perf_counter()
        # The provider calls' rows (the classifier's, a failed reply's), written with the request's.
        calls: list[dict[str, Any]] = []
        try:
            return self._interact(tenant_id, session_id, text, calls, **options)
        except MatrixError as exc:
            status = (
                "rejected"
                if isinstance(exc, UsageError | NotFoundError | ApprovalLimitError)
                else "error"
            )
            self._record_failure(
                tenant_id, status, type(exc).__name__, (time.perf_counter() - started) * 1000,
                calls,
            )  # fmt: skip
            raise

    def _record_failure(
        self, tenant_id: str, status: str, error: str, latency_ms: float,
        rows: list[dict[str, Any]],
    ) -> None:  # fmt: skip
        """The failed request's row (and its failed provider call's), in one transaction."""
        try:
            with self.store.transaction():
                if not isinstance(tenant_id, str) or self.store.tenants.get(tenant_id) is None:
                    return  # nothing to attribute the failure to
                self.store.telemetry.insert_many([*rows, {
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
        text: str,
        calls: list[dict[str, Any]],
        *,
        operation: str = "send_message",
        channel: str = "ui-chat",
        attachments: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
        persona_overrides: dict[str, str] | None = None,
        enabled: bool | None = None,
        request_id: str | None = None,
        correlation_id: str | None = None,
    ) -> InteractionResult:
        started = time.perf_counter()
        request_id = request_id or env.new_id()
        attachments = tuple(attachments)
        overrides = check_input(
            session_id, text, operation, channel, attachments, persona_overrides
        )
        # The first of the interaction's two transactions: read the tenant's runtime, then store
        # the owner command with its outcome (task or approval), before the provider is called.
        # A tenant with an intent classifier reads its runtime on its own first, so that the
        # classifier is asked with no transaction open.
        message = operation == Operation.SEND_MESSAGE
        with self.store.transaction():
            runtime = self.runtimes.resolve(tenant_id)
            # A provider that cannot be built (strict OpenAI without a key) refuses the request
            # before anything is stored.
            provider = self.providers(runtime.ai) if message else None
            classifier = self.classifiers(runtime.ai) if self.classifiers and message else None
            if classifier is None:
                routed = (route(text, runtime.routing, runtime.policy, None, tenant_id)
                          if message else NOT_A_MESSAGE)  # fmt: skip
                opened = self._open(tenant_id, session_id, text, request_id, operation, channel,
                                    attachments, overrides, enabled, correlation_id, runtime, routed)  # fmt: skip
                recall = self._recall(tenant_id, session_id, text, runtime, message)
        if classifier is not None:
            # Between the two, with none open: the classifier, and a remote model's embedding.
            query = (self.memory.query_vector(runtime.ai, text)
                     if self.memory is not None and runtime.rag_enabled else None)  # fmt: skip
            routed = route(text, runtime.routing, runtime.policy, classifier, tenant_id)
            with self.store.transaction():
                opened = self._open(tenant_id, session_id, text, request_id, operation, channel,
                                    attachments, overrides, enabled, correlation_id, runtime, routed)  # fmt: skip
                recall = self._recall(tenant_id, session_id, text, runtime, message, query)
        if recall is None and message and self.memory is not None and runtime.rag_enabled:
            # A remote embedding model without a classifier: embedded now, then read alone.
            recall = self.memory.recall(tenant_id, session_id, text, runtime.ai)
        classified = routed.call_row(tenant_id, opened.chain.correlation_id, self.clock.now(),
                                     runtime.ai.model or self.settings.openai_model)  # fmt: skip
        if classified:
            calls.append(classified)
        planned, decision, stored = opened.planned, opened.decision, opened.stored
        chain, caused, owner_command = opened.chain, opened.caused, opened.owner_command
        overrides = opened.overrides
        output = self._respond(tenant_id, runtime, provider, text, attachments, overrides,
                               planned, decision, stored, chain.correlation_id, calls, recall)  # fmt: skip
        after: list[env.Envelope] = []
        if operation == Operation.SEND_MESSAGE:
            output = self._guard(
                caused, output, text, request_id, session_id, decision, stored, after
            )
            reply_event = caused.event("owner.response.sent", env.OWNER, env.OWNER, status="info", payload={
                "provider": output.provider, "model": output.model, "text": output.text[:4000],
                "latency_ms": max(0, output.latency_ms), "fallback_reason": output.fallback_reason})  # fmt: skip
        total_ms = (time.perf_counter() - started) * 1000
        # The second: the reply's events and the request's telemetry, written as it ends so that
        # a crash cannot lose the record of a request that was answered.
        with self.store.transaction():
            if recall is not None and self.memory is not None:
                if recall.tokens:  # the trace shows what memory gave the provider, when anything
                    after.append(self.memory.recalled_event(caused, session_id, recall))
                after += self.memory.remember(caused, session_id, text, output.text, ai=runtime.ai)
                calls += self.memory.recall_rows(tenant_id, recall, chain.correlation_id)
            if operation == Operation.SEND_MESSAGE:
                after.append(reply_event)  # what the owner read, after what memory gave the model
            if after:
                self.store.events.append_many(after)
            # A failed reply is its own row in ``calls`` (beside the classifier's); the request
            # then counts as an error of the product, though its outcome was stored and returned.
            # A non-message operation calls no provider.
            failed = [r for r in calls if r["name"] == "owner.respond"]
            called = not failed and output.provider != "none"
            reply = [output.call_row(tenant_id, chain.correlation_id, self.clock.now())]
            self.store.telemetry.insert_many([*calls, *(reply if called else []), {
                "tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "request",
                "name": "owner.interaction", "module": env.OWNER, "status": "error" if failed else "ok",
                "latency_ms": total_ms, "correlation_id": chain.correlation_id, "feature": operation,
                "error_code": failed[0]["error_code"] if failed else None,
            }])  # fmt: skip
        return InteractionResult(
            request_id=request_id,
            owner_command=OwnerCommandRef(
                command_id=owner_command["command_id"],
                correlation_id=owner_command["correlation_id"],
            ),
            session_state=SessionState.after(operation, enabled),
            avatar_state=AvatarState.after(operation, enabled),
            assistant_output=output,
            policy_decision=PolicyView.of(operation, planned, decision),
            execution_receipts=tuple(stored.receipts),
            confirmation=stored.confirmation,
            downstream_tasks=(QueuedTask.of(stored.task),) if stored.task else (),
            provider_error=output.error,
        )

    def _recall(
        self, tenant_id: str, session_id: str, text: str, runtime: TenantRuntime, message: bool,
        query: Query | None = None,
    ) -> Recall | None:  # fmt: skip
        """What memory recalls for a message, inside an open transaction: only when the query's
        vector is at hand (embedded before) or is made here (a local model)."""
        if self.memory is None or not message or not runtime.rag_enabled:
            return None
        if query is None and self.memory.embeds_remotely(runtime.ai):
            return None
        return self.memory.recall(tenant_id, session_id, text, runtime.ai, query=query)

    def _open(
        self, tenant_id: str, session_id: str, text: str, request_id: str, operation: str,
        channel: str, attachments: tuple[dict[str, Any], ...], overrides: dict[str, str] | None,
        enabled: bool | None, correlation_id: str | None, runtime: TenantRuntime, routed: Routing,
    ) -> _Opened:  # fmt: skip
        """The owner command and the outcome of its routed plan, stored (inside a transaction)."""
        overrides = overrides or runtime.personas
        planned = routed.plan
        decision = (
            self.runtimes.decide(runtime, planned.task_type, planned.target_module)
            if planned
            else None
        )
        now = self.clock.now()
        chain = env.Chain(tenant_id=tenant_id, clock=self.clock,
                          correlation_id=correlation_id or env.new_id(), trace_id=env.new_id())  # fmt: skip
        mode = (
            SessionMode.CONTINUOUS
            if operation != Operation.SEND_MESSAGE and enabled
            else SessionMode.ONE_SHOT
        )
        actor = {"actor_id": session_id, "actor_type": "owner", "channel": channel}
        owner_command = chain.command(
            "owner.command.create", env.OWNER, env.OWNER,
            _owner_payload(text or operation, mode.value, attachments, overrides), actor,
        )  # fmt: skip
        caused = replace(chain, causation_id=owner_command["command_id"])
        envelopes = [owner_command, caused.event(
            "owner.command.created", env.OWNER, env.OWNER, status="info",
            payload={"owner_command_id": owner_command["payload"]["owner_command_id"], "mode": mode.value},
        )]  # fmt: skip
        if (
            planned and decision
        ):  # the policy's word, on the trace between the command and its outcome
            envelopes.append(caused.event("owner.decision.made", env.OWNER, env.OWNER, status="info", payload={
                "task_type": planned.task_type, "target_module": planned.target_module,
                "route_rule_id": planned.route_rule_id, "execution_decision": decision.outcome.value,
                "requires_confirmation": decision.requires_confirmation, "policy_rule_id": decision.policy_rule_id,
                "reason_code": decision.reason_code, "routed_by": routed.source.value}))  # fmt: skip
        snapshot = {
            "request_id": request_id, "session_id": session_id, "channel": channel,
            "text": text, "attachments_count": len(attachments), "persona_overrides": overrides,
        }  # fmt: skip
        if planned:
            snapshot["routing"] = routed.audit()
        stored = self._store(caused, runtime, planned, decision, snapshot, actor, envelopes, now,
                             answered=routed is not NOT_A_MESSAGE)  # fmt: skip
        return _Opened(planned=planned, decision=decision, chain=chain, caused=caused,
                       owner_command=owner_command, stored=stored, overrides=overrides)  # fmt: skip

    def _store(
        self, caused: env.Chain, runtime: TenantRuntime, planned: Plan | None,
        decision: Decision | None, snapshot: dict[str, Any], actor: dict[str, str],
        envelopes: list[env.Envelope], now: datetime, *, answered: bool,
    ) -> _Stored:  # fmt: skip
        """Store the owner command and the task or approval it leads to (inside the interaction's
        first transaction); for a message the provider will answer (``answered``), read what
        Persona 2 did, for the answer's operational context."""
        assert caused.causation_id is not None
        receipts = [receipt("owner.command.persisted", ReceiptStatus.PERSISTED, caused.causation_id,
                             env.OWNER, caused, now)]  # fmt: skip
        execution = runtime.config["execution"]
        confirmation: Approval | None = None
        task: Task | None = None
        with self.store.transaction():
            if decision and decision.outcome is Outcome.CONFIRM_REQUIRED:
                self.approvals.ensure_room(caused.tenant_id, execution["max_pending_confirmations"])
            assert planned is not None or decision is None
            if decision and planned and decision.outcome is Outcome.ALLOW:
                task, task_envelopes = tasks.build_task(
                    caused, planned, snapshot, actor, self.clock.now()
                )
                envelopes += task_envelopes
                receipts.append(receipt("module.task.queued", ReceiptStatus.QUEUED, task.task_id,
                                         planned.target_module, caused, now))  # fmt: skip
            elif decision and planned and decision.outcome is Outcome.CONFIRM_REQUIRED:
                confirmation, requested = self.approvals.request(
                    caused, reason_code=decision.reason_code, task_type=planned.task_type,
                    target_module=planned.target_module, priority=planned.priority,
                    route_rule_id=planned.route_rule_id, policy_rule_id=decision.policy_rule_id,
                    request_snapshot=snapshot, configured_ttl=execution["confirmation_ttl_seconds"],
                    at=now,
                )  # fmt: skip
                envelopes.append(requested)
                receipts.append(receipt("owner.confirmation.pending", ReceiptStatus.PENDING,
                                         confirmation.confirmation_id, env.OWNER, caused, now))  # fmt: skip
            self.store.events.append_many(envelopes)
            if task is not None:
                self.store.tasks.enqueue(task)
            whatsapp = (
                handling.activity_line(self.store, caused.tenant_id, now) if answered else None
            )
        return _Stored(task=task, confirmation=confirmation, receipts=receipts, whatsapp=whatsapp)

    def _respond(
        self, tenant_id: str, runtime: TenantRuntime, provider: Provider | None, text: str,
        attachments: tuple[dict[str, Any], ...], overrides: dict[str, str] | None,
        planned: Plan | None, decision: Decision | None, stored: _Stored, corr: str,
        calls: list[dict[str, Any]], recall: Recall | None,
    ) -> AssistantOutput:  # fmt: skip
        if provider is None:  # not a message: nothing to answer
            return AssistantOutput(text="Operation accepted.", provider="none", model=None,
                                   latency_ms=0, fallback_reason="non_message_operation")  # fmt: skip
        context = {
            "execution_decision": decision.outcome.value if decision else "none",
            "task_type": planned.task_type if planned else None,
            "target_module": planned.target_module if planned else None,
            "reason_code": decision.reason_code if decision else None,
            "task_id": stored.task.task_id if stored.task else None,
            "confirmation_id": stored.confirmation.confirmation_id if stored.confirmation else None,
            "whatsapp_agent": stored.whatsapp,
        }
        instructions = "\n\n".join(
            part for part in (
                BASE_INSTRUCTIONS,
                (overrides or {}).get("owner_concierge_prompt", ""),
                "Operational context: " + ", ".join(f"{k}={v}" for k, v in context.items() if v),
                recall.instructions() if recall else "",
            ) if part
        )  # fmt: skip
        history = (
            tuple(Turn(role=t["role"], content=t["content"]) for t in recall.short)
            if recall
            else ()
        )
        request = ProviderRequest(tenant_id=tenant_id, text=text, instructions=instructions,
                                  attachments=attachments, context=context, history=history,
                                  memory=tuple(recall.facts()) if recall else ())  # fmt: skip
        if runtime.config["privacy"]["pii_redaction"]:
            request = replace(request, text=redact(text), instructions=redact(instructions),
                              history=tuple(Turn(role=t.role, content=redact(t.content)) for t in history),
                              memory=tuple(redact(m) for m in request.memory))  # fmt: skip
        try:
            return provider.respond(request)
        except ProviderError as exc:
            calls.append({
                "tenant_id": tenant_id, "recorded_at": self.clock.now(), "kind": "provider_call",
                "name": "owner.respond", "module": env.OWNER, "status": "error",
                "provider": exc.provider or "openai", "model": runtime.ai.model or self.settings.openai_model,
                "feature": "owner_chat", "correlation_id": corr, "error_code": exc.code,
            })  # fmt: skip
            # The outcome is stored already: say it, with its id, and report the error beside it.
            kind, ref = (("task", stored.task.task_id) if stored.task else
                         ("confirmation", stored.confirmation.confirmation_id) if stored.confirmation else
                         ("none", ""))  # fmt: skip
            notice = guard.PROVIDER_DOWN[kind][language(text)].format(id=ref)
            return AssistantOutput(text=notice, provider=exc.provider or "openai", model=None, latency_ms=0,
                                   fallback_reason=f"provider_error:{exc.code}", status="error",
                                   error=ProviderWarning(code=exc.code, message=str(exc),
                                                         provider=exc.provider or "openai"))  # fmt: skip

    def _guard(
        self, caused: env.Chain, output: AssistantOutput, text: str, request_id: str,
        session_id: str, decision: Decision | None, stored: _Stored, after: list[env.Envelope],
    ) -> AssistantOutput:  # fmt: skip
        """The claim guard: a reply that claims what did not happen is replaced (and recorded)."""
        had_task, pending = stored.task is not None, stored.confirmation is not None
        verdict = guard.check(output.text, text, had_task=had_task, pending_confirmation=pending,
                              language=language(text))  # fmt: skip
        if not verdict.blocked:
            return output
        blocked = caused.event(
            "owner.response.claim.blocked", env.OWNER, env.OWNER, status="info",
            payload={
                "request_id": _uuid_or_new(request_id), "session_id": _uuid_or_new(session_id),
                "reason_code": verdict.reason_code,
                "original_text_sha256": hashlib.sha256(output.text.encode()).hexdigest(),
                "provider": output.provider, "model": output.model,
                "execution_decision": decision.outcome.value if decision else "none",
                "had_downstream_task": had_task, "had_pending_confirmation": pending,
            },
        )  # fmt: skip
        after.append(blocked)
        reason = f"claim_guard:{verdict.reason_code}"
        stored.receipts.append(receipt("assistant.claim.blocked", ReceiptStatus.BLOCKED,
                                        blocked["event_id"], env.OWNER, caused, self.clock.now()))  # fmt: skip
        return AssistantOutput(
            text=verdict.text, provider=output.provider, model=output.model,
            latency_ms=output.latency_ms, usage=output.usage, attachments=output.attachments,
            fallback_reason="|".join(r for r in (output.fallback_reason, reason) if r),
        )  # fmt: skip

    # -- tasks ------------------------------------------------------------------------------

    def approved_task(self, approval: Approval, actor: str) -> tuple[Task, list[env.Envelope]]:
        """The task an approved confirmation queues, on the original request's chain."""
        return tasks.approved_task(approval, actor, self.clock)


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


def _uuid_or_new(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"matrix:{value}"))
