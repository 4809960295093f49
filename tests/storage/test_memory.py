"""Memory's tiers on both backends: short memory trimmed per session, one episode per threshold
(never the origin's storm), long-memory entries merged, superseded and promoted with their audit
rows, recall that prefers the latest valid fact, and vectors never compared across models."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.errors import ConflictError, NotFoundError
from matrix.memory.entries import SOURCES
from matrix.memory.service import Memory, MemoryConfig
from matrix.providers.embeddings import LocalEmbedder
from matrix.storage import Store

LOCAL = LocalEmbedder()
CORR = "7d1f7f0e-4a8e-4d0b-9c39-2b5b6a0e8a11"


class OtherModel:
    """A second embedding model of the same dimension: its vectors must never meet the local ones."""

    model, dimension, remote = "other-model-256", 256, False

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[1.0] + [0.0] * 255 for _ in texts]


def _memory(store: Store, clock: FrozenClock, embedder: object = LOCAL, **config: int) -> Memory:
    store.tenants.add("acme")
    store.tenants.add("globex")
    return Memory(store, clock, embedders=lambda ai, mode=None: embedder,  # type: ignore[arg-type,return-value]
                  config=MemoryConfig(**config))  # fmt: skip


def _say(memory: Memory, store: Store, clock: FrozenClock, tenant: str, session: str,
         text: str, reply: str = "Noted.") -> list[str]:  # fmt: skip
    chain = env.Chain(
        tenant_id=tenant, clock=clock, correlation_id=env.new_id(), trace_id=env.new_id()
    )
    with store.transaction():
        events = memory.remember(chain, session, text, reply)
        store.events.append_many(events)
    clock.advance(timedelta(minutes=5))
    return [e["name"] for e in events]


def _at(facts: list[str], words: str) -> int:
    """Where the first recalled fact holding ``words`` is."""
    return next(i for i, f in enumerate(facts) if words in f)


def test_short_memory_keeps_the_last_turns_of_each_session(
    store: Store, clock: FrozenClock
) -> None:
    memory = _memory(store, clock, short_turns=6)
    for i in range(5):
        _say(
            memory, store, clock, "acme", "s1", f"message number {i} about the bakery", f"reply {i}"
        )
    _say(memory, store, clock, "acme", "s2", "another session entirely")
    turns = memory.turns("acme", "s1", limit=80)
    assert [t["turn_no"] for t in turns] == [5, 6, 7, 8, 9, 10]
    assert turns[-1] == {**turns[-1], "role": "assistant", "content": "reply 4"}
    sessions = {s["session_id"]: s for s in memory.sessions("acme")}
    assert sessions["s1"]["turn_count"] == 10 and sessions["s2"]["turn_count"] == 2
    assert memory.sessions("globex") == [] and memory.turns("globex", "s1", 80) == []


def test_one_episode_per_threshold_never_a_storm(store: Store, clock: FrozenClock) -> None:
    """The origin counted the trimmed window (20 turns, 20 % 10 == 0): once a session was full,
    every message made an episode. The count here is every turn ever stored."""
    memory = _memory(store, clock, short_turns=20, episode_turns=10)
    names = []
    for i in range(30):  # 60 turns
        names += _say(memory, store, clock, "acme", "s1", f"We sell {i} kinds of bread now.")
    assert names.count("memory.episode.created") == 6
    episodes = store.memory.episodes("acme", "s1", 100)
    assert sorted(e["turn_count"] for e in episodes) == [10, 20, 30, 40, 50, 60]
    assert all(e["summary"] and e["summary_source"] == "extractive" for e in episodes)


def test_an_episode_promotes_what_stood_out_and_recall_returns_it(
    store: Store, clock: FrozenClock
) -> None:
    """The origin's episode entries landed as candidates that recall (promoted only) never read."""
    memory = _memory(store, clock, episode_turns=4)
    _say(memory, store, clock, "acme", "s1", "We will repaint the shop front in May.")
    names = _say(memory, store, clock, "acme", "s1", "Remind me to call Bruno at 10.")
    assert "memory.promoted.from_episode" in names
    [plan] = [e for e in memory.entries("acme") if "repaint" in e["content"]]
    assert plan["status"] == "promoted"
    history = store.memory.history("acme", plan["memory_id"])
    assert [(h["action"], h["reason_code"]) for h in history] == [
        ("created", "statement"),
        ("promoted", "episode_highlight"),
    ]
    recall = memory.recall("acme", "s9", "when do we repaint the shop front?")
    assert recall.facts()[0] == "We will repaint the shop front in May."


def test_a_repeated_fact_is_merged_not_added_and_not_deleted(
    store: Store, clock: FrozenClock
) -> None:
    memory = _memory(store, clock)
    _say(memory, store, clock, "acme", "s1", "Our supplier for flour is Moinho Rio.")
    _say(memory, store, clock, "acme", "s2", "our supplier for flour is moinho rio!")
    [entry] = [e for e in memory.entries("acme") if "flour" in e["content"]]
    assert entry["metadata"]["mentions"] == 2
    assert len(entry["source_turns"]) == 2  # said in two sessions, both kept
    actions = [h["action"] for h in store.memory.history("acme", entry["memory_id"])]
    assert actions[:1] == ["created"] and "merged" in actions


def test_a_contradiction_supersedes_and_keeps_the_old_fact_with_its_window(
    store: Store, clock: FrozenClock
) -> None:
    memory = _memory(store, clock)
    _say(memory, store, clock, "acme", "s1", "Our accountant is Ana Lima from Contas Certas.")
    names = _say(memory, store, clock, "acme", "s2", "Our accountant is now Rui Sousa.")
    assert "owner.memory.superseded" in names
    old = next(e for e in memory.entries("acme") if "Ana" in e["content"])
    new = next(e for e in memory.entries("acme") if "Rui" in e["content"])
    assert old["status"] == "superseded" and old["superseded_by"] == new["memory_id"]
    assert old["invalid_at"] == new["valid_at"] and old["valid_at"] < old["invalid_at"]
    [change] = [
        h for h in store.memory.history("acme", old["memory_id"]) if h["action"] == "superseded"
    ]
    assert (change["old_value"], change["new_value"]) == (old["content"], new["content"])
    assert (change["old_status"], change["new_status"], change["reason_code"]) == (
        "promoted",
        "superseded",
        "contradicted",
    )
    facts = memory.recall("acme", "s3", "who is our accountant?").facts()
    assert facts[0] == "Our accountant is now Rui Sousa." and all("Ana" not in f for f in facts)


def test_people_promote_and_archive_candidates_only(store: Store, clock: FrozenClock) -> None:
    memory = _memory(store, clock)
    added = memory.add("acme", "s1", "Parking is free after six.", salience=0.4)
    assert added.status == "created" and added.entry["status"] == "candidate"
    entry, _ = memory.transition("acme", added.entry["memory_id"], "archive", reason_code="stale")
    assert entry["status"] == "archived"
    with pytest.raises(ConflictError) as refused:
        memory.transition("acme", added.entry["memory_id"], "promote")
    assert refused.value.code == "invalid_transition"
    assert store.memory.entry("acme", added.entry["memory_id"])["status"] == "archived"  # type: ignore[index]
    with pytest.raises(NotFoundError):  # another tenant's id is unknown here
        memory.transition("globex", added.entry["memory_id"], "promote")
    again = memory.add("acme", "s1", "Parking is free after six.", external_key="parking-rule")
    assert again.status == "created"  # the archived one is not live: a new statement
    assert memory.add("acme", "s1", "anything", external_key="parking-rule").status == "idempotent"


def test_every_source_lists_including_episode_promotion(store: Store, clock: FrozenClock) -> None:
    memory = _memory(store, clock)
    for i, source in enumerate(SOURCES):
        memory.add("acme", "s1", f"Fact number {i} from {source} about the shop", source=source)
    assert sorted(e["source"] for e in memory.entries("acme")) == sorted(SOURCES)


def test_vectors_of_another_model_are_never_compared(store: Store, clock: FrozenClock) -> None:
    memory = _memory(store, clock, embedder=LOCAL)
    _say(memory, store, clock, "acme", "s1", "The alarm code is with Marta.")
    other = _memory(store, clock, embedder=OtherModel())
    recall = other.recall("acme", "s2", "zzz unrelated words")
    assert recall.embedding_model == "other-model-256" and recall.facts() == []
    ranked, model, _ = other.retrieve("acme", "zzz", include_candidates=True)
    assert model == "other-model-256" and ranked == []
    assert store.memory.lacking_vector("acme", "other-model-256", 10)  # left for the re-embed job


def test_a_statement_with_other_numbers_is_news_not_a_repeat(
    store: Store, clock: FrozenClock
) -> None:
    """Two statements the embedder finds nearly identical but with other values are both kept
    (a merge would keep the old value and lose the new one)."""
    memory = _memory(store, clock)
    _say(memory, store, clock, "acme", "s1", "On Saturdays the shop is open from 8am to 12pm.")
    _say(memory, store, clock, "acme", "s2", "On Saturdays the shop is open from 8am to 1pm.")
    contents = [e["content"] for e in memory.entries("acme")]
    assert "On Saturdays the shop is open from 8am to 1pm." in contents
    assert "On Saturdays the shop is open from 8am to 12pm." in contents


def test_the_latest_statement_comes_first_and_the_earliest_for_how_it_began(
    store: Store, clock: FrozenClock
) -> None:
    """Two live statements about the same thing (no subject the rules recognise): the later one
    first for a question about the fact, the earlier one first for how it began."""
    memory = _memory(store, clock)
    _say(memory, store, clock, "acme", "s1", "Castlefield Couriers deliver the court runs on Tuesdays.")  # fmt: skip
    clock.advance(timedelta(days=20))
    _say(memory, store, clock, "acme", "s2", "Castlefield Couriers have changed the day again, Wednesdays now.")  # fmt: skip
    now = memory.recall("acme", "s3", "Which day do Castlefield Couriers come?").facts()
    assert now[0].endswith("Wednesdays now.") and any("Tuesdays" in f for f in now)
    began = memory.recall("acme", "s3", "Which day did Castlefield Couriers first come?").facts()
    assert began[0].endswith("on Tuesdays.")


def test_a_later_change_naming_the_same_person_comes_before_the_statement_it_updates(
    store: Store, clock: FrozenClock
) -> None:
    """The change shares no word with the question ("covers" for "in charge", "off" for
    "away"); keywords alone (no embedder) find it through the name it shares with the statement
    it updates."""
    memory = _memory(store, clock, embedder=None)
    _say(memory, store, clock, "acme", "s1", "When I'm away, Declan is in charge. Anything urgent goes to him.")  # fmt: skip
    _say(memory, store, clock, "acme", "s2", "Message Declan that the van is booked.")
    clock.advance(timedelta(days=20))
    _say(memory, store, clock, "acme", "s3", "Change of plan: Yasmin covers for me from now on when I'm off, Declan has enough on his plate.")  # fmt: skip
    clock.advance(timedelta(days=3))
    _say(
        memory, store, clock, "acme", "s4", "Declan's new number is 07700 900111."
    )  # also a change
    facts = memory.recall("globex", "s5", "Who's in charge when I'm away?").facts()
    assert facts == []  # nothing crosses tenants
    facts = memory.recall("acme", "s5", "Who's in charge when I'm away?").facts()
    assert _at(facts, "Yasmin covers") < _at(facts, "Declan is in charge")
    # How it began: the original statement, nothing pulled in before it.
    began = memory.recall("acme", "s5", "Who was first in charge when I was away?").facts()
    assert "Yasmin" not in began[0]


def test_a_later_change_is_found_among_many_statements_naming_the_same_person(
    store: Store, clock: FrozenClock
) -> None:
    """A hundred and twenty short statements name Declan, and match his name better than the
    long change does: the change is still found (the search for later changes ranks changes
    only)."""
    memory = _memory(store, clock, embedder=None)
    _say(memory, store, clock, "acme", "s1", "When I'm away, Declan is in charge.")
    for i in range(120):
        _say(memory, store, clock, "acme", f"j{i}", f"Declan knows the alarm code for site {i + 7}.")  # fmt: skip
    clock.advance(timedelta(days=20))
    _say(memory, store, clock, "acme", "s3", "Change of plan: Yasmin covers for me from now on"
         " when I'm off, and Declan can focus on the fitting jobs for the next few months.")  # fmt: skip
    facts = memory.recall("acme", "s5", "Who's in charge when I'm away?").facts()
    assert _at(facts, "Yasmin covers") < _at(facts, "Declan is in charge")


def test_a_question_is_not_kept_and_a_request_asked_twice_is_not_promoted(
    store: Store, clock: FrozenClock
) -> None:
    memory = _memory(store, clock)
    for _ in range(3):
        _say(memory, store, clock, "acme", "s1", "Is everything fine over there today?")
        _say(memory, store, clock, "acme", "s1", "Register the customer Maria Silva please.")
        _say(memory, store, clock, "acme", "s1", "Can you book the van for Friday morning?")
    _say(memory, store, clock, "acme", "s2", "We will repaint the shop front in May.")
    _say(memory, store, clock, "acme", "s3", "We will repaint the shop front in May.")
    status = {
        e["content"]: (e["status"], e["metadata"]["mentions"]) for e in memory.entries("acme")
    }
    assert "Is everything fine over there today?" not in status  # a question states nothing
    assert status["Register the customer Maria Silva please."] == ("candidate", 3)
    assert status["Can you book the van for Friday morning?"] == ("candidate", 3)  # it asks
    assert status["We will repaint the shop front in May."] == ("promoted", 2)  # a plan, said twice


def test_an_entry_added_by_a_caller_supersedes_with_its_event(
    store: Store, clock: FrozenClock
) -> None:
    memory = _memory(store, clock)
    old = memory.add("acme", "s1", "Our landlord is Pedro Alves.").entry
    new = memory.add("acme", "s1", "Our landlord is now Carla Nunes.", correlation_id=CORR)
    assert new.superseded == (old["memory_id"],)
    [event] = [
        e for e in store.events.trace("acme", CORR) if e["name"] == "owner.memory.superseded"
    ]
    assert event["payload"] == {"memory_id": old["memory_id"], "superseded_by": new.entry["memory_id"],
                                "subject_key": "landlord"}  # fmt: skip
    assert (
        memory.add("acme", "s1", "Who is our landlord now?").superseded == ()
    )  # a question replaces nothing
