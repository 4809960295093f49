"""One problem found by a validator, and the collector every validator fills.

Validation collects every issue with its level before failing, so a user fixes a file in one go
instead of one error per run. The contract catalog, the metric catalog, the gate specs, the
policy rules and the tenant runtime config all report through :class:`Issues`.

    issues = Issues(prefix="gates.json")
    issues.error("gates[0].id", "'g1' must look like g01_contract_checks")
    issues.raise_for_errors(lambda messages: ConfigError("; ".join(messages)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """How bad an issue is: an error fails the validation, a warning is reported only."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, kw_only=True)
class Issue:
    """One problem: its level, where it is (a file, a metric, a field path) and what is wrong.

    ``pointer`` is the JSON pointer inside ``where`` when the problem is in a JSON document.
    """

    level: Level
    where: str
    message: str
    pointer: str = ""

    def __str__(self) -> str:
        place = f"{self.where} at {self.pointer}" if self.pointer else self.where
        return f"{self.level}: {place}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"level": str(self.level), "where": self.where, "pointer": self.pointer,
                "message": self.message}  # fmt: skip


@dataclass
class Issues:
    """The collector: add every issue found, then read them or raise once for the errors.

    ``prefix`` (a file name) is put before each ``where``, as in ``policy.json: rules[0]``.
    """

    prefix: str = ""
    items: list[Issue] = field(default_factory=list)
    kind: type[Issue] = Issue

    def add(self, level: Level | str, where: str, message: str, *, pointer: str = "") -> Issue:
        place = f"{self.prefix}: {where}" if self.prefix else where
        issue = self.kind(level=Level(level), where=place, message=message, pointer=pointer)
        self.items.append(issue)
        return issue

    def error(self, where: str, message: str, *, pointer: str = "") -> Issue:
        return self.add(Level.ERROR, where, message, pointer=pointer)

    def warning(self, where: str, message: str, *, pointer: str = "") -> Issue:
        return self.add(Level.WARNING, where, message, pointer=pointer)

    def extend(self, other: Issues | list[Issue]) -> None:
        self.items.extend(other.items if isinstance(other, Issues) else other)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.level is Level.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if i.level is Level.WARNING]

    def messages(self, level: Level | None = Level.ERROR) -> list[str]:
        """``where: message`` of each issue of ``level`` (every issue for None)."""
        return [f"{i.where}: {i.message}" for i in self.items if level is None or i.level is level]

    def raise_for_errors(self, error: Callable[[list[str]], Exception]) -> None:
        """Raise ``error(messages)`` when any error was collected (warnings never raise)."""
        if self.errors:
            raise error(self.messages())

    def raise_invalid(self, what: str, *, then: str = "") -> None:
        """When any error was collected, raise one :class:`UsageError` that lists every error's
        message after ``what`` ("Invalid runtime config") and carries the issues, so that a
        boundary can point at each field; ``then`` is a sentence to add ("Nothing was stored.")."""
        from matrix.errors import UsageError

        if self.errors:
            listed = "; ".join(i.message for i in self.errors)
            raise UsageError(f"{what}{': ' if what else ''}{listed}.{' ' + then if then else ''}",
                             issues=self.errors)  # fmt: skip

    def __iter__(self) -> Iterator[Issue]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)
