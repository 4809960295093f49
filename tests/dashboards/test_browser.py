"""The dashboards in a real headless Chromium (Debian's package, driven by Playwright): sign in,
open every page, read a number and check it, approve from the queue, approve Persona 2's draft
and take a conversation over, and try to see another tenant as a manager. Screenshots of every
page go to ``reports/screenshots/``."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from dashboards.pages import PAGES
from dashboards.probe import callback_request
from matrix import brand, formats
from matrix.agent import inbound
from matrix.app import build
from matrix.contracts import Catalog
from matrix.modules.crm import inbox
from matrix.storage import Store
from tests.conftest import ROOT
from tests.dashboards.conftest import PASSWORD
from tests.dashboards.readable import leaks, long_numbers, unlabelled

SHOTS = ROOT / "reports" / "screenshots"
WRITE_OFF = "Write off Pedro's debt"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(app: Any, seeded: Store) -> Iterator[str]:
    """The real server (uvicorn, the dispatcher, the dashboards through a2wsgi) over the store."""
    from dashboards import context
    from matrix.testing.server import serving

    kept = context.RUNTIME.store, context.RUNTIME.app
    with build(seeded.settings, store=seeded) as wired, serving(wired) as server:
        yield server.url
    context.RUNTIME.store, context.RUNTIME.app = kept


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        message = "Chromium is not installed (apt-get install chromium chromium-driver; `make test` does it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def _signed_in(browser: Any, base_url: str, username: str) -> Any:
    page = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url + "/")
    assert page.url.startswith(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#shell")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _settled(page: Any, content_id: str) -> None:
    """Wait until the page's main callback has filled its content (a table: its rows)."""
    page.wait_for_selector(f"#{content_id} .ag-root" if content_id.endswith("-table") else f"#{content_id} > *",
                           timeout=20_000)  # fmt: skip
    page.wait_for_function(
        "() => !document.querySelector('[data-dash-is-loading=\"true\"]')", timeout=20_000
    )
    # Figures load their library lazily: wait until each one has drawn.
    page.wait_for_function(
        "id => [...document.querySelectorAll('#' + id + ' .dash-graph')].every(g => g.querySelector('.main-svg'))",
        arg=content_id, timeout=20_000,
    )  # fmt: skip


def test_admin_opens_every_page_and_reads_the_overview(
    browser: Any, base_url: str, seeded: Store
) -> None:
    page = _signed_in(browser, base_url, "boss")
    _settled(page, "overview-content")
    page.click("#filter-tenant")
    page.get_by_role("option", name="sim-01", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#overview-owner-interaction-success-ratio-value')"
        " && document.querySelector('#overview-owner-interaction-success-ratio-value').innerText !== 'no data'",
        timeout=20_000)  # fmt: skip
    with seeded.backend.transaction() as tx:
        ok, total = tx.query(
            "SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status IN ('ok', 'error'))"
            " FROM telemetry WHERE tenant_id = 'sim-01' AND kind = 'request' AND name = 'owner.interaction'")[0]  # fmt: skip
    shown = page.inner_text("#overview-owner-interaction-success-ratio-value")
    assert shown == formats.percent(ok / total)
    for module in PAGES:
        name = module.__name__.rsplit(".", 1)[-1]
        page.click(f"#nav-{name}")
        content = "approvals-queue-table" if name == "approvals" else f"{name}-content"
        _settled(page, content)
        assert page.locator(".alert-error").count() == 0, page.inner_text(f"#{content}")
    # Dates are picked from a calendar; a link's dates (or a forged pair) that end before they
    # start are a message on the page, never a traceback.
    page.click("#nav-overview")
    page.click("#filter-since")
    page.wait_for_selector(
        ".mantine-DatePickerInput-dropdown, .mantine-Popover-dropdown", timeout=10_000
    )
    page.keyboard.press("Escape")
    page.goto(base_url + "/?since=2026-01-10&until=2020-01-01")
    page.wait_for_selector("#overview-content .alert-error", timeout=20_000)
    shown = page.inner_text("#overview-content")
    assert "is not after the start date" in shown and "Traceback" not in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "bad-filter.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


VIEWPORTS = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
FIGURES = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => ({
    id: (g.closest('[id]') || {}).id, layout: JSON.parse(JSON.stringify(g.layout || {})),
    types: (g.data || []).map(t => t.type || 'scatter')}))"""


@pytest.fixture(scope="module")
def signed_in(browser: Any, base_url: str) -> dict[str, Any]:
    """Each user's signed-in browser state, made once and reused by every context."""
    states = {}
    for username in ("boss", "ana"):
        page = _signed_in(browser, base_url, username)
        states[username] = page.context.storage_state()
        page.context.close()
    return states


def _content(name: str) -> str:
    return "approvals-queue-table" if name == "approvals" else f"{name}-content"


def test_every_page_reads_well_for_an_admin_and_a_manager_in_both_schemes_and_sizes(
    browser: Any, base_url: str, seeded: Store, signed_in: dict[str, Any]
) -> None:
    """A screenshot of every page a user may open, at 1440×900 and 390×844, light and dark; on
    each page's text no value has more than four significant digits, nothing of SQL, a table or
    the store's path shows, the page is marked in the navigation, and every chart has a title and
    units. A manager's navigation has no Gates; Gates shows no filters."""
    hidden = (seeded.settings.storage_url, seeded.settings.storage_url.split(":///", 1)[-1])
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for username, role in (("boss", "admin"), ("ana", "manager")):
        for scheme in ("light", "dark"):
            for size, viewport in VIEWPORTS.items():
                context = browser.new_context(viewport=viewport, storage_state=signed_in[username])
                context.add_cookies([{"name": "matrix-scheme", "value": scheme, "url": base_url}])
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.goto(base_url + "/")
                _settled(page, "overview-content")
                assert (
                    page.evaluate("() => document.documentElement.dataset.mantineColorScheme")
                    == scheme
                )
                links = page.locator("#shell-nav a").all_inner_texts()
                assert ("Gates" in links) is (role == "admin"), links
                for module in PAGES:
                    name = module.__name__.rsplit(".", 1)[-1]
                    if getattr(module, "ADMIN_ONLY", False) and role != "admin":
                        continue
                    page.click(f"#nav-{name}")
                    _settled(page, _content(name))
                    where = f"{role} {scheme} {size} {name}"
                    current = page.locator("#shell-nav [aria-current=page]").all_inner_texts()
                    if current != [module.NAME]:
                        problems.append(f"{where}: marked {current}")
                    if name == "gates" and page.locator("#shell-filters").is_visible():
                        problems.append(f"{where}: filters shown where none apply")
                    if (
                        size == "desktop" and scheme == "light"
                    ):  # the text is the same in every shot
                        text = page.inner_text("#shell")
                        problems += [
                            f"{where}: {n} has more than 4 significant digits"
                            for n in long_numbers(text)
                        ]
                        problems += [f"{where}: shows {w!r}" for w in leaks(text, hidden)]
                        problems += [f"{where}: {p}" for p in unlabelled(page.evaluate(FIGURES))]
                    page.screenshot(
                        path=str(SHOTS / f"{role}-{name}-{size}-{scheme}.png"), full_page=True
                    )
                assert errors == [], errors
                context.close()
    assert problems == []


def test_the_scheme_toggle_is_kept_per_browser(
    browser: Any, base_url: str, signed_in: dict[str, Any]
) -> None:
    context = browser.new_context(viewport=VIEWPORTS["desktop"], storage_state=signed_in["ana"])
    page = context.new_page()
    page.goto(base_url + "/reliability")
    _settled(page, "reliability-content")
    before = page.evaluate("() => document.documentElement.dataset.mantineColorScheme")
    page.click("#shell-scheme")
    page.wait_for_function(
        "s => document.documentElement.dataset.mantineColorScheme !== s", arg=before
    )
    _settled(page, "reliability-content")
    after = page.evaluate("() => document.documentElement.dataset.mantineColorScheme")
    assert page.url.endswith("/reliability") and after != before
    paper = page.evaluate("() => document.querySelector('#reliability-latency-graph .js-plotly-plot').layout"
                          ".template.layout.paper_bgcolor")  # fmt: skip
    from dashboards.context import palette

    # The figures follow, in the tenant's palette (the sample pack's, for the simulated tenants).
    assert paper == brand.resolve(palette("sim-01"), scheme=after).colours["card"]
    again = context.new_page()
    again.goto(base_url + "/")
    _settled(again, "overview-content")
    assert again.evaluate("() => document.documentElement.dataset.mantineColorScheme") == after
    context.close()


def test_manager_approves_a_pending_confirmation(
    browser: Any, base_url: str, seeded: Store
) -> None:
    concierge = build(seeded.settings, store=seeded).concierge
    confirmation = concierge.interact("sim-01", "owner-1", WRITE_OFF)["confirmation"][
        "confirmation_id"
    ]
    page = _signed_in(browser, base_url, "ana")
    page.click("#nav-approvals")
    _settled(page, "approvals-queue-table")
    row = page.locator("#approvals-queue-table .ag-row", has_text=confirmation)
    row.locator(".ag-cell").first.click()  # a click selects the row
    page.wait_for_selector("#approvals-queue-table .ag-row-selected", timeout=10_000)
    page.fill("#approvals-reason", "approved in the browser")
    page.click("#approvals-approve-button")
    page.wait_for_selector(
        f"#approvals-message :text('{confirmation}: approved by ana')", timeout=20_000
    )
    page.wait_for_function(
        "id => !document.querySelector('#approvals-queue-table').innerText.includes(id)",
        arg=confirmation,
    )
    page.screenshot(path=str(SHOTS / "approvals-after-approve.png"), full_page=True)
    done = seeded.approvals.get("sim-01", confirmation)
    assert done is not None and done.status.value == "approved" and done.resolved_by == "ana"


def test_manager_gets_nothing_of_another_tenant(
    browser: Any, base_url: str, seeded: Store, app: Any
) -> None:
    page = _signed_in(browser, base_url, "ana")
    _settled(page, "overview-content")
    page.click("#filter-tenant")
    options = page.locator("[role=option]").all_inner_texts()
    assert options == ["sim-01"]
    page.keyboard.press("Escape")
    # A forged callback for sim-02, with the manager's own session cookie.
    body = callback_request(app, "overview-content", {"filter-tenant": "sim-02", "filter-since": "2020-01-01",
                                                      "filter-until": "2030-01-01", "filter-grain": "day"})  # fmt: skip
    forged = page.request.post(base_url + "/_dash-update-component", data=body)
    assert (
        forged.status == 200
        and "Unknown tenant 'sim-02'." in forged.text()
        and "card-value" not in forged.text()
    )
    # A link to another tenant's trace shows nothing of it.
    other = seeded.events.list("sim-02", name="owner.command.create", limit=1)[0]["correlation_id"]
    page.goto(f"{base_url}/traces?correlation={other}")
    _settled(page, "traces-content")
    assert other not in page.inner_text("#traces-content")
    assert "sim-02" not in page.content()
    assert page.request.get(base_url + "/reports/gates/r-1/summary.md").status == 404
    page.screenshot(path=str(SHOTS / "manager-isolation.png"), full_page=True)


def test_the_trace_shows_the_facts_memory_recalled(
    browser: Any, base_url: str, seeded: Store
) -> None:
    recalled = next(e for e in seeded.events.list("sim-01", name="owner.memory.recalled", limit=200)
                    if e["payload"]["facts"])  # fmt: skip
    page = _signed_in(browser, base_url, "ana")  # a manager of sim-01 only: the trace's tenant
    _settled(page, "overview-content")
    page.goto(f"{base_url}/traces?correlation={recalled['correlation_id']}")
    page.wait_for_selector("#traces-memory", timeout=20_000)
    shown = page.inner_text("#traces-memory")
    assert all(fact in shown for fact in recalled["payload"]["facts"])
    assert f"{recalled['payload']['tokens']:,} tokens" in shown
    page.screenshot(path=str(SHOTS / "traces-memory.png"), full_page=True)
    assert page.errors == []  # type: ignore[attr-defined]


def test_every_page_renders_under_the_content_security_policy(browser: Any, base_url: str) -> None:
    """The CSP and frame headers are on, and no page needs anything they forbid: every page
    draws its content and figures with no CSP report in the console. A cross-site POST from the
    signed-in browser is refused; the same request from the page itself goes through."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    reports: list[str] = []
    page.on(
        "console", lambda m: reports.append(m.text) if "Content Security Policy" in m.text else None
    )
    first = page.goto(base_url + "/login")
    assert (
        first is not None and "frame-ancestors 'none'" in first.headers["content-security-policy"]
    )
    assert first.headers["x-frame-options"] == "DENY"
    page.fill("#username", "boss")
    page.fill("#password", PASSWORD)
    page.click("#login-btn")
    page.wait_for_selector("#shell")
    for module in PAGES:
        name = module.__name__.rsplit(".", 1)[-1]
        page.click(f"#nav-{name}")
        _settled(page, "approvals-queue-table" if name == "approvals" else f"{name}-content")
    assert reports == []
    post = """async (url) => (await fetch(url, {method: 'POST', credentials: 'include',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({})})).status"""
    assert page.evaluate(post, base_url + "/_dash-update-component") == 400  # ours: only malformed
    forged = context.request.post(base_url + "/_dash-update-component", data={},
                                  headers={"Origin": "http://evil.example"})  # fmt: skip
    assert forged.status == 403
    context.close()


def _inbound(store: Store, tenant: str, name: str, text: str) -> str:
    """A contact writes in (a signed webhook) and Persona 2's job reads it; the conversation id."""
    doc = json.loads((ROOT / "contracts/examples/valid/evolution-webhook.json").read_text())[
        "instance"
    ]
    doc |= {"event_id": str(uuid.uuid4()), "tenant_id": tenant}
    doc["payload"] = {**doc["payload"], "message_id": f"wamid-{uuid.uuid4().hex[:12]}", "text": text,
                      "from_e164": f"+55119{uuid.uuid4().int % 10**8:08d}", "push_name": name}  # fmt: skip
    body, secret = json.dumps(doc).encode(), "whsec-browser-test"
    done = inbox.ingest(store, store.clock, Catalog(ROOT / "contracts"), tenant_id=tenant, body=body,
                        signature=inbox.sign(body, secret), secret=secret)  # fmt: skip
    inbound.run_due(build(store.settings, store=store).agent, tenants=[tenant])
    return str(done["inbound"]["conversation_id"])


def test_manager_approves_persona_2s_draft_once_and_takes_the_conversation_over(
    browser: Any, base_url: str, seeded: Store
) -> None:
    conversation = _inbound(
        seeded, "sim-01", "Zelia Navegador", "Quero falar com um atendente, por favor"
    )
    page = _signed_in(browser, base_url, "ana")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.click("#nav-conversations")
    _settled(page, "conversations-content")
    assert "Waiting for a human" in page.inner_text("#conversations-content")
    row = page.locator("#conversations-table .ag-row", has_text="Zelia Navegador")
    assert "waiting for a human: human_requested" in row.inner_text()
    row.locator(".ag-cell").first.click()
    page.wait_for_selector(
        "#conversations-detail-title:has-text('Zelia Navegador')", timeout=20_000
    )
    page.wait_for_function("() => document.querySelector('#conversations-draft').value.length > 0")
    assert "Quero falar com um atendente" in page.inner_text("#conversations-messages")
    assert "confidence" in page.inner_text("#conversations-draft-summary")
    page.fill("#conversations-draft", "Olá! Uma pessoa da equipe já vai te atender.")
    page.screenshot(path=str(SHOTS / "conversations-selected.png"))
    page.click("#conversations-send-button")
    page.click("#conversations-send-button", force=True)  # a second press, however quick
    page.wait_for_selector("#conversations-message .alert-ok", timeout=20_000)
    page.wait_for_selector(
        "#conversations-send-button[disabled]", timeout=20_000
    )  # sent: nothing to approve
    sent = seeded.modules.messages.find(
        "sim-01", conversation_id=conversation, direction="outbound"
    )
    assert [m["text"] for m in sent] == ["Olá! Uma pessoa da equipe já vai te atender."]
    page.click("#conversations-take-button")
    page.wait_for_selector("#conversations-detail-title:has-text('· ana')", timeout=20_000)
    taken = seeded.modules.conversations.get("sim-01", conversation)
    assert taken is not None and (taken["handler"], taken["handler_user"]) == ("human", "ana")
    page.screenshot(path=str(SHOTS / "conversations-after-take-over.png"))
    assert page.locator(".alert-error").count() == 0
    page.click("#conversations-trace-link")  # the reading's correlation: message → draft → handoff
    page.wait_for_selector("#traces-content :text('crm.handoff.required')", timeout=20_000)
    shown = page.inner_text("#traces-content")
    assert "crm.message.received" in shown and "crm.ai.reply.suggested" in shown
    assert page.errors == []  # type: ignore[attr-defined]
