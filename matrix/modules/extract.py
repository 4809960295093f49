"""Reading what an owner asked for from free text: when, how much, which phone, whose name, and
in which language.

Deterministic and conservative: what cannot be read is None, and the handler that needs it
fails with a clear reason rather than guessing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from matrix.policy.rules import normalize, words

WEEKDAYS = {
    "segunda": 0, "terca": 1, "quarta": 2, "quinta": 3, "sexta": 4, "sabado": 5, "domingo": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_PORTUGUESE = {
    "oi", "ola", "bom", "dia", "tarde", "noite", "obrigado", "obrigada", "por", "favor", "voce",
    "agendar", "cobrar", "cliente", "reuniao", "fatura", "com", "para", "uma", "um", "nao", "sim",
    "tudo", "bem", "que", "da", "do", "de", "na", "no", "e", "o", "a", "campanha", "dar", "baixa",
}  # fmt: skip
_TIME = re.compile(r"\b(\d{1,2})(?:[:h](\d{2}))?\s*(h|am|pm)?\b")
_PHONE = re.compile(r"(\+?\d[\d\s().-]{7,18}\d)")
_AMOUNT = re.compile(
    r"(?:r\$|us\$|\$|brl|usd|eur|€)?\s*(\d{1,3}(?:[.\s]\d{3})*(?:,\d{1,2})|\d+(?:[.,]\d{1,2})?)"
)


def when(text: str, now: datetime, tz: str = "America/Sao_Paulo") -> datetime | None:
    """The date and time named in the text ("sexta às 10h", "tomorrow at 3pm"), in ``tz``."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    tokens = words(text)
    day = None
    if any(t in ("hoje", "today") for t in tokens):
        day = local.date()
    elif any(t in ("amanha", "tomorrow") for t in tokens):
        day = local.date() + timedelta(days=1)
    else:
        for token in tokens:
            if token in WEEKDAYS:
                ahead = (WEEKDAYS[token] - local.weekday()) % 7 or 7
                day = local.date() + timedelta(days=ahead)
                break
    hour, minute = None, 0
    for match in _TIME.finditer(normalize(text)):
        h, m, suffix = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if suffix is None and match.group(2) is None:
            continue  # a bare number ("ana 2") is not a time
        if suffix == "pm" and h < 12:
            h += 12
        if 0 <= h <= 23 and 0 <= m <= 59:
            hour, minute = h, m
            break
    if day is None and hour is None:
        return None
    if day is None:
        day = (
            local.date()
            if (hour, minute) > (local.hour, local.minute)
            else local.date() + timedelta(days=1)
        )
    return datetime(
        day.year, day.month, day.day, hour if hour is not None else 9, minute, tzinfo=zone
    )


def phone(text: str, default_country: str = "55") -> str | None:
    """An E.164 number in the text; local Brazilian numbers get +55."""
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(1))
        if match.group(1).startswith("+"):
            candidate = "+" + digits
        elif len(digits) in (10, 11):
            candidate = "+" + default_country + digits
        else:
            candidate = "+" + digits
        if 9 <= len(candidate) <= 16:
            return candidate
    return None


def money(text: str) -> Decimal | None:
    """The first amount in the text: "R$ 1.200,50", "300 reais", "$49.90"."""
    cleaned = normalize(text)
    for match in _AMOUNT.finditer(cleaned):
        raw = match.group(1).replace(" ", "")
        if "," in raw:
            raw = raw.replace(".", "").replace(",", ".")
        try:
            value = Decimal(raw)
        except ArithmeticError:
            continue
        if value > 0:
            return value
    return None


_NAME_AFTER = re.compile(
    r"(?:cliente|customer|lead|contato|contact|client)[:,]?\s+(?:novo\s+|nova\s+|new\s+)?"
    r"([A-ZÀ-Ý][\wÀ-ÿ'-]+(?:\s+(?:da|de|do|dos|das|[A-ZÀ-Ý][\wÀ-ÿ'-]+))*)"
)


def person(text: str) -> str | None:
    """A capitalised name after "cliente", "customer", "lead" or "contato" ("Cadastrar cliente Maria Souza")."""
    match = _NAME_AFTER.search(text)
    if not match:
        match = re.search(
            r"(?:lead|cliente|customer)[^A-ZÀ-Ý]{0,20}([A-ZÀ-Ý][\wÀ-ÿ'-]+(?:\s+[A-ZÀ-Ý][\wÀ-ÿ'-]+)*)",
            text,
        )
    if not match:
        return None
    name = match.group(1).strip(" ,.")
    return name if len(name) >= 2 else None


def language(text: str) -> str:
    """ "pt" when the message looks Portuguese, else "en"."""
    tokens = words(text)
    hits = sum(1 for t in tokens if t in _PORTUGUESE)
    return (
        "pt"
        if (tokens and hits / len(tokens) >= 0.2) or any(c in text for c in "ãõçáéíóúâê")
        else "en"
    )
