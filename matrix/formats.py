"""Numbers and times as people read them, in one place for every face (dashboards, notebooks,
gate reports, the CLI): money with its currency and cents, ratios as percentages, durations in
human units, counts with separators, times in the viewer's time zone.

    value(0.9529, "ratio")   -> "95.3%"
    value(51.14, "ms")       -> "51 ms"
    value(0.0042, "usd")     -> "$0.0042"
    value(1234.5, "usd")     -> "$1,234.50"
    duration(200)            -> "3 min 20 s"
    target(">=", 0.99, "ratio") -> "target ≥ 99%"
    when(datetime(...), "America/Sao_Paulo") -> "2026-12-01 05:16 -03"

A value that is None reads "no data"; NaN and infinities read "n/a", never "nan".
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NO_DATA = "no data"
CURRENCY_SYMBOLS = {"usd": "$", "brl": "R$", "eur": "€", "gbp": "£"}
# Units whose values are a time, with how many seconds one unit is.
TIME_UNITS = {"ms": 0.001, "s": 1.0, "seconds": 1.0, "minutes": 60.0, "hours": 3600.0,
              "days": 86400.0}  # fmt: skip
OPERATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
STATUS_WORDS = {"ok": "on target", "breach": "breaching", None: NO_DATA}


def _bad(number: float | None) -> str | None:
    if number is None:
        return NO_DATA
    if isinstance(number, float) and not math.isfinite(number):
        return "n/a"
    return None


def money(amount: float | None, currency: str = "usd") -> str:
    """``$1,234.50``; below a cent, enough digits to see it (``$0.0042``), never ``$0.00``."""
    if (bad := _bad(amount)) is not None:
        return bad
    assert amount is not None
    code = currency.lower()
    symbol = CURRENCY_SYMBOLS.get(code, "")
    sign = "-" if amount < 0 else ""
    size = abs(amount)
    text = f"{size:,.2f}" if size >= 0.01 or size == 0 else f"{size:.2g}"
    suffix = "" if symbol else f" {code.upper()}"
    return f"{sign}{symbol}{text}{suffix}"


def percent(ratio: float | None, digits: int = 1) -> str:
    """A ratio as a percentage: ``95.3%``, ``100%``, ``0%``; a small non-zero value keeps a
    significant digit (``0.04%``)."""
    if (bad := _bad(ratio)) is not None:
        return bad
    assert ratio is not None
    share = ratio * 100
    if share in (0, 100) or share == round(share):
        return f"{share:.0f}%"
    if abs(share) < 10**-digits:
        return f"{share:.1g}%"
    return f"{share:.{digits}f}%"


def duration(seconds: float | None) -> str:
    """A duration in the two largest units that matter: ``51 ms``, ``1.2 s``, ``3 min 20 s``,
    ``2 h 5 min``, ``3 d 4 h``."""
    if (bad := _bad(seconds)) is not None:
        return bad
    assert seconds is not None
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    if s < 1:
        return f"{sign}{s * 1000:.0f} ms"
    if s < 60:
        return f"{sign}{s:.1f} s" if s < 10 else f"{sign}{s:.0f} s"
    parts = [(86400, "d"), (3600, "h"), (60, "min"), (1, "s")]
    whole = round(s)
    for index, (size, name) in enumerate(parts):
        if whole >= size:
            first, rest = divmod(whole, size)
            next_size, next_name = parts[index + 1]
            second = rest // next_size
            return f"{sign}{first} {name}" + (f" {second} {next_name}" if second else "")
    return f"{sign}{whole} s"  # pragma: no cover - the loop always returns for s >= 60


def count(number: float | None, unit: str = "") -> str:
    """``1,234`` (and the unit, pluralised by the caller's choice of word)."""
    if (bad := _bad(number)) is not None:
        return bad
    assert number is not None
    text = f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"
    return f"{text} {unit}".rstrip()


def value(number: float | None, unit: str) -> str:
    """A metric's value by its unit: ratio → percent, usd/brl… → money, time units → a
    duration, count/tokens → a count, anything else three significant digits and the unit."""
    key = unit.lower()
    if key in ("ratio", "%"):
        return percent(number)
    if key in CURRENCY_SYMBOLS:
        return money(number, key)
    if key in TIME_UNITS:
        return duration(None if number is None else number * TIME_UNITS[key])
    if key in ("count", "tokens", "tasks", "calls", "pending", "rows", "messages"):
        return count(number, "" if key == "count" else key)
    if (bad := _bad(number)) is not None:
        return bad
    return f"{number:,.3g} {unit}".rstrip()


def target(op: str, threshold: float, unit: str) -> str:
    """``target ≥ 99%``, ``target ≤ 1.2 s``."""
    return f"target {OPERATORS.get(op, op)} {value(threshold, unit)}"


def change(current: float | None, previous: float | None, unit: str) -> str:
    """The change against the previous window: points for ratios (``+1.2 pts``), otherwise a
    relative change (``-12%``); ``new`` when there was nothing before, ``no data`` when there is
    nothing now."""
    if current is None or previous is None:
        return NO_DATA if current is None else "new"
    if unit.lower() == "ratio":
        points = (current - previous) * 100
        return f"{points:+.1f} pts" if abs(points) >= 0.05 else "no change"
    if previous == 0:
        return "no change" if current == 0 else "new"
    relative = (current - previous) / abs(previous)
    return f"{relative:+.0%}" if abs(relative) >= 0.005 else "no change"


def status(word: str | None) -> str:
    """``ok`` → ``on target``, ``breach`` → ``breaching``, None → ``no data``."""
    return STATUS_WORDS.get(word, word or NO_DATA)


def zone(name: str | None) -> ZoneInfo:
    """The viewer's time zone by its IANA name; UTC when none is given or the name is unknown
    (a browser can send anything)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def when(moment: datetime | None, tz: str | None = None, *, seconds: bool = False) -> str:
    """A time in the viewer's zone, to the minute (or second): ``2026-12-01 05:16 -03``; a naive
    time is taken as UTC."""
    if moment is None:
        return NO_DATA
    aware = moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))
    local = aware.astimezone(zone(tz))
    label = local.tzname() or "UTC"
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {label}"


def ago(moment: datetime, now: datetime) -> str:
    """How long before ``now``: ``5 min ago``; in the future: ``in 2 h 5 min``."""
    delta: timedelta = now - moment
    seconds = delta.total_seconds()
    if abs(seconds) < 60:
        return "just now"
    text = duration(abs(seconds))
    return f"{text} ago" if seconds > 0 else f"in {text}"
