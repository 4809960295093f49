"""What memory recalls reaches the provider: a fact the owner told in one session is in the
instructions of the provider request of a question asked in another (seen at the
OpenAI-compatible server), the session's turns go as conversation, and the trace shows it."""

from __future__ import annotations

from typing import Any

from matrix.concierge import Concierge
from matrix.storage import Store


def _responses(server: Any) -> list[dict[str, Any]]:
    return [r["json"] for r in server.requests if r["endpoint"] == "responses"]


def test_a_remembered_fact_is_in_the_provider_request_and_the_trace(
    concierge: Concierge, store: Store, openai_server: Any
) -> None:
    concierge.save_config("acme", {"openai": {"api_key": "sk-mem-0123456789",
                                              "base_url": openai_server.base_url}})  # fmt: skip
    concierge.interact("acme", "told", "Our accountant is Ana Lima from Contas Certas.")
    concierge.interact("acme", "told", "Our accountant is now Rui Sousa from Contabilidade Lima.")
    concierge.interact("acme", "told", "I prefer supplier meetings on Tuesday mornings.")
    asked = concierge.interact("acme", "asked", "Who is our accountant?")
    answered = [r for r in _responses(openai_server) if "Who is our accountant?" in str(r.get("input"))]
    instructions = answered[-1]["instructions"]
    assert "Our accountant is now Rui Sousa from Contabilidade Lima." in instructions
    assert "Ana Lima" not in instructions  # superseded: out of recall
    # Within a session, the earlier turns go as the conversation.
    concierge.interact("acme", "told", "And the van is parked behind the shop.")
    last = [r for r in _responses(openai_server) if "van is parked" in str(r.get("input"))][-1]
    assert "I prefer supplier meetings on Tuesday mornings." in last["instructions"]  # short memory
    trace = store.events.trace("acme", asked.owner_command.correlation_id)
    [recalled] = [e for e in trace if e["name"] == "owner.memory.recalled"]
    assert any("Rui Sousa" in f for f in recalled["payload"]["facts"])
    assert recalled["payload"]["embedding_model"].startswith("openai:")
    assert recalled["payload"]["tokens"] <= 2000
