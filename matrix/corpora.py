"""What the labelled corpora share (the owner requests routing is scored on, the conversations
Persona 2's rules are scored on): the split into a ``dev`` and a ``test`` part, fixed by a hash
of each case so that no case is placed by hand, and reading a corpus file of JSON lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matrix.issues import Issues

TEST_SHARE = (2, 5)
"""A case is in ``test`` when the first eight hex digits of its key's SHA-256, read as a number,
leave a remainder below 2 when divided by 5 (about 40 %)."""


def in_test(key: str) -> bool:
    """Whether the split puts the case whose key is ``key`` in the ``test`` part."""
    below, modulo = TEST_SHARE
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % modulo < below


def json_lines(path: Path, issues: Issues) -> Iterator[tuple[str, Any]]:
    """Each non-empty line's place (``line N``) and parsed JSON; a line that is not JSON is an
    issue, and reading goes on."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                yield f"line {number}", json.loads(line)
            except json.JSONDecodeError as exc:
                issues.error(f"line {number}", f"not JSON ({exc.msg})")
