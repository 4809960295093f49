"""``matrix metrics``: the metric catalog (list, show, check) and one metric computed for a
tenant. The reports built on metrics (DORA, SLOs, budget, cost, margin) are in
:mod:`matrix.cli.metric_reports`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option, open_app, storage_option, tenant_option, window
from matrix.cli.output import emit, percent, plural, table, usd


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
@click.option(
    "--since", help="Start (inclusive), e.g. 2026-11-01 (default: 14 days before --until)."
)
@click.option("--until", help="End (exclusive) (default: midnight after today, UTC).")
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
    from matrix.metrics import compute

    with open_app(storage_url) as app:
        span = window(app, since, until)
        result = compute(app.store, name, tenant_id=tenant_id, since=span.since, until=span.until,
                         grain=grain)  # fmt: skip
    emit(result.as_dict(), as_json, _computed_text)


def _computed_text(r: dict[str, Any]) -> str:
    if r["empty_reason"]:
        return f"{r['metric']}: no data — {r['empty_reason']}"
    provenance = r["provenance"]
    lines = [
        f"{r['metric']} ({r['unit']}), {plural(provenance['rows_read'], 'row')} read via"
        f" {provenance['engine']}"
    ]
    lines += [
        f"  {row['bucket']}  {_value(row['value'], r['unit'])}  ({plural(row['rows'], 'row')})"
        for row in r["rows"]
        if row["value"] is not None
    ]
    return "\n".join(lines)


def _value(value: float, unit: str) -> str:
    """A metric's value in its unit: a ratio as a percentage, dollars with cents."""
    if unit == "ratio":
        return percent(value)
    if unit == "usd":
        return usd(value)
    return f"{value:.4g}"


COMMANDS = (metrics,)
