"""Shared value checks for module records: phones, e-mails, money, names, times. Each error names the
field."""

from __future__ import annotations

import re
import zoneinfo
from contextlib import suppress
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from matrix.errors import UsageError
from matrix.values import amount

__all__ = ["amount", "currency", "day", "email", "moment", "name", "phone", "timezone"]
E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
# Times and dates a business record may carry: wide enough for any booking or due date, narrow
# enough that a day or an hour either side never leaves what Python and the stores can hold.
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 1, 1)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
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
    if not isinstance(value, str) or not E164.fullmatch(value):
        raise UsageError(
            f"{field} {value!r} is not an E.164 phone number; write it like +5511999990000."
        )
    return value


# One @, a dot in the domain, no spaces (the contracts' pattern): not RFC 5322 in full.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def email(value: Any, field: str = "email") -> str:
    """An e-mail address, trimmed; refused with the field named and an example."""
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or len(text) > 254 or not EMAIL.fullmatch(text):
        raise UsageError(
            f"{field} {value!r} is not an e-mail address; write it like ana@example.com."
        )
    return text


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


def moment(value: Any, field: str) -> datetime:
    """An RFC 3339 time with an offset (``2026-12-01T10:00:00-03:00``), as an aware UTC datetime."""
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"{field} {value!r} is not a time; write it like 2026-12-01T10:00:00-03:00."
            ) from None
    if at.tzinfo is None:
        raise UsageError(f"{field} {value!r} has no UTC offset; add one, like -03:00 or Z.")
    if not EARLIEST <= at.date() < LATEST:
        raise UsageError(
            f"{field} {value!r} is out of range; give a year from {EARLIEST.year} to {LATEST.year - 1}."
        )
    return at.astimezone(UTC)


def day(value: Any, field: str) -> date:
    """A calendar date (``2026-12-01``)."""
    found = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str) and DATE.fullmatch(value):
        with suppress(ValueError):
            found = date.fromisoformat(value)
    if found is None:
        raise UsageError(f"{field} {value!r} is not a date; write it like 2026-12-01.")
    if not EARLIEST <= found < LATEST:
        raise UsageError(
            f"{field} {value!r} is out of range; give a year from {EARLIEST.year} to {LATEST.year - 1}."
        )
    return found


def timezone(value: Any, field: str = "timezone") -> str:
    """An IANA time zone name (``America/Sao_Paulo``)."""
    if not isinstance(value, str) or value not in _zones():
        raise UsageError(
            f"{field} {value!r} is not a time zone; use an IANA name like America/Sao_Paulo."
        )
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
