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
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import dash
import dash_mantine_components as dmc
from dash import Dash, Input, Output, State, dcc, html, no_update
from flask import Response, abort, redirect, request, send_from_directory, session
from flask_login import LoginManager, current_user, login_user, logout_user

from dashboards import context, guard, theme
from dashboards.pages import PAGES
from matrix.access import authenticate, get_user, prepare_sign_in
from matrix.app import App
from matrix.storage import Store
from matrix.web import Sessions, SignInThrottle

FILTER_NAMES = ("tenant", "since", "until", "grain")
RUN_ID = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
)  # a gate run's folder, never a way out of reports/gates
PUBLIC = ("/login", "/logout", "/favicon.ico", "/_favicon.ico")
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
    app.layout = shell
    app.callback(
        Output("shell", "style"),
        Output("shell-provider", "theme"),
        Output("shell-provider", "forceColorScheme"),
        Input("filter-tenant", "value"),
    )(themed)
    app.callback(
        Output("shell-nav", "children"),
        Output("shell-scheme", "href"),
        Output("shell-filters", "style"),
        *[Output(f"shell-filter-{name}", "style") for name in FILTER_NAMES],
        Input("_pages_location", "pathname"),
        Input("_pages_location", "search"),
        State("filter-tenant", "value"),
    )(navigation)
    app.callback(
        Output("filter-tenant", "value"),
        Output("filter-since", "value"),
        Output("filter-until", "value"),
        Input("_pages_location", "search"),
        State("filter-tenant", "options"),
    )(linked)
    app.callback(Output("shell-freshness", "children"), Input("filter-tenant", "value"))(fresh)
    return app


def _visible(tenant: Any) -> str | None:
    """``tenant`` when the signed-in user may see it (otherwise None, so that an answer tells
    nothing about other tenants)."""
    user = context.current_user()
    visible = (
        user is not None
        and isinstance(tenant, str)  # a forged request may send any JSON
        and (user.role == "admin" or tenant in user.tenants)
    )
    return tenant if visible else None


def themed(tenant: str | None) -> tuple[dict[str, str], dict[str, Any], str]:
    """The shell's brand (the tenant's, when the user may see it; else the default) in the
    viewer's scheme (else the tenant's own), as CSS variables, Mantine's theme and scheme."""
    brand = context.brand_of(_visible(tenant))
    return theme.variables(brand), theme.mantine(brand), brand.scheme


def fresh(tenant: str | None) -> str:
    """The header's "numbers as of …" line (empty while the numbers are live)."""
    return context.freshness(_visible(tenant)) or ""


def _page_of(pathname: str | None) -> Any:
    return next((p for p in PAGES if pathname == p.PATH), PAGES[0])


def _may_open(page: Any) -> bool:
    user = context.current_user()
    return getattr(page, "ADMIN_ONLY", False) is False or (
        user is not None and user.role == "admin"
    )


def nav_links(pathname: str | None) -> list[Any]:
    """One link per page the user may open; the current one marked (``aria-current="page"``)."""
    here = _page_of(pathname)
    return [dmc.NavLink(label=page.NAME, href=page.PATH, id=f"nav-{page.__name__.rsplit('.', 1)[-1]}",
                        active=page is here, **({"aria-current": "page"} if page is here else {}))
            for page in PAGES if _may_open(page)]  # fmt: skip


def navigation(
    pathname: str | None, search: str | None, tenant: str | None = None
) -> tuple[Any, ...]:
    """On every page change: the navigation, the scheme toggle's way back here, and only the
    filters that apply to this page (a page's ``FILTERS``; all of them by default)."""
    page = _page_of(pathname)
    applies = getattr(page, "FILTERS", FILTER_NAMES)
    here = (pathname if isinstance(pathname, str) else "/") + (
        search if isinstance(search, str) else ""
    )
    target = "dark" if context.brand_of(_visible(tenant)).scheme == "light" else "light"
    hidden = {"display": "none"}
    return (nav_links(pathname), "/scheme?" + urlencode({"to": target, "next": here}),
            hidden if not applies else {}, *[{} if name in applies else hidden for name in FILTER_NAMES])  # fmt: skip


def linked(search: str | None, options: list[Any] | None) -> tuple[Any, Any, Any]:
    """A link's ``?tenant=`` (one the user may see), ``?since=`` and ``?until=`` win over the
    defaults and the remembered choices."""
    query = parse_qs((search or "").lstrip("?")) if isinstance(search, str) else {}

    def first(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    tenant = first("tenant")
    choices = {
        o if isinstance(o, str) else o.get("value")
        for o in options or []
        if isinstance(o, str | dict)
    }
    return (tenant if tenant in choices else no_update, _day(first("since")), _day(first("until")))


def _day(value: str | None) -> Any:
    return value if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else no_update


def shell() -> Any:
    """The frame around every page: the brand in the viewer's scheme, the navigation (only the
    pages this user may open), the scheme toggle, the header's freshness line and the filters;
    the tenant choices are the signed-in user's tenants, the first shown the busiest."""
    user = context.current_user()
    tenants = user.visible(context.store()) if user else []
    since, until = context.default_window()
    first = context.default_tenant(user, tenants)
    brand = context.brand_of(first)
    other = "dark" if brand.scheme == "light" else "light"
    date = {"valueFormat": "YYYY-MM-DD", "persistence": True, "persistence_type": "session", "w": 150,
            "size": "sm", "popoverProps": {"withinPortal": False}}  # fmt: skip
    return dmc.MantineProvider(id="shell-provider", forceColorScheme=brand.scheme, theme=theme.mantine(brand),
                               children=html.Div(id="shell", className="shell", style=theme.variables(brand), children=[
        html.Header(className="topbar", children=[
            html.Strong("Matrix Workbench", className="brand-mark"),
            html.Nav(id="shell-nav", className="nav", children=nav_links("/"), role="navigation"),
            html.Div(className="topbar-end", children=[
                html.Span(context.freshness(first) or "", id="shell-freshness", className="freshness"),
                html.A(f"{other.capitalize()} mode", id="shell-scheme", href=f"/scheme?to={other}&next=/",
                       className="scheme-toggle", title=f"Show the dashboards in {other} colours"),
                html.Span(f"{user.username} · {user.role}" if user else "", id="shell-user", className="user"),
                html.A("Sign out", href="/logout", id="shell-logout"),
            ]),
        ]),
        html.Div(id="shell-filters", className="filters", children=[
            html.Label(["Tenant", dcc.Dropdown(id="filter-tenant", options=tenants, value=first, clearable=False,
                                               persistence=True, persistence_type="session")],
                       id="shell-filter-tenant", className="filter"),
            html.Div([html.Span("From"), dmc.DatePickerInput(id="filter-since", value=since, maxDate=until, **date)],
                     id="shell-filter-since", className="filter"),
            html.Div([html.Span("To"), dmc.DatePickerInput(id="filter-until", value=until, **date)],
                     id="shell-filter-until", className="filter"),
            html.Label(["Grain", dcc.Dropdown(id="filter-grain", options=list(context.GRAINS), value="day",
                                              clearable=False, persistence=True, persistence_type="session")],
                       id="shell-filter-grain", className="filter"),
        ]),
        html.Main(dash.page_container, className="page"),
    ]))  # fmt: skip


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

    @server.route("/scheme")
    def scheme() -> Any:
        """The scheme toggle: remember light or dark for this browser, then back to the page."""
        target = request.args.get("next") or "/"
        if not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
            target = "/"
        answer = redirect(target)
        chosen = request.args.get("to")
        if chosen in ("light", "dark"):
            answer.set_cookie(context.SCHEME_COOKIE, chosen, max_age=365 * 86400, samesite="Lax",
                              httponly=True, secure=request.is_secure)  # fmt: skip
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
