"""Small building blocks shared by the pages: metric cards and titled graphs."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import dcc, html


def card(card_id: str, title: str, value: float | None, unit: str, *, target: str | None = None,
         status: str | None = None, note: str | None = None, digits: int = 4) -> html.Div:  # fmt: skip
    """A number with its unit, target and status (ok, breach or no data)."""
    shown = (
        "no data"
        if value is None
        else (f"{value:,.{digits}g}" if unit not in ("USD",) else f"{value:,.2f}")
    )
    state = "no-data" if value is None else (status or "info")
    return html.Div([
        html.Div(title, className="card-title"),
        html.Div([html.Span(shown, id=f"{card_id}-value", className="card-value"),
                  html.Span(f" {unit}" if value is not None else "", className="card-unit")]),
        html.Div(" · ".join(p for p in (f"target {target}" if target else "", state, note or "") if p),
                 className=f"card-status status-{state}"),
    ], className="card", id=card_id)  # fmt: skip


def graph(graph_id: str, figure: go.Figure, template: str) -> dcc.Graph:
    figure.update_layout(template=template, margin={"t": 60, "l": 50, "r": 30, "b": 40}, height=360)
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})


def table(
    table_id: str, rows: list[dict[str, Any]], columns: list[dict[str, Any]], **options: Any
) -> Any:
    """A paged table in the tenant's palette."""
    from dash import dash_table

    return dash_table.DataTable(  # type: ignore[attr-defined]
        id=table_id, data=rows, columns=columns, page_size=options.pop("page_size", 20),
        style_table={"overflowX": "auto"},
        style_cell={"backgroundColor": "var(--color-card)", "color": "var(--color-text)", "textAlign": "left",
                    "border": "1px solid var(--color-border)", "fontFamily": "var(--font-body)", "padding": "6px"},
        style_header={"backgroundColor": "var(--color-bg-soft)", "fontWeight": "bold"},
        **options,
    )  # fmt: skip


def row(*children: Any) -> html.Div:
    return html.Div(list(children), className="row")
