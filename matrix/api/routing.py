"""How a route is declared: its path, the contract of its body and answer, and one service call.

A route module has a ``register(api)`` function whose routes read like this::

    @api.post("/v1/customers", request="customers.create_request",
              response="customers.create_response", errors=(404,))
    def create_customer(call: Call) -> dict[str, Any]:
        customer, status = service.upsert(call.store, call.work(), ...)
        return {"response": {...}}

``call`` is the authenticated request: its validated body (``call.request`` is the body's
``request`` member), the tenant it acts for (``call.tenant_id``, checked against the token) and
the application. Path and query parameters are declared as keyword parameters, as in FastAPI.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Query, Request

from matrix import envelopes as env
from matrix.api.auth import Caller, RateLimiter, caller
from matrix.api.errors import ApiError, Detail
from matrix.api.limits import BODY_METHODS
from matrix.api.schemas import Schemas
from matrix.modules.context import Work

if TYPE_CHECKING:
    from matrix.app import App
    from matrix.storage import Store

STATUS_TEXT = {
    400: "The request is malformed or breaks the contract (details name each field).",
    401: "No valid bearer token.",
    403: "The token may not do this.",
    404: "Not found for this tenant.",
    405: "Method not allowed on this path.",
    409: "The record is not in a state that allows this.",
    413: "The body is too large.",
    415: "The body is not JSON.",
    429: "Too many requests (Retry-After says when to retry) or a queue limit reached.",
    502: "An upstream provider failed.",
    503: "An integration is not configured.",
}
COMMON_ERRORS = (400, 401, 404, 429)
BODY_ERRORS = (413, 415)
"""What :class:`matrix.api.limits.BodyLimits` answers to any POST, PUT or PATCH."""

TenantQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=120, description="The tenant (default: the token's own)."),
]
"""The ``tenant_id`` query parameter of a GET; check it with :meth:`Call.for_tenant`."""


@dataclass(kw_only=True)
class Call:
    """One authenticated request, as a route sees it."""

    caller: Caller
    body: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""
    """The body's exact bytes, on a route declared ``raw=True`` (which checks them itself)."""

    @property
    def app(self) -> App:
        return self.caller.app

    @property
    def store(self) -> Store:
        return self.caller.app.store

    @property
    def request(self) -> dict[str, Any]:
        """The body's ``request`` member ({} for a GET)."""
        inner = self.body.get("request", {})
        return inner if isinstance(inner, dict) else {}

    @cached_property
    def tenant_id(self) -> str:
        """The tenant named by the body (``request.tenant_id``), else the token's own."""
        return self.caller.tenant(self.request.get("tenant_id"))

    def for_tenant(self, tenant_id: str | None) -> str:
        """The tenant named by a query parameter, checked as :attr:`tenant_id` is."""
        return self.caller.tenant(tenant_id)

    def work(self) -> Work:
        """The operation's trace: the request's ``correlation_id`` when it gives one."""
        work = Work.new(self.tenant_id, self.app.clock)
        correlation = self.request.get("correlation_id")
        if isinstance(correlation, str) and correlation:
            return Work(tenant_id=work.tenant_id, clock=work.clock, correlation_id=correlation,
                        trace_id=work.trace_id)  # fmt: skip
        return work


class Api:
    """The FastAPI application being assembled, with the contracts its routes name."""

    def __init__(self, fastapi: FastAPI, app: App, schemas: Schemas, limiter: RateLimiter) -> None:
        self.fastapi = fastapi
        self.app = app
        self.schemas = schemas
        self.limiter = limiter

    def get(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self.route("PATCH", path, **kwargs)

    def route(
        self, method: str, path: str, *, response: str | None = None, request: str | None = None,
        errors: Sequence[int] = (), public: bool = False, tags: Sequence[str] = (),
        summary: str | None = None, raw: bool = False, media_types: Sequence[str] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:  # fmt: skip
        """Declare ``method path``: its body contract ``request``, its answer ``response``, the
        error statuses beyond the common ones, and whether it needs no token (``public``).

        With ``raw``, the route gets the body's exact bytes (``call.raw``) unparsed and
        unchecked (a signed webhook verifies them first); ``request`` still documents it.
        A route whose 200 answer is not JSON (audio) names its ``media_types`` instead of a
        ``response`` and returns a ``fastapi.Response``; its errors are JSON as everywhere.
        """
        assert (response is None) != (not media_types), f"{path}: response or media_types"

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            declared = set(errors) | set(COMMON_ERRORS) - ({401} if public else set())
            statuses = sorted(declared | set(BODY_ERRORS if method in BODY_METHODS else ()))
            content = (
                _json(self.schemas.ref(response)) if response is not None
                else {m: {"schema": {"type": "string", "format": "binary"}} for m in media_types}
            )  # fmt: skip
            responses: dict[int | str, Any] = {200: {"description": "OK", "content": content}}
            for status in statuses:
                responses[status] = {"description": STATUS_TEXT.get(status, "Error"),
                                     "content": _json({"$ref": "#/components/schemas/Error"})}  # fmt: skip
            extra: dict[str, Any] = {}
            if request is not None:
                extra["requestBody"] = {"required": True,
                                        "content": _json(self.schemas.ref(request))}  # fmt: skip
            if public:
                extra["security"] = []
            self.fastapi.add_api_route(
                path, self._endpoint(fn, request, public, raw, path), methods=[method],
                responses=responses, openapi_extra=extra, tags=list(tags) or None,
                summary=summary, description=inspect.getdoc(fn), operation_id=fn.__name__,
                response_model=None,
            )  # fmt: skip
            return fn

        return register

    def _endpoint(
        self,
        fn: Callable[..., Any],
        request: str | None,
        public: bool,
        raw: bool = False,
        path: str = "",
    ) -> Callable[..., Any]:
        """``fn`` with its ``call`` parameter replaced by the request it is built from.

        Only reading the body waits on the event loop; the token check, the validation and the
        service call run in FastAPI's thread pool, as the store's calls block. The token is
        checked by a dependency, which FastAPI resolves before the path and query parameters:
        a request without a valid token is a 401 whatever else is wrong with it.
        """
        app, schemas, limiter = self.app, self.schemas, self.limiter

        def identified(http: Request) -> Caller:
            if public:
                return Caller(app=app, identity=None)
            return caller(app, limiter, http.headers.get("authorization"))

        identity = Depends(identified)  # a closure, so not an annotation FastAPI could resolve

        async def arrived(http: Request, who: Caller = identity) -> tuple[Caller, bytes]:
            refuse_unknown_query(http, known)
            body = await http.body() if request is not None or raw else b""
            return who, body

        signature = inspect.signature(fn)
        hints = typing.get_type_hints(fn, include_extras=True)
        known = {p.name for p in signature.parameters.values() if p.name != "call"}
        path_names = set(re.findall(r"{(\w+)}", path))
        params = [
            p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation),
                      **({"default": Depends(arrived)} if p.name == "call" else {}))
            for p in signature.parameters.values()
        ]  # fmt: skip

        def endpoint(**kwargs: Any) -> Any:
            who, sent = kwargs.pop("call")
            for name, value in kwargs.items():
                refuse_nul(value, f"/{'path' if name in path_names else 'query'}/{name}")
            if raw:
                return fn(call=Call(caller=who, raw=sent), **kwargs)
            body: dict[str, Any] = {}
            if request is not None:
                body = parse_json(sent)
                schemas.check(request, body)
            return fn(call=Call(caller=who, body=body), **kwargs)

        endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=params, return_annotation=inspect.Signature.empty
        )
        endpoint.__name__ = fn.__name__
        return endpoint


def refuse_unknown_query(http: Request, known: set[str]) -> None:
    """A query parameter the route does not take, or one given twice, is a mistake to name, not
    to ignore (every parameter of the API is a single value).

    Raises:
        ApiError: 400 ``repeated_parameter``, or ``unknown_parameter`` naming each one and the
            ones the route takes.
    """
    names = [name for name, _ in http.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ApiError(
            status=400, code="repeated_parameter",
            details=[Detail(path=f"/query/{name}", problem="given more than once") for name in repeated],
            message=f"Query parameter(s) {', '.join(map(repr, repeated))} given more than once; give each once.",
        )  # fmt: skip
    unknown = sorted({name for name in http.query_params if name not in known})
    if unknown:
        takes = sorted(known - set(http.path_params))
        raise ApiError(
            status=400, code="unknown_parameter",
            details=[Detail(path=f"/query/{name}", problem="not a parameter of this route") for name in unknown],
            message=f"Unknown query parameter(s) {', '.join(map(repr, unknown))}; this route takes "
            + (", ".join(takes) if takes else "none") + ".",
        )  # fmt: skip


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` (as the origin read it).

    ``NaN``, ``Infinity`` and numbers too large for a float (``1e309``) are not JSON numbers:
    Python's reader takes them, but nothing could store or answer them.

    Raises:
        ApiError: 400 ``invalid_json`` when it is not JSON, or not an object.
    """
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_not_a_number, parse_float=_finite)
    except (
        ValueError,
        UnicodeDecodeError,
        RecursionError,
    ) as exc:  # nested too deep: not JSON we take
        raise ApiError(status=400, code="invalid_json",
                       message=f"The body is not valid JSON ({exc}); send a JSON object.") from None  # fmt: skip
    if not isinstance(body, dict):
        raise ApiError(status=400, code="invalid_json",
                       message=f"The body must be a JSON object, not {type(body).__name__}.")  # fmt: skip
    refuse_nul(body, "")
    return body


def _not_a_number(constant: str) -> float:
    raise ApiError(status=400, code="invalid_json",
                   message=f"The body holds {constant}, which is not a JSON number; give a finite number, or null.")  # fmt: skip


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ApiError(status=400, code="invalid_json",
                       message=f"The body holds the number {text[:40]}, too large to read; give a finite number.")  # fmt: skip
    return number


def refuse_nul(value: Any, pointer: str) -> None:
    """Refuse a NUL character in a key or a value, at any depth (see :func:`env.nul_pointer`).

    Raises:
        ApiError: 400 ``invalid_text`` pointing at the first string that holds one.
    """
    found = env.nul_pointer(value, pointer)
    if found is not None:
        problem = "contains a NUL character (\\u0000)"
        raise ApiError(status=400, code="invalid_text", details=[Detail(path=found, problem=problem)],
                       message=f"{found} {problem}; remove it.")  # fmt: skip


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def orchestration(
    work: Work, event: str | None = None, *, command_id: str | None = None,
    events: Sequence[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The ``orchestration`` member of an answer: what the request recorded, on which trace."""
    shown: dict[str, Any] = {"correlation_id": work.correlation_id, "command_id": command_id,
                             "lifecycle_event_name": event}  # fmt: skip
    if events is not None:
        shown["lifecycle_events"] = list(events)
    return shown


def listing(
    tenant_id: str, items: Sequence[dict[str, Any]], total: int | None = None
) -> dict[str, Any]:
    """A list answer, as the origin shaped them: ``{tenant_id, count, items}`` (+ ``total``)."""
    body: dict[str, Any] = {"tenant_id": tenant_id, "count": len(items), "items": list(items)}
    if total is not None:
        body["total"] = total
    return body
