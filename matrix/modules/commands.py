"""What the module command groups share: the correlation a command works on, one record shown,
and a table of one module table's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from matrix.cli.options import json_option, open_existing, storage_option, tenant_option
from matrix.cli.output import emit, table
from matrix.clock import SYSTEM_CLOCK
from matrix.modules.context import Work

F = TypeVar("F", bound=Callable[..., Any])


def tenant_command(f: F) -> F:
    """The options every module command takes: --tenant, --storage-url and --json."""
    return tenant_option(storage_option(json_option(f)))


def work(tenant_id: str) -> Work:
    """A command's own correlation: it records the same events the runtime would, on it."""
    return Work.new(tenant_id, SYSTEM_CLOCK)


def show(record: dict[str, Any], as_json: bool, fields: tuple[str, ...]) -> None:
    """One record: as JSON, or its ``fields`` as ``name=value`` on a line."""
    emit(record, as_json, lambda r: "  ".join(f"{f}={r.get(f)}" for f in fields))


def list_rows(storage_url: str | None, as_json: bool, tenant_id: str, name: str,
              columns: tuple[str, ...], *, order: str | None = None) -> None:  # fmt: skip
    """The tenant's rows of the module table ``name`` (newest first, or by ``order``), as JSON or
    as a table of ``columns``."""
    with open_existing(storage_url) as store:
        found = getattr(store.modules, name).find
        rows = found(tenant_id, limit=10_000, **({"order": order} if order else {}))
    emit(rows, as_json, lambda r: table(r, columns))
