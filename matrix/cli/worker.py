"""``matrix worker``: run the scheduler with every background job until Ctrl-C."""

from __future__ import annotations

import click

from matrix.cli.options import Number, json_option, open_app, storage_option
from matrix.cli.output import emit, table


@click.command()
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@click.option("--max-seconds", type=Number(minimum=0), help="Stop after this long.")
@storage_option
@json_option
def worker(once: bool, max_seconds: float | None, storage_url: str | None, as_json: bool) -> None:
    """Run the scheduler: the task queue, approval expiry, due reminders and outbound messages.

    Ctrl-C stops cleanly.
    """
    with open_app(storage_url) as app:
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


COMMANDS = (worker,)
