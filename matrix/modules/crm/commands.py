"""``matrix crm``: capture leads, move them through the funnel, convert them, file webhooks, and
measure Persona 2's offline rules (``matrix crm ai eval``)."""

from __future__ import annotations

import json
from typing import IO, Any

import click

from matrix.cli.options import CONTEXT, Number, json_option, open_app, open_existing
from matrix.cli.output import emit, table
from matrix.clock import SYSTEM_CLOCK
from matrix.errors import ConflictError
from matrix.modules.commands import list_rows, show, tenant_command, work
from matrix.modules.crm.funnel import STAGES


@click.group(context_settings=CONTEXT)
def crm() -> None:
    """CRM (module 02): leads and their funnel, and WhatsApp webhooks."""


@crm.command("capture")
@click.argument("name")
@click.option("--phone", required=True, help="WhatsApp number in E.164.")
@tenant_command
def crm_capture(
    name: str, tenant_id: str, phone: str, storage_url: str | None, as_json: bool
) -> None:
    """Capture a lead in stage new (idempotent per phone)."""
    from matrix.modules.crm import leads

    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        lead, status = leads.capture(
            store, work(tenant_id), display_name=name, phone=phone, source_channel="manual"
        )
    show({**lead, "status": status}, as_json, ("lead_id", "display_name", "stage", "status"))


@crm.command("move")
@click.argument("lead_id")
@click.option(
    "--to",
    "to_stage",
    required=True,
    type=click.Choice(STAGES),
    help="Target stage, e.g. contacted.",
)
@click.option("--trigger", help="The funnel's trigger for this move, e.g. first_contact_attempt.")
@click.option("--reason", "reason_code", help="Needed to reopen a lost or disqualified lead.")
@tenant_command
def crm_move(lead_id: str, tenant_id: str, to_stage: str, trigger: str | None, reason_code: str | None,
             storage_url: str | None, as_json: bool) -> None:  # fmt: skip
    """Move a lead through the funnel (the error says which trigger the move needs)."""
    from matrix.modules.crm import leads

    with open_existing(storage_url) as store:
        try:
            lead = leads.move(store, work(tenant_id), lead_id, to_stage=to_stage, trigger=trigger,
                              reason_code=reason_code, actor="cli")  # fmt: skip
        except leads.TransitionError as exc:
            hint = f" Use --trigger {exc.expected_trigger}." if exc.expected_trigger else ""
            raise ConflictError(
                f"{str(exc).rstrip('.')} ({exc.code}).{hint}", code=exc.code
            ) from None
    show(lead, as_json, ("lead_id", "display_name", "stage"))


@crm.command("convert")
@click.argument("lead_id")
@tenant_command
def crm_convert(lead_id: str, tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """Turn a lead into a customer (once)."""
    from matrix.modules.crm import leads

    with open_existing(storage_url) as store:
        customer, status = leads.convert(store, work(tenant_id), lead_id)
    show({**customer, "status": status}, as_json, ("customer_id", "display_name", "status"))


@crm.command("leads")
@tenant_command
def crm_leads(tenant_id: str, storage_url: str | None, as_json: bool) -> None:
    """The tenant's leads."""
    list_rows(
        storage_url,
        as_json,
        tenant_id,
        "leads",
        ("lead_id", "display_name", "phone_e164", "stage", "customer_id"),
    )


@crm.command("ingest")
@click.argument("source", type=click.File("rb"), metavar="FILE|-")
@click.option(
    "--signature",
    required=True,
    help="The body's signature: HMAC-SHA256 with the webhook secret, hex (sha256= optional).",
)
@tenant_command
def crm_ingest(
    source: IO[bytes], tenant_id: str, signature: str, storage_url: str | None, as_json: bool
) -> None:
    """File one Evolution webhook body (as received) into the inbox."""
    from matrix.contracts import Catalog
    from matrix.modules.crm import inbox

    body = source.read()
    with open_existing(storage_url) as store:
        secret = store.runtime_config.secret(tenant_id, "crm_evolution.webhook_secret")
        result = inbox.ingest(store, SYSTEM_CLOCK, Catalog(store.settings.contracts_dir), tenant_id=tenant_id,
                              body=body, signature=signature, secret=secret)  # fmt: skip
    emit(result, as_json, lambda r: json.dumps(r, indent=2, default=str))


# -- Persona 2, the WhatsApp agent -------------------------------------------------------------


def _agent_answer(answer: dict[str, Any], as_json: bool, fields: tuple[str, ...]) -> None:
    emit(
        answer,
        as_json,
        lambda r: "\n".join(f"{f}: {r.get(f)}" for f in fields if r.get(f) is not None),
    )


@crm.command("conversations")
@click.option("--waiting", is_flag=True, help="Only the conversations waiting for a human.")
@tenant_command
def crm_conversations(
    tenant_id: str, waiting: bool, storage_url: str | None, as_json: bool
) -> None:
    """The tenant's WhatsApp conversations and who handles each (Persona 2, a human's queue, a person)."""
    from matrix.modules.crm import conversations, handling

    with open_existing(storage_url) as store:
        store.tenants.require(tenant_id)
        rows = (handling.waiting(store, tenant_id) if waiting
                else conversations.recent(store, tenant_id, limit=500))  # fmt: skip
    columns = ("conversation_id", "display_name", "handler", "handoff_reason", "handler_user", "unread_count",
               "last_message_preview")  # fmt: skip
    emit(rows, as_json, lambda r: table(r, columns))


@crm.command("suggest")
@click.argument("conversation_id")
@click.option("--tone", type=click.Choice(["consultivo", "direto", "followup"]), default="consultivo",
              show_default=True, help="How the draft sounds.")  # fmt: skip
@tenant_command
def crm_suggest(
    conversation_id: str, tenant_id: str, tone: str, storage_url: str | None, as_json: bool
) -> None:
    """Draft a reply for a conversation (Persona 2); nothing is sent."""
    with open_app(storage_url) as app:
        answer = app.agent.suggest_reply(tenant_id, conversation_id, tone=tone, actor="cli")
    _agent_answer({**answer, "guard": answer["guard"]["reason_code"]}, as_json,
                  ("draft_reply", "confidence", "reasoning_summary", "source", "guard", "correlation_id"))  # fmt: skip


@crm.command("qualify")
@click.argument("conversation_id")
@tenant_command
def crm_qualify(
    conversation_id: str, tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """Suggest a funnel stage for a conversation's lead (Persona 2); nothing is moved."""
    with open_app(storage_url) as app:
        answer = app.agent.qualify(tenant_id, conversation_id, actor="cli")
    _agent_answer(answer, as_json, ("current_stage", "suggested_stage", "confidence", "reason", "required_trigger",
                                    "refused_stage", "source", "correlation_id"))  # fmt: skip


@crm.command("execute")
@click.argument("conversation_id")
@click.option("--action", type=click.Choice(["send_reply", "update_stage"]), required=True,
              help="Queue a reply, or move the conversation's lead.")  # fmt: skip
@click.option("--request-id", "client_request_id", required=True,
              help="4 to 120 characters; the same id again returns the first result (safe to retry).")  # fmt: skip
@click.option("--text", "reply_text", help="send_reply: the message.")
@click.option("--to", "to_stage", help="update_stage: the stage, e.g. contacted.")
@click.option("--trigger", help="update_stage: the funnel's trigger (default: the funnel table's).")
@click.option("--reason", "reason_code", help="update_stage: why (needed to reopen a lost lead).")
@tenant_command
def crm_execute(
    conversation_id: str, tenant_id: str, action: str, client_request_id: str, reply_text: str | None,
    to_stage: str | None, trigger: str | None, reason_code: str | None, storage_url: str | None, as_json: bool,
) -> None:  # fmt: skip
    """Execute Persona 2's action once per --request-id (only when the tenant's mode is assist_execute)."""
    with open_app(storage_url) as app:
        answer = app.agent.execute(tenant_id, conversation_id, action=action, client_request_id=client_request_id,
                                   reply_text=reply_text, to_stage=to_stage, trigger=trigger,
                                   reason_code=reason_code, actor="cli")  # fmt: skip
        off = app.outbound_off_for(tenant_id) if action == "send_reply" else None
    result = answer.get("provider_result") or answer.get("lead_result") or {}
    _agent_answer({**answer, **result}, as_json, ("status", "executed_action", "from_stage", "to_stage",
                                                  "correlation_id"))  # fmt: skip
    if off and not as_json:
        click.echo(f"warning: {off}", err=True)


@crm.command("takeover")
@click.argument("conversation_id")
@click.option("--user", required=True, help="Who takes the conversation over.")
@tenant_command
def crm_takeover(
    conversation_id: str, tenant_id: str, user: str, storage_url: str | None, as_json: bool
) -> None:
    """A person takes a conversation over: Persona 2 stops answering it."""
    with open_app(storage_url) as app:
        conversation = app.agent.hand_over(
            tenant_id, conversation_id, to="human", user=user, actor=user
        )
    show(conversation, as_json, ("conversation_id", "handler", "handler_user"))


@crm.command("handback")
@click.argument("conversation_id")
@tenant_command
def crm_handback(
    conversation_id: str, tenant_id: str, storage_url: str | None, as_json: bool
) -> None:
    """Hand a conversation back to Persona 2."""
    with open_app(storage_url) as app:
        conversation = app.agent.hand_over(tenant_id, conversation_id, to="agent", actor="cli")
    show(conversation, as_json, ("conversation_id", "handler", "handler_user"))


@crm.group("ai", context_settings=CONTEXT)
def crm_ai() -> None:
    """Persona 2, the WhatsApp agent: its offline stage suggestions and handoffs, measured."""


@crm_ai.command("eval")
@click.option(
    "--part", type=click.Choice(("dev", "test", "all", "holdout")), default="test", show_default=True,
    help="Which part of the labelled conversations: dev (rules are tuned and calibrated on it),"
    " test (it measures them), all.",
)  # fmt: skip
@click.option(
    "--min-confidence", type=Number(0, 1), default=0.7, show_default=True,
    help="The tenant's minimum: a move less sure than this keeps the lead where it is.",
)  # fmt: skip
@click.option(
    "--calibrate", is_flag=True,
    help="First set each rule's confidence to its measured precision on the dev part (Laplace)"
    " and write it into the shipped rules file.",
)  # fmt: skip
@click.option(
    "--check", is_flag=True,
    help="Exit 1 when the stage accuracy is below 85 % or any outcome is harmful.",
)  # fmt: skip
@json_option
def crm_ai_eval(
    part: str, min_confidence: float, calibrate: bool, check: bool, as_json: bool
) -> None:
    """Stage accuracy after the threshold, per category and language, the confusion matrix,
    handoff precision and recall, and every harmful outcome (a contact who said no moved
    forward; a contact who must reach a person answered automatically) of the offline rules on
    the labelled conversations. A measurement: exit 0 unless --check."""
    from matrix.agent.evaluate import CHECK_ACCURACY, rules_report, write_calibrated

    rules = write_calibrated() if calibrate else None
    report = rules_report(part, min_confidence=min_confidence, rules=rules)
    emit(report.as_dict(), as_json, _ai_eval_text)
    if check and ((report.accuracy or 0.0) < CHECK_ACCURACY or report.harmful):
        raise SystemExit(1)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ai_eval_text(r: dict[str, Any]) -> str:
    h = r["handoffs"]
    harms = ", ".join(f"{n} {name}" for name, n in r["harms"].items())
    lines = [
        f"Persona 2 rules {r['rules_version']} on the {r['part']} part: {r['correct']}/{r['cases']}"
        f" stages right, accuracy {_percent(r['accuracy'])} at min confidence"
        f" {r['min_confidence']:.2f} ({r['held_by_threshold']} held by it);"
        f" {r['harmful_count']} harmful ({harms})",
        f"  handoffs: {h['found']} of {h['expected']} expected found (recall {_percent(h['recall'])}),"
        f" {h['detected']} raised (precision {_percent(h['precision'])}),"
        f" {h['same_reason']} with the expected reason",
        "  by language: " + ", ".join(
            f"{s['name']} {_percent(s['accuracy'])} of {s['cases']}" for s in r["languages"]),
        "",
        table([{**s, "accuracy": _percent(s["accuracy"])} for s in r["categories"]],
              ("name", "cases", "correct", "accuracy")),
        "",
        "confusion (rows: expected stage, columns: suggested, numbered as the rows):",
    ]  # fmt: skip
    labels: list[str] = r["labels"]
    width = max(len(label) for label in labels) + 4
    lines.append(" " * width + "".join(f"{i + 1:>5}" for i in range(len(labels))))
    for i, (label, row) in enumerate(zip(labels, r["confusion"], strict=True)):
        lines.append(
            f"{i + 1:>2}. {label}".ljust(width) + "".join(f"{n if n else '.':>5}" for n in row)
        )
    lines += ["", f"harmful outcomes: {r['harmful_count']}"]
    lines += [
        f"  {o['id']} [{', '.join(o['harms'])}] {o['current_stage']} -> {o['suggested_stage']}"
        f" (expected {o['expected_stage']}, handoff {o['expected_handoff']} -> {o['handoff']}): {o['text']}"
        for o in r["harmful"]
    ]  # fmt: skip
    others = [o for o in r["misses"] if not o["harms"]]
    lines += ["", f"other misses: {len(others)}"]
    lines += [
        f"  {o['id']} {o['current_stage']} -> {o['suggested_stage']} (expected {o['expected_stage']};"
        f" {o['rule_id']}{', held' if o['held'] else ''}): {o['text']}"
        for o in others
    ]  # fmt: skip
    return "\n".join(lines)
