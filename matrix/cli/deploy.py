"""``matrix deploy``: deployment records for the delivery metrics."""

from __future__ import annotations

import click

from matrix.cli.imports import PLATFORM, ensure_tenant
from matrix.cli.options import CONTEXT, json_option, open_app, storage_option, when
from matrix.cli.output import emit


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
@click.option("--hotfix", is_flag=True, help="An unplanned deployment, made to fix production.")
@click.option(
    "--remediates",
    metavar="INCIDENT",
    help="The incident this deployment fixes (implies --hotfix).",
)
@click.option(
    "--tenant",
    "tenant_id",
    default=PLATFORM,
    show_default=True,
    help="The platform (registered on first use) or an existing tenant.",
)
@storage_option
@json_option
def deploy_record(service: str, version: str, kind: str, status: str, at: str | None, commit: str | None,
                  hotfix: bool, remediates: str | None, tenant_id: str, storage_url: str | None,
                  as_json: bool) -> None:  # fmt: skip
    """Record a deployment (the same service and version twice is stored once)."""
    from matrix.sources.deliveries import record_deployment

    with open_app(storage_url) as app:
        ensure_tenant(app.store, tenant_id)
        row, new = record_deployment(app.store, tenant_id, service=service, version=version, kind=kind, status=status,
                                     at=when(at, "--at"), commit=commit, hotfix=hotfix, remediates=remediates,
                                     now=app.clock.now())  # fmt: skip
    emit(
        {**row, "new": new},
        as_json,
        lambda r: (
            f"deployment {r['service']} {r['version']} ({r['kind']}, {r['status']}):"
            f" {'recorded' if r['new'] else 'already recorded'}"
        ),
    )


COMMANDS = (deploy,)
