"""Routing rules and the execution policy: data files, validated at load, every issue at once.

The shipped files live in ``matrix/policy/data/``; a tenant may override either file whole
through its runtime config. Loading never stops at the first problem: every issue names the
file, the rule and the field, and :class:`~matrix.errors.PolicyError` lists them all.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from matrix import paths
from matrix.errors import PolicyError
from matrix.issues import Issues

MODULES = (
    "mod-01-owner-concierge", "mod-02-whatsapp-crm", "mod-03-clientes", "mod-04-agenda",
    "mod-05-faturamento-cobranca",
)  # fmt: skip

# The task types of the `module.task.create` contract (a test keeps the two in step).
TASK_TYPES = (
    "crm.followup.send", "crm.lead.capture", "crm.campaign.send", "customer.upsert",
    "customer.delete.request", "agenda.commitment.schedule", "billing.charge.create",
    "billing.collection.request", "billing.writeoff.request",
)  # fmt: skip

PRIORITIES = ("low", "normal", "high")


class Outcome(StrEnum):
    """What the execution policy decides for a planned task."""

    ALLOW = "allow"
    DENY = "deny"
    CONFIRM_REQUIRED = "confirm_required"


@dataclass(frozen=True, kw_only=True)
class Route:
    target_module: str
    task_type: str
    priority: str


@dataclass(frozen=True, kw_only=True)
class RoutingRule:
    rule_id: str
    groups: tuple[tuple[str, ...], ...]
    route: Route


@dataclass(frozen=True, kw_only=True)
class RoutingTable:
    version: str
    rules: tuple[RoutingRule, ...]
    source: str


@dataclass(frozen=True, kw_only=True)
class PolicyRule:
    rule_id: str
    task_type: str
    target_module: str
    decision: Outcome
    reason_code: str


@dataclass(frozen=True, kw_only=True)
class ExecutionPolicy:
    version: str
    default_decision: Outcome
    default_reason_code: str
    rules: tuple[PolicyRule, ...]
    source: str


def _start(doc: Any, source: str, shape: str) -> Issues:
    """Issues of a rule file's root: it must be an object with a version."""
    issues = Issues(prefix=source)
    if not isinstance(doc, dict):
        issues.error("(root)", f"must be a JSON object with {shape}")
        issues.raise_for_errors(PolicyError)
    if not _text(doc.get("version")):
        issues.error("version", 'is required (e.g. "1.0.0")')
    return issues


def _rule_id(raw: Any, index: int, seen: set[str], issues: Issues) -> tuple[str, str | None]:
    """Where a rule is (for messages) and its id, or None when missing, duplicate or not a rule."""
    rule_id = raw.get("rule_id") if isinstance(raw, dict) else None
    where = f"rules[{index}]" + (f" ({rule_id})" if _text(rule_id) else "")
    if not isinstance(raw, dict):
        issues.error(where, "must be an object")
        return where, None
    if not _text(rule_id):
        issues.error(f"{where}.rule_id", "is required")
        return where, None
    if rule_id in seen:
        issues.error(f"{where}.rule_id", f"duplicate rule id {rule_id!r}")
        return where, None
    seen.add(str(rule_id))
    return where, str(rule_id)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _check_route(route: Any, where: str, issues: Issues) -> Route | None:
    if not isinstance(route, dict):
        issues.error(where, "must be an object with target_module, task_type and priority")
        return None
    ok = True
    for field, allowed in (
        ("target_module", MODULES[1:]),
        ("task_type", TASK_TYPES),
        ("priority", PRIORITIES),
    ):
        if route.get(field) not in allowed:
            issues.error(f"{where}.{field}", f"{route.get(field)!r} is not one of {list(allowed)}")
            ok = False
    extra = set(route) - {"target_module", "task_type", "priority"}
    if extra:
        issues.error(where, f"unknown field(s) {sorted(extra)}")
        ok = False
    if not ok:
        return None
    return Route(
        target_module=route["target_module"],
        task_type=route["task_type"],
        priority=route["priority"],
    )


def parse_routing(doc: Any, source: str = "task-routing") -> RoutingTable:
    """Validate a routing document and build the table.

    Raises:
        PolicyError: listing every problem, each with the file, rule and field.
    """
    issues = _start(doc, source, "version and rules")
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        issues.error("rules", "must be a non-empty list")
        raw_rules = []
    rules: list[RoutingRule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        where, rule_id = _rule_id(raw, index, seen, issues)
        if not isinstance(raw, dict):
            continue
        groups_raw = raw.get("all")
        groups: list[tuple[str, ...]] = []
        if not isinstance(groups_raw, list) or not groups_raw:
            issues.error(f"{where}.all", "must be a non-empty list of keyword lists")
        else:
            for g, group in enumerate(groups_raw):
                if not isinstance(group, list) or not group:
                    issues.error(f"{where}.all[{g}]", "must be a non-empty list of keywords")
                    continue
                blank = [k for k in group if not _text(k) or k.strip() == "*"]
                if blank:
                    issues.error(f"{where}.all[{g}]", f"blank or bare-wildcard keyword(s) {blank}")
                    continue
                groups.append(tuple(normalize(k) for k in group))
        route = _check_route(raw.get("route"), f"{where}.route", issues)
        if route and rule_id and groups:
            rules.append(RoutingRule(rule_id=rule_id, groups=tuple(groups), route=route))
    issues.raise_for_errors(PolicyError)
    return RoutingTable(version=str(doc["version"]), rules=tuple(rules), source=source)


def parse_policy(doc: Any, source: str = "execution-policy") -> ExecutionPolicy:
    """Validate an execution-policy document and build it.

    Raises:
        PolicyError: listing every problem, each with the file, rule and field.
    """
    issues = _start(doc, source, "version, default_decision and rules")
    default = doc.get("default_decision")
    outcomes = [o.value for o in Outcome]
    if not isinstance(default, dict) or default.get("decision") not in outcomes:
        issues.error("default_decision.decision", f"must be one of {outcomes}")
        default = {"decision": "allow", "reason_code": "default_allow"}
    elif not _text(default.get("reason_code")):
        issues.error("default_decision.reason_code", "is required")
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list):
        issues.error("rules", "must be a list")
        raw_rules = []
    rules: list[PolicyRule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        where, rule_id = _rule_id(raw, index, seen, issues)
        if not isinstance(raw, dict):
            continue
        ok = rule_id is not None
        for field, allowed in (
            ("task_type", TASK_TYPES),
            ("target_module", MODULES[1:]),
            ("decision", outcomes),
        ):
            if raw.get(field) not in allowed:
                issues.error(
                    f"{where}.{field}", f"{raw.get(field)!r} is not one of {list(allowed)}"
                )
                ok = False
        if not _text(raw.get("reason_code")):
            issues.error(f"{where}.reason_code", "is required")
            ok = False
        if ok:
            rules.append(
                PolicyRule(
                    rule_id=str(rule_id), task_type=raw["task_type"],
                    target_module=raw["target_module"], decision=Outcome(raw["decision"]),
                    reason_code=raw["reason_code"],
                )
            )  # fmt: skip
    issues.raise_for_errors(PolicyError)
    return ExecutionPolicy(
        version=str(doc["version"]),
        default_decision=Outcome(default["decision"]),
        default_reason_code=str(default.get("reason_code") or "default_allow"),
        rules=tuple(rules),
        source=source,
    )


def load_json(text: str, source: str) -> Any:
    """Parse a rule file, turning a JSON error into a PolicyError that names the file and line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(
            [f"{source}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})"]
        ) from None


def shipped_routing() -> RoutingTable:
    text = (paths.policy_dir() / "task-routing.json").read_text("utf-8")
    return parse_routing(load_json(text, "task-routing.json"), "task-routing.json")


def shipped_policy() -> ExecutionPolicy:
    text = (paths.policy_dir() / "execution-policy.json").read_text("utf-8")
    return parse_policy(load_json(text, "execution-policy.json"), "execution-policy.json")


# -- text matching ----------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def normalize(text: str) -> str:
    """Lower case, accents removed, whitespace folded: "Reunião" → "reuniao"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def keyword_matches(keyword: str, tokens: list[str]) -> bool:
    """Whole-word (or phrase) match; a trailing ``*`` matches any word ending."""
    parts = keyword.split()
    n = len(parts)
    for start in range(len(tokens) - n + 1):
        window = tokens[start : start + n]
        if all(
            w.startswith(p[:-1]) if p.endswith("*") else w == p
            for w, p in zip(window, parts, strict=True)
        ):
            return True
    return False
