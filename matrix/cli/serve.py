"""``matrix serve`` and ``matrix demo``: the API and the dashboards with the scheduler beside
them, and the demo that builds a store to serve."""

from __future__ import annotations

import sys

import click

from matrix.cli.options import open_app, storage_option
from matrix.config import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes (more than one needs a PostgreSQL store); the scheduler runs once.",
)
@click.option(
    "--no-scheduler", is_flag=True, help="Serve only; run no task queue or expiry jobs here."
)
@storage_option
def serve(host: str, port: int, workers: int, no_scheduler: bool, storage_url: str | None) -> None:
    """Serve the HTTP API (under /v1, docs at /docs) and the dashboards (sign in with a
    `matrix user add` account), and run the scheduler."""
    _serve(storage_url, host=host, port=port, scheduler=not no_scheduler, workers=workers)


@click.command()
@click.option("--tenants", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--days", type=click.IntRange(1, 365), default=14, show_default=True)
@click.option(
    "--serve/--no-serve",
    "serve_after",
    default=True,
    show_default=True,
    help="End by serving the dashboards until Ctrl-C.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True)
@storage_option
def demo(tenants: int, days: int, serve_after: bool, port: int, storage_url: str | None) -> None:
    """Build the embedded demo store, simulate traffic once, run the gates, and serve the dashboards."""
    from tqdm import tqdm

    from matrix.demo import run_demo

    settings = Settings.load(storage_url=storage_url)
    with tqdm(
        total=days, unit="day", desc="      simulating", file=sys.stderr, disable=None
    ) as bar:
        run_demo(settings, echo=click.echo, tenants=tenants, days=days, progress=bar.update)
    if serve_after:
        _serve(storage_url, host="127.0.0.1", port=port, scheduler=True)


def _serve(
    storage_url: str | None, *, host: str, port: int, scheduler: bool, workers: int = 1
) -> None:
    from matrix.serve import serve as run

    with open_app(storage_url) as app:
        run(app, host=host, port=port, scheduler=scheduler, workers=workers, echo=click.echo)


COMMANDS = (serve, demo)
