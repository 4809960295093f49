"""CRM core (the origin's Krayin-like slice): accounts, contacts and deals, created once per
external key and patched; activities, to-dos and saved views, created and listed.

Each kind of record is a :class:`Kind`: its table, its fields and how each is checked, and the
payload of its lifecycle events. Every write emits its event (``crm.<kind>.created``, or
``crm.<kind>.updated`` on a patch, which a deal whose stage changes follows with
``crm.deal.stage.changed``, caused by the update). Deal stages are the contract's seven and a deal
moves freely between them: the origin has no deal funnel.

An id a record points at (a contact's account; a deal's lead, account or contact; an activity's
or a to-do's deal and contact) must be one of the tenant's own records: another tenant's id is
refused exactly as an unknown one is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from matrix import envelopes as env
from matrix.errors import NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.ports import ModuleStore, Record, TableGateway

STATUSES = ("active", "inactive")
DEAL_STAGES = ("new", "contacted", "qualified", "proposal", "won", "lost", "nurturing")
ACTIVITY_KINDS = ("note", "task", "message", "call", "meeting", "system")
TODO_STATUSES = ("pending", "in_progress", "done", "canceled")
PRIORITIES = ("low", "medium", "high", "urgent")
VIEW_MODULES = ("crm.inbox", "crm.pipeline", "crm.deals", "crm.contacts")
VIEW_SCOPES = ("private", "team", "tenant")

Check = Callable[[ModuleStore, str, Any], Any]
"""How one field's value is checked for a tenant: what to store, or a UsageError/NotFoundError."""


def _same(_store: ModuleStore, _tenant_id: str, value: Any) -> Any:
    return value


def _none(_work: Work) -> Any:
    return None


@dataclass(frozen=True, kw_only=True)
class Field:
    """One field of a record: its check, whether a create must give it, and its default."""

    check: Check = _same
    required: bool = False
    default: Callable[[Work], Any] = _none


@dataclass(frozen=True, kw_only=True)
class Kind:
    """One kind of CRM core record."""

    name: str
    """How events and answers name it: ``account`` → ``crm.account.created``, ``{"account": …}``."""
    table: str
    key: str
    fields: Mapping[str, Field]
    payload: Callable[[Record], dict[str, Any]]
    """Its lifecycle events' payload."""
    keyed: bool = False
    """Whether a create is idempotent by ``external_key``."""
    search: tuple[str, ...] = ()
    """The columns a list's ``query`` looks in."""
    order: str = "created_at"
    since: str | None = None
    """The time column a list's ``since`` filters on."""
    stage_event: str | None = None
    """Emitted after the update when a patch changes ``stage``."""
    id_field: str | None = None
    """How answers name the id when the table's column is named otherwise."""

    def shown(self, row: Record) -> Record:
        """The record as answers show it."""
        if self.id_field is None:
            return row
        return {self.id_field: row[self.key], **{k: v for k, v in row.items() if k != self.key}}


def _text(field: str, *, least: int = 1) -> Check:
    def check(_store: ModuleStore, _tenant_id: str, value: Any) -> str:
        if not isinstance(value, str) or len(value.strip()) < least:
            raise UsageError(
                f"{field} must have at least {least} non-blank character(s), got {value!r}."
            )
        return value.strip()

    return check


def _name(field: str) -> Check:
    return lambda _store, _tenant_id, value: values.name(value, field)


def _one_of(field: str, allowed: tuple[str, ...]) -> Check:
    def check(_store: ModuleStore, _tenant_id: str, value: Any) -> str:
        if value not in allowed:
            raise UsageError(f"{field} must be one of {list(allowed)}, got {value!r}.")
        return str(value)

    return check


def _ref(table: str, what: str) -> Check:
    """The id of one of the tenant's own records in ``table``."""

    def check(store: ModuleStore, tenant_id: str, value: Any) -> str:
        if (
            not isinstance(value, str)
            or getattr(store.modules, table).get(tenant_id, value) is None
        ):
            raise NotFoundError(f"No {what} {value!r} for this tenant; check the id.")
        return value

    return check


def _checked(check: Callable[[Any, str], Any], field: str) -> Check:
    return lambda _store, _tenant_id, value: check(value, field)


_METADATA = Field(default=lambda _work: {})
_ACTIVE = Field(check=_one_of("status", STATUSES), default=lambda _work: "active")

ACCOUNT = Kind(
    name="account", table="accounts", key="account_id", keyed=True,
    fields={"name": Field(check=_name("name"), required=True), "legal_name": Field(check=_text("legal_name")),
            "document_number": Field(check=_text("document_number", least=5)),
            "industry": Field(check=_text("industry")), "website": Field(check=_text("website")),
            "status": _ACTIVE, "owner_user_id": Field(), "metadata": _METADATA},
    payload=lambda r: {"account_id": r["account_id"], "status": r["status"]},
    search=("name", "legal_name", "document_number", "industry", "website"),
)  # fmt: skip
CONTACT = Kind(
    name="contact", table="contacts", key="contact_id", keyed=True,
    fields={"display_name": Field(check=_name("display_name"), required=True),
            "account_id": Field(check=_ref("accounts", "account")), "job_title": Field(check=_text("job_title")),
            "phone_e164": Field(check=_checked(values.phone, "phone_e164")), "email": Field(check=_checked(values.email, "email")),
            "status": _ACTIVE, "metadata": _METADATA},
    payload=lambda r: {"contact_id": r["contact_id"], "status": r["status"]},
    search=("display_name", "job_title", "phone_e164", "email"),
)  # fmt: skip
DEAL = Kind(
    name="deal", table="deals", key="deal_id", keyed=True, stage_event="crm.deal.stage.changed",
    fields={"title": Field(check=_name("title"), required=True),
            "stage": Field(check=_one_of("stage", DEAL_STAGES), required=True),
            "lead_id": Field(check=_ref("leads", "lead")), "account_id": Field(check=_ref("accounts", "account")),
            "contact_id": Field(check=_ref("contacts", "contact")),
            "amount": Field(check=lambda _s, _t, v: values.amount(v, positive=False)),
            "currency": Field(check=_checked(values.currency, "currency"), default=lambda _work: "BRL"),
            "expected_close_date": Field(check=_checked(values.day, "expected_close_date")),
            "owner_user_id": Field(), "metadata": _METADATA},
    payload=lambda r: {"deal_id": r["deal_id"], "stage": r["stage"]},
    search=("title",),
)  # fmt: skip
ACTIVITY = Kind(
    name="activity", table="activities", key="activity_id", order="occurred_at DESC", since="occurred_at",
    fields={"kind": Field(check=_one_of("kind", ACTIVITY_KINDS), required=True),
            "body": Field(check=_text("body"), required=True), "title": Field(check=_text("title")),
            "deal_id": Field(check=_ref("deals", "deal")), "contact_id": Field(check=_ref("contacts", "contact")),
            "occurred_at": Field(check=_checked(values.moment, "occurred_at"), default=lambda work: work.clock.now()),
            "author_user_id": Field()},
    payload=lambda r: {"activity_id": r["activity_id"], "deal_id": r["deal_id"], "kind": r["kind"]},
)  # fmt: skip
TASK = Kind(
    name="task", table="todos", key="todo_id", id_field="task_id",
    fields={"title": Field(check=_name("title"), required=True), "description": Field(check=_text("description")),
            "status": Field(check=_one_of("status", TODO_STATUSES), required=True),
            "priority": Field(check=_one_of("priority", PRIORITIES), default=lambda _work: "medium"),
            "due_at": Field(check=_checked(values.moment, "due_at")),
            "deal_id": Field(check=_ref("deals", "deal")), "contact_id": Field(check=_ref("contacts", "contact")),
            "assignee_user_id": Field()},
    payload=lambda r: {"task_id": r["todo_id"], "deal_id": r["deal_id"], "status": r["status"],
                       "priority": r["priority"]},
)  # fmt: skip
VIEW = Kind(
    name="view", table="views", key="view_id",
    fields={"name": Field(check=_name("name"), required=True),
            "module": Field(check=_one_of("module", VIEW_MODULES), required=True),
            "scope": Field(check=_one_of("scope", VIEW_SCOPES), default=lambda _work: "private"),
            "filters": Field(required=True), "columns": Field(default=lambda _work: []),
            "sort": Field(), "is_default": Field(default=lambda _work: False), "owner_user_id": Field()},
    payload=lambda r: {"view_id": r["view_id"], "module": r["module"], "scope": r["scope"]},
)  # fmt: skip
KINDS = (ACCOUNT, CONTACT, DEAL, ACTIVITY, TASK, VIEW)


def create(
    store: ModuleStore, work: Work, kind: Kind, given: Mapping[str, Any], *, source: str = env.CRM
) -> tuple[Record, str]:
    """Create one record from ``given`` (the request's fields); emits ``crm.<kind>.created``.

    A record kind that is ``keyed`` returns the stored record unchanged (``idempotent``, no event)
    when the tenant already has one with the same ``external_key``.

    Raises:
        UsageError: a field is missing or wrong (the message names it).
        NotFoundError: a referenced id is not one of the tenant's records.
    """
    fields = _fields(store, work, kind, given, creating=True)
    table = _table(store, kind)
    record, status = create_once(
        store, work, table, kind.key, fields,
        external_key=given.get("external_key") if kind.keyed else None,
        events=lambda r: [work.event(f"crm.{kind.name}.created", source, env.OWNER, kind.payload(r), status="info")],
    )  # fmt: skip
    return kind.shown(_reread(table, work.tenant_id, kind, record)), status


def update(
    store: ModuleStore, work: Work, kind: Kind, record_id: str, patch: Mapping[str, Any], *,
    source: str = env.CRM,
) -> tuple[Record, list[str]]:  # fmt: skip
    """Change the fields in ``patch``; emits ``crm.<kind>.updated`` (and the kind's stage event when
    the stage changes). Returns the record and the names of the events emitted.

    Raises:
        NotFoundError: the tenant has no such record (or a referenced id is not the tenant's).
        UsageError: the patch is empty or a field is wrong.
    """
    if not patch:
        raise UsageError(
            f"The patch is empty; give at least one field of the {kind.name} to change."
        )
    table = _table(store, kind)
    with store.transaction():
        current = table.get(work.tenant_id, record_id)
        if current is None:
            raise NotFoundError(f"No {kind.name} {record_id!r} for this tenant; check the id.")
        changes = {
            **_fields(store, work, kind, patch, creating=False),
            "updated_at": work.clock.now(),
        }
        table.update(work.tenant_id, record_id, changes)
        record = {**current, **changes}
        updated = work.event(
            f"crm.{kind.name}.updated", source, env.OWNER, kind.payload(record), status="info"
        )
        events = [updated]
        if kind.stage_event and current["stage"] != record["stage"]:
            events.append(work.event(kind.stage_event, source, env.OWNER, {
                kind.key: record_id, "from_stage": current["stage"], "to_stage": record["stage"]},
                status="info", causation_id=updated["event_id"]))  # fmt: skip
        store.events.append_many(events)
    return kind.shown(_reread(table, work.tenant_id, kind, record)), [e["name"] for e in events]


def move_deal(store: ModuleStore, work: Work, deal_id: str, stage: str) -> Record:
    """Set a deal's stage (an update that names only the stage)."""
    return update(store, work, DEAL, deal_id, {"stage": stage})[0]


def page(
    store: ModuleStore, tenant_id: str, what: Kind, *, query: str | None = None,
    since: str | datetime | None = None, limit: int = 100, offset: int = 0, **equals: Any,
) -> tuple[list[Record], int]:  # fmt: skip
    """One page of the tenant's records of kind ``what`` and how many match in all.

    ``equals`` are column filters (None means no filter); ``query`` is a case-insensitive
    substring of any of the kind's ``search`` columns; ``since`` keeps records at or after a time.
    """
    if since is not None and what.since is None:
        raise UsageError(f"A list of {what.name} records cannot filter by time.")
    if not 1 <= limit <= 10_000 or not 0 <= offset <= 10_000:
        raise UsageError(f"limit must be 1..10000 and offset 0..10000, got {limit} and {offset}.")
    rows, total = _table(store, what).page(
        tenant_id, order=what.order, limit=limit, offset=offset,
        contains=(what.search, query) if query and what.search else None,
        since=(what.since, values.moment(since, "since")) if since is not None and what.since else None,
        **{column: value for column, value in equals.items() if value is not None},
    )  # fmt: skip
    return [what.shown(r) for r in rows], total


def _fields(
    store: ModuleStore, work: Work, kind: Kind, given: Mapping[str, Any], *, creating: bool
) -> Record:
    """The checked values of ``given`` (and, on a create, the defaults of the fields not given)."""
    unknown = sorted(set(given) - set(kind.fields) - {"external_key"})
    if unknown:
        raise UsageError(
            f"A {kind.name} has no field {unknown[0]!r}; its fields: {', '.join(kind.fields)}."
        )
    out: Record = {}
    for name, field in kind.fields.items():
        if name in given and given[name] is not None:
            out[name] = field.check(store, work.tenant_id, given[name])
        elif field.required and (creating or name in given):
            raise UsageError(f"A {kind.name} needs {name}.")
        elif creating or name in given:
            out[name] = field.default(work)
    return out


def _table(store: ModuleStore, kind: Kind) -> TableGateway:
    table: TableGateway = getattr(store.modules, kind.table)
    return table


def _reread(table: TableGateway, tenant_id: str, kind: Kind, record: Record) -> Record:
    """The record as stored (and as a list shows it)."""
    return table.get(tenant_id, record[kind.key]) or record
