"""What an import did: rows read, added, skipped, and the reason for each skip."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(kw_only=True)
class ImportReport:
    source: str
    read: int = 0
    added: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped += count
        self.reasons[reason] = self.reasons.get(reason, 0) + count

    def stored(self, added: int, offered: int) -> None:
        """Count what the store took of ``offered`` rows; the rest were already imported."""
        self.added = added
        if offered - added:
            self.skip("already imported", offered - added)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "read": self.read, "added": self.added, "skipped": self.skipped,
                "skipped_because": self.reasons}  # fmt: skip
