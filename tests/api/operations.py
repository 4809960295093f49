"""Every operation of the API's OpenAPI document, for the tests that must cover each one.

The fuzz and the tenant-isolation tests know no route: they read the app's own document
(``build_fastapi(app).openapi()``), so a route group that lands is covered with no change. The
document is built at collection, over an in-memory store that serves no request, because pytest
names one test per operation before any fixture exists; :class:`Target` lets schemathesis be set
up then and send its requests to the world a fixture builds later.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, settings

from matrix.api import build_fastapi
from matrix.app import build
from matrix.clock import FrozenClock
from matrix.config import Settings
from tests.api.conftest import ApiWorld, make_world

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

settings.register_profile(
    "api",
    deadline=None,  # an in-process request on a shared machine has no stable duration
    derandomize=True,  # the same requests on every run and in CI
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
PROFILE = settings.get_profile("api")
"""What both tests run under; each sets its own ``max_examples`` per operation."""


@functools.cache
def document() -> dict[str, Any]:
    """The app's OpenAPI document, with every route group registered."""
    wired = build(Settings.load(storage_url="duckdb:///:memory:"))
    try:
        return build_fastapi(wired).openapi()
    finally:
        wired.close()


@dataclass(frozen=True)
class Operation:
    """One method on one path of the document."""

    method: str
    """Upper case: ``GET``."""
    path: str
    """The template: ``/v1/customers/{customer_id}``."""
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        """Declared to need no token (``security: []``)."""
        return self.spec.get("security") == []

    @property
    def takes_body(self) -> bool:
        return "requestBody" in self.spec

    def parameters(self, where: str) -> list[dict[str, Any]]:
        """The declared parameters ``in`` path or query."""
        return [p for p in self.spec.get("parameters", []) if p.get("in") == where]

    def url(self, values: dict[str, str] | None = None) -> str:
        """The path with each ``{name}`` filled (``"x"`` when not given)."""
        values = values or {}
        return re.sub(
            r"\{([^}]+)\}", lambda m: quote(values.get(m.group(1), "x"), safe=""), self.path
        )


def operations() -> list[Operation]:
    """Every operation of the document, in its order."""
    return [Operation(method.upper(), path, spec)
            for path, item in document()["paths"].items()
            for method, spec in item.items() if method in METHODS]  # fmt: skip


def declared_methods(url: str) -> set[str]:
    """The methods the document declares for a concrete ``url``, on any template it matches
    (``/v1/x/{id}`` and ``/v1/x/export`` both match ``/v1/x/export``)."""
    found: set[str] = set()
    for path, item in document()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
        if re.fullmatch(pattern, url):
            found |= {m.upper() for m in item if m in METHODS}
    return found


def resolve(schema: Any) -> Any:
    """``schema`` with a top-level ``$ref`` into the document's components followed."""
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document()["components"]["schemas"][name]
    return schema


def request_schema(operation: Operation) -> dict[str, Any] | None:
    body = operation.spec.get("requestBody", {}).get("content", {}).get("application/json")
    return resolve(body["schema"]) if body else None


def world(tmp: Path, clock: FrozenClock | None = None) -> Iterator[ApiWorld]:
    """The API on a fresh DuckDB store in ``tmp``, tenants ``acme`` and ``globex`` with a token
    each, and no rate limit (a 429 would hide what the request itself gets)."""
    yield from make_world(f"duckdb:///{tmp / 'store.duckdb'}", clock, api_rate_per_minute=0)


class Target:
    """An ASGI app that forwards to the one :meth:`point` was given."""

    def __init__(self) -> None:
        self.app: Any = None

    def point(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "no API to send to: the test's world fixture points it"
        await self.app(scope, receive, send)


def walk(
    value: Any, pointer: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every ``(pointer, leaf)`` of a JSON value; an empty object or array is a leaf."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from walk(item, (*pointer, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from walk(item, (*pointer, index))
    else:
        yield pointer, value


def pointer_text(pointer: tuple[str | int, ...]) -> str:
    return "/" + "/".join(str(p) for p in pointer)
