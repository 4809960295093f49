"""What the shipped gates measure: pre-production validation, the release dry run, the rollback
drill and deploy readiness. Each function returns plain values that a gate notebook records; the
notebooks stay one call per cell, and the same code is tested directly.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from matrix import __version__, paths
from matrix.app import build
from matrix.clock import SYSTEM_CLOCK, FrozenClock
from matrix.concierge.runtime_config import normalize
from matrix.config import SETTINGS, Settings, mask_secrets, matrix_environment
from matrix.errors import MatrixError
from matrix.metrics import compute
from matrix.metrics.budgets import budget_status
from matrix.metrics.definitions import load_catalog
from matrix.metrics.dora import PLATFORM, dora
from matrix.sources.junit import junit_totals
from matrix.storage import Store, open_store
from matrix.storage.migrate import code_version, load_migrations
from matrix.windows import DEFAULT_DAYS, default_window

ROOT = paths.project_root()

# -- g02 pre-production ------------------------------------------------------------------------


def junit_failures(path: str | Path | None) -> int | None:
    """Failed and errored test cases of the last JUnit run (None when there is no file)."""
    if not path or not Path(path).is_file():
        return None
    totals = junit_totals(Path(path))
    return totals["failed"] + totals["error"]


def tenant_config_problems(store: Store) -> list[str]:
    """Every tenant's stored runtime config, prompts (personas) and policy rules, validated."""
    problems = []
    concierge = build(store=store).concierge
    for tenant in store.tenants.list():
        stored = store.runtime_config.get(tenant.tenant_id)
        try:
            normalize({}, stored[0] if stored else None)
            concierge.tenant_runtime(tenant.tenant_id)
        except MatrixError as exc:
            problems.append(f"{tenant.tenant_id}: {exc}")
    return problems


def missing_migrations(url: str) -> int:
    """Apply every migration to a new, empty store at ``url``; how many short of the code it ended."""
    with open_store(url, migrate=True) as store:
        return code_version() - store.admin.schema_version()


def missing_migrations_postgres(server_url: str | None = None) -> int | None:
    """:func:`missing_migrations` on a new database of the PostgreSQL server at ``server_url``
    (default: the ``gate_postgres_url`` setting), dropped after; None when no server is named."""
    server_url = server_url or Settings.load().gate_postgres_url
    if not server_url:
        return None
    with open_store(server_url, check_schema=False) as server:
        url = server.admin.create_database(f"gate_fresh_{uuid.uuid4().hex[:16]}")
        try:
            return missing_migrations(url)
        finally:
            server.admin.drop_database(url)


def runtime_smoke() -> str:
    """One owner interaction on a new in-memory store, through the worker to its task's end state."""
    clock = FrozenClock(SYSTEM_CLOCK.now())
    settings = Settings.load(storage_url="duckdb:///:memory:", provider_mode="local")
    with build(settings, clock=clock, migrate=True) as app:
        store = app.store
        store.tenants.add("smoke")
        result = app.concierge.interact(
            "smoke", "owner-1", "Agende uma reunião com a Ana amanhã às 10h"
        )
        tasks = result.downstream_tasks
        if not tasks:
            return "no task created"
        app.worker.drain()
        task = store.tasks.get("smoke", tasks[0].task_id)
        return str(task.status if task else "missing")


# -- g03 release dry run -----------------------------------------------------------------------


def dirty_files(root: Path = ROOT) -> int | None:
    """Files changed or untracked in the working tree (None outside a git checkout)."""
    done = subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True,
                          check=False)  # fmt: skip
    if done.returncode != 0:
        return None
    return len([line for line in done.stdout.splitlines() if line.strip()])


def changelog_has_version(root: Path = ROOT, version: str = __version__) -> bool:
    """Whether CHANGELOG.md has a heading for the package's version (``## 0.1.0`` or ``## [0.1.0]``)."""
    path = root / "CHANGELOG.md"
    if not path.is_file():
        return False
    pattern = re.compile(rf"^##\s+\[?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    return bool(pattern.search(path.read_text(encoding="utf-8")))


def undeclared_migrations(directory: Path | None = None) -> list[str]:
    """Migrations that can neither be rolled back nor declare themselves forward-only."""
    return [
        f"{m.version:04d}_{m.name}"
        for m in load_migrations(directory)
        if not m.reversible and not m.forward_only
    ]


# -- g04 rollback drill ------------------------------------------------------------------------


@dataclass(kw_only=True)
class TableShape:
    rows: int
    columns: dict[str, tuple[int, str]]  # column -> (non-null values, digest of the values)


def snapshot(store: Store) -> dict[str, TableShape]:
    """Every table's row count and, per column, its non-null count and an order-free digest."""
    shapes: dict[str, TableShape] = {}
    for table, columns, rows in store.admin.tables():
        counts = [0] * len(columns)
        digests = [0] * len(columns)
        for row in rows:
            for i, value in enumerate(row):
                if value is not None:
                    counts[i] += 1
                    digests[i] += int.from_bytes(
                        hashlib.blake2b(repr(value).encode(), digest_size=8).digest()
                    )
        shapes[table] = TableShape(rows=len(rows), columns={
            c: (counts[i], f"{digests[i] % 2**64:016x}") for i, c in enumerate(columns)})  # fmt: skip
    return shapes


def compare(before: dict[str, TableShape], after: dict[str, TableShape]) -> dict[str, Any]:
    """What ``after`` lost or changed of ``before``: rows, values of dropped columns, changed columns."""
    lost_rows, lost_values, changed = 0, 0, []
    for table, shape in before.items():
        now = after.get(table)
        if now is None:
            lost_rows += shape.rows
            if shape.rows:
                changed.append(f"{table} (dropped with {shape.rows} rows)")
            continue
        lost_rows += max(0, shape.rows - now.rows)
        for column, (count, digest) in shape.columns.items():
            if column not in now.columns:
                lost_values += count
                if count:
                    changed.append(f"{table}.{column} (dropped with {count} values)")
            elif now.columns[column] != (count, digest) and shape.rows == now.rows:
                changed.append(f"{table}.{column} (values changed)")
        if now.rows < shape.rows:
            changed.append(f"{table} ({shape.rows - now.rows} rows lost)")
    return {"rows_lost": lost_rows, "values_lost": lost_values, "changed": changed}


@dataclass(kw_only=True)
class DrillReport:
    from_version: int = 0
    to_version: int = 0
    tables: int = 0
    rows: int = 0
    upgrade: dict[str, Any] = field(default_factory=dict)
    restore: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def lost_after_upgrade(self) -> int:
        return int(self.upgrade.get("rows_lost", 0)) + int(self.upgrade.get("values_lost", 0))

    @property
    def restore_differences(self) -> int:
        return len(self.restore.get("changed", [])) + int(self.restore.get("rows_lost", 0))


def copy_store(source: Store, target_url: str, version: int) -> Store:
    """A new store at ``target_url`` with ``source``'s schema version and every row of its tables."""
    target = open_store(target_url, check_schema=False)
    source.admin.copy_into(target.admin, version)
    return target


def rollback_drill(storage_url: str | None = None, *, migrations_dir: str | Path | None = None,
                   release_migrations: int = 1) -> DrillReport:  # fmt: skip
    """Copy the store, apply the release's migrations to the copy, check nothing was lost, roll
    them back, and check the copy is as it was. The store itself is only read.

    The release's migrations are those the store has not applied yet; when it is already current,
    the last ``release_migrations`` are rolled back on the copy first, so the drill always runs.
    """
    migrations = load_migrations(Path(migrations_dir) if migrations_dir else None)
    newest = len(migrations)
    report = DrillReport(to_version=newest)
    source = open_store(storage_url, check_schema=False)
    scratch = tempfile.mkdtemp(prefix="matrix-drill-")
    try:
        version = source.admin.schema_version()
        target_url = (f"duckdb:///{scratch}/copy.duckdb" if source.dialect == "duckdb"
                      else source.admin.create_database(f"drill_{uuid.uuid4().hex[:16]}"))  # fmt: skip
        copy = copy_store(source, target_url, version)
        try:
            start = version if version < newest else max(0, newest - release_migrations)
            if start < version:
                copy.admin.rollback(target=start, migrations_list=migrations)
            report.from_version = start
            before = snapshot(copy)
            report.tables, report.rows = len(before), sum(s.rows for s in before.values())
            copy.admin.migrate(migrations_list=migrations)
            report.upgrade = compare(before, snapshot(copy))
            copy.admin.rollback(target=start, migrations_list=migrations)
            restored = snapshot(copy)
            report.restore = compare(before, restored)
            extra = compare(restored, before)  # rows that appeared and stayed
            report.restore["changed"] += [
                c for c in extra["changed"] if c not in report.restore["changed"]
            ]
        except MatrixError as exc:
            report.error = str(exc)
        finally:
            copy.close()
            if source.dialect != "duckdb":
                source.admin.drop_database(target_url)
    finally:
        source.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return report


# -- g05 deploy readiness ----------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"^(changeme|change-me|change_me|todo|tbd|fixme|xxx+|placeholder|dummy|example|secret|password"
    r"|your[-_ ].*|<.*>|\$\{.*\}|sk-\.\.\.|sk-x+|\.\.\.)$",
    re.IGNORECASE,
)


def read_env_file(path: str | Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (comments, blank lines and ``export`` allowed; quotes stripped)."""
    values: dict[str, str] = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        key, sep, value = text.removeprefix("export ").partition("=")
        if not sep or not key.strip():
            raise MatrixError(f"{Path(path).name} line {number}: expected KEY=VALUE.")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def is_placeholder(value: str) -> bool:
    """A value someone forgot to fill in: empty, ``changeme``, ``<token>``, ``${VAR}``, ``your-key``…
    In a URL, a placeholder password or host counts too."""
    if not value.strip() or _PLACEHOLDER.match(value.strip()):
        return True
    match = re.match(r"^[a-z]+://(?:([^:@/]*)(?::([^@/]*))?@)?([^/:?]*)", value)
    if match:
        password, host = match.group(2) or "", match.group(3) or ""
        return bool(
            (password and _PLACEHOLDER.match(password))
            or _PLACEHOLDER.match(host)
            or host == "host"
        )
    return False


def required_settings(env: dict[str, str]) -> list[str]:
    """What a deployment must set: the store, the provider mode, and the OpenAI key unless the
    provider runs locally or is off."""
    required = ["MATRIX_STORAGE_URL", "MATRIX_PROVIDER_MODE"]
    if env.get("MATRIX_PROVIDER_MODE", "auto") in ("auto", "openai"):
        required.append("MATRIX_OPENAI_API_KEY")
    return required


def deploy_readiness(env_file: str | Path | None = None) -> dict[str, Any]:
    """Check a deployment's settings (an env file, else this process's environment)."""
    env = read_env_file(env_file) if env_file else matrix_environment()
    known = {s.env: s for s in SETTINGS}
    missing = [name for name in required_settings(env) if name not in env]
    placeholders = [name for name, value in env.items() if name in known and is_placeholder(value)]
    result: dict[str, Any] = {
        "missing": missing, "placeholders": placeholders, "invalid": None,
        "secrets_set": sum(1 for s in SETTINGS if s.secret and env.get(s.env)),
        "storage": mask_secrets(env.get("MATRIX_STORAGE_URL", "")),
        "postgres_reachable": None, "migrations_current": None,
    }  # fmt: skip
    try:
        settings = Settings.load(env=env)
    except MatrixError as exc:
        result["invalid"] = str(exc)
        return result
    if (
        settings.storage_url.startswith("postgresql://")
        and "MATRIX_STORAGE_URL" not in placeholders
    ):
        try:
            store = open_store(settings=settings, check_schema=False)
        except MatrixError as exc:
            result["postgres_reachable"], result["reason"] = False, str(exc)
            return result
        with store:
            result["migrations_current"] = store.admin.schema_version() == code_version()
        result["postgres_reachable"] = True
    return result


# -- metric gates ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Worst:
    """A catalog metric's value for every tenant with data, and the worst of them by the
    metric's target: what a metric gate checks, and who it is about."""

    metric: str
    unit: str
    values: dict[str, float]
    tenant: str | None
    value: float | None

    def recorded(self, name: str) -> dict[str, Any]:
        """What a gate records: the worst value under ``name`` (the check's), and its tenant."""
        return {name: self.value, f"{name}.tenant": self.tenant}

    def __repr__(self) -> str:
        from matrix import formats

        if self.tenant is None:
            return f"{self.metric}: no tenant has data"
        others = len(self.values) - 1
        return (f"{self.metric}: worst {formats.value(self.value, self.unit)} in {self.tenant}"
                f" (of {others + 1} tenant{'s' if others else ''} with data)")  # fmt: skip


def worst_tenant(
    store: Store, metric: str, *, days: int | None = None, now: datetime | None = None
) -> Worst:
    """The catalog metric over the default window (:func:`matrix.windows.default_window`,
    ``days`` long) for every tenant with data, and the worst value by the metric's target (lowest
    for a floor, highest for a ceiling), with its tenant; ties go to the first tenant by id."""
    catalog = load_catalog()
    definition = catalog.get(metric)
    window = default_window(now or store.clock.now(), days=days or DEFAULT_DAYS)
    values: dict[str, float] = {}
    for tenant in store.tenants.list():
        result = compute(store, metric, tenant_id=tenant.tenant_id, since=window.since, until=window.until,
                         grain="all", catalog=catalog)  # fmt: skip
        if result.total is not None:
            values[tenant.tenant_id] = result.total
    if not values:
        return Worst(metric=metric, unit=definition.unit, values={}, tenant=None, value=None)
    floor = definition.target is None or definition.target.op in (">", ">=")
    ordered = sorted(values.items(), key=lambda kv: (kv[1] if floor else -kv[1], kv[0]))
    worst, value = ordered[0]
    return Worst(metric=metric, unit=definition.unit, values=values, tenant=worst, value=value)


def worst_across_tenants(
    store: Store, metric: str, *, days: int | None = None, now: datetime | None = None
) -> float | None:
    """The worst value of :func:`worst_tenant` (None when no tenant has data)."""
    return worst_tenant(store, metric, days=days, now=now).value


def tenants_burning_budget(store: Store, *, now: datetime | None = None) -> list[str] | None:
    """Tenants whose AI spend fires a page-level burn-rate alert or has passed the monthly budget;
    None when no tenant has a budget (nothing to check: the gate has no data, not a pass)."""
    at = now or store.clock.now()
    burning, budgeted = [], 0
    for tenant in store.tenants.list():
        status = budget_status(store, tenant.tenant_id, at=at)
        if status["budget_usd"] is None:
            continue
        budgeted += 1
        pages = [a for a in status["alerts"] if a["severity"] == "page"]
        if pages or (status["remaining_usd"] is not None and status["remaining_usd"] < 0):
            burning.append(tenant.tenant_id)
    return burning if budgeted else None


def count_of(found: list[str] | None) -> int | None:
    """How many ``found`` holds; None (no data) stays None."""
    return None if found is None else len(found)


def dora_level(
    store: Store, *, tenant: str = PLATFORM, days: int = 30, year: int = 2024
) -> str | None:
    """The overall DORA level of ``tenant`` in the ``year`` report's clusters over the default
    window ``days`` long (None without data)."""
    if store.tenants.get(tenant) is None:
        return None
    window = default_window(store.clock.now(), days=days)
    return dora(store, tenant, since=window.since, until=window.until, benchmark_year=year).level
