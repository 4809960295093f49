"""Recall's ranking on both backends: words for one thing find each other, a clear lexical
winner is not buried by the vector search, both searches still find live entries when the best
matches are of superseded or archived ones, and the search for later changes folds accents."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from matrix.clock import FrozenClock
from matrix.memory import recall as ranking
from matrix.memory import text as mtext
from matrix.memory.entries import LIVE
from matrix.storage import Store
from tests.storage.test_memory import _memory, _say


def test_a_question_finds_a_statement_through_words_for_the_same_thing(
    store: Store, clock: FrozenClock
) -> None:
    """The question "who does my books?" shares no word with "our accountant is Kevin Garcia" (keywords
    alone, no embedder); the rules' ring of words for the accountant joins them, and the
    bookings that share "book" with the question do not push it out."""
    memory = _memory(store, clock, embedder=None)
    _say(memory, store, clock, "acme", "s1", "Our accountant is Kevin Garcia at Hunt CPA.")
    for i in range(15):
        _say(memory, store, clock, "acme", f"b{i}", f"Book the van for the job at number {i + 3}.")
    _say(memory, store, clock, "globex", "s1", "Our accountant is Rui Alves.")
    facts = memory.recall("acme", "s9", "Who does my books?").facts()
    assert facts and "Kevin Garcia" in facts[0]
    assert not any("Rui Alves" in f for f in facts)


def test_a_clear_lexical_winner_leads_what_the_vector_search_favours(
    store: Store, clock: FrozenClock
) -> None:
    """A dozen recent requests that the vectors put close to the question ("call …") and that
    share its common words come after the one older statement that matches its rare words: the
    fusion of ranks alone put them first (each is ranked by both searches)."""
    memory = _memory(store, clock)
    _say(memory, store, clock, "acme", "s1",
         "The alarm engineer for the cold room is Hamza Price, 07700 900062.")  # fmt: skip
    clock.advance(timedelta(days=60))
    for i in range(12):
        _say(memory, store, clock, "acme", f"r{i}", f"Can you call the engineer about job {i + 10} these days?")  # fmt: skip
    facts = memory.recall(
        "acme", "s9", "Who do I call about the cold room alarm these days?"
    ).facts()
    assert "Hamza Price" in facts[0]


def _entry(store: Store, tenant: str, content: str, vector: list[float], status: str,
           clock: FrozenClock) -> str:  # fmt: skip
    memory_id = str(uuid.uuid4())
    counts = mtext.term_counts(content)
    at = clock.now()
    with store.transaction():
        store.memory.insert_entry({
            "memory_id": memory_id, "tenant_id": tenant, "session_id": "s1", "external_key": None,
            "source": "user_message", "content": content, "content_hash": mtext.content_hash(content),
            "subject_key": None, "tags": ["update"] if "now" in content else [], "salience": 0.5,
            "status": status, "valid_at": at, "invalid_at": None, "superseded_by": None,
            "source_turns": [], "metadata": {}, "doc_len": sum(counts.values()),
            "created_at": at, "updated_at": at,
        }, counts)  # fmt: skip
        store.memory.put_vectors(tenant, "test-model", [(memory_id, vector)], at)
    clock.advance(timedelta(minutes=1))
    return memory_id


def test_the_vector_search_finds_live_entries_behind_many_closer_superseded_ones(
    store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recall ranks the closest vectors of any status, then keeps the live ones; when the whole
    pool is superseded, it ranks the live vectors alone: the nearest live entries still come
    back, in order. (Two candidates per search here, so a pool of six.)"""
    monkeypatch.setattr(ranking, "CANDIDATES", 2)
    store.tenants.add("acme")
    query = [1.0, 0.0, 0.0, 0.0]
    for i in range(9):  # closer than any live entry
        _entry(store, "acme", f"old statement {i}", [1.0, 0.01 * i, 0.0, 0.0], "superseded", clock)
    near = _entry(store, "acme", "live statement near", [1.0, 0.5, 0.0, 0.0], "promoted", clock)
    far = _entry(store, "acme", "live statement far", [1.0, 1.0, 0.0, 0.0], "candidate", clock)
    _entry(store, "acme", "live statement farthest", [0.0, 1.0, 0.0, 0.0], "candidate", clock)
    with store.transaction():
        found = ranking.rank(store.memory, "acme", "what was said?", now=clock.now(), top_k=5,
                             vector=query, model="test-model")  # fmt: skip
        facts = store.memory.ranking_facts("acme", [near, far, "no-such-id"], statuses=LIVE)
    assert [r.entry["memory_id"] for r in found] == [near, far]
    assert [r.vector_rank for r in found] == [1, 2]
    assert set(facts) == {near, far} and facts[near]["status"] == "promoted"


def test_the_lexical_search_finds_live_entries_behind_many_better_matching_archived_ones(
    store: Store, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BM25 ranks the matches of any status from the terms alone, then recall keeps the live
    ones; when a full pool holds too few, it ranks the live matches alone: they still come back,
    in order, with the scores the narrowed search gives them. (Two candidates per search here,
    so a pool of six.)"""
    monkeypatch.setattr(ranking, "CANDIDATES", 2)
    store.tenants.add("acme")
    vector = [0.0, 0.0, 1.0, 0.0]
    for i in range(9):  # better matches than any live entry: the words twice, in short texts
        _entry(store, "acme", f"freezer freezer porto porto {i}", vector, "archived", clock)
    best = _entry(store, "acme", "The freezer in the porto shop is on a contract.", vector,
                  "promoted", clock)  # fmt: skip
    next_ = _entry(store, "acme", "The freezer of the shop in the old market of porto is new.",
                   vector, "candidate", clock)  # fmt: skip
    _entry(store, "acme", "The freezer is ours.", vector, "candidate", clock)
    with store.transaction():
        found = ranking.rank(store.memory, "acme", "freezer porto?", now=clock.now(), top_k=2)
        narrowed = store.memory.bm25("acme", ["freezer", "porto"], statuses=LIVE,
                                     session_id=None, limit=2)  # fmt: skip
        any_status = store.memory.bm25("acme", ["freezer", "porto"], statuses=None,
                                       session_id=None, limit=20)  # fmt: skip
    assert [r.entry["memory_id"] for r in found] == [best, next_]
    assert [(r.entry["memory_id"], r.lexical_score) for r in found] == narrowed
    assert len(any_status) == 12 and dict(any_status)[best] == narrowed[0][1]


def test_later_changes_are_found_by_name_with_accents_folded_in_the_tenant_only(
    store: Store, clock: FrozenClock
) -> None:
    store.tenants.add("acme")
    store.tenants.add("globex")
    vector = [1.0, 0.0, 0.0, 0.0]
    change = _entry(
        store, "acme", "A partir de now o João fica responsável.", vector, "candidate", clock
    )
    _entry(store, "acme", "O João tem a chave da loja.", vector, "promoted", clock)  # not a change
    _entry(store, "acme", "Joana now does the books.", vector, "superseded", clock)  # not live
    _entry(store, "globex", "From now on João covers for me.", vector, "candidate", clock)
    with store.transaction():
        found = store.memory.changes_naming("acme", ["joao"], statuses=LIVE, limit=10)
        none = store.memory.changes_naming("acme", ["yasmin"], statuses=LIVE, limit=10)
    assert [e["memory_id"] for e in found] == [change] and none == []
