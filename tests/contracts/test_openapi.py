"""The committed OpenAPI document (``contracts/openapi.json``) is the app's own, a valid OpenAPI
3.1 document, and every operation declares its refusals and the schema of its answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from matrix.api import write_document
from matrix.app import build
from matrix.config import Settings
from tests.conftest import ROOT

COMMITTED = ROOT / "contracts" / "openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return loaded


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def test_openapi_committed_document_is_the_apps(tmp_path: Path) -> None:
    fresh = tmp_path / "openapi.json"
    with build(Settings.load(storage_url="duckdb:///:memory:")) as app:
        write_document(app, fresh)
    assert COMMITTED.exists(), "no contracts/openapi.json: run `matrix contracts openapi --write`"
    same = COMMITTED.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8")
    assert same, "contracts/openapi.json is out of date: run `matrix contracts openapi --write`"


def test_openapi_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    try:
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
    if validate is not None:
        validate(document)
    import schemathesis

    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    loaded = list(schema.get_all_operations())
    problems = [str(r.err()) for r in loaded if not hasattr(r, "ok")]
    assert problems == []  # every $ref resolves, every parameter is well formed
    assert len(loaded) == sum(1 for _ in _operations(document))


def test_openapi_document_refs_all_resolve_to_components(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert refs
    missing = [r for r in refs if r.startswith("#/components/schemas/")
               and r.removeprefix("#/components/schemas/") not in components]  # fmt: skip
    assert missing == []
    assert all(r.startswith("#/") for r in refs)  # self-contained: no file or URL references


def test_openapi_every_operation_declares_its_refusals_and_answer(document: dict[str, Any]) -> None:
    problems = []
    for method, path, operation in _operations(document):
        where = f"{method} {path}"
        responses = operation.get("responses", {})
        public = operation.get("security") == []
        if not public and "401" not in responses:
            problems.append(f"{where}: no 401 (it needs a token)")
        if not public and operation.get("security") != [{"bearerToken": []}]:
            problems.append(f"{where}: does not name the bearer token scheme")
        if "400" not in responses:
            problems.append(f"{where}: no 400")
        ok = responses.get("200", {}).get("content", {}).get("application/json", {})
        if "schema" not in ok:
            problems.append(f"{where}: no schema for its 200 answer")
        for status, answer in responses.items():
            if status != "200" and not answer.get("content", {}).get("application/json"):
                problems.append(f"{where}: its {status} has no JSON body schema")
        if "422" in responses:
            problems.append(f"{where}: declares FastAPI's 422, which this API never answers")
    assert problems == []
    assert document["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_openapi_command_checks_and_rewrites_a_stale_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from matrix.cli import main

    folder = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", folder)
    (folder / "openapi.json").write_text("{}\n", encoding="utf-8")
    args = ["contracts", "openapi", "--contracts-dir", str(folder)]
    assert main([*args, "--check"]) == 1
    assert "run `matrix contracts openapi --write`" in capsys.readouterr().out
    assert main([*args, "--write"]) == 0
    assert capsys.readouterr().out.endswith(": written\n")
    assert (folder / "openapi.json").read_text(encoding="utf-8") == COMMITTED.read_text(
        encoding="utf-8"
    )
    assert main([*args, "--check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "up to date"
