"""Personal data masked out of what goes to an AI provider, for a tenant whose policy asks for it
(``privacy.pii_redaction``, a tenant pack's ``privacy.pii_redaction`` rule).

E-mail addresses, Brazilian tax ids (CPF, CNPJ) and phone numbers are replaced by a marker that
says what stood there, so the model still knows a phone number was given without reading it. The
store keeps the owner's and the contacts' words as they were: only the provider's copy is masked.
"""

from __future__ import annotations

import re

_PATTERNS = (
    ("[e-mail]", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    (
        "[tax id]",
        re.compile(r"\b\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}\b|\b\d{3}\.\d{3}\.\d{3}-\d{2}\b"),
    ),
    (
        "[phone]",
        re.compile(
            r"(?<![\w/+])(?:\+\d{1,3}[\s.-]?)?\(?\d{2,3}\)?[\s.-]?\d{4,5}[\s.-]?\d{4}(?![\w/])"
        ),
    ),
)


def redact(text: str) -> str:
    """``text`` with every e-mail address, tax id and phone number replaced by its marker."""
    for marker, pattern in _PATTERNS:
        text = pattern.sub(marker, text)
    return text
