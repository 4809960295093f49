"""What every page shares: the store, the signed-in user, the filters, and a guard that turns a
user's mistake into a message on the page (never a traceback)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from dash import html

from matrix import brand, formats
from matrix.access import User
from matrix.app import App, build
from matrix.clock import SYSTEM_CLOCK, Clock
from matrix.config import Settings
from matrix.envelopes import parse_timestamp
from matrix.errors import MatrixError, UsageError
from matrix.metrics.engine import GRAINS as ENGINE_GRAINS
from matrix.storage import Store
from matrix.web import public_message
from matrix.windows import default_window as window_for

GRAINS = tuple(
    g for g in ENGINE_GRAINS if g != "all"
)  # a filter picks buckets; "all" is one number


@dataclass
class _Runtime:
    store: Store | None = None
    settings: Settings | None = None
    app: App | None = None


RUNTIME = _Runtime()


def store() -> Store:
    if RUNTIME.store is None:
        raise MatrixError("The dashboards have no store; start them with `matrix serve`.")
    return RUNTIME.store


def application() -> App:
    """The application wired around the dashboards' store (the concierge, the transports)."""
    if RUNTIME.app is None or RUNTIME.app.store is not store():
        RUNTIME.app = build(store=store(), clock=store().clock)
    return RUNTIME.app


def outbound_notice(page: str, tenant_id: str) -> list[html.Div]:
    """A warning on ``page`` when the tenant's outbound WhatsApp delivery is off (never silently
    nothing)."""
    off = application().outbound_off_for(tenant_id)
    notice = html.Div(
        off, className="alert alert-warning", role="status", id=f"{page}-outbound-off"
    )
    return [notice] if off else []


def current_user() -> User | None:
    """The signed-in user of this request (None outside a request or when signed out)."""
    from flask import has_request_context
    from flask_login import current_user as proxy

    if not has_request_context() or not proxy.is_authenticated:
        return None
    user: User = proxy._get_current_object()  # loaded once per request by the app's user_loader
    return user


@dataclass(frozen=True)
class Filters:
    tenant: str
    since: datetime
    until: datetime
    grain: str


def clock() -> Clock:
    """The clock of the dashboards' store (the system clock before one is set)."""
    return RUNTIME.store.clock if RUNTIME.store is not None else SYSTEM_CLOCK


def default_window(now: datetime | None = None) -> tuple[str, str]:
    """The default filter dates (ISO) of :func:`matrix.windows.default_window`: the last 14 days,
    ending tomorrow so today is included."""
    window = window_for(now or clock().now())
    return window.since.date().isoformat(), window.until.date().isoformat()


def filters(user: User | None, tenant: str | None, since: str | None, until: str | None,
            grain: str | None = "day") -> Filters:  # fmt: skip
    """Check the shared filters for ``user``; every problem names the filter and the fix."""
    if user is None:
        raise UsageError("Sign in again: your session has ended.")
    tenant = user.require(store(), tenant)
    start, end = _date(since, "start date"), _date(until, "end date")
    if end <= start:
        raise UsageError(
            f"The end date {until} is not after the start date {since}; pick an end after the start."
        )
    if grain not in GRAINS:
        raise UsageError(f"Grain must be one of {', '.join(GRAINS)}.")
    return Filters(tenant=tenant, since=start, until=end, grain=grain)


def _date(value: str | None, label: str) -> datetime:
    if not value:
        raise UsageError(f"Choose a {label}.")
    try:
        return parse_timestamp(value if "T" in value else value + "T00:00:00Z")
    except ValueError:
        raise UsageError(f"The {label} {value!r} is not a date; use the form 2026-11-01.") from None


F = TypeVar("F", bound=Callable[..., Any])


def message(text: str, kind: str = "error") -> html.Div:
    return html.Div(text, className=f"alert alert-{kind}", role="alert")


def shown_error(exc: MatrixError) -> str:
    """What a user may read of ``exc``: never SQL, the store's URL or its file path."""
    hidden: tuple[str, ...] = ()
    if RUNTIME.store is not None:
        url = RUNTIME.store.url
        hidden = (
            url,
            url.split(":///", 1)[-1],
            str(Path(RUNTIME.store.settings.reports_dir).resolve()),
        )
    return public_message(exc, hidden=hidden)


def guarded(*rest: Any) -> Callable[[F], F]:
    """Callback decorator: a MatrixError (bad filter, unknown tenant, refused action) becomes a
    message in the first output; further outputs get the empty values in ``rest``."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except MatrixError as exc:
                shown = message(shown_error(exc))
                return (shown, *rest) if rest else shown

        return inner  # type: ignore[return-value]

    return wrap


SCHEME_COOKIE = "matrix-scheme"


def scheme() -> str | None:
    """The viewer's scheme (``light`` or ``dark``, from the shell's toggle, kept in a cookie per
    browser); None outside a request or before a choice (the palette's own scheme then)."""
    from flask import has_request_context, request

    if not has_request_context():
        return None
    chosen = request.cookies.get(SCHEME_COOKIE)
    return chosen if chosen in ("light", "dark") else None


ZONE_COOKIE = "matrix-tz"


def viewer_zone() -> str:
    """The viewer's time zone (IANA name, sent by the browser in a cookie set by
    ``assets/timezone.js``) for :func:`matrix.formats.when`; UTC outside a request, before the
    browser has said, or for a name that is not a zone."""
    from flask import has_request_context, request

    if not has_request_context():
        return "UTC"
    name = unquote(request.cookies.get(ZONE_COOKIE) or "")
    return name if len(name) <= 64 and formats.zone(name).key == name else "UTC"


def brand_of(tenant: str | None) -> brand.Brand:
    """The tenant's brand from its runtime config (palette, default scheme and custom colours,
    :func:`matrix.brand.from_config`) in the viewer's scheme; the tenant's own scheme while the
    viewer has not chosen one. Custom colours that do not hold in the viewer's scheme give way
    to the palette's."""
    spec = _brand_config(tenant)
    chosen = scheme()
    return brand.from_config({**spec, "scheme": chosen or spec.get("scheme")})


ENGINE_WORDS = {"duckdb": "DuckDB", "parquet": "Parquet", "clickhouse": "ClickHouse", "clickhouses": "ClickHouse",
                "chdb": "ClickHouse (in-process)", "postgresql": "PostgreSQL", "postgres": "PostgreSQL"}  # fmt: skip


def freshness(tenant: str | None) -> str | None:
    """One line for the page header on how fresh the numbers are: ``numbers live`` when the
    operational store answers the metrics itself; else ``numbers as of 5 min ago`` (the least
    recently copied table of the analytics store) and its engine, in words (never its URL or
    path). None without a tenant."""
    if not tenant or store().tenants.get(tenant) is None:
        return None
    status = application().analytics.status(tenant)
    engine = ENGINE_WORDS.get(
        status.engine.split(":", 1)[0].split(" ", 1)[0], "the analytics store"
    )
    if status.live:
        return f"numbers live · {engine}"
    copied = [t for t in status.tables if t.synced_at is not None]
    if not copied:
        if not status.tables:  # no analytics store: each query copies the tenant's rows
            return f"numbers live · {engine}, copied for each query (slow: set an analytics store)"
        return f"numbers not copied yet to {engine}: run `matrix analytics sync`"
    oldest = min(copied, key=lambda t: t.synced_at or clock().now())
    assert oldest.synced_at is not None
    behind = sum(t.rows_behind or 0 for t in status.tables)
    waiting = f" · {formats.count(behind)} new rows not copied yet" if behind else ""
    return f"numbers as of {formats.ago(oldest.synced_at, clock().now())} · {engine}{waiting}"


def default_tenant(user: User | None, tenants: list[str]) -> str | None:
    """The tenant a page opens on: the busiest of ``tenants`` over the default window (most
    activity), for an admin; a manager's first tenant otherwise."""
    if not tenants:
        return None
    if user is None or user.role != "admin" or len(tenants) == 1:
        return tenants[0]
    from matrix.metrics.activity import busiest

    window = window_for(clock().now())
    return busiest(store(), tenants, since=window.since, until=window.until)


def _brand_config(tenant: str | None) -> dict[str, Any]:
    """The tenant's runtime config ``brand`` section (palette, scheme, colours); the defaults
    for no tenant or an unknown one."""
    from matrix.concierge.runtime_config import normalize

    known = tenant is not None and store().tenants.get(tenant) is not None
    stored = store().runtime_config.get(tenant) if known and tenant is not None else None
    return dict(normalize({}, stored[0] if stored else None)[0]["brand"])


def palette(tenant: str | None) -> str:
    """The tenant's brand palette (runtime config ``brand.palette``), darkgreen by default."""
    return str(_brand_config(tenant)["palette"])


FILTERS = ("filter-tenant", "filter-since", "filter-until", "filter-grain")


def filter_inputs() -> list[Any]:
    """The shared filters as callback inputs (tenant, start, end, grain)."""
    from dash import Input

    return [Input(name, "value") for name in FILTERS]
