"""The approval queue: values and the state machine (pending → approved | rejected | expired).

Pure values and rules; storage implements :class:`ApprovalRepository`, the concierge builds the
task an approval queues (:class:`TaskFactory`), and :class:`ApprovalWorkflow` runs the transitions.
"""

from __future__ import annotations

from matrix.approvals.ports import ApprovalRepository, ApprovalStore, TaskFactory
from matrix.approvals.results import Body, ConfirmationList, QueuedTask, RequestStatus, Resolution
from matrix.approvals.values import (
    DEFAULT_LIST_LIMIT,
    DEFAULT_MAX_PENDING,
    DEFAULT_TTL_SECONDS,
    LIST_LIMIT_CAP,
    MAX_PENDING_CAP,
    TTL_CAP_SECONDS,
    Action,
    Approval,
    Status,
    max_pending,
    ttl_seconds,
)
from matrix.approvals.workflow import ApprovalWorkflow

__all__ = [
    "DEFAULT_LIST_LIMIT",
    "DEFAULT_MAX_PENDING",
    "DEFAULT_TTL_SECONDS",
    "LIST_LIMIT_CAP",
    "MAX_PENDING_CAP",
    "TTL_CAP_SECONDS",
    "Action",
    "Approval",
    "ApprovalRepository",
    "ApprovalStore",
    "ApprovalWorkflow",
    "Body",
    "ConfirmationList",
    "QueuedTask",
    "RequestStatus",
    "Resolution",
    "Status",
    "TaskFactory",
    "max_pending",
    "ttl_seconds",
]
