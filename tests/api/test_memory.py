"""/v1/owner-concierge memory over HTTP: sessions and turns, long-memory entries, promotions,
the summary and retrieval, each answer checked against its contract."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from matrix.api.schemas import schema_uri
from matrix.contracts import Catalog
from matrix.errors import ProviderError
from matrix.memory import text as mtext
from matrix.memory.entries import SOURCES
from tests.api.conftest import ApiWorld, make_world

BASE = "/v1/owner-concierge"
ANA = "Our accountant is Ana Lima."
RUI = "Our accountant is now Rui Costa."


def _id() -> str:
    return str(uuid.uuid4())


def _valid(api: ApiWorld, name: str, body: dict[str, Any]) -> dict[str, Any]:
    problems = Catalog(api.app.settings.contracts_dir).problems(schema_uri(name), body)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in problems] == []
    return body


def _add(api: ApiWorld, content: str, session: str = "s-1", tenant: str = "acme",
         **memory: Any) -> Any:  # fmt: skip
    return api.post(f"{BASE}/memory/entries", {"request_id": _id(), "session_id": session,
                                              "memory": {"source": "user_message",
                                                         "content": content, **memory}},
                    tenant=tenant)  # fmt: skip


def _entry(api: ApiWorld, content: str, session: str = "s-1", tenant: str = "acme",
           **memory: Any) -> dict[str, Any]:  # fmt: skip
    answer = _add(api, content, session, tenant, **memory)
    assert answer.status_code == 200, answer.text
    return _valid(api, "memory.create_response", answer.json())["response"]


def _move(api: ApiWorld, memory_id: str, action: str, tenant: str = "acme", **request: Any) -> Any:
    return api.post(f"{BASE}/context/promotions", {"request_id": _id(), "memory_id": memory_id,
                                                  "action": action, **request}, tenant=tenant)  # fmt: skip


def _entries(api: ApiWorld, **params: str) -> dict[str, Any]:
    answer = api.get(f"{BASE}/memory/entries", params=params)
    assert answer.status_code == 200, answer.text
    return _valid(api, "memory.list_response", answer.json())


def _retrieve(api: ApiWorld, text: str, **request: Any) -> Any:
    return api.post(f"{BASE}/context/retrieve", {"text": text, **request})


def _retrieved(api: ApiWorld, text: str, **request: Any) -> dict[str, Any]:
    answer = _retrieve(api, text, **request)
    assert answer.status_code == 200, answer.text
    return _valid(api, "memory.retrieve_response", answer.json())["retrieval"]


class Hashing:
    """A local embedder of four dimensions: each term adds to one of them (by its hash)."""

    model = "test-hash-4"
    dimension = 4
    remote = False

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector(t) for t in texts]

    @staticmethod
    def vector(text: str) -> list[float]:
        v = [0.0] * 4
        for term in mtext.terms(text):
            v[hashlib.sha256(term.encode()).digest()[0] % 4] += 1.0
        norm = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / norm for x in v]


class Failing(Hashing):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise ProviderError("the embedding model is not available", code="embedding_unavailable")


def _embed_with(api: ApiWorld, embedder: Any) -> None:
    api.app.memory.embedders = lambda ai, mode=None: embedder


@pytest.fixture
def any_api(backend_url: str) -> Iterator[ApiWorld]:
    """The API on each backend (DuckDB and a throwaway PostgreSQL)."""
    yield from make_world(backend_url)


# -- entries -------------------------------------------------------------------------------


def test_memory_entry_is_created_then_idempotent_by_its_id_or_key(any_api: ApiWorld) -> None:
    memory_id = _id()
    first = _entry(any_api, ANA, memory_id=memory_id, external_key="crm-ana", tags=["team"],
                   salience_score=0.8, metadata={"from": "crm"})  # fmt: skip
    entry = first["entry"]
    assert first["status"] == "created" and first["superseded"] == []
    assert (entry["memory_id"], entry["status"], entry["source"]) == (
        memory_id,
        "candidate",
        "user_message",
    )
    assert (entry["tenant_id"], entry["session_id"], entry["external_key"]) == (
        "acme",
        "s-1",
        "crm-ana",
    )
    assert entry["salience_score"] == 0.8 and entry["tags"] == ["team"]
    assert entry["metadata"]["from"] == "crm" and entry["invalid_at"] is None
    by_id = _entry(any_api, "something else entirely", memory_id=memory_id)
    by_key = _entry(any_api, "yet another statement", external_key="crm-ana")
    assert by_id["status"] == by_key["status"] == "idempotent"
    assert by_id["entry"] == by_key["entry"] == entry
    assert _entries(any_api)["count"] == 1


def test_memory_entry_saying_the_same_is_merged(api: ApiWorld) -> None:
    first = _entry(api, ANA)["entry"]
    again = _entry(api, "our ACCOUNTANT is ana lima!", session="s-2")
    assert again["status"] == "merged" and again["entry"]["memory_id"] == first["memory_id"]
    assert again["entry"]["metadata"]["mentions"] == 2
    assert _entries(api)["count"] == 1


def test_memory_entry_another_tenant_holds_the_id_of_is_its_own(any_api: ApiWorld) -> None:
    memory_id = _id()
    theirs = _entry(any_api, "Our office is in Porto.", tenant="globex", memory_id=memory_id)
    mine = _entry(any_api, "Our office is in Lisbon.", memory_id=memory_id)
    assert theirs["status"] == mine["status"] == "created"
    assert (
        mine["entry"]["tenant_id"] == "acme"
        and mine["entry"]["content"] == "Our office is in Lisbon."
    )
    assert [e["content"] for e in _entries(any_api)["items"]] == ["Our office is in Lisbon."]


@pytest.mark.parametrize(
    ("memory", "pointer"),
    [
        ({"external_key": "ab"}, "/request/memory/external_key"),
        ({"tags": [f"t{i}" for i in range(21)]}, "/request/memory/tags"),
        ({"salience_score": 1.5}, "/request/memory/salience_score"),
        ({"content": "   "}, "/request/memory/content"),
        ({"source": "episode_promotion"}, "/request/memory/source"),
        ({"memory_id": "not-a-uuid"}, "/request/memory/memory_id"),
    ],
    ids=["short-key", "too-many-tags", "salience", "blank", "source", "memory-id"],
)
def test_memory_entry_refusal_names_the_field(
    api: ApiWorld, memory: dict[str, Any], pointer: str
) -> None:
    given = dict(memory)
    answer = _add(api, given.pop("content", ANA), **given)
    assert answer.status_code == 400 and answer.json()["error"] == "validation_error"
    assert pointer in {d["path"] for d in answer.json()["details"]}
    assert _entries(api)["count"] == 0


def test_memory_entry_with_a_number_json_has_not_is_refused(api: ApiWorld) -> None:
    for number in ("NaN", "Infinity", "1e309"):
        body = (f'{{"request": {{"request_id": "r", "session_id": "s", "memory": {{"source":'
                f' "user_message", "content": "{ANA}", "salience_score": {number}}}}}}}')  # fmt: skip
        answer = api.client.post(f"{BASE}/memory/entries", content=body.encode(),
                                 headers={**api.headers(), "Content-Type": "application/json"})  # fmt: skip
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_json", answer.text
    assert _entries(api)["count"] == 0


def test_memory_entry_is_kept_when_the_embedder_fails(api: ApiWorld) -> None:
    _embed_with(api, Failing())
    entry = _entry(api, ANA)["entry"]
    assert api.app.store.memory.vector("acme", entry["memory_id"], Failing.model) is None
    assert [
        e["memory_id"] for e in api.app.store.memory.lacking_vector("acme", Failing.model, 10)
    ] == [entry["memory_id"]]
    found = _retrieved(api, "accountant", include_candidates=True)
    assert found["degraded"] == "embedding_unavailable" and found["vector_ready"] is False
    assert [i["memory_id"] for i in found["items"]] == [entry["memory_id"]]


# -- listing -------------------------------------------------------------------------------


def test_memory_entries_are_listed_by_session_and_status_oldest_first(any_api: ApiWorld) -> None:
    a = _entry(any_api, ANA, session="s-1")["entry"]
    b = _entry(any_api, "We open at nine on Saturdays.", session="s-2")["entry"]
    c = _entry(any_api, "Our bakery supplier is Pão Quente.", session="s-1")["entry"]
    assert _move(any_api, c["memory_id"], "promote").status_code == 200
    every = _entries(any_api)
    assert every["session_id"] is None and every["count"] == 3
    assert [e["memory_id"] for e in every["items"]] == [
        a["memory_id"],
        b["memory_id"],
        c["memory_id"],
    ]
    one = _entries(any_api, session_id="s-1")
    assert one["session_id"] == "s-1" and [e["memory_id"] for e in one["items"]] == [
        a["memory_id"],
        c["memory_id"],
    ]
    assert [e["memory_id"] for e in _entries(any_api, status="promoted")["items"]] == [
        c["memory_id"]
    ]
    assert _entries(any_api, session_id="s-2", status="promoted")["items"] == []
    assert _entries(any_api, session_id="s-9")["items"] == []


def test_memory_entries_of_every_source_are_listed_and_retrieved(api: ApiWorld) -> None:
    """The origin answered 500 for an entry of source ``episode_promotion``."""
    for name in ("list_response", "retrieved"):
        schema = Catalog(api.app.settings.contracts_dir).document(
            schema_uri("memory.x").split("#")[0]
        )
        shown = schema["$defs"]["entry" if name == "list_response" else name]["properties"][
            "source"
        ]
        assert set(shown["enum"]) == set(SOURCES)
    for i, source in enumerate(SOURCES):
        api.app.memory.add(
            "acme", "s-1", f"Bakery milestone {i}: {source} {'x' * i}", source=source
        )
    listed = _entries(api, session_id="s-1")
    assert sorted(e["source"] for e in listed["items"]) == sorted(SOURCES)
    found = _retrieved(api, "bakery milestone", include_candidates=True, top_k=10)
    assert {i["source"] for i in found["items"]} == set(SOURCES)


def test_memory_entries_refuse_an_unknown_status(api: ApiWorld) -> None:
    answer = api.get(f"{BASE}/memory/entries", params={"status": "deleted"})
    assert answer.status_code == 400 and answer.json()["details"][0]["path"] == "/query/status"


# -- promotions ----------------------------------------------------------------------------


def test_promotion_promotes_a_candidate_on_its_trace(any_api: ApiWorld) -> None:
    entry = _entry(any_api, ANA)["entry"]
    correlation = _id()
    answer = _move(any_api, entry["memory_id"], "promote", reason_code="owner_confirmed",
                   correlation_id=correlation, metadata={"screen": "memory"})  # fmt: skip
    body = _valid(any_api, "memory.promotion_response", answer.json())["response"]
    assert (body["status"], body["action"], body["entry"]["status"]) == (
        "updated",
        "promote",
        "promoted",
    )
    assert body["orchestration"] == {"correlation_id": correlation, "command_id": None,
                                     "lifecycle_event_name": "owner.context.promoted"}  # fmt: skip
    trace = any_api.get("/v1/orchestration/trace", params={"correlation_id": correlation}).json()
    assert [e["name"] for e in trace["events"]] == ["owner.context.promoted"]
    _, history = any_api.app.memory.show("acme", entry["memory_id"])
    assert [(h["action"], h["reason_code"], h["details"]) for h in history][-1] == (
        "promoted",
        "owner_confirmed",
        {"screen": "memory"},
    )


def test_archiving_a_candidate_emits_no_event(api: ApiWorld) -> None:
    entry = _entry(api, ANA)["entry"]
    body = _move(api, entry["memory_id"], "archive").json()["response"]
    assert body["entry"]["status"] == "archived"
    assert body["orchestration"]["lifecycle_event_name"] is None


def test_promoting_an_archived_entry_is_a_conflict_that_changes_nothing(any_api: ApiWorld) -> None:
    entry = _entry(any_api, ANA)["entry"]
    assert _move(any_api, entry["memory_id"], "archive").status_code == 200
    refused = _move(any_api, entry["memory_id"], "promote")
    assert refused.status_code == 409 and refused.json()["error"] == "invalid_transition"
    assert "archived" in refused.json()["message"]
    assert _entries(any_api)["items"][0]["status"] == "archived"


def test_promotion_of_another_tenants_entry_answers_as_an_unknown_one(api: ApiWorld) -> None:
    theirs = _entry(api, ANA, tenant="globex")["entry"]
    answers = [_move(api, memory_id, "promote") for memory_id in (theirs["memory_id"], _id())]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["error"] == "memory_not_found"
    assert api.app.memory.entries("globex")[0]["status"] == "candidate"


# -- summary -------------------------------------------------------------------------------


def test_summary_counts_every_status(any_api: ApiWorld) -> None:
    ana = _entry(any_api, ANA, session="s-1")["entry"]
    rui = _entry(any_api, RUI, session="s-2")
    assert rui["superseded"] == [ana["memory_id"]]
    _move(any_api, rui["entry"]["memory_id"], "promote")
    archived = _entry(any_api, "We close early on Fridays.", session="s-2")["entry"]
    _move(any_api, archived["memory_id"], "archive")
    _entry(any_api, "The new oven arrives next week.", session="s-3")
    summary = _valid(
        any_api, "memory.summary_response", any_api.get(f"{BASE}/context/summary").json()
    )
    assert {k: v for k, v in summary.items() if k != "last_promoted_at"} == {
        "tenant_id": "acme", "entries_total": 4, "candidate_count": 1, "promoted_count": 1,
        "archived_count": 1, "superseded_count": 1, "sessions_count": 3,
    }  # fmt: skip
    assert summary["last_promoted_at"] is not None


# -- sessions and turns --------------------------------------------------------------------


def _say(api: ApiWorld, session: str, text: str) -> None:
    answer = api.post(f"{BASE}/interaction", {"request_id": _id(), "session_id": session,
                                             "operation": "send_message", "channel": "ui-chat",
                                             "payload": {"text": text}})  # fmt: skip
    assert answer.status_code == 200, answer.text


def test_sessions_and_their_turns(any_api: ApiWorld) -> None:
    first, second = _id(), _id()
    _say(any_api, first, "Bom dia!")
    _say(any_api, second, "Our accountant is Ana Lima. " + "x" * 300)
    sessions = _valid(any_api, "memory.sessions_response", any_api.get(f"{BASE}/sessions").json())
    assert [s["session_id"] for s in sessions["items"]] == [second, first]  # newest first
    assert all(s["turn_count"] == 2 and s["last_role"] == "assistant" for s in sessions["items"])
    assert all(len(s["last_preview"]) <= 160 for s in sessions["items"])
    limited = any_api.get(f"{BASE}/sessions", params={"limit": 1}).json()
    assert len(limited["items"]) == 1
    turns = any_api.get(f"{BASE}/session-turns", params={"session_id": first}).json()
    _valid(any_api, "memory.turns_response", turns)
    assert turns["session_id"] == first
    assert [(t["turn_no"], t["role"]) for t in turns["turns"]] == [(1, "user"), (2, "assistant")]
    assert turns["turns"][0]["content"] == "Bom dia!"
    last = any_api.get(f"{BASE}/session-turns", params={"session_id": first, "limit": 1}).json()
    assert [t["role"] for t in last["turns"]] == ["assistant"]


def test_session_turns_are_kept_apart_by_session_and_tenant(api: ApiWorld) -> None:
    mine, theirs = _id(), _id()
    _say(api, mine, "Bom dia!")
    answer = api.post(f"{BASE}/interaction", {"request_id": _id(), "session_id": theirs,
                                             "operation": "send_message", "channel": "ui-chat",
                                             "payload": {"text": "Olá"}}, tenant="globex")  # fmt: skip
    assert answer.status_code == 200
    for session in (theirs, _id()):
        body = api.get(f"{BASE}/session-turns", params={"session_id": session}).json()
        assert body == {"tenant_id": "acme", "session_id": session, "turns": []}
    assert [s["session_id"] for s in api.get(f"{BASE}/sessions").json()["items"]] == [mine]


@pytest.mark.parametrize(
    ("path", "params", "code", "pointer"),
    [
        ("session-turns", {}, "missing_session_id", "/query/session_id"),
        ("session-turns", {"session_id": "s", "limit": "401"}, "invalid_limit", "/query/limit"),
        ("sessions", {"limit": "0"}, "invalid_limit", "/query/limit"),
        ("sessions", {"limit": "201"}, "invalid_limit", "/query/limit"),
    ],
    ids=["no-session", "turns-limit", "sessions-limit-0", "sessions-limit-201"],
)
def test_session_reads_refuse_bad_parameters_by_name(
    api: ApiWorld, path: str, params: dict[str, str], code: str, pointer: str
) -> None:
    answer = api.get(f"{BASE}/{path}", params=params)
    assert answer.status_code == 400 and answer.json()["error"] == code
    assert answer.json()["details"][0]["path"] == pointer


# -- retrieval -----------------------------------------------------------------------------


def test_retrieve_answers_the_newer_statement_and_never_the_superseded_one(
    any_api: ApiWorld,
) -> None:
    ana = _entry(any_api, ANA)["entry"]
    rui = _entry(any_api, RUI)["entry"]
    _entry(any_api, "We open at nine on Saturdays.")
    assert _move(any_api, ana["memory_id"], "promote").status_code == 409  # superseded already
    _move(any_api, rui["memory_id"], "promote")
    found = _retrieved(any_api, "Who is our accountant?")
    assert found["strategy"] == "hybrid-rrf-v1" and found["top_k"] == 5
    assert [i["memory_id"] for i in found["items"]] == [rui["memory_id"]]
    assert found["items"][0]["matched_terms"] == ["accountant"]
    assert found["retrieved_count"] == 1
    everything = _retrieved(any_api, "accountant Ana Lima", include_candidates=True,
                            include_archived=True)  # fmt: skip
    assert ana["memory_id"] not in [i["memory_id"] for i in everything["items"]]


def test_retrieve_keeps_to_promoted_entries_unless_asked(api: ApiWorld) -> None:
    candidate = _entry(api, ANA)["entry"]
    assert _retrieved(api, "accountant")["items"] == []
    assert [
        i["memory_id"] for i in _retrieved(api, "accountant", include_candidates=True)["items"]
    ] == [candidate["memory_id"]]
    _move(api, candidate["memory_id"], "archive")
    assert _retrieved(api, "accountant", include_candidates=True)["items"] == []
    assert len(_retrieved(api, "accountant", include_archived=True)["items"]) == 1


def test_retrieve_within_a_session(api: ApiWorld) -> None:
    one = _entry(api, ANA, session="s-1")["entry"]
    _entry(api, "Our lawyer is Ana Prado.", session="s-2")
    found = _retrieved(api, "Ana", session_id="s-1", include_candidates=True)
    assert [i["memory_id"] for i in found["items"]] == [one["memory_id"]]


def test_retrieve_takes_the_origins_strategy_names(api: ApiWorld) -> None:
    _embed_with(api, Hashing())
    _entry(api, ANA)
    for strategy, vector in [("lexical-salience-v1", False), ("vector-ready", True),
                             ("hybrid-lexical-vector-v1", True), ("hybrid-rrf-v1", True)]:  # fmt: skip
        found = _retrieved(api, "accountant", strategy=strategy, include_candidates=True)
        assert (found["strategy"], found["vector_ready"]) == (strategy, vector)
        assert found["embedding_model"] == (Hashing.model if vector else None)
    refused = _retrieve(api, "accountant", strategy="semantic")
    assert (
        refused.status_code == 400 and refused.json()["details"][0]["path"] == "/request/strategy"
    )


def test_retrieve_min_score_and_top_k(api: ApiWorld) -> None:
    for i in range(4):
        _entry(api, f"Supplier number {i} delivers flour on day {i + 1}.", session=f"s-{i}")
    assert len(_retrieved(api, "supplier flour", include_candidates=True, top_k=2)["items"]) == 2
    assert _retrieved(api, "supplier flour", include_candidates=True, min_score=0.5)["items"] == []
    too_many = _retrieve(api, "supplier", top_k=21)
    assert too_many.status_code == 400 and too_many.json()["details"][0]["path"] == "/request/top_k"


def test_retrieve_takes_a_query_vector_of_the_models_dimension(api: ApiWorld) -> None:
    _embed_with(api, Hashing())
    entry = _entry(api, ANA)["entry"]
    found = _retrieved(api, "someone else", query_embedding=Hashing.vector(ANA),
                       include_candidates=True)  # fmt: skip
    assert found["vector_ready"] is True
    assert [(i["memory_id"], i["vector_rank"]) for i in found["items"]] == [(entry["memory_id"], 1)]
    assert found["items"][0]["vector_score"] == pytest.approx(1.0)
    refused = _retrieve(api, "accountant", query_embedding=[0.5] * 24)
    body = refused.json()
    assert refused.status_code == 400 and body["error"] == "invalid_query_embedding"
    assert body["details"][0]["path"] == "/request/query_embedding"
    assert "query_embedding" in body["message"] and "24 numbers" in body["message"]
    assert "give 4 numbers" in body["message"]
    huge = _retrieve(api, "accountant", query_embedding=[1e300, 0.0, 0.0, 0.0])
    assert huge.status_code == 400 and huge.json()["error"] == "invalid_query_embedding"
    assert "query_embedding" in huge.json()["message"] and "3.4e38" in huge.json()["message"]


def test_retrieve_refuses_a_query_vector_without_an_embedding_model(api: ApiWorld) -> None:
    _embed_with(api, None)
    refused = _retrieve(api, "accountant", query_embedding=[0.1, 0.2, 0.3, 0.4])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_query_embedding"
    assert "no embedding model" in refused.json()["message"]


def test_retrieve_of_another_tenant_answers_as_an_unknown_one(api: ApiWorld) -> None:
    _entry(api, ANA, tenant="globex")
    assert _retrieved(api, "accountant", include_candidates=True)["items"] == []
    theirs = _retrieve(api, "accountant", tenant_id="globex")
    nowhere = _retrieve(api, "accountant", tenant_id="nope")
    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json() == nowhere.json()


def test_memory_routes_are_in_the_committed_document(api: ApiWorld) -> None:
    from tests.conftest import ROOT

    paths = json.loads((ROOT / "contracts" / "openapi.json").read_text(encoding="utf-8"))["paths"]
    for path in ("sessions", "session-turns", "memory/entries", "context/promotions",
                 "context/summary", "context/retrieve"):  # fmt: skip
        assert f"{BASE}/{path}" in paths
