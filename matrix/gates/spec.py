"""A gate is data: id, title, notebook, parameters, and checks with operator, threshold and level.

Specs live in ``notebooks/gates/gates.json``. Loading validates everything before anything runs
and lists every problem (missing notebook, duplicate id, unknown operator, unknown metric, a
``needs`` naming no gate). A check may name a catalog ``metric``: its operator and threshold
then default to the metric's target, so a gate and the catalog cannot drift apart. A gate that
``needs`` others runs after them and gets their verdicts as its ``upstream`` parameter.

A project's own spec may list shipped gates under ``extends`` (their ids): they run with the
project's gates, from the shipped notebooks, as if listed there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from matrix import paths
from matrix.errors import ConfigError, UsageError
from matrix.issues import Issues
from matrix.metrics.definitions import COMPARE, load_catalog

OPERATORS = tuple(COMPARE)
_ID = re.compile(r"^g[0-9]{2}_[a-z0-9_]+$")


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    op: str
    threshold: float | str | bool
    level: Literal["warning", "error"] = "error"
    metric: str | None = None

    def passes(self, value: Any) -> bool:
        return bool(COMPARE[self.op](value, self.threshold))


@dataclass(frozen=True, kw_only=True)
class Gate:
    id: str
    title: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    timeout_seconds: float = 300.0
    needs: tuple[str, ...] = ()


def load_gates(path: Path) -> list[Gate]:
    """Read and validate a gate spec file; every problem is reported at once."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read the gate spec {path}: {exc.strerror}.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} line {exc.lineno}: not JSON ({exc.msg}).") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The gate spec {path} is not UTF-8 text (byte {exc.start}).") from None
    except RecursionError:
        raise ConfigError(f"The gate spec {path} is nested too deeply to be a gate spec.") from None
    issues = Issues()
    gates: list[Gate] = []
    catalog = load_catalog()
    if not isinstance(doc, dict) or not isinstance(doc.get("gates"), list) or not doc["gates"]:
        issues.error(
            "gates", 'the spec selects no gate: it must be an object with a non-empty "gates" list'
        )
    seen: set[str] = set()
    listed = doc.get("gates") if isinstance(doc, dict) else None
    for i, raw in enumerate(listed if isinstance(listed, list) else []):
        where = f"gates[{i}]"
        if not isinstance(raw, dict):
            issues.error(where, "must be an object")
            continue
        gate_id = raw.get("id")
        if not isinstance(gate_id, str) or not _ID.fullmatch(gate_id):
            issues.error(f"{where}.id", f"{gate_id!r} must look like g01_contract_checks")
        elif gate_id in seen:
            issues.error(f"{where}.id", f"{gate_id!r} is a duplicate")
        seen.add(str(gate_id))
        notebook = Path(path).parent / str(raw.get("notebook", ""))
        if not raw.get("notebook") or not notebook.is_file():
            issues.error(
                f"{where}.notebook",
                f"{raw.get('notebook')!r} does not exist next to {Path(path).name}",
            )
        checks = []
        for j, check in enumerate(raw.get("checks", [])):
            if isinstance(check, dict) and check.get("metric"):
                try:
                    target = catalog.get(str(check["metric"])).target
                except UsageError as exc:
                    issues.error(f"{where}.checks[{j}].metric:", str(exc))
                    continue
                if target is not None:
                    check = {"op": target.op, "threshold": target.value, **check}
                check.setdefault("name", check["metric"])
            if (
                not isinstance(check, dict)
                or check.get("op") not in OPERATORS
                or "threshold" not in check
                or not check.get("name")
            ):
                issues.error(
                    f"{where}.checks[{j}]",
                    f"needs name, op (one of {list(OPERATORS)}) and threshold",
                )
                continue
            if check.get("level", "error") not in ("warning", "error"):
                issues.error(f"{where}.checks[{j}].level", "must be warning or error")
                continue
            checks.append(Check(name=check["name"], op=check["op"], threshold=check["threshold"],
                                level=check.get("level", "error"), metric=check.get("metric")))  # fmt: skip
        if not checks:
            issues.error(where, "checks nothing; a gate needs at least one check")
        needs = raw.get("needs", [])
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            issues.error(f"{where}.needs", "must be a list of gate ids")
            needs = []
        gates.append(Gate(id=str(gate_id), title=str(raw.get("title") or gate_id), notebook=notebook,
                          parameters=dict(raw.get("parameters") or {}), checks=tuple(checks),
                          timeout_seconds=float(raw.get("timeout_seconds", 300)), needs=tuple(needs)))  # fmt: skip
    gates = _extended(doc, path, gates, seen, issues)
    for i, gate in enumerate(gates):
        for need in gate.needs:
            if need not in seen or need == gate.id:
                issues.error(f"gates[{i}].needs", f"{need!r} is not another gate of the spec")
    if issues.errors:
        shown = "; ".join(f"{i.where} {i.message}" for i in issues.errors)
        raise ConfigError(f"{len(issues.errors)} problem(s) in {Path(path).name}: {shown}.")
    return gates


def _extended(
    doc: Any, path: Path, gates: list[Gate], seen: set[str], issues: Issues
) -> list[Gate]:
    """``gates`` after the shipped gates that ``extends`` names (none for the shipped spec)."""
    extends = doc.get("extends", []) if isinstance(doc, dict) else []
    if not extends:
        return gates
    shipped_file = paths.gates_file()
    if not isinstance(extends, list) or not all(isinstance(e, str) for e in extends):
        issues.error("extends", "must be a list of shipped gate ids")
        return gates
    if Path(path).resolve() == shipped_file.resolve():
        issues.error("extends", "the shipped spec extends nothing")
        return gates
    shipped = {g.id: g for g in load_gates(shipped_file)}
    chosen = []
    for i, gate_id in enumerate(extends):
        if gate_id in seen:
            issues.error(f"extends[{i}]", f"{gate_id!r} is also a gate of this spec; keep one")
        elif gate_id not in shipped:
            issues.error(f"extends[{i}]", f"{gate_id!r} is not a shipped gate; known: "
                                          f"{', '.join(shipped)}")  # fmt: skip
        else:
            chosen.append(shipped[gate_id])
            seen.add(gate_id)
    return chosen + gates
