"""``matrix import``: delivery and cost sources into the store (importing twice adds nothing)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from matrix.cli.options import CONTEXT, json_option, open_app, storage_option
from matrix.cli.output import emit

# Delivery data belongs to the platform by default; its tenant is registered on first use.
PLATFORM = "platform"


@click.group("import", context_settings=CONTEXT)
def import_group() -> None:
    """Import delivery and cost sources (idempotent: importing twice adds nothing)."""


def _import_options(f: Any, *, folder: bool = False) -> Any:
    f = json_option(f)
    f = storage_option(f)
    f = click.option(
        "--tenant",
        "tenant_id",
        default=PLATFORM,
        show_default=True,
        help="Tenant the rows belong to (delivery data usually belongs to the platform, which is"
        " registered on first use; any other tenant must exist).",
    )(f)
    return click.argument(
        "path", type=click.Path(exists=True, dir_okay=folder, file_okay=not folder)
    )(f)


def _skip_bad_option(f: Any) -> Any:
    return click.option(
        "--skip-bad",
        is_flag=True,
        help="Skip malformed rows (reported) instead of refusing the file.",
    )(f)


def _run_import(importer: Any, path: str, tenant_id: str, storage_url: str | None, as_json: bool,
                **options: Any) -> None:  # fmt: skip
    # One transaction: a refused file leaves no tenant registered for it.
    with open_app(storage_url) as app, app.store.transaction():
        ensure_tenant(app.store, tenant_id)
        report = importer(app.store, tenant_id, Path(path), **options)
    emit(report.as_dict(), as_json, _report_text)


def ensure_tenant(store: Any, tenant_id: str) -> None:
    """The tenant the rows go to: the platform is registered when it is new; any other tenant must
    exist already, as for every ``--tenant`` (a mistyped id is refused, never created)."""
    if tenant_id == PLATFORM:
        store.tenants.add(PLATFORM, "Platform")
    else:
        store.tenants.require(tenant_id)


def _counts_text(r: dict[str, Any]) -> str:
    return f"{r['source']}: read {r['read']}, added {r['added']}, skipped {r['skipped']}"


def _report_text(r: dict[str, Any]) -> str:
    why = ", ".join(f"{n} {reason}" for reason, n in r["skipped_because"].items())
    return _counts_text(r) + (f" ({why})" if why else "")


def _csv_log(name: str, importer_name: str, doc: str) -> click.Command:
    """``matrix import NAME FILE``: one of the origin's CSV logs, malformed rows refused or skipped."""

    @import_group.command(name, help=doc)
    @_import_options
    @_skip_bad_option
    def command(
        path: str, tenant_id: str, storage_url: str | None, as_json: bool, skip_bad: bool
    ) -> None:
        from matrix.sources import worklog

        _run_import(
            getattr(worklog, importer_name),
            path,
            tenant_id,
            storage_url,
            as_json,
            skip_bad=skip_bad,
        )

    return command


import_worklog = _csv_log(
    "worklog", "import_worklog",
    "The origin's worklog.csv (date, start_time, end_time, duration_hours, phase, feature, ...).",
)  # fmt: skip
import_costlog = _csv_log(
    "costlog", "import_costlog",
    "The origin's costlog.csv (date, provider, service, environment, amount_brl, amount_usd, ...).",
)  # fmt: skip


@import_group.command("junit")
@_import_options
def import_junit(path: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """JUnit XML test results (e.g. pytest --junitxml)."""
    from matrix.sources import junit

    _run_import(junit.import_junit, path, tenant_id, storage_url, as_json)


@import_group.command("incidents")
@_import_options
def import_incidents(path: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Incidents from CSV or JSON (incident_id, title, severity, started_at, resolved_at, deployment_id)."""
    from matrix.sources import deliveries

    _run_import(deliveries.import_incidents, path, tenant_id, storage_url, as_json)


@import_group.command("git")
@functools.partial(_import_options, folder=True)
@click.option(
    "--tag-pattern",
    default="v*",
    show_default=True,
    help="Tags that count as releases (deployments).",
)
@click.option(
    "--release-time",
    type=click.Choice(["tag", "commit"]),
    default="tag",
    show_default=True,
    help="Date a release by its annotated tag's date (lightweight tags: the commit's), or always"
    " by the tagged commit's time.",
)
@click.option(
    "--name", help="The repository's name (default: the origin remote's, else the folder's)."
)
def import_git(
    path: str, tenant_id: str, storage_url: str | None, as_json: bool, tag_pattern: str,
    release_time: str, name: str | None,
) -> None:  # fmt: skip
    """A git repository's commits (with their parents), and its release tags as deployments;
    importing the same history from another clone adds nothing."""
    from matrix.sources.git import import_git as read_git

    repository = Path(path).parent if Path(path).name == ".git" else Path(path)
    with open_app(storage_url) as app, app.store.transaction():
        ensure_tenant(app.store, tenant_id)
        commits, releases = read_git(app.store, tenant_id, repository, tag_pattern=tag_pattern,
                                     release_time=release_time, name=name, now=app.clock.now())  # type: ignore[arg-type]  # fmt: skip
    result = {"commits": commits.as_dict(), "releases": releases.as_dict()}
    emit(result, as_json, lambda r: "\n".join(_counts_text(v) for v in r.values()))


COMMANDS = (import_group,)
