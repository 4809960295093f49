"""The planner: an owner's message → at most one module task, by the routing rules (data).

Only ``send_message`` is planned. The first rule that matches decides: a rule with a route plans
its task; a rule without one (a question, a report, something no task does) plans nothing, and so
does a message that matches no rule (a greeting, small talk): it is answered, and no task is
queued. Misspelt keywords are put right first (see :func:`matrix.policy.rules.corrected`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from matrix.policy.rules import RoutingTable, corrected, keyword_matches, words


@dataclass(frozen=True, kw_only=True)
class Plan:
    """A routed task, before the policy decides whether it may run."""

    route_rule_id: str
    target_module: str
    task_type: str
    priority: str


def plan(text: str, table: RoutingTable) -> Plan | None:
    """The task of the first rule that matches the text, or None."""
    tokens = corrected(words(text), table)
    if not tokens:
        return None
    present = set(tokens)
    grams = {" ".join(tokens[i : i + n]) for n in (2, 3, 4) for i in range(len(tokens) - n + 1)}
    seen: dict[str, bool] = {}

    def matches(keyword: str) -> bool:
        # The planner runs on every interaction: each keyword is judged once per message, and the
        # common shapes (a word, a phrase, a stem) by a set lookup or a prefix test instead of
        # sliding a window over the message.
        found = seen.get(keyword)
        if found is None:
            anchored, parts, stem = _shape(keyword)
            if anchored or (stem and len(parts) > 1) or len(parts) > 4:
                found = keyword_matches(keyword, tokens)
            elif stem:
                found = any(t.startswith(parts[0][:-1]) for t in tokens)
            else:
                found = keyword in (present if len(parts) == 1 else grams)
            seen[keyword] = found
        return found

    for rule in table.rules:
        if all(any(matches(k) for k in group) for group in rule.groups) and not any(
            matches(k) for k in rule.unless
        ):
            if rule.route is None:
                return None
            return Plan(
                route_rule_id=rule.rule_id,
                target_module=rule.route.target_module,
                task_type=rule.route.task_type,
                priority=rule.route.priority,
            )
    return None


@functools.lru_cache(maxsize=8192)
def _shape(keyword: str) -> tuple[bool, tuple[str, ...], bool]:
    """Whether a keyword is anchored to the start, its words, and whether one is a stem."""
    parts = tuple(keyword.lstrip("^").split())
    return keyword.startswith("^"), parts, any(p.endswith("*") for p in parts)
