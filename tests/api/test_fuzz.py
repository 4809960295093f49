"""schemathesis over every operation of the OpenAPI document, in process: no 5xx, every status,
content type and body as declared, 401 without a valid token, 405 for undeclared methods, 413
and 415 for bodies too large or not JSON.

The operations come from the app's own document, so a route group that lands is fuzzed with no
change here. Requests carry tenant ``acme``'s token, on a fresh DuckDB store with no rate limit
where ``acme`` was first given a record by every create operation (through the API), so that
valid cases can name records that exist. A refused request (4xx) must leave every table's row
count as it was. Generation is derandomized, with a fixed seed: the
same requests on every run. Each operation gets schemathesis's boundary cases (including every
undeclared method), then :data:`FUZZ_EXAMPLES` cases drawn from its schemas, valid and invalid.
A failure prints the check that failed and a curl command that reproduces it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from matrix.api.errors import ERROR_SCHEMA
from matrix.api.limits import BODY_METHODS
from matrix.tokens import TENANT_PREFIX, create_token, make_token, revoke_token
from tests.api.conftest import ApiWorld
from tests.api.operations import (
    PROFILE,
    Operation,
    Target,
    declared_methods,
    document,
    operations,
    walk,
    world,
)
from tests.api.seeding import Known, is_id_key, seed
from tests.conftest import row_counts

FUZZ_EXAMPLES = 30
"""Cases per operation: about 2,300 over the API's 78 operations, beside the 2,000 of the
command-line fuzz (``tests/e2e/test_cli_fuzz.py``); each case also reads every table's row count."""


def declared_server_error_only(ctx: Any, response: Any, case: Any) -> None:
    """No 500 ever; a 502/503 only where the operation declares it (an integration the tenant
    has not configured, an upstream that failed), with the JSON error body."""
    del ctx
    status = response.status_code
    if status < 500:
        return
    declared = str(status) in case.operation.definition.raw.get("responses", {})
    if status == 500 or not declared:
        not_a_server_error(None, response, case)  # raises schemathesis's own failure
        raise AssertionError(f"undeclared {status}: {response.text[:300]}")


CHECKS = [
    declared_server_error_only,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # what the schema refuses is a 4xx, never taken
    ignored_auth,  # a 2xx is sent again without the token, and with a wrong one: both 401
    unsupported_method,  # each undeclared method (boundary phase): 405 with Allow
]
UNDECLARED = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "TRACE")
"""Methods a path must refuse when it does not declare them (HEAD aside, as schemathesis does)."""

CONFIG = SchemathesisConfig.from_dict({
    "seed": 13,
    "generation": {"mode": "all", "deterministic": True, "database": "none"},
})  # fmt: skip
TARGET = Target()
SCHEMA = schemathesis.openapi.from_dict(document(), config=CONFIG)
SCHEMA.app = TARGET


@dataclass
class Fuzzed:
    api: ApiWorld
    known: Known
    """What ``acme`` was given through the API before the fuzzing starts."""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """One store for the module, where ``acme`` has a record from every create operation."""
    for api in world(tmp_path_factory.mktemp("fuzz")):
        TARGET.point(api.client.app)
        yield Fuzzed(api, seed(api, "acme"))


# ``tenant`` makes pytest parametrize the items too: only then do they keep schemathesis's
# ``[METHOD /path]`` in their ids (pytest 9.2 builds an item's id from its original name).
@pytest.mark.slow
@pytest.mark.parametrize("tenant", ["acme"])
@SCHEMA.parametrize()
@settings(PROFILE, max_examples=FUZZ_EXAMPLES)
def test_operation_keeps_its_contract(case: Any, fuzzed: Fuzzed, tenant: str) -> None:
    _name_records(case, fuzzed.known)
    before = row_counts(fuzzed.api.app.store)
    response = case.call_and_validate(headers=fuzzed.api.headers(tenant), checks=_checks(case))
    if 400 <= response.status_code < 500:
        after = row_counts(fuzzed.api.app.store)
        changed = {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}
        assert not changed, f"refused with {response.status_code} but stored rows: {changed}"


def _checks(case: Any) -> list[Any]:
    """The checks for one case. A case whose headers were made invalid (the token left out) is
    sent with a valid token all the same — the harness always signs in — so schemathesis would
    take the request that arrives for the invalid one it drew; its other invalid parts may not
    survive serialization either (an extra query parameter with no value is not sent). Such a
    case is checked by everything but the rejection of invalid data; ``ignored_auth`` covers the
    missing token, and cases invalid elsewhere keep the rejection check."""
    components = getattr(case.meta, "components", None) or {}
    header = components.get(ParameterLocation.HEADER)
    if header is not None and header.mode is GenerationMode.NEGATIVE:
        return [check for check in CHECKS if check is not negative_data_rejection]
    return CHECKS


def _name_records(case: Any, known: Known) -> None:
    """Make about half of the valid cases name records the tenant has, in their path parameters
    and ``*_id`` body fields: random ids alone would reach nothing past a 404. Which id is
    chosen by a hash of the generated value, so the same case names the same kind of record."""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return

    def pick(key: str, value: Any) -> Any:
        ids, spin = known.candidates(key), zlib.crc32(repr(value).encode())
        return ids[spin // 2 % len(ids)] if ids and spin % 2 == 0 else value

    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = pick(name, value)
    for pointer, leaf in walk(case.body if isinstance(case.body, dict) else None):
        if pointer and is_id_key(pointer[-1]) and isinstance(leaf, str):
            node = case.body
            for part in pointer[:-1]:
                node = node[part]
            node[pointer[-1]] = pick(str(pointer[-1]), leaf)


def _bad_tokens(api: ApiWorld) -> dict[str, str | None]:
    revoked = create_token(api.app.store, tenant_id="acme", name="revoked")
    revoke_token(api.app.store, revoked.record.token_id)
    return {"no header": None, "no token": "Bearer", "not a token": "Bearer abc",
            "another scheme": "Basic YWNtZTphY21l", "unknown token": f"Bearer {make_token(TENANT_PREFIX)}",
            "revoked token": f"Bearer {revoked.token}"}  # fmt: skip


def _send(api: ApiWorld, operation: Operation, authorization: str | None, broken: bool) -> Any:
    """``operation`` with placeholder ids, or (``broken``) with every parameter and the body
    wrong too: the token is checked before anything else."""
    ids = {p["name"]: "x" * 201 if broken else "x" for p in operation.parameters("path")}
    query = {p["name"]: "" for p in operation.parameters("query")} if broken else {}
    body = {"unexpected": True} if broken else {}
    headers = {"Authorization": authorization} if authorization is not None else {}
    return api.client.request(operation.method, operation.url(ids), params=query, headers=headers,
                              json=body if operation.takes_body else None)  # fmt: skip


@pytest.mark.parametrize("operation", [o for o in operations() if not o.public], ids=str)
def test_operation_without_a_valid_token_answers_401(fuzzed: Fuzzed, operation: Operation) -> None:
    wrong = []
    for kind, authorization in _bad_tokens(fuzzed.api).items():
        for broken in (False, True):
            answer = _send(fuzzed.api, operation, authorization, broken)
            if answer.status_code != 401 or not _is_error(_body(answer)):
                wrong.append(f"{kind}{' (bad parameters and body)' if broken else ''}: "
                             f"{answer.status_code} {_body(answer)!r}")  # fmt: skip
    assert not wrong, f"{operation} must answer 401 with the error body:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", sorted(document()["paths"]))
def test_path_refuses_undeclared_methods_with_405(fuzzed: Fuzzed, path: str) -> None:
    url = Operation("GET", path, {}).url()
    allowed = declared_methods(url)
    wrong = []
    for method in sorted(set(UNDECLARED) - allowed):
        answer = fuzzed.api.client.request(method, url, headers=fuzzed.api.headers("acme"))
        body = _body(answer)
        allow = {m.strip() for m in answer.headers.get("allow", "").split(",")} - {"", "HEAD"}
        if (
            answer.status_code != 405
            or not _is_error(body)
            or body["error"] != "method_not_allowed"
        ):
            wrong.append(f"{method} {url}: {answer.status_code} {body!r}")
        elif allow != allowed:
            wrong.append(
                f"{method} {url}: Allow {answer.headers.get('allow')!r}, declared {sorted(allowed)}"
            )
    assert not wrong, "an undeclared method answers 405, Allow and the error body:\n" + "\n".join(
        wrong
    )


@pytest.mark.parametrize(
    "operation", [o for o in operations() if o.method in BODY_METHODS], ids=str
)
def test_operation_refuses_bodies_not_json_or_too_large(
    fuzzed: Fuzzed, operation: Operation
) -> None:
    api, limit = fuzzed.api, fuzzed.api.app.settings.api_max_body_bytes
    sent = {
        415: {"content": b"request=x", "headers": {"Content-Type": "text/plain"}},
        413: {"content": b'{"request": "' + b"x" * limit + b'"}',
              "headers": {"Content-Type": "application/json"}},
    }  # fmt: skip
    for status, request in sent.items():
        headers = {**api.headers("acme"), **request["headers"]}
        answer = api.client.request(operation.method, operation.url(), content=request["content"],
                                    headers=headers)  # fmt: skip
        assert answer.status_code == status and _is_error(_body(answer)), (operation, answer.text)
        assert str(status) in operation.spec["responses"], f"{operation} does not declare {status}"


def _body(answer: Any) -> Any:
    if answer.headers.get("content-type", "").startswith("application/json"):
        return answer.json()
    return answer.text


def _is_error(body: Any) -> bool:
    return jsonschema.Draft202012Validator(ERROR_SCHEMA).is_valid(body)
