"""``matrix analytics``: sync the analytics store, say how fresh it is, export it as Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from matrix.cli.options import Number, json_option, open_app, storage_option
from matrix.cli.output import emit, table


@click.group()
def analytics() -> None:
    """The analytics store metrics run on (MATRIX_ANALYTICS_URL): sync, status, export."""


def _bar(as_json: bool) -> Any:
    if as_json:
        return None
    bars: dict[str, Any] = {}

    def progress(name: str, done: int, todo: int) -> None:
        bar = bars.get(name)
        if bar is None:
            bar = bars[name] = click.progressbar(
                length=todo,
                label=name,
                file=click.get_text_stream("stderr"),  # type: ignore[operator]
            )
        bar.length = max(bar.length or 0, todo)
        bar.update(done - bar.pos)
        if done >= todo:
            bar.render_finish()

    return progress


@analytics.command()
@click.option("--tenant", "tenant_id", help="Report this tenant's freshness after the sync.")
@click.option("--wait-seconds", type=Number(minimum=0, maximum=600), default=5.0, show_default=True,
              help="How long to wait for open transactions before leaving their rows to the next sync.")  # fmt: skip
@storage_option
@json_option
def sync(
    tenant_id: str | None, wait_seconds: float, storage_url: str | None, as_json: bool
) -> None:
    """Copy what is new in the operational store into the analytics store (rows by sequence,
    small tables whole); safe to stop and run again at any time."""
    with open_app(storage_url) as app:
        if tenant_id is not None:
            app.store.tenants.require(tenant_id)
        report = app.analytics.sync(progress=_bar(as_json), wait_seconds=wait_seconds).as_dict()
        if tenant_id is not None:
            report["status"] = app.analytics.status(tenant_id).as_dict()
    emit(report, as_json, _said)


def _said(report: dict[str, Any]) -> str:
    said = (f"copied {report['total']} rows" if report["copied"]
            else "nothing to copy: the store is its own analytics engine")  # fmt: skip
    if report["held_back"]:
        said += f"; held back by open transactions: {', '.join(report['held_back'])}"
    for run in report["sorted"]:
        said += (f"\nre-sorted telemetry by tenant from {run['since'][:10]} to {run['until'][:10]}:"
                 f" {run['rows']} rows in {run['seconds']} s")  # fmt: skip
    return said


@analytics.command()
@click.option("--tenant", "tenant_id", help="Count only this tenant's rows behind.")
@storage_option
@json_option
def status(tenant_id: str | None, storage_url: str | None, as_json: bool) -> None:
    """Per table: rows copied, rows behind the operational store, seconds since the last sync."""
    with open_app(storage_url) as app:
        result = app.analytics.status(tenant_id).as_dict()

    def human(r: dict[str, Any]) -> str:
        head = f"engine: {r['engine']}" + (" (live)" if r["live"] else "")
        if r["advice"]:
            head += f"\n{r['advice']}"
        cols = ("table", "copied_rows", "rows_behind", "lag_seconds", "synced_at")
        return head + ("\n" + table(r["tables"], cols) if r["tables"] else "")

    emit(result, as_json, human)


@analytics.command()
@click.option(
    "--format", "fmt", type=click.Choice(["parquet"]), default="parquet", show_default=True
)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="An empty or new folder (dt=YYYY-MM-DD/tenant=ID partitions go in it).")  # fmt: skip
@storage_option
@json_option
def export(fmt: str, out: Path, storage_url: str | None, as_json: bool) -> None:
    """Export every analytics table as date/tenant-partitioned Parquet files."""
    with open_app(storage_url) as app:
        report = app.analytics.export(out, format=fmt, progress=_bar(as_json)).as_dict()
    emit(report, as_json, lambda r: f"exported {r['total']} rows to {out}")


COMMANDS = (analytics,)
