"""Options every command group shares, and how a command gets the wired application.

Command modules (here and in the business modules' packages) import from this module; it imports
no command module, so that the root group can assemble them all without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from matrix.config import Settings
from matrix.errors import UsageError

if TYPE_CHECKING:
    from matrix.app import App
    from matrix.storage import Store
    from matrix.windows import Window

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def storage_option(f: F) -> F:
    return click.option(
        "--storage-url",
        metavar="URL",
        help="Store to use (default: MATRIX_STORAGE_URL, else duckdb:///var/matrix.duckdb).",
    )(f)


# Where ``--tenant`` leaves the tenant it names, for :func:`open_app` to check.
_TENANT_KEY = "matrix.tenant_id"


def _named_tenant(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.meta[_TENANT_KEY] = value
    return value


def tenant_option(f: F) -> F:
    """``--tenant ID``: the tenant must exist; :func:`open_app` refuses an unknown one, the same
    way for every command (exit 1, naming the nearest known tenants)."""
    return click.option(
        "--tenant", "tenant_id", required=True, callback=_named_tenant, help="Tenant id (required)."
    )(f)


def actor_option(help_text: str | None = None) -> Callable[[F], F]:
    """``--actor``, defaulting to the operator setting (MATRIX_OPERATOR, else $USER)."""
    return click.option(
        "--actor", default=lambda: Settings.load().operator, show_default="$USER", help=help_text
    )


def open_app(storage_url: str | None) -> App:
    """The application for a command that reads or writes data (the store must exist and be
    migrated); use it as ``with open_app(url) as app:``.

    Raises:
        NotFoundError: the command's ``--tenant`` names no tenant of the store; the message
            suggests the nearest known ids.
    """
    from matrix.app import build

    app = build(storage_url=storage_url, must_exist=True)
    context = click.get_current_context(silent=True)
    tenant_id = context.meta.get(_TENANT_KEY) if context is not None else None
    if tenant_id is not None:
        try:
            app.store.tenants.require(tenant_id)
        except BaseException:
            app.close()
            raise
    return app


def open_existing(storage_url: str | None) -> Store:
    """The store of :func:`open_app`, for commands that need nothing else."""
    return open_app(storage_url).store


class Number(click.ParamType[float, Any]):
    """A finite number within the bounds given: NaN and infinities are refused by name
    (``click.FloatRange`` lets NaN through)."""

    name = "number"

    def __init__(self, minimum: float | None = None, maximum: float | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from matrix import values

        field = param.opts[0] if param is not None and param.opts else "value"
        return values.number(value, field, minimum=self.minimum, maximum=self.maximum)


def when(value: str | None, option: str) -> datetime | None:
    """A date or time given as ``option``, in UTC (a date alone is its midnight); None stays None.

    Raises:
        UsageError: ``value`` is neither, with an example, or falls outside 1970 to 2199.
    """
    if value is None:
        return None
    from matrix import values
    from matrix.envelopes import parse_timestamp

    try:
        at = parse_timestamp(value if "T" in value else value + "T00:00:00Z")
    except (ValueError, OverflowError):
        raise UsageError(
            f"{option} {values.shown(value)} is not a date; use 2026-11-01 or 2026-11-01T09:00:00Z."
        ) from None
    values.instant(at, option, value)
    return at


def window(app: App, since: str | None, until: str | None, *, days: int | None = None) -> Window:
    """The ``--since``/``--until`` window, defaulting to the one default window every face uses
    (``days`` long when given)."""
    from matrix.windows import DEFAULT_DAYS, default_window

    return default_window(app.clock.now(), days=days or DEFAULT_DAYS,
                          since=when(since, "--since"), until=when(until, "--until"))  # fmt: skip
