"""No memory read crosses a tenant, and no session-scoped read crosses a session.

Hypothesis draws a history — owner statements said by two tenants in three sessions each, each
statement marked with its own (tenant, session) — feeds it through the product's
``Memory.remember``, then asks every read memory has, for every tenant and session, naming the
*other* tenants' and sessions' markers in the queries: short memory, sessions, episodes,
entries (by tenant and by session), recall, retrieval (tenant-wide and by session), BM25 and
vector search and recall's read of both, the summary and the audit. Every row a read returns
must carry the reader's marker (the tenant's for long memory, which is the tenant's across its
sessions; the session's for the session-scoped reads). Each example uses tenants of its own, so
examples share one store.
"""

from __future__ import annotations

import itertools
import re
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrix import envelopes as env
from matrix.clock import FrozenClock
from matrix.memory.service import Memory, MemoryConfig
from matrix.memory.text import terms
from matrix.providers.embeddings import LocalEmbedder
from matrix.storage import Store

LOCAL = LocalEmbedder()
SESSIONS = ("s1", "s2", "s3")
TEMPLATES = (
    "Our {thing} for {marker} is on the second floor.",
    "I prefer calls about {marker} {thing} in the morning.",
    "The {thing} {marker} costs 120 euros now.",
    "Remind me to check the {thing} {marker} tomorrow.",
    "We will move the {thing} {marker} next week.",
)
THINGS = ("printer", "invoice", "supplier", "alarm", "contract", "van")
MARKER = re.compile(r"\bt(\d)x(s\d)\b")

statement = st.tuples(st.sampled_from((0, 1)), st.sampled_from(SESSIONS),
                      st.sampled_from(TEMPLATES), st.sampled_from(THINGS))  # fmt: skip


def _marks(text: str) -> set[tuple[str, str]]:
    return set(MARKER.findall(text))


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=st.lists(statement, min_size=4, max_size=24))
def test_no_memory_read_crosses_a_tenant_or_a_session(
    store: Store, clock: FrozenClock, history: list[tuple[int, str, str, str]]
) -> None:
    run = uuid.uuid4().hex[:8]
    tenants = [f"iso-{run}-a", f"iso-{run}-b"]
    for tenant in tenants:
        store.tenants.add(tenant)
    memory = Memory(store, clock, embedders=lambda ai, mode=None: LOCAL,  # type: ignore[arg-type,return-value]
                    config=MemoryConfig(episode_turns=4, short_turns=8))  # fmt: skip
    for who, session, template, thing in history:
        chain = env.Chain(tenant_id=tenants[who], clock=clock, correlation_id=env.new_id(),
                          trace_id=env.new_id())  # fmt: skip
        text = template.format(thing=thing, marker=f"t{who}x{session}")
        with store.transaction():
            store.events.append_many(
                memory.remember(chain, session, text, f"Noted t{who}x{session}.")
            )
        clock.advance(timedelta(minutes=3))

    every_marker = [f"t{w}x{s}" for w, s in itertools.product((0, 1), SESSIONS)]
    for (who, tenant), session in itertools.product(enumerate(tenants), SESSIONS):
        mine_t = {(str(who), s) for s in SESSIONS}
        mine_s = {(str(who), session)}

        def only(texts: list[str], allowed: set[tuple[str, str]], read: str,
                 where: str = f"{tenant}/{session}") -> None:  # fmt: skip
            for text in texts:
                assert _marks(text) <= allowed, f"{read} of {where} returned {text!r}"

        only([t["content"] for t in memory.turns(tenant, session, 400)], mine_s, "turns")
        only([s["last_preview"] for s in memory.sessions(tenant, 200)], mine_t, "sessions")
        only(
            [e["summary"] for e in store.memory.episodes(tenant, session, 100)], mine_s, "episodes"
        )
        only([e["content"] for e in memory.entries(tenant)], mine_t, "entries")
        only(
            [e["content"] for e in memory.entries(tenant, session_id=session)],
            mine_s,
            "session entries",
        )
        for marker in every_marker:  # ask with everyone's words
            query = f"where is the printer invoice supplier alarm contract van {marker}?"
            recall = memory.recall(tenant, session, query)
            only(recall.facts(), mine_t, "recall")
            only([t["content"] for t in recall.short], mine_s, "recall short memory")
            only([e["summary"] for e in recall.episodes], mine_s, "recall episodes")
            for scope, allowed in ((None, mine_t), (session, mine_s)):
                ranked, _, _ = memory.retrieve(tenant, query, session_id=scope,
                                               include_candidates=True, include_archived=True)  # fmt: skip
                only([r.entry["content"] for r in ranked], allowed, f"retrieve {scope}")
            ids = {m for m, _ in store.memory.bm25(tenant, terms(query), statuses=("candidate", "promoted"),
                                                   session_id=None, limit=100)}  # fmt: skip
            ids |= {m for m, _ in store.memory.nearest(tenant, LOCAL.model, LOCAL.embed([query])[0],
                                                       statuses=("candidate", "promoted"),
                                                       session_id=None, limit=100)}  # fmt: skip
            for scope, allowed in ((None, mine_t), (session, mine_s)):  # recall's first read
                lexical, nearest, facts = store.memory.search(
                    tenant, terms(query), vector=LOCAL.embed([query])[0], model=LOCAL.model,
                    statuses=("candidate", "promoted", "archived", "superseded"),
                    session_id=scope, limit=100,
                )  # fmt: skip
                ids |= {m for m, _ in [*lexical, *nearest]}
                only([f["content"] for f in facts.values()], allowed, f"search {scope}")
            only(
                [e["content"] for e in store.memory.entries(tenant, ids=sorted(ids))],
                mine_t,
                "search",
            )
            assert len(store.memory.entries(tenant, ids=sorted(ids))) == len(ids), (
                "an id of another tenant"
            )
        counted = memory.summary(tenant)["entries_total"]
        assert counted == len(memory.entries(tenant))
        for entry in memory.entries(tenant):
            only(
                [h["new_value"] or "" for h in store.memory.history(tenant, entry["memory_id"])],
                mine_t,
                "audit",
            )
