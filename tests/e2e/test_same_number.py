"""The same number everywhere: a metric computed with each face's defaults — the command line, the
notebook facade, a dashboard callback and a gate check — on one store at one frozen time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from matrix import formats
from matrix.access import User
from matrix.clock import FrozenClock, SystemClock
from matrix.storage import open_store
from matrix.windows import default_window
from tests.e2e.cli import run

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
METRIC = "owner_interaction_success_ratio"

# Rows placed so that another window gives another number: 7 days back (the old CLI default),
# 14 days back from now (the old notebook default) and 14 whole days through today each count a
# different set of requests.
ROWS = [
    (NOW - timedelta(days=20), "error"),  # outside every window
    (
        NOW - timedelta(days=13, hours=21),
        "error",
    ),  # 14 days back from 09:00, before midnight 13 days ago
    (NOW - timedelta(days=10), "ok"),
    (NOW - timedelta(days=10), "ok"),
    (NOW - timedelta(days=10), "error"),
    (NOW - timedelta(hours=1), "ok"),
    (NOW + timedelta(hours=3), "ok"),  # later today: inside the window that ends at midnight
]


def _request(at: datetime, status: str) -> dict[str, object]:
    return {"tenant_id": "acme", "recorded_at": at, "kind": "request", "name": "owner.interaction",
            "status": status, "latency_ms": 120.0}  # fmt: skip


def test_every_face_gives_the_same_number_with_its_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command line asks the system clock; freeze it (and nothing else) at NOW.
    monkeypatch.setattr(SystemClock, "now", lambda self: NOW)
    clock = FrozenClock(NOW)
    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    with open_store(url, clock=clock, migrate=True) as store:
        store.tenants.add("acme")
        store.telemetry.insert_many([_request(at, status) for at, status in ROWS])

    window = default_window(NOW)
    inside = [s for at, s in ROWS if window.since <= at < window.until]
    expected = inside.count("ok") / len(inside)

    code, out, err = run(capsys, "metrics", "compute", METRIC, "--tenant", "acme", "--grain", "all",
                         "--json", "--storage-url", url)  # fmt: skip
    assert code == 0, err
    cli_value = json.loads(out)["rows"][-1]["value"]

    from dashboards import context
    from dashboards.pages import overview
    from matrix import notebook
    from matrix.app import build
    from matrix.gates import checks

    store = open_store(url, clock=clock)
    try:
        monkeypatch.setattr(notebook, "_APP", build(store=store))
        notebook_value = notebook.metric(METRIC, tenant="acme", grain="all").total

        monkeypatch.setattr(context.RUNTIME, "store", store)
        since, until = context.default_window()
        content = overview.render(User(username="boss", role="admin"), "acme", since, until, "day")
        shown = _find(content, f"overview-{METRIC.replace('_', '-')}-value").children

        gate_value = checks.worst_across_tenants(store, METRIC)
    finally:
        store.close()

    assert cli_value == pytest.approx(expected)
    assert notebook_value == pytest.approx(expected)
    assert gate_value == pytest.approx(expected)
    assert shown == formats.value(expected, "ratio")  # the card reads as people read it: "80%"
    # And the number really depends on the window: the old defaults would have differed.
    assert expected != pytest.approx(1.0)


def _find(component: object, component_id: str) -> object:
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, component_id)
            if found is not None:
                return found
    return None
