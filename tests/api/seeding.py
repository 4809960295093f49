"""Requests drawn from the document, and tenants given data through the API itself.

A :class:`Draft` is one operation with its parameters and body filled in; :func:`drafts` draws
them from the operation's own schemas (schemathesis's generation, positive mode) and can link
their ids to records the tenant already has. :func:`seed` gives a tenant data by sending every
POST operation drafts until one is accepted (or as many as the copies asked for), and reads back
what every GET operation answers, in rounds: a create that names another record (a payment
naming its charge) finds the ids the rounds before harvested. No route is named here: what a
route needs is read from its schemas, and an id is whatever string an answer carries under a
key ending in ``_id``.
"""

from __future__ import annotations

import copy
import functools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import schemathesis
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig

from tests.api.conftest import ApiWorld
from tests.api.operations import (
    PROFILE,
    Operation,
    document,
    operations,
    request_schema,
    resolve,
    walk,
)

ROUNDS = 3
TRIES = 25
"""Drafts per operation and round before the round gives up on it."""

Pointer = tuple[str | int, ...]


@dataclass(frozen=True)
class Slot:
    """Where a value goes in a request: a path or query parameter, or a place in the body."""

    where: str
    """``path``, ``query`` or ``body``."""
    pointer: Pointer

    @property
    def name(self) -> str:
        return str(self.pointer[-1])


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        text = (
            self.body if isinstance(self.body, str) else json.dumps(self.body, ensure_ascii=False)
        )
        return f"{self.status} {text[:400]}"


@dataclass(frozen=True)
class Draft:
    """One request of one operation, ready to send."""

    operation: Operation
    path: dict[str, str]
    query: dict[str, Any]
    body: Any = None
    """The JSON body (None when the operation takes none)."""

    def __str__(self) -> str:
        query = f"?{urlencode(self.query, doseq=True)}" if self.query else ""
        body = (
            f" {json.dumps(self.body, ensure_ascii=False)[:400]}"
            if self.operation.takes_body
            else ""
        )
        return f"{self.operation.method} {self.operation.url(self.path)}{query}{body}"

    def send(self, api: ApiWorld, tenant: str) -> Answer:
        """The answer to this request with ``tenant``'s token."""
        response = api.client.request(
            self.operation.method, self.operation.url(self.path), params=self.query,
            headers=api.headers(tenant), json=self.body if self.operation.takes_body else None,
        )  # fmt: skip
        kind = response.headers.get("content-type", "")
        return Answer(response.status_code, response.json() if "json" in kind else response.text)

    def filled(self, values: dict[Slot, str]) -> Draft:
        """This request with each slot set to its value (a body slot's object must exist)."""
        path, query, body = dict(self.path), dict(self.query), copy.deepcopy(self.body)
        for slot, value in values.items():
            if slot.where == "path":
                path[slot.name] = value
            elif slot.where == "query":
                query[slot.name] = value
            else:
                node = body
                for part in slot.pointer[:-1]:
                    node = node[part]
                node[slot.pointer[-1]] = value
        return replace(self, path=path, query=query, body=body)

    def id_slots(self) -> list[Slot]:
        """Where this request names a record: every path parameter, every ``*_id`` query
        parameter it sends, every string under a ``*_id`` key of its body."""
        slots = [Slot("path", (name,)) for name in self.path]
        slots += [Slot("query", (name,)) for name in self.query if is_id_key(name)]
        slots += [Slot("body", pointer) for pointer, leaf in walk(self.body)
                  if pointer and is_id_key(pointer[-1]) and isinstance(leaf, str)]  # fmt: skip
        return slots

    def tenant_slots(self) -> list[Slot]:
        """Where this request may name a tenant: a declared ``tenant_id`` query parameter, and
        ``tenant_id`` in every object of the body whose schema has that property."""
        slots = [Slot("query", ("tenant_id",)) for p in self.operation.parameters("query")
                 if p["name"] == "tenant_id"]  # fmt: skip
        schema = request_schema(self.operation)
        if schema is not None:
            slots += [Slot("body", pointer) for pointer in _tenant_pointers(schema, self.body, ())]
        return slots


def is_id_key(key: str | int) -> bool:
    return isinstance(key, str) and key.endswith("_id") and key != "tenant_id"


@dataclass
class Known:
    """What a tenant has: its ids by the key they came under, and the reads that answered."""

    tenant: str
    by_key: dict[str, set[str]] = field(default_factory=dict)
    reads: list[Draft] = field(default_factory=list)
    """One GET per operation that answered 2xx: what the tenant's data looks like."""
    made: Counter[str] = field(default_factory=Counter)
    """Accepted requests, by operation."""

    def add(self, body: Any) -> bool:
        """Harvest ``body``'s ids; whether any was new."""
        before = len(self.ids())
        for pointer, leaf in walk(body):
            if pointer and is_id_key(pointer[-1]) and isinstance(leaf, str) and leaf:
                self.by_key.setdefault(str(pointer[-1]), set()).add(leaf)
        return len(self.ids()) > before

    def ids(self) -> set[str]:
        return set().union(*self.by_key.values()) if self.by_key else set()

    def candidates(self, key: str) -> list[str]:
        """The ids found under ``key``, else every id (a path parameter may be named ``id``)."""
        return sorted(self.by_key.get(key) or self.ids())


@functools.cache
def _schema() -> Any:
    return schemathesis.openapi.from_dict(document(), config=SchemathesisConfig.from_dict({}))


def drafts(operation: Operation, known: Known | None, tenant: str) -> st.SearchStrategy[Draft]:
    """Requests of ``operation`` valid by its schemas, naming ``tenant`` wherever one may be
    named; with ``known``, each id is one of its ids, a fresh UUID or as generated.

    The ids are those ``known`` holds now: a request accepted during the search may add some
    (a read that echoes the session it was asked for), and hypothesis must draw the same way for
    the same choices."""
    cases = _schema()[operation.path][operation.method.lower()].as_strategy()
    if known is not None:
        known = Known(known.tenant, {key: set(ids) for key, ids in known.by_key.items()})

    @st.composite
    def draw(draw: Callable[..., Any]) -> Draft:
        case = draw(cases)
        query = {k: v for k, v in (case.query or {}).items() if v is not None}
        body = copy.deepcopy(case.body) if operation.takes_body else None
        draft = Draft(operation, {k: str(v) for k, v in (case.path_parameters or {}).items()},
                      query, body)  # fmt: skip
        draft = draft.filled({slot: tenant for slot in draft.tenant_slots()})
        if known is None:
            return draft
        values = {}
        for slot in draft.id_slots():
            linked = known.candidates(slot.name)
            how = draw(
                st.sampled_from(["link", "fresh", "as drawn"] if linked else ["fresh", "as drawn"])
            )
            if how == "link":
                values[slot] = draw(st.sampled_from(linked))
            elif how == "fresh":  # one tenant's fresh ids are not the other's
                values[slot] = str(uuid.uuid5(draw(st.uuids()), tenant))
        return draft.filled(values)

    return draw()


def first_accepted(strategy: st.SearchStrategy[Draft], attempt: Callable[[Draft], bool],
                   tries: int = TRIES) -> bool:  # fmt: skip
    """Whether one of ``tries`` drawn requests was accepted by ``attempt`` (which sends it)."""
    done: list[Draft] = []

    @settings(PROFILE, max_examples=tries, phases=[Phase.generate])
    @given(strategy)
    def search(draft: Draft) -> None:
        if not done and attempt(draft):
            done.append(draft)

    try:
        search()
    except Unsatisfiable:  # the schema's filters refused every draw; the fuzz reports that
        return False
    return bool(done)


def seed(api: ApiWorld, tenant: str, copies: int = 1) -> Known:
    """Give ``tenant`` ``copies`` records per create operation that accepts a generated body,
    and note one read per GET operation that answers it."""
    known = Known(tenant)
    tried = [o for o in operations() if o.method in ("POST", "GET") and not o.public]
    for _ in range(ROUNDS):
        before = (sum(known.made.values()), len(known.ids()))
        for operation in tried:
            wanted = copies if operation.method == "POST" else 1

            def attempt(draft: Draft, operation: Operation = operation) -> bool:
                answer = draft.send(api, tenant)
                new = answer.ok and known.add(answer.body)
                if not (new or (answer.ok and not known.made[str(operation)])):
                    return False  # a copy must be a new record, not the first one again
                known.made[str(operation)] += 1
                if operation.method == "GET":
                    known.reads.append(draft)
                return True

            while known.made[str(operation)] < wanted:
                if not first_accepted(drafts(operation, known, tenant), attempt):
                    break
        if (sum(known.made.values()), len(known.ids())) == before:
            break
    known.reads = [r for r in known.reads if r.send(api, tenant) == r.send(api, tenant)]
    return known


def _tenant_pointers(schema: Any, instance: Any, pointer: Pointer) -> Iterator[Pointer]:
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        if "tenant_id" in properties:
            yield (*pointer, "tenant_id")
        for key, value in instance.items():
            if key in properties and key != "tenant_id":
                yield from _tenant_pointers(properties[key], value, (*pointer, key))
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, value in enumerate(instance):
            yield from _tenant_pointers(schema["items"], value, (*pointer, index))
