"""CRM core (module 02) over HTTP: accounts, contacts, deals, activities, tasks, views (origin
§g 36–50).

Accounts, contacts and deals are created (idempotent by ``external_key``), patched at
``/{id}`` and listed; activities, tasks and views are created and listed. Every list answers
``{tenant_id, count, total, items}`` with ``limit`` (default 100, at most 200; activities 200 and
500) and ``offset`` (at most 10000), and ``query`` finds a text in the record's names,
case-insensitively. A record may only point at the tenant's own records.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query

from matrix import envelopes as env
from matrix.api.errors import ApiError, Detail
from matrix.api.routes.crm import Offset, answer, one_of, paged
from matrix.api.routing import Api, Call, TenantQuery, orchestration
from matrix.modules.crm import core

ID = Annotated[str, Path(min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=200, description="How many to answer (1..200).")]
ActivityLimit = Annotated[int, Query(ge=1, le=500, description="How many to answer (1..500).")]
RecordId = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Only records pointing at this id.")
]
UserId = Annotated[
    str | None, Query(min_length=1, max_length=200, description="Only this user's records.")
]
Text = Annotated[
    str | None, Query(max_length=200, description="Text to find in the names, any case.")
]
Since = Annotated[str | None, Query(
    max_length=40, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
    description="Only activities at or after this RFC 3339 date-time.")]  # fmt: skip
Status = Annotated[str | None, one_of(core.STATUSES, "Only records in this status.")]

PATHS = ((core.ACCOUNT, "accounts"), (core.CONTACT, "contacts"), (core.DEAL, "deals"),
         (core.ACTIVITY, "activities"), (core.TASK, "tasks"), (core.VIEW, "views"))  # fmt: skip


def register(api: Api) -> None:
    for kind, plural in PATHS:
        _create_route(api, kind, plural)
    _patch_routes(api)
    _list_routes(api)


def _create_route(api: Api, kind: core.Kind, plural: str) -> None:
    def create(call: Call) -> dict[str, Any]:
        r, work = call.request, call.work()
        record, status = core.create(
            call.store, work, kind, r[kind.name], source=r.get("source_module", env.CRM)
        )
        event = f"crm.{kind.name}.created" if status == "created" else None
        return answer(r, work, status, kind.name, record, event)

    again = "; the same external_key again changes nothing (idempotent)" if kind.keyed else ""
    create.__name__ = f"create_crm_{kind.name}"
    create.__doc__ = f"Create a {kind.name}{again}. Emits crm.{kind.name}.created."
    api.post(f"/v1/crm/{plural}", request=f"crm_core.{kind.name}_create_request",
             response=f"crm_core.{kind.name}_create_response", tags=["crm"])(create)  # fmt: skip


def _patched(call: Call, kind: core.Kind, record_id: str) -> dict[str, Any]:
    """Patch one record; the body's id, when it names one, must be the path's."""
    r, work = call.request, call.work()
    named = r.get(kind.key)
    if named is not None and named != record_id:
        raise ApiError(status=400, code=f"{kind.name}_id_mismatch",
                       message=f"request.{kind.key} is not the id in the path; send the same id or leave it out.",
                       details=[Detail(path=f"/request/{kind.key}", problem="differs from the id in the path")])  # fmt: skip
    record, events = core.update(
        call.store, work, kind, record_id, r["patch"], source=r.get("source_module", env.CRM)
    )
    shown = orchestration(work, events[0])
    if kind.stage_event:
        shown["stage_lifecycle_event_name"] = (
            kind.stage_event if kind.stage_event in events else None
        )
    return {"response": {"request_id": r["request_id"], "status": "updated", kind.name: record,
                         "orchestration": shown}}  # fmt: skip


def _patch_routes(api: Api) -> None:
    @api.patch("/v1/crm/accounts/{account_id}", request="crm_core.account_patch_request",
               response="crm_core.account_patch_response", tags=["crm"])  # fmt: skip
    def patch_crm_account(call: Call, account_id: ID) -> dict[str, Any]:
        """Change an account's fields; emits crm.account.updated."""
        return _patched(call, core.ACCOUNT, account_id)

    @api.patch("/v1/crm/contacts/{contact_id}", request="crm_core.contact_patch_request",
               response="crm_core.contact_patch_response", tags=["crm"])  # fmt: skip
    def patch_crm_contact(call: Call, contact_id: ID) -> dict[str, Any]:
        """Change a contact's fields (its account must be the tenant's); emits crm.contact.updated."""
        return _patched(call, core.CONTACT, contact_id)

    @api.patch("/v1/crm/deals/{deal_id}", request="crm_core.deal_patch_request",
               response="crm_core.deal_patch_response", tags=["crm"])  # fmt: skip
    def patch_crm_deal(call: Call, deal_id: ID) -> dict[str, Any]:
        """Change a deal's fields; emits crm.deal.updated and, when its stage changes,
        crm.deal.stage.changed (``stage_lifecycle_event_name``)."""
        return _patched(call, core.DEAL, deal_id)


def _list_routes(api: Api) -> None:
    @api.get("/v1/crm/accounts", response="crm_core.account_list_response", tags=["crm"])
    def list_crm_accounts(
        call: Call, tenant_id: TenantQuery = None, status: Status = None, owner_user_id: UserId = None,
        query: Text = None, limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's accounts, oldest first."""
        return paged(call, tenant_id, core.page, core.ACCOUNT, status=status, owner_user_id=owner_user_id,
                       query=query, limit=limit, offset=offset)  # fmt: skip

    @api.get("/v1/crm/contacts", response="crm_core.contact_list_response", tags=["crm"])
    def list_crm_contacts(
        call: Call, tenant_id: TenantQuery = None, account_id: RecordId = None, status: Status = None,
        query: Text = None, limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's contacts, oldest first."""
        return paged(call, tenant_id, core.page, core.CONTACT, account_id=account_id, status=status, query=query,
                       limit=limit, offset=offset)  # fmt: skip

    @api.get("/v1/crm/deals", response="crm_core.deal_list_response", tags=["crm"])
    def list_crm_deals(
        call: Call, tenant_id: TenantQuery = None,
        stage: Annotated[str | None, one_of(core.DEAL_STAGES, "Only deals in this stage.")] = None,
        account_id: RecordId = None, contact_id: RecordId = None, owner_user_id: UserId = None,
        query: Text = None, limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's deals, oldest first."""
        return paged(call, tenant_id, core.page, core.DEAL, stage=stage, account_id=account_id, contact_id=contact_id,
                       owner_user_id=owner_user_id, query=query, limit=limit, offset=offset)  # fmt: skip

    @api.get("/v1/crm/activities", response="crm_core.activity_list_response", tags=["crm"])
    def list_crm_activities(
        call: Call, tenant_id: TenantQuery = None, deal_id: RecordId = None, contact_id: RecordId = None,
        kind: Annotated[str | None, one_of(core.ACTIVITY_KINDS, "Only activities of this kind.")] = None,
        since: Since = None, limit: ActivityLimit = 200, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's activities, newest first."""
        return paged(call, tenant_id, core.page, core.ACTIVITY, deal_id=deal_id, contact_id=contact_id, kind=kind,
                       since=since, limit=limit, offset=offset)  # fmt: skip

    @api.get("/v1/crm/tasks", response="crm_core.task_list_response", tags=["crm"])
    def list_crm_tasks(
        call: Call, tenant_id: TenantQuery = None, deal_id: RecordId = None, contact_id: RecordId = None,
        assignee_user_id: UserId = None,
        status: Annotated[str | None, one_of(core.TODO_STATUSES, "Only tasks in this status.")] = None,
        priority: Annotated[str | None, one_of(core.PRIORITIES, "Only tasks of this priority.")] = None,
        limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's CRM tasks (to-dos), oldest first."""
        return paged(call, tenant_id, core.page, core.TASK, deal_id=deal_id, contact_id=contact_id,
                       assignee_user_id=assignee_user_id, status=status, priority=priority, limit=limit,
                       offset=offset)  # fmt: skip

    @api.get("/v1/crm/views", response="crm_core.view_list_response", tags=["crm"])
    def list_crm_views(
        call: Call, tenant_id: TenantQuery = None,
        module: Annotated[str | None, one_of(core.VIEW_MODULES, "Only views of this module.")] = None,
        scope: Annotated[str | None, one_of(core.VIEW_SCOPES, "Only views of this scope.")] = None,
        owner_user_id: UserId = None, limit: Limit = 100, offset: Offset = 0,
    ) -> dict[str, Any]:  # fmt: skip
        """The tenant's saved views, oldest first."""
        return paged(call, tenant_id, core.page, core.VIEW, module=module, scope=scope, owner_user_id=owner_user_id,
                       limit=limit, offset=offset)  # fmt: skip
