"""The root ``matrix`` group: every command group of the command line, assembled once, and
:func:`main`, the entry point with its error boundary."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from matrix import __version__
from matrix.cli import (
    analytics,
    approvals,
    chat,
    config,
    contracts,
    deploy,
    events,
    gate,
    imports,
    lab,
    memory,
    metric_reports,
    metrics,
    new_saas,
    prices,
    routing,
    secrets,
    serve,
    simulate,
    store,
    tenant,
    token,
    user,
    worker,
)
from matrix.cli.options import CONTEXT
from matrix.cli.output import guarded

# The platform's own command modules; each lists its commands in COMMANDS (metric_reports adds
# its commands to the metrics group instead).
GROUPS = (store, contracts, config, tenant, user, chat, approvals, worker, events, lab, simulate, serve,
          memory, metrics, metric_reports, imports, prices, deploy, gate, routing,
          token, secrets, analytics, new_saas)  # fmt: skip


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="matrix")
def cli() -> None:
    """Matrix Workbench: run and measure the AI-concierge SaaS.

    Start with `matrix init`, then `matrix demo`. Every command takes -h for help.
    """


def module_commands() -> list[click.Command]:
    """The business modules' command groups, from the module registry: a new module brings its
    commands in its own package (``matrix/modules/<name>/commands.py``)."""
    from matrix.modules import registry

    return list(registry.command_groups())


for _group in GROUPS:
    for _command in getattr(_group, "COMMANDS", ()):
        cli.add_command(_command)
for _command in module_commands():
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and turn every error into one line and an exit code."""
    return guarded(cli, argv)


if __name__ == "__main__":
    sys.exit(main())
