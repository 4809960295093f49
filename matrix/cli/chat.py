"""``matrix chat``: talk to Persona 1 from the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import click

from matrix import values
from matrix.cli.options import json_option, open_app, storage_option, tenant_option
from matrix.cli.output import emit
from matrix.errors import UsageError


@click.command()
@tenant_option
@click.option(
    "-m", "--message", help="Send one message and exit (default: read messages from the terminal)."
)
@click.option("--session", "session_id", help="Session id (default: a new one).")
@storage_option
@json_option
def chat(
    tenant_id: str,
    message: str | None,
    session_id: str | None,
    storage_url: str | None,
    as_json: bool,
) -> None:
    """Talk to Persona 1: the reply, the decision, and any approval or task it created.

    Without -m, each line is a message; exit, quit, an empty line or Ctrl-D ends the chat.
    """
    from matrix.envelopes import new_id

    if session_id is not None and not session_id.strip():
        raise UsageError(
            "--session is empty; name the session to continue, or leave it out for a new one."
        )
    if session_id is not None:
        values.one_line(session_id, "--session")
    session_id = session_id or new_id()
    with open_app(storage_url) as app:
        for text in [message] if message is not None else _prompt_lines():
            emit(app.concierge.interact(tenant_id, session_id, text).as_dict(), as_json, _chat_text)


# Words that end the chat instead of being sent (`-m exit` still sends the word).
ENDINGS = frozenset({"exit", "quit", "/exit", "/quit"})


def _prompt_lines() -> Iterator[str]:
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(
            "Talk to your concierge; exit, quit, an empty line or Ctrl-D ends the chat.", err=True
        )
    while True:
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            return
        if not line.strip() or line.strip().lower() in ENDINGS:
            return
        yield line


def _chat_text(r: dict[str, Any]) -> str:
    out = r["assistant_output"]
    decision = r["policy_decision"]
    lines = [f"concierge> {out['text']}"]
    meta = f"  [{out['provider']}{'/' + out['model'] if out.get('model') else ''}"
    if out.get("fallback_reason"):
        meta += f", {out['fallback_reason']}"
    lines.append(meta + "]")
    if decision["execution_decision"] != "none":
        lines.append(f"  decision: {decision['execution_decision']} ({decision['reason_code']})")
    for task in r.get("downstream_tasks", []):
        lines.append(
            f"  task queued: {task['task_type']} → {task['target_module']} ({task['task_id']})"
        )
    if "confirmation" in r:
        c = r["confirmation"]
        tenant_id = r["execution_receipts"][0]["tenant_id"]
        lines.append(
            f"  approval needed: matrix approvals approve {c['confirmation_id']} --tenant {tenant_id}"
        )
    if "provider_error" in r:
        e = r["provider_error"]
        lines.append(
            f"  warning: the AI provider failed ({e['code']}): {e['message']} — the request's outcome"
            " above is recorded; do not send it again"
        )
    return "\n".join(lines)


COMMANDS = (chat,)
