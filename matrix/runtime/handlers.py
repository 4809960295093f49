"""The registry of task handlers: task type → function that does the work.

Every business module's handlers are registered by default (from its spec in
``matrix.modules.registry``). A task type with no handler (a custom routing rule's, or
``customer.delete.request``, which the shipped policy denies) goes to the dead-letter state with
the reason ``NO_HANDLER``.
"""

from __future__ import annotations

from matrix.modules import registry
from matrix.runtime.worker import Handler

_REGISTRY: dict[str, Handler] = {}


def register(task_type: str, handler: Handler) -> None:
    """Register (or replace) the handler of one task type."""
    _REGISTRY[task_type] = handler


def default_handlers() -> dict[str, Handler]:
    """The module handlers plus every handler registered here."""
    return {**registry.handlers(), **_REGISTRY}
