"""The reply guard: a drafted reply may not state a price, a link, a deadline or company data
that the conversation did not give.

A model asked never to invent such facts still does now and then; the guard reads the draft for
each kind of fact and looks for it in the thread (what the contact wrote and what the business
already said). A fact found only in the draft blocks it: the reason code names the kind
(``invented_price``, ``invented_link``, ``invented_deadline``, ``invented_company_data``) and the
draft is never sent. Numbers are compared by their digits, so ``R$ 150,00`` in the draft matches
``150`` in the thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONEY = re.compile(
    r"(?:r\$|us\$|\$|€|£|usd|brl|eur)\s?\d[\d.,]*"
    r"|\d[\d.,]*\s?(?:reais|real|d[oó]lares|dollars?|euros?|bucks)\b"
    r"|\d+(?:[.,]\d+)?\s?%",
    re.IGNORECASE,
)
_LINK = re.compile(
    r"https?://\S+|www\.\S+|\b[\w-]+\.(?:com|com\.br|net|org|io|app|br|shop|store|link|ly)\b(?:/\S*)?",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
    r"|\b\d{1,2}\s?(?:h|hs|horas?|hours?|dias?|days?|semanas?|weeks?|minutos?|minutes?)\b"
    r"|\bat[eé]\s+(?:amanh[aã]|hoje|segunda|ter[cç]a|quarta|quinta|sexta|s[aá]bado|domingo|o fim do dia|o final do dia|dia\s+\d{1,2})"
    r"|\b(?:by|until|before|within)\s+(?:tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the end of the day|\d+)",
    re.IGNORECASE,
)
_COMPANY = re.compile(
    r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b"  # CNPJ
    r"|\b[\w.+-]+@[\w-]+\.[\w.]+\b"  # e-mail
    r"|\+?\d[\d ()-]{7,}\d",  # a phone number
    re.IGNORECASE,
)
KINDS = (
    ("invented_price", _MONEY),
    ("invented_company_data", _COMPANY),
    ("invented_link", _LINK),
    ("invented_deadline", _DEADLINE),
)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The guard's reading of one draft: blocked (with the first kind found) or not."""

    blocked: bool
    reason_code: str | None = None
    found: tuple[str, ...] = ()
    """The facts the draft states that the thread does not give."""


def check(draft: str, thread: str) -> Verdict:
    """Whether ``draft`` states a price, link, deadline or company datum absent from ``thread``."""
    known_text = " ".join(thread.lower().split())
    known_numbers = {_digits(m) for m in re.findall(r"\d[\d.,/]*", thread)}
    for code, pattern in KINDS:
        found = tuple(
            m.group(0)
            for m in pattern.finditer(draft)
            if not _given(m.group(0), known_text, known_numbers)
        )
        if found:
            return Verdict(blocked=True, reason_code=code, found=found)
    return Verdict(blocked=False)


def _given(fact: str, known_text: str, known_numbers: set[str]) -> bool:
    digits = _digits(fact)
    if digits:
        return digits in known_numbers
    return " ".join(fact.lower().split()) in known_text


def _digits(text: str) -> str:
    """The number a text states, as its significant digits (``150,00`` and ``150`` agree)."""
    raw = re.sub(r"\D", "", re.sub(r"[.,]0{1,2}\b", "", text))
    return raw.lstrip("0") or raw
