"""What a page must never show a reader, checked on its text and its figures: values with more
than four significant digits (ids, dates, times and money with its cents aside), SQL or table
names, the store's path, and charts without a title or units."""

from __future__ import annotations

import re
from typing import Any

# A decimal number standing alone (not part of an id, a date, a time or a version).
DECIMAL = re.compile(r"(?<![\w.:/#])(R\$|[$€£])?(\d[\d,]*\.\d+)(?![\w.:/-]*\d)(?!\w)")
SQL = re.compile(
    r"\bSELECT\b|\bWHERE\b|\bGROUP BY\b|\bIN \('|\bIS NOT NULL\b|"
    r"\b(?:outbound_messages|agenda_reminders|billing_charges|crm_leads|event_log|test_results|gate_runs|"
    r"model_prices)\b|\btelemetry rows\b|\btenant_id\b|duckdb:|\.duckdb\b|postgres(?:ql)?://"
)


def long_numbers(text: str) -> list[str]:
    """The numbers in ``text`` printed with more than four significant digits."""
    found = []
    for match in DECIMAL.finditer(text):
        currency, number = match.groups()
        if currency:
            continue  # money keeps its cents: "$1,234.50"
        digits = re.sub(r"\D", "", number).lstrip("0")
        if len(digits) > 4:
            found.append(match.group(0))
    return found


def leaks(text: str, hidden: tuple[str, ...] = ()) -> list[str]:
    """SQL, table names or any of ``hidden`` (the store's URL and path) found in ``text``."""
    return [m.group(0) for m in SQL.finditer(text)] + [h for h in hidden if h and h in text]


def unlabelled(figures: list[dict[str, Any]]) -> list[str]:
    """The figures (``{"id", "layout", "types"}`` as read from the page) without a title, or
    with a value axis that names no unit (a table, a sparkline and an empty chart have none)."""
    bad = []
    for figure in figures:
        layout = figure.get("layout") or {}
        title = (
            (layout.get("title") or {}).get("text")
            if isinstance(layout.get("title"), dict)
            else layout.get("title")
        )
        if not title:
            bad.append(f"{figure.get('id')}: no title")
            continue
        if "table" in figure.get("types", []) or (layout.get("meta") or {}).get("empty"):
            continue
        axes = [v for k, v in layout.items() if k.startswith("yaxis") and isinstance(v, dict)]
        shown = [a for a in axes if a.get("visible") is not False]
        if not shown:
            if "(" not in str(title):
                bad.append(f"{figure.get('id')}: no unit in the title {title!r}")
            continue
        named = any(
            (a.get("title") or {}).get("text") or a.get("ticksuffix") or a.get("tickprefix")
            for a in shown
        )
        if not named and "(" not in str(title):
            bad.append(f"{figure.get('id')}: no unit on the value axis")
    return bad
