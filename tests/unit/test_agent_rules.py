"""Persona 2's offline rules: negation, context, funnel-restricted suggestions, handoffs, the
confidence threshold, calibration kept in step with the corpus, and a broken rules file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matrix.agent.context import ThreadMessage
from matrix.agent.corpus import load_corpus
from matrix.agent.evaluate import calibrate, write_calibrated
from matrix.agent.rules import (
    RULES_FILE,
    StageSuggestion,
    handoff,
    hold_below,
    load_rules,
    parse_rules,
    qualify,
    shipped,
)
from matrix.errors import MatrixError, PolicyError, UsageError
from matrix.modules.crm.funnel import STAGES, lead_targets

FORWARD = ("contacted", "qualified", "proposal", "negotiation", "won")


def inbound(*texts: str) -> list[ThreadMessage]:
    return [ThreadMessage(direction="inbound", text=t) for t in texts]


@pytest.mark.parametrize(
    ("text", "stage", "expected", "intent"),
    [
        ("não tenho interesse", "contacted", "lost", "disinterested"),
        ("nao tenho interesse", "qualified", "lost", "disinterested"),
        ("tenho interesse sim", "contacted", "qualified", "interested"),
        ("not interested, thanks", "contacted", "lost", "disinterested"),
        ("I'm interested, tell me more", "contacted", "qualified", "interested"),
        ("não quero perder a promoção, já pode fechar", "proposal", "won", "closing"),
        ("achei caro demais, não vou fechar", "negotiation", "lost", "disinterested"),
        ("tá caro, consegue um desconto?", "proposal", "negotiation", "negotiating"),
        ("nao quero falar com robo, quero uma pessoa", "contacted", "contacted", "human_requested"),
        ("não tenho nenhuma dúvida, gostei muito e quero seguir", "contacted", "qualified", "interested"),
    ],
)  # fmt: skip
def test_qualify_reads_negation(text: str, stage: str, expected: str, intent: str) -> None:
    s = qualify(inbound(text), stage)
    assert (s.suggested_stage, s.intent) == (expected, intent), s.reason


@pytest.mark.parametrize("stage", [s for s in STAGES if s not in ("won", "disqualified")])
@pytest.mark.parametrize(
    "text", ["não tenho interesse", "para de me mandar mensagem", "STOP", "unsubscribe",
             "not interested", "n quero não", "me tira da lista", "I'll pass, thank you"],
)  # fmt: skip
def test_disinterest_never_moves_a_lead_forward(text: str, stage: str) -> None:
    s = qualify(inbound(text), stage)
    assert s.suggested_stage == "lost" or not s.moves, s
    assert s.suggested_stage not in FORWARD or not s.moves


def test_qualify_reads_the_latest_inbound_turn_and_the_question_before_it() -> None:
    thread = [
        ThreadMessage(direction="inbound", text="quanto custa?"),
        ThreadMessage(direction="outbound", text="Fica R$ 480 o pacote."),
        ThreadMessage(direction="inbound", text="nossa"),
        ThreadMessage(direction="inbound", text="não tenho interesse nesse valor"),
    ]
    assert qualify(thread, "proposal").suggested_stage == "lost"
    asked = [
        ThreadMessage(direction="outbound", text="Posso te mandar os detalhes?"),
        *inbound("sim"),
    ]
    told = [ThreadMessage(direction="outbound", text="Segue a proposta em anexo."), *inbound("sim")]
    assert qualify(asked, "contacted").intent == "interested"
    assert qualify(told, "contacted").intent == "unclear"
    nothing = qualify([ThreadMessage(direction="outbound", text="Oi!")], "new")
    assert not nothing.moves and "no message" in nothing.reason


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("quero falar com um atendente", "human_requested"),
        ("can I talk to a real person?", "human_requested"),
        ("vocês são uns idiotas", "abusive"),
        ("enfia essa proposta no c*", "abusive"),
        ("vou reclamar no Procon", "legal"),
        ("the treatment was awful, I want a refund", "complaint"),
        ("qual o valor da consulta?", None),
        ("*fechado*, pode mandar o pix", None),
    ],
)  # fmt: skip
def test_handoff_names_its_reason(text: str, code: str | None) -> None:
    found = handoff(inbound(text))
    assert (found.reason_code if found else None) == code


def test_a_terminal_stage_stays_whatever_is_said() -> None:
    for text in ("quero fechar mais um pacote", "tenho interesse", "não quero mais"):
        assert not qualify(inbound(text), "won").moves
    assert qualify(inbound("tenho interesse sim"), "disqualified").suggested_stage == "disqualified"


def test_an_unknown_stage_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="'hot' is not a funnel stage"):
        qualify(inbound("oi"), "hot")


WORDS = ["não", "nao", "tenho", "interesse", "quero", "fechar", "desconto", "quanto", "custa",
         "proposta", "pix", "stop", "not", "interested", "deal", "price", "humano", "idiota",
         "agora", "sim", "yes", "caro", "obrigado", "pagar", "mês que vem", "?", ",", "!"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    stage=st.sampled_from(STAGES),
    text=st.one_of(st.text(max_size=80), st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)),
    before=st.sampled_from(["", "Quer saber mais?", "Segue a proposta.", "Shall we go ahead?"]),
)  # fmt: skip
def test_a_suggestion_is_always_a_move_the_funnel_allows(
    stage: str, text: str, before: str
) -> None:
    thread = [ThreadMessage(direction="outbound", text=before)] if before else []
    s = qualify([*thread, *inbound(text)], stage)
    assert s.suggested_stage == stage or s.suggested_stage in lead_targets(stage)
    assert 0.0 <= s.confidence <= 1.0 and s.current_stage == stage and s.reason


def test_hold_below_keeps_the_lead_and_says_why() -> None:
    s = StageSuggestion(current_stage="contacted", suggested_stage="qualified", confidence=0.62,
                        reason="interest", rule_id="interested.explicit", intent="interested")  # fmt: skip
    held = hold_below(s, 0.7)
    assert held.suggested_stage == "contacted" and held.confidence == 0.62
    assert (
        "confidence 0.62 is below the tenant's minimum 0.70; the lead stays in contacted"
        in held.reason
    )
    assert hold_below(s, 0.6) is s
    staying = StageSuggestion(current_stage="new", suggested_stage="new", confidence=0.1,
                              reason="unclear", rule_id=None, intent="unclear")  # fmt: skip
    assert hold_below(staying, 0.7) is staying


def test_the_shipped_confidences_are_the_measured_dev_precision() -> None:
    """Editing the rules or the corpus without ``matrix crm ai eval --calibrate`` fails here."""
    document = calibrate(shipped(), load_corpus())
    assert [r["confidence"] for r in document["rules"]] == [r.confidence for r in shipped().rules]
    for entry in document["rules"]:
        n, k = entry["support"]["dev_cases"], entry["support"]["dev_correct"]
        assert entry["confidence"] == round((k + 1) / (n + 2), 4)


def test_write_calibrated_restores_confidences_set_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    document = copy.deepcopy(json.loads(RULES_FILE.read_text(encoding="utf-8")))
    for entry in document["rules"]:
        entry["confidence"] = 0.99
    path.write_text(json.dumps(document), encoding="utf-8")
    calibrated = write_calibrated(path)
    assert [r.confidence for r in calibrated.rules] == [r.confidence for r in shipped().rules]
    assert load_rules(path).rules[0].confidence != 0.99


def _broken(**changes: object) -> dict[str, object]:
    document = copy.deepcopy(dict(shipped().document))
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: object = document
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value  # type: ignore[index]
    return document


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"intents__closing__targets__0": "paid"}, "intents.closing.targets[0]", "'paid' is not a stage"),
        ({"rules__2__patterns__0": "(unclosed"}, "rules[2].patterns[0]", "is not a regular expression"),
        ({"rules__0__confidence": 1.5}, "rules[0].confidence", "must be a number from 0 to 1"),
        ({"rules__3__intent": "maybe"}, "rules[3].intent", "'maybe' is not one of"),
        ({"handoffs__0__reason_code": "rude"}, "handoffs[0].reason_code", "'rude' is not one of"),
        ({"version": "one"}, "version", "must be a version"),
        ({"handoffs__0__patterns__0": "{no_such_words}"}, "handoffs[0].patterns[0]", "unknown vocabulary 'no_such_words'"),
        ({"vocabularies__bot": []}, "vocabularies.bot", "must be a non-empty list of word forms"),
        ({"handoffs__0__unless": "oops"}, "handoffs[0].unless", "must be a list of regular expressions"),
    ],
)  # fmt: skip
def test_a_broken_rules_file_names_the_field(
    changes: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(PolicyError) as info:
        parse_rules(_broken(**changes))
    assert isinstance(info.value, MatrixError)
    assert any(
        f"rules.json: {field}: " in issue and message in issue for issue in info.value.issues
    ), info.value.issues


def test_a_rules_file_that_is_not_json_says_so(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"rules\.json: not JSON"):
        load_rules(path)


def test_a_vocabulary_stands_for_its_word_forms_and_a_handoff_can_be_cancelled() -> None:
    document = copy.deepcopy(dict(shipped().document))
    document["vocabularies"] = {**document["vocabularies"], "pet_words": ["c[aã]ozinho", "gat[oa]"]}
    document["handoffs"] = [{"id": "handoff.pet", "reason_code": "complaint", "reason": "a pet",
                             "patterns": ["\\b{pet_words} ferid[oa]\\b"], "unless": ["\\?$"]},
                            *document["handoffs"]]  # fmt: skip
    rules = parse_rules(document)
    found = handoff(inbound("meu cãozinho ferido"), rules)
    assert found is not None and found.rule_id == "handoff.pet"
    other = handoff(inbound("gata ferida?"), rules)
    assert other is None or other.rule_id != "handoff.pet"


def test_a_handoff_outranks_every_rule_that_would_move_the_lead_forward() -> None:
    """Even a rules file that lists an interest rule before the handoff rules never moves a
    thread with a handoff forward."""
    document = copy.deepcopy(dict(shipped().document))
    interest = next(r for r in document["rules"] if r["intent"] == "interested")
    document["rules"] = [interest, *[r for r in document["rules"] if r is not interest]]
    rules = parse_rules(document)
    thread = inbound("tenho interesse em saber mais, mas quero falar com o gerente")
    assert handoff(thread, rules) is not None
    for stage in ("new", "contacted", "nurturing"):
        s = qualify(thread, stage, rules)
        assert not s.moves and s.intent == "human_requested", s
