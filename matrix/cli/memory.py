"""``matrix memory``: what the concierge remembers of each tenant — its long-memory entries, their
promotion or archiving, retrieval, and the sessions' turns; its re-embedding
(:mod:`matrix.cli.memory_maintenance`) and its evaluation (:mod:`matrix.cli.memory_eval`)."""

from __future__ import annotations

import json
from typing import Any

import click

from matrix import values
from matrix.cli import memory_eval, memory_maintenance
from matrix.cli.options import (
    CONTEXT,
    F,
    actor_option,
    json_option,
    open_app,
    storage_option,
    tenant_option,
)
from matrix.cli.output import emit, plural, table
from matrix.errors import NotFoundError, UsageError
from matrix.memory import shapes
from matrix.memory.entries import STATUSES

MAX_SESSION_ID = 200
PREVIEW = 70
"""The most of an entry's or a turn's text a table shows."""


@click.group(context_settings=CONTEXT)
def memory() -> None:
    """The concierge's memory: long-memory entries, retrieval, sessions and their turns,
    re-embedding, and recall measured on labelled histories."""


def _session(value: str | None, name: str) -> str | None:
    """A session id as given: one line, not blank, at most 200 characters."""
    if value is None:
        return None
    if not value.strip() or len(value) > MAX_SESSION_ID:
        raise UsageError(f"{name} must be a session id of 1 to {MAX_SESSION_ID} characters, got"
                         f" {values.shown(value)}; `matrix memory sessions` lists them.")  # fmt: skip
    return values.one_line(value, name)


def _plain(value: Any) -> str:
    """A value as a person reads it: lists and objects as JSON, nothing for None."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW else line[: PREVIEW - 1] + "…"


@memory.command("list")
@tenant_option
@click.option("--session", "session_id", help="Only this session's entries.")
@click.option("--status", type=click.Choice(STATUSES), help="Only entries in this status.")
@storage_option
@json_option
def memory_list(tenant_id: str, session_id: str | None, status: str | None,
                storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Long-memory entries, oldest first."""
    session_id = _session(session_id, "--session")
    with open_app(storage_url) as app:
        items = [
            shapes.entry(e)
            for e in app.memory.entries(tenant_id, session_id=session_id, status=status)
        ]
    result = {"tenant_id": tenant_id, "session_id": session_id, "count": len(items), "items": items}
    columns = ("memory_id", "status", "source", "session_id", "salience", "content")
    emit(result, as_json, lambda r: table([{**e, "salience": f"{e['salience_score']:.2f}",
                                            "content": _short(e["content"])} for e in r["items"]], columns))  # fmt: skip


@memory.command("show")
@click.argument("memory_id")
@tenant_option
@storage_option
@json_option
def memory_show(memory_id: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """One entry and every change it went through."""
    values.one_line(memory_id, "MEMORY_ID")
    with open_app(storage_url) as app:
        entry, history = app.memory.show(tenant_id, memory_id)
    result = {"entry": shapes.entry(entry), "history": [shapes.audit(h) for h in history]}
    emit(result, as_json, _show_text)


def _show_text(r: dict[str, Any]) -> str:
    e = r["entry"]
    lines = [f"{name}: {_plain(e[name])}" for name in shapes.ENTRY_FIELDS]
    changes = [
        {**h, "change": f"{h['old_status'] or '-'} → {h['new_status'] or '-'}"}
        for h in r["history"]
    ]
    return (
        "\n".join(lines)
        + "\n\nhistory:\n"
        + table(changes, ("created_at", "action", "change", "reason_code", "actor"))
    )


def _transition(action: str) -> Any:
    """The promote or archive command: both take the same arguments and print the same way."""

    def move(memory_id: str, tenant_id: str, reason: str, actor: str, storage_url: str | None,
             as_json: bool) -> None:  # fmt: skip
        values.one_line(memory_id, "MEMORY_ID")
        reason = values.label(reason, "--reason", max_length=120)
        if len(reason) < 3:
            raise UsageError(f"--reason {values.shown(reason)} is too short; give at least 3"
                             " characters (a reason code such as owner_confirmed).")  # fmt: skip
        with open_app(storage_url) as app:
            entry, chain = app.memory.transition(tenant_id, memory_id, action, reason_code=reason,
                                                 actor=actor)  # fmt: skip
        result = {
            "action": action,
            "entry": shapes.entry(entry),
            "correlation_id": chain.correlation_id,
        }
        emit(
            result,
            as_json,
            lambda r: f"memory entry {r['entry']['memory_id']}: {r['entry']['status']}",
        )

    return move


def _transition_options(f: F) -> F:
    f = json_option(f)
    f = storage_option(f)
    f = actor_option("Who decides (recorded in the audit).")(f)
    f = click.option("--reason", default="manual", show_default=True,
                     help="Why, as a reason code (recorded in the audit).")(f)  # fmt: skip
    f = tenant_option(f)
    return click.argument("memory_id")(f)


memory.command(
    "promote",
    help="Promote a candidate entry: recall and retrieval use it from now on (emits owner.context.promoted).",
)(_transition_options(_transition("promote")))
memory.command("archive", help="Archive a candidate entry: recall leaves it out.")(
    _transition_options(_transition("archive"))
)


@memory.command("retrieve")
@click.argument("text")
@tenant_option
@click.option("--session", "session_id", help="Only this session's entries.")
@click.option("--top-k", type=click.IntRange(1, 20), default=5, show_default=True)
@click.option(
    "--include-candidates", is_flag=True, help="Candidates too, not only promoted entries."
)
@storage_option
@json_option
def memory_retrieve(text: str, tenant_id: str, session_id: str | None, top_k: int,
                    include_candidates: bool, storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """The entries that best answer TEXT (BM25 and cosine fused by reciprocal rank fusion),
    never a superseded one."""
    if not text.strip():
        raise UsageError("TEXT is empty; give the words to search memory for.")
    session_id = _session(session_id, "--session")
    with open_app(storage_url) as app:
        ai = app.concierge.runtimes.resolve(tenant_id).ai
        found, model, degraded = app.memory.retrieve(
            tenant_id, text, ai=ai, session_id=session_id, top_k=top_k,
            include_candidates=include_candidates,
        )  # fmt: skip
    result = {"tenant_id": tenant_id, **shapes.retrieval(found, query=text, strategy="hybrid-rrf-v1",
                                                         top_k=top_k, model=model, degraded=degraded)}  # fmt: skip
    emit(result, as_json, _retrieve_text)


def _retrieve_text(r: dict[str, Any]) -> str:
    rows = [{**i, "rank": n, "score": f"{i['score']:.4f}", "content": _short(i["content"]),
             "matched": ", ".join(i["matched_terms"])} for n, i in enumerate(r["items"], 1)]  # fmt: skip
    how = f"vector search with {r['embedding_model']}" if r["vector_ready"] else "lexical only"
    if r["degraded"]:
        how += f" (the embedder failed: {r['degraded']})"
    return f"{plural(r['retrieved_count'], 'entry', 'entries')}, {how}\n" + table(
        rows, ("rank", "score", "status", "memory_id", "matched", "content")
    )


@memory.command("summary")
@tenant_option
@storage_option
@json_option
def memory_summary(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """How many entries are in each status, over how many sessions, and the last promotion."""
    with open_app(storage_url) as app:
        result = shapes.summary(app.memory.summary(tenant_id))
    emit(result, as_json, lambda r: "\n".join(f"{k}: {_plain(v)}" for k, v in r.items()))


@memory.command("sessions")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 200), default=20, show_default=True)
@storage_option
@json_option
def memory_sessions(tenant_id: str, limit: int, storage_url: str | None, as_json: bool) -> None:
    """The tenant's concierge sessions, the most recently active first."""
    with open_app(storage_url) as app:
        items = [shapes.session(s) for s in app.memory.sessions(tenant_id, limit)]
    result = {"tenant_id": tenant_id, "items": items}
    columns = ("session_id", "turn_count", "last_ts", "last_role", "last_preview")
    emit(result, as_json, lambda r: table([{**s, "last_preview": _short(s["last_preview"])}
                                           for s in r["items"]], columns))  # fmt: skip


@memory.command("turns")
@click.argument("session_id")
@tenant_option
@click.option("--limit", type=click.IntRange(1, 400), default=80, show_default=True)
@storage_option
@json_option
def memory_turns(session_id: str, tenant_id: str, limit: int, storage_url: str | None,
                 as_json: bool) -> None:  # fmt: skip
    """A session's last turns, oldest first."""
    _session(session_id, "SESSION_ID")
    with open_app(storage_url) as app:
        turns = [shapes.turn(t) for t in app.memory.turns(tenant_id, session_id, limit)]
    if not turns:  # a session keeps its last turns for good: none means there is no such session
        raise NotFoundError(f"No session {session_id!r} for tenant {tenant_id!r}"
                            " (`matrix memory sessions` lists them).", code="session_not_found")  # fmt: skip
    result = {"tenant_id": tenant_id, "session_id": session_id, "turns": turns}
    emit(result, as_json, lambda r: table([{**t, "content": _short(t["content"])} for t in r["turns"]],
                                          ("turn_no", "role", "ts", "content")))  # fmt: skip


memory_maintenance.register(memory)
memory_eval.register(memory)

COMMANDS = (memory,)
