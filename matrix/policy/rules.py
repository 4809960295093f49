"""Routing rules and the execution policy: data files, validated at load, every issue at once.

The shipped files live in ``matrix/policy/data/``; a tenant may override either file whole
through its runtime config. Loading never stops at the first problem: every issue names the
file, the rule and the field, and :class:`~matrix.errors.PolicyError` lists them all.
"""

from __future__ import annotations

import dataclasses
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

NO_TASK = "none"
"""A routing rule's route that plans no task: the message is only answered."""


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
    """Every group of ``groups`` has a keyword in the message and no keyword of ``unless`` is
    in it; ``route`` None means the message is only answered (no task)."""

    rule_id: str
    groups: tuple[tuple[str, ...], ...]
    route: Route | None
    unless: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RoutingTable:
    version: str
    rules: tuple[RoutingRule, ...]
    source: str
    spelling: dict[str, str] = dataclasses.field(default_factory=dict)
    """A misspelt word (one letter missing, or two swapped) → the keyword it stands for."""
    vocabulary: frozenset[str] = frozenset()
    """The whole words of the keywords (what a misspelling is put right to)."""

    def route_for(self, task_type: str) -> tuple[str, Route] | None:
        """The first rule routing to ``task_type`` (its id and route), or None."""
        for rule in self.rules:
            if rule.route is not None and rule.route.task_type == task_type:
                return rule.rule_id, rule.route
        return None


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
        issues.error(
            where, f'must be an object with target_module, task_type and priority, or "{NO_TASK}"'
        )
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
                keywords = _keywords(group, f"{where}.all[{g}]", issues)
                if keywords:
                    groups.append(keywords)
        unless: tuple[str, ...] | None = ()
        if "unless" in raw:
            unless = _keywords(raw["unless"], f"{where}.unless", issues)
        extra = set(raw) - {"rule_id", "all", "unless", "route", "note"}
        if extra:
            issues.error(where, f"unknown field(s) {sorted(extra)}")
        answer_only = raw.get("route") == NO_TASK
        route = None if answer_only else _check_route(raw.get("route"), f"{where}.route", issues)
        if (route or answer_only) and rule_id and groups and unless is not None and not extra:
            rules.append(RoutingRule(rule_id=rule_id, groups=tuple(groups), route=route,
                                     unless=unless))  # fmt: skip
    issues.raise_for_errors(PolicyError)
    known = vocabulary(rules)
    return RoutingTable(version=str(doc["version"]), rules=tuple(rules), source=source,
                        spelling=spelling(known), vocabulary=known)  # fmt: skip


def _keywords(group: Any, where: str, issues: Issues) -> tuple[str, ...] | None:
    """A list of keywords, normalised; None (and an issue) when it is not one."""
    if not isinstance(group, list) or not group:
        issues.error(where, "must be a non-empty list of keywords")
        return None
    blank = [k for k in group if not _text(k) or k.strip().strip("^*") == ""]
    if blank:
        issues.error(where, f"blank or bare-wildcard keyword(s) {blank}")
        return None
    return tuple(normalize(k) for k in group)


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
    """Whole-word (or phrase) match; a trailing ``*`` matches any word ending, a leading ``^``
    only the start of the message."""
    anchored = keyword.startswith("^")
    parts = keyword.lstrip("^").split()
    n = len(parts)
    for start in range(len(tokens) - n + 1 if not anchored else min(1, len(tokens) - n + 1)):
        window = tokens[start : start + n]
        if all(
            w.startswith(p[:-1]) if p.endswith("*") else w == p
            for w, p in zip(window, parts, strict=True)
        ):
            return True
    return False


# A keyword this long tolerates two swapped letters; one letter longer, also a missing letter.
# Fewer edits than a spell checker's usual one-per-five-letters: a wrong letter is not forgiven,
# since it turns one keyword into another ("charge" / "change").
_SWAP_FROM, _MISSING_FROM = 5, 6


def vocabulary(rules: list[RoutingRule]) -> frozenset[str]:
    """The whole words (no stem, no digit) of every keyword of ``rules``."""
    return frozenset(
        part
        for rule in rules
        for keyword in (*(k for g in rule.groups for k in g), *rule.unless)
        for part in keyword.lstrip("^").split()
        if part.isalpha()
    )


def spelling(vocabulary: frozenset[str]) -> dict[str, str]:
    """The misspellings of the vocabulary's words that stand for exactly one of them."""
    found: dict[str, set[str]] = {}
    for word in vocabulary:
        variants = set()
        if len(word) >= _SWAP_FROM:
            variants |= {
                word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)
            }
        if len(word) >= _MISSING_FROM:
            variants |= {word[:i] + word[i + 1 :] for i in range(len(word))}
        for variant in variants - vocabulary:
            found.setdefault(variant, set()).add(word)
    return {variant: next(iter(words)) for variant, words in found.items() if len(words) == 1}


def corrected(tokens: list[str], table: RoutingTable) -> list[str]:
    """The message's words with misspelt keywords put right: a swapped or missing letter (from
    the table's map), or one letter too many."""
    known, vocabulary = table.spelling, table.vocabulary
    out = []
    for token in tokens:
        if token in vocabulary:
            out.append(token)
        elif token in known:
            out.append(known[token])
        elif len(token) > _MISSING_FROM:
            shorter = {token[:i] + token[i + 1 :] for i in range(len(token))} & vocabulary
            out.append(next(iter(shorter)) if len(shorter) == 1 else token)
        else:
            out.append(token)
    return out
