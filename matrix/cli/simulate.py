"""``matrix simulate``: weeks of owner traffic through the real runtime on a virtual clock."""

from __future__ import annotations

import sys
from typing import Any

import click

from matrix.cli.options import json_option, open_app, storage_option
from matrix.cli.output import emit


@click.command()
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

    with open_app(storage_url) as app, tqdm(total=days, unit="day", desc="simulating",
                                            file=sys.stderr, disable=None) as bar:  # fmt: skip
        report = run_simulation(partial(build, store=app.store), tenants=tenants, days=days,
                                seed=seed, end=app.clock.now(), progress=bar.update)  # fmt: skip
    emit(report.as_dict(), as_json, _text)


def _text(r: dict[str, Any]) -> str:
    p = r["persona2"]
    return (
        f"simulated {r['days']} days of {r['tenants']} tenants in {r['seconds']} s: "
        f"{r['interactions']} interactions ({r['provider_errors']} provider errors), "
        f"tasks {r['tasks']}, approvals {r['approvals']}\n"
        f"Persona 2: {p['messages_read']} inbound messages read, {p['replies_sent_automatically']} replies"
        f" sent by itself, {p['leads_moved']} leads moved, handoffs {p['handoffs_by_reason']}\n{r['note']}"
    )


COMMANDS = (simulate,)
