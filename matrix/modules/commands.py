"""What the module command groups share: the correlation a command works on, and one record shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from matrix.cli.options import json_option, storage_option, tenant_option
from matrix.cli.output import emit
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
