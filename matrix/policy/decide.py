"""decide(task) → Decision: allow, deny or confirm_required, with the rule and the reason; and how
strictly the policy guards a task type."""

from __future__ import annotations

from dataclasses import dataclass

from matrix.policy.rules import ExecutionPolicy, Outcome, RoutingTable

CONFIRMATIONS_DISABLED = "tenant_runtime_confirmations_disabled"
MODULE_DISABLED = "module_disabled"
"""The reason of a task for a module the tenant did not enable (its pack's ``modules``)."""
DAILY_LIMIT = "daily_limit_reached"
"""The reason of a task over the tenant's daily limit for its type."""


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The policy's answer for one planned task. A deny is an outcome, not an error."""

    outcome: Outcome
    policy_rule_id: str
    reason_code: str

    @property
    def requires_confirmation(self) -> bool:
        return self.outcome is Outcome.CONFIRM_REQUIRED


def decide(
    task_type: str,
    target_module: str,
    policy: ExecutionPolicy,
    *,
    confirmations_enabled: bool = True,
    module_enabled: bool = True,
    over_daily_limit: bool = False,
) -> Decision:
    """The first rule matching the task type and module decides; else the default does.

    A tenant that explicitly turned confirmations off gets ``allow`` where the policy asks for
    confirmation, with the reason ``tenant_runtime_confirmations_disabled``; denies stay denies.
    A task for a module the tenant did not enable is denied (``module_disabled``), and so is
    one over the tenant's daily limit for its type (``daily_limit_reached``), before any rule.
    """
    if not module_enabled:
        return Decision(outcome=Outcome.DENY, policy_rule_id="tenant_modules",
                        reason_code=MODULE_DISABLED)  # fmt: skip
    if over_daily_limit:
        return Decision(outcome=Outcome.DENY, policy_rule_id="tenant_daily_limit",
                        reason_code=DAILY_LIMIT)  # fmt: skip
    decision = Decision(
        outcome=policy.default_decision,
        policy_rule_id="default_decision",
        reason_code=policy.default_reason_code,
    )
    for rule in policy.rules:
        if rule.task_type == task_type and rule.target_module == target_module:
            decision = Decision(
                outcome=rule.decision, policy_rule_id=rule.rule_id, reason_code=rule.reason_code
            )
            break
    if decision.outcome is Outcome.CONFIRM_REQUIRED and not confirmations_enabled:
        return Decision(
            outcome=Outcome.ALLOW,
            policy_rule_id=decision.policy_rule_id,
            reason_code=CONFIRMATIONS_DISABLED,
        )
    return decision


STRICTNESS = {Outcome.ALLOW: 0, Outcome.CONFIRM_REQUIRED: 1, Outcome.DENY: 2}
"""How much an outcome holds a task back: a refusal more than an approval, an approval more than
nothing."""


def task_guard(task_type: str, table: RoutingTable, policy: ExecutionPolicy) -> Outcome:
    """What the policy decides for ``task_type`` on the module the routing sends it to, with
    confirmations on: the policy's own word on the task, whatever a tenant chose about approvals.

    A task type the table never routes to is judged on the module of the policy's rule for it
    (else it gets the default decision).
    """
    found = table.route_for(task_type)
    if found:
        module = found[1].target_module
    else:
        module = next((r.target_module for r in policy.rules if r.task_type == task_type), "")
    return decide(task_type, module, policy).outcome
