"""Plotly figure builders shared by notebooks and dashboards. Every figure has a title and units,
and an empty one says why it is empty."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from matrix import brand as brands
from matrix import formats
from matrix.metrics.costs import CostReport
from matrix.metrics.dora import DoraReport
from matrix.metrics.engine import MetricResult
from matrix.routing import RoutingReport

if TYPE_CHECKING:  # the steps are built by matrix.traces, which this module only draws
    from matrix.traces import Step


def template(brand: brands.Brand | None = None) -> go.layout.Template:
    """The Plotly template of a brand (None = the default palette): its fonts, series colours,
    background and grid, so that every figure in dashboards, notebooks and reports looks alike."""
    made = go.layout.Template(layout=brands.plotly_layout(brand or brands.resolve()))
    made.layout.title.update(xanchor="left", pad={"l": 14})  # off the card's edge
    return made


def themed(fig: go.Figure, brand: brands.Brand | None = None) -> go.Figure:
    """The figure in the brand's template (returned for chaining)."""
    fig.update_layout(template=template(brand))
    return fig


def _empty(title: str, reason: str) -> go.Figure:
    """A chart with nothing to draw: its title and, in plain words, why (no axes, no grid)."""
    fig = go.Figure()
    text = reason[:1].upper() + reason[1:]
    fig.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False}, height=200,
                      meta={"empty": True},
                      annotations=[{"text": text, "showarrow": False, "font": {"size": 14},
                                    "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.45}])  # fmt: skip
    return fig


def _axis_unit(unit: str) -> dict[str, Any]:
    """A value axis in a unit: percentages for ratios, ``$`` for money, the unit as a suffix
    otherwise; never below zero for a quantity that cannot be."""
    key = unit.lower()
    if key == "ratio":
        return {"tickformat": ".0%", "title": {"text": "share (%)"}, "rangemode": "tozero"}
    if key in formats.CURRENCY_SYMBOLS:
        return {
            "tickprefix": formats.CURRENCY_SYMBOLS[key],
            "title": {"text": key.upper()},
            "rangemode": "tozero",
        }
    return {"title": {"text": unit}, "rangemode": "tozero"}


def _time_axis(buckets: list[Any], grain: str | None = None) -> dict[str, Any]:
    """A time axis that fits its buckets: dates without a time for days and longer, hours and
    minutes for hours, and one labelled category for a single bucket (never sub-second ticks)."""
    hourly = grain == "hour"
    if len(buckets) < 2:
        label = [
            (formats.when(b) if hourly else f"{b:%Y-%m-%d}") if hasattr(b, "strftime") else str(b)
            for b in buckets
        ]
        return {"type": "category", "tickvals": list(buckets), "ticktext": label}
    axis: dict[str, Any] = {
        "tickformat": "%b %d %H:%M" if hourly else "%b %d",
        "hoverformat": "%Y-%m-%d %H:%M",
    }
    if grain == "day" and len(buckets) <= 31:
        axis["dtick"] = 86_400_000  # one tick a day, never several ticks on one date
    return axis


def sparkline(result: MetricResult) -> go.Figure:
    """A metric's trend over the window, small: a line without axes for a card, titled with the
    bucket and unit (``per day, %``)."""
    metric = result.metric
    frame = result.frame.dropna(subset=["value"])
    unit = "%" if metric.unit == "ratio" else metric.unit
    return spark(
        list(frame["bucket"]),
        list(frame["value"]),
        f"per {result.provenance.get('grain', 'day')} ({unit})",
    )


def cost_sparkline(days: list[dict[str, Any]]) -> go.Figure:
    """AI cost per day (the rows of :func:`matrix.metrics.costs.daily_cost`), small, for a card."""
    return spark([d["day"] for d in days], [d["cost_usd"] or 0.0 for d in days], "per day ($)")


def spark(x: list[Any], y: list[Any], title: str) -> go.Figure:
    """A small line without axes for a card, titled with its bucket and unit. Built from plain
    data without Plotly's validation (a page draws several; validating each costs more than the
    query behind it)."""
    return go.Figure({
        "data": [{"type": "scatter", "x": x, "y": y, "mode": "lines+markers", "line": {"width": 2},
                  "marker": {"size": 4}, "hoverinfo": "skip"}],
        "layout": {"title": {"text": title, "font": {"size": 10}, "x": 0, "y": 0.98, "pad": {"l": 2}}, "height": 56,
                   "margin": {"l": 2, "r": 2, "t": 14, "b": 2}, "showlegend": False,
                   "xaxis": {"visible": False}, "yaxis": {"visible": False}},
    }, _validate=False)  # fmt: skip


def metric_line(result: MetricResult) -> go.Figure:
    """A metric over time, with its target as a dashed line."""
    metric = result.metric
    title = f"{metric.name} ({metric.unit})"
    if result.frame.empty:
        return _empty(title, result.empty_words or "nothing recorded in these dates")
    fig = go.Figure(
        go.Scatter(
            x=result.frame["bucket"],
            y=result.frame["value"],
            mode="lines+markers",
            name=metric.name,
        )
    )
    if metric.target is not None:
        fig.add_hline(
            y=metric.target.value,
            line_dash="dash",
            annotation_text=f"target {metric.target.op} {metric.target.value}",
        )
    fig.update_layout(title=title, yaxis=_axis_unit(metric.unit),
                      xaxis={"title": {"text": result.provenance.get("grain", "")},
                             **_time_axis(list(result.frame["bucket"]), result.provenance.get("grain"))})  # fmt: skip
    return fig


def dora_summary(report: DoraReport) -> go.Figure:
    """The four DORA keys side by side, each on its own axis with its unit and its level."""
    from plotly.subplots import make_subplots

    keys: list[tuple[str, float | None, str, str]] = [
        ("deployments", report.deployments_per_day if report.deployments else None, "per day", "deployments_per_day"),
        (f"lead time ({report.statistic})", report.lead_time_hours, "hours", "lead_time_hours"),
        ("change failure rate", report.change_failure_ratio, "ratio", "change_failure_ratio"),
        (f"time to restore ({report.statistic})", report.time_to_restore_hours, "hours", "time_to_restore_hours"),
    ]  # fmt: skip
    fig = make_subplots(rows=1, cols=4, subplot_titles=[k[0] for k in keys])
    for column, (name, value, unit, key) in enumerate(keys, start=1):
        level = report.levels.get(key)
        text = formats.value(value, unit) + (f" · {level}" if level else "")
        fig.add_trace(go.Bar(x=[name], y=[value or 0], text=[text], textposition="outside", showlegend=False,
                             cliponaxis=False, hovertemplate=f"{name}: {text}<extra></extra>"),
                      row=1, col=column)  # fmt: skip
        axis = _axis_unit(unit)
        fig.update_yaxes(title_text=axis["title"]["text"], rangemode="tozero",
                         tickformat=axis.get("tickformat"), row=1, col=column)  # fmt: skip
        fig.update_xaxes(showticklabels=False, row=1, col=column)
    fig.update_layout(title=f"DORA's four keys, {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"
                            f" ({report.benchmark_year} clusters: {report.level or 'no data'})",
                      margin={"t": 96})  # fmt: skip
    return fig


def cost_bars(report: CostReport) -> go.Figure:
    """AI cost by a dimension; unpriced usage is named in the title, never drawn as $0."""
    title = f"AI cost by {report.by} (USD)"
    if not report.rows:
        return _empty(
            title, "no AI calls in these dates: the cost shows once the assistant answers"
        )
    if report.unpriced_models:
        title += f" — unpriced: {', '.join(report.unpriced_models)}"
    priced = [r for r in report.rows if r["cost_usd"] is not None]
    fig = go.Figure(go.Bar(x=[r[report.by] for r in priced], y=[r["cost_usd"] for r in priced],
                           text=[formats.money(r["cost_usd"]) for r in priced], textposition="outside",
                           cliponaxis=False, hovertemplate="%{x}: %{text}<extra></extra>"))  # fmt: skip
    fig.update_layout(title=title, yaxis=_axis_unit("usd"), xaxis={"title": {"text": report.by}})
    return fig


def slo_table(rows: list[dict[str, Any]], brand: brands.Brand | None = None) -> go.Figure:
    """SLO status: success ratio against target, budget left, alerts."""
    title = "SLOs over the last 30 days (success %, error budget left %)"
    if not rows:
        return _empty(title, "no SLOs are defined")
    c = (brand or brands.resolve()).colours  # a table's cells take no colours from the template
    fig = go.Figure(go.Table(
        columnwidth=[3, 1.2, 1.2, 1.4, 2],
        header={"values": ["SLO", "success", "target", "budget left", "alerts firing"], "align": "left",
                "height": 30, "fill": {"color": c["bg-soft"]}, "font": {"color": c["muted"]},
                "line": {"color": c["border"]}},
        cells={"values": [
            [r["slo"].replace("_", " ") for r in rows],
            [formats.percent(r["success_ratio"]) for r in rows],
            [formats.target(">=", r["target"], "ratio").removeprefix("target ") for r in rows],
            ["—" if r["budget_remaining"] is None else formats.percent(r["budget_remaining"]) for r in rows],
            [", ".join(f"{a['severity']} {a['factor']}×" for a in r["alerts"]) or "none" for r in rows],
        ], "align": "left", "height": 28, "fill": {"color": c["card"]}, "font": {"color": c["text"]},
           "line": {"color": c["border"]}},
    ))  # fmt: skip
    fig.update_layout(
        title=title, height=110 + 28 * len(rows), margin={"l": 16, "r": 16, "t": 56, "b": 8}
    )
    return fig


def dora_trend(reports: list[DoraReport]) -> go.Figure:
    """Deployments per day and lead time per window, each on its own axis, with the level per window."""
    title = "DORA trend: deployments per day and lead time (hours)"
    if not any(r.deployments for r in reports):
        return _empty(title, "no deployments recorded in these dates")
    starts = [r.since for r in reports]
    grain = "day" if len(starts) > 1 and (starts[1] - starts[0]).days == 1 else None
    fig = go.Figure()
    fig.add_trace(go.Bar(x=starts, y=[r.deployments_per_day for r in reports], name="deployments per day",
                         text=[r.level or "" for r in reports]))  # fmt: skip
    fig.add_trace(go.Scatter(x=starts, y=[r.lead_time_hours for r in reports], name="lead time (h)",
                             yaxis="y2", mode="lines+markers"))  # fmt: skip
    fig.update_layout(title=title, xaxis=_time_axis(starts, grain),
                      yaxis={"title": {"text": "deployments per day"}, "rangemode": "tozero"},
                      yaxis2={"title": {"text": "lead time (hours)"}, "overlaying": "y", "side": "right",
                              "rangemode": "tozero", "showgrid": False})  # fmt: skip
    return fig


def latency_lines(rows: list[dict[str, Any]], grain: str | None = None) -> go.Figure:
    """p50, p95 and p99 owner-interaction latency per bucket (ms)."""
    title = "Owner request time (ms): p50, p95, p99"
    if not rows:
        return _empty(title, "no owner requests in these dates")
    buckets = [r["bucket"] for r in rows]
    # Each percentile its own dash as well as its colour: a palette's neighbouring series colours
    # can be close, and a reader should still tell p50 from p95.
    fig = go.Figure([go.Scatter(x=buckets, y=[r[key] for r in rows], name=key[:3], mode="lines+markers",
                                line={"dash": dash}, hovertemplate=key[:3] + ": %{y:,.0f} ms<extra></extra>")
                     for key, dash in (("p50_ms", "dot"), ("p95_ms", "solid"), ("p99_ms", "dash"))])  # fmt: skip
    fig.update_layout(title=title, yaxis={"title": {"text": "ms"}, "rangemode": "tozero", "ticksuffix": " ms"},
                      xaxis=_time_axis(buckets, grain))  # fmt: skip
    return fig


def queue_bars(counts: dict[str, int]) -> go.Figure:
    """The task queue by status (tasks)."""
    title = "Task queue now, by status (tasks)"
    if not counts:
        return _empty(title, "no tasks were ever queued for this tenant")
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), text=[formats.count(v) for v in counts.values()],
                           textposition="outside", cliponaxis=False))  # fmt: skip
    fig.update_layout(title=title, yaxis={"title": {"text": "tasks"}, "rangemode": "tozero"},
                      xaxis={"title": {"text": "status"}}, height=300)  # fmt: skip
    return fig


LANE_ORDER = ("command", "decision", "approval", "AI call", "task", "events", "memory")


def _hover(step: Step) -> str:
    """A step's hover: what, when, how it went; a recall's facts and tokens."""
    facts = "".join(
        f"<br>· {fact[:80]}" for fact in step.details.get("facts", "").split("\n") if fact
    )
    tokens = f" · {step.details['tokens']} tokens" if "tokens" in step.details else ""
    took = f" · {step.details['latency']}" if "latency" in step.details else ""
    return f"<b>{step.name}</b> · {step.status} · {step.at:%H:%M:%S}{tokens}{took}<br>{step.summary[:100]}{facts}"


def trace_timeline(steps: Sequence[Step], brand: brands.Brand | None = None) -> go.Figure:
    """One request end to end on real time: each step at the moment it happened (x: time), in
    its lane (command, decision, approval, AI call, task, events, memory), a span drawn as a
    bar from its start for as long as it took; a failed step in the alert colour."""
    title = "Trace: what the request did, when (time of day)"
    if not steps:
        return _empty(title, "no envelopes with this correlation id")
    chosen = brand or brands.resolve()
    ok, alert = chosen.series[0], chosen.colours.get("bad", "#d64545")
    fig = go.Figure(go.Scatter(
        x=[s.at for s in steps], y=[s.lane for s in steps], mode="markers", name="step",
        text=[s.name for s in steps], customdata=list(range(len(steps))),
        hovertext=[_hover(s) for s in steps], hoverinfo="text",
        marker={"size": 13, "symbol": ["x" if s.failed else "circle" for s in steps],
                "color": [alert if s.failed else ok for s in steps]},
    ))  # fmt: skip
    spans = [s for s in steps if s.duration_ms]
    if spans:
        xs: list[Any] = []
        ys: list[Any] = []
        for s in spans:
            xs += [s.at, s.at + timedelta(milliseconds=float(s.duration_ms or 0)), None]
            ys += [s.lane, s.lane, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="duration", hoverinfo="skip",
                                 line={"width": 9, "color": chosen.series[1 % len(chosen.series)]},
                                 opacity=0.6))  # fmt: skip
    start, end = (
        min(s.at for s in steps),
        max(s.at + timedelta(milliseconds=float(s.duration_ms or 0)) for s in steps),
    )
    pad = max((end - start) * 0.05, timedelta(milliseconds=500))
    lanes = [lane for lane in LANE_ORDER if any(s.lane == lane for s in steps)]
    fig.update_layout(
        title=title, showlegend=False, hovermode="closest",
        xaxis={"title": f"time (UTC), {start:%Y-%m-%d}", "type": "date", "range": [start - pad, end + pad]},
        yaxis={"title": "", "categoryorder": "array", "categoryarray": lanes[::-1]},
    )  # fmt: skip
    return fig


def recall_scores(rows: list[dict[str, Any]]) -> go.Figure:
    """A recall's facts best first, each bar its score in parts: 1/(60 + rank) from BM25, the same
    from cosine, the BM25 score's lead, and the prior (salience, recency, promotion). Rows as
    :func:`matrix.memory.explain.ranking` gives them."""
    title = "Recall: each fact's score = RRF of BM25 and cosine (k = 60) + BM25 lead + prior"
    if not rows:
        return _empty(title, "long memory had no fact for this message")
    labels = [f"{r['place']}. {r['content'][:60]}" for r in rows]
    parts = (("rrf_bm25", "BM25: 1/(60 + rank)", "#2f7d58"), ("rrf_cosine", "cosine: 1/(60 + rank)", "#3b82c4"),
             ("bm25_lead", "BM25 lead", "#7a5cc4"), ("prior", "prior", "#d9a441"))  # fmt: skip
    fig = go.Figure([go.Bar(y=labels, x=[r[key] for r in rows], name=name, orientation="h", marker_color=color,
                            hovertemplate="%{y}<br>" + name + ": %{x:.5f}<extra></extra>")
                     for key, name, color in parts])  # fmt: skip
    fig.update_layout(title=title, barmode="stack", xaxis_title="score (higher is recalled first)",
                      yaxis={"autorange": "reversed"}, legend={"orientation": "h"})  # fmt: skip
    return fig


def routing_confusion(report: RoutingReport) -> go.Figure:
    """The routing confusion matrix: expected intent by row, routed intent by column; the
    diagonal is right, a harmful confusion is named in the title."""
    title = (
        f"Routing ({report.router}) on the {report.part} part: accuracy"
        f" {(report.accuracy or 0) * 100:.1f}% of {report.cases}, {len(report.harmful)} harmful"
    )
    if not report.cases:
        return _empty(title, "the part has no cases")
    labels = list(report.labels)
    fig = go.Figure(
        go.Heatmap(
            z=[list(row) for row in report.confusion], x=labels, y=labels,
            text=[[str(n) if n else "" for n in row] for row in report.confusion],
            texttemplate="%{text}", colorscale="Blues", showscale=False,
            hovertemplate="expected %{y}<br>routed to %{x}<br>%{z} case(s)<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(title=title, xaxis_title="routed to", yaxis_title="expected",
                      yaxis={"autorange": "reversed"}, height=560)  # fmt: skip
    return fig
