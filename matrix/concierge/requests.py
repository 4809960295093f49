"""The interaction request's payload checks: every problem found at once, each naming its field."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from matrix.issues import Issues


class Operation(StrEnum):
    SEND_MESSAGE = "send_message"
    TOGGLE_CONTINUOUS_MODE = "toggle_continuous_mode"
    AVATAR_CONFIG_UPSERT = "avatar_config_upsert"


class Channel(StrEnum):
    UI_CHAT = "ui-chat"
    UI_AVATAR = "ui-avatar"


class AttachmentType(StrEnum):
    AUDIO = "audio"
    IMAGE = "image"
    FILE = "file"


OPERATIONS = tuple(o.value for o in Operation)
CHANNELS = tuple(c.value for c in Channel)
ATTACHMENT_TYPES = tuple(a.value for a in AttachmentType)
PERSONA_FIELDS = frozenset({"owner_concierge_prompt", "whatsapp_agent_prompt"})
MAX_SESSION_ID = 200
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 10
MAX_BASE64 = 8_000_000
MAX_EXCERPT = 20_000


def check_input(
    session_id: str, text: str, operation: str, channel: str,
    attachments: tuple[dict[str, Any], ...], overrides: dict[str, str] | None,
) -> dict[str, str] | None:  # fmt: skip
    """Check an interaction's payload all at once; returns the cleaned persona overrides.

    Raises:
        UsageError: every problem found, each naming its field; nothing is stored.
    """
    issues = Issues()
    if (
        not isinstance(session_id, str)
        or not session_id.strip()
        or len(session_id) > MAX_SESSION_ID
    ):
        issues.error(
            "session_id", f"session_id must be a non-empty id (at most {MAX_SESSION_ID} characters)"
        )
    if operation not in OPERATIONS:
        issues.error("operation", f"operation must be one of {list(OPERATIONS)}, got {operation!r}")
    if channel not in CHANNELS:
        issues.error("channel", f"channel must be one of {list(CHANNELS)}, got {channel!r}")
    if operation == Operation.SEND_MESSAGE:
        if not isinstance(text, str) or not text.strip():
            issues.error("payload.text", "payload.text must not be empty for send_message")
        elif len(text) > MAX_TEXT:
            issues.error(
                "payload.text",
                f"payload.text is {len(text):,} characters; the limit is {MAX_TEXT:,}",
            )
    if len(attachments) > MAX_ATTACHMENTS:
        issues.error(
            "payload.attachments",
            f"payload.attachments has {len(attachments)} items; the limit is {MAX_ATTACHMENTS}",
        )
    for i, item in enumerate(attachments[:MAX_ATTACHMENTS]):
        where = f"payload.attachments[{i}]"
        if not isinstance(item, dict):
            issues.error(where, f"{where} must be an object")
            continue
        if item.get("type") not in ATTACHMENT_TYPES:
            issues.error(f"{where}.type", f"{where}.type must be one of {list(ATTACHMENT_TYPES)}")
        data = item.get("data_base64")
        if data is not None and (not isinstance(data, str) or len(data) > MAX_BASE64):
            size = len(data) if isinstance(data, str) else 0
            issues.error(
                f"{where}.data_base64",
                f"{where}.data_base64 is {size:,} characters; the limit is {MAX_BASE64:,}",
            )
        excerpt = item.get("text_excerpt")
        if excerpt is not None and (not isinstance(excerpt, str) or len(excerpt) > MAX_EXCERPT):
            issues.error(
                f"{where}.text_excerpt", f"{where}.text_excerpt is over {MAX_EXCERPT:,} characters"
            )
    cleaned: dict[str, str] | None = None
    if overrides is not None:
        if not isinstance(overrides, dict):
            issues.error("payload.persona_overrides", "payload.persona_overrides must be an object")
        else:
            unknown = set(overrides) - PERSONA_FIELDS
            if unknown:
                issues.error(
                    "payload.persona_overrides",
                    f"payload.persona_overrides has unknown field(s) {sorted(unknown)}",
                )
            cleaned = {k: v.strip() for k, v in overrides.items()
                       if k not in unknown and isinstance(v, str) and v.strip()}  # fmt: skip
            if not cleaned and not unknown:
                issues.error(
                    "payload.persona_overrides",
                    "payload.persona_overrides needs at least one non-blank prompt",
                )
    issues.raise_invalid("Invalid interaction", then="Nothing was stored.")
    return cleaned or None
