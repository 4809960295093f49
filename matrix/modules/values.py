"""Shared value checks for module records: phones, money, names. Each error names the field."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from matrix.errors import UsageError

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# ISO 4217 codes the product handles; an unknown code is refused rather than guessed.
CURRENCIES = frozenset(
    {
        "BRL",
        "USD",
        "EUR",
        "GBP",
        "ARS",
        "CLP",
        "COP",
        "MXN",
        "PEN",
        "UYU",
        "PYG",
        "CAD",
        "JPY",
        "CHF",
        "AUD",
    }
)


def phone(value: Any, field: str = "phone_e164") -> str:
    if not isinstance(value, str) or not E164.match(value):
        raise UsageError(
            f"{field} {value!r} is not an E.164 phone number; write it like +5511999990000."
        )
    return value


def amount(value: Any, field: str = "amount", *, positive: bool = True) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise UsageError(f"{field} {value!r} is not a number; give it like 350.00.") from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        raise UsageError(
            f"{field} must be {'greater than' if positive else 'at least'} 0, got {value!r}."
        )
    if number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise UsageError(f"{field} {value!r} has more than two decimal places.")
    return number.quantize(Decimal("0.01"))


def currency(value: Any, field: str = "currency") -> str:
    code = value.upper() if isinstance(value, str) else value
    if code not in CURRENCIES:
        raise UsageError(
            f"{field} {value!r} is not a supported ISO 4217 code (e.g. BRL, USD, EUR)."
        )
    return str(code)


def name(value: Any, field: str = "display_name") -> str:
    if not isinstance(value, str) or len(value.strip()) < 2:
        raise UsageError(f"{field} must have at least 2 characters, got {value!r}.")
    return " ".join(value.split())
