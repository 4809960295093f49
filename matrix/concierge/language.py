"""Which language an owner writes in (Portuguese or English), for replies and notices.

The detection lives with the other readings of an owner's text (``matrix.modules.extract``), where
the module handlers use it too.
"""

from __future__ import annotations

from matrix.modules.extract import language

__all__ = ["language"]
