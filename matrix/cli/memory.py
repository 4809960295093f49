"""``matrix memory``: the owner's memory — its re-embedding, now or on a schedule."""

from __future__ import annotations

import click

from matrix.cli import memory_eval, memory_maintenance
from matrix.cli.options import CONTEXT


@click.group(context_settings=CONTEXT)
def memory() -> None:
    """The owner's memory: re-embedding its entries, now or on a schedule."""


memory_maintenance.register(memory)
memory_eval.register(memory)

COMMANDS = (memory,)
