"""Routing with an intent classifier: the JSON Schema a model fills, reading what it proposes,
and the rules as its fallback and its guard.

When a tenant has its own AI key, a model proposes the task of an owner's message (structured
output against a JSON Schema of the task types the tenant's routing knows, plus the fields the
message names). The routing rules stay:

- the **fallback**: without a classifier, on a provider error, or when the output does not fit
  the schema, the rules' plan is used;
- the **guard**: when the policy holds the rules' task more strictly than the model's proposal (a
  refusal or an approval against a task that runs at once, or against no task), the rules' plan
  stands. A model saying "collection" cannot turn the rules' write-off, which waits for approval,
  into a collection message sent now.

The policy then decides on the chosen task as on any other: a model proposing a refused action
is refused. Agreeing with the rules keeps the rules' plan, so its rule id is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from matrix import envelopes as env
from matrix.concierge.planner import Plan, plan
from matrix.concierge.ports import IntentClassifier, IntentOutput, IntentRequest
from matrix.errors import ProviderError
from matrix.policy import STRICTNESS, ExecutionPolicy, Outcome, RoutingTable, task_guard
from matrix.policy.rules import TASK_TYPES

NO_TASK = "none"
MODEL_RULE_ID = "intent_model"
"""The route rule id of a plan the model chose (the rules' own id when it agrees with them)."""

TASK_DESCRIPTIONS = {
    "crm.followup.send": "send one named customer a WhatsApp message or a follow-up",
    "crm.lead.capture": "record a new lead or prospect (someone interested, not yet a customer)",
    "crm.campaign.send": "send one message to many people at once (a campaign, a broadcast)",
    "customer.upsert": "register a customer or change a customer's details (phone, e-mail, address, name)",
    "customer.delete.request": "delete a customer, or all of a customer's data",
    "agenda.commitment.schedule": "put an appointment, a meeting or a reminder for the owner in the agenda",
    "billing.charge.create": "create a new charge or invoice for an amount",
    "billing.collection.request": "ask a customer to pay a charge that is overdue or still open",
    "billing.writeoff.request": "write a debt off as a loss, forgive it, stop collecting it",
}  # fmt: skip

FIELDS = {
    "customer_name": ("string", "the customer or lead the message names, as written"),
    "phone": ("string", "a phone number the message gives"),
    "amount": ("number", "an amount of money the message gives"),
    "when": ("string", "the day and time the message asks for, as written"),
}


class RouteSource(StrEnum):
    """Who chose the routed task."""

    RULES = "rules"
    MODEL = "model"


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """What the model proposed: a task type (None: no task), the language and the fields."""

    task_type: str | None
    language: str
    fields: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Routing:
    """The routed plan and how it was chosen."""

    plan: Plan | None
    source: RouteSource
    reason: str
    """``rules_only`` (no classifier), ``model_agrees``, ``model``, ``guard_rules_stricter``,
    ``fallback:invalid_output`` or ``fallback:<provider error code>``."""
    rules_task_type: str | None
    proposal: Proposal | None = None
    output: IntentOutput | None = None
    error: ProviderError | None = field(default=None, repr=False)

    def audit(self) -> dict[str, Any]:
        """How the task was chosen, for the task's input and its approval."""
        found: dict[str, Any] = {"source": self.source.value, "reason": self.reason,
                                 "rules_task_type": self.rules_task_type}  # fmt: skip
        if self.proposal is not None:
            found["model_task_type"] = self.proposal.task_type
            found["fields"] = {k: v for k, v in self.proposal.fields.items() if v is not None}
        return found

    def call_row(
        self, tenant_id: str, corr: str, at: datetime, model: str | None = None
    ) -> dict[str, Any] | None:
        """The classifier call's telemetry row (its usage, or the error the rules stood in for,
        on ``model``, the model asked); None when no classifier was asked."""
        out, error = self.output, self.error
        if out is None and error is None:
            return None
        row: dict[str, Any] = {
            "tenant_id": tenant_id, "recorded_at": at, "kind": "provider_call",
            "name": "owner.classify", "module": env.OWNER, "feature": "intent_routing",
            "correlation_id": corr,
        }  # fmt: skip
        if out is not None:
            row |= {"provider": out.provider, "model": out.model, "latency_ms": float(out.latency_ms),
                    "input_tokens": out.usage.input, "cached_tokens": out.usage.cached,
                    "output_tokens": out.usage.output, "reasoning_tokens": out.usage.reasoning}  # fmt: skip
        invalid = self.reason == "fallback:invalid_output"
        row["status"] = "error" if error is not None or invalid else "ok"
        if error is not None:
            row |= {"provider": error.provider or "openai", "model": model,
                    "error_code": error.code}  # fmt: skip
        elif invalid:
            row["error_code"] = "intent_invalid_output"
        return row


NOT_A_MESSAGE = Routing(plan=None, source=RouteSource.RULES, reason="not_a_message",
                        rules_task_type=None)  # fmt: skip
"""The routing of an operation that is not a message (a mode toggle, an avatar setting)."""


def routable(table: RoutingTable) -> tuple[str, ...]:
    """The task types the table routes to, in the contract's order."""
    return tuple(t for t in TASK_TYPES if table.route_for(t))


def intent_schema(task_types: tuple[str, ...]) -> dict[str, Any]:
    """The JSON Schema of a proposal (strict structured output: every field required)."""
    properties: dict[str, Any] = {
        "task_type": {"type": "string", "enum": [*task_types, NO_TASK],
                      "description": f"the one task the message asks for, or {NO_TASK!r}"},
        "language": {"type": "string", "enum": ["pt", "en"]},
    }  # fmt: skip
    for name, (kind, description) in FIELDS.items():
        properties[name] = {"type": [kind, "null"], "description": description}
    return {"type": "object", "properties": properties, "required": list(properties),
            "additionalProperties": False}  # fmt: skip


def instructions(task_types: tuple[str, ...]) -> str:
    """What the classifier is told: the task types, what each does, and when to choose none."""
    listed = "\n".join(f"- {t}: {TASK_DESCRIPTIONS[t]}" for t in task_types)
    return (
        "You route a small-business owner's message (Portuguese or English) to at most one task"
        " of the owner's assistant. Choose the task the owner asks for:\n"
        f"{listed}\n"
        f"Choose {NO_TASK!r} for greetings, small talk, thanks, questions, requests for a report"
        " or a list, and anything none of these tasks does (cancelling an appointment, drafting"
        " a contract, recording a payment already made). Fill a field only when the message"
        " gives it; otherwise null. Never invent values."
    )


def read_proposal(data: Any, task_types: tuple[str, ...]) -> Proposal | None:
    """The proposal in a classifier's output, or None when it does not fit the schema."""
    if not isinstance(data, dict) or set(data) != {"task_type", "language", *FIELDS}:
        return None
    task_type, language = data["task_type"], data["language"]
    if task_type not in (*task_types, NO_TASK) or language not in ("pt", "en"):
        return None
    for name, (kind, _) in FIELDS.items():
        value = data[name]
        if value is None:
            continue
        if kind == "string" and not isinstance(value, str):
            return None
        if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            return None
    return Proposal(task_type=None if task_type == NO_TASK else task_type, language=language,
                    fields={name: data[name] for name in FIELDS})  # fmt: skip


def _strictness(planned: Plan | None, table: RoutingTable, policy: ExecutionPolicy) -> int:
    """How strictly the policy holds a plan; no task counts as a task that runs."""
    if planned is None:
        return STRICTNESS[Outcome.ALLOW]
    return STRICTNESS[task_guard(planned.task_type, table, policy)]


def _model_plan(task_type: str | None, table: RoutingTable) -> Plan | None:
    found = table.route_for(task_type) if task_type else None
    if found is None:
        return None
    route = found[1]
    return Plan(route_rule_id=MODEL_RULE_ID, target_module=route.target_module,
                task_type=route.task_type, priority=route.priority)  # fmt: skip


def route(
    text: str, table: RoutingTable, policy: ExecutionPolicy,
    classifier: IntentClassifier | None, tenant_id: str,
) -> Routing:  # fmt: skip
    """The plan for an owner's message: the rules', or the classifier's within the rules' guard.

    Never raises for the classifier: a provider error falls back to the rules and is carried in
    the result (for telemetry).
    """
    rules = plan(text, table)
    rules_task = rules.task_type if rules else None
    if classifier is None:
        return Routing(plan=rules, source=RouteSource.RULES, reason="rules_only",
                       rules_task_type=rules_task)  # fmt: skip
    task_types = routable(table)
    request = IntentRequest(tenant_id=tenant_id, text=text, instructions=instructions(task_types),
                            schema=intent_schema(task_types))  # fmt: skip
    try:
        output = classifier.classify(request)
    except ProviderError as exc:
        return Routing(plan=rules, source=RouteSource.RULES, reason=f"fallback:{exc.code}",
                       rules_task_type=rules_task, error=exc)  # fmt: skip
    proposal = read_proposal(output.data, task_types)
    if proposal is None:
        return Routing(plan=rules, source=RouteSource.RULES, reason="fallback:invalid_output",
                       rules_task_type=rules_task, output=output)  # fmt: skip
    proposed = _model_plan(proposal.task_type, table)

    def chosen(planned: Plan | None, source: RouteSource, reason: str) -> Routing:
        return Routing(plan=planned, source=source, reason=reason, rules_task_type=rules_task,
                       proposal=proposal, output=output)  # fmt: skip

    if proposal.task_type == rules_task:
        return chosen(rules, RouteSource.RULES, "model_agrees")
    if _strictness(rules, table, policy) > _strictness(proposed, table, policy) and rules:
        return chosen(rules, RouteSource.RULES, "guard_rules_stricter")
    return chosen(proposed, RouteSource.MODEL, "model")
