"""The planner: an owner's message → at most one module task, by the routing rules (data).

Only ``send_message`` is planned. A message that matches no rule (a greeting, small talk, a
question) plans nothing: it is answered, and no task is queued.
"""

from __future__ import annotations

from dataclasses import dataclass

from matrix.policy.rules import RoutingTable, keyword_matches, words


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A routed task, before the policy decides whether it may run."""

    route_rule_id: str
    target_module: str
    task_type: str
    priority: str


def plan(text: str, table: RoutingTable) -> Plan | None:
    """The first rule whose every keyword group matches the text, or None."""
    tokens = words(text)
    if not tokens:
        return None
    present = set(tokens)

    def matches(keyword: str) -> bool:
        # Most keywords are one plain word: a set lookup, instead of sliding a window over the
        # message for each of the table's keywords (the planner's cost on every interaction).
        if " " in keyword or keyword.endswith("*"):
            return keyword_matches(keyword, tokens)
        return keyword in present

    for rule in table.rules:
        if all(any(matches(k) for k in group) for group in rule.groups):
            return Plan(
                route_rule_id=rule.rule_id,
                target_module=rule.route.target_module,
                task_type=rule.route.task_type,
                priority=rule.route.priority,
            )
    return None
