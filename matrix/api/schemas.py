"""The API's bodies, checked against ``contracts/http/`` and bundled into the OpenAPI document.

Each route group has one schema file, ``contracts/http/<group>.schema.json``, whose ``$defs``
hold its request and response bodies; a route names them as ``"<group>.<def>"``
(``"customers.create_request"``). The same definitions validate what clients send and become the
document's ``components/schemas``, so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from matrix.api.errors import ERROR_SCHEMA, ApiError, Detail
from matrix.contracts import Catalog, pointer_of

HTTP_BASE = "https://schemas.matrix-workbench.dev/v1/http/"
MAX_DETAILS = 20
MAX_PROBLEM = 300
"""A problem quotes the offending value; a long one is cut (the path names it already)."""


def schema_uri(name: str) -> str:
    """``"customers.create_request"`` → the ``$id`` of its definition in ``contracts/http/``."""
    group, _, definition = name.partition(".")
    return f"{HTTP_BASE}{group}.schema.json#/$defs/{definition}"


class Schemas:
    """Validation of request bodies, and the OpenAPI components of every body named so far."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._components: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self._names: dict[str, str] = {}

    def check(self, name: str, instance: Any) -> None:
        """Raise a 400 ``validation_error`` naming every field of ``instance`` that ``name``
        refuses (at most :data:`MAX_DETAILS`), as JSON pointers into the body."""
        errors = self.catalog.problems(schema_uri(name), instance)
        if not errors:
            return
        details = [Detail(path=_where(e), problem=_short(e.message)) for e in errors[:MAX_DETAILS]]
        first = details[0]
        raise ApiError(
            status=400, code="validation_error", details=details,
            message=f"The body does not match the contract: {first.path or '/'}: {first.problem}",
        )  # fmt: skip

    def ref(self, name: str) -> dict[str, str]:
        """``{"$ref": "#/components/schemas/..."}`` for ``name``, bundling what it refers to."""
        return {"$ref": "#/components/schemas/" + self._bundle(schema_uri(name))}

    def components(self) -> dict[str, Any]:
        return dict(sorted(self._components.items()))

    # -- bundling: every $ref of a bundled schema points at a component -------------------------

    def _bundle(self, uri: str) -> str:
        if uri in self._names:
            return self._names[uri]
        document, _, fragment = uri.partition("#")
        name = _component_name(document, fragment)
        self._names[uri] = name
        target: Any = self.catalog.document(document)
        for part in filter(None, fragment.split("/")):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        self._components[name] = self._rewrite(target, document)
        return name

    def _rewrite(self, node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [self._rewrite(v, base) for v in node]
        if not isinstance(node, dict):
            return node
        out = {k: self._rewrite(v, base) for k, v in node.items()
               if k not in ("$id", "$schema", "$defs", "$ref")}  # fmt: skip
        if "$ref" in node:
            out["$ref"] = "#/components/schemas/" + self._bundle(urljoin(base, node["$ref"]))
        return out


def _component_name(document: str, fragment: str) -> str:
    stem = document.rsplit("/v1/", 1)[-1].removesuffix(".schema.json").replace("/", ".")
    parts = [p for p in fragment.split("/") if p and p != "$defs"]
    return ".".join([stem, *parts]).replace("$", "")


def _where(error: Any) -> str:
    path = pointer_of(error.absolute_path)
    if error.validator == "required":
        missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
        return f"{path}/{missing}" if missing else path
    if error.validator == "additionalProperties" and "'" in str(error.message):
        return f"{path}/{str(error.message).split(chr(39))[1]}"
    return path


def _short(problem: str) -> str:
    return problem if len(problem) <= MAX_PROBLEM else problem[: MAX_PROBLEM - 1] + "…"
