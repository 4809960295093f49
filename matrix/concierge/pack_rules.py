"""A tenant pack's policy rules and WhatsApp persona, mapped onto the runtime config.

Each rule key the runtime knows is one entry of :data:`RULES`: the value it accepts and the part
of the runtime config it sets. A **blocking** policy set changes what the runtime does; an
**advisory** set changes nothing: its rules are reported back, and an unknown key in it is a
warning, where in a blocking set it is an error (a blocking rule the runtime cannot enforce would
be a promise it does not keep). A disabled rule is checked and not applied. One key set by two
enabled blocking rules is an error naming both.

    billing.collection.require_owner_confirmation  true|false  a collection request asks the owner
                                                               first (confirm_required), or not
    crm.followup.max_daily_messages                0..10000    follow-ups the concierge may queue
                                                               per day; more are denied
    privacy.pii_redaction                          true|false  e-mails, phones and tax ids masked
                                                               in what an AI provider is sent

The WhatsApp persona's ``collection_policy.allow_collection_messages: false`` denies collection
requests; its handoff reason codes choose Persona 2's handoff rules (:data:`HANDOFF_ALIASES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matrix import envelopes as env
from matrix import paths
from matrix.agent.ruleset import HANDOFF_CODES
from matrix.issues import Issues
from matrix.policy.rules import load_json

COLLECTION = "billing.collection.request"


@dataclass(frozen=True, kw_only=True)
class RuleSpec:
    """What one rule key accepts (``what`` says it in an error) and how it is checked."""

    what: str
    check: Callable[[Any], bool]


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10_000


RULES = {
    "billing.collection.require_owner_confirmation": RuleSpec(what="true or false", check=_boolean),
    "crm.followup.max_daily_messages": RuleSpec(
        what="a whole number from 0 to 10000", check=_count
    ),
    "privacy.pii_redaction": RuleSpec(what="true or false", check=_boolean),
}

HANDOFF_ALIASES: dict[str, tuple[str, ...]] = {
    **{code: (code,) for code in HANDOFF_CODES},
    "legal_exception": ("legal",),
    "high_risk_customer": ("abusive", "complaint"),
    # A price, a discount or a deadline the thread does not give is never sent: the reply guard
    # hands such a draft to a person whatever the pack says, so this code is always in force.
    "pricing_exception": (),
}
"""A handoff reason code of a WhatsApp persona → Persona 2's handoff rules it turns on (the
origin's codes beside Persona 2's own). ``human_requested`` is always on: a contact who asks for
a person gets one."""
ALWAYS_HANDED_OVER = ("human_requested",)


@dataclass(frozen=True, kw_only=True)
class PolicyFile:
    """One ``policies/*.json`` document, already valid against its schema."""

    name: str
    document: dict[str, Any]


def map_policies(
    files: list[PolicyFile], issues: Issues
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The values the enabled blocking rules set (key → value), and a line per rule saying what
    became of it. Problems go to ``issues`` with the file and the JSON pointer."""
    chosen: dict[str, Any] = {}
    where_set: dict[str, str] = {}
    report: list[dict[str, Any]] = []
    for policy in files:
        blocking = policy.document["enforcement_mode"] == "blocking"
        for index, rule in enumerate(policy.document["rules"]):
            key, value, pointer = rule["key"], rule["value"], f"/rules/{index}"
            spec = RULES.get(key)
            if spec is None:
                known = ", ".join(sorted(RULES))
                message = f"unknown rule key {key!r}; the runtime knows {known}"
                if blocking:
                    issues.error(policy.name, message, pointer=f"{pointer}/key")
                else:
                    issues.warning(policy.name, message + " (advisory: not applied)",
                                   pointer=f"{pointer}/key")  # fmt: skip
                continue
            if not spec.check(value):
                issues.error(policy.name, f"{key} must be {spec.what}, got {value!r}",
                             pointer=f"{pointer}/value")  # fmt: skip
                continue
            status = "applied" if blocking and rule["enabled"] else (
                "disabled" if not rule["enabled"] else "advisory")  # fmt: skip
            if status == "applied":
                if key in chosen:
                    issues.error(policy.name, f"{key} is set again; {where_set[key]} sets it already:"
                                              " keep one of the two rules", pointer=pointer)  # fmt: skip
                    continue
                chosen[key] = value
                where_set[key] = f"{policy.name} at {pointer}"
            report.append({"file": policy.name, "key": key, "value": value, "status": status})
    return chosen, report


def execution_policy(rules: dict[str, Any], allow_collections: bool) -> dict[str, Any] | None:
    """The tenant's execution policy: the shipped rules, after the pack's own (first match
    decides); None when the pack changes no decision (the shipped policy stays)."""
    own: list[dict[str, Any]] = []
    if not allow_collections:
        own.append({"rule_id": "pack_collections_off", "task_type": COLLECTION,
                    "target_module": env.BILLING, "decision": "deny",
                    "reason_code": "collection_messages_off"})  # fmt: skip
    confirm = rules.get("billing.collection.require_owner_confirmation")
    if confirm is not None:
        own.append({"rule_id": "pack_collection_confirmation", "task_type": COLLECTION,
                    "target_module": env.BILLING,
                    "decision": "confirm_required" if confirm else "allow",
                    "reason_code": "owner_confirmation_required" if confirm else "owner_confirmation_waived"})  # fmt: skip
    if not own:
        return None
    text = (paths.policy_dir() / "execution-policy.json").read_text("utf-8")
    shipped: dict[str, Any] = load_json(text, "execution-policy.json")
    return {**shipped, "rules": [*own, *shipped["rules"]]}


def handoff_codes(policy: dict[str, Any], issues: Issues, name: str) -> list[str]:
    """Persona 2's handoff rules a WhatsApp persona's ``handoff_policy`` turns on."""
    active = set(ALWAYS_HANDED_OVER)
    if not policy["human_handoff_enabled"]:
        return sorted(active)
    for index, code in enumerate(policy["reason_codes"]):
        if code not in HANDOFF_ALIASES:
            issues.error(name, f"unknown handoff reason code {code!r}; use {', '.join(HANDOFF_ALIASES)}",
                         pointer=f"/handoff_policy/reason_codes/{index}")  # fmt: skip
            continue
        active.update(HANDOFF_ALIASES[code])
    return sorted(active)
