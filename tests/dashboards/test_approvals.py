"""The approvals page's callbacks, called as functions on both backends: each confirmation with
its context, an approval recorded with its reason, and a second click refused in words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from dashboards import context
from dashboards.pages import approvals as page
from matrix.access import User
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.storage import Store
from tests.dashboards.test_pages import _find

ADMIN = User(username="boss", role="admin")
WRITE_OFF = "Write off Pedro Alves's debt, he closed the shop"


@pytest.fixture
def shown(store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(context.RUNTIME, "store", store)
    monkeypatch.setattr(context.RUNTIME, "app", None)
    day = clock.now().date()

    def render(
        *rest: Any, status: str = "pending", trigger: str | None = None
    ) -> tuple[Any, Any, Any]:
        return page.render(ADMIN, "acme", str(day - timedelta(days=1)), str(day + timedelta(days=1)), "day",
                           status, *rest, trigger=trigger)  # fmt: skip

    return render


@pytest.fixture
def pedro(concierge: Concierge, store: Store, clock: FrozenClock) -> dict[str, Any]:
    work = Work.new("acme", clock)
    customer, _ = customers.upsert(store, work, display_name="Pedro Alves", phone="+5511988887777")
    charge, _ = billing.create_charge(store, work, customer_id=customer["customer_id"], amount="1250.50",
                                      currency="BRL", due_date=(clock.now() + timedelta(days=3)).date())  # fmt: skip
    return charge


def test_a_confirmation_shows_the_request_amount_customer_rule_and_time_left(
    concierge: Concierge, pedro: dict[str, Any], shown: Any
) -> None:
    asked = concierge.interact("acme", "owner-7", WRITE_OFF)["confirmation"]["confirmation_id"]
    _, rows, _ = shown()
    [row] = [r for r in rows if r["confirmation_id"] == asked]
    assert row["request"] == WRITE_OFF
    assert row["fields"] == {
        "customer": "Pedro Alves",
        "amount": "R$1,250.50",
        "due": str(pedro["due_date"])[:10],
    }
    assert row["rule"] == "confirm_billing_writeoff (financial_writeoff)"
    assert "money a customer owes" in row["reason"] and row["time_left"] == "expires in 15 min"
    assert row["asked_by"].startswith("owner session owner-7 via the chat")
    shown_detail = str(page.detail([row]))
    assert (
        "Pedro Alves" in shown_detail and "R$1,250.50" in shown_detail and WRITE_OFF in shown_detail
    )


def test_approve_then_a_second_click_is_refused_in_words(
    concierge: Concierge, store: Store, pedro: dict[str, Any], shown: Any
) -> None:
    asked = concierge.interact("acme", "owner-7", WRITE_OFF)["confirmation"]["confirmation_id"]
    _, rows, _ = shown()
    row = next(r for r in rows if r["confirmation_id"] == asked)
    message, rows, picked = shown(
        1, 0, [row], "agreed on the phone", trigger="approvals-approve-button"
    )
    assert (
        "approved by boss" in str(message)
        and "agreed on the phone" in str(message)
        and picked == []
    )
    assert asked not in [r["confirmation_id"] for r in rows]
    assert page.cleared(message) == ""  # the reason box is emptied for the next decision
    # The same click again, from a page that still shows the row: refused, nothing changes.
    again, rows, _ = shown(2, 0, [row], "twice", trigger="approvals-approve-button")
    assert "Nothing changed" in str(again) and "already approved" in str(again)
    assert "alert-warning" in str(again)
    done = store.approvals.get("acme", asked)
    assert (
        done is not None
        and done.status.value == "approved"
        and done.resolution_reason == "agreed on the phone"
    )
    assert store.tasks.counts("acme") == {"queued": 1}


def test_a_refresh_keeps_the_message_and_the_selection(concierge: Concierge, pedro: dict[str, Any],
                                                       shown: Any) -> None:  # fmt: skip
    concierge.interact("acme", "owner-7", WRITE_OFF)
    message, rows, picked = shown(0, 0, None, None, 3, trigger="approvals-refresh")
    assert message is page.no_update and picked is page.no_update and len(rows) == 1


def test_a_campaign_shows_its_audience(
    concierge: Concierge, store: Store, clock: FrozenClock, shown: Any
) -> None:
    work = Work.new("acme", clock)
    for n in range(3):
        customers.upsert(store, work, display_name=f"Cliente {n}", phone=f"+55119000000{n}")
    from matrix.modules.crm import campaigns

    campaigns.create(store, work, name="Promo Natal", message="Feliz Natal! 10% off.")
    asked = concierge.interact("acme", "owner-7", "Enviar a campanha Natal para todos os clientes")
    assert asked["confirmation"]["task_type"] == "crm.campaign.send"
    _, rows, _ = shown()
    assert rows[0]["fields"]["campaign"] == "Promo Natal"
    assert rows[0]["fields"]["audience"] == "customers (3 people)"
    assert _find(page.layout(), "approvals-refresh") is not None
