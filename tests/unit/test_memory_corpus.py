"""The memory evaluation set (``matrix/memory/data/eval.jsonl``): the shape of every line, the
size and mix of the set, labels that point at real owner turns, knowledge updates that replace
older statements, time that only moves forward, and a committed file that is exactly what
``benchmarks/build_memory_corpus.py`` writes."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

DATA = ROOT / "matrix" / "memory" / "data" / "eval.jsonl"
GENERATOR = ROOT / "benchmarks" / "build_memory_corpus.py"

CATEGORIES = ("single_fact", "preference", "temporal", "knowledge_update", "absent")
MIN_SHARE = {
    "single_fact": 0.2,
    "preference": 0.15,
    "temporal": 0.15,
    "knowledge_update": 0.15,
    "absent": 0.08,
}

TENANT_KEYS = {"tenant_id", "business", "language", "sessions", "questions"}
SESSION_KEYS = {"session_id", "started_at", "turns"}
TURN_KEYS = {"turn_id", "role", "content", "ts"}
QUESTION_KEYS = {
    "question_id",
    "category",
    "question",
    "asked_at",
    "answer",
    "evidence",
    "superseded",
}

TENANTS: list[dict[str, Any]] = [
    json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()
]


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, f"{text} has no offset"
    return moment


def _turns(tenant: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["turn_id"]: t for s in tenant["sessions"] for t in s["turns"]}


def test_every_line_has_the_schema() -> None:
    for tenant in TENANTS:
        tid = tenant["tenant_id"]
        assert set(tenant) == TENANT_KEYS, tid
        assert re.fullmatch(r"eval-\d{2}", tid)
        assert tenant["language"] in ("en", "pt") and tenant["business"].strip(), tid
        for s_number, session in enumerate(tenant["sessions"], start=1):
            assert set(session) == SESSION_KEYS, tid
            assert uuid.UUID(session["session_id"]).version == 4
            _when(session["started_at"])
            assert 12 <= len(session["turns"]) <= 30, (tid, s_number)
            for t_number, turn in enumerate(session["turns"], start=1):
                assert set(turn) == TURN_KEYS, turn
                assert turn["turn_id"] == f"{tid}/s{s_number:02d}/t{t_number:03d}"
                assert turn["role"] == ("user" if t_number % 2 else "assistant"), turn["turn_id"]
                assert isinstance(turn["content"], str) and turn["content"].strip(), turn["turn_id"]
                _when(turn["ts"])
        for q_number, q in enumerate(tenant["questions"], start=1):
            assert set(q) == QUESTION_KEYS, q
            assert q["question_id"] == f"{tid}/q{q_number:02d}"
            assert q["category"] in CATEGORIES, q["question_id"]
            assert q["question"].strip().endswith("?"), q["question_id"]
            _when(q["asked_at"])
            assert isinstance(q["evidence"], list) and isinstance(q["superseded"], list)
            if q["category"] == "absent":
                assert q["answer"] is None and q["evidence"] == [], q["question_id"]
            else:
                assert isinstance(q["answer"], str) and q["answer"].strip(), q["question_id"]
                assert len(q["evidence"]) == 1, q["question_id"]
            if q["category"] != "knowledge_update":
                assert q["superseded"] == [], q["question_id"]


def test_no_template_is_left_unfilled() -> None:
    for tenant in TENANTS:
        texts = [t["content"] for s in tenant["sessions"] for t in s["turns"]]
        texts += [q["question"] for q in tenant["questions"]] + [
            q["answer"] or "" for q in tenant["questions"]
        ]
        for text in texts:
            assert not re.search(r"[{}⟨⟩]|\?[a-z]+/", text), text


def test_the_set_has_its_size_and_mix() -> None:
    assert len(TENANTS) >= 20
    questions = [q for t in TENANTS for q in t["questions"]]
    assert len(questions) == 240
    counts = Counter(q["category"] for q in questions)
    for category, share in MIN_SHARE.items():
        assert counts[category] >= share * len(questions), (category, counts)
    languages = Counter(t["language"] for t in TENANTS)
    assert languages["en"] > languages["pt"] >= len(TENANTS) / 4
    for tenant in TENANTS:
        assert 45 <= len(tenant["sessions"]) <= 70, tenant["tenant_id"]
        assert len(tenant["questions"]) == 10, tenant["tenant_id"]
        assert {q["category"] for q in tenant["questions"]} == set(CATEGORIES), tenant["tenant_id"]
        assert 900 <= len(_turns(tenant)) <= 1600, tenant["tenant_id"]
        first, last = (
            _when(s["started_at"]) for s in tenant["sessions"][:: len(tenant["sessions"]) - 1]
        )
        assert 20 * 7 <= (last - first).days <= 26 * 7, tenant["tenant_id"]
    assert DATA.stat().st_size < 6_000_000


def test_evidence_and_superseded_name_owner_turns_of_the_same_tenant() -> None:
    for tenant in TENANTS:
        turns = _turns(tenant)
        for q in tenant["questions"]:
            for turn_id in q["evidence"] + q["superseded"]:
                assert turn_id in turns, (q["question_id"], turn_id)
                assert turns[turn_id]["role"] == "user", (q["question_id"], turn_id)
            assert not set(q["evidence"]) & set(q["superseded"]), q["question_id"]


def test_knowledge_updates_replace_older_statements() -> None:
    updates = [
        (t, q) for t in TENANTS for q in t["questions"] if q["category"] == "knowledge_update"
    ]
    assert updates
    for tenant, q in updates:
        turns = _turns(tenant)
        assert 1 <= len(q["superseded"]) <= 2, q["question_id"]
        newest = _when(turns[q["evidence"][0]]["ts"])
        older = [_when(turns[turn_id]["ts"]) for turn_id in q["superseded"]]
        assert all(moment < newest for moment in older), q["question_id"]
        assert older == sorted(older), q["question_id"]


def test_temporal_questions_point_at_the_time_they_name() -> None:
    """ "Last week" is the calendar week before the question; "the Monday after" is a Monday."""
    for tenant in TENANTS:
        turns = _turns(tenant)
        for q in tenant["questions"]:
            if q["category"] != "temporal":
                continue
            said = _when(turns[q["evidence"][0]]["ts"])
            asked = _when(q["asked_at"])
            text = q["question"].lower()
            if "last week" in text or "semana passada" in text:
                assert said.isocalendar()[:2] == (asked - timedelta(days=7)).isocalendar()[:2], q[
                    "question_id"
                ]
            if "monday after" in text or "segunda" in text:
                assert said.weekday() == 0, q["question_id"]
            assert said < asked, q["question_id"]


def test_ids_are_unique() -> None:
    for key, values in {
        "tenant": [t["tenant_id"] for t in TENANTS],
        "session": [s["session_id"] for t in TENANTS for s in t["sessions"]],
        "turn": [turn_id for t in TENANTS for turn_id in _turns(t)],
        "question": [q["question_id"] for t in TENANTS for q in t["questions"]],
    }.items():
        assert len(values) == len(set(values)), key
    assert sum(len(_turns(t)) for t in TENANTS) == sum(
        len(s["turns"]) for t in TENANTS for s in t["sessions"]
    )


def test_time_only_moves_forward() -> None:
    for tenant in TENANTS:
        previous_end = None
        for session in tenant["sessions"]:
            stamps = [_when(t["ts"]) for t in session["turns"]]
            assert _when(session["started_at"]) <= stamps[0], session["session_id"]
            assert all(a < b for a, b in itertools.pairwise(stamps)), session["session_id"]
            if previous_end is not None:
                assert previous_end < _when(session["started_at"]), session["session_id"]
            previous_end = stamps[-1]
        asked = [_when(q["asked_at"]) for q in tenant["questions"]]
        assert previous_end is not None and all(previous_end < moment for moment in asked), tenant[
            "tenant_id"
        ]
        assert asked == sorted(asked), tenant["tenant_id"]


def test_the_committed_file_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "eval.jsonl"
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_bytes() == DATA.read_bytes(), (
        "matrix/memory/data/eval.jsonl differs from what benchmarks/build_memory_corpus.py writes;"
        " rerun the script and commit its output"
    )
