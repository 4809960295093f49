"""Drafted replies: the instructions a model drafts under, and the offline draft.

The model is told who it speaks for (the tenant's WhatsApp persona prompt), the tone, the thread
and one hard rule: never state a price, a link, a deadline or company data the thread does not
give (the reply guard, :mod:`matrix.agent.guard`, checks it anyway). It answers through structured
output: the reply and a one-sentence reasoning summary.

Offline (no model for the tenant, or the model failed in a mode that falls back) the draft is a
deterministic text per tone and language, greeting the contact by first name. It states no
facts, so the guard never blocks it.
"""

from __future__ import annotations

from typing import Any

from matrix.agent.context import ThreadPack
from matrix.modules.extract import language

TONES = ("consultivo", "direto", "followup")
DEFAULT_TONE = "consultivo"
MAX_DRAFT_CHARS = 320

HARD_RULE = (
    "Never state a price, a discount, a link, a deadline or a date, or company data (tax id,"
    " address, e-mail, phone) unless the conversation below already gives it; when the contact"
    " asks for one, say a person from the team will confirm it."
)
TONE_GUIDE = {
    "consultivo": "consultative: understand the need, ask one helpful question",
    "direto": "direct: short and to the point, one clear next step",
    "followup": "follow-up: pick the conversation up again politely",
}

DRAFT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reply": {"type": "string", "description": "the WhatsApp reply, at most 320 characters"},
        "reasoning_summary": {"type": "string", "description": "one sentence: why this reply"},
    },
    "required": ["reply", "reasoning_summary"],
    "additionalProperties": False,
}

_OFFLINE = {
    "pt": {
        "consultivo": "Olá{name}! Obrigado pela mensagem. Para te ajudar melhor, pode me contar um pouco mais do que você precisa?",
        "direto": "Olá{name}! Recebemos sua mensagem. Qual é o próximo passo que você gostaria de dar?",
        "followup": "Olá{name}! Passando para saber se ficou alguma dúvida. Posso te ajudar em algo?",
        "continuity": "Olá{name}! Seguimos à disposição. Quando quiser, é só responder por aqui.",
    },
    "en": {
        "consultivo": "Hi{name}! Thanks for your message. To help you best, could you tell me a bit more about what you need?",
        "direto": "Hi{name}! We got your message. What would you like to do next?",
        "followup": "Hi{name}! Just checking whether any question is left. Can I help with anything?",
        "continuity": "Hi{name}! We are here whenever you need. Just reply to this message.",
    },
}  # fmt: skip


def instructions(pack: ThreadPack, tone: str, persona_prompt: str) -> str:
    """What the model drafts under: persona, tone, the hard rule, and the thread."""
    parts = [
        "You draft the next WhatsApp reply of a small business to its contact, in the contact's"
        " language (Portuguese or English), at most 320 characters.",
        persona_prompt.strip(),
        f"Tone: {TONE_GUIDE[tone]}.",
        HARD_RULE,
        f"Lead stage: {pack.stage or 'no lead'}. Contact's name: {pack.display_name or 'unknown'}.",
        "Conversation (oldest first):\n" + (pack.transcript() or "(no messages yet)"),
    ]
    return "\n\n".join(p for p in parts if p)


def offline(pack: ThreadPack, tone: str) -> tuple[str, str]:
    """The offline draft and its reasoning summary."""
    lang = language(pack.latest_inbound or pack.latest_outbound or "")
    texts = _OFFLINE["en" if lang == "en" else "pt"]
    first = pack.display_name.split()[0] if pack.display_name.strip() else ""
    name = f", {first}" if first and not first.lower().startswith("lead") else ""
    if not pack.latest_inbound:
        return texts["continuity"].format(
            name=name
        ), "No message from the contact yet: a continuity text."
    return texts[tone].format(
        name=name
    ), f"An offline {tone} draft: it states no price, link or deadline."


def trim(text: str) -> str:
    """A draft as it may be sent: whitespace collapsed, at most :data:`MAX_DRAFT_CHARS`."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_DRAFT_CHARS else flat[: MAX_DRAFT_CHARS - 3].rstrip() + "..."
