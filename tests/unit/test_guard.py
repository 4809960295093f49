"""The completion-claim guard, without the origin's false positive on echoed text."""

from __future__ import annotations

import pytest

from matrix.concierge import guard


def test_echoed_owner_words_are_not_a_claim() -> None:
    user = "O contrato já foi criado pelo advogado, pode agendar a assinatura?"
    reply = "Entendi: o contrato já foi criado pelo advogado. Vou colocar a assinatura na fila."
    assert not guard.check(
        reply, user, had_task=True, pending_confirmation=False, language="pt"
    ).blocked


@pytest.mark.parametrize(
    ("reply", "had_task", "pending", "reason"),
    [
        ("Pronto, agendei a reunião!", True, False, "queued_not_completed"),
        ("Done — I scheduled it for Friday.", True, False, "queued_not_completed"),
        ("Feito, dei baixa na dívida.", False, True, "confirmation_required_not_executed"),
        ("I created the customer record.", False, False, "unverified_execution_claim"),
    ],
)
def test_claims_are_blocked_with_the_right_reason(
    reply: str, had_task: bool, pending: bool, reason: str
) -> None:
    result = guard.check(
        reply, "please do it", had_task=had_task, pending_confirmation=pending, language="en"
    )
    assert result.blocked and result.reason_code == reason
    assert result.text == guard.NOTICES[reason]["en"]


def test_honest_replies_pass() -> None:
    reply = "The request is queued; I'll report back when it's complete."
    assert not guard.check(
        reply, "schedule it", had_task=True, pending_confirmation=False, language="en"
    ).blocked
