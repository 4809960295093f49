"""Recall's ranking on both backends: words for one thing find each other, a clear lexical
winner is not buried by the vector search, both searches still find live entries when the best
matches are of superseded or archived ones, and the search for later changes folds accents."""

from __future__ import annotations

import math
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


def _okapi(docs: dict[str, dict[str, int]], terms: list[str]) -> dict[str, float]:
    """Okapi BM25 (k1 1.2, b 0.75, the idf that stays positive) written out, for comparison."""
    n, avgdl = len(docs), sum(sum(c.values()) for c in docs.values()) / len(docs)
    scores: dict[str, float] = {}
    for term in set(terms):
        df = sum(term in c for c in docs.values())
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for memory_id, counts in docs.items():
            if tf := counts.get(term, 0):
                norm = 1.2 * (0.25 + 0.75 * sum(counts.values()) / avgdl)
                scores[memory_id] = scores.get(memory_id, 0.0) + idf * tf * 2.2 / (tf + norm)
    return scores


def test_bm25_scores_are_okapi_bm25_over_the_tenants_entries_alone(
    store: Store, clock: FrozenClock
) -> None:
    """Every score the search gives, of any status and narrowed to live entries, is the textbook
    formula's over the tenant's own entries (its count and mean length, each term's document
    frequency): a rare term outweighs a common one, a repeated term counts with saturation,
    a long text is discounted, and another tenant's entries change nothing."""
    store.tenants.add("acme")
    store.tenants.add("globex")
    texts = [
        ("The freezer in the Porto shop is on a contract.", "promoted"),
        ("Freezer, freezer, freezer: the freezer is broken again.", "candidate"),
        ("The Porto landlord wants the rent on the first.", "archived"),
        ("Our accountant in Porto files the tax in March and again in the autumn.", "candidate"),
        ("The van is booked for the Porto fair.", "superseded"),
        ("Pay the plumber.", "promoted"),
    ]
    docs = {}
    for content, status in texts:
        memory_id = _entry(store, "acme", content, [1.0, 0.0, 0.0, 0.0], status, clock)
        docs[memory_id] = mtext.term_counts(content)
    for i in range(5):  # another tenant's entries, all of them about the freezer
        _entry(
            store, "globex", f"freezer freezer porto {i}", [1.0, 0.0, 0.0, 0.0], "promoted", clock
        )
    statuses = {m: s for m, (_, s) in zip(docs, texts, strict=True)}
    for query in (["freezer"], ["porto"], ["freezer", "porto", "rent"], ["plumber", "nothing"]):
        expected = _okapi(docs, query)
        with store.transaction():
            found = store.memory.bm25("acme", query, statuses=None, session_id=None, limit=20)
            live = store.memory.bm25("acme", query, statuses=LIVE, session_id=None, limit=20)
        assert dict(found) == pytest.approx(expected, rel=1e-6), query
        assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
        assert dict(live) == pytest.approx(
            {m: s for m, s in expected.items() if statuses[m] in LIVE}, rel=1e-6
        ), query


def test_search_reads_what_the_two_searches_and_the_facts_read_apart(
    store: Store, clock: FrozenClock
) -> None:
    """Recall's first read (one statement on DuckDB) gives each search's pool in its order and
    the facts of the entries kept, as the searches and the facts' read give them one by one:
    with and without a vector, without terms, narrowed by status and session, for one tenant."""
    store.tenants.add("acme")
    store.tenants.add("globex")
    statuses = ["promoted", "candidate", "archived", "superseded"]
    for i in range(24):
        content = f"The {['freezer', 'van', 'oven'][i % 3]} in {['Porto', 'Faro'][i % 2]} is {i}."
        vector = [1.0, (i % 5) / 5, (i % 7) / 7, 0.5]
        _entry(store, "acme", content, vector, statuses[i % 4], clock)
        _entry(store, "globex", content, vector, "promoted", clock)
    query = [1.0, 0.3, 0.2, 0.5]
    for terms, asked, kept, session in [
        (["freezer", "porto"], query, LIVE, None),
        (["van"], None, ["promoted"], None),
        ([], query, LIVE, "s1"),
        (["oven", "faro", "nothing"], query, ["archived"], "s2"),
    ]:
        with store.transaction():
            lexical, nearest, facts = store.memory.search(
                "acme", terms, vector=asked, model="test-model" if asked else None,
                statuses=kept, session_id=session, limit=10,
            )  # fmt: skip
            apart_lexical = store.memory.bm25(
                "acme", terms, statuses=None, session_id=None, limit=10
            )
            apart_nearest = store.memory.nearest(
                "acme", "test-model", asked, statuses=None, session_id=None, limit=10,
                within=[m for m, _ in apart_lexical],
            ) if asked else []  # fmt: skip
            ids = list(dict.fromkeys(m for m, _ in [*apart_lexical, *apart_nearest]))
            apart_facts = store.memory.ranking_facts("acme", ids, statuses=kept, session_id=session)
        assert [m for m, _ in lexical] == [m for m, _ in apart_lexical]
        assert dict(lexical) == pytest.approx(dict(apart_lexical))
        assert [m for m, _ in nearest] == [m for m, _ in apart_nearest]
        assert dict(nearest) == pytest.approx(dict(apart_nearest))
        assert facts == apart_facts
        assert all(
            f["status"] in kept and session in (None, f["session_id"]) for f in facts.values()
        )
        assert lexical or nearest


def test_the_same_statement_said_twice_ranks_the_same_whatever_its_ids(
    store: Store, clock: FrozenClock
) -> None:
    """Equal scores fuse at one rank, so two copies of one statement (not merged here)
    differ only by the recency prior — the later one first — and the order of the top does not
    hang on their random ids."""
    store.tenants.add("acme")
    vector = [1.0, 0.2, 0.0, 0.0]
    copies = [_entry(store, "acme", "Order more bibs for the clinic.", vector, "candidate", clock)
              for _ in range(2)]  # fmt: skip
    _entry(store, "acme", "Order more gloves and more bibs soon.", [1.0, 0.5, 0.0, 0.0],
           "candidate", clock)  # fmt: skip
    with store.transaction():
        found = ranking.rank(store.memory, "acme", "order bibs clinic", now=clock.now(), top_k=5,
                             vector=[1.0, 0.1, 0.0, 0.0], model="test-model")  # fmt: skip
    twins = [r for r in found if r.entry["memory_id"] in copies]
    assert len(twins) == 2 and found[:2] == twins
    assert twins[0].lexical_rank == twins[1].lexical_rank == 1
    assert twins[0].vector_rank == twins[1].vector_rank == 1
    assert [r.entry["memory_id"] for r in twins] == copies[::-1]
    assert twins[0].score == pytest.approx(twins[1].score, rel=1e-4)


def test_a_zero_vector_is_left_out_of_the_vector_search_not_ranked_anywhere(
    store: Store, clock: FrozenClock
) -> None:
    """A zero vector has no direction (its cosine is NaN on DuckDB): both vector reads leave it
    out and keep the others in order."""
    store.tenants.add("acme")
    near = _entry(store, "acme", "near", [1.0, 0.1, 0.0, 0.0], "promoted", clock)
    _entry(store, "acme", "nowhere", [0.0, 0.0, 0.0, 0.0], "promoted", clock)
    far = _entry(store, "acme", "far", [0.2, 1.0, 0.0, 0.0], "promoted", clock)
    with store.transaction():
        _, nearest, _ = store.memory.search("acme", [], vector=[1.0, 0.0, 0.0, 0.0],
                                            model="test-model", statuses=LIVE, session_id=None,
                                            limit=10)  # fmt: skip
        apart = store.memory.nearest("acme", "test-model", [1.0, 0.0, 0.0, 0.0], statuses=None,
                                     session_id=None, limit=10)  # fmt: skip
    assert [m for m, _ in nearest] == [m for m, _ in apart] == [near, far]
