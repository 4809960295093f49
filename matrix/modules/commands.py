"""What the module command groups share: the correlation a command works on, and one record shown."""

from __future__ import annotations

from typing import Any

from matrix.cli import emit
from matrix.clock import SYSTEM_CLOCK
from matrix.modules.context import Work


def work(tenant_id: str) -> Work:
    """A command's own correlation: it records the same events the runtime would, on it."""
    return Work.new(tenant_id, SYSTEM_CLOCK)


def show(record: dict[str, Any], as_json: bool, fields: tuple[str, ...]) -> None:
    """One record: as JSON, or its ``fields`` as ``name=value`` on a line."""
    emit(record, as_json, lambda r: "  ".join(f"{f}={r.get(f)}" for f in fields))
