"""The traces page shows what memory did on a request — the facts recalled (their text, tokens and
time), the entry promoted, the fact superseded — on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dashboards import context
from dashboards.pages import traces
from matrix.access import User
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.storage import Store
from tests.dashboards.test_pages import _find

ADMIN = User(username="boss", role="admin")


@pytest.fixture
def shown(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The traces page for one correlation of tenant acme, rendered on this test's store."""
    monkeypatch.setattr(context.RUNTIME, "store", store)
    monkeypatch.setattr(context.RUNTIME, "app", None)
    day = clock.now().date()

    def render(correlation: str) -> list[Any]:
        content, _ = traces.render(ADMIN, "acme", str(day - timedelta(days=1)),
                                   str(day + timedelta(days=1)), "day", correlation)  # fmt: skip
        return list(content)

    return render


def _memory(content: list[Any]) -> Any:
    return next(c for c in content if getattr(c, "id", None) == "traces-memory")


def test_the_trace_shows_the_facts_a_message_recalled(
    concierge: Concierge, store: Store, clock: FrozenClock, shown: Any
) -> None:
    concierge.interact("acme", "s1", "Our accountant is Ana Souza.")
    clock.advance(60)
    concierge.interact("acme", "s1", "Our accountant is now Rui Campos.")
    clock.advance(60)
    asked = concierge.interact("acme", "s1", "Who is our accountant?")
    correlation = asked.owner_command.correlation_id
    [recalled] = store.events.list("acme", name="owner.memory.recalled", limit=1)
    assert recalled["correlation_id"] == correlation
    payload = recalled["payload"]
    assert payload["facts"] == ["Our accountant is now Rui Campos."]  # the superseded one is out

    content = shown(correlation)
    memory = str(_memory(content))
    assert "Our accountant is now Rui Campos." in memory and "Ana Souza" not in memory
    assert f"{payload['tokens']:,} tokens of {payload['budget']:,}" in memory
    assert f"{payload['latency_ms']:,.1f} ms" in memory
    timeline = _find(content, "traces-timeline-graph").figure
    lane = [name for stage, name in zip(timeline.data[0].y, timeline.data[0].text, strict=True)
            if stage == "memory"]  # fmt: skip
    assert "owner.memory.recalled" in lane
    hover = timeline.data[0].hovertext[list(timeline.data[0].text).index("owner.memory.recalled")]
    assert "Our accountant is now Rui Campos." in hover and f"{payload['tokens']} tokens" in hover


def test_the_trace_names_the_fact_promoted_and_the_one_it_supersedes(
    concierge: Concierge, clock: FrozenClock, shown: Any
) -> None:
    first = concierge.interact("acme", "s1", "Our accountant is Ana Souza.")
    clock.advance(60)
    second = concierge.interact("acme", "s1", "Our accountant is now Rui Campos.")

    memory = _memory(shown(first.owner_command.correlation_id))
    steps = [str(li) for li in memory.children[1].children]
    assert len(steps) == 1 and "owner.context.promoted" in steps[0]
    assert "Promoted to long memory (salience 0.75): Our accountant is Ana Souza." in steps[0]

    memory = str(_memory(shown(second.owner_command.correlation_id)))
    assert "owner.memory.superseded" in memory
    assert ("No longer valid (subject: accountant): Our accountant is Ana Souza."
            " Replaced by: Our accountant is now Rui Campos.") in memory  # fmt: skip
    assert "Promoted to long memory (salience 0.85): Our accountant is now Rui Campos." in memory


def test_a_trace_where_memory_did_nothing_has_no_memory_panel(
    concierge: Concierge, store: Store, shown: Any
) -> None:
    store.tenants.add("acme", "ACME")
    result = concierge.interact("acme", "s1", "Good morning!")  # nothing kept, nothing recalled
    content = shown(result.owner_command.correlation_id)
    assert all(getattr(c, "id", None) != "traces-memory" for c in content)
