"""Traces: one correlation id end to end — command → decision → approval → task → memory → events.

What memory did on the trace is spelled out beside the timeline: the facts a message recalled
(their text, the tokens they took, the recall's time), and the entries promoted or superseded.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, dcc, html

from dashboards.components import graph, table
from dashboards.context import (
    application,
    current_user,
    filter_inputs,
    filters,
    guarded,
    palette,
    store,
)
from dashboards.theme import plot_template
from matrix import viz
from matrix.access import User
from matrix.memory import explain
from matrix.metrics.costs import provider_failures

PATH, NAME = "/traces", "Traces"


def layout(correlation: str | None = None, **_: Any) -> html.Div:
    return html.Div([
        html.H2("Concierge traces"),
        # The linked correlation is a choice from the start: a dropdown drops a value it does not offer.
        html.Label(["Correlation ", dcc.Dropdown(id="traces-correlation", value=correlation, placeholder="newest request",
                                                 options=[_choice(correlation)] if correlation else [],
                                                 style={"width": "28rem"})]),
        html.Div(id="traces-content"),
    ])  # fmt: skip


def render(user: User | None, tenant: str | None, since: str | None, until: str | None, grain: str | None,
           correlation: str | None = None) -> tuple[Any, list[dict[str, str]]]:  # fmt: skip
    """The trace of ``correlation`` (default: the newest owner request in the window) and the
    window's recent requests and inbound WhatsApp messages (what Persona 2 read, suggested,
    executed or handed over) as choices."""
    f = filters(user, tenant, since, until, grain)
    db = store()
    commands = db.events.list(
        f.tenant, name="owner.command.create", since=f.since, until=f.until, limit=50
    )
    options = [{"label": f"{(c.get('created_at') or '')[:19]} · {str(c.get('payload', {}).get('text', ''))[:40]}",
                "value": c["correlation_id"]} for c in commands]  # fmt: skip
    inbound = db.events.list(
        f.tenant, name="crm.message.received", since=f.since, until=f.until, limit=50
    )
    options += [{"label": f"{(m.get('created_at') or m.get('emitted_at') or '')[:19]} · WhatsApp from …{str(m['payload'].get('phone_e164', ''))[-4:]}",
                 "value": m["correlation_id"]} for m in inbound]  # fmt: skip
    chosen = correlation or (commands[0]["correlation_id"] if commands else None)
    if chosen is not None and chosen not in {o["value"] for o in options}:
        options.append(_choice(chosen))  # a link's choice stays offered
    if chosen is None:
        events: list[dict[str, Any]] = []
    else:
        events = db.events.trace(
            f.tenant, chosen
        )  # tenant-scoped: another tenant's id finds nothing
    rows = [{"at": str(e.get("created_at") or e.get("emitted_at")), "name": e["name"], "status": str(e.get("status", "")),
             "source": e["source_module"], "target": e["target_module"]} for e in events]  # fmt: skip
    content = [
        *_provider_warning(db, f.tenant, chosen, events),
        *_memory(f.tenant, events),
        graph("traces-timeline-graph", viz.trace_timeline(events), plot_template(palette(f.tenant))),
        table("traces-events-table", rows, ["at", "name", "status", "source", "target"], page_size=25),
    ]  # fmt: skip
    return content, options


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
        html.Div([html.Strong(s.name), html.Span(f" · {s.at[:19]}", className="bubble-meta")]),
        html.Div(s.summary + (":" if listed(s) else "")),
        *([html.Ul([html.Li(fact) for fact in s.facts])] if listed(s) else []),
    ], className="traces-memory-step") for s in found]  # fmt: skip
    return [html.Div([html.H3("Memory"), html.Ul(items)], id="traces-memory", className="card")]


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
                 *filter_inputs(), Input("traces-correlation", "value"))(
        guarded([])(lambda *values: render(current_user(), *values))
    )  # fmt: skip
