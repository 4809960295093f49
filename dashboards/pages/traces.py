"""Traces: one request end to end on real time — command, decision, approval, the AI call (provider,
model, tokens, cost, latency, the reply), the task and its events, memory — with the selected
step's details beside the timeline; requests found by correlation id, a customer's name or words,
page by page. A link ``/traces?correlation=…&tenant=…`` opens the trace it names.

What memory did on the trace is spelled out below the timeline: the facts a message recalled
(their text, the tokens they took, the recall's time), and the entries promoted or superseded.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html

from dashboards.components import graph, table
from dashboards.context import (
    application,
    brand_of,
    current_user,
    filter_inputs,
    filters,
    guarded,
    message,
    shown_error,
    store,
    viewer_zone,
)
from dashboards.theme import plot_template
from matrix import formats, traces, viz
from matrix.access import User
from matrix.envelopes import parse_timestamp
from matrix.errors import MatrixError
from matrix.memory import explain
from matrix.metrics.costs import provider_failures

PATH, NAME = "/traces", "Traces"


def layout(correlation: str | None = None, tenant: str | None = None, **_: Any) -> html.Div:
    link = {"correlation": correlation, "tenant": tenant} if correlation else None
    return html.Div([
        html.H2("Concierge traces"),
        html.Div([
            dcc.Input(id="traces-search", type="search", debounce=True, maxLength=traces.MAX_TERM,
                      placeholder="search: customer, words, correlation id", style={"width": "20rem"}),
            html.Label(["Page ", dcc.Input(id="traces-page", type="number", min=1, max=traces.MAX_PAGES, step=1,
                                           value=1, debounce=True, style={"width": "4.5rem"})]),
            # The linked correlation is a choice from the start: a dropdown drops a value it does not offer.
            html.Label(["Request ", dcc.Dropdown(id="traces-correlation", value=correlation, placeholder="newest request",
                                                 options=[_choice(correlation)] if correlation else [],
                                                 style={"width": "32rem"})]),
        ], className="toolbar"),
        dcc.Store(id="traces-link", data=link),
        html.Div(id="traces-content"),
    ])  # fmt: skip


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           correlation: str | None = None, term: str | None = None, page: int | None = 1,
           link: dict[str, Any] | None = None) -> tuple[Any, list[dict[str, str]]]:  # fmt: skip
    """The trace of ``correlation`` (default: the first request found) and one page of the
    window's requests (owner messages and inbound WhatsApp messages), or those matching ``term``,
    as choices. A link's tenant is the trace's when the user may see it."""
    f = filters(user, tenant, since, until, grain)
    db = store()
    tenant_id = f.tenant
    if link and link.get("tenant") and correlation == link.get("correlation") and user is not None:
        tenant_id = user.require(db, str(link["tenant"]))
    found = traces.find(db, tenant_id, since=f.since, until=f.until, term=term, tz=viewer_zone(),
                        page=page if isinstance(page, int) and not isinstance(page, bool) else 1)  # fmt: skip
    options = [{"label": r.label, "value": r.correlation_id} for r in found]
    chosen = correlation
    if term and _is_id(term):
        chosen = traces.check_correlation(
            term
        )  # a pasted id opens its trace, in or out of the window
    elif term and found and chosen not in {r.correlation_id for r in found}:
        chosen = found[0].correlation_id
    chosen = chosen or (found[0].correlation_id if found else None)
    if chosen is not None and chosen not in {o["value"] for o in options}:
        options.append(_choice(chosen))  # a link's choice stays offered
    if chosen is None:
        hint = (
            f"No request mentions “{term}” in the window" if term else "No requests in the window"
        )
        return [message(hint + "; widen the dates or search for other words.", "warning")], options
    try:
        trace = traces.open_trace(db, tenant_id, chosen, viewer_zone())
    except MatrixError as exc:  # a bad or unknown id: said in words, the choices stay
        return [message(shown_error(exc))], options
    return _content(db, tenant_id, trace), options


def _content(db: Any, tenant_id: str, trace: traces.Trace) -> list[Any]:
    events = list(trace.events)
    steps = [
        {"title": f"{s.lane} · {s.name}", "summary": s.summary, "details": s.details}
        for s in trace.steps
    ]
    rows = [{"at": formats.when(s.at, viewer_zone(), seconds=True), "lane": s.lane, "name": s.name, "status": s.status,
             "summary": s.summary} for s in trace.steps]  # fmt: skip
    first_ai = next((i for i, s in enumerate(trace.steps) if s.lane == "AI call"), 0)
    theme = brand_of(tenant_id)
    figure = viz.trace_timeline(trace.steps, theme)
    cost = "no price for a model" if trace.ai_cost_usd is None else formats.money(trace.ai_cost_usd)
    took = (trace.steps[-1].at - trace.steps[0].at).total_seconds() if trace.steps else 0
    summary = html.Div([
        html.Strong(_headline(events)),
        html.Span(f" · tenant {tenant_id} · steps: {len(trace.steps)} over {formats.duration(took)} · "
                  + (f"AI calls: {len(trace.calls)}, costing {cost}" if trace.calls else "no AI call"),
                  className="bubble-meta"),
        html.Div(f"correlation {trace.correlation_id}", className="bubble-meta", id="traces-correlation-id"),
    ], id="traces-summary")  # fmt: skip
    return [
        *_provider_warning(db, tenant_id, trace.correlation_id, events),
        summary,
        html.Div([
            html.Div(graph("traces-timeline-graph", figure, plot_template(theme)),
                     style={"flex": "2 1 36rem", "minWidth": "0"}),
            html.Div(detail(steps, None, first_ai), id="traces-detail", className="card",
                     style={"flex": "1 1 18rem", "maxHeight": "360px", "overflowY": "auto"}),
        ], className="split"),
        dcc.Store(id="traces-steps", data=steps),
        *_memory(tenant_id, events),
        table("traces-events-table", _event_rows(events), ["at", "name", "status", "source", "target"], page_size=25),
        table("traces-steps-table", rows, ["at", "lane", "name", "status", "summary"], page_size=25),
    ]  # fmt: skip


def _headline(events: list[dict[str, Any]]) -> str:
    """What the request said (the owner's words or the WhatsApp message), else what happened first."""
    said = next((str((e.get("payload") or {}).get("text") or "") for e in events
                 if e["name"] in traces.REQUESTS and (e.get("payload") or {}).get("text")), "")  # fmt: skip
    if said:
        return said[:160]
    return str(events[0]["name"]).replace(".", " ").capitalize() if events else "A request"


def _event_rows(events: list[dict[str, Any]]) -> list[dict[str, str]]:
    zone = viewer_zone()
    return [{"at": formats.when(parse_timestamp(str(e.get("created_at") or e.get("emitted_at"))), zone, seconds=True),
             "name": e["name"], "status": str(e.get("status", "")), "source": e["source_module"],
             "target": e["target_module"]} for e in events]  # fmt: skip


def detail(
    steps: list[dict[str, Any]] | None, click: dict[str, Any] | None, default: int = 0
) -> Any:
    """The selected step's details (a click on the timeline), the AI call's by default."""
    if not steps:
        return html.Div("Click a step of the timeline to see its details.", className="bubble-meta")
    index = default
    points = (click or {}).get("points") or []
    if (
        points
        and isinstance(points[0].get("customdata"), int)
        and 0 <= points[0]["customdata"] < len(steps)
    ):
        index = points[0]["customdata"]
    step = steps[min(max(index, 0), len(steps) - 1)]
    return [
        html.H3(step["title"], id="traces-detail-title"),
        html.Div(step["summary"], className="bubble-meta"),
        html.Table([html.Tr([html.Th(key, style={"textAlign": "left", "paddingRight": "12px", "verticalAlign": "top"}),
                             html.Td(html.Pre(value, style={"whiteSpace": "pre-wrap", "margin": 0})
                                     if key in ("reply", "facts", "text") else value)])
                    for key, value in step["details"].items()],
                id="traces-detail-fields"),
    ]  # fmt: skip


def _is_id(term: str) -> bool:
    try:
        traces.check_correlation(term)
    except MatrixError:
        return False
    return True


def _choice(correlation: str) -> dict[str, str]:
    return {"label": f"correlation {correlation[:40]}", "value": correlation}


def _memory(tenant: str, events: list[dict[str, Any]]) -> list[Any]:
    """The trace's memory steps, each with the facts it is about (nothing when memory did
    nothing on this trace)."""
    found = explain.steps(application().memory, tenant, events)
    if not found:
        return []

    def listed(step: explain.MemoryStep) -> bool:  # a recall's facts, one per line
        return step.name == explain.RECALLED and bool(step.facts)

    items = [html.Li([
        html.Div([html.Strong(s.name), html.Span(f" · {_at(s.at)}", className="bubble-meta")]),
        html.Div(s.summary + (":" if listed(s) else "")),
        *([html.Ul([html.Li(fact) for fact in s.facts])] if listed(s) else []),
    ], className="traces-memory-step") for s in found]  # fmt: skip
    return [html.Div([html.H3("Memory"), html.Ul(items)], id="traces-memory", className="card")]


def _at(moment: Any) -> str:
    """A memory step's time in the viewer's zone (its text as recorded when it is not a time)."""
    try:
        return formats.when(parse_timestamp(str(moment)), viewer_zone(), seconds=True)
    except ValueError:
        return str(moment)[:19]


def _provider_warning(
    db: Any, tenant: str, correlation: str | None, events: list[dict[str, Any]]
) -> list[Any]:
    """When the AI reply failed, say so beside what the request did (its task or approval)."""
    failures = provider_failures(db, tenant, correlation) if correlation else []
    if not failures:
        return []
    outcome = [
        f"task {e['payload']['task_id']} queued"
        for e in events
        if e["name"] == "module.task.created"
    ]
    outcome += [f"approval {e['payload']['confirmation_id']} pending" for e in events
                if e["name"] == "owner.confirmation.requested"]  # fmt: skip
    codes = ", ".join(sorted({str(f["error_code"]) for f in failures}))
    return [html.Div(
        f"The AI provider failed for this request ({codes}); what it did stands: "
        + ("; ".join(outcome) or "no task or approval") + ".",
        id="traces-provider-warning", className="alert alert-warning",
    )]  # fmt: skip


def register(app: Dash) -> None:
    app.callback(Output("traces-content", "children"), Output("traces-correlation", "options"),
                 *filter_inputs(), Input("traces-correlation", "value"), Input("traces-search", "value"),
                 Input("traces-page", "value"), State("traces-link", "data"))(
        guarded([])(lambda *values: render(current_user(), *values))
    )  # fmt: skip
    app.callback(Output("traces-detail", "children"), Input("traces-steps", "data"),
                 Input("traces-timeline-graph", "clickData"), prevent_initial_call=True)(detail)  # fmt: skip
