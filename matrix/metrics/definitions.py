"""Metric definitions as data: name, unit, formula, source, owner, target, version.

The catalog lives in ``matrix/metrics/catalog.json``. A formula is one aggregate expression in
DuckDB SQL over a source table, with an optional row filter; the engine adds the tenant, the time
window and the grain, so each formula is written once and runs the same on every store.
Validation collects every problem with its level instead of stopping at the first.
"""

from __future__ import annotations

import difflib
import functools
import json
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from matrix import paths
from matrix.errors import ConfigError, UnknownMetricError
from matrix.issues import Issue, Level

# Source table → its default time column.
SOURCES = {
    "telemetry": "recorded_at",
    "event_log": "occurred_at",
    "task_queue": "created_at",
    "approvals": "created_at",
    "outbound_messages": "created_at",
    "agenda_reminders": "schedule_at",
    "crm_leads": "created_at",
    "billing_charges": "created_at",
    "worklog": "work_date",
    "costlog": "cost_date",
    "test_results": "recorded_at",
    "gate_runs": "finished_at",
}
DIALECTS = ("clickhouse",)
"""SQL dialects a metric may give its own ``value`` or ``filter`` for (DuckDB's is the default)."""
UNITS = ("ratio", "ms", "s", "tokens", "count", "usd", "hours", "per_day")
FAMILIES = ("delivery", "ai_cost", "reliability", "business")
# Comparisons a target (and a gate check) may use; a target has no "!=".
COMPARE: dict[str, Any] = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                           "==": operator.eq, "!=": operator.ne}  # fmt: skip
OPERATORS = ("<", "<=", ">", ">=", "==")
_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


@dataclass(frozen=True, kw_only=True)
class Target:
    op: str
    value: float

    def met(self, observed: float) -> bool:
        return bool(COMPARE[self.op](observed, self.value))


@dataclass(frozen=True, kw_only=True)
class Metric:
    name: str
    unit: str
    family: str
    description: str
    source: str
    value: str
    time_column: str
    filter: str | None = None
    owner: str = ""
    target: Target | None = None
    version: int = 1
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per SQL dialect (``clickhouse``), the ``value`` or ``filter`` written for it instead."""

    def sql(self, part: str, dialect: str = "duckdb") -> str | None:
        """The formula's ``value`` or ``filter`` in ``dialect`` (its override, else the one SQL)."""
        default: str | None = getattr(self, part)
        return self.overrides.get(dialect, {}).get(part, default)

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("name", "unit", "family", "description", "source", "value",
                                             "time_column", "filter", "owner", "version")}  # fmt: skip
        out["target"] = {"op": self.target.op, "value": self.target.value} if self.target else None
        return out


@dataclass(kw_only=True)
class MetricCatalog:
    version: str
    metrics: dict[str, Metric] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def get(self, name: str) -> Metric:
        """The metric called ``name``; an unknown name gets the closest ones suggested."""
        try:
            return self.metrics[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.metrics), n=3, cutoff=0.5)
            hint = (
                f" Did you mean {', '.join(close)}?"
                if close
                else " `matrix metrics list` (or GET /v1/metrics) shows them all."
            )
            raise UnknownMetricError(
                f"Unknown metric {name!r}.{hint}", name=name, suggestions=close
            ) from None

    def names(self) -> list[str]:
        return sorted(self.metrics)


def load_catalog(path: Path | None = None) -> MetricCatalog:
    """Read and validate a catalog file (default: the shipped one, read once per process)."""
    if path is None:
        return _shipped_catalog()
    return _read_catalog(path)


@functools.lru_cache(maxsize=1)
def _shipped_catalog() -> MetricCatalog:
    return _read_catalog(None)


def _read_catalog(path: Path | None) -> MetricCatalog:
    if path is None:
        text = paths.metric_catalog_file().read_text("utf-8")
        source = "catalog.json"
    else:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"Cannot read the metric catalog {path}: {exc.strerror}.") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"The metric catalog {path} is not UTF-8 text (byte {exc.start})."
            ) from None
        source = str(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source} line {exc.lineno}: not JSON ({exc.msg}).") from None
    except RecursionError:
        raise ConfigError(f"{source} is nested too deeply to be a metric catalog.") from None
    return parse_catalog(doc)


def parse_catalog(doc: Any) -> MetricCatalog:
    catalog = MetricCatalog(version=str(doc.get("version", "")) if isinstance(doc, dict) else "")
    raw = doc.get("metrics") if isinstance(doc, dict) else None
    if not isinstance(raw, list):
        catalog.issues.append(
            Issue(level=Level.ERROR, where="(catalog)", message='needs a "metrics" list')
        )
        return catalog
    for index, item in enumerate(raw):
        name = item.get("name") if isinstance(item, dict) else None
        label = name if isinstance(name, str) else f"metrics[{index}]"
        problems = _problems(item, catalog)
        catalog.issues += [Issue(level=Level(lv), where=label, message=m) for lv, m in problems]
        if isinstance(name, str) and not any(level == "error" for level, _ in problems):
            target = item.get("target")
            catalog.metrics[name] = Metric(
                name=name, unit=item["unit"], family=item["family"], description=item["description"],
                source=item["source"], value=item["value"],
                time_column=item.get("time_column") or SOURCES[item["source"]], filter=item.get("filter"),
                owner=item.get("owner", ""), version=int(item.get("version", 1)),
                overrides={d: dict(item[d]) for d in DIALECTS if isinstance(item.get(d), dict)},
                target=Target(op=target["op"], value=float(target["value"])) if target else None,
            )  # fmt: skip
    return catalog


def _problems(item: Any, catalog: MetricCatalog) -> list[tuple[Literal["error", "warning"], str]]:
    if not isinstance(item, dict):
        return [("error", "must be an object")]
    out: list[tuple[Literal["error", "warning"], str]] = []
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        out.append(("error", f"name {name!r} must be snake_case like subject_measure_unit"))
    elif name in catalog.metrics:
        out.append(("error", "duplicate name"))
    for key, allowed in (("unit", UNITS), ("family", FAMILIES), ("source", tuple(SOURCES))):
        if item.get(key) not in allowed:
            out.append(("error", f"{key} {item.get(key)!r} is not one of {list(allowed)}"))
    for key in ("description", "value"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            out.append(("error", f"{key} is required"))
    if (isinstance(item.get("value"), str) and ";" in item["value"]) or (
        isinstance(item.get("filter"), str) and ";" in item["filter"]
    ):
        out.append(("error", "a formula is one expression; ';' is not allowed"))
    for dialect in DIALECTS:
        override = item.get(dialect)
        if override is not None and (not isinstance(override, dict) or not override
                                     or set(override) - {"value", "filter"}
                                     or not all(isinstance(v, str) and v.strip() for v in override.values())):  # fmt: skip
            out.append(
                ("error", f'{dialect} must be {{"value": SQL, "filter": SQL}} (either or both)')
            )
    target = item.get("target")
    if target is not None and (not isinstance(target, dict) or target.get("op") not in OPERATORS
                               or not isinstance(target.get("value"), int | float)):  # fmt: skip
        out.append(("error", f'target must be {{"op": one of {list(OPERATORS)}, "value": number}}'))
    if not item.get("owner"):
        out.append(("warning", "has no owner"))
    if (
        isinstance(name, str)
        and isinstance(item.get("unit"), str)
        and not name.endswith(_unit_suffix(item["unit"]))
    ):
        out.append(("warning", f"name does not end with its unit ({_unit_suffix(item['unit'])})"))
    return out


def _unit_suffix(unit: str) -> str:
    return {"count": "", "tokens": "", "per_day": ""}.get(unit, unit)
