"""The approval state machine on both backends: each confirmation ends once, in one state."""

from __future__ import annotations

import pytest

from matrix.approvals import ApprovalWorkflow, Status
from matrix.clock import FrozenClock
from matrix.concierge import Concierge
from matrix.errors import ApprovalStateError
from matrix.storage import Store

WRITE_OFF = "Write off Pedro's debt"
END_EVENTS = {
    "approve": "owner.confirmation.approved",
    "reject": "owner.confirmation.rejected",
    "expire": "owner.confirmation.expired",
}


def _act(concierge: Concierge, clock: FrozenClock, cid: str, action: str) -> bool:
    """Try one transition; True when it changed the confirmation."""
    workflow: ApprovalWorkflow = concierge.approvals
    if action == "expire":
        approval = concierge.store.approvals.get("acme", cid)
        assert approval is not None
        return workflow.expire(approval, clock.now()) == 1
    try:
        workflow.resolve("acme", cid, action, actor="owner", reason=None, request_id=None,
                         build_task=concierge.interaction.approved_task)  # fmt: skip
    except ApprovalStateError as exc:
        assert exc.code == "confirmation_not_pending"
        return False
    return True


@pytest.mark.parametrize("second", ["approve", "reject", "expire"])
@pytest.mark.parametrize("first", ["approve", "reject", "expire"])
def test_workflow_ends_each_confirmation_once(
    concierge: Concierge, store: Store, clock: FrozenClock, first: str, second: str
) -> None:
    result = concierge.interact("acme", "s1", WRITE_OFF)
    assert result.confirmation is not None
    cid, corr = result.confirmation.confirmation_id, result.owner_command.correlation_id
    assert _act(concierge, clock, cid, first) is True
    assert _act(concierge, clock, cid, second) is False
    names = [e["name"] for e in store.events.trace("acme", corr)]
    assert [n for n in names if n in END_EVENTS.values()] == [END_EVENTS[first]]
    final = store.approvals.get("acme", cid)
    assert final is not None and final.status.value == {"approve": "approved", "reject": "rejected",
                                                         "expire": "expired"}[first]  # fmt: skip
    assert store.tasks.counts("acme") == ({"queued": 1} if first == "approve" else {})


def test_workflow_request_and_listing_are_typed(concierge: Concierge, clock: FrozenClock) -> None:
    result = concierge.interact("acme", "s1", WRITE_OFF)
    assert result.confirmation is not None and result.confirmation.status is Status.PENDING
    assert result.confirmation.created_at == clock.now()
    assert (result.confirmation.expires_at - clock.now()).total_seconds() == 900
    listing = concierge.list_confirmations("acme", "pending")
    assert (
        listing.count == 1
        and listing.items[0].confirmation_id == result.confirmation.confirmation_id
    )
    resolution = concierge.resolve_confirmation(
        "acme", result.confirmation.confirmation_id, "approve", actor="owner"
    )
    assert resolution.confirmation.status is Status.APPROVED
    assert resolution.downstream_task is not None
    assert resolution.downstream_task.task_id == resolution.confirmation.task_id
