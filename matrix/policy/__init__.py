"""Tool-execution policy: rule files (data) and decide(task) → Decision with rule and reason."""

from __future__ import annotations

from matrix.policy.decide import (
    CONFIRMATIONS_DISABLED,
    DAILY_LIMIT,
    MODULE_DISABLED,
    STRICTNESS,
    Decision,
    decide,
    task_guard,
)
from matrix.policy.rules import (
    TASK_TYPES,
    ExecutionPolicy,
    Outcome,
    Route,
    RoutingTable,
    parse_policy,
    parse_routing,
    shipped_policy,
    shipped_routing,
)

__all__ = [
    "CONFIRMATIONS_DISABLED",
    "DAILY_LIMIT",
    "MODULE_DISABLED",
    "STRICTNESS",
    "TASK_TYPES",
    "Decision",
    "ExecutionPolicy",
    "Outcome",
    "Route",
    "RoutingTable",
    "decide",
    "parse_policy",
    "parse_routing",
    "shipped_policy",
    "shipped_routing",
    "task_guard",
]
