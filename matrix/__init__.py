"""Matrix Workbench: run and measure an AI-concierge SaaS from notebooks, dashboards and CI."""

from __future__ import annotations

from matrix.clock import Clock, FrozenClock, SystemClock, VirtualClock
from matrix.config import Settings
from matrix.errors import (
    ConfigError,
    ContractError,
    MatrixError,
    MigrationError,
    MissingDependencyError,
    StorageError,
    StoreLockedError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "ConfigError",
    "ContractError",
    "FrozenClock",
    "MatrixError",
    "MigrationError",
    "MissingDependencyError",
    "Settings",
    "StorageError",
    "StoreLockedError",
    "SystemClock",
    "UsageError",
    "VirtualClock",
    "__version__",
]
