"""The FastAPI application: routes from ``matrix.api.routes``, errors as JSON, the document.

``create_api(app)`` builds it over one wired :class:`matrix.app.App`. The OpenAPI 3.1 document is
the app's own, with the bodies of ``contracts/http/`` as its components; ``contracts/openapi.json``
is a committed copy, kept equal by a test (``matrix contracts openapi --write`` refreshes it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match

from matrix.api.auth import RateLimiter
from matrix.api.errors import ApiError, Detail, from_matrix_error, internal_error
from matrix.api.limits import BodyLimits
from matrix.api.routes import groups
from matrix.api.routing import Api
from matrix.api.schemas import Schemas
from matrix.contracts import Catalog
from matrix.errors import MatrixError

if TYPE_CHECKING:
    from matrix.app import App

log = logging.getLogger("matrix.api")
TITLE = "Matrix Workbench API"
VERSION = "1.0.0"
QUERY_CODES = {"limit": "invalid_limit", "offset": "invalid_offset"}


def create_api(app: App) -> Any:
    """The API over ``app`` as an ASGI application (the FastAPI app inside its body limits)."""
    return BodyLimits(build_fastapi(app), max_bytes=app.settings.api_max_body_bytes)


def build_fastapi(app: App) -> FastAPI:
    """The FastAPI application itself, every route group registered."""
    fastapi = FastAPI(title=TITLE, version=VERSION, docs_url="/docs", redoc_url=None,
                      openapi_url="/openapi.json")  # fmt: skip
    schemas = Schemas(Catalog(app.settings.contracts_dir))
    api = Api(fastapi, app, schemas, RateLimiter(app.settings.api_rate_per_minute))
    for group in groups():
        group.register(api)
    _install_errors(fastapi)
    fastapi.openapi = lambda: document(fastapi, schemas)  # type: ignore[method-assign]
    return fastapi


def document(fastapi: FastAPI, schemas: Schemas) -> dict[str, Any]:
    """The OpenAPI document: FastAPI's paths with our error answers and contract components."""
    if fastapi.openapi_schema:
        return fastapi.openapi_schema
    from fastapi.openapi.utils import get_openapi

    doc = get_openapi(title=TITLE, version=VERSION, routes=fastapi.routes, openapi_version="3.1.0",
                      description="Matrix's HTTP API: the origin's routes under /v1, per-tenant bearer tokens.")  # fmt: skip
    for operation in (op for item in doc.get("paths", {}).values() for op in item.values()):
        responses = operation.get("responses", {})
        validation = responses.pop("422", None)
        if validation is not None:  # FastAPI's own; parameter errors answer 400 here
            responses.setdefault("400", {"description": "Bad parameters.",
                                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})  # fmt: skip
        if operation.get("security") != []:
            operation["security"] = [{"bearerToken": []}]
            responses.setdefault("401", {"description": "No valid bearer token.",
                                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})  # fmt: skip
    components = doc.setdefault("components", {})
    components["schemas"] = schemas.components()
    components["securitySchemes"] = {"bearerToken": {
        "type": "http", "scheme": "bearer",
        "description": "A token from `matrix token create --tenant T` (mxt_…) or `--admin` (mxa_…).",
    }}  # fmt: skip
    fastapi.openapi_schema = doc
    return doc


def write_document(app: App, path: Path) -> bool:
    """Write the app's OpenAPI document to ``path``; returns whether it changed."""
    text = json.dumps(build_fastapi(app).openapi(), indent=2, sort_keys=False) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _install_errors(fastapi: FastAPI) -> None:
    def answer(error: ApiError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    @fastapi.exception_handler(ApiError)
    async def on_api_error(_: Request, exc: ApiError) -> JSONResponse:
        return answer(exc)

    @fastapi.exception_handler(MatrixError)
    async def on_matrix_error(_: Request, exc: MatrixError) -> JSONResponse:
        return answer(from_matrix_error(exc))

    @fastapi.exception_handler(RequestValidationError)
    async def on_parameters(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [Detail(path="/" + "/".join(str(p) for p in e.get("loc", ())), problem=str(e.get("msg", "")))
                   for e in exc.errors()]  # fmt: skip
        first = details[0] if details else Detail(path="", problem="invalid")
        name = first.path.rsplit("/", 1)[-1]
        code = (
            "missing_" + name
            if "missing" in str(exc.errors()[0].get("type", ""))
            else QUERY_CODES.get(name, "validation_error")
        )
        return answer(ApiError(status=400, code=code, details=details,
                               message=f"Bad parameter {first.path}: {first.problem}"))  # fmt: skip

    @fastapi.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: "No such route; the API is under /v1 (see /docs).",
                   405: "This path does not take that method."}  # fmt: skip
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # Starlette's Allow names the first route on the path only
            headers["Allow"] = ", ".join(_allowed(fastapi, request.scope))
        return answer(ApiError(status=exc.status_code, code=codes.get(exc.status_code, "http_error"),
                               message=message.get(exc.status_code, str(exc.detail)),
                               headers=headers))  # fmt: skip

    @fastapi.exception_handler(Exception)
    async def on_failure(_: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected %s in an API request", type(exc).__name__, exc_info=exc)
        return answer(internal_error())


def _allowed(fastapi: FastAPI, scope: MutableMapping[str, Any]) -> list[str]:
    """Every method some route takes on the request's path."""
    methods = {method for route in fastapi.router.routes
               if isinstance(route, BaseRoute) and route.matches(scope)[0] is not Match.NONE
               for method in getattr(route, "methods", None) or ()}  # fmt: skip
    return sorted(methods)
