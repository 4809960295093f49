"""With the tenant's AI provider down, the traces page shows the request's outcome (its task or
approval id) and the provider warning beside it — on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboards import context
from dashboards.pages import traces
from matrix.access import User
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.storage import Store
from matrix.testing.openai_server import Behavior, OpenAIServer


def test_traces_page_names_the_outcome_and_the_provider_failure(
    concierge: Concierge, store: Store, clock: FrozenClock, openai_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    concierge.save_config(
        "acme", {"openai": {"api_key": "sk-down-0123456789", "base_url": openai_server.base_url}}
    )
    ok = concierge.interact("acme", "s1", "Bom dia")  # before the outage: no warning
    assert ok.provider_error is None
    openai_server.script("responses", *[Behavior(status=500)] * 4)
    openai_server.script("chat", *[Behavior(status=500)] * 4)
    result = concierge.interact("acme", "s1", "Write off Pedro's debt")
    assert result.provider_error is not None and result.confirmation is not None
    monkeypatch.setattr(context.RUNTIME, "store", store)
    day = clock.now().date()
    content, _ = traces.render(User(username="boss", role="admin"), "acme", str(day - timedelta(days=1)),
                               str(day + timedelta(days=1)), "day", result.owner_command.correlation_id)  # fmt: skip
    warning = next(c for c in content if getattr(c, "id", None) == "traces-provider-warning")
    assert result.provider_error.code in warning.children
    assert f"approval {result.confirmation.confirmation_id} pending" in warning.children
    content, _ = traces.render(User(username="boss", role="admin"), "acme", str(day - timedelta(days=1)),
                               str(day + timedelta(days=1)), "day", ok.owner_command.correlation_id)  # fmt: skip
    assert all(getattr(c, "id", None) != "traces-provider-warning" for c in content)
