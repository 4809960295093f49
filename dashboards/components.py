"""Small building blocks shared by the pages: metric cards and titled graphs."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag  # imported with the app, so that Dash serves the grid's scripts
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


def table(table_id: str, rows: list[dict[str, Any]], columns: list[str], *, page_size: int = 20,
          select: bool = False, links: tuple[str, ...] = (), row_id: str | None = None,
          widths: dict[str, int] | None = None) -> Any:  # fmt: skip
    """A paged grid (AG Grid) in the tenant's palette; ``select`` lets one row be picked by a
    click, ``links`` are columns rendered as Markdown links; ``row_id`` names the field that
    identifies a row, so a selection survives new rows; ``widths`` are columns' relative widths
    (in pixels before the grid fits them to its width)."""
    options: dict[str, Any] = {"pagination": True, "paginationPageSize": page_size, "domLayout": "autoHeight",
                               "paginationPageSizeSelector": sorted({page_size, 20, 50, 100}), "animateRows": False}  # fmt: skip
    if select:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True}
    identity = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    return dag.AgGrid(
        **identity, id=table_id, rowData=rows, columnSize="responsiveSizeToFit", dashGridOptions=options,
        columnDefs=[{"field": c, "headerName": c.replace("_", " "), **({"cellRenderer": "markdown"} if c in links else {}),
                     **({"width": (widths or {})[c]} if c in (widths or {}) else {})} for c in columns],
        style={"--ag-background-color": "var(--color-card)", "--ag-foreground-color": "var(--color-text)",
               "--ag-header-background-color": "var(--color-bg-soft)", "--ag-border-color": "var(--color-border)",
               "--ag-odd-row-background-color": "var(--color-card)"},
    )  # fmt: skip


def row(*children: Any) -> html.Div:
    return html.Div(list(children), className="row")
