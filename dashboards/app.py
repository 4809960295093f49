"""The dashboards' shell: sign-in, the shared filters, navigation, and the pages (Dash Pages).

    app = create_app(store)          # a migrated matrix Store
    app.run(host="127.0.0.1", port=8050)

Every request needs a signed-in user (Flask-Login over a session stored server-side, so signing
out ends every copy of the cookie): pages redirect to ``/login``, Dash's own requests get 401.
Repeated wrong passwords are slowed down and then locked out (429 with Retry-After). The guards
of :mod:`dashboards.guard` (security headers, the cross-site check, callback bodies) apply to
every request. What a user sees is limited to their tenants by every page's main function.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import dash
from dash import Dash, Input, Output, dcc, html
from flask import Response, abort, redirect, request, send_from_directory, session
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboards import context, guard, theme
from dashboards.pages import PAGES
from matrix.access import authenticate, get_user, prepare_sign_in
from matrix.app import App
from matrix.storage import Store
from matrix.web import Sessions, SignInThrottle

RUN_ID = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
)  # a gate run's folder, never a way out of reports/gates
DATE = {"width": "8.5rem", "padding": "6px 8px", "color": "#102a43"}
PUBLIC = ("/login", "/logout", "/favicon.ico", "/_favicon.ico")
CSS = """
body { margin: 0; font-family: var(--font-body); }
.shell { min-height: 100vh; background: var(--color-bg); color: var(--color-text); padding: 0 24px 24px; }
.topbar { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; padding: 12px 0;
          border-bottom: 1px solid var(--color-border); }
.topbar a { color: var(--color-primary); text-decoration: none; font-weight: 600; }
.filters { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; padding: 12px 0; }
.row { display: flex; gap: 12px; flex-wrap: wrap; margin: 12px 0; }
.card { background: var(--color-card); border: 1px solid var(--color-border); border-radius: var(--radius-md);
        padding: 12px 16px; min-width: 200px; }
.card-title { color: var(--color-muted); font-size: 0.85rem; }
.card-value { font-size: 1.6rem; font-weight: 700; }
.status-breach, .status-low { color: #d64545; } .status-ok, .status-elite { color: var(--color-primary); }
.alert { padding: 10px 14px; border-radius: var(--radius-md); margin: 8px 0; }
.alert-error { background: #fde8e8; color: #8a1c1c; } .alert-ok { background: #e3f6ea; color: #1f5c40; }
.alert-warning { background: #fff4d6; color: #6b4e00; }
.toolbar { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.filters input, .toolbar input { width: 9rem; padding: 6px 8px; border-radius: 6px; border: 1px solid var(--color-border); }
.shell input, .shell .dash-dropdown { color: #102a43; }
.status-high, .status-medium { color: #d9a441; }
.ag-cell a { color: var(--color-primary); }
.bubbles { display: flex; flex-direction: column; gap: 6px; max-width: 52rem; margin: 8px 0; }
.bubble { padding: 8px 12px; border-radius: var(--radius-md); border: 1px solid var(--color-border); max-width: 80%; }
.bubble-inbound { align-self: flex-start; background: var(--color-card); }
.bubble-outbound { align-self: flex-end; background: var(--color-bg-soft); }
.bubble-meta { color: var(--color-muted); font-size: 0.75rem; }
.conversation-detail a { color: var(--color-primary); display: inline-block; margin: 4px 0 12px; }
.draft-box { display: block; width: 52rem; max-width: 100%; min-height: 5rem; margin-top: 4px; color: #102a43; }
"""
LOGIN = """<!doctype html><html><head><title>Sign in · Matrix Workbench</title></head>
<body style="font-family: sans-serif; background: #07130f; color: #d7f7e7; display: grid; place-items: center;
 height: 100vh; margin: 0"><form id="login-form" method="post" style="display: grid; gap: 8px; width: 260px">
<h2>Matrix Workbench</h2>{error}
<input id="username" name="username" placeholder="username" autocomplete="username" required>
<input id="password" name="password" type="password" placeholder="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}"><button id="login-btn" type="submit">Sign in</button></form></body></html>"""


def create_app(store: Store, *, secret: str | None = None, wired: App | None = None) -> Dash:
    """The dashboards over ``store`` (kept for the app's life); ``secret`` signs the cookies
    instead of ``MATRIX_SESSION_SECRET`` or the key kept in the store. ``wired``, when given, is the
    wired application around ``store`` the pages use (``matrix serve`` shares its own).

    Raises:
        ConfigError: the secret is shorter than 32 random bytes.
    """
    app = Dash(__name__, use_pages=True, pages_folder="", suppress_callback_exceptions=True,
               title="Matrix Workbench")  # fmt: skip
    server = app.server
    sessions, throttle = guard.install(app, store, secret=secret)
    context.RUNTIME.store = store  # once the store's secret is known to be fit to serve
    context.RUNTIME.app = wired
    logins = LoginManager(server)
    logins.user_loader(
        lambda username: (
            get_user(store, username) if guard.signed_in_user(sessions, username) else None
        )
    )
    prepare_sign_in()
    _routes(server, store, sessions, throttle)
    server.before_request(lambda: guard.check_callback(app))
    for page in PAGES:
        dash.register_page(page.__name__, path=page.PATH, name=page.NAME, title=f"{page.NAME} · Matrix",
                           layout=page.layout)  # fmt: skip
        page.register(app)
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + CSS + "</style>")
    app.layout = shell
    app.callback(Output("shell", "style"), Input("filter-tenant", "value"))(themed)
    return app


def themed(tenant: str | None) -> dict[str, str]:
    """The shell's palette: the tenant's, when the signed-in user may see that tenant (otherwise
    the default, so that the answer tells nothing about other tenants)."""
    user = context.current_user()
    visible = (
        user is not None
        and isinstance(tenant, str)  # a forged request may send any JSON
        and (user.role == "admin" or tenant in user.tenants)
    )
    return theme.variables(context.palette(tenant if visible else None))


def shell() -> html.Div:
    """The frame around every page; the tenant choices are the signed-in user's tenants."""
    user = context.current_user()
    tenants = user.visible(context.store()) if user else []
    since, until = context.default_window()
    first = tenants[0] if tenants else None
    return html.Div(id="shell", className="shell", style=theme.variables(context.palette(first)), children=[
        html.Div(className="topbar", children=[
            html.Strong("Matrix Workbench"),
            *[dcc.Link(page.NAME, href=page.PATH, id=f"nav-{page.__name__.rsplit('.', 1)[-1]}") for page in PAGES],
            html.Span(f"{user.username} ({user.role})" if user else "", id="shell-user"),
            html.A("Sign out", href="/logout", id="shell-logout"),
        ]),
        html.Div(className="filters", children=[
            html.Label(["Tenant ", dcc.Dropdown(id="filter-tenant", options=tenants, value=first, clearable=False,
                                                persistence=True, persistence_type="session",
                                                style={"width": "14rem", "color": "#102a43"})]),
            html.Label(["From ", dcc.Input(id="filter-since", type="text", value=since, debounce=True,
                                           persistence=True, persistence_type="session", style=DATE)]),
            html.Label(["to ", dcc.Input(id="filter-until", type="text", value=until, debounce=True,
                                         persistence=True, persistence_type="session", style=DATE)]),
            html.Label(["Grain ", dcc.Dropdown(id="filter-grain", options=list(context.GRAINS), value="day",
                                               clearable=False, persistence=True, persistence_type="session",
                                               style={"width": "8rem", "color": "#102a43"})]),
        ]),
        dash.page_container,
    ])  # fmt: skip


def _routes(server: Any, store: Store, sessions: Sessions, throttle: SignInThrottle) -> None:
    @server.before_request
    def require_login() -> Any:
        if request.path in PUBLIC or current_user.is_authenticated:
            return None
        if request.path.startswith(("/_dash-", "/_reload-hash", "/assets/", "/reports/")):
            return Response("sign in first", status=401)
        return redirect(f"/login?next={quote(request.full_path.rstrip('?'))}")

    @server.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = request.values.get("next") or "/"
        if not target.startswith("/") or urlsplit(target).netloc:  # only our own pages
            target = "/"
        error, status, wait = "", 200, 0
        if request.method == "POST":
            username, address = request.form.get("username", ""), request.remote_addr or "?"
            wait = throttle.wait(username, address)
            user = None if wait else authenticate(store, username, request.form.get("password", ""))
            if user is not None:
                throttle.succeeded(username, address)
                session.clear()  # nothing of an earlier session carries over into this one
                login_user(user)
                session[guard.SESSION_KEY] = sessions.open(user.username)
                return redirect(target)
            if not wait:
                throttle.failed(username, address)
            # One message for an unknown user and a wrong password, so neither is revealed.
            error, status = ("Wrong username or password.", 401) if not wait else \
                (f"Too many failed sign-ins. Try again in {wait} seconds.", 429)  # fmt: skip
        shown = f'<p id="login-error" style="color:#ff8a8a">{error}</p>' if error else ""
        page = LOGIN.replace("{error}", shown).replace("{next}", quote(target, safe="/?=&"))
        answer = Response(page, status=status, mimetype="text/html")
        if wait:
            answer.headers["Retry-After"] = str(wait)
        return answer

    @server.route("/logout")
    def logout() -> Any:
        sessions.close(session.get(guard.SESSION_KEY))
        logout_user()
        session.clear()
        return redirect("/login")

    @server.route("/reports/gates/<run_id>/<name>")
    def gate_report(run_id: str, name: str) -> Any:
        user = context.current_user()
        if user is None or user.role != "admin":
            abort(404)
        folder = Path(store.settings.reports_dir).resolve() / "gates" / run_id
        if (
            not RUN_ID.match(run_id)
            or not name.endswith((".md", ".html", ".json", ".xml"))
            or not folder.is_dir()
        ):
            abort(404)
        return send_from_directory(folder, name)
