"""The registry of task handlers: task type → function that does the work.

Business modules register their handlers here as they arrive; a task type with no handler goes
to the dead-letter state with the reason ``NO_HANDLER``.
"""

from __future__ import annotations

from matrix.runtime.worker import Handler

_REGISTRY: dict[str, Handler] = {}


def register(task_type: str, handler: Handler) -> None:
    """Register (or replace) the handler of one task type."""
    _REGISTRY[task_type] = handler


def default_handlers() -> dict[str, Handler]:
    """Every registered handler."""
    return dict(_REGISTRY)
