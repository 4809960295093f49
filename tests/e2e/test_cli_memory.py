"""``matrix memory`` as a user runs it, on a real store file: what the concierge kept of a chat,
promoting and archiving it, retrieval, the summary, sessions and turns, and the refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.cli import run

CANDIDATE = "The oven timer beeps twice after baking bread."
"""A plain statement: kept as a candidate (no promotion rule holds)."""
ANA = "Our accountant is Ana Lima."
RUI = "Our accountant is now Rui Costa."
UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def matrix(url: str, capsys: pytest.CaptureFixture[str]) -> Any:
    """``matrix ARGS… --storage-url URL`` (with ``--tenant acme`` unless ``tenant=None``)."""

    def call(*args: str, tenant: str | None = "acme") -> tuple[int, str, str]:
        named = ("--tenant", tenant) if tenant else ()
        return run(capsys, *args, *named, "--storage-url", url)

    return call


def _json(matrix: Any, *args: str) -> Any:
    code, out, err = matrix(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _say(matrix: Any, text: str, session: str) -> None:
    code, _, err = matrix("chat", "-m", text, "--session", session)
    assert code == 0, err


def _kept(matrix: Any, content: str) -> dict[str, Any]:
    entries = _json(matrix, "memory", "list")["items"]
    return next(e for e in entries if e["content"] == content)


def test_memory_keeps_a_chat_statement_and_a_person_promotes_it(matrix: Any) -> None:
    _say(matrix, CANDIDATE, "s-1")
    entry = _kept(matrix, CANDIDATE)
    assert (entry["status"], entry["session_id"], entry["source_turns"]) == (
        "candidate",
        "s-1",
        ["s-1#1"],
    )
    code, out, _ = matrix("memory", "list")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["MEMORY_ID", "STATUS", "SOURCE"]
    assert entry["memory_id"] in out and "candidate" in out
    code, out, _ = matrix("memory", "promote", entry["memory_id"], "--reason", "owner_confirmed",
                          "--actor", "ana")  # fmt: skip
    assert (code, out) == (0, f"memory entry {entry['memory_id']}: promoted\n")
    shown = _json(matrix, "memory", "show", entry["memory_id"])
    assert shown["entry"]["status"] == "promoted"
    assert [(h["action"], h["reason_code"], h["actor"]) for h in shown["history"]] == [
        ("created", "statement", "owner"), ("promoted", "owner_confirmed", "ana")]  # fmt: skip
    code, out, _ = matrix("memory", "show", entry["memory_id"])
    assert code == 0 and f"memory_id: {entry['memory_id']}" in out and "candidate → promoted" in out
    found = _json(matrix, "memory", "retrieve", "oven timer")
    assert [i["memory_id"] for i in found["items"]] == [entry["memory_id"]]
    assert found["items"][0]["matched_terms"] == ["oven", "timer"]


def test_memory_archive_then_promote_is_a_refusal_that_changes_nothing(matrix: Any) -> None:
    _say(matrix, CANDIDATE, "s-1")
    memory_id = _kept(matrix, CANDIDATE)["memory_id"]
    assert matrix("memory", "archive", memory_id)[0] == 0
    code, out, err = matrix("memory", "promote", memory_id)
    assert (code, out) == (1, "")
    assert err == (f"error: Memory entry {memory_id} is archived; only a candidate can be promoted"
                   " (invalid_transition: nothing was changed).\n")  # fmt: skip
    shown = _json(matrix, "memory", "show", memory_id)
    assert shown["entry"]["status"] == "archived" and len(shown["history"]) == 2
    assert _json(matrix, "memory", "retrieve", "oven timer", "--include-candidates")["items"] == []


def test_memory_retrieve_answers_the_newer_statement_of_a_fact(matrix: Any) -> None:
    _say(matrix, ANA, "s-1")
    _say(matrix, RUI, "s-2")
    ana, rui = _kept(matrix, ANA), _kept(matrix, RUI)
    assert (ana["status"], ana["superseded_by"]) == ("superseded", rui["memory_id"])
    assert ana["invalid_at"] is not None and rui["status"] == "promoted"
    found = _json(matrix, "memory", "retrieve", "Who is our accountant?", "--include-candidates")
    assert [i["content"] for i in found["items"]] == [RUI]
    assert found["strategy"] == "hybrid-rrf-v1" and found["retrieved_count"] == 1
    code, out, _ = matrix("memory", "retrieve", "Who is our accountant?")
    # The shipped local embedder is on by default: the vector search took part.
    assert code == 0 and out.startswith("1 entry, vector search with wordllama") and "Rui Costa" in out
    assert "Ana Lima" not in out


def test_memory_lists_by_session_and_status(matrix: Any) -> None:
    _say(matrix, CANDIDATE, "s-1")
    _say(matrix, ANA, "s-2")
    assert [e["content"] for e in _json(matrix, "memory", "list", "--session", "s-1")["items"]] == [
        CANDIDATE
    ]
    promoted = _json(matrix, "memory", "list", "--status", "promoted")
    assert [e["content"] for e in promoted["items"]] == [ANA] and promoted["count"] == 1
    assert _json(matrix, "memory", "list", "--session", "s-9")["items"] == []
    assert matrix("memory", "list", "--session", "s-9")[1] == "(none)\n"


def test_memory_summary_sessions_and_turns(matrix: Any) -> None:
    _say(matrix, ANA, "s-1")
    _say(matrix, RUI, "s-2")
    _say(matrix, CANDIDATE, "s-2")
    summary = _json(matrix, "memory", "summary")
    assert {k: summary[k] for k in ("entries_total", "candidate_count", "promoted_count",
                                    "superseded_count", "sessions_count")} == {
        "entries_total": 3, "candidate_count": 1, "promoted_count": 1, "superseded_count": 1,
        "sessions_count": 2}  # fmt: skip
    code, out, _ = matrix("memory", "summary")
    assert code == 0 and "superseded_count: 1\n" in out
    sessions = _json(matrix, "memory", "sessions")["items"]
    assert [(s["session_id"], s["turn_count"]) for s in sessions] == [("s-2", 4), ("s-1", 2)]
    assert len(_json(matrix, "memory", "sessions", "--limit", "1")["items"]) == 1
    turns = _json(matrix, "memory", "turns", "s-2")
    assert [(t["turn_no"], t["role"]) for t in turns["turns"]] == [
        (1, "user"), (2, "assistant"), (3, "user"), (4, "assistant")]  # fmt: skip
    assert turns["turns"][2]["content"] == CANDIDATE
    assert [
        t["turn_no"] for t in _json(matrix, "memory", "turns", "s-2", "--limit", "1")["turns"]
    ] == [4]
    code, out, _ = matrix("memory", "turns", "s-1")
    assert code == 0 and out.splitlines()[0].split() == ["TURN_NO", "ROLE", "TS", "CONTENT"]


def test_memory_unknown_ids_exit_1_with_where_to_look(matrix: Any) -> None:
    assert matrix("memory", "show", UNKNOWN) == (1, "", (
        f"error: No memory entry '{UNKNOWN}' for tenant 'acme' (`matrix memory list` shows them).\n"))  # fmt: skip
    code, _, err = matrix("memory", "promote", UNKNOWN)
    assert code == 1 and "`matrix memory list` shows them" in err
    assert matrix("memory", "turns", "s-404") == (1, "", (
        "error: No session 's-404' for tenant 'acme' (`matrix memory sessions` lists them).\n"))  # fmt: skip
    code, _, err = matrix("memory", "list", tenant="globex")
    assert (code, err) == (1, "error: Unknown tenant 'globex'. Known tenants: acme; or create it"
                              " with `matrix tenant create globex`.\n")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("memory", "list", "--status", "deleted"), "'deleted' is not one of"),
        (("memory", "list", "--session", ""), "--session must be a session id of 1 to 200"),
        (("memory", "list", "--session", "a\nb"), "control character"),
        (("memory", "retrieve", "  "), "TEXT is empty"),
        (("memory", "retrieve", "oven", "--top-k", "21"), "21 is not in the range 1<=x<=20"),
        (("memory", "promote", UNKNOWN, "--reason", "ab"), "--reason 'ab' is too short"),
        (("memory", "turns", "x" * 201), "SESSION_ID must be a session id of 1 to 200"),
        (("memory", "sessions", "--limit", "0"), "0 is not in the range 1<=x<=200"),
    ],
    ids=[
        "status",
        "empty-session",
        "control-session",
        "blank-text",
        "top-k",
        "short-reason",
        "long-session",
        "limit",
    ],
)
def test_memory_usage_errors_exit_2_and_store_nothing(
    matrix: Any, args: tuple[str, ...], message: str
) -> None:
    _say(matrix, CANDIDATE, "s-1")
    before = _json(matrix, "memory", "summary")
    code, out, err = matrix(*args)
    assert (code, out) == (2, "") and message in err, err
    assert _json(matrix, "memory", "summary") == before
