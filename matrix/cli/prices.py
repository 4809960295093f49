"""``matrix prices``: AI prices with effective dates (platform-wide), every change audited."""

from __future__ import annotations

from typing import Any

import click

from matrix.cli.options import CONTEXT, actor_option, json_option, open_app, storage_option, when
from matrix.cli.output import emit, table


@click.group(context_settings=CONTEXT)
def prices() -> None:
    """AI prices with effective dates (platform-wide); every change is audited."""


@prices.command("set")
@click.argument("provider")
@click.argument("model")
@click.option(
    "--from", "effective", required=True, help="Effective from this date or time, e.g. 2026-11-01."
)
@click.option(
    "--input", "input_price", type=float, required=True, help="USD per million input tokens."
)
@click.option(
    "--output", "output_price", type=float, required=True, help="USD per million output tokens."
)
@click.option(
    "--cached",
    "cached_price",
    type=float,
    help="USD per million cached input tokens (default: --input).",
)
@click.option(
    "--audio",
    "audio_price",
    type=float,
    default=0.0,
    show_default=True,
    help="USD per audio minute.",
)
@actor_option()
@click.option("--note")
@storage_option
@json_option
def prices_set(provider: str, model: str, effective: str, input_price: float, output_price: float,
               cached_price: float | None, audio_price: float, actor: str, note: str | None,
               storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Price a model from a date; usage before that date keeps its old price."""
    from matrix.metrics.costs import set_price

    start = when(effective, "--from")
    assert start is not None
    with open_app(storage_url) as app:
        audit = set_price(app.store, provider=provider, model=model, effective_from=start, input_per_mtok=input_price,
                          output_per_mtok=output_price, cached_input_per_mtok=cached_price,
                          audio_per_minute=audio_price, actor=actor, note=note, now=app.clock.now())  # fmt: skip
    emit(audit, as_json, _audit_text)


def _audit_text(r: dict[str, Any]) -> str:
    old = "unpriced" if r["old_total_usd"] is None else f"${r['old_total_usd']:.4f}"
    return (f"{r['provider']}/{r['model']} from {r['effective_from']:%Y-%m-%d}: {r['rows_repriced']} usage rows"
            f" re-priced, total {old} → ${r['new_total_usd']:.4f}")  # fmt: skip


@prices.command("list")
@storage_option
@json_option
def prices_list(storage_url: str | None, as_json: bool) -> None:
    """Every price, with its effective date."""
    with open_app(storage_url) as app:
        rows = app.store.pricing.prices()
    columns = ("provider", "model", "effective_from", "input_per_mtok", "output_per_mtok")
    emit(rows, as_json, lambda r: table(r, columns))


COMMANDS = (prices,)
