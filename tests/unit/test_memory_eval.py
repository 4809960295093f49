"""The memory evaluation scores what it says: evidence recall@k from the entries' source turns,
latest-first on knowledge updates, absent questions kept out of recall, and the two baselines
(full context, BM25 over turns) on the same histories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matrix.clock import Clock
from matrix.errors import UsageError
from matrix.memory import evaluate
from matrix.providers.embeddings import LocalEmbedder
from matrix.storage import open_store

SESSION_1, SESSION_2 = (
    "11111111-1111-4111-8111-111111111111",
    "22222222-2222-4222-8222-222222222222",
)


def _turn(session: str, n: int, role: str, content: str, ts: str) -> dict[str, Any]:
    return {"turn_id": f"eval-x/{session[:2]}/t{n:03d}", "role": role, "content": content, "ts": ts}


def _history() -> dict[str, Any]:
    s1 = [
        _turn(
            SESSION_1,
            1,
            "user",
            "Remind me to call the plumber tomorrow at 10.",
            "2026-03-02T09:00:00+00:00",
        ),
        _turn(SESSION_1, 2, "assistant", "Done, reminder set.", "2026-03-02T09:00:05+00:00"),
        _turn(
            SESSION_1,
            3,
            "user",
            "Our accountant is Ana Lima from Contas Certas.",
            "2026-03-02T09:01:00+00:00",
        ),
        _turn(
            SESSION_1,
            4,
            "assistant",
            "Noted: your accountant is Ana Lima.",
            "2026-03-02T09:01:05+00:00",
        ),
    ]
    s2 = [
        _turn(
            SESSION_2,
            1,
            "user",
            "Our accountant is now Rui Sousa, send him the invoices.",
            "2026-04-06T10:00:00+00:00",
        ),
        _turn(SESSION_2, 2, "assistant", "Noted.", "2026-04-06T10:00:05+00:00"),
        _turn(
            SESSION_2,
            3,
            "user",
            "I prefer supplier meetings on Tuesday mornings.",
            "2026-04-06T10:02:00+00:00",
        ),
        _turn(SESSION_2, 4, "assistant", "Noted.", "2026-04-06T10:02:05+00:00"),
    ]
    q = "2026-05-01T09:00:00+00:00"
    return {"tenant_id": "eval-x", "language": "en", "business": "a bakery", "sessions": [
        {"session_id": SESSION_1, "started_at": s1[0]["ts"], "turns": s1},
        {"session_id": SESSION_2, "started_at": s2[0]["ts"], "turns": s2}],
        "questions": [
            {"question_id": "eval-x/q01", "category": "knowledge_update", "question": "Who is our accountant?",
             "asked_at": q, "answer": "Rui Sousa", "evidence": [s2[0]["turn_id"]], "superseded": [s1[2]["turn_id"]]},
            {"question_id": "eval-x/q02", "category": "preference", "question": "When do I like supplier meetings?",
             "asked_at": q, "answer": "Tuesday mornings", "evidence": [s2[2]["turn_id"]], "superseded": []},
            {"question_id": "eval-x/q03", "category": "absent", "question": "What is the wifi password?",
             "asked_at": q, "answer": None, "evidence": [], "superseded": []},
        ]}  # fmt: skip


def _store(clock: Clock) -> Any:
    return open_store("duckdb:///:memory:", clock=clock, migrate=True)


def test_the_scores_come_from_the_product_path_and_the_baselines(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(_history()) + "\n", encoding="utf-8")
    report = evaluate.evaluate(evaluate.load(path), _store, LocalEmbedder(), part="all", k=10)
    ours, bm25, full = (report.systems[n] for n in ("memory", "bm25_turns", "full_context"))
    assert report.tenants == 1 and ours["questions"] == 3
    assert ours["recall_at_k"] == 1.0 and ours["latest_first"] == 1.0  # Ana was superseded
    assert bm25["recall_at_k"] == 1.0 and bm25["latest_first"] == 0.0  # both turns, the older first
    assert full["recall_at_k"] == 1.0
    assert full["tokens_mean"] > ours["tokens_mean"] > 0
    assert ours["absent_tokens_mean"] is not None and ours["latency_p95_ms"] is not None
    rows = evaluate.table(report)
    assert [r["system"] for r in rows] == ["memory", "bm25_turns", "full_context"]


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"tenant_id": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"line 1.*line 2|line 2.*line 1"):
        evaluate.load(path)


def test_the_shipped_set_splits_by_tenant() -> None:
    histories = evaluate.load()
    dev, test = evaluate.select(histories, "dev"), evaluate.select(histories, "test")
    assert dev and test and len(dev) + len(test) == len(histories)
    assert not {h.tenant_id for h in dev} & {h.tenant_id for h in test}
    with pytest.raises(UsageError, match="dev, test, all"):
        evaluate.select(histories, "holdout")


def test_a_judge_answers_from_each_systems_context_over_http(
    tmp_path: Path, openai_server: Any
) -> None:
    """The judge path runs the real client against the OpenAI-compatible server on 127.0.0.1:
    two calls per question and system, the recalled facts in the answering call's instructions."""
    from matrix.concierge.ports import TenantAI
    from matrix.config import Settings
    from matrix.providers.select import select_provider
    from matrix.testing.openai_server import Behavior

    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(_history()) + "\n", encoding="utf-8")
    settings = Settings.load(openai_api_key="sk-test", openai_base_url=openai_server.base_url,
                             provider_mode="openai")  # fmt: skip
    provider, _ = select_provider(settings, TenantAI(mode="openai"))
    replies = (
        ["Rui Sousa.", "yes"] * 3 + ["Tuesday mornings.", "no"] * 3 + ["I don't know.", "yes"] * 3
    )
    openai_server.script("responses", *(Behavior(reply=r) for r in replies))
    report = evaluate.evaluate(evaluate.load(path), _store, LocalEmbedder(), part="all",
                               judge=evaluate.provider_judge(provider))  # fmt: skip
    assert openai_server.count("responses") == 18
    assert {n: s["judge_accuracy"] for n, s in report.systems.items()} == {
        "memory": round(2 / 3, 4),
        "bm25_turns": round(2 / 3, 4),
        "full_context": round(2 / 3, 4),
    }
    first = openai_server.requests[0]["json"]
    assert "Rui Sousa" in first["instructions"] and "Ana Lima" not in first["instructions"]
