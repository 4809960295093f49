"""The traces page's callbacks, called as functions on both backends: the AI step with its usage,
cost and reply, the decision lane, search and paging, and what a bad or foreign id gets."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dashboards import context
from dashboards.pages import traces as page
from matrix import traces
from matrix.access import User
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.errors import NotFoundError, UsageError
from matrix.metrics.costs import set_price
from matrix.storage import Store
from tests.dashboards.test_pages import _find

ADMIN = User(username="boss", role="admin")
ANA = User(username="ana", role="manager", tenants=("acme",))


@pytest.fixture
def shown(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The traces page's main callback on this test's store, over a window around now."""
    monkeypatch.setattr(context.RUNTIME, "store", store)
    monkeypatch.setattr(context.RUNTIME, "app", None)
    day = clock.now().date()

    def render(tenant: str = "acme", correlation: str | None = None, term: str | None = None,
               page_no: int = 1, user: User = ADMIN, link: dict[str, Any] | None = None) -> tuple[Any, Any]:  # fmt: skip
        return page.render(user, tenant, str(day - timedelta(days=1)), str(day + timedelta(days=1)),
                           "day", correlation, term, page_no, link)  # fmt: skip

    return render


def _text(component: Any) -> str:
    return str(component)


def test_the_ai_step_shows_provider_model_tokens_cost_and_reply(
    concierge: Concierge, store: Store, clock: FrozenClock, shown: Any
) -> None:
    set_price(store, provider="local", model="deterministic-rule-v1", effective_from=clock.now() - timedelta(days=1),
              input_per_mtok=2.0, output_per_mtok=8.0, actor="test", now=clock.now())  # fmt: skip
    result = concierge.interact("acme", "s1", "Write off Pedro's debt")
    correlation = result.owner_command.correlation_id
    trace = traces.open_trace(store, "acme", correlation)
    [ai] = [s for s in trace.steps if s.lane == "AI call"]
    usage = result.assistant_output.usage
    cost = (
        (usage.input - usage.cached) * 2.0 / 1e6
        + usage.cached * 2.0 / 1e6
        + usage.output * 8.0 / 1e6
    )
    assert ai.details["provider"] == "local" and ai.details["model"] == "deterministic-rule-v1"
    assert (
        ai.details["tokens in"] == f"{usage.input:,}"
        and ai.details["tokens out"] == f"{usage.output:,}"
    )
    assert trace.ai_cost_usd == pytest.approx(cost)
    assert (
        ai.details["cost"].startswith("$") and ai.details["reply"] == result.assistant_output.text
    )
    lanes = {s.lane for s in trace.steps}
    assert {"command", "decision", "approval", "AI call"} <= lanes
    [decision] = [s for s in trace.steps if s.lane == "decision"]
    assert decision.details["execution decision"] == "confirm_required"
    assert decision.details["policy rule id"] == "confirm_billing_writeoff"
    assert [s.at for s in trace.steps] == sorted(s.at for s in trace.steps)

    content, _ = shown(correlation=correlation)
    panel = _find(content, "traces-detail")
    assert "tokens in" in _text(panel) and result.assistant_output.text in _text(panel)
    figure = _find(content, "traces-timeline-graph").figure
    assert figure.layout.xaxis.type == "date"  # real time, not step order
    assert "decision" in list(figure.data[0].y)


def test_search_finds_by_words_and_by_id_and_pages_through_older_requests(
    concierge: Concierge, clock: FrozenClock, shown: Any
) -> None:
    first = concierge.interact(
        "acme", "s1", "Cobrar a cliente Zuleica Prado"
    ).owner_command.correlation_id
    for n in range(traces.PAGE_SIZE):
        clock.advance(1)
        concierge.interact("acme", "s1", f"Bom dia {n}")
    _, options = shown()
    assert len(options) == traces.PAGE_SIZE and first not in [o["value"] for o in options]
    _, older = shown(page_no=2)
    assert [o["value"] for o in older] == [first]  # the 51st newest is on the second page
    content, found = shown(term="zuleica")
    # The request that named her, and any whose memory recalled her name.
    assert first in [o["value"] for o in found] and "Zuleica Prado" in _text(content)
    content, _ = shown(term=first.upper())  # a pasted id opens its trace
    assert first in _text(_find(content, "traces-correlation-id"))


def test_search_and_links_crossing_tenants_find_nothing(
    concierge: Concierge, store: Store, shown: Any
) -> None:
    store.tenants.add("globex", "Globex")
    correlation = concierge.interact(
        "acme", "s1", "Cobrar a cliente Zuleica Prado"
    ).owner_command.correlation_id
    content, options = shown("globex", term="Zuleica")
    assert options == [] and "No request mentions" in _text(content)
    content, _ = shown("globex", term=correlation)
    assert correlation not in _text(content) and "No request of tenant 'globex'" in _text(content)
    with pytest.raises(NotFoundError):
        traces.open_trace(store, "globex", correlation)
    # A manager's link naming another tenant reads as an unknown tenant.
    with pytest.raises(NotFoundError, match="Unknown tenant 'globex'"):
        shown("acme", correlation, user=ANA, link={"correlation": correlation, "tenant": "globex"})
    # An admin's link opens the trace in the tenant it names, whatever the filter says.
    content, _ = shown("globex", correlation, link={"correlation": correlation, "tenant": "acme"})
    assert "Zuleica Prado" in _text(_find(content, "traces-summary"))


@pytest.mark.parametrize("bad", ["not-an-id", "1' OR '1'='1", "x" * 500, "../../etc/passwd"])
def test_a_bad_correlation_id_is_a_plain_message(
    concierge: Concierge, shown: Any, bad: str
) -> None:
    concierge.interact("acme", "s1", "Bom dia")
    content, options = shown(correlation=bad)
    text = _text(content)
    assert "alert" in text and "is not one: it is a UUID" in text and "Traceback" not in text
    assert bad not in text or len(bad) <= 40
    assert options  # the choices stay
    with pytest.raises(UsageError, match="not one"):
        traces.check_correlation(bad)


def test_bad_search_and_paging_are_messages(concierge: Concierge, shown: Any) -> None:
    with pytest.raises(UsageError, match="at most 200 characters"):
        shown(term="y" * 201)
    with pytest.raises(UsageError, match="page must be a whole number"):
        shown(page_no=10_000)
