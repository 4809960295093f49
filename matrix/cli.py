"""The ``matrix`` command line.

Every command prints a human-readable result by default and JSON with ``--json``. Exit codes:
0 ok, 1 failure, 2 usage or configuration error. Errors are one line on stderr, never a
traceback (set ``MATRIX_DEBUG=1`` to see one for an unexpected error).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any, TypeVar

import click

from matrix import __version__
from matrix.config import Settings, mask_secrets
from matrix.errors import ContractError, MatrixError, UsageError

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def emit(result: Any, as_json: bool, human: Callable[[Any], str]) -> None:
    """Print a command's result as JSON or as text for people."""
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(human(result))


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table."""
    if not rows:
        return "(none)"
    cells = [{c: "" if r.get(c) is None else str(r.get(c)) for c in columns} for r in rows]
    widths = {c: max(len(c), *(len(cell[c]) for cell in cells)) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    lines += ["  ".join(cell[c].ljust(widths[c]) for c in columns) for cell in cells]
    return "\n".join(line.rstrip() for line in lines)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def storage_option(f: F) -> F:
    return click.option(
        "--storage-url",
        metavar="URL",
        help="Store to use (default: MATRIX_STORAGE_URL, else duckdb:///var/matrix.duckdb).",
    )(f)


def tenant_option(f: F) -> F:
    return click.option("--tenant", "tenant_id", required=True, help="Tenant id (required).")(f)


def open_existing(storage_url: str | None) -> Any:
    """The store for a command that reads or writes data (it must exist and be migrated)."""
    from matrix.storage import open_store

    return open_store(settings=Settings.load(storage_url=storage_url), must_exist=True)


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="matrix")
def cli() -> None:
    """Matrix Workbench: run and measure the AI-concierge SaaS.

    Start with `matrix init`, then `matrix demo`. Every command takes -h for help.
    """


# -- store ------------------------------------------------------------------------------------


@cli.command()
@storage_option
@json_option
def init(storage_url: str | None, as_json: bool) -> None:
    """Create the store if needed and bring its schema up to date."""
    from matrix.storage import open_store

    with open_store(settings=Settings.load(storage_url=storage_url), check_schema=False) as store:
        report = store.migrate()
        result = {"store": store.url, **report.as_dict()}
    emit(result, as_json, _migration_text)


@cli.command()
@storage_option
@json_option
def migrate(storage_url: str | None, as_json: bool) -> None:
    """Apply pending migrations to an existing store (safe to run twice)."""
    from matrix.storage import open_store

    settings = Settings.load(storage_url=storage_url)
    with open_store(settings=settings, must_exist=True, check_schema=False) as store:
        report = store.migrate()
        result = {"store": store.url, **report.as_dict()}
    emit(result, as_json, _migration_text)


def _migration_text(r: dict[str, Any]) -> str:
    if not r["applied"]:
        return f"store {r['store']} is up to date at schema version {r['after']}"
    return (
        f"store {r['store']}: applied {', '.join(r['applied'])}; now at schema version {r['after']}"
    )


# -- contracts --------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def contracts() -> None:
    """JSON Schemas for commands, events and gate verdicts."""


@contracts.command("check")
@click.option("--contracts-dir", metavar="DIR", help="Folder to check (default: contracts/).")
@json_option
def contracts_check(contracts_dir: str | None, as_json: bool) -> None:
    """Check every schema and example; exit 1 when anything is wrong."""
    from matrix.contracts import Catalog

    settings = Settings.load(contracts_dir=contracts_dir)
    report = Catalog(settings.contracts_dir).check()

    def human(r: dict[str, Any]) -> str:
        lines = [
            f"{i['level']}: {i['file']}{' at ' + i['pointer'] if i['pointer'] else ''}: {i['message']}"
            for i in r["issues"]
        ]
        verdict = "ok" if r["ok"] else "FAILED"
        lines.append(
            f"contracts {verdict}: {r['schemas']} schemas, {r['valid_examples']} valid and"
            f" {r['invalid_examples']} invalid examples, {len(r['issues'])} issue(s)"
        )
        return "\n".join(lines)

    emit(report.as_dict(), as_json, human)
    if not report.ok:
        raise SystemExit(1)


# -- config -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def config() -> None:
    """Settings and where their values come from."""


@config.command("show")
@json_option
def config_show(as_json: bool) -> None:
    """Every setting: its value (secrets masked), its variable and where the value came from."""
    rows = Settings.load().describe()
    emit(rows, as_json, lambda r: table(r, ("name", "value", "source", "env")))


# -- tenants ----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def tenant() -> None:
    """Tenants and their runtime config (AI provider, prompts, execution switches)."""


@tenant.command("create")
@click.argument("tenant_id")
@click.option("--name", "display_name", help="Display name (default: the id).")
@storage_option
@json_option
def tenant_create(
    tenant_id: str, display_name: str | None, storage_url: str | None, as_json: bool
) -> None:
    """Register a tenant (creating the same id again changes nothing)."""
    with open_existing(storage_url) as store:
        created = store.tenants.add(tenant_id, display_name)
    result = {"tenant_id": tenant_id, "status": "created" if created else "exists"}
    emit(result, as_json, lambda r: f"tenant {r['tenant_id']}: {r['status']}")


@tenant.command("list")
@storage_option
@json_option
def tenant_list(storage_url: str | None, as_json: bool) -> None:
    """Every tenant (an admin view)."""
    with open_existing(storage_url) as store:
        rows = [t.as_dict() for t in store.tenants.list()]
    emit(rows, as_json, lambda r: table(r, ("tenant_id", "display_name", "status", "created_at")))


@tenant.command("show")
@click.argument("tenant_id")
@storage_option
@json_option
def tenant_show(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's runtime config summary (secrets shown only as configured or not)."""
    with open_existing(storage_url) as store:
        result = _concierge(store).config_summary(tenant_id)
    emit(result, as_json, lambda r: json.dumps(r, indent=2, ensure_ascii=False))


@tenant.command("plan")
@click.argument("tenant_id")
@click.option("--plan", "plan_name", default="standard", show_default=True, help="Plan name.")
@click.option("--fee", type=click.FloatRange(min=0), required=True, help="USD per month.")
@click.option(
    "--from", "effective", required=True, help="In force from this date, e.g. 2026-01-01."
)
@click.option("--actor", default=lambda: os.environ.get("USER", "operator"), show_default="$USER")
@storage_option
@json_option
def tenant_plan(tenant_id: str, plan_name: str, fee: float, effective: str, actor: str,
                storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Record what the tenant pays per month from a date (the revenue of the gross-margin proxy)."""
    from matrix.metrics.costs import set_plan

    start = _when(effective, "--from")
    assert start is not None
    with open_existing(storage_url) as store:
        row = set_plan(store, tenant_id, plan=plan_name, monthly_fee_usd=fee, effective_from=start,
                       actor=actor, now=datetime.now(UTC))  # fmt: skip
    emit(row, as_json, lambda r: f"{r['tenant_id']}: plan {r['plan']} at ${r['monthly_fee_usd']:.2f}/month"
                                 f" from {r['effective_from']:%Y-%m-%d}")  # fmt: skip


@cli.group(context_settings=CONTEXT)
def user() -> None:
    """Dashboard users: admins see every tenant, managers only theirs."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "manager"]), required=True)
@click.option(
    "--tenant", "tenants", multiple=True, help="A tenant a manager may see (repeat for more)."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of a prompt.",
)
@storage_option
@json_option
def user_add(username: str, role: str, tenants: tuple[str, ...], password_stdin: bool, storage_url: str | None,
             as_json: bool) -> None:  # fmt: skip
    """Create a user (or replace one with the same name) with a password of 8 characters or more."""
    from matrix.access import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with open_existing(storage_url) as store:
        created = add_user(store, username, password, role=role, tenants=list(tenants))
    result = {"username": created.username, "role": created.role, "tenants": list(created.tenants)}
    emit(result, as_json, lambda r: f"user {r['username']}: {r['role']}"
                                    + (f" of {', '.join(r['tenants'])}" if r["tenants"] else " (every tenant)"))  # fmt: skip


@user.command("list")
@storage_option
@json_option
def user_list(storage_url: str | None, as_json: bool) -> None:
    """Every dashboard user with their role and tenants (never a password)."""
    from matrix.access import list_users

    with open_existing(storage_url) as store:
        rows = list_users(store)
    emit(rows, as_json, lambda r: table(r, ("username", "role", "tenants", "created_at")))


@tenant.command("config")
@click.argument("tenant_id")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Set one field, e.g. --set openai.model=gpt-5-mini --set execution.confirmations_enabled=false.",
)
@click.option(
    "--file",
    "config_file",
    type=click.File("r", encoding="utf-8"),
    help="A JSON file with the fields to change.",
)
@click.option(
    "--openai-key-stdin",
    is_flag=True,
    help="Read the tenant's OpenAI key from standard input (keeps it out of shell history).",
)
@storage_option
@json_option
def tenant_config(
    tenant_id: str, assignments: tuple[str, ...], config_file: IO[str] | None,
    openai_key_stdin: bool, storage_url: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Change a tenant's runtime config; fields not given keep their value.

    An OpenAI key set here is never shown again: summaries say only whether it is configured.
    Setting it to an empty value clears it.
    """
    update: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = json.load(config_file)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--file is not JSON: {exc.msg} at line {exc.lineno}.") from None
        if not isinstance(loaded, dict):
            raise UsageError("--file must hold a JSON object.")
        update = loaded
    for item in assignments:
        field, sep, raw = item.partition("=")
        if not sep or not field.strip():
            raise UsageError(
                f"--set {item!r} must look like FIELD=VALUE, e.g. openai.model=gpt-5-mini."
            )
        _assign(update, field.strip().split("."), _parse_value(raw))
    if openai_key_stdin:
        _assign(update, ["openai", "api_key"], sys.stdin.readline().strip())
    if not update:
        raise UsageError("Nothing to change: give --set FIELD=VALUE, --file or --openai-key-stdin.")
    with open_existing(storage_url) as store:
        result = _concierge(store).save_config(tenant_id, update)
    emit(result, as_json, lambda r: json.dumps(r, indent=2, ensure_ascii=False))


def _assign(tree: dict[str, Any], path: list[str], value: Any) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def _parse_value(raw: str) -> Any:
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    try:
        return (
            json.loads(raw) if raw.strip()[:1] in "[{" else float(raw) if "." in raw else int(raw)
        )
    except ValueError:
        return raw


def _concierge(store: Any) -> Any:
    from matrix.concierge import Concierge
    from matrix.providers import selector

    return Concierge(store, store.settings, selector(store.settings))


# -- chat and approvals -----------------------------------------------------------------------


@cli.command()
@tenant_option
@click.option(
    "-m", "--message", help="Send one message and exit (default: read messages from the terminal)."
)
@click.option("--session", "session_id", help="Session id (default: a new one).")
@storage_option
@json_option
def chat(
    tenant_id: str,
    message: str | None,
    session_id: str | None,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """Talk to Persona 1: the reply, the decision, and any approval or task it created."""
    from matrix.envelopes import new_id

    session_id = session_id or new_id()
    with open_existing(storage_url) as store:
        concierge = _concierge(store)
        messages = [message] if message is not None else _prompt_lines()
        for text in messages:
            result = concierge.interact(tenant_id, session_id, text)
            emit(result, as_json, _chat_text)


def _prompt_lines() -> Iterator[str]:
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Talk to your concierge; an empty line or Ctrl-D ends the chat.", err=True)
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            return
        if not line.strip():
            return
        yield line


def _chat_text(r: dict[str, Any]) -> str:
    out = r["assistant_output"]
    decision = r["policy_decision"]
    lines = [f"concierge> {out['text']}"]
    meta = f"  [{out['provider']}{'/' + out['model'] if out.get('model') else ''}"
    if out.get("fallback_reason"):
        meta += f", {out['fallback_reason']}"
    lines.append(meta + "]")
    if decision["execution_decision"] != "none":
        lines.append(f"  decision: {decision['execution_decision']} ({decision['reason_code']})")
    for task in r.get("downstream_tasks", []):
        lines.append(
            f"  task queued: {task['task_type']} → {task['target_module']} ({task['task_id']})"
        )
    if "confirmation" in r:
        c = r["confirmation"]
        tenant_id = r["execution_receipts"][0]["tenant_id"]
        lines.append(
            f"  approval needed: matrix approvals approve {c['confirmation_id']} --tenant {tenant_id}"
        )
    return "\n".join(lines)


@cli.group(context_settings=CONTEXT)
def approvals() -> None:
    """The approval queue: confirmations the owner must give before a task runs."""


@approvals.command("list")
@tenant_option
@click.option(
    "--status",
    type=click.Choice(["all", "pending", "approved", "rejected", "expired"]),
    default="pending",
    show_default=True,
)
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@storage_option
@json_option
def approvals_list(
    tenant_id: str, status: str, limit: int, storage_url: str | None, as_json: bool
) -> None:
    """Confirmations, newest first."""
    with open_existing(storage_url) as store:
        result = _concierge(store).list_confirmations(tenant_id, status, limit)
    emit(
        result,
        as_json,
        lambda r: table(
            r["items"],
            ("confirmation_id", "status", "task_type", "reason_code", "created_at", "expires_at"),
        ),
    )


def _resolve(decision: str, confirmation_id: str, tenant_id: str, actor: str, reason: str | None,
             storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    with open_existing(storage_url) as store:
        result = _concierge(store).resolve_confirmation(
            tenant_id, confirmation_id, decision, actor=actor, reason=reason
        )

    def human(r: dict[str, Any]) -> str:
        text = f"confirmation {r['confirmation']['confirmation_id']}: {r['confirmation']['status']}"
        if "downstream_task" in r:
            text += f"; task {r['downstream_task']['task_id']} queued"
        return text

    emit(result, as_json, human)


def _resolution_options(f: F) -> F:
    f = click.option("--reason", help="Why (recorded with the resolution).")(f)
    f = click.option(
        "--actor",
        default=lambda: os.environ.get("USER", "owner"),
        show_default="$USER",
        help="Who resolves it (recorded).",
    )(f)
    return f


@approvals.command("approve")
@click.argument("confirmation_id")
@tenant_option
@_resolution_options
@storage_option
@json_option
def approvals_approve(confirmation_id: str, tenant_id: str, actor: str, reason: str | None,
                      storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Approve a pending confirmation: its task is queued (once, however often this is run)."""
    _resolve("approve", confirmation_id, tenant_id, actor, reason, storage_url, as_json)


@approvals.command("reject")
@click.argument("confirmation_id")
@tenant_option
@_resolution_options
@storage_option
@json_option
def approvals_reject(confirmation_id: str, tenant_id: str, actor: str, reason: str | None,
                     storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Reject a pending confirmation: nothing runs."""
    _resolve("reject", confirmation_id, tenant_id, actor, reason, storage_url, as_json)


# -- worker -----------------------------------------------------------------------------------


@cli.command()
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@click.option("--max-seconds", type=click.FloatRange(min=0), help="Stop after this long.")
@storage_option
@json_option
def worker(once: bool, max_seconds: float | None, storage_url: str | None, as_json: bool) -> None:
    """Run the scheduler: the task queue, approval expiry, due reminders and outbound messages.

    Ctrl-C stops cleanly.
    """
    from matrix.app import build

    with build(Settings.load(storage_url=storage_url), must_exist=True) as app:
        scheduler = app.scheduler()
        scheduler.install_signal_handlers()
        click.echo(app.outbound_status().message, err=True)
        if not once and not as_json:
            click.echo(
                f"worker {app.worker.worker_id} on {app.store.url}; Ctrl-C stops after the current task",
                err=True,
            )
        scheduler.run(max_seconds=max_seconds, until_idle=once)
    emit(
        scheduler.report(),
        as_json,
        lambda r: table([{"job": k, **v} for k, v in r.items()], ("job", "runs", "done", "errors")),
    )


# -- events -----------------------------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
def events() -> None:
    """The command/event log: append, list, count and trace envelopes."""


@events.command("append")
@click.argument("source", type=click.File("r", encoding="utf-8"), metavar="FILE|-")
@storage_option
@json_option
def events_append(source: IO[str], storage_url: str | None, as_json: bool) -> None:
    """Validate and append envelopes from a JSON file (object, array, or one per line).

    Nothing is appended when any envelope is invalid; the error names its index and field.
    """
    from tqdm import tqdm

    envelopes = list(_read_envelopes(source))
    bar = tqdm(total=len(envelopes), unit="env", disable=None, file=sys.stderr)
    with open_existing(storage_url) as store, bar:
        result = store.events.append_many(envelopes, batch_size=10_000, progress=bar.update)
    emit(
        result.as_dict(),
        as_json,
        lambda r: f"appended {r['added']}, already stored {r['duplicates']}",
    )


def _read_envelopes(source: IO[str]) -> Iterator[Any]:
    text = source.read()
    name = getattr(source, "name", "input")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ContractError(
                    f"{name} line {number} is not JSON ({exc.msg} at column {exc.colno});"
                    " give a JSON object, a JSON array, or one object per line."
                ) from None
        return
    yield from doc if isinstance(doc, list) else [doc]


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from matrix.envelopes import parse_timestamp

    try:
        return parse_timestamp(value if "T" in value else value + "T00:00:00Z")
    except ValueError:
        raise UsageError(
            f"{option} {value!r} is not a date; use 2026-11-01 or 2026-11-01T09:00:00Z."
        ) from None


def _summary(env: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": env.get("created_at") or env.get("emitted_at"),
        "kind": env["kind"],
        "name": env["name"],
        "status": env.get("status", ""),
        "source": env["source_module"],
        "target": env["target_module"],
        "correlation_id": env["correlation_id"],
    }


@events.command("list")
@tenant_option
@click.option("--name", help="Only envelopes with this name.")
@click.option("--kind", type=click.Choice(["command", "event"]), help="Only commands or events.")
@click.option("--since", help="From this date or time (inclusive), e.g. 2026-11-01.")
@click.option("--until", help="Before this date or time.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@storage_option
@json_option
def events_list(
    tenant_id: str,
    name: str | None,
    kind: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """The tenant's newest envelopes first."""
    start, end = _when(since, "--since"), _when(until, "--until")
    if start and end and end <= start:
        raise UsageError(f"--until {until} is not after --since {since}; swap them.")
    with open_existing(storage_url) as store:
        found = store.events.list(
            tenant_id, name=name, kind=kind, since=start, until=end, limit=limit
        )
    emit(
        found,
        as_json,
        lambda r: table(
            [_summary(e) for e in r], ("at", "kind", "name", "status", "correlation_id")
        ),
    )


@events.command("count")
@tenant_option
@click.option("--name", help="Only envelopes with this name.")
@storage_option
@json_option
def events_count(tenant_id: str, name: str | None, storage_url: str | None, as_json: bool) -> None:
    """How many envelopes the tenant has."""
    with open_existing(storage_url) as store:
        n = store.events.count(tenant_id, name=name)
    emit({"tenant_id": tenant_id, "count": n}, as_json, lambda r: str(r["count"]))


@events.command("trace")
@click.argument("correlation_id")
@tenant_option
@storage_option
@json_option
def events_trace(
    correlation_id: str, tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """One correlation id end to end: every command and event, in order."""
    with open_existing(storage_url) as store:
        chain = store.events.trace(tenant_id, correlation_id)
    if not chain and not as_json:
        raise UsageError(
            f"No envelopes with correlation id {correlation_id!r} for tenant {tenant_id!r}."
        )
    emit(
        chain,
        as_json,
        lambda r: table(
            [_summary(e) for e in r], ("at", "kind", "name", "status", "source", "target")
        ),
    )


# -- lab --------------------------------------------------------------------------------------


@cli.command()
@click.option("--port", type=click.IntRange(1024, 65535), default=8888, show_default=True)
@click.option("--dry-run", is_flag=True, help="Print the command instead of starting JupyterLab.")
@storage_option
@json_option
def lab(port: int, dry_run: bool, storage_url: str | None, as_json: bool) -> None:
    """Open JupyterLab on notebooks/ with this store as the notebooks' default."""
    from pathlib import Path

    settings = Settings.load(storage_url=storage_url)
    url = settings.storage_url
    if url.startswith("duckdb:///") and not url.endswith(":memory:"):
        url = f"duckdb:///{Path(url.removeprefix('duckdb:///')).resolve()}"
    root = Path(__file__).resolve().parent.parent / "notebooks"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--notebook-dir={root}",
        f"--port={port}",
        "--no-browser",
    ]
    if dry_run:
        emit({"command": command, "MATRIX_STORAGE_URL": mask_secrets(url)}, as_json,
             lambda r: f"MATRIX_STORAGE_URL={r['MATRIX_STORAGE_URL']} {' '.join(r['command'])}")  # fmt: skip
        return
    os.execvpe(command[0], command, {**os.environ, "MATRIX_STORAGE_URL": url})


# -- simulate -------------------------------------------------------------------------------


@cli.command()
@click.option("--tenants", type=click.IntRange(1, 500), default=10, show_default=True)
@click.option("--days", type=click.IntRange(1, 365), default=14, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@storage_option
@json_option
def simulate(tenants: int, days: int, seed: int, storage_url: str | None, as_json: bool) -> None:
    """Drive weeks of owner traffic through the real runtime on a virtual clock.

    Owners, AI replies (from a local OpenAI-compatible endpoint) and module work are simulated;
    everything else — planning, policy, approvals, queue, worker, events, telemetry — is real.
    """
    from functools import partial

    from tqdm import tqdm

    from matrix.app import build
    from matrix.simulate import run_simulation

    with open_existing(storage_url) as store, tqdm(total=days, unit="day", desc="simulating",
                                                   file=sys.stderr, disable=None) as bar:  # fmt: skip
        report = run_simulation(partial(build, store=store), tenants=tenants, days=days, seed=seed,
                                progress=bar.update)  # fmt: skip

    def human(r: dict[str, Any]) -> str:
        return (
            f"simulated {r['days']} days of {r['tenants']} tenants in {r['seconds']} s: "
            f"{r['interactions']} interactions ({r['provider_errors']} provider errors), "
            f"tasks {r['tasks']}, approvals {r['approvals']}\n{r['note']}"
        )

    emit(report.as_dict(), as_json, human)


# -- serve and demo ---------------------------------------------------------------------------


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True)
@click.option(
    "--no-scheduler", is_flag=True, help="Serve only; run no task queue or expiry jobs here."
)
@storage_option
def serve(host: str, port: int, no_scheduler: bool, storage_url: str | None) -> None:
    """Serve the dashboards (sign in with a `matrix user add` account) and run the scheduler."""
    from matrix.serve import serve as run

    with open_existing(storage_url) as store:
        run(store, host=host, port=port, scheduler=not no_scheduler, echo=click.echo)


@cli.command()
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
        from matrix.serve import serve as run

        with open_existing(storage_url) as store:
            run(store, host="127.0.0.1", port=port, scheduler=True, echo=click.echo)


def _register_modules() -> None:
    from matrix.cli_modules import register

    register(cli)


_register_modules()


# -- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and turn every error into one line and an exit code."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="matrix", standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except MatrixError as exc:
        click.echo(f"error: {mask_secrets(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:
        if os.environ.get("MATRIX_DEBUG"):
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {mask_secrets(str(exc))}"
            " (set MATRIX_DEBUG=1 to see the traceback, and please report it)",
            err=True,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
