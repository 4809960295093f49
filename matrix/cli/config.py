"""``matrix config``: every setting and where its value came from."""

from __future__ import annotations

import click

from matrix.cli.options import CONTEXT, json_option
from matrix.cli.output import emit, table
from matrix.config import Settings


@click.group(context_settings=CONTEXT)
def config() -> None:
    """Settings and where their values come from."""


@config.command("show")
@json_option
def config_show(as_json: bool) -> None:
    """Every setting: its value (secrets masked), its variable and where the value came from."""
    rows = Settings.load().describe()
    emit(rows, as_json, lambda r: table(r, ("name", "value", "source", "env")))


COMMANDS = (config,)
