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

import re
from dataclasses import dataclass
from typing import Any

from matrix.agent.context import ThreadPack
from matrix.concierge.privacy import redact
from matrix.modules.extract import language

TONES = ("consultivo", "direto", "followup")
DEFAULT_TONE = "consultivo"
MAX_DRAFT_CHARS = 320
EMOJI_GUIDE = {
    "none": "Use no emoji.",
    "light": "Use at most one emoji.",
    "moderate": "A few emoji are fine where they help.",
}
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+")


@dataclass(frozen=True, kw_only=True)
class Style:
    """How a tenant's replies are written (its WhatsApp persona, ``agent.*`` of its runtime
    config): the longest reply, emoji, a call to action, and masked personal data."""

    max_chars: int = MAX_DRAFT_CHARS
    emoji: str | None = None
    """none | light | moderate; None says nothing about emoji."""
    cta: bool | None = None
    """True: end with a next step; False: do not push one; None: say nothing."""
    redact: bool = False
    """Mask e-mails, phones and tax ids in what the model is sent (``privacy.pii_redaction``)."""

    def guide(self) -> str:
        parts = [EMOJI_GUIDE[self.emoji] if self.emoji else ""]
        if self.cta is not None:
            parts.append("End with one clear next step for the contact." if self.cta
                         else "Do not push the contact to act; answer and stop.")  # fmt: skip
        return " ".join(p for p in parts if p)

    def masked(self, text: str) -> str:
        return redact(text) if self.redact else text

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


PLAIN = Style()
"""The style of a tenant that chose none."""


def instructions(pack: ThreadPack, tone: str, persona_prompt: str, style: Style = PLAIN) -> str:
    """What the model drafts under: persona, tone and style, the hard rule, and the thread."""
    parts = [
        "You draft the next WhatsApp reply of a small business to its contact, in the contact's"
        f" language (Portuguese or English), at most {style.max_chars} characters.",
        persona_prompt.strip(),
        f"Tone: {TONE_GUIDE[tone]}.",
        style.guide(),
        HARD_RULE,
        f"Lead stage: {pack.stage or 'no lead'}. Contact's name: {pack.display_name or 'unknown'}.",
        "Conversation (oldest first):\n" + (style.masked(pack.transcript()) or "(no messages yet)"),
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


def trim(text: str, style: Style = PLAIN) -> str:
    """A draft as it may be sent: whitespace collapsed, no emoji when the tenant wants none, at
    most ``style.max_chars`` (:data:`MAX_DRAFT_CHARS` by default)."""
    if style.emoji == "none":
        text = _EMOJI.sub("", text)
    flat = " ".join(text.split())
    limit = style.max_chars
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
