"""The whole exception tree of matrix, in one place.

Every error that matrix raises on purpose derives from :class:`MatrixError`. Messages are full
sentences that say what happened, quote the offending value and give the fix. Each boundary
converts them once: the CLI prints one line and exits with :attr:`MatrixError.exit_code` — 1 for
a failure, an unknown tenant or id, or a business refusal; 2 only for usage and configuration.

    MatrixError
    ├── ConfigError               a setting or URL is wrong (exit 2)
    │   └── UsageError            a command was called wrongly (exit 2)
    │       ├── InvalidValueError a value has the wrong form (a naive time, a malformed row);
    │       │                     also a ValueError
    │       └── PackError         a tenant pack is invalid: every problem with its file and
    │                             JSON pointer; nothing was changed
    ├── MissingDependencyError    an optional extra or a system binary is missing (exit 2)
    ├── ContractError             a document does not match its JSON Schema (schema id + pointer)
    ├── StorageError              the store cannot be reached or refused an operation
    │   ├── StoreLockedError      another process held the embedded store for too long
    │   └── MigrationError        migrations cannot run (e.g. database newer than the code)
    ├── PolicyError               a routing or policy file is invalid (every issue listed)
    ├── ApprovalError             an approval cannot be requested or resolved
    │   ├── ApprovalLimitError    the tenant already has the maximum of pending approvals
    │   └── ApprovalStateError    the approval is not pending (or not found, or expired)
    ├── ProviderError             an AI provider failed; the message is sanitised
    ├── NotFoundError             a tenant, approval, task or record does not exist for this tenant
    │   │                         (exit 1, the same everywhere)
    │   └── UnknownMetricError    no metric of that name in the catalog (also a UsageError, but
    │                             exit 1); the message suggests the closest names
    ├── ConflictError             a record is not in a state that allows the operation: a
    │                             business refusal (exit 1, its reason code in the message)
    ├── WebhookRejectedError      an inbound webhook failed its signature or shape; nothing stored
    ├── TenantIsolationError      an operation tried to cross tenants
    └── AuthenticationError       a bearer token is missing, malformed, unknown, revoked or expired
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix.issues import Issue


class MatrixError(Exception):
    """Base class of every error matrix raises on purpose."""

    exit_code: int = 1


class ConfigError(MatrixError):
    """A setting, URL or file is invalid; the message names it and the fix."""

    exit_code = 2


class UsageError(ConfigError):
    """A command or function was called with arguments that cannot work.

    Attributes:
        issues: when a validator collected them, every problem with the field it names
            (``Issue.where``), so that a boundary can point at each field.
    """

    def __init__(self, message: str, *, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.issues = tuple(issues)


class InvalidValueError(UsageError, ValueError):
    """A value has the wrong form: a naive time, a malformed row of an imported file. It is also
    a ``ValueError``, as Python code expects of a bad value."""


class PackError(UsageError):
    """A tenant pack is invalid; ``issues`` holds every problem, each with its file (``where``)
    and JSON pointer. Nothing was changed."""


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


class PolicyError(ConfigError):
    """A routing or execution-policy file is invalid.

    Attributes:
        issues: every problem found, each naming the file, the rule and the field.
    """

    def __init__(self, issues: list[str]) -> None:
        shown = "; ".join(issues[:5]) + (f"; and {len(issues) - 5} more" if len(issues) > 5 else "")
        super().__init__(f"{len(issues)} problem(s) in the rules: {shown}")
        self.issues = issues


class ApprovalError(MatrixError):
    """An approval cannot be requested or resolved."""

    code = "approval_error"


class ApprovalLimitError(ApprovalError):
    """The tenant already has the maximum number of pending approvals; nothing was stored."""

    code = "confirmation_queue_limit_reached"

    def __init__(self, message: str, *, pending_count: int, max_pending: int) -> None:
        super().__init__(message)
        self.pending_count = pending_count
        self.max_pending = max_pending


class ApprovalStateError(ApprovalError):
    """The approval is not pending: already resolved, expired, or unknown for this tenant."""

    def __init__(self, message: str, *, code: str, status: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ProviderError(MatrixError):
    """An AI provider failed. ``code`` is stable; the message never contains a secret."""

    def __init__(self, message: str, *, code: str = "provider_error", provider: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.provider = provider


class NotFoundError(MatrixError):
    """A tenant, approval, task or record does not exist (for this tenant).

    Attributes:
        code: what was not found, stable (``not_found``, ``charge_not_found``...); the API
            answers 404 with it.
    """

    exit_code = (
        1  # also for UnknownMetricError: an unknown name is an unknown id, not a usage error
    )

    def __init__(self, message: str, *, code: str = "not_found") -> None:
        super().__init__(message)
        self.code = code


class ConflictError(MatrixError):
    """A record is not in a state that allows the operation (a paid charge sent to collection,
    a reminder on a canceled appointment); nothing was changed. The API answers 409 with
    :attr:`code`."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class ForbiddenError(MatrixError):
    """The tenant's settings do not allow the operation (Persona 2 turned off); nothing was
    changed. The API answers 403 with :attr:`code`."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class UnknownMetricError(NotFoundError, UsageError):
    """No metric of that name in the catalog. It is also a :class:`UsageError` (a function was
    called with a wrong name), and exits 1 like every unknown id.

    Attributes:
        name: the name asked for.
        suggestions: the catalog's closest names, best first (may be empty).
    """

    def __init__(self, message: str, *, name: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(message, code="unknown_metric")
        self.name = name
        self.suggestions = tuple(suggestions)


class WebhookRejectedError(MatrixError):
    """An inbound webhook was refused (bad signature, bad JSON, wrong tenant); nothing was stored."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class AuthenticationError(MatrixError):
    """A request's bearer token was refused; the API answers 401 with :attr:`code`.

    Attributes:
        code: why, stable: ``missing_token``, ``malformed_token``, ``bad_checksum``,
            ``unknown_token``, ``revoked_token`` or ``expired_token``. The message never
            contains the token.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code

    @property
    def www_authenticate(self) -> str:
        """The ``WWW-Authenticate`` header of the 401 answer (RFC 6750 §3)."""
        if self.code == "missing_token":
            return 'Bearer realm="matrix"'
        return 'Bearer realm="matrix", error="invalid_token"'
