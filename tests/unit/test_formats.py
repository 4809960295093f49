"""Numbers as people read them: one formatter for every face."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from matrix import formats


@pytest.mark.parametrize(
    ("number", "unit", "shown"),
    [
        (0.9529, "ratio", "95.3%"),
        (1, "ratio", "100%"),
        (0.0, "ratio", "0%"),
        (0.0004, "ratio", "0.04%"),
        (51.14, "ms", "51 ms"),
        (1234.0, "ms", "1.2 s"),
        (200, "s", "3 min 20 s"),
        (2.09, "hours", "2 h 5 min"),
        (76, "hours", "3 d 4 h"),
        (0.0042, "usd", "$0.0042"),
        (1234.5, "usd", "$1,234.50"),
        (-3.5, "usd", "-$3.50"),
        (12.0, "brl", "R$12.00"),
        (12345, "tokens", "12,345 tokens"),
        (7, "count", "7"),
        (None, "ratio", "no data"),
        (float("nan"), "ms", "n/a"),
        (float("inf"), "usd", "n/a"),
        (3.14159, "widgets", "3.14 widgets"),
    ],
)
def test_formats_value_by_unit(number: float | None, unit: str, shown: str) -> None:
    assert formats.value(number, unit) == shown


def test_formats_target_change_and_status() -> None:
    assert formats.target(">=", 0.99, "ratio") == "target ≥ 99%"
    assert formats.target("<=", 1200, "ms") == "target ≤ 1.2 s"
    assert formats.change(0.95, 0.93, "ratio") == "+2.0 pts"
    assert formats.change(90, 100, "ms") == "-10%"
    assert formats.change(5, None, "count") == "new"
    assert formats.change(None, 3, "count") == "no data"
    assert formats.change(0.5, 0.5, "ratio") == "no change"
    assert formats.status("breach") == "breaching" and formats.status(None) == "no data"


def test_formats_times_in_the_viewers_zone() -> None:
    moment = datetime(2026, 12, 1, 8, 16, 16, 690000, tzinfo=UTC)
    assert formats.when(moment) == "2026-12-01 08:16 UTC"
    assert formats.when(moment, "America/Sao_Paulo") == "2026-12-01 05:16 -03"
    assert formats.when(moment, "No/Such_Zone", seconds=True) == "2026-12-01 08:16:16 UTC"
    assert formats.when(moment.replace(tzinfo=None)) == "2026-12-01 08:16 UTC"
    now = datetime(2026, 12, 1, 10, 21, 17, tzinfo=UTC)
    assert formats.ago(moment, now) == "2 h 5 min ago"
    assert formats.ago(now, moment) == "in 2 h 5 min"
