"""A gate is data: id, title, notebook, parameters, and checks with operator, threshold and level.

Specs live in ``notebooks/gates/gates.json``. Loading validates everything before anything runs
and lists every problem (missing notebook, duplicate id, unknown operator).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from matrix.errors import ConfigError

OPERATORS = ("<", "<=", ">", ">=", "==", "!=")
_ID = re.compile(r"^g[0-9]{2}_[a-z0-9_]+$")


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    op: str
    threshold: float | str | bool
    level: Literal["warning", "error"] = "error"

    def passes(self, value: Any) -> bool:
        match self.op:
            case "<":
                return bool(value < self.threshold)
            case "<=":
                return bool(value <= self.threshold)
            case ">":
                return bool(value > self.threshold)
            case ">=":
                return bool(value >= self.threshold)
            case "==":
                return bool(value == self.threshold)
            case _:
                return bool(value != self.threshold)


@dataclass(frozen=True, kw_only=True)
class Gate:
    id: str
    title: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    checks: tuple[Check, ...] = ()
    timeout_seconds: float = 300.0


def load_gates(path: Path) -> list[Gate]:
    """Read and validate a gate spec file; every problem is reported at once."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read the gate spec {path}: {exc.strerror}.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} line {exc.lineno}: not JSON ({exc.msg}).") from None
    problems: list[str] = []
    gates: list[Gate] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("gates", []) if isinstance(doc, dict) else []):
        where = f"gates[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{where} must be an object")
            continue
        gate_id = raw.get("id")
        if not isinstance(gate_id, str) or not _ID.match(gate_id):
            problems.append(f"{where}.id {gate_id!r} must look like g01_contract_checks")
        elif gate_id in seen:
            problems.append(f"{where}.id {gate_id!r} is a duplicate")
        seen.add(str(gate_id))
        notebook = Path(path).parent / str(raw.get("notebook", ""))
        if not raw.get("notebook") or not notebook.is_file():
            problems.append(
                f"{where}.notebook {raw.get('notebook')!r} does not exist next to {Path(path).name}"
            )
        checks = []
        for j, check in enumerate(raw.get("checks", [])):
            if (
                not isinstance(check, dict)
                or check.get("op") not in OPERATORS
                or "threshold" not in check
                or not check.get("name")
            ):
                problems.append(
                    f"{where}.checks[{j}] needs name, op (one of {list(OPERATORS)}) and threshold"
                )
                continue
            if check.get("level", "error") not in ("warning", "error"):
                problems.append(f"{where}.checks[{j}].level must be warning or error")
                continue
            checks.append(Check(name=check["name"], op=check["op"], threshold=check["threshold"],
                                level=check.get("level", "error")))  # fmt: skip
        if not checks:
            problems.append(f"{where} checks nothing; a gate needs at least one check")
        gates.append(Gate(id=str(gate_id), title=str(raw.get("title") or gate_id), notebook=notebook,
                          parameters=dict(raw.get("parameters") or {}), checks=tuple(checks),
                          timeout_seconds=float(raw.get("timeout_seconds", 300))))  # fmt: skip
    if problems:
        raise ConfigError(
            f"{len(problems)} problem(s) in {Path(path).name}: " + "; ".join(problems) + "."
        )
    return gates
