"""Routing measured as a model: the labelled corpus, its fixed split, the scores, harmful
confusions read from the policy, and ``matrix routing eval``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from matrix.cli import cli
from matrix.errors import PolicyError, UsageError
from matrix.policy import TASK_TYPES, Outcome, decide, parse_policy, shipped_policy, shipped_routing
from matrix.routing import (
    Case,
    Harm,
    Part,
    evaluate,
    harm,
    load_corpus,
    part_of,
    rules_report,
    select,
)

CORPUS = load_corpus()
ROUTING = shipped_routing()
POLICY = shipped_policy()


def test_corpus_covers_every_task_type_small_talk_and_near_misses_in_both_parts() -> None:
    assert len(CORPUS) >= 400
    for part in (Part.DEV, Part.TEST):
        cases = select(CORPUS, part.value)
        assert {c.task_type for c in cases} == {*TASK_TYPES, None}, part
        assert {c.language for c in cases} == {"pt", "en"}, part
        tags = Counter(t for c in cases for t in c.tags)
        assert tags["near_miss"] >= 20 and tags["small_talk"] >= 10 and tags["question"] >= 10
    per_type = Counter(c.task_type for c in CORPUS)
    assert min(per_type.values()) >= 40


def test_the_split_follows_from_each_text(tmp_path: Path) -> None:
    """A case cannot be moved between the parts by hand: loading names the part it belongs to."""
    assert all(c.part is part_of(c.text) for c in CORPUS)
    shares = Counter(c.part for c in CORPUS)
    assert 0.35 < shares[Part.TEST] / len(CORPUS) < 0.45
    case = CORPUS[0]
    moved = {"id": case.case_id, "part": "dev" if case.part is Part.TEST else "test",
             "language": case.language, "task_type": case.task_type, "text": case.text}  # fmt: skip
    path = tmp_path / "corpus.jsonl"
    path.write_text(json.dumps(moved) + "\n", encoding="utf-8")
    with pytest.raises(
        PolicyError, match=rf"breaks the fixed split: this text belongs to '{case.part.value}'"
    ):
        load_corpus(path)


def test_a_bad_corpus_lists_every_issue(tmp_path: Path) -> None:
    good = {
        "id": "a-1",
        "part": part_of("oi").value,
        "language": "pt",
        "task_type": None,
        "text": "oi",
    }
    lines = [
        json.dumps(good),
        json.dumps({**good, "text": "olá"} | {"part": part_of("olá").value}),  # duplicate id
        json.dumps(
            {"id": "b", "part": "dev", "language": "fr", "task_type": "billing.refund", "text": "x"}
        ),
        "not json",
        json.dumps({**good, "id": "c", "tags": ["spicy"], "extra": 1}),
    ]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_corpus(path)
    issues = info.value.issues
    assert any("line 2.id: duplicate id 'a-1'" in i for i in issues)
    assert any("line 3.language: 'fr'" in i for i in issues)
    assert any("line 3.task_type: 'billing.refund' is not a task type" in i for i in issues)
    assert any("line 4: not JSON" in i for i in issues)
    assert any("line 5.tags" in i for i in issues) and any(
        "unknown field(s) ['extra']" in i for i in issues
    )
    with pytest.raises(UsageError, match="Unknown corpus part 'train'"):
        select(CORPUS, "train")


@pytest.mark.parametrize("part", ["dev", "test"])
def test_the_shipped_rules_reach_the_bar_with_no_harmful_confusion(part: str) -> None:
    report = rules_report(part)
    assert report.accuracy is not None and report.accuracy >= 0.95, [
        m.as_dict() for m in report.misses
    ]
    assert report.harmful == ()


def test_the_known_harmful_miss_is_now_a_write_off_held_for_approval() -> None:
    from matrix.concierge.planner import plan

    planned = plan("dê baixa como perda na fatura vencida do cliente Pedro", ROUTING)
    assert planned is not None and planned.task_type == "billing.writeoff.request"
    assert (
        decide(planned.task_type, planned.target_module, POLICY).outcome is Outcome.CONFIRM_REQUIRED
    )


def test_harm_is_read_from_the_policy() -> None:
    assert (
        harm("billing.writeoff.request", "billing.collection.request", ROUTING, POLICY)
        is Harm.APPROVAL_BYPASSED
    )
    assert (
        harm("customer.delete.request", "customer.upsert", ROUTING, POLICY) is Harm.REFUSAL_BYPASSED
    )
    assert (
        harm("customer.delete.request", "crm.campaign.send", ROUTING, POLICY)
        is Harm.REFUSAL_BYPASSED
    )
    assert harm("billing.collection.request", "billing.writeoff.request", ROUTING, POLICY) is None
    assert harm("billing.writeoff.request", None, ROUTING, POLICY) is None  # nothing runs
    assert harm(None, "billing.collection.request", ROUTING, POLICY) is None
    # Another policy, other harms: no rule list is kept beside the policy.
    lenient = parse_policy({"version": "t", "default_decision": {"decision": "allow", "reason_code": "ok"},
                            "rules": [{"rule_id": "r", "task_type": "crm.followup.send",
                                       "target_module": "mod-02-whatsapp-crm", "decision": "deny",
                                       "reason_code": "no_messages"}]})  # fmt: skip
    assert harm("billing.writeoff.request", "billing.collection.request", ROUTING, lenient) is None
    assert harm("crm.followup.send", "customer.upsert", ROUTING, lenient) is Harm.REFUSAL_BYPASSED


def test_scores_and_confusion_of_a_hand_built_router() -> None:
    cases = [
        Case(
            case_id="1",
            part=Part.DEV,
            language="pt",
            task_type="billing.writeoff.request",
            text="a",
        ),
        Case(
            case_id="2",
            part=Part.DEV,
            language="en",
            task_type="billing.writeoff.request",
            text="b",
        ),
        Case(
            case_id="3",
            part=Part.DEV,
            language="en",
            task_type="billing.collection.request",
            text="c",
        ),
        Case(case_id="4", part=Part.DEV, language="pt", task_type=None, text="d"),
    ]
    answers = {"a": "billing.writeoff.request", "b": "billing.collection.request",
               "c": "billing.collection.request", "d": "billing.collection.request"}  # fmt: skip
    report = evaluate(cases, answers.get, ROUTING, POLICY, part="dev", router="table")
    assert report.labels == ("billing.collection.request", "billing.writeoff.request", "none")
    assert report.confusion == ((1, 0, 0), (1, 1, 0), (1, 0, 0))
    assert (report.cases, report.correct, report.accuracy) == (4, 2, 0.5)
    scores = {s.intent: s for s in report.intents}
    assert (
        scores["billing.collection.request"].precision,
        scores["billing.collection.request"].recall,
    ) == (1 / 3, 1.0)
    assert (
        scores["billing.writeoff.request"].precision,
        scores["billing.writeoff.request"].recall,
    ) == (1.0, 0.5)
    assert scores["none"].precision is None and scores["none"].recall == 0.0
    assert [m.case_id for m in report.harmful] == ["2"]
    assert report.languages == (("en", 2, 1), ("pt", 2, 1))
    assert report.as_dict()["harmful"][0]["harm"] == "approval_bypassed"


def test_cli_prints_the_scores_and_exits_1_below_the_bar() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["routing", "eval", "--part", "test"])
    assert result.exit_code == 0, result.output
    assert "harmful confusions: 0" in result.output and "confusion (rows: expected" in result.output
    assert "billing.writeoff.request" in result.output
    result = runner.invoke(cli, ["routing", "eval", "--part", "all", "--json"])
    body = json.loads(result.output)
    assert body["cases"] == len(CORPUS) and body["harmful"] == [] and len(body["confusion"]) == 10
    assert runner.invoke(cli, ["routing", "eval", "--min-accuracy", "1"]).exit_code == 1


def test_cli_exits_1_on_a_harmful_confusion(monkeypatch: pytest.MonkeyPatch) -> None:
    from matrix.cli import routing as command

    harmful = evaluate(
        [Case(case_id="w", part=Part.TEST, language="pt", task_type="billing.writeoff.request", text="x")],
        lambda _text: "billing.collection.request", ROUTING, POLICY, part="test",
    )  # fmt: skip
    monkeypatch.setattr(command, "rules_report", lambda part: harmful)
    result = CliRunner().invoke(cli, ["routing", "eval"])
    assert result.exit_code == 1
    assert (
        "w [approval_bypassed] billing.writeoff.request -> billing.collection.request"
        in result.output
    )


def test_the_notebook_facade_shows_the_report() -> None:
    from matrix.notebook import routing_eval, routing_frame, show

    report = routing_eval(part="dev")
    figure = show(report)
    assert figure.data[0].type == "heatmap" and "dev part" in figure.layout.title.text
    assert list(routing_frame(report, "summary")["cases"]) == [report.cases]
    assert len(routing_frame(report, "intents")) == len(report.labels)
    assert list(routing_frame(report, "harmful").columns)[-1] == "harm"
    with pytest.raises(UsageError, match="Unknown routing view 'all'"):
        routing_frame(report, "all")
