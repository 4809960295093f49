"""CRM rules: the lead funnel (9 states, 21 transitions), campaigns, collection messaging.

The tables are the origin's, kept as data. Moving a lead checks, in the origin's order: the
current stage is known, the target stage is known, the pair is in the table, the trigger is
given and is the table's, and a reason is given where the table requires one. Every refusal
carries one of the origin's error codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

STAGES = (
    "new",
    "contacted",
    "qualified",
    "proposal",
    "negotiation",
    "won",
    "lost",
    "nurturing",
    "disqualified",
)
TERMINAL_STAGES = ("won", "disqualified")

# (from, to) → (trigger, reason required)
FUNNEL: dict[tuple[str, str], tuple[str, bool]] = {
    ("new", "contacted"): ("first_contact_attempt", False),
    ("new", "lost"): ("explicit_close_lost", False),
    ("new", "disqualified"): ("profile_or_compliance_fail", False),
    ("contacted", "qualified"): ("qualification_passed", False),
    ("contacted", "nurturing"): ("not_now_followup_needed", False),
    ("contacted", "lost"): ("explicit_close_lost", False),
    ("contacted", "disqualified"): ("profile_or_compliance_fail", False),
    ("qualified", "proposal"): ("proposal_sent", False),
    ("qualified", "lost"): ("explicit_close_lost", False),
    ("qualified", "disqualified"): ("compliance_block", False),
    ("proposal", "negotiation"): ("objection_or_counteroffer", False),
    ("proposal", "won"): ("proposal_accepted", False),
    ("proposal", "lost"): ("proposal_rejected", False),
    ("negotiation", "won"): ("deal_closed", False),
    ("negotiation", "lost"): ("deal_failed", False),
    ("negotiation", "nurturing"): ("defer_decision", False),
    ("nurturing", "contacted"): ("reengaged", False),
    ("nurturing", "lost"): ("nurture_expired", False),
    ("nurturing", "disqualified"): ("new_disqualifier", False),
    ("lost", "nurturing"): ("reopen_requested", True),
    ("disqualified", "nurturing"): ("manual_override_reopen", True),
}


def _no_reason(triggers: dict[tuple[str, str], str]) -> dict[tuple[str, str], tuple[str, bool]]:
    """A flow none of whose moves needs a reason, in the funnel's (trigger, reason) shape."""
    return {move: (trigger, False) for move, trigger in triggers.items()}


# The public stage of `crm.lead.created` (the contract's five values).
PUBLIC_STAGE = {
    "contacted": "new",
    "negotiation": "proposal",
    "nurturing": "qualified",
    "disqualified": "lost",
}

CAMPAIGN_STATES = ("draft", "scheduled", "running", "paused", "completed", "canceled", "failed")
CAMPAIGN_FLOW = _no_reason(
    {
        ("draft", "scheduled"): "schedule_campaign",
        ("scheduled", "running"): "start_window_open",
        ("scheduled", "canceled"): "cancel_campaign",
        ("running", "paused"): "pause_campaign",
        ("paused", "running"): "resume_campaign",
        ("running", "completed"): "batch_finished",
        ("running", "failed"): "fatal_delivery_error",
        ("paused", "canceled"): "cancel_campaign",
    }
)

COLLECTION_STATES = (
    "requested",
    "queued",
    "sent",
    "delivered",
    "read",
    "promise_to_pay",
    "overdue_followup",
    "paid",
    "failed",
)
COLLECTION_FLOW = _no_reason(
    {
        ("requested", "queued"): "enqueue_message",
        ("queued", "sent"): "provider_send_ok",
        ("sent", "delivered"): "provider_delivery_ack",
        ("delivered", "read"): "provider_read_ack",
        ("read", "promise_to_pay"): "customer_promised_payment",
        ("read", "overdue_followup"): "promise_timeout_or_no_response",
        ("promise_to_pay", "paid"): "payment_confirmed_by_module_05",
        ("sent", "failed"): "provider_send_error",
        ("failed", "queued"): "retry_eligible",
        ("queued", "failed"): "provider_send_error",
    }
)


class TransitionCode(StrEnum):
    UNKNOWN_CURRENT = "unknown_current_stage"
    UNKNOWN_NEXT = "unknown_next_stage"
    NOT_ALLOWED = "transition_not_allowed"
    MISSING_TRIGGER = "missing_trigger"
    TRIGGER_MISMATCH = "trigger_mismatch"
    REASON_REQUIRED = "reason_code_required"


@dataclass(frozen=True, kw_only=True)
class Transition:
    """The outcome of checking one move: ``ok``, or the error code (and the expected trigger)."""

    ok: bool
    code: TransitionCode | None = None
    expected_trigger: str | None = None
    same_state: bool = False

    def message(self, what: str, current: str, target: str) -> str:
        match self.code:
            case TransitionCode.UNKNOWN_CURRENT:
                return f"{what} is in an unknown state {current!r}."
            case TransitionCode.UNKNOWN_NEXT:
                return f"{target!r} is not a {what} state."
            case TransitionCode.NOT_ALLOWED:
                return f"A {what} cannot move from {current} to {target}."
            case TransitionCode.MISSING_TRIGGER:
                return f"Moving a {what} from {current} to {target} needs the trigger {self.expected_trigger!r}."
            case TransitionCode.TRIGGER_MISMATCH:
                return f"The trigger for {current} → {target} is {self.expected_trigger!r}."
            case TransitionCode.REASON_REQUIRED:
                return f"Moving a {what} from {current} to {target} needs a reason_code (3+ characters)."
            case _:
                return "ok"


def check(
    flow: dict[tuple[str, str], tuple[str, bool]],
    states: tuple[str, ...],
    current: str,
    target: str,
    trigger: str | None,
    reason_code: str | None = None,
) -> Transition:
    """Check one move against a state table, in the origin's order."""
    if current not in states:
        return Transition(ok=False, code=TransitionCode.UNKNOWN_CURRENT)
    if target not in states:
        return Transition(ok=False, code=TransitionCode.UNKNOWN_NEXT)
    if current == target:
        return Transition(ok=True, same_state=True)
    rule = flow.get((current, target))
    if rule is None:
        return Transition(ok=False, code=TransitionCode.NOT_ALLOWED)
    expected, reason_required = rule
    if not trigger or len(trigger.strip()) < 3:
        return Transition(ok=False, code=TransitionCode.MISSING_TRIGGER, expected_trigger=expected)
    if trigger != expected:
        return Transition(ok=False, code=TransitionCode.TRIGGER_MISMATCH, expected_trigger=expected)
    if reason_required and (not reason_code or len(reason_code.strip()) < 3):
        return Transition(ok=False, code=TransitionCode.REASON_REQUIRED, expected_trigger=expected)
    return Transition(ok=True)


def lead_targets(current: str) -> tuple[str, ...]:
    """The stages a lead in ``current`` may move to, in the funnel's order."""
    return tuple(to for (frm, to) in FUNNEL if frm == current)


def check_lead(
    current: str, target: str, trigger: str | None, reason_code: str | None = None
) -> Transition:
    return check(FUNNEL, STAGES, current, target, trigger, reason_code)


def check_campaign(current: str, target: str, trigger: str | None) -> Transition:
    return check(CAMPAIGN_FLOW, CAMPAIGN_STATES, current, target, trigger)


def check_collection(current: str, target: str, trigger: str | None) -> Transition:
    return check(COLLECTION_FLOW, COLLECTION_STATES, current, target, trigger)
