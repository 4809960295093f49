"""The whole exception tree of matrix, in one place.

Every error that matrix raises on purpose derives from :class:`MatrixError`. Messages are full
sentences that say what happened, quote the offending value and give the fix. Each boundary
converts them once: the CLI prints one line and exits with :attr:`MatrixError.exit_code`.

    MatrixError
    ├── ConfigError               a setting or URL is wrong (exit 2)
    │   └── UsageError            a command was called wrongly (exit 2)
    ├── MissingDependencyError    an optional extra or a system binary is missing (exit 2)
    ├── ContractError             a document does not match its JSON Schema (schema id + pointer)
    ├── StorageError              the store cannot be reached or refused an operation
    │   ├── StoreLockedError      another process held the embedded store for too long
    │   └── MigrationError        migrations cannot run (e.g. database newer than the code)
    └── TenantIsolationError      an operation tried to cross tenants
"""

from __future__ import annotations


class MatrixError(Exception):
    """Base class of every error matrix raises on purpose."""

    exit_code: int = 1


class ConfigError(MatrixError):
    """A setting, URL or file is invalid; the message names it and the fix."""

    exit_code = 2


class UsageError(ConfigError):
    """A command or function was called with arguments that cannot work."""


class MissingDependencyError(MatrixError):
    """Something matrix needs is not installed; the message gives the install line."""

    exit_code = 2


class ContractError(MatrixError):
    """A document does not validate against its JSON Schema.

    Attributes:
        schema_id: the ``$id`` of the schema that rejected the document.
        pointer: JSON pointer (RFC 6901) to the offending value, ``""`` for the root.
        value: the offending value (``None`` when the problem is a missing member).
    """

    def __init__(
        self, message: str, *, schema_id: str = "", pointer: str = "", value: object = None
    ) -> None:
        super().__init__(message)
        self.schema_id = schema_id
        self.pointer = pointer
        self.value = value


class StorageError(MatrixError):
    """The store cannot be reached or refused an operation."""


class StoreLockedError(StorageError):
    """Another process held the embedded store longer than the lock timeout."""


class MigrationError(StorageError):
    """Migrations cannot run; the store was left unchanged."""

    exit_code = 2


class TenantIsolationError(MatrixError):
    """An operation tried to read or write across tenants."""
