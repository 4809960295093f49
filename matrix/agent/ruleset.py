"""Persona 2's offline rule set as data: its types, and reading and validating
``matrix/agent/data/rules.json`` (every problem named with its field). What the rules decide is
in :mod:`matrix.agent.rules`."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix import paths
from matrix.errors import PolicyError
from matrix.issues import Issues
from matrix.modules.crm.funnel import STAGES

RULES_FILE = paths.agent_rules_file()
INTENTS = (
    "interested", "pricing", "negotiating", "closing", "disinterested", "not_now",
    "human_requested", "abusive", "complaint", "off_topic", "unclear",
)  # fmt: skip
HANDOFF_CODES = ("abusive", "legal", "complaint", "human_requested")
_VOCABULARY_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")


@dataclass(frozen=True, kw_only=True)
class Target:
    """One preferred stage of an intent, optionally only from some current stages."""

    stage: str
    only_from: tuple[str, ...] = ()

    def applies(self, current: str) -> bool:
        return not self.only_from or current in self.only_from


@dataclass(frozen=True, kw_only=True)
class IntentRule:
    """Patterns that, when they fire, name the intent of the contact's latest messages."""

    rule_id: str
    intent: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    context: tuple[re.Pattern[str], ...] = ()
    negatable: bool = False
    when_handoff: str | None = None
    """Fires when the handoff rules give this reason code (instead of patterns of its own)."""
    confidence: float = 0.5


@dataclass(frozen=True, kw_only=True)
class HandoffRule:
    """Patterns that hand a conversation to a person, with the reason code."""

    rule_id: str
    reason_code: str
    reason: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class RuleSet:
    """The validated rule set; ``document`` is the JSON it was read from (for calibration)."""

    version: str
    negations: frozenset[str]
    negation_window: int
    targets: Mapping[str, tuple[Target, ...]]
    rules: tuple[IntentRule, ...]
    fallback: IntentRule
    handoffs: tuple[HandoffRule, ...]
    document: Mapping[str, Any] = field(compare=False, repr=False)


def normalize(text: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces: the text rules are written on."""
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain.lower()).strip()


# -- loading -------------------------------------------------------------------------------------


@functools.cache
def shipped() -> RuleSet:
    """The rule set shipped with the package (read once)."""
    return load_rules(RULES_FILE)


def load_rules(path: Path) -> RuleSet:
    """Read and validate a rules file.

    Raises:
        PolicyError: the file is not JSON or breaks the rules; every problem is listed with the
            field it is in (``intents.closing.targets[1]``, ``rules[3].patterns[0]``).
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PolicyError([f"{path.name}: not JSON ({exc.msg} at line {exc.lineno})"]) from None
    return parse_rules(document, source=path.name)


def parse_rules(document: Any, *, source: str = "rules.json") -> RuleSet:
    """Validate a rules document (all problems at once) and compile it.

    Raises:
        PolicyError: listing every problem with its field.
    """
    issues = Issues(prefix=source)
    if not isinstance(document, dict):
        issues.error("(file)", "must be a JSON object")
        issues.raise_for_errors(PolicyError)
    doc: dict[str, Any] = document
    version = doc.get("version")
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        issues.error("version", f"{version!r} must be a version like '1.0.0'")
    negations = doc.get("negations")
    if not isinstance(negations, list) or not all(isinstance(w, str) and w for w in negations):
        issues.error("negations", "must be a list of words")
        negations = []
    window = doc.get("negation_window", 3)
    if not isinstance(window, int) or isinstance(window, bool) or not 1 <= window <= 10:
        issues.error("negation_window", f"{window!r} must be a whole number from 1 to 10")
        window = 3
    targets = _targets(doc.get("intents"), issues)
    vocab = _vocabularies(doc.get("vocabularies"), issues)
    handoffs = _handoffs(doc.get("handoffs"), issues, vocab)
    raw_rules = doc.get("rules")
    rules: list[IntentRule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        issues.error("rules", "must be a non-empty list of rules")
        raw_rules = []
    ids: set[str] = set()
    for i, raw in enumerate(raw_rules):
        rule = _rule(raw, f"rules[{i}]", issues, vocab,
                     handoff_codes={h.reason_code for h in handoffs})  # fmt: skip
        if rule is not None:
            if rule.rule_id in ids:
                issues.error(f"rules[{i}].id", f"duplicate rule id {rule.rule_id!r}")
            ids.add(rule.rule_id)
            rules.append(rule)
    fallback = _rule(doc.get("fallback"), "fallback", issues, vocab, fallback=True)
    issues.raise_for_errors(PolicyError)
    assert fallback is not None
    return RuleSet(version=str(version), negations=frozenset(normalize(w) for w in negations),
                   negation_window=window, targets=targets, rules=tuple(rules), fallback=fallback,
                   handoffs=tuple(handoffs), document=doc)  # fmt: skip


def _targets(raw: Any, issues: Issues) -> dict[str, tuple[Target, ...]]:
    found: dict[str, tuple[Target, ...]] = {}
    if not isinstance(raw, dict):
        issues.error("intents", "must be an object: intent → {targets}")
        return found
    for intent in sorted(set(INTENTS) - set(raw)):
        issues.error("intents", f"intent {intent!r} is missing")
    for intent, spec in raw.items():
        where = f"intents.{intent}"
        if intent not in INTENTS:
            issues.error(where, f"unknown intent {intent!r}; use one of {list(INTENTS)}")
            continue
        items = spec.get("targets") if isinstance(spec, dict) else None
        if not isinstance(items, list):
            issues.error(f"{where}.targets", "must be a list of stages (possibly empty)")
            continue
        chosen = []
        for j, item in enumerate(items):
            stage, only = (item, []) if isinstance(item, str) else (
                (item.get("stage"), item.get("from", [])) if isinstance(item, dict) else (None, []))  # fmt: skip
            if stage not in STAGES:
                issues.error(
                    f"{where}.targets[{j}]", f"{stage!r} is not a stage; use one of {list(STAGES)}"
                )
                continue
            if not isinstance(only, list) or any(s not in STAGES for s in only):
                issues.error(f"{where}.targets[{j}].from", f"{only!r} must be a list of stages")
                continue
            chosen.append(Target(stage=stage, only_from=tuple(only)))
        found[intent] = tuple(chosen)
    return found


def _vocabularies(raw: Any, issues: Issues) -> dict[str, str]:
    """Each vocabulary as the alternation its ``{name}`` stands for."""
    found: dict[str, str] = {}
    if raw is None:
        return found
    if not isinstance(raw, dict):
        issues.error("vocabularies", "must be an object: name → list of word forms")
        return found
    for name, forms in raw.items():
        where = f"vocabularies.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            issues.error(where, f"{name!r} must be a lower-case name like 'pet_words'")
            continue
        if (
            not isinstance(forms, list)
            or not forms
            or not all(isinstance(f, str) and f.strip() for f in forms)
        ):
            issues.error(where, "must be a non-empty list of word forms")
            continue
        bad = [f for f in forms if _VOCABULARY_REF.search(f)]
        if bad:
            issues.error(where, f"{bad[0]!r}: a vocabulary cannot use another one")
            continue
        found[name] = "(?:" + "|".join(normalize(f) for f in forms) + ")"
    return found


def _expand(source: str, vocab: Mapping[str, str], where: str, issues: Issues) -> str | None:
    unknown = sorted({m.group(1) for m in _VOCABULARY_REF.finditer(source)} - set(vocab))
    if unknown:
        issues.error(where, f"{source!r} uses unknown vocabulary {unknown[0]!r}")
        return None
    return _VOCABULARY_REF.sub(lambda m: vocab[m.group(1)], source)


def _patterns(
    raw: Any, where: str, issues: Issues, vocab: Mapping[str, str], *, required: bool
) -> tuple[re.Pattern[str], ...]:
    if raw is None and not required:
        return ()
    if not isinstance(raw, list) or (required and not raw):
        issues.error(where, "must be a non-empty list of regular expressions" if required
                     else "must be a list of regular expressions")  # fmt: skip
        return ()
    compiled = []
    for k, source in enumerate(raw):
        if not isinstance(source, str) or not source.strip():
            issues.error(f"{where}[{k}]", f"{source!r} must be a non-empty string")
            continue
        expanded = _expand(source, vocab, f"{where}[{k}]", issues)
        if expanded is None:
            continue
        try:
            compiled.append(re.compile(normalize(expanded)))
        except re.error as exc:
            issues.error(f"{where}[{k}]", f"{source!r} is not a regular expression ({exc})")
    return tuple(compiled)


def _confidence(raw: Any, where: str, issues: Issues) -> float:
    value = raw.get("confidence", 0.5)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        issues.error(f"{where}.confidence", f"{value!r} must be a number from 0 to 1")
        return 0.5
    return float(value)


def _rule(
    raw: Any, where: str, issues: Issues, vocab: Mapping[str, str], *,
    handoff_codes: set[str] | None = None, fallback: bool = False,
) -> IntentRule | None:  # fmt: skip
    if not isinstance(raw, dict):
        issues.error(where, "must be an object")
        return None
    count = len(issues)
    rule_id, intent = raw.get("id"), raw.get("intent")
    if not isinstance(rule_id, str) or not re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)+", rule_id):
        issues.error(f"{where}.id", f"{rule_id!r} must look like 'closing.accept'")
    if intent not in INTENTS:
        issues.error(f"{where}.intent", f"{intent!r} is not one of {list(INTENTS)}")
    known = {"id", "intent", "patterns", "unless", "context", "negatable", "when_handoff",
             "confidence", "support", "note"}  # fmt: skip
    if set(raw) - known:
        issues.error(where, f"unknown field(s) {sorted(set(raw) - known)}")
    confidence = _confidence(raw, where, issues)
    when = raw.get("when_handoff")
    if fallback:
        patterns: tuple[re.Pattern[str], ...] = ()
    elif when is not None:
        if when not in (handoff_codes or set()):
            issues.error(f"{where}.when_handoff", f"{when!r} is not a reason code of the handoffs")
        patterns = ()
    else:
        patterns = _patterns(raw.get("patterns"), f"{where}.patterns", issues, vocab, required=True)
    unless = _patterns(raw.get("unless"), f"{where}.unless", issues, vocab, required=False)
    context = _patterns(raw.get("context"), f"{where}.context", issues, vocab, required=False)
    if not isinstance(raw.get("negatable", False), bool):
        issues.error(f"{where}.negatable", "must be true or false")
    if len(issues) > count:
        return None
    return IntentRule(rule_id=str(rule_id), intent=str(intent), patterns=patterns, unless=unless,
                      context=context, negatable=raw.get("negatable", False), when_handoff=when,
                      confidence=confidence)  # fmt: skip


def _handoffs(raw: Any, issues: Issues, vocab: Mapping[str, str]) -> list[HandoffRule]:
    found: list[HandoffRule] = []
    if not isinstance(raw, list) or not raw:
        issues.error("handoffs", "must be a non-empty list of handoff rules")
        return found
    for i, item in enumerate(raw):
        where = f"handoffs[{i}]"
        if not isinstance(item, dict):
            issues.error(where, "must be an object")
            continue
        count = len(issues)
        code = item.get("reason_code")
        if code not in HANDOFF_CODES:
            issues.error(f"{where}.reason_code", f"{code!r} is not one of {list(HANDOFF_CODES)}")
        for name in ("id", "reason"):
            if not isinstance(item.get(name), str) or not item[name].strip():
                issues.error(f"{where}.{name}", "is required (a non-empty string)")
        known = {"id", "reason_code", "reason", "patterns", "unless", "note"}
        if set(item) - known:
            issues.error(where, f"unknown field(s) {sorted(set(item) - known)}")
        patterns = _patterns(
            item.get("patterns"), f"{where}.patterns", issues, vocab, required=True
        )
        unless = _patterns(item.get("unless"), f"{where}.unless", issues, vocab, required=False)
        if len(issues) == count:
            found.append(HandoffRule(rule_id=item["id"], reason_code=str(code), reason=item["reason"],
                                     patterns=patterns, unless=unless))  # fmt: skip
    codes = {h.reason_code for h in found}
    for code in ("human_requested", "abusive"):
        if found and code not in codes:
            issues.error("handoffs", f"no rule hands off for {code!r}")
    return found
