"""The business modules as a registry: each module package exports one :class:`ModuleSpec`
(``SPEC`` in its ``spec.py``).

A spec names what the module brings — its task handlers, its scheduler jobs, the outcomes it
reports for outbound messages, its CLI command group and its tables — so that the worker, the
scheduler, the command line and storage iterate over the registry instead of central lists. A new
task type touches its module's package, ``contracts/`` and the policy data, nothing else.

Packages and command groups are named by dotted path and imported on first use, so a module
package may import this file without an import cycle.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from matrix.clock import Clock
from matrix.errors import ConfigError
from matrix.modules.context import Outcome
from matrix.modules.ports import ModuleStore, Transport
from matrix.modules.tasks import Handler

PACKAGES = (
    "matrix.modules.customers",
    "matrix.modules.agenda",
    "matrix.modules.billing",
    "matrix.modules.crm",
    "matrix.modules.agreements",
)
"""Every module package, in the order their jobs run (reminders queue messages that the CRM's
outbound job then sends in the same round)."""


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    """One module table: ``store.modules.<attr>`` over SQL table ``name`` keyed by ``key``."""

    attr: str
    name: str
    key: str
    columns: tuple[str, ...]


class JobContext(Protocol):
    """What a module's scheduler job gets: the store, the clock and the outbound transport."""

    @property
    def store(self) -> ModuleStore: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def transport(self) -> Transport: ...

    @property
    def outcomes(self) -> Mapping[str, Outcome]: ...

    def outbound_tenants(self) -> Collection[str] | None:
        """The tenants whose messages can be sent now (None: every tenant)."""
        ...


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """A periodic job: ``run`` returns how much it did (0 when idle)."""

    name: str
    every_seconds: float
    run: Callable[[JobContext], int]


@dataclass(frozen=True, kw_only=True)
class ModuleSpec:
    """What one business module brings to the runtime, the scheduler, the CLI and storage."""

    name: str
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    jobs: tuple[JobSpec, ...] = ()
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    """Outbound context type (``reminder``, ``collection``…) → who reports a send's outcome."""
    commands: str | None = None
    """The click group as ``package.module:attribute``, imported only by the command line."""
    tables: tuple[TableSpec, ...] = ()


@functools.cache
def specs() -> tuple[ModuleSpec, ...]:
    """Every registered module's spec, in :data:`PACKAGES` order."""
    found = []
    for package in PACKAGES:
        spec = getattr(importlib.import_module(f"{package}.spec"), "SPEC", None)
        if not isinstance(spec, ModuleSpec):
            raise ConfigError(f"{package}.spec defines no SPEC (a ModuleSpec); add one.")
        found.append(spec)
    return tuple(found)


def handlers() -> dict[str, Handler]:
    """Task type → handler, over every module (a type claimed twice is a configuration error)."""
    return _merged("task type", {s.name: s.handlers for s in specs()})


def outcomes() -> dict[str, Outcome]:
    """Outbound context type → the module's outcome reporter."""
    return _merged("outbound context", {s.name: s.outcomes for s in specs()})


def jobs() -> tuple[JobSpec, ...]:
    return tuple(job for spec in specs() for job in spec.jobs)


def tables() -> tuple[TableSpec, ...]:
    return tuple(table for spec in specs() for table in spec.tables)


def command_groups() -> list[Any]:
    """Every module's click group, imported now (only the command line calls this)."""
    groups = []
    for spec in specs():
        if spec.commands:
            module, _, attribute = spec.commands.partition(":")
            groups.append(getattr(importlib.import_module(module), attribute))
    return groups


def _merged(what: str, by_module: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for module, entries in by_module.items():
        for key, value in entries.items():
            if key in merged:
                raise ConfigError(
                    f"The {what} {key!r} is claimed by modules {owner[key]!r} and {module!r};"
                    " give it to one of them."
                )
            merged[key], owner[key] = value, module
    return merged
