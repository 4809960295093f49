"""Checked values for every door: the command line, the API, files and a tenant's runtime config.

Each check takes what came in and the name of the field it came in as, and returns the value in
its one accepted form, or raises :class:`~matrix.errors.UsageError` with a sentence that names
the field, quotes the value (at most :data:`SHOWN_CHARS` characters of it) and gives the fix:

    number(value, "--fee", minimum=0)            finite only: NaN and infinities are refused
    integer(value, "execution.max_pending_confirmations", minimum=1, maximum=500)
    amount(value, "--amount")                    money within DECIMAL(14, 2)
    instant(at, "--since", text)                 a time from 1970 to 2199
    identifier(value, "tenant_id", pattern=...)  no control characters, no surrounding spaces
    label(value, "--name")                       free text on one line, spaces trimmed
    utf8(data, "deep.json")                      bytes that must be UTF-8 text
    json_document(text, "--file")                JSON within a depth and a size, finite numbers

A check never clamps or falls back to a default: a value out of range is refused, so an invalid
value can never reset a stored one.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from matrix.errors import UsageError

SHOWN_CHARS = 80
"""The most of a refused value a message quotes."""
MAX_AMOUNT = Decimal(10) ** 12
"""Amounts are stored as DECIMAL(14, 2): below 10^12, in cents."""
EARLIEST_YEAR, LATEST_YEAR = 1970, 2200
"""The years a time window may reach (the end is exclusive)."""
MAX_JSON_DEPTH = 64
MAX_JSON_BYTES = 1024 * 1024


def shown(value: object) -> str:
    """``value`` quoted as Python would, cut to :data:`SHOWN_CHARS` characters."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def number(
    value: Any, field: str, *, minimum: float | None = None, maximum: float | None = None,
    example: str = "1.5",
) -> float:  # fmt: skip
    """A finite number within ``[minimum, maximum]``.

    Raises:
        UsageError: not a number, not finite (NaN, inf, 1e309), or out of range.
    """
    found: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        found = float(value) if isinstance(value, float) or abs(value) < 2**1023 else math.inf
    elif isinstance(value, str | Decimal):
        try:
            found = float(value)
        except (ValueError, OverflowError):
            found = None
    if found is None:
        raise UsageError(f"{field} {shown(value)} is not a number; give one like {example}.")
    if not math.isfinite(found):
        raise UsageError(f"{field} {shown(value)} is not a finite number; give one like {example}.")
    if (minimum is not None and found < minimum) or (maximum is not None and found > maximum):
        raise UsageError(f"{field} must be {_range(minimum, maximum)}, got {shown(value)}.")
    return found


def integer(value: Any, field: str, *, minimum: int, maximum: int) -> int:
    """A whole number from ``minimum`` to ``maximum`` (``3`` or ``3.0``, not ``3.5``).

    Raises:
        UsageError: not a whole number, not finite, or out of range; the message gives the range.
    """
    wanted = f"a whole number from {minimum} to {maximum}"
    if isinstance(value, str):
        text = value.strip()
        value = int(text) if re.fullmatch(r"[+-]?[0-9]{1,30}", text) else value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{field} must be {wanted}, got {shown(value)}.")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise UsageError(f"{field} must be {wanted}, got {shown(value)}.")
    whole = int(value)
    if not minimum <= whole <= maximum:
        raise UsageError(f"{field} must be {wanted}, got {shown(value)}.")
    return whole


def amount(value: Any, field: str = "amount", *, positive: bool = True) -> Decimal:
    """Money as stored, DECIMAL(14, 2): finite, above 0 (or at least 0), below 10^12, in cents.

    Raises:
        UsageError: not a number, not finite, out of range or with more than two decimals.
    """
    try:
        found = Decimal(str(value)) if not isinstance(value, bool) else None
    except (InvalidOperation, ValueError):
        found = None
    if found is None:
        raise UsageError(f"{field} {shown(value)} is not a number; give it like 350.00.")
    if not found.is_finite():
        raise UsageError(f"{field} {shown(value)} is not a finite amount; give it like 350.00.")
    if found < 0 or (positive and found == 0):
        raise UsageError(
            f"{field} must be {'greater than' if positive else 'at least'} 0, got {shown(value)}."
        )
    if found >= MAX_AMOUNT:
        raise UsageError(
            f"{field} {shown(value)} is too large; the most a record holds is"
            f" {MAX_AMOUNT - Decimal('0.01')}."
        )
    if found.as_tuple().exponent < -2:  # type: ignore[operator]
        raise UsageError(
            f"{field} {shown(value)} has more than two decimal places; round it to cents."
        )
    return found.quantize(Decimal("0.01"))


def instant(at: datetime | date, field: str, given: object = None) -> datetime | date:
    """``at`` when it falls from 1970 up to (not including) 2200, else a refusal quoting
    ``given`` (what was typed; ``at`` itself when not given)."""
    year = at.astimezone(UTC).year if isinstance(at, datetime) and at.tzinfo else at.year
    if not EARLIEST_YEAR <= year < LATEST_YEAR:
        raise UsageError(
            f"{field} {shown(at if given is None else given)} is out of range; give a date from"
            f" {EARLIEST_YEAR} to {LATEST_YEAR - 1}, like 2026-11-01."
        )
    return at


def identifier(value: Any, field: str, *, pattern: re.Pattern[str], rule: str) -> str:
    """An id as given (never altered): no control characters, no surrounding spaces, and the
    whole of it matching ``pattern``; ``rule`` says in words what ``pattern`` allows.

    Raises:
        UsageError: which of the three is wrong, and the fix.
    """
    if not isinstance(value, str):
        raise UsageError(f"{field} must be text, got {shown(value)}; {rule}.")
    _no_controls(value, field)
    if value != value.strip():
        raise UsageError(
            f"{field} {shown(value)} starts or ends with spaces; remove them ({rule})."
        )
    if not pattern.fullmatch(value):
        raise UsageError(f"{field} {shown(value)} is not valid: {rule}.")
    return value


def one_line(value: str, field: str) -> str:
    """``value`` as given, refused when it holds a control character (a key, a session id).

    Raises:
        UsageError: naming the field and the character.
    """
    _no_controls(value, field)
    return value


def label(value: Any, field: str, *, max_length: int = 200) -> str:
    """Free text on one line (a display name): surrounding spaces trimmed, no control
    characters, at most ``max_length`` characters.

    Raises:
        UsageError: not text, empty, too long, or with a control character.
    """
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{field} must be some text, got {shown(value)}.")
    _no_controls(value, field)
    text = value.strip()
    if len(text) > max_length:
        raise UsageError(
            f"{field} is {len(text)} characters; the limit is {max_length}: shorten it."
        )
    return text


def utf8(data: bytes, field: str) -> str:
    """``data`` as text; a UTF-8 byte order mark is dropped.

    Raises:
        UsageError: the bytes are not UTF-8 (a binary file, or another encoding).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{field} is not UTF-8 text (byte {exc.start} is {data[exc.start]:#04x}); give a"
            " text file saved as UTF-8."
        ) from None


def json_document(
    text: str, field: str, *, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> Any:
    """The JSON value in ``text``: at most ``max_bytes`` long, ``max_depth`` levels deep, its
    numbers finite (``NaN``, ``Infinity`` and ``1e400`` are refused).

    Raises:
        UsageError: not JSON (where), too large, too deep, or a number that is not finite.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise UsageError(
            f"{field} is {size:,} bytes; the limit is {max_bytes:,}: split it into smaller files."
        )
    try:
        return json_value(text, field, max_depth=max_depth)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{field} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None


def json_value(text: str, field: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """:func:`json_document` without the size limit, for a reader that tries other forms of
    the text when it is not one JSON value (one object per line).

    Raises:
        json.JSONDecodeError: not JSON, as ``json.loads`` says it.
        UsageError: too deep, or a number that is not finite.
    """
    try:
        doc = json.loads(text, parse_constant=_not_finite(field), parse_float=_finite(field))
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _too_deep(field, max_depth) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise UsageError(f"{field} holds a number too long to read ({exc}).") from None
    if depth(doc, stop_after=max_depth) > max_depth:
        raise _too_deep(field, max_depth)
    return doc


def depth(doc: Any, *, stop_after: int | None = None) -> int:
    """How many objects and arrays deep ``doc`` goes (a scalar is 0, ``{}`` is 1), counted
    without recursion; once past ``stop_after`` it returns early."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        )
        if children is None:
            continue
        deepest = max(deepest, level)
        if stop_after is not None and deepest > stop_after:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _too_deep(field: str, max_depth: int) -> UsageError:
    return UsageError(
        f"{field} nests objects and arrays more than {max_depth} levels deep; flatten it."
    )


def _not_finite(field: str) -> Any:
    def refuse(constant: str) -> float:
        raise UsageError(f"{field} holds {constant}, which is not a JSON number; give a finite"
                         " number, or null.")  # fmt: skip

    return refuse


def _finite(field: str) -> Any:
    def read(text: str) -> float:
        found = float(text)
        if not math.isfinite(found):
            raise UsageError(f"{field} holds the number {shown(text)}, too large to store; give a"
                             " finite number.")  # fmt: skip
        return found

    return read


def _no_controls(value: str, field: str) -> None:
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            raise UsageError(
                f"{field} {shown(value)} contains the control character U+{ord(char):04X};"
                " remove it (ids and names are one line of plain text)."
            )


def _range(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"a number from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f"a number of {minimum:g} or more"
    return f"a number of {maximum:g} or less"
