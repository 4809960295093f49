"""Errors as the API answers them: one JSON shape, and every library or domain error mapped once.

Every refusal is ``{"error": code, "message": text, "details": [{"path": pointer, "problem":
text}]}`` with a 4xx status; ``details`` points at the offending fields as JSON pointers into the
request (``/request/customer/phone``, ``/query/limit``). Nothing a client sends produces a 5xx: a
failure of ours answers 500 ``internal_error`` without the exception's text (which may carry SQL
or a path), and is logged for the operator.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matrix.errors import (
    ApprovalLimitError,
    ApprovalStateError,
    AuthenticationError,
    ConflictError,
    ContractError,
    ForbiddenError,
    MatrixError,
    NotFoundError,
    ProviderError,
    UsageError,
    WebhookRejectedError,
)

log = logging.getLogger("matrix.api")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message", "details"],
    "properties": {
        "error": {"type": "string", "description": "A stable snake_case code."},
        "message": {"type": "string", "description": "What went wrong and how to fix it."},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "problem"],
                "properties": {"path": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
}
"""The body of every 4xx/5xx answer (``components/schemas/Error`` in the OpenAPI document)."""


@dataclass(frozen=True, kw_only=True)
class Detail:
    path: str
    problem: str


class ApiError(MatrixError):
    """A refusal the API answers with ``status`` and the error body."""

    def __init__(
        self, *, status: int, code: str, message: str, details: Sequence[Detail] = (),
        headers: dict[str, str] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = tuple(details)
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message,
                "details": [{"path": d.path, "problem": d.problem} for d in self.details]}  # fmt: skip


def not_found(what: str, code: str = "not_found") -> ApiError:
    """404 for something this tenant does not have, whether or not another tenant has it."""
    return ApiError(status=404, code=code, message=f"No {what} with that id for this tenant.")


def from_matrix_error(exc: MatrixError) -> ApiError:
    """The API's answer to an error raised by a service (the one place the mapping lives)."""
    message = str(exc)
    match exc:
        case ApiError():
            return exc
        case AuthenticationError():
            return ApiError(status=401, code=exc.code, message=message,
                            headers={"WWW-Authenticate": exc.www_authenticate})  # fmt: skip
        case ApprovalLimitError():
            return ApiError(status=429, code=exc.code, message=message)
        case ApprovalStateError():
            status = 404 if exc.code.endswith("not_found") else 409
            return ApiError(status=status, code=exc.code, message=message)
        case NotFoundError():
            return ApiError(status=404, code=exc.code, message=message)
        case ConflictError():
            return ApiError(status=409, code=exc.code, message=message)
        case ForbiddenError():
            return ApiError(status=403, code=exc.code, message=message)
        case WebhookRejectedError():
            status = 401 if "signature" in exc.code else 400
            return ApiError(status=status, code=exc.code, message=message)
        case ContractError():
            return ApiError(status=400, code="validation_error", message=message,
                            details=[Detail(path=exc.pointer, problem=message)])  # fmt: skip
        case ProviderError():
            return ApiError(status=502, code=exc.code, message=message)
        case UsageError():
            details = [Detail(path=i.pointer or _pointer(i.where), problem=i.message)
                       for i in exc.issues]  # fmt: skip
            return ApiError(status=400, code=getattr(exc, "code", "validation_error"),
                            message=message, details=details)  # fmt: skip
    log.error("unexpected %s in an API request", type(exc).__name__, exc_info=exc)
    return internal_error()


def internal_error() -> ApiError:
    return ApiError(status=500, code="internal_error",
                    message="The server failed to answer; the operator's log has the cause.")  # fmt: skip


def _pointer(where: str) -> str:
    if not where or where.startswith("/"):
        return where
    return "/" + where.replace(".", "/")
