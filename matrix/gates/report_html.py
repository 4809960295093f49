"""What a gate's HTML report says before its notebook: the verdict in its colour, every check
with its value and threshold as people read them (``95.7%``, ``1.2 s``, never
``0.9574468085106383``), and the worst offender — the failed check furthest past its threshold,
with the tenant it is about when the notebook recorded one (``<check>.tenant``).

The colours are the brand's status colours (good, bad, warn), the same as the dashboards'.
"""

from __future__ import annotations

import html
import re
from typing import Any

from matrix import brand, formats
from matrix.gates.spec import Gate
from matrix.metrics.definitions import load_catalog

VERDICT_COLOUR = {"pass": "good", "fail": "bad", "no-data": "warn"}
VERDICT_WORDS = {"pass": "pass", "fail": "fail", "no-data": "no data"}
_BODY = re.compile(r"<body[^>]*>", re.IGNORECASE)


def units(gate: Gate) -> dict[str, str]:
    """The unit of each of the gate's checks that reads a catalog metric (by its ``metric`` or its
    name); other checks have none."""
    catalog = load_catalog()
    found = {}
    for check in gate.checks:
        name = check.metric or check.name
        if name in catalog.metrics:
            found[check.name] = catalog.get(name).unit
    return found


def shown(value: Any, unit: str | None = None) -> str:
    """A recorded value or threshold as people read it: by the metric's unit when there is one;
    a whole number with separators; any other number to 3 significant digits; yes/no; text as is."""
    if value is None:
        return formats.NO_DATA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if unit:
            return formats.value(value, unit)
        if float(value).is_integer():
            return formats.count(value)
        return f"{value:,.3g}"
    return str(value)


def message(check: dict[str, Any], unit: str | None) -> str:
    """A check's outcome in words: ``95.7%, expected ≥ 99%``; ``2 ≤ 3``."""
    op = {**formats.OPERATORS, "!=": "≠"}.get(check["operator"], check["operator"])
    raw = check.get("value")
    value, threshold = shown(raw, unit), shown(check["threshold"], unit)
    if value == threshold and check["outcome"] == "fail" and isinstance(raw, float):
        value = f"{raw:,.4g} {unit or ''}".rstrip()  # 1,235 ms, not "1.2 s, expected ≤ 1.2 s"
    match check["outcome"]:
        case "pass":
            return f"{value} {op} {threshold}"
        case "no-data":
            return f"nothing to measure yet, expected {op} {threshold}"
    original = str(check.get("message") or "")
    if check.get("value") is None or "cannot be compared" in original:
        return original or f"expected {op} {threshold}"  # recorded nothing, or not comparable
    return f"{value}, expected {op} {threshold}"


def _miss(check: dict[str, Any]) -> float:
    """How far past its threshold a failed check is, relative to the threshold (0 when it is
    not a number: a failed text check ranks after every number)."""
    value, threshold = check.get("value"), check["threshold"]
    numbers = (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers)
        or not isinstance(threshold, numbers)
    ):
        return 0.0
    return abs(value - threshold) / max(abs(float(threshold)), 1e-9)


def worst_offender(gate: dict[str, Any], unit_of: dict[str, str]) -> str | None:
    """The failed check furthest past its threshold, in words, with its tenant when recorded;
    None when no check failed."""
    failed = [c for c in gate["checks"] if c["outcome"] == "fail"]
    if not failed:
        return None
    worst = max(failed, key=_miss)
    tenant = (gate.get("recorded") or {}).get(f"{worst['name']}.tenant")
    where = f" in tenant {tenant}" if tenant else ""
    return f"{worst['name']}{where}: {message(worst, unit_of.get(worst['name']))}"


def _badge(verdict: str, colours: dict[str, str], text: str | None = None) -> str:
    colour = colours[VERDICT_COLOUR.get(verdict, "warn")]
    words = html.escape(text or VERDICT_WORDS.get(verdict, verdict))
    return (f'<span class="verdict verdict-{verdict}" style="background:{colour};color:#ffffff;'
            f'padding:2px 8px;border-radius:4px;font-weight:600">{words}</span>')  # fmt: skip


def header(gate: dict[str, Any], unit_of: dict[str, str]) -> str:
    """The block that opens a gate's HTML report: title and verdict, the worst offender, and a
    table of the checks (each with its own coloured outcome)."""
    colours = dict(brand.resolve(scheme="light").colours)
    warnings = len(gate["warnings"])
    label = VERDICT_WORDS.get(gate["verdict"], gate["verdict"])
    if warnings and gate["verdict"] != "fail":
        label += f" with {warnings} warning{'s' if warnings != 1 else ''}"
    rows = "".join(
        f"<tr><td>{html.escape(c['name'])}</td><td>{_badge(c['outcome'], colours)}"
        f"{' (warning)' if c['level'] == 'warning' else ''}</td>"
        f"<td>{html.escape(message(c, unit_of.get(c['name'])))}</td></tr>"
        for c in gate["checks"]
    )
    worst = worst_offender(gate, unit_of)
    error = (gate.get("error") or {}).get("message")
    lines = [
        f'<section class="gate-verdict" style="font-family:{brand.resolve().fonts.get("body", "sans-serif")};'
        f'border:1px solid {colours["border"]};border-radius:8px;padding:12px 16px;margin:16px">',
        f"<h1>{html.escape(gate.get('title') or gate['id'])} · {_badge(gate['verdict'], colours, label)}</h1>",
        f"<p>{html.escape(gate['id'])} · {formats.duration(gate['duration_seconds'])}</p>",
    ]  # fmt: skip
    if worst:
        lines.append(
            f'<p class="worst-offender"><strong>Worst offender:</strong> {html.escape(worst)}</p>'
        )
    if error:
        lines.append(f'<p class="gate-error"><strong>Error:</strong> {html.escape(error)}</p>')
    if rows:
        lines.append("<table><thead><tr><th>check</th><th>outcome</th><th>value</th></tr></thead>"
                     f"<tbody>{rows}</tbody></table>")  # fmt: skip
    lines.append("</section>")
    return "\n".join(lines)


def decorate(page: str, block: str) -> str:
    """The notebook's HTML with ``block`` first in its body."""
    found = _BODY.search(page)
    if found is None:
        return block + page
    return page[: found.end()] + "\n" + block + page[found.end() :]
