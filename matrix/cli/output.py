"""What commands print: a result as JSON or as text for people, aligned tables, and the error
boundary that turns every error into one line on stderr and an exit code.

Exit codes: 0 ok; 1 a failure, an unknown tenant or id, or a business refusal (its reason code in
the message); 2 only a usage or configuration error. Each error carries its code
(:attr:`matrix.errors.MatrixError.exit_code`); this boundary is the one place it becomes the exit
status. Errors are one line, never a traceback (set ``MATRIX_DEBUG=1`` to see one for an
unexpected error). Numbers are printed the same way everywhere: :func:`usd`, :func:`money`,
:func:`percent` and :func:`plural`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import click

from matrix.config import Settings, mask_secrets
from matrix.errors import MatrixError


def emit(result: Any, as_json: bool, human: Callable[[Any], str]) -> None:
    """Print a command's result as JSON or as text for people."""
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    else:
        click.echo(human(result))


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as an aligned text table."""
    if not rows:
        return "(none)"
    cells = [{c: "" if r.get(c) is None else str(r.get(c)) for c in columns} for r in rows]
    widths = {c: max(len(c), *(len(cell[c]) for cell in cells)) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    lines += ["  ".join(cell[c].ljust(widths[c]) for c in columns) for cell in cells]
    return "\n".join(line.rstrip() for line in lines)


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 row``, ``2 rows``: a count with its noun in the right number (``many`` when the plural
    is not the noun plus an s)."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def usd(value: float | Decimal | None) -> str:
    """US dollars with their cents (``$12.34``, ``$0.50``, ``$0.00``); under a dollar with fractions
    of a cent, four decimals, since one AI call costs that little (``$0.0212``). None, an unknown
    cost, is ``unpriced``."""
    if value is None:
        return "unpriced"
    amount = float(value)
    sign = "-" if amount < 0 else ""
    digits = 4 if 0 < abs(amount) < 1 and round(amount, 2) != amount else 2
    return f"{sign}${abs(amount):,.{digits}f}"


def money(amount: object, currency: str) -> str:
    """An amount in its currency, with cents: ``BRL 100.50``."""
    return f"{currency} {Decimal(str(amount)):,.2f}"


def percent(ratio: float | None) -> str:
    """A ratio as a percentage with one decimal (``0.1667`` → ``16.7%``); None is ``no data``."""
    return "no data" if ratio is None else f"{ratio:.1%}"


def pretty(result: Any) -> str:
    """A nested result as indented JSON (for people who want to see all of it)."""
    return json.dumps(result, indent=2, ensure_ascii=False)


def guarded(group: click.Group, argv: Sequence[str] | None) -> int:
    """Run ``group`` on ``argv`` and turn every error into one line and an exit code."""
    try:
        group.main(
            args=list(argv) if argv is not None else None, prog_name="matrix", standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except MatrixError as exc:
        click.echo(f"error: {mask_secrets(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
    except Exception as exc:
        if _debug():
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {mask_secrets(str(exc))}"
            " (set MATRIX_DEBUG=1 to see the traceback, and please report it)",
            err=True,
        )
        return 1
    return 0


def _debug() -> bool:
    try:
        return Settings.load().debug
    except MatrixError:  # a broken setting must not hide the error being reported
        return False
