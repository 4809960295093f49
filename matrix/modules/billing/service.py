"""Billing (module 05): charges, payments that settle them, collections through Persona 2.

A charge is ``open`` (or a ``draft`` not yet collected) until confirmed payments cover it
(``paid``), it is ``canceled``, or it is ``written_off`` (only after the owner approved it). A
collection request moves the charge's collection state ``requested → queued`` and sends
``billing.collection.dispatch.request`` to Persona 2 with a queued WhatsApp message; the state
becomes ``sent`` when the transport accepts it, or ``failed`` when the message is dead.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from matrix import envelopes as env
from matrix.errors import ConflictError, NotFoundError, UsageError
from matrix.modules import values
from matrix.modules.context import Work, create_once
from matrix.modules.crm import funnel, outbound
from matrix.modules.ports import ModuleStore, Record

BILLING_ACTOR = {"actor_id": "billing", "actor_type": "system", "channel": "billing"}
OPEN = ("open", "overdue")
CLOSED = ("paid", "written_off", "canceled")
STATUSES = ("draft", *OPEN, *CLOSED)
EDITABLE = ("amount", "currency", "due_date", "status", "metadata")
SETTABLE = ("draft", "open", "canceled")
"""The statuses a charge may be given by hand; ``paid`` comes from payments, ``written_off`` from
an approved write-off."""


def create_charge(
    store: ModuleStore, work: Work, *, customer_id: str, amount: object, currency: str, due_date: date | str,
    external_key: str | None = None, status: str = "open", metadata: Record | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Create a charge (idempotent by external key); emits ``billing.charge.created``.

    Raises:
        UsageError: a bad amount, currency or date, or a status other than open or draft.
        NotFoundError: ``customer_not_found``, the tenant has no such customer.
    """
    value = values.amount(amount)
    code = values.currency(currency)
    if status not in ("open", "draft"):
        raise UsageError(f"status {status!r} is not how a charge starts; use open or draft.")
    if store.modules.customers.get(work.tenant_id, customer_id) is None:
        raise NotFoundError("No customer with that customer_id for this tenant (customer_not_found); create the"
                            " customer first.",
                            code="customer_not_found")  # fmt: skip
    fields = {"customer_id": customer_id, "amount": value, "currency": code,
              "due_date": values.day(due_date, "due_date"), "status": status, "collection_state": None,
              "metadata": metadata or {}}  # fmt: skip
    return create_once(store, work, store.modules.charges, "charge_id", fields, external_key=external_key,
                       events=lambda charge: [work.event("billing.charge.created", env.BILLING, env.OWNER, {
                           "charge_id": charge["charge_id"], "customer_id": customer_id, "amount": float(value),
                           "currency": code})])  # fmt: skip


def require_charge(
    store: ModuleStore, tenant_id: str, charge_id: str, *, code: str = "charge_not_found"
) -> Record:
    """The tenant's charge, or :class:`NotFoundError` with ``code``."""
    charge = store.modules.charges.get(tenant_id, charge_id)
    if charge is None:
        raise NotFoundError(
            f"No charge with that id for this tenant ({code}); check charge_id.", code=code
        )
    return charge


def update_charge(store: ModuleStore, work: Work, charge_id: str, changes: Record) -> Record:
    """Change a charge's amount, currency, due date, status (draft, open, canceled) or metadata.

    Raises:
        UsageError: no change, an unknown field or a bad value.
        NotFoundError: ``not_found``, the tenant has no such charge.
        ConflictError: ``charge_closed`` (a paid, canceled or written-off charge only takes new
            metadata), ``currency_locked`` (payments were made in its currency) or
            ``amount_below_paid``.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if not changes or unknown:
        raise UsageError(f"changes must name at least one of {', '.join(EDITABLE)}"
                         + (f"; unknown: {', '.join(unknown)}." if unknown else "."))  # fmt: skip
    fields: Record = {k: v for k, v in changes.items() if k == "metadata"}
    if "amount" in changes:
        fields["amount"] = values.amount(changes["amount"])
    if "currency" in changes:
        fields["currency"] = values.currency(changes["currency"])
    if "due_date" in changes:
        fields["due_date"] = values.day(changes["due_date"], "due_date")
    if "status" in changes:
        if changes["status"] not in SETTABLE:
            raise UsageError(f"status {changes['status']!r} cannot be set; use one of {', '.join(SETTABLE)} "
                             "(payments make a charge paid, an approved write-off writes it off).")  # fmt: skip
        fields["status"] = changes["status"]
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id, code="not_found")
        fields = {k: v for k, v in fields.items() if k == "metadata" or v != charge[k]}
        if charge["status"] in CLOSED and set(fields) - {"metadata"}:
            raise ConflictError(f"Charge {charge_id} is {charge['status']}; only its metadata can change.",
                                code="charge_closed")  # fmt: skip
        paid = _paid(store, work.tenant_id, charge_id)
        if paid and "currency" in fields:
            raise ConflictError(f"Charge {charge_id} has payments in {charge['currency']}; its currency stays.",
                                code="currency_locked")  # fmt: skip
        if paid and fields.get("amount", paid) < paid:
            raise ConflictError(f"Charge {charge_id} has {charge['currency']} {paid} paid already; the amount "
                                "cannot go below that.", code="amount_below_paid")  # fmt: skip
        if paid and fields.get("amount") == paid and fields.get("status", "open") != "canceled":
            fields["status"] = "paid"  # lowered to what was paid: nothing is owed any more
        fields["updated_at"] = work.clock.now()
        store.modules.charges.update(work.tenant_id, charge_id, fields)
    return {**charge, **fields}


def _paid(store: ModuleStore, tenant_id: str, charge_id: str) -> Decimal:
    """What confirmed payments of the charge add up to."""
    payments = store.modules.payments.find(tenant_id, charge_id=charge_id, status="confirmed")
    return sum((Decimal(str(p["amount"])) for p in payments), Decimal(0))


def record_payment(
    store: ModuleStore, work: Work, *, charge_id: str, amount: object, currency: str | None = None,
    paid_at: object = None, external_key: str | None = None, status: str = "confirmed",
    metadata: Record | None = None,
) -> tuple[Record, Record, str]:  # fmt: skip
    """Record a payment of a charge (idempotent by external key): the payment, the charge as it
    is now, and ``created`` or ``idempotent``.

    The currency defaults to the charge's. A confirmed payment emits ``billing.payment.confirmed``,
    and once confirmed payments cover the charge it is ``paid``. A failed one is kept and settles
    nothing: the charge stays owed.

    Raises:
        NotFoundError: ``charge_not_found``.
        UsageError: a bad amount or status, or a currency other than the charge's.
        ConflictError: ``charge_closed``, the charge is paid, canceled or written off;
            ``overpayment``, a confirmed payment larger than what is still open on the charge.
    """
    value = values.amount(amount)
    given = values.currency(currency) if currency is not None else None
    if status not in ("confirmed", "failed"):
        raise UsageError(f"status {status!r} is not a payment's; use confirmed or failed.")
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id)
        if external_key and (
            found := store.modules.payments.find(work.tenant_id, external_key=external_key, limit=1)
        ):
            return (
                found[0],
                require_charge(store, work.tenant_id, found[0]["charge_id"]),
                "idempotent",
            )
        code = given or charge["currency"]
        if code != charge["currency"]:
            raise UsageError(f"currency {code} does not match the charge's {charge['currency']}.")
        if charge["status"] in CLOSED:
            raise ConflictError(f"Charge {charge_id} is already {charge['status']}; nothing to pay.",
                                code="charge_closed")  # fmt: skip
        if status == "confirmed":
            owed = Decimal(str(charge["amount"])) - _paid(store, work.tenant_id, charge_id)
            # An overpayment is refused, never kept as credit: a charge has nothing to hold it.
            if value > owed:
                raise ConflictError(f"A payment of {code} {value:.2f} is more than the {code} {owed:.2f} still open"
                                    f" on charge {charge_id} (overpayment); record at most {code} {owed:.2f}.",
                                    code="overpayment")  # fmt: skip
        now = work.clock.now()
        payment: Record = {"payment_id": env.new_id(), "tenant_id": work.tenant_id, "charge_id": charge_id,
                           "external_key": external_key, "amount": value, "currency": code,
                           "paid_at": values.moment(paid_at or now, "paid_at"), "created_at": now,
                           "status": status, "metadata": metadata or {}}  # fmt: skip
        if external_key:
            if not store.modules.payments.insert_once(payment, key=("external_key",)):
                # A concurrent writer stored this key first; its row is committed by now.
                stored = store.modules.payments.find(
                    work.tenant_id, external_key=external_key, limit=1
                )[0]
                return (
                    stored,
                    require_charge(store, work.tenant_id, stored["charge_id"]),
                    "idempotent",
                )
        else:
            store.modules.payments.insert(payment)
        if status == "failed":
            return payment, charge, "created"
        changes: Record = {"updated_at": now}
        if _paid(store, work.tenant_id, charge_id) >= Decimal(str(charge["amount"])):
            changes["status"] = "paid"
            if charge["collection_state"]:
                changes["collection_state"] = "paid"
        store.modules.charges.update(work.tenant_id, charge_id, changes)
        store.events.append_many([work.event("billing.payment.confirmed", env.BILLING, env.OWNER, {
            "payment_id": payment["payment_id"], "charge_id": charge_id, "amount": float(value), "currency": code,
            "paid_at": env.timestamp(payment["paid_at"])}, status="completed")])  # fmt: skip
    return payment, {**charge, **changes}, "created"


def overdue_for(store: ModuleStore, tenant_id: str, customer_id: str, today: date) -> list[Record]:
    """The customer's unpaid charges past their due date, oldest first."""
    charges = store.modules.charges.find(
        tenant_id, customer_id=customer_id, order="due_date", limit=1000
    )
    return [c for c in charges if c["status"] in OPEN and c["due_date"] < today]


def request_collection(
    store: ModuleStore, work: Work, charge_id: str, *, language: str = "pt",
    phone: str | None = None, message: str | None = None,
) -> tuple[Record, str]:  # fmt: skip
    """Ask Persona 2 to send a collection message for an unpaid charge: the charge as it is now,
    and the id of the ``billing.collection.dispatch.request`` command.

    The message goes to ``phone``, else to the customer's number; ``message`` replaces the
    default text, which names the customer, the amount and the due date.

    Raises:
        NotFoundError: ``charge_not_found``.
        ConflictError: ``charge_not_collectable`` (a draft, paid, canceled or written-off
            charge) or ``collection_already_requested`` (its message has not gone out yet).
        UsageError: no number to send to.
    """
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id)
        if charge["status"] not in OPEN:
            raise ConflictError(f"Charge {charge_id} is {charge['status']}; only open charges are collected.",
                                code="charge_not_collectable")  # fmt: skip
        customer = store.modules.customers.get(work.tenant_id, charge["customer_id"])
        phone = (
            values.phone(phone) if phone else (customer.get("primary_phone") if customer else None)
        )
        if not phone:
            raise UsageError(f"Customer {charge['customer_id']} has no WhatsApp number to collect through; "
                             "give collection.recipient.phone_e164.")  # fmt: skip
        text = message or _collection_text(charge, customer, language)
        command = work.command("billing.collection.dispatch.request", env.BILLING, env.CRM, {
            "charge_id": charge_id, "customer_id": charge["customer_id"], "amount": float(charge["amount"]),
            "currency": charge["currency"], "channel": "whatsapp", "phone_e164": phone, "message": text}, BILLING_ACTOR)  # fmt: skip
        state = charge["collection_state"] or "requested"
        if state == "queued":  # its message has not gone out yet: a second one would repeat it
            raise ConflictError(f"Charge {charge_id} has a collection message waiting to go out; wait for it.",
                                code="collection_already_requested")  # fmt: skip
        target = "queued" if state in ("requested", "failed") else state
        verdict = funnel.check_collection(
            state, target, "enqueue_message" if state == "requested" else "retry_eligible"
        )
        if not verdict.ok:
            raise ConflictError(f"Charge {charge_id} has a collection in state {state}; wait for it to finish.",
                                code="collection_already_requested")  # fmt: skip
        store.modules.charges.update(
            work.tenant_id, charge_id, {"collection_state": target, "updated_at": work.clock.now()}
        )
        store.events.append_many([command, work.event("billing.collection.requested", env.BILLING, env.CRM,
                                                      {"charge_id": charge_id, "channel": "whatsapp"},
                                                      causation_id=command["command_id"])])  # fmt: skip
        outbound.enqueue(store, Work(tenant_id=work.tenant_id, clock=work.clock, correlation_id=work.correlation_id,
                                     trace_id=work.trace_id, causation_id=command["command_id"]),
                         context_type="collection", context_id=charge_id, phone=phone, text=text,
                         idempotency_key=f"collection:{command['command_id']}")  # fmt: skip
    return {**charge, "collection_state": target}, str(command["command_id"])


def _collection_text(charge: Record, customer: Record | None, language: str) -> str:
    amount = f"{charge['currency']} {Decimal(str(charge['amount'])):.2f}"
    name = customer["display_name"].split()[0] if customer else ""
    if language == "pt":
        return (f"Olá {name}, a fatura de {amount} venceu em {charge['due_date']:%d/%m}. "
                "Podemos ajudar com o pagamento?")  # fmt: skip
    return (f"Hi {name}, the invoice of {amount} was due on {charge['due_date']:%b %d}. "
            "Can we help you settle it?")  # fmt: skip


def on_outcome(
    store: ModuleStore, work: Work, message: Record, status: str, error: str | None, retryable: bool
) -> None:
    """Report a collection message: sent, or failed once it is dead."""
    if status == "failed":
        return
    charge = store.modules.charges.get(work.tenant_id, message["context_id"])
    if charge is None:
        return
    now = work.clock.now()
    if status == "sent":
        store.modules.charges.update(
            work.tenant_id, charge["charge_id"], {"collection_state": "sent", "updated_at": now}
        )
        store.events.append_many([work.event("billing.collection.sent", env.CRM, env.BILLING, {
            "charge_id": charge["charge_id"], "message_id": message["provider_message_id"], "sent_at": env.timestamp(now)})])  # fmt: skip
    else:
        store.modules.charges.update(
            work.tenant_id, charge["charge_id"], {"collection_state": "failed", "updated_at": now}
        )
        store.events.append_many([work.event("billing.collection.failed", env.CRM, env.BILLING, {
            "charge_id": charge["charge_id"], "error_code": error or "DELIVERY_FAILED", "retryable": False},
            status="failed")])  # fmt: skip


def write_off(store: ModuleStore, work: Work, charge_id: str) -> Record:
    """Write a charge off (run only by an approved ``billing.writeoff.request`` task)."""
    with store.transaction():
        charge = require_charge(store, work.tenant_id, charge_id)
        if charge["status"] not in OPEN:
            raise UsageError(
                f"Charge {charge_id} is {charge['status']}; only open charges can be written off."
            )
        store.modules.charges.update(
            work.tenant_id, charge_id, {"status": "written_off", "updated_at": work.clock.now()}
        )
    return {**charge, "status": "written_off"}
