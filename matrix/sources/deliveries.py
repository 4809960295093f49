"""Deployment records and incidents: recorded by hand (``matrix deploy record``) or imported from
CSV or JSON, each idempotent by its id."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matrix import values
from matrix.errors import InvalidValueError, UsageError
from matrix.sources.report import ImportReport

KINDS = ("code", "config")
STATUSES = ("success", "failed")
INCIDENT_FIELDS = ("incident_id", "title", "severity", "started_at", "resolved_at", "deployment_id")


def _when(value: Any, where: str, *, optional: bool = False) -> datetime | None:
    if value in (None, "") and optional:
        return None
    try:
        at = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValueError(
            f"{where}: {value!r} is not a date-time like 2026-11-02T10:00:00Z"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def record_deployment(
    store: Any, tenant_id: str, *, service: str, version: str, kind: str = "code", status: str = "success",
    at: datetime | None = None, commit: str | None = None, hotfix: bool = False,
    remediates: str | None = None, now: datetime | None = None,
) -> tuple[dict[str, Any], bool]:  # fmt: skip
    """Record one deployment; the same service and version twice is stored once.

    A ``hotfix`` (or one that ``remediates`` an incident) is unplanned: the rework that DORA's
    deployment rework rate counts.
    """
    if kind not in KINDS:
        raise UsageError(f"kind must be one of {list(KINDS)}, got {kind!r}.")
    if status not in STATUSES:
        raise UsageError(f"status must be one of {list(STATUSES)}, got {status!r}.")
    if not service.strip() or not version.strip():
        raise UsageError(
            "Name the service and the version, e.g. `matrix deploy record api 2026.11.2`."
        )
    service, version = values.label(service, "service"), values.label(version, "version")
    if remediates is not None:
        remediates = values.label(remediates, "remediates")
    now = now or store.clock.now()
    key = hashlib.sha256(f"{tenant_id}:{service}:{version}".encode()).hexdigest()[:32]
    row = {"deployment_id": key, "tenant_id": tenant_id, "service": service, "version": version, "kind": kind,
           "commit_sha": commit, "deployed_at": at or now, "status": status, "simulated": False,
           "source": "manual", "created_at": now, "hotfix": hotfix or bool(remediates),
           "remediates": remediates or None}  # fmt: skip
    return row, store.delivery.add("deployments", [row]) == 1


def import_incidents(
    store: Any, tenant_id: str, path: Path, *, now: datetime | None = None
) -> ImportReport:
    """Incidents from CSV (header row) or JSON (a list of objects) with the fields
    incident_id, title, severity, started_at, resolved_at (optional), deployment_id (optional)."""
    now = now or store.clock.now()
    text = Path(path).read_text(encoding="utf-8")
    try:
        items = (
            json.loads(text)
            if Path(path).suffix == ".json"
            else list(csv.DictReader(io.StringIO(text)))
        )
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{Path(path).name} is not JSON: {exc.msg} at line {exc.lineno}."
        ) from None
    if not isinstance(items, list):
        raise UsageError(f"{Path(path).name} must hold a list of incidents.")
    report = ImportReport(source=f"incidents:{Path(path).name}")
    rows, problems = [], []
    for index, item in enumerate(items, start=2 if Path(path).suffix != ".json" else 0):
        report.read += 1
        where = f"{Path(path).name} {'line' if Path(path).suffix != '.json' else 'item'} {index}"
        try:
            if not isinstance(item, dict) or not str(item.get("incident_id") or "").strip():
                raise InvalidValueError(f"{where}: incident_id is required")
            if not str(item.get("title") or "").strip():
                raise InvalidValueError(f"{where}: title is required")
            started = _when(item.get("started_at"), f"{where} started_at")
            resolved = _when(item.get("resolved_at"), f"{where} resolved_at", optional=True)
            if resolved is not None and started is not None and resolved < started:
                raise InvalidValueError(f"{where}: resolved_at is before started_at")
            rows.append({"incident_id": str(item["incident_id"]), "tenant_id": tenant_id,
                         "title": str(item["title"]), "severity": str(item.get("severity") or "sev3"),
                         "started_at": started, "resolved_at": resolved,
                         "deployment_id": item.get("deployment_id") or None, "simulated": False,
                         "created_at": now})  # fmt: skip
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise UsageError(
            f"{len(problems)} bad incident(s), nothing imported: " + "; ".join(problems[:5]) + "."
        )
    report.stored(store.delivery.add("incidents", rows), len(rows))
    return report
