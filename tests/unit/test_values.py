"""The shared value checks: finite numbers, ranges, amounts, dates, ids, JSON, UTF-8. Each
refusal names the field, quotes the value (cut to 80 characters) and gives the fix."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from matrix import values
from matrix.errors import UsageError

ID = re.compile(r"[a-z0-9-]{1,20}")


@pytest.mark.parametrize(("value", "message"), [
    (float("nan"), "x nan is not a finite number; give one like 1.5."),
    ("inf", "x 'inf' is not a finite number; give one like 1.5."),
    (10**400, "x " + repr(10**400)[:79] + "… is not a finite number; give one like 1.5."),
    ("abc", "x 'abc' is not a number; give one like 1.5."),
    (True, "x True is not a number; give one like 1.5."),
    (-1, "x must be a number from 0 to 1, got -1."),
])  # fmt: skip
def test_number_refuses_what_is_not_finite_or_in_range(value: Any, message: str) -> None:
    with pytest.raises(UsageError) as info:
        values.number(value, "x", minimum=0, maximum=1)
    assert str(info.value) == message


def test_number_and_integer_accept_their_range() -> None:
    assert values.number("0.5", "x", minimum=0, maximum=1) == 0.5
    assert values.integer(3.0, "n", minimum=1, maximum=5) == 3
    assert values.integer(" 4 ", "n", minimum=1, maximum=5) == 4


@pytest.mark.parametrize("value", [1.0e309, float("nan"), 2.5, 0, 6, "1e3", True, None, "x" * 200])
def test_integer_refuses_without_overflow(value: Any) -> None:
    with pytest.raises(UsageError) as info:
        values.integer(value, "n", minimum=1, maximum=5)
    assert str(info.value).startswith("n must be a whole number from 1 to 5, got ")
    assert len(str(info.value)) < 140


def test_amount_fits_decimal_14_2() -> None:
    assert values.amount("350") == Decimal("350.00")
    for bad in ("1e309", "1e20", "NaN", "0", "-1", "1.001", "Infinity"):
        with pytest.raises(UsageError):
            values.amount(bad)


def test_instant_keeps_to_1970_through_2199() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert values.instant(at, "--since") is at
    with pytest.raises(UsageError) as info:
        values.instant(datetime(1, 1, 1, tzinfo=UTC), "--since", "0001-01-01")
    assert str(info.value) == ("--since '0001-01-01' is out of range; give a date from 1970 to"
                               " 2199, like 2026-11-01.")  # fmt: skip


@pytest.mark.parametrize("value", ["acme\n", "ac\x00me", "acme\u2028", " acme", "acme ", "ACME", 7])
def test_identifier_is_taken_as_typed_or_refused(value: Any) -> None:
    with pytest.raises(UsageError):
        values.identifier(value, "tenant_id", pattern=ID, rule="use a-z, 0-9 and -")
    assert values.identifier("acme-01", "tenant_id", pattern=ID, rule="") == "acme-01"


def test_label_trims_spaces_and_refuses_control_characters() -> None:
    assert values.label("  ACME Ltda ", "--name") == "ACME Ltda"
    with pytest.raises(UsageError) as info:
        values.label("ACME\r\nLtda", "--name")
    assert "U+000D" in str(info.value)


def test_json_document_limits_depth_size_and_numbers() -> None:
    assert values.json_document('{"a": [1, 2.5]}', "f") == {"a": [1, 2.5]}
    assert values.json_document("[" * 64 + "]" * 64, "f") is not None
    for text, part in [("[" * 65 + "]" * 65, "more than 64 levels deep"),
                       ("[" * 50_000 + "]" * 50_000, "more than 64 levels deep"),
                       ('{"a": NaN}', "holds NaN"), ('{"a": 1e400}', "too large to store"),
                       ('{"a": ', "is not JSON: Expecting value at line 1, column 7")]:  # fmt: skip
        with pytest.raises(UsageError) as info:
            values.json_document(text, "f")
        assert part in str(info.value)
    with pytest.raises(UsageError) as info:
        values.json_document("1" * 20, "f", max_bytes=10)
    assert str(info.value) == "f is 20 bytes; the limit is 10: split it into smaller files."


def test_utf8_refuses_binary_data() -> None:
    assert values.utf8("olá".encode(), "f") == "olá"
    with pytest.raises(UsageError) as info:
        values.utf8(b"\xff\xd8\xff", "photo.json")
    assert str(info.value) == ("photo.json is not UTF-8 text (byte 0 is 0xff); give a text file"
                               " saved as UTF-8.")  # fmt: skip


def test_a_trailing_newline_is_not_part_of_a_valid_value() -> None:
    """``^…$`` with ``re.match`` lets one trailing newline through; every validator matches the
    whole value."""
    from matrix.access import _NAME
    from matrix.modules import values as module_values

    with pytest.raises(UsageError, match=r"E\.164"):
        module_values.phone("+5511999990000\n")
    assert module_values.phone("+5511999990000") == "+5511999990000"
    assert _NAME.fullmatch("acme\n") is None
