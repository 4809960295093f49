"""The origin's ``worklog.csv`` and ``costlog.csv`` (columns as in its ``.specs/project``).

Every row is checked before anything is stored: a malformed row is an error naming its line and
field, and nothing is imported (or, with ``skip_bad``, it is skipped and counted). Each row's id
is derived from its content, so importing the same file twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from matrix.errors import InvalidValueError, UsageError
from matrix.sources.report import ImportReport

WORKLOG_COLUMNS = (
    "date",
    "start_time",
    "end_time",
    "duration_hours",
    "phase",
    "feature",
    "task_id",
    "actor",
    "status",
    "notes",
)
COSTLOG_COLUMNS = (
    "date",
    "provider",
    "service",
    "environment",
    "amount_brl",
    "amount_usd",
    "category",
    "reference",
)


def _rows(path: Path, expected: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte {exc.start}); save the CSV as UTF-8."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in expected if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"{path.name}: missing column(s) {missing}; expected {list(expected)}.")
    rows = []
    for number, row in enumerate(reader, start=2):
        extra = row.pop(None, None)
        if extra:
            # The last column is free text; an unquoted comma in it spills into extra fields.
            row[expected[-1]] = ",".join([row.get(expected[-1]) or "", *extra])
        rows.append((number, row))
    return rows


def _entry_id(tenant_id: str, kind: str, row: dict[str, str], number: int) -> str:
    raw = "\x1f".join([tenant_id, kind, str(number), *(row.get(k) or "" for k in sorted(row))])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValueError(f"{where}: date {value!r} is not YYYY-MM-DD") from None


def _clock(day: date, value: str, where: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.combine(day, time.fromisoformat(value.strip()), tzinfo=UTC)
    except ValueError:
        raise InvalidValueError(f"{where}: time {value!r} is not HH:MM") from None


def _decimal(value: str, where: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise InvalidValueError(f"{where}: {value!r} is not a number") from None
    if number < 0:
        raise InvalidValueError(f"{where}: {value!r} is negative")
    return number


def _import(
    store: Any, tenant_id: str, path: Path, kind: str, columns: tuple[str, ...], table: str,
    build: Any, *, skip_bad: bool, now: datetime,
) -> ImportReport:  # fmt: skip
    report = ImportReport(source=f"{kind}:{Path(path).name}")
    records, problems = [], []
    for number, row in _rows(Path(path), columns):
        report.read += 1
        try:
            records.append(
                build(
                    row, f"{Path(path).name} line {number}", _entry_id(tenant_id, kind, row, number)
                )
            )
        except ValueError as exc:
            problems.append(str(exc))
    if problems and not skip_bad:
        shown = "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        )
        raise UsageError(
            f"{len(problems)} malformed row(s), nothing imported: {shown}. Fix them or pass --skip-bad."
        )
    for problem in problems:
        report.skip(problem.split(": ", 1)[1])
    extra = {"tenant_id": tenant_id, "source": report.source, "created_at": now}
    report.stored(store.delivery.add(table, [{**r, **extra} for r in records]), len(records))
    return report


def import_worklog(
    store: Any, tenant_id: str, path: Path, *, skip_bad: bool = False, now: datetime | None = None
) -> ImportReport:
    def build(row: dict[str, str], where: str, entry_id: str) -> dict[str, Any]:
        day = _date(row["date"], where)
        hours = _decimal(row["duration_hours"], f"{where} duration_hours")
        for field in ("phase", "feature", "actor", "status"):
            if not (row.get(field) or "").strip():
                raise InvalidValueError(f"{where}: {field} is empty")
        return {"entry_id": entry_id, "work_date": day, "start_at": _clock(day, row["start_time"], where),
                "end_at": _clock(day, row["end_time"], where), "duration_hours": float(hours),
                "phase": row["phase"].strip(), "feature": row["feature"].strip(),
                "task_ref": (row.get("task_id") or "").strip() or None, "actor": row["actor"].strip(),
                "status": row["status"].strip(), "notes": row.get("notes")}  # fmt: skip

    return _import(store, tenant_id, path, "worklog", WORKLOG_COLUMNS, "worklog", build, skip_bad=skip_bad,
                   now=now or store.clock.now())  # fmt: skip


def import_costlog(
    store: Any, tenant_id: str, path: Path, *, skip_bad: bool = False, now: datetime | None = None
) -> ImportReport:
    def build(row: dict[str, str], where: str, entry_id: str) -> dict[str, Any]:
        for field in ("provider", "service", "environment", "category"):
            if not (row.get(field) or "").strip():
                raise InvalidValueError(f"{where}: {field} is empty")
        return {"entry_id": entry_id, "cost_date": _date(row["date"], where),
                "provider": row["provider"].strip(), "service": row["service"].strip(),
                "environment": row["environment"].strip(),
                "amount_brl": _decimal(row["amount_brl"], f"{where} amount_brl"),
                "amount_usd": _decimal(row["amount_usd"], f"{where} amount_usd"),
                "category": row["category"].strip(), "reference": row.get("reference")}  # fmt: skip

    return _import(store, tenant_id, path, "costlog", COSTLOG_COLUMNS, "costlog", build, skip_bad=skip_bad,
                   now=now or store.clock.now())  # fmt: skip
