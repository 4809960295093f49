"""The owner concierge's memory over HTTP (origin §g 9–15): sessions and their turns, long-memory
entries, their promotion or archiving, the summary, and retrieval.

Fixed from the origin: an entry whose embedding fails is stored all the same (the re-embedding
job gives it its vector), never a 500 ``embedding_error``; every source memory stores may be
listed and retrieved (the origin answered 500 for ``episode_promotion``); promoting what is not
a candidate is a 409 ``invalid_transition``; the entries list may leave out the session; and a
``query_embedding`` is compared only with vectors of its own dimension (the origin compared an
OpenAI vector with a 24-dimension local one over the shorter length).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Query

from matrix.api.errors import ApiError, Detail, not_found
from matrix.api.routing import Api, Call, TenantQuery
from matrix.errors import NotFoundError, UsageError
from matrix.memory import shapes

if TYPE_CHECKING:
    from matrix.concierge.ports import TenantAI

TAGS = ["owner-memory"]
BASE = "/v1/owner-concierge"
STRATEGIES = {"hybrid-rrf-v1": "hybrid", "hybrid-lexical-vector-v1": "hybrid",
              "vector-ready": "hybrid", "lexical-salience-v1": "lexical"}  # fmt: skip
"""The strategy names a client may send (the origin's, and this one's default) → how to rank."""
PROMOTED = "owner.context.promoted"

Session = Annotated[str, Query(min_length=1, max_length=200, description="The session.")]
SessionFilter = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Only this session's entries.")
]
StatusFilter = Annotated[
    Literal["candidate", "promoted", "archived", "superseded"] | None,
    Query(description="Only entries in this status."),
]


def register(api: Api) -> None:
    @api.get(f"{BASE}/sessions", response="memory.sessions_response", tags=TAGS)
    def list_owner_sessions(
        call: Call, tenant_id: TenantQuery = None,
        limit: Annotated[int, Query(ge=1, le=200, description="At most this many.")] = 20,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's concierge sessions, the most recently active first."""
        tenant = call.for_tenant(tenant_id)
        items = call.app.memory.sessions(tenant, limit)
        return {"tenant_id": tenant, "items": [shapes.session(s) for s in items]}

    @api.get(f"{BASE}/session-turns", response="memory.turns_response", tags=TAGS)
    def list_owner_session_turns(
        call: Call, session_id: Session, tenant_id: TenantQuery = None,
        limit: Annotated[int, Query(ge=1, le=400, description="The last this many.")] = 80,
    ) -> dict[str, Any]:  # fmt: skip
        """A session's last turns, oldest first (none for a session the tenant does not have).
        400 ``missing_session_id`` without one."""
        tenant = call.for_tenant(tenant_id)
        turns = call.app.memory.turns(tenant, session_id, limit)
        return {"tenant_id": tenant, "session_id": session_id,
                "turns": [shapes.turn(t) for t in turns]}  # fmt: skip

    @api.post(f"{BASE}/memory/entries", request="memory.create_request",
              response="memory.create_response", tags=TAGS)  # fmt: skip
    def create_memory_entry(call: Call) -> dict[str, Any]:
        """Keep a statement in long memory, as a candidate: ``created``; ``merged`` into an
        entry that says nearly the same; ``idempotent`` when its ``memory_id`` or
        ``external_key`` is known (the entry as it is). An entry about the same subject as live
        ones supersedes them (``superseded``)."""
        r, tenant = call.request, call.tenant_id
        given = r["memory"]
        added = call.app.memory.add(
            tenant, r["session_id"], given["content"], source=given["source"],
            tags=given.get("tags", ()), salience=given.get("salience_score", 0.5),
            external_key=given.get("external_key"), memory_id=given.get("memory_id"),
            metadata=given.get("metadata"), ai=_ai(call, tenant), actor=_actor(call),
            correlation_id=r.get("correlation_id"),
        )  # fmt: skip
        return {"response": {"request_id": r["request_id"], "status": added.status,
                             "entry": shapes.entry(added.entry), "superseded": list(added.superseded)}}  # fmt: skip

    @api.get(f"{BASE}/memory/entries", response="memory.list_response", tags=TAGS)
    def list_memory_entries(
        call: Call, tenant_id: TenantQuery = None, session_id: SessionFilter = None,
        status: StatusFilter = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's long-memory entries (of one session, in one status), oldest first."""
        tenant = call.for_tenant(tenant_id)
        items = call.app.memory.entries(tenant, session_id=session_id, status=status)
        return {"tenant_id": tenant, "session_id": session_id, "count": len(items),
                "items": [shapes.entry(e) for e in items]}  # fmt: skip

    @api.post(f"{BASE}/context/promotions", request="memory.promotion_request",
              response="memory.promotion_response", errors=(409,), tags=TAGS)  # fmt: skip
    def resolve_memory_promotion(call: Call) -> dict[str, Any]:
        """Promote a candidate (recall then uses it; emits ``owner.context.promoted``) or
        archive it. 404 ``memory_not_found`` for an entry the tenant does not have; 409
        ``invalid_transition`` for one that is not a candidate (nothing changes)."""
        r = call.request
        try:
            entry, chain = call.app.memory.transition(
                call.tenant_id, r["memory_id"], r["action"], reason_code=r.get("reason_code", "manual"),
                actor=_actor(call), correlation_id=r.get("correlation_id"), details=r.get("metadata"),
            )  # fmt: skip
        except NotFoundError as exc:
            if exc.code == "memory_not_found":  # one body, whichever id was asked for
                raise not_found("memory entry", exc.code) from None
            raise
        event = PROMOTED if entry["status"] == "promoted" else None
        return {"response": {"request_id": r["request_id"], "status": "updated", "action": r["action"],
                             "entry": shapes.entry(entry), "orchestration": {
                                 "correlation_id": chain.correlation_id, "command_id": None,
                                 "lifecycle_event_name": event}}}  # fmt: skip

    @api.get(f"{BASE}/context/summary", response="memory.summary_response", tags=TAGS)
    def memory_summary(call: Call, tenant_id: TenantQuery = None) -> dict[str, Any]:
        """How many entries the tenant has in each status, over how many sessions, and when one
        was last promoted."""
        return shapes.summary(call.app.memory.summary(call.for_tenant(tenant_id)))

    @api.post(f"{BASE}/context/retrieve", request="memory.retrieve_request",
              response="memory.retrieve_response", tags=TAGS)  # fmt: skip
    def retrieve_memory(call: Call) -> dict[str, Any]:
        """The entries that best answer a query: BM25 and cosine fused by reciprocal rank
        fusion (``lexical-salience-v1``: BM25 alone), promoted ones only unless asked, never a
        superseded one. A ``query_embedding`` must have the dimension of the tenant's embedding
        model (400 ``invalid_query_embedding`` naming it otherwise)."""
        r, tenant = call.request, call.tenant_id
        strategy = r.get("strategy", "hybrid-rrf-v1")
        query, ai = " ".join([r["text"], *r.get("tags", ())]), _ai(call, tenant)
        try:
            found, model, degraded = call.app.memory.retrieve(
                tenant, query, ai=ai, session_id=r.get("session_id"),
                top_k=r.get("top_k", 5), min_score=r.get("min_score", 0.0),
                include_candidates=r.get("include_candidates", False),
                include_archived=r.get("include_archived", False), strategy=STRATEGIES[strategy],
                vector=r.get("query_embedding"),
            )  # fmt: skip
        except UsageError as exc:  # only the query's own vector can be refused here
            pointer = "/request/query_embedding"
            raise ApiError(status=400, code="invalid_query_embedding", message=f"query_embedding: {exc}",
                           details=[Detail(path=pointer, problem=str(exc))]) from None  # fmt: skip
        retrieval = shapes.retrieval(found, query=query, strategy=strategy, top_k=r.get("top_k", 5),
                                     model=model, degraded=degraded)  # fmt: skip
        return {"request_id": r.get("request_id"), "tenant_id": tenant, "status": "ok",
                "retrieval": retrieval}  # fmt: skip


def _ai(call: Call, tenant_id: str) -> TenantAI:
    """The tenant's AI settings, which choose its embedding model."""
    return call.app.concierge.runtimes.resolve(tenant_id).ai


def _actor(call: Call) -> str:
    """Who asked, for the audit: the token's name."""
    identity = call.caller.identity
    return f"token:{identity.name}" if identity is not None else "api"
