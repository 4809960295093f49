"""Small building blocks shared by the pages: metric cards (a KPI with its trend, change, target
and status), the "needs attention" list, titled graphs in the brand's template, and grids.

Every number a block shows goes through :mod:`matrix.formats`; every figure through
:func:`matrix.viz.themed` (here, :func:`graph`)."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag  # imported with the app, so that Dash serves the grid's scripts
import dash_mantine_components as dmc
import plotly.graph_objects as go
from dash import dcc, html

from matrix import brand as brands
from matrix import formats, viz

# A status word → the brand colour it is drawn in (classes of assets/matrix.css).
TONES = {"ok": "good", "elite": "good", "high": "good", "breach": "bad", "low": "bad", "medium": "warn",
         "pass": "good", "fail": "bad", "warn": "warn", "no_data": "muted", "no-data": "muted"}  # fmt: skip


def tone(word: str | None) -> str:
    """The colour class (good, warn, bad, muted) of a status word."""
    return TONES.get(word or "no-data", "muted")


def badge(word: str | None, badge_id: str | None = None) -> html.Span:
    """A status in words (``on target``, ``breaching``) in its colour."""
    text, classes = formats.status(word), f"badge tone-{tone(word)}"
    return (
        html.Span(text, id=badge_id, className=classes)
        if badge_id
        else html.Span(text, className=classes)
    )


def card(card_id: str, title: str, value: float | None, unit: str, *, target: str | None = None,
         status: str | None = None, note: str | None = None, change: str | None = None,
         trend: go.Figure | None = None, template: Any = None, shown: str | None = None) -> html.Div:  # fmt: skip
    """A number read as people read it (``95.3%``, ``51 ms``, ``$12.40``) with its target, its
    status in colour, the change against the previous window and, when given, its trend (a
    sparkline). ``shown`` replaces the formatted value (a count with its own words)."""
    text = shown if shown is not None else formats.value(value, unit)
    foot = [badge(status, f"{card_id}-status")] if status else []
    foot += [html.Span(target, className="card-target")] if target else []
    return html.Div([
        html.Div(title, className="card-title"),
        html.Div(text, id=f"{card_id}-value", className=f"card-value tone-{tone(status) if status else 'text'}"),
        *([html.Div(change, id=f"{card_id}-change", className="card-change")] if change else []),
        *([dcc.Graph(id=f"{card_id}-trend", figure=_themed(trend, template), className="card-trend",
                     config={"displayModeBar": False, "staticPlot": True})] if trend is not None else []),
        *([html.Div(foot, className="card-foot")] if foot else []),
        *([html.Div(note, className="card-note")] if note else []),
    ], className="card", id=card_id)  # fmt: skip


def attention(items: list[tuple[str, str, str]], *, empty: str, list_id: str) -> html.Div:
    """The few things that need someone, first on a page: ``(tone, headline, detail)`` each."""
    if not items:
        return html.Div(
            dmc.Text(empty, size="sm"), id=list_id, className="attention attention-clear"
        )
    return html.Div([
        html.H3("Needs attention", className="section-title"),
        html.Ul([html.Li([html.Span(head, className="attention-head"), html.Span(detail, className="attention-detail")],
                         className=f"attention-item tone-border-{kind}") for kind, head, detail in items]),
    ], id=list_id, className="attention")  # fmt: skip


def _themed(figure: go.Figure, template: Any) -> go.Figure:
    """The figure in a brand (:func:`matrix.viz.themed`) or an already built template."""
    if isinstance(template, brands.Brand):
        return viz.themed(figure, template)
    if template is not None:
        figure.update_layout(template=template)
    return figure


def graph(
    graph_id: str, figure: go.Figure, template: Any = None, *, height: int | None = 360
) -> dcc.Graph:
    """A titled figure in the tenant's brand (``context.brand_of``) or a template
    (``dashboards.theme.plot_template``)."""
    _themed(figure, template)
    if height is not None and figure.layout.height is None:
        figure.update_layout(height=height)
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False, "responsive": True},
                     className="graph")  # fmt: skip


def table(table_id: str, rows: list[dict[str, Any]], columns: list[str], *, page_size: int = 20,
          select: bool = False, links: tuple[str, ...] = (), row_id: str | None = None,
          widths: dict[str, int] | None = None, styles: dict[str, Any] | None = None) -> Any:  # fmt: skip
    """A paged grid (AG Grid) in the tenant's palette; ``select`` lets one row be picked by a
    click, ``links`` are columns rendered as Markdown links; ``row_id`` names the field that
    identifies a row, so a selection survives new rows; ``widths`` are columns' relative widths
    (in pixels before the grid fits them to its width); ``styles`` are columns' cell class rules
    (AG Grid ``cellClassRules``)."""
    options: dict[str, Any] = {"pagination": True, "paginationPageSize": page_size, "domLayout": "autoHeight",
                               "paginationPageSizeSelector": sorted({page_size, 20, 50, 100}), "animateRows": False,
                               "overlayNoRowsTemplate": "Nothing to show for these filters yet."}  # fmt: skip
    if select:
        options["rowSelection"] = {"mode": "singleRow", "enableClickSelection": True}
    identity = {"getRowId": f"params.data.{row_id}"} if row_id else {}
    return dag.AgGrid(
        # A column never narrower than a short word: on a phone the grid scrolls sideways
        # instead of squeezing every column to a letter.
        **identity, id=table_id, rowData=rows, columnSize="responsiveSizeToFit", dashGridOptions=options,
        defaultColDef={"minWidth": 110},
        columnDefs=[{"field": c, "headerName": c.replace("_", " "), **({"cellRenderer": "markdown"} if c in links else {}),
                     **({"width": (widths or {})[c]} if c in (widths or {}) else {}),
                     **({"cellClassRules": (styles or {})[c]} if c in (styles or {}) else {})} for c in columns],
        className="grid",
        style={"--ag-background-color": "var(--color-card)", "--ag-foreground-color": "var(--color-text)",
               "--ag-header-background-color": "var(--color-bg-soft)", "--ag-border-color": "var(--color-border)",
               "--ag-odd-row-background-color": "var(--color-card)", "--ag-font-family": "var(--font-body)",
               "--ag-header-foreground-color": "var(--color-muted)"},
    )  # fmt: skip


def row(*children: Any) -> html.Div:
    return html.Div(list(children), className="row")
