"""``matrix metrics|import|prices|deploy|gate``, and the business modules' command groups, which
each module's package brings (``matrix.modules.registry``)."""

from __future__ import annotations

import functools
from typing import Any

import click

from matrix.cli import (
    CONTEXT,
    emit,
    json_option,
    open_existing,
    storage_option,
    table,
    tenant_option,
)
from matrix.errors import MatrixError, UsageError


@click.group(context_settings=CONTEXT)
def metrics() -> None:
    """Metrics as data: list, show, check the catalog, and compute one for a tenant."""


@metrics.command("list")
@click.option("--family", type=click.Choice(["delivery", "ai_cost", "reliability", "business"]))
@json_option
def metrics_list(family: str | None, as_json: bool) -> None:
    """Every metric of the catalog."""
    from matrix.metrics import load_catalog

    rows = [m.as_dict() for m in load_catalog().metrics.values() if family in (None, m.family)]
    emit(rows, as_json, lambda r: table(r, ("name", "unit", "family", "owner")))


@metrics.command("show")
@click.argument("name")
@json_option
def metrics_show(name: str, as_json: bool) -> None:
    """One metric's definition: formula, source, owner, target, version."""
    from matrix.metrics import load_catalog

    metric = load_catalog().get(name).as_dict()
    emit(metric, as_json, lambda r: "\n".join(f"{k:12} {v}" for k, v in r.items()))


@metrics.command("check")
@click.option(
    "--catalog", "catalog_path", type=click.Path(dir_okay=False), help="A catalog file to check."
)
@json_option
def metrics_check(catalog_path: str | None, as_json: bool) -> None:
    """Validate the catalog (every issue at once) and run each formula against the current schema."""
    from pathlib import Path

    from matrix.metrics import load_catalog
    from matrix.metrics.engine import check_formulas

    catalog = load_catalog(Path(catalog_path) if catalog_path else None)
    issues = [str(i) for i in catalog.issues] + [f"error: {p}" for p in check_formulas(catalog)]
    ok = not any(i.startswith("error") for i in issues)
    result = {"ok": ok, "metrics": len(catalog.metrics), "issues": issues}
    emit(
        result,
        as_json,
        lambda r: "\n".join(
            [*r["issues"], f"metrics {'ok' if r['ok'] else 'FAILED'}: {r['metrics']} checked"]
        ),
    )
    if not ok:
        raise SystemExit(1)


@metrics.command("compute")
@click.argument("name")
@tenant_option
@click.option("--since", help="Start (inclusive), e.g. 2026-11-01 (default: 7 days ago).")
@click.option("--until", help="End (exclusive) (default: now).")
@click.option(
    "--grain",
    type=click.Choice(["hour", "day", "week", "month", "all"]),
    default="day",
    show_default=True,
)
@storage_option
@json_option
def metrics_compute(name: str, tenant_id: str, since: str | None, until: str | None, grain: str,
                    storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Compute one metric for a tenant, by bucket, with its provenance."""
    from datetime import UTC, datetime, timedelta

    from matrix.cli import _when
    from matrix.metrics import compute

    end = _when(until, "--until") or datetime.now(UTC)
    start = _when(since, "--since") or end - timedelta(days=7)
    with open_existing(storage_url) as store:
        result = compute(store, name, tenant_id=tenant_id, since=start, until=end, grain=grain)

    def human(r: dict[str, Any]) -> str:
        if r["empty_reason"]:
            return f"{r['metric']}: no data — {r['empty_reason']}"
        lines = [
            f"{r['metric']} ({r['unit']}), {r['provenance']['rows_read']} rows read via {r['provenance']['engine']}"
        ]
        lines += [
            f"  {row['bucket']}  {row['value']:.4g}  ({row['rows']} rows)"
            for row in r["rows"]
            if row["value"] is not None
        ]
        return "\n".join(lines)

    emit(result.as_dict(), as_json, human)


@click.group("import", context_settings=CONTEXT)
def import_group() -> None:
    """Import delivery and cost sources (idempotent: importing twice adds nothing)."""


def _import_options(f: Any, *, folder: bool = False) -> Any:
    f = json_option(f)
    f = storage_option(f)
    f = click.option(
        "--tenant",
        "tenant_id",
        default="platform",
        show_default=True,
        help="Tenant the rows belong to (delivery data usually belongs to the platform).",
    )(f)
    return click.argument(
        "path", type=click.Path(exists=True, dir_okay=folder, file_okay=not folder)
    )(f)


def _run_import(
    kind: str, path: str, tenant_id: str, storage_url: str | None, as_json: bool, **options: Any
) -> None:
    from pathlib import Path

    from matrix.sources import junit, worklog

    importer: Any = {
        "worklog": worklog.import_worklog,
        "costlog": worklog.import_costlog,
        "junit": junit.import_junit,
    }[kind]
    with open_existing(storage_url) as store:
        store.tenants.add(tenant_id, "Platform" if tenant_id == "platform" else None)
        report = importer(store, tenant_id, Path(path), **options)

    def human(r: dict[str, Any]) -> str:
        why = ", ".join(f"{n} {reason}" for reason, n in r["skipped_because"].items())
        return f"{r['source']}: read {r['read']}, added {r['added']}, skipped {r['skipped']}" + (
            f" ({why})" if why else ""
        )

    emit(report.as_dict(), as_json, human)


@import_group.command("worklog")
@_import_options
@click.option(
    "--skip-bad", is_flag=True, help="Skip malformed rows (reported) instead of refusing the file."
)
def import_worklog(
    path: str, tenant_id: str, storage_url: str | None, as_json: bool, skip_bad: bool
) -> None:
    """The origin's worklog.csv (date, start_time, end_time, duration_hours, phase, feature, ...)."""
    _run_import("worklog", path, tenant_id, storage_url, as_json, skip_bad=skip_bad)


@import_group.command("costlog")
@_import_options
@click.option(
    "--skip-bad", is_flag=True, help="Skip malformed rows (reported) instead of refusing the file."
)
def import_costlog(
    path: str, tenant_id: str, storage_url: str | None, as_json: bool, skip_bad: bool
) -> None:
    """The origin's costlog.csv (date, provider, service, environment, amount_brl, amount_usd, ...)."""
    _run_import("costlog", path, tenant_id, storage_url, as_json, skip_bad=skip_bad)


@import_group.command("junit")
@_import_options
def import_junit(path: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """JUnit XML test results (e.g. pytest --junitxml)."""
    _run_import("junit", path, tenant_id, storage_url, as_json)


@import_group.command("git")
@functools.partial(_import_options, folder=True)
@click.option(
    "--tag-pattern",
    default="v*",
    show_default=True,
    help="Tags that count as releases (deployments).",
)
def import_git_command(
    path: str, tenant_id: str, storage_url: str | None, as_json: bool, tag_pattern: str
) -> None:
    """A git repository's commits, and its release tags as deployments."""
    from pathlib import Path

    from matrix.sources.git import import_git

    with open_existing(storage_url) as store:
        store.tenants.add(tenant_id, "Platform" if tenant_id == "platform" else None)
        commits, releases = import_git(store, tenant_id, Path(path).parent if Path(path).name == ".git" else Path(path),
                                       tag_pattern=tag_pattern)  # fmt: skip
    result = {"commits": commits.as_dict(), "releases": releases.as_dict()}
    emit(
        result,
        as_json,
        lambda r: "\n".join(
            f"{v['source']}: read {v['read']}, added {v['added']}, skipped {v['skipped']}"
            for v in r.values()
        ),
    )


@import_group.command("incidents")
@_import_options
def import_incidents_command(
    path: str, tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """Incidents from CSV or JSON (incident_id, title, severity, started_at, resolved_at, deployment_id)."""
    from pathlib import Path

    from matrix.sources.deliveries import import_incidents

    with open_existing(storage_url) as store:
        store.tenants.add(tenant_id, "Platform" if tenant_id == "platform" else None)
        report = import_incidents(store, tenant_id, Path(path))
    emit(
        report.as_dict(),
        as_json,
        lambda r: f"{r['source']}: read {r['read']}, added {r['added']}, skipped {r['skipped']}",
    )


@click.group(context_settings=CONTEXT)
def deploy() -> None:
    """Deployment records for the delivery metrics."""


@deploy.command("record")
@click.argument("service")
@click.argument("version")
@click.option("--kind", type=click.Choice(["code", "config"]), default="code", show_default=True)
@click.option(
    "--status", type=click.Choice(["success", "failed"]), default="success", show_default=True
)
@click.option("--at", help="When it was deployed (default: now).")
@click.option("--commit", help="The deployed commit.")
@click.option("--tenant", "tenant_id", default="platform", show_default=True)
@storage_option
@json_option
def deploy_record(service: str, version: str, kind: str, status: str, at: str | None, commit: str | None,
                  tenant_id: str, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Record a deployment (the same service and version twice is stored once)."""
    from matrix.cli import _when
    from matrix.sources.deliveries import record_deployment

    with open_existing(storage_url) as store:
        store.tenants.add(tenant_id, "Platform" if tenant_id == "platform" else None)
        row, new = record_deployment(store, tenant_id, service=service, version=version, kind=kind, status=status,
                                     at=_when(at, "--at"), commit=commit)  # fmt: skip
    emit(
        {**row, "new": new},
        as_json,
        lambda r: (
            f"deployment {r['service']} {r['version']} ({r['kind']}, {r['status']}):"
            f" {'recorded' if r['new'] else 'already recorded'}"
        ),
    )


@metrics.command("dora")
@click.option("--tenant", "tenant_id", default="platform", show_default=True)
@click.option("--since", help="Start (inclusive), e.g. 2026-01-01 (default: 30 days ago).")
@click.option("--until", help="End (exclusive) (default: now).")
@click.option(
    "--statistic", type=click.Choice(["median", "p90", "mean"]), default="median", show_default=True
)
@click.option(
    "--attribution",
    type=click.Choice(["window", "named"]),
    default="window",
    show_default=True,
    help="How incidents are tied to deployments: the one they name, or also the latest before them.",
)
@click.option("--attribution-hours", type=click.FloatRange(min=0), default=24.0, show_default=True)
@click.option(
    "--benchmark-year",
    type=click.Choice(["2021", "2023", "2024"]),
    default="2024",
    show_default=True,
    help="State of DevOps report whose performance clusters place each value.",
)
@storage_option
@json_option
def metrics_dora(tenant_id: str, since: str | None, until: str | None, statistic: str, attribution: str,
                 attribution_hours: float, benchmark_year: str, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Deployment frequency, lead time, change failure rate and time to restore."""
    from datetime import UTC, datetime, timedelta

    from matrix.cli import _when
    from matrix.metrics.dora import dora

    end = _when(until, "--until") or datetime.now(UTC)
    start = _when(since, "--since") or end - timedelta(days=30)
    with open_existing(storage_url) as store:
        report = dora(
            store,
            tenant_id,
            since=start,
            until=end,
            statistic=statistic,  # type: ignore[arg-type]
            attribution=attribution,  # type: ignore[arg-type]
            attribution_hours=attribution_hours,
            benchmark_year=int(benchmark_year),
        )

    def fmt(value: float | None, unit: str) -> str:
        return "no data" if value is None else f"{value:.3g} {unit}"

    def human(r: dict[str, Any]) -> str:
        def level(metric: str) -> str:
            return (
                f"  [{r['levels'][metric]}: {r['benchmark'][metric]}]"
                if metric in r["levels"]
                else ""
            )

        lines = [f"DORA for {r['tenant_id']} ({r['statistic']}), {r['since'][:10]} → {r['until'][:10]},"
                 f" {r['benchmark_year']} clusters: {r['level'] or 'no data'}",
                 f"  deployment frequency   {r['deployments_per_day']:.3g} per day ({r['deployments']} deployments)"
                 + level("deployments_per_day"),
                 f"  lead time for changes  {fmt(r['lead_time_hours'], 'h')} ({r['lead_times_used']} commits,"
                 f" {r['lead_times_dropped']} dropped at ≤ 0)" + level("lead_time_hours"),
                 f"  change failure rate    {fmt(r['change_failure_ratio'], '')} ({r['failed_deployments']} failed)"
                 + level("change_failure_ratio"),
                 f"  time to restore        {fmt(r['time_to_restore_hours'], 'h')}" + level("time_to_restore_hours")]  # fmt: skip
        lines += [f"  ({k}: {v})" for k, v in r["empty_reasons"].items()]
        return "\n".join(lines)

    emit(report.as_dict(), as_json, human)


@metrics.command("slo")
@tenant_option
@click.option("--at", help="Evaluate at this time (default: now).")
@click.option("--period-days", type=click.IntRange(1, 90), default=30, show_default=True)
@storage_option
@json_option
def metrics_slo(
    tenant_id: str, at: str | None, period_days: int, storage_url: str | None, as_json: bool
) -> None:
    """Each SLO's success ratio, error budget left, burn rates, and the alerts firing."""
    from datetime import UTC, datetime

    from matrix.cli import _when
    from matrix.metrics.slo import status

    when = _when(at, "--at") or datetime.now(UTC)
    with open_existing(storage_url) as store:
        results = [r.as_dict() for r in status(store, tenant_id, at=when, period_days=period_days)]

    def human(rows: list[dict[str, Any]]) -> str:
        lines = []
        for r in rows:
            if r["empty_reason"]:
                lines.append(f"{r['slo']:28} no data — {r['empty_reason']}")
                continue
            alerts = (
                ", ".join(
                    f"{a['severity']} {a['factor']}x ({a['long']}/{a['short']})"
                    for a in r["alerts"]
                )
                or "none"
            )
            lines.append(f"{r['slo']:28} {r['success_ratio']:.4f} vs {r['target']} · budget left"
                         f" {r['budget_remaining']:.1%} · alerts: {alerts}")  # fmt: skip
        return "\n".join(lines)

    emit(results, as_json, human)


@metrics.command("budget")
@tenant_option
@click.option("--at", help="Evaluate at this time (default: now).")
@storage_option
@json_option
def metrics_budget(tenant_id: str, at: str | None, storage_url: str | None, as_json: bool) -> None:
    """AI spend against the tenant's monthly budget, money burn rates, and the alerts firing."""
    from datetime import UTC, datetime

    from matrix.cli import _when
    from matrix.metrics.budgets import budget_status

    with open_existing(storage_url) as store:
        result = budget_status(store, tenant_id, at=_when(at, "--at") or datetime.now(UTC))

    def human(r: dict[str, Any]) -> str:
        if r.get("empty_reason"):
            return f"{r['tenant_id']}: spent ${r['spent_usd']:.4f} in 30 days; {r['empty_reason']}"
        alerts = (
            ", ".join(
                f"{a['severity']} {a['factor']}x ({a['long']}/{a['short']})" for a in r["alerts"]
            )
            or "none"
        )
        return (f"{r['tenant_id']}: spent ${r['spent_usd']:.4f} of ${r['budget_usd']:.2f} in 30 days"
                f" (${r['remaining_usd']:.2f} left, {r['unpriced_calls']} unpriced calls) · alerts: {alerts}")  # fmt: skip

    emit(result, as_json, human)


@click.group(context_settings=CONTEXT)
def prices() -> None:
    """AI prices with effective dates (platform-wide); every change is audited."""


@prices.command("set")
@click.argument("provider")
@click.argument("model")
@click.option(
    "--from", "effective", required=True, help="Effective from this date or time, e.g. 2026-11-01."
)
@click.option(
    "--input", "input_price", type=float, required=True, help="USD per million input tokens."
)
@click.option(
    "--output", "output_price", type=float, required=True, help="USD per million output tokens."
)
@click.option(
    "--cached",
    "cached_price",
    type=float,
    help="USD per million cached input tokens (default: --input).",
)
@click.option(
    "--audio",
    "audio_price",
    type=float,
    default=0.0,
    show_default=True,
    help="USD per audio minute.",
)
@click.option(
    "--actor",
    default=lambda: __import__("os").environ.get("USER", "operator"),
    show_default="$USER",
)
@click.option("--note")
@storage_option
@json_option
def prices_set(provider: str, model: str, effective: str, input_price: float, output_price: float,
               cached_price: float | None, audio_price: float, actor: str, note: str | None,
               storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Price a model from a date; usage before that date keeps its old price."""
    from datetime import UTC, datetime

    from matrix.cli import _when
    from matrix.metrics.costs import set_price

    start = _when(effective, "--from")
    assert start is not None
    with open_existing(storage_url) as store:
        audit = set_price(store, provider=provider, model=model, effective_from=start, input_per_mtok=input_price,
                          output_per_mtok=output_price, cached_input_per_mtok=cached_price,
                          audio_per_minute=audio_price, actor=actor, note=note, now=datetime.now(UTC))  # fmt: skip

    def human(r: dict[str, Any]) -> str:
        old = "unpriced" if r["old_total_usd"] is None else f"${r['old_total_usd']:.4f}"
        return (f"{r['provider']}/{r['model']} from {r['effective_from']:%Y-%m-%d}: {r['rows_repriced']} usage rows"
                f" re-priced, total {old} → ${r['new_total_usd']:.4f}")  # fmt: skip

    emit(audit, as_json, human)


@prices.command("list")
@storage_option
@json_option
def prices_list(storage_url: str | None, as_json: bool) -> None:
    """Every price, with its effective date."""
    with open_existing(storage_url) as store, store.backend.transaction() as tx:
        columns = ("provider", "model", "effective_from", "input_per_mtok", "cached_input_per_mtok",
                   "output_per_mtok", "audio_per_minute", "note")  # fmt: skip
        rows = [dict(zip(columns, r, strict=True)) for r in tx.query(
            f"SELECT {', '.join(columns)} FROM model_prices ORDER BY provider, model, effective_from")]  # fmt: skip
    emit(
        rows,
        as_json,
        lambda r: table(
            r, ("provider", "model", "effective_from", "input_per_mtok", "output_per_mtok")
        ),
    )


@metrics.command("cost")
@tenant_option
@click.option("--since", help="Start (inclusive) (default: 30 days ago).")
@click.option("--until", help="End (exclusive) (default: now).")
@click.option(
    "--by",
    type=click.Choice(["provider", "model", "feature", "module"]),
    default="model",
    show_default=True,
)
@storage_option
@json_option
def metrics_cost(
    tenant_id: str,
    since: str | None,
    until: str | None,
    by: str,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """AI cost at the prices in force when the usage happened; unpriced models are listed, not zeroed."""
    from datetime import UTC, datetime, timedelta

    from matrix.cli import _when
    from matrix.metrics.costs import ai_cost

    end = _when(until, "--until") or datetime.now(UTC)
    start = _when(since, "--since") or end - timedelta(days=30)
    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        report = ai_cost(store, tenant_id, since=start, until=end, by=by)

    def human(r: dict[str, Any]) -> str:
        lines = [
            table(r["rows"], (r["by"], "calls", "unpriced_calls", "cost_usd")),
            f"total ${r['total_usd']:.4f}",
        ]
        if r["unpriced_models"]:
            lines.append(
                f"unpriced (cost unknown, set with `matrix prices set`): {', '.join(r['unpriced_models'])}"
            )
        return "\n".join(lines)

    emit(report.as_dict(), as_json, human)


@metrics.command("margin")
@tenant_option
@click.option("--since", help="Start (inclusive) (default: 30 days ago).")
@click.option("--until", help="End (exclusive) (default: now).")
@storage_option
@json_option
def metrics_margin(tenant_id: str, since: str | None, until: str | None, storage_url: str | None,
                   as_json: bool) -> None:  # fmt: skip
    """Gross-margin proxy: subscription revenue minus AI cost, over revenue."""
    from datetime import UTC, datetime, timedelta

    from matrix.cli import _when
    from matrix.metrics.costs import gross_margin

    end = _when(until, "--until") or datetime.now(UTC)
    start = _when(since, "--since") or end - timedelta(days=30)
    with open_existing(storage_url) as store:
        result = gross_margin(store, tenant_id, since=start, until=end)

    def human(r: dict[str, Any]) -> str:
        if r["reason"]:
            return f"{r['tenant_id']}: no margin — {r['reason']}"
        bound = f" (upper bound: {r['unpriced_calls']} unpriced calls)" if r["upper_bound"] else ""
        return (f"{r['tenant_id']}: revenue ${r['revenue_usd']:.2f}, AI cost ${r['ai_cost_usd']:.4f},"
                f" gross margin ${r['gross_margin_usd']:.2f} ({r['gross_margin_ratio']:.1%}){bound}")  # fmt: skip

    emit(result, as_json, human)


@click.group(context_settings=CONTEXT)
def gate() -> None:
    """Quality gates: notebooks executed with papermill, with checks, verdicts and reports."""


def _spec_option(f: Any) -> Any:
    return click.option("--spec", "spec_path", type=click.Path(dir_okay=False),
                        help="Gate spec file (default: notebooks/gates/gates.json).")(f)  # fmt: skip


def _spec(spec_path: str | None) -> Any:
    from pathlib import Path

    return (
        Path(spec_path)
        if spec_path
        else Path(__file__).resolve().parent.parent / "notebooks" / "gates" / "gates.json"
    )


@gate.command("list")
@_spec_option
@json_option
def gate_list(spec_path: str | None, as_json: bool) -> None:
    """Every gate of the spec, with its checks."""
    from matrix.gates.spec import load_gates

    rows = [{"id": g.id, "title": g.title, "notebook": g.notebook.name,
             "checks": ", ".join(f"{c.name} {c.op} {c.threshold}" for c in g.checks)} for g in load_gates(_spec(spec_path))]  # fmt: skip
    emit(rows, as_json, lambda r: table(r, ("id", "title", "notebook", "checks")))


@gate.command("run")
@click.argument("ids", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every gate of the spec.")
@_spec_option
@click.option("--run-id", help="Name of the run (default: a timestamp).")
@click.option(
    "--fail-on", type=click.Choice(["warning", "error"]), default="error", show_default=True
)
@click.option(
    "--jobs", type=click.IntRange(1, 16), default=2, show_default=True, help="Kernels in parallel."
)
@click.option(
    "--record-deployment",
    is_flag=True,
    help="When g03_release_dry_run passes, record this version as a deployment of the platform.",
)
@storage_option
@json_option
def gate_run(ids: tuple[str, ...], run_all: bool, spec_path: str | None, run_id: str | None, fail_on: str, jobs: int,
             record_deployment: bool, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Execute gates; write reports/gates/<run_id>/ (notebooks, HTML, summary.json/.md, junit.xml).

    Exit 0 when nothing blocks, 1 when a gate fails, 2 on a usage or spec error.
    """
    import subprocess
    import sys
    from datetime import UTC, datetime

    from tqdm import tqdm

    from matrix.config import Settings
    from matrix.gates.report import write_reports
    from matrix.gates.runner import run_gates
    from matrix.gates.spec import load_gates

    gates = load_gates(_spec(spec_path))
    known = {g.id: g for g in gates}
    if not run_all and not ids:
        raise UsageError(f"Name the gates to run, or pass --all; known: {', '.join(known)}.")
    unknown = [i for i in ids if i not in known]
    if unknown:
        import difflib

        hints = [
            f"{u} (did you mean {', '.join(difflib.get_close_matches(u, known, n=1)) or 'none'}?)"
            for u in unknown
        ]
        raise UsageError(f"Unknown gate(s): {'; '.join(hints)}.")
    chosen = gates if run_all else [known[i] for i in ids]
    settings = Settings.load(storage_url=storage_url)
    started = datetime.now(UTC)
    run_id = run_id or started.strftime("%Y%m%dT%H%M%SZ")
    out_dir = settings.reports_dir / "gates" / run_id
    with tqdm(total=len(chosen), unit="gate", desc="gates", file=sys.stderr, disable=None) as bar:
        results = run_gates(
            chosen, out_dir, jobs=jobs, storage_url=storage_url, progress=bar.update
        )
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        or None
    )
    summary = write_reports(results, out_dir, run_id=run_id, started=started, finished=datetime.now(UTC),
                            contracts_dir=settings.contracts_dir, storage_url=storage_url, commit=commit)  # fmt: skip
    from matrix.gates.history import record_release, record_run

    recorded = "gate history not recorded: "
    try:
        with open_existing(storage_url) as store:
            recorded = f"gate history: {record_run(store, summary, str(out_dir))} results recorded in the store"
            if record_deployment:
                release = record_release(store, summary, at=datetime.now(UTC))
                recorded += (
                    f"; deployment {release['version']} recorded"
                    if release
                    else "; no deployment (g03 did not pass)"
                )
    except MatrixError as exc:
        recorded += str(exc)
    emit({**summary, "report_dir": str(out_dir)}, as_json,
         lambda r: (out_dir / "summary.md").read_text() + f"\n{recorded}\nreports: {out_dir}")  # fmt: skip
    if any(r.blocks(fail_on) for r in results):
        raise SystemExit(1)


@gate.command("history")
@click.option("--gate", "gate_id", help="Only this gate.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@storage_option
@json_option
def gate_history(gate_id: str | None, limit: int, storage_url: str | None, as_json: bool) -> None:
    """Recorded gate results, newest first (verdict, duration, commit, report folder)."""
    from matrix.gates.history import history

    with open_existing(storage_url) as store:
        rows = history(store, limit=limit, gate_id=gate_id)
    emit(
        rows,
        as_json,
        lambda r: table(r, ("run_id", "gate_id", "verdict", "duration_seconds", "commit_sha")),
    )


def register(group: click.Group) -> None:
    from matrix.modules import registry

    for module_group in registry.command_groups():
        group.add_command(module_group)
    for command in (
        metrics,
        import_group,
        prices,
        deploy,
        gate,
    ):
        group.add_command(command)
