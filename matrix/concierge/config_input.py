"""A tenant runtime-config update from what a person types: ``FIELD=VALUE`` assignments, a JSON
document, and a key read apart from both (so that it stays out of shell history)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matrix import values
from matrix.concierge.runtime_config import set_path
from matrix.errors import UsageError


def config_update(
    *,
    assignments: Iterable[str] = (),
    document: str | None = None,
    openai_key: str | None = None,
) -> dict[str, Any]:
    """The nested update the assignments, the JSON ``document`` and the OpenAI key make.

    Assignments are applied over the document, and the key over both. A value is read as a
    boolean, null, a number or JSON when it looks like one, else kept as text, so
    ``--set execution.confirmations_enabled=false`` sets a boolean.

    Raises:
        UsageError: the document is not a JSON object, an assignment is not ``FIELD=VALUE``, or
            nothing is given.
    """
    update: dict[str, Any] = {}
    if document is not None:
        loaded = values.json_document(document, "--file")
        if not isinstance(loaded, dict):
            raise UsageError("--file must hold a JSON object.")
        update = loaded
    for item in assignments:
        field, sep, raw = item.partition("=")
        if not sep or not field.strip():
            raise UsageError(
                f"--set {item!r} must look like FIELD=VALUE, e.g. openai.model=gpt-5-mini."
            )
        set_path(update, field.strip().split("."), parse_value(raw))
    if openai_key is not None:
        set_path(update, ["openai", "api_key"], openai_key)
    if not update:
        raise UsageError("Nothing to change: give --set FIELD=VALUE, --file or --openai-key-stdin.")
    return update


def parse_value(raw: str) -> Any:
    """``raw`` as a boolean, null, a number or JSON when it looks like one, else as text.

    A number too large to hold (``1.0e309``) stays a float infinity, for the field's check to
    refuse by name; ``nan`` and ``inf`` written as words stay text.
    """
    text = raw.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if text[:1] in ("[", "{"):
        try:
            return values.json_document(text, "--set value")
        except UsageError:
            return raw
    try:
        return int(text)
    except ValueError:
        pass
    if any(c.isdigit() for c in text) and not any(c.isalpha() and c not in "eE" for c in text):
        try:
            return float(text)
        except ValueError:
            pass
    return raw
