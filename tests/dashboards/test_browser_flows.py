"""Two flows in a real headless Chromium: an approval shows what it is about (amount, customer,
the owner's words) and is approved from the page; a trace opened from a link shows its AI step with
tokens and cost. Screenshots go to ``reports/screenshots/``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from matrix import formats
from matrix.app import build
from matrix.metrics.costs import set_price
from matrix.modules.billing import service as billing
from matrix.modules.context import Work
from matrix.modules.customers import service as customers
from matrix.storage import Store
from tests.dashboards import test_browser as shared
from tests.dashboards.conftest import PASSWORD
from tests.dashboards.test_browser import SHOTS, _settled, _signed_in

pytestmark = pytest.mark.browser
# The browser and the served app of the other browser tests, as fixtures of this module too.
browser, base_url = shared.browser, shared.base_url
ASK = "Write off Olivia Brandao's debt, she paid in cash"


def test_an_approval_shows_its_task_and_is_approved_from_the_page(
    browser: Any,
    base_url: str,
    seeded: Store,
) -> None:
    app = build(seeded.settings, store=seeded)
    work = Work.new("sim-01", seeded.clock)
    customer, _ = customers.upsert(
        seeded, work, display_name="Olivia Brandao", phone="+5511977776666"
    )
    billing.create_charge(seeded, work, customer_id=customer["customer_id"], amount="2480.90", currency="BRL",
                          due_date=(datetime.now(UTC) + timedelta(days=5)).date())  # fmt: skip
    asked = app.concierge.interact("sim-01", "owner-1", ASK)["confirmation"]["confirmation_id"]
    page = _signed_in(browser, base_url, "ana")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.click("#nav-approvals")
    _settled(page, "approvals-queue-table")
    row = page.locator("#approvals-queue-table .ag-row", has_text="Olivia Brandao")
    assert "R$2,480.90" in row.inner_text()
    row.locator(".ag-cell").first.click()
    page.wait_for_selector("#approvals-detail-request", timeout=10_000)
    detail = page.inner_text("#approvals-detail")
    assert ASK in detail and "Olivia Brandao" in detail and "R$2,480.90" in detail
    assert "confirm_billing_writeoff" in detail and "expires in" in detail
    page.screenshot(path=str(SHOTS / "approvals-context.png"), full_page=True)
    page.fill("#approvals-reason", "paid in cash, receipt seen")
    page.click("#approvals-approve-button")
    page.wait_for_selector(f"#approvals-message :text('{asked}: approved by ana')", timeout=20_000)
    page.wait_for_function(
        "() => document.querySelector('#approvals-reason').value === ''", timeout=10_000
    )
    page.wait_for_function(
        "id => !document.querySelector('#approvals-queue-table').innerText.includes(id)", arg=asked
    )
    done = seeded.approvals.get("sim-01", asked)
    assert done is not None and done.status.value == "approved" and done.resolved_by == "ana"
    assert done.resolution_reason == "paid in cash, receipt seen"
    page.screenshot(path=str(SHOTS / "approvals-after-approve-context.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_trace_opened_from_a_link_shows_the_ai_step_with_tokens_and_cost(
    browser: Any,
    base_url: str,
    seeded: Store,
) -> None:
    now = datetime.now(UTC)
    set_price(seeded, provider="local", model="deterministic-rule-v1", effective_from=now - timedelta(minutes=1),
              input_per_mtok=3.0, output_per_mtok=12.0, actor="test", now=now)  # fmt: skip
    app = build(seeded.settings, store=seeded)
    result = app.concierge.interact("sim-02", "owner-2", "Cobrar o cliente Rafael Teixeira")
    correlation = result.owner_command.correlation_id
    usage = result.assistant_output.usage
    page = _signed_in(browser, base_url, "boss")  # an admin, whose filter shows another tenant
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base_url}/traces?correlation={correlation}&tenant=sim-02")
    page.wait_for_selector("#traces-detail-title", timeout=20_000)
    _settled(page, "traces-content")
    assert correlation in page.inner_text("#traces-correlation-id")
    detail = page.inner_text("#traces-detail")
    assert "AI call" in detail and "deterministic-rule-v1" in detail
    cost = (usage.input * 3.0 + usage.output * 12.0) / 1e6
    assert (
        f"{usage.input:,}" in detail
        and f"{usage.output:,}" in detail
        and formats.money(cost) in detail
    )
    assert result.assistant_output.text[:40] in detail
    assert "Cobrar o cliente Rafael Teixeira" in page.inner_text("#traces-summary")
    # The shell's tenant filter names the linked tenant, not the admin's default one.
    page.wait_for_function(
        "() => document.querySelector('#shell-filter-tenant').innerText.includes('sim-02')",
        timeout=10_000,
    )
    page.screenshot(path=str(SHOTS / "traces-ai-step.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_times_show_in_the_browser_time_zone(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(base_url + "/")
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#shell")
    assert [c["value"] for c in context.cookies() if c["name"] == "matrix-tz"] == ["Asia/Tokyo"]
    page.click("#nav-gates")
    _settled(page, "gates-content")
    assert " JST" in page.inner_text("#gates-content")
    context.close()
