"""The crm module's spec: what it brings to the runtime, the scheduler, the CLI and storage."""

from __future__ import annotations

from matrix.modules.crm import conversations, followups, outbound
from matrix.modules.crm.handlers import HANDLERS
from matrix.modules.registry import JobContext, JobSpec, ModuleSpec, TableSpec


def _outbound(ctx: JobContext) -> int:
    stats = outbound.dispatch_due(ctx.store, ctx.transport, ctx.clock, on_outcome=ctx.outcomes,
                                  tenants=ctx.outbound_tenants())  # fmt: skip
    return stats.sent + stats.retried + stats.dead


# fmt: off
SPEC = ModuleSpec(
    name="crm",
    handlers=HANDLERS,
    jobs=(JobSpec(name="outbound", every_seconds=1.0, run=_outbound),),
    outcomes={"followup": followups.outcome, "conversation": conversations.on_outcome},
    commands="matrix.modules.crm.commands:crm",
    tables=(
        TableSpec(attr="leads", name="crm_leads", key="lead_id", columns=(
            "lead_id", "tenant_id", "external_key", "display_name", "phone_e164", "source_channel",
            "stage", "customer_id", "metadata", "created_at", "updated_at",
        )),
        TableSpec(attr="lead_history", name="crm_lead_stage_history", key="history_id", columns=(
            "history_id", "tenant_id", "lead_id", "from_stage", "to_stage", "trigger", "reason_code",
            "actor", "changed_at",
        )),
        TableSpec(attr="conversations", name="crm_conversations", key="conversation_id", columns=(
            "conversation_id", "tenant_id", "contact_e164", "display_name", "lead_id",
            "last_message_preview", "last_message_at", "unread_count", "handler", "handler_user",
            "handoff_reason", "created_at", "updated_at",
        )),
        TableSpec(attr="ai_actions", name="crm_ai_actions", key="action_id", columns=(
            "action_id", "tenant_id", "conversation_id", "lead_id", "action", "status", "request_key",
            "client_request_id", "reason_code", "confidence", "suggested_stage", "draft", "provider",
            "model", "details", "actor", "correlation_id", "trace_id", "created_at",
        )),
        TableSpec(attr="ai_inbox", name="crm_ai_inbox", key="item_id", columns=(
            "item_id", "tenant_id", "conversation_id", "message_row_id", "status", "attempts",
            "available_at", "outcome", "correlation_id", "trace_id", "created_at", "updated_at",
        )),
        TableSpec(attr="messages", name="crm_messages", key="message_row_id", columns=(
            "message_row_id", "tenant_id", "conversation_id", "provider_message_id", "direction",
            "message_type", "text", "delivery_state", "occurred_at", "created_at",
        )),
        TableSpec(attr="webhook_receipts", name="webhook_receipts", key="receipt_id", columns=(
            "receipt_id", "tenant_id", "event_id", "event_type", "received_at",
        )),
        TableSpec(attr="accounts", name="crm_accounts", key="account_id", columns=(
            "account_id", "tenant_id", "external_key", "name", "legal_name", "document_number",
            "industry", "website", "status", "owner_user_id", "metadata", "created_at", "updated_at",
        )),
        TableSpec(attr="contacts", name="crm_contacts", key="contact_id", columns=(
            "contact_id", "tenant_id", "account_id", "external_key", "display_name", "job_title",
            "phone_e164", "email", "status", "metadata", "created_at", "updated_at",
        )),
        TableSpec(attr="deals", name="crm_deals", key="deal_id", columns=(
            "deal_id", "tenant_id", "lead_id", "account_id", "contact_id", "external_key", "title",
            "stage", "amount", "currency", "expected_close_date", "owner_user_id", "metadata",
            "created_at", "updated_at",
        )),
        TableSpec(attr="activities", name="crm_activities", key="activity_id", columns=(
            "activity_id", "tenant_id", "deal_id", "contact_id", "kind", "title", "body", "occurred_at",
            "author_user_id", "created_at",
        )),
        TableSpec(attr="todos", name="crm_todos", key="todo_id", columns=(
            "todo_id", "tenant_id", "deal_id", "contact_id", "title", "description", "due_at", "status",
            "priority", "assignee_user_id", "created_at", "updated_at",
        )),
        TableSpec(attr="views", name="crm_views", key="view_id", columns=(
            "view_id", "tenant_id", "owner_user_id", "name", "scope", "module", "is_default", "filters",
            "columns", "sort", "created_at", "updated_at",
        )),
        TableSpec(attr="campaigns", name="crm_campaigns", key="campaign_id", columns=(
            "campaign_id", "tenant_id", "external_key", "name", "audience_segment", "message", "state",
            "scheduled_at", "metadata", "created_at", "updated_at",
        )),
        TableSpec(attr="followups", name="crm_followups", key="followup_id", columns=(
            "followup_id", "tenant_id", "external_key", "campaign_id", "lead_id", "customer_id",
            "phone_e164", "message", "channel", "schedule_at", "status", "provider_message_id",
            "last_error_code", "last_error_message", "metadata", "correlation_id", "trace_id",
            "created_at", "updated_at",
        )),
        TableSpec(attr="outbound", name="outbound_messages", key="message_id", columns=(
            "message_id", "tenant_id", "idempotency_key", "context_type", "context_id", "phone_e164",
            "text", "status", "attempts", "max_attempts", "available_at", "provider_message_id",
            "error_code", "error_message", "correlation_id", "trace_id", "causation_id", "created_at",
            "updated_at",
        )),
    ),
)
# fmt: on
