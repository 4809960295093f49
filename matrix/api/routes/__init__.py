"""The API's route groups: each module here has ``register(api)`` (see ``matrix.api.routing``).

Every module in this package is registered, in name order; a new group is a new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def groups() -> list[ModuleType]:
    """Every route module of this package, by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
