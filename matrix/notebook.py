"""The small facade notebooks use: one call per cell.

store = connect()                      # MATRIX_STORAGE_URL, or the demo store
result = metric("owner_interaction_success_ratio", tenant="sim-01", days=14)
show(result)
show(routing_eval(part="test"))         # the routing confusion matrix; no store needed
store = sandbox(tenant="demo")          # a throwaway store in the kernel, on a virtual clock
chat(["Our accountant is Ana."], tenant="demo", session="s1")
show(memory_recall("Who is our accountant?", tenant="demo", session="s1"))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import plotly.graph_objects as go

from matrix import brand as brands
from matrix.app import App, build
from matrix.clock import FrozenClock, VirtualClock
from matrix.config import Settings
from matrix.errors import UsageError
from matrix.gates.checks import Worst
from matrix.memory.recall import Recall
from matrix.metrics import MetricResult, compute, load_catalog
from matrix.routing import RoutingReport
from matrix.storage import Store
from matrix.windows import DEFAULT_DAYS, default_window

_APP: App | None = None


def connect(storage_url: str | None = None) -> Store:
    """Open (once per kernel) the store at ``storage_url`` or ``MATRIX_STORAGE_URL``."""
    global _APP
    if _APP is None or (storage_url and _APP.settings.storage_url != storage_url):
        if _APP is not None:
            _APP.close()
        _APP = build(Settings.load(storage_url=storage_url), must_exist=True)
    return _APP.store


SANDBOX_START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def sandbox(*, tenant: str, start: datetime = SANDBOX_START) -> Store:
    """A throwaway store in this kernel's memory, to learn on: migrated, ``tenant`` registered,
    replies from the local provider and vectors from the local embedder (offline), and a
    virtual clock from ``start`` that :func:`chat` and :func:`later` move on. Every other call
    of this facade then reads it, until :func:`connect` opens another store."""
    global _APP
    if _APP is not None:
        _APP.close()
    # Offline all through: the local provider, and the local embedder (a platform OpenAI key in
    # the environment would otherwise embed the notebook's texts with OpenAI).
    settings = Settings.load(storage_url="duckdb:///:memory:", provider_mode="local",
                             memory_embedding_mode="local")  # fmt: skip
    _APP = build(settings, clock=VirtualClock(start), migrate=True)
    _APP.store.tenants.add(tenant, tenant)
    return _APP.store


def _app() -> App:
    connect()
    assert _APP is not None
    return _APP


def later(*, days: float = 0, hours: float = 0) -> datetime:
    """Move the sandbox's clock on (a week later, the owner says something new); the new time."""
    clock = _app().clock
    if not isinstance(clock, FrozenClock):
        raise UsageError("later() moves a sandbox's clock; start with sandbox(tenant=...).")
    return clock.advance(timedelta(days=days, hours=hours))


def chat(messages: Sequence[str], *, tenant: str, session: str) -> Any:
    """Send the owner's ``messages`` to the concierge, one a minute on a sandbox's clock: per
    message, the reply, the policy's decision and what memory did (recalled, kept, replaced)."""
    import pandas as pd

    from matrix.memory import explain

    app, rows = _app(), []
    for text in messages:
        if isinstance(app.clock, FrozenClock):
            app.clock.advance(60)
        result = app.concierge.interact(tenant, session, text)
        correlation = result.owner_command.correlation_id
        steps = explain.steps(app.memory, tenant, app.store.events.trace(tenant, correlation))
        rows.append({"owner": text, "reply": result.assistant_output.text,
                     "decision": result.policy_decision.as_dict()["execution_decision"],
                     "memory": " · ".join(s.summary for s in steps), "correlation_id": correlation})  # fmt: skip
    return pd.DataFrame(rows)


def memory_turns(*, tenant: str, session: str, limit: int = 80) -> Any:
    """Short memory: the session's last turns, oldest first."""
    import pandas as pd

    turns = _app().memory.turns(tenant, session, limit)
    return pd.DataFrame(turns, columns=["turn_no", "role", "content", "ts"])


def memory_episodes(*, tenant: str, session: str, limit: int = 20) -> Any:
    """Medium memory: the session's episodes, newest first, with their extractive summaries."""
    import pandas as pd

    store = _app().store
    with store.transaction():
        store.tenants.require(tenant)
        found = store.memory.episodes(tenant, session, limit)
    columns = ["turn_count", "first_turn", "last_turn", "summary", "summary_source", "created_at"]
    return pd.DataFrame(found, columns=columns)


def memory_entries(*, tenant: str, status: str | None = None) -> Any:
    """Long memory: every entry of the tenant (or those of one ``status``), oldest first, with
    its salience, mentions, subject and validity window; ids cut to 8 characters."""
    import pandas as pd

    rows = [{
        "memory_id": e["memory_id"][:8], "content": e["content"], "status": e["status"],
        "salience": e["salience"], "mentions": e["metadata"].get("mentions", 1), "tags": e["tags"],
        "subject_key": e["subject_key"], "valid_at": e["valid_at"], "invalid_at": e["invalid_at"],
        "superseded_by": (e["superseded_by"] or "")[:8] or None,
    } for e in _app().memory.entries(tenant, status=status)]  # fmt: skip
    return pd.DataFrame(rows)


def memory_history(*, tenant: str, containing: str) -> Any:
    """The audit of every entry whose text contains ``containing`` (any case): each change with
    who or what made it and why, in order."""
    import pandas as pd

    memory = _app().memory
    rows: list[dict[str, Any]] = []
    for entry in memory.entries(tenant):
        if containing.lower() not in entry["content"].lower():
            continue
        for change in memory.show(tenant, entry["memory_id"])[1]:
            rows.append({"at": change["created_at"], "memory_id": entry["memory_id"][:8],
                         "content": entry["content"], "action": change["action"],
                         "old_status": change["old_status"], "new_status": change["new_status"],
                         "reason_code": change["reason_code"], "actor": change["actor"],
                         "details": change["details"]})  # fmt: skip
    # Changes made in one instant read in the order they happen: an entry is created, the
    # entries it contradicts are superseded, then it is promoted.
    rows.sort(key=lambda r: (r["at"], {"created": 0, "superseded": 1}.get(r["action"], 2)))
    return pd.DataFrame(rows)


def memory_recall(text: str, *, tenant: str, session: str) -> Recall:
    """What memory would add to the prompt for ``text`` in ``session`` now (nothing is stored):
    the ranked facts, the session's turns and its episodes, within the token budget."""
    app = _app()
    with app.store.transaction():
        ai = app.concierge.runtimes.resolve(tenant).ai
    return app.memory.recall(tenant, session, text, ai)


def recall_frame(recall: Recall) -> Any:
    """A recall's facts best first: BM25 and cosine rank and score, RRF, prior and total."""
    import pandas as pd

    from matrix.memory import explain

    ranks = {"bm25_rank": "Int64", "cosine_rank": "Int64"}  # a search that missed has no rank
    return pd.DataFrame(explain.ranking(recall)).astype(ranks)


def memory_trace(*, tenant: str, correlation_id: str | None = None) -> Any:
    """What memory did on one request (the newest owner request when no id is given)."""
    import pandas as pd

    from matrix.memory import explain

    app = _app()
    if correlation_id is None:
        newest = app.store.events.list(tenant, name="owner.command.create", limit=1)
        correlation_id = newest[0]["correlation_id"] if newest else None
    events = app.store.events.trace(tenant, correlation_id) if correlation_id else []
    steps = [s.as_dict() for s in explain.steps(app.memory, tenant, events)]
    return pd.DataFrame(steps, columns=["at", "name", "summary", "facts", "tokens", "latency_ms"])


def metrics_table(*names: str, tenant: str, days: int = DEFAULT_DAYS) -> Any:
    """Catalog metrics over the window, one row each: value, unit, target, status, rows read,
    and why a value is missing."""
    import pandas as pd

    catalog, rows = load_catalog(), []
    for name in names:
        result = metric(name, tenant=tenant, days=days, grain="all")
        target = catalog.get(name).target
        rows.append({"metric": name, "value": result.total, "unit": result.metric.unit,
                     "target": f"{target.op} {target.value:g}" if target else None,
                     "status": result.status, "rows": result.provenance["rows_read"],
                     "empty_reason": result.empty_reason})  # fmt: skip
    return pd.DataFrame(rows)


def definitions(*names: str) -> Any:
    """The catalog's definition of each metric (``matrix/metrics/catalog.json``), one row each:
    what it means, its unit, the rows it reads (source and filter), the formula over them, and
    its target."""
    import pandas as pd

    catalog = load_catalog()
    rows = []
    for name in names:
        m = catalog.get(name)
        rows.append({"metric": name, "means": m.description, "unit": m.unit, "source": m.source,
                     "rows": m.filter or "all", "formula": m.value,
                     "target": f"{m.target.op} {m.target.value:g}" if m.target else None})  # fmt: skip
    return Definitions(pd.DataFrame(rows).set_index("metric"))


class Definitions:
    """Metric definitions as a table shown whole (a formula is never cut to 50 characters)."""

    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def _repr_html_(self) -> str:
        return str(self.frame.to_html())

    def __repr__(self) -> str:
        return str(self.frame.to_string())


def _window(days: int, until: datetime | None) -> tuple[datetime, datetime]:
    """The default window of every face (:func:`matrix.windows.default_window`), by the store's clock."""
    window = default_window(connect().clock.now(), days=days, until=until)
    return window.since, window.until


def metric(
    name: str,
    *,
    tenant: str,
    days: int = DEFAULT_DAYS,
    grain: str = "day",
    until: datetime | None = None,
) -> MetricResult:
    since, end = _window(days, until)
    return compute(connect(), name, tenant_id=tenant, since=since, until=end, grain=grain)


def dora(
    *,
    tenant: str = "platform",
    days: int = 30,
    statistic: str = "median",
    benchmark_year: int = 2024,
) -> Any:
    from matrix.metrics.dora import dora as compute_dora

    since, end = _window(days, None)
    return compute_dora(
        connect(),
        tenant,
        since=since,
        until=end,
        statistic=statistic,  # type: ignore[arg-type]
        benchmark_year=benchmark_year,
    )


def cost(*, tenant: str, days: int = 30, by: str = "model") -> Any:
    from matrix.metrics.costs import ai_cost

    since, end = _window(days, None)
    return ai_cost(connect(), tenant, since=since, until=end, by=by)


def margin(*, tenant: str, days: int = 30) -> dict[str, Any]:
    """The gross-margin proxy: subscription revenue minus AI cost, over revenue."""
    from matrix.metrics.costs import gross_margin

    since, end = _window(days, None)
    return gross_margin(connect(), tenant, since=since, until=end)


def slo(*, tenant: str) -> list[dict[str, Any]]:
    from matrix.metrics.slo import status

    store = connect()
    return [s.as_dict() for s in status(store, tenant, at=store.clock.now())]


def approvals(*, tenant: str, status: str = "all", limit: int = 200) -> Any:
    import pandas as pd

    from matrix.approvals import Status

    rows = connect().approvals.list(
        tenant, status=None if status == "all" else Status(status), limit=limit
    )
    return pd.DataFrame([a.summary() for a in rows])


def trace(*, tenant: str, correlation_id: str | None = None) -> Any:
    """One request end to end (the newest owner request when no id is given), as a table."""
    import pandas as pd

    store = connect()
    if correlation_id is None:
        newest = store.events.list(tenant, name="owner.command.create", limit=1)
        if not newest:
            return pd.DataFrame(columns=["at", "name", "status", "source", "target"])
        correlation_id = newest[0]["correlation_id"]
    chain = store.events.trace(tenant, correlation_id)
    return pd.DataFrame([{"at": e.get("created_at") or e.get("emitted_at"), "name": e["name"],
                          "status": e.get("status", ""), "source": e["source_module"],
                          "target": e["target_module"]} for e in chain])  # fmt: skip


def contracts_report() -> Any:
    """The contract catalog's self-check (schemas against 2020-12, examples at their pointers)."""
    from matrix.contracts import Catalog

    return Catalog(Settings.load().contracts_dir).check()


def routing_eval(*, part: str = "test") -> RoutingReport:
    """The shipped routing rules scored on a part of the labelled corpus (no store needed)."""
    from matrix.routing import rules_report

    return rules_report(part)


def routing_frame(report: RoutingReport, view: str = "intents") -> Any:
    """One view of a routing report as a table: ``summary``, ``intents`` (precision and recall),
    ``languages``, ``misses`` or ``harmful``."""
    import pandas as pd

    body = report.as_dict()
    match view:
        case "summary":
            keys = ("part", "router", "routing_version", "policy_version", "cases", "correct",
                    "accuracy", "harmful_count")  # fmt: skip
            return pd.DataFrame([{k: body[k] for k in keys}])
        case "intents" | "languages":
            return pd.DataFrame(body[view])
        case "misses" | "harmful":
            columns = ("id", "text", "language", "expected", "predicted", "harm")
            return pd.DataFrame(body[view], columns=list(columns))
        case _:
            raise UsageError(
                f"Unknown routing view {view!r}; use summary, intents, languages, misses or harmful."
            )


def record(name: str, value: Any) -> Any:
    """Record a value for the gate that runs this notebook (the runner reads it); returns the value.
    A value that knows what it is about (:class:`matrix.gates.checks.Worst`: the worst tenant's
    value) records that too, as ``<name>.tenant``, so the report can name the worst offender."""
    import json

    items = value.recorded(name) if hasattr(value, "recorded") else {name: value}
    path = Settings.load().gate_record
    if path:
        with open(path, "a", encoding="utf-8") as f:
            for key, item in items.items():
                f.write(json.dumps({"name": key, "value": item}, default=str) + "\n")
    return value


def show(item: Any) -> Any:
    """A figure for a metric, DORA, cost, SLO or routing result, or a recall, in the brand's
    template and displayed so that every viewer draws it (:class:`Chart`); a Plotly figure is
    shown the same way; anything else is returned as is."""
    from matrix import viz
    from matrix.metrics.costs import CostReport
    from matrix.metrics.dora import DoraReport

    figure: go.Figure | None = None
    if isinstance(item, go.Figure):
        figure = item
    elif isinstance(item, MetricResult):
        figure = viz.metric_line(item)
    elif isinstance(item, DoraReport):
        figure = viz.dora_summary(item)
    elif isinstance(item, CostReport):
        figure = viz.cost_bars(item)
    elif isinstance(item, RoutingReport):
        figure = viz.routing_confusion(item)
    elif isinstance(item, Recall):
        from matrix.memory import explain

        figure = viz.recall_scores(explain.ranking(item))
    elif isinstance(item, list) and item and isinstance(item[0], dict) and "slo" in item[0]:
        figure = viz.slo_table(item)
    elif isinstance(item, Worst):
        figure = _tenant_bars(item)
    if figure is None:
        return item
    return Chart(viz.themed(figure, brands.resolve(scheme="light")))


def _tenant_bars(worst: Worst) -> go.Figure:
    """A metric gate's values, one bar per tenant, worst first: a bar that misses the target in
    the brand's colour for a breach, the target as a dashed line."""
    from matrix import brand, formats
    from matrix.metrics.definitions import COMPARE

    target = load_catalog().get(worst.metric).target
    title = f"{worst.metric} by tenant ({worst.unit}), worst first"
    if not worst.values:
        empty = go.Figure()
        empty.update_layout(title=title, xaxis={"visible": False}, yaxis={"visible": False},
                            annotations=[{"text": "No data: no tenant has data in the window", "showarrow": False}])  # fmt: skip
        return empty
    colours = brand.resolve(scheme="light").colours
    floor = target is None or target.op in (">", ">=")
    ordered = sorted(worst.values.items(), key=lambda kv: (kv[1] if floor else -kv[1], kv[0]))
    misses = [target is not None and not COMPARE[target.op](v, target.value) for _, v in ordered]
    fig = go.Figure(go.Bar(
        x=[t for t, _ in ordered], y=[v for _, v in ordered],
        text=[formats.value(v, worst.unit) for _, v in ordered], textposition="outside",
        marker_color=[colours["bad"] if miss else colours["primary"] for miss in misses],
    ))  # fmt: skip
    if target is not None:
        fig.add_hline(y=target.value, line_dash="dash", annotation_position="bottom right",
                      annotation_text=formats.target(target.op, target.value, worst.unit))  # fmt: skip
    axis = {"tickformat": ".0%", "range": [0, 1.08]} if worst.unit == "ratio" else {}
    fig.update_layout(title=title, xaxis_title="tenant", yaxis={"title": worst.unit, **axis})
    return fig


_LIBRARY_SENT = False
"""Whether this kernel has shown a chart already (its HTML carried plotly.js)."""


class Chart(go.Figure):  # type: ignore[misc]
    """A Plotly figure that every viewer can draw. Its display carries two renderings:

    - ``application/vnd.plotly.v1+json``, which JupyterLab and VS Code draw with their own
      Plotly (interactive, and nothing is loaded from outside);
    - ``text/html``: the figure's div and the script that draws it, which nbconvert's HTML (and so
      every gate report) keeps as it is. The kernel's first chart carries plotly.js itself, inline,
      once per notebook; later charts use it. No CDN and no browser are needed to make or read
      the page, so it works offline and in CI (a static image would need kaleido and a browser).
    """

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        global _LIBRARY_SENT
        bundle = figure_bundle(self, with_library=not _LIBRARY_SENT)
        _LIBRARY_SENT = True
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)  # type: ignore[no-untyped-call]


def figure_bundle(figure: go.Figure, *, with_library: bool) -> dict[str, Any]:
    """The MIME bundle of :class:`Chart`: the Plotly JSON, the HTML (with plotly.js inline when
    ``with_library``) and a line of text naming the figure."""
    import json

    import plotly.io as pio

    config = {"displaylogo": False, "responsive": True}
    spec = json.loads(pio.to_json(figure, validate=False))
    height = figure.layout.height or 460
    html = figure.to_html(full_html=False, include_plotlyjs=with_library, config=config,
                          default_width="100%", default_height=f"{height}px")  # fmt: skip
    title = figure.layout.title.text or "figure"
    return {"application/vnd.plotly.v1+json": {**spec, "config": config}, "text/html": html,
            "text/plain": f"<chart: {title}>"}  # fmt: skip
