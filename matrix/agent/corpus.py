"""The labelled conversations Persona 2's stage suggestions and handoffs are measured on.

``matrix/agent/data/conversations.jsonl`` holds one WhatsApp thread per line: ``id``, ``part``
(``dev`` or ``test``), ``language`` (``pt`` or ``en``), ``category`` (what the contact's latest
messages are about), ``current_stage`` (the lead's stage before), ``messages`` (1–6 of
``{direction: inbound|outbound, text}``), ``expected_stage`` (what a careful person would set:
the current stage or a stage the funnel allows from it), ``expected_handoff`` (null or the
reason code a person must take over for) and optional ``tags``.

The split is fixed by each thread, not chosen case by case: a case is in ``test`` when the first
eight hex digits of the SHA-256 of its current stage and messages (``stage`` then one
``direction: text`` line per message), read as a number, leave a remainder below 2 when divided
by 5 (about 40 %), else in ``dev``. Loading refuses a case moved by hand. Rules are tuned and
calibrated on ``dev``; ``test`` measures them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from matrix import corpora, paths
from matrix.agent.context import ThreadMessage
from matrix.agent.rules import HANDOFF_CODES
from matrix.errors import PolicyError, UsageError
from matrix.issues import Issues
from matrix.modules.crm.funnel import STAGES, lead_targets

CORPUS_FILE = paths.agent_corpus_file()
HOLDOUT_FILE = paths.agent_holdout_file()
LANGUAGES = ("pt", "en")
CATEGORIES = (
    "interested", "pricing", "negotiating", "closing", "disinterested", "human_requested",
    "abusive", "complaint", "off_topic", "unclear",
)  # fmt: skip
TAGS = (
    "negation",
    "near_miss",
    "typo",
    "context",
    "not_now",
    "terminal",
    "written_after_rules",
    "written_blind",
)
DIRECTIONS = ("inbound", "outbound")
MAX_MESSAGES = 6
MIN_CASES = 150
PARTS = ("dev", "test", "all", "holdout")


class Part(StrEnum):
    """Which part of the corpus a case belongs to."""

    DEV = "dev"
    TEST = "test"
    HOLDOUT = "holdout"


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """One labelled thread."""

    case_id: str
    part: Part
    language: str
    category: str
    current_stage: str
    messages: tuple[ThreadMessage, ...]
    expected_stage: str
    expected_handoff: str | None
    tags: tuple[str, ...] = ()

    @property
    def latest_text(self) -> str:
        """The contact's last message (for reports)."""
        inbound = [m.text for m in self.messages if m.direction == "inbound"]
        return inbound[-1] if inbound else ""


def part_of(current_stage: str, messages: Sequence[ThreadMessage]) -> Part:
    """The part the split rule puts a thread in (see the module docstring)."""
    key = "\n".join([current_stage, *(f"{m.direction}: {m.text}" for m in messages)])
    return Part.TEST if corpora.in_test(key) else Part.DEV


def load_corpus(
    path: Path | None = None, *, require_coverage: bool | None = None, holdout: bool = False
) -> tuple[Conversation, ...]:
    """Every case of the shipped corpus (or of ``path``), validated all at once.

    Args:
        path: a corpus file; the shipped one by default.
        require_coverage: also require at least :data:`MIN_CASES` cases, both languages, and
            every category in both parts (the default for the shipped corpus only).
        holdout: read the held-out file (:data:`HOLDOUT_FILE` unless ``path``): every case's
            part is ``holdout``, and no threshold of coverage applies.

    Raises:
        PolicyError: listing every problem, each with the line and the field.
    """
    coverage = (path is None and not holdout) if require_coverage is None else require_coverage
    path = path or (HOLDOUT_FILE if holdout else CORPUS_FILE)
    issues = Issues(prefix=path.name)
    cases: list[Conversation] = []
    ids: set[str] = set()
    threads: set[tuple[str, tuple[ThreadMessage, ...]]] = set()
    for where, raw in corpora.json_lines(path, issues):
        case = _case(raw, where, issues, holdout)
        if case is None:
            continue
        if case.case_id in ids:
            issues.error(f"{where}.id", f"duplicate id {case.case_id!r}")
        thread = (case.current_stage, case.messages)
        if thread in threads:
            issues.error(
                f"{where}.messages", "the same thread from the same stage is already in the corpus"
            )
        ids.add(case.case_id)
        threads.add(thread)
        cases.append(case)
    if not cases:
        issues.error("(file)", "has no cases")
    if coverage and cases:
        _coverage(cases, issues)
    issues.raise_for_errors(PolicyError)
    return tuple(cases)


def _coverage(cases: Sequence[Conversation], issues: Issues) -> None:
    if len(cases) < MIN_CASES:
        issues.error("(file)", f"has {len(cases)} cases; the corpus needs at least {MIN_CASES}")
    for language in LANGUAGES:
        if not any(c.language == language for c in cases):
            issues.error("(file)", f"has no case in language {language!r}")
    for part in (Part.DEV, Part.TEST):
        present = {c.category for c in cases if c.part is part}
        for category in CATEGORIES:
            if category not in present:
                issues.error("(file)", f"the {part.value} part has no {category!r} case")


def _case(raw: Any, where: str, issues: Issues, holdout: bool = False) -> Conversation | None:
    if not isinstance(raw, dict):
        issues.error(where, "must be a JSON object")
        return None
    count = len(issues)
    if not isinstance(raw.get("id"), str) or not raw["id"].strip():
        issues.error(f"{where}.id", "is required (a non-empty string)")
    for name, allowed in (("language", LANGUAGES), ("category", CATEGORIES),
                          ("current_stage", STAGES), ("expected_stage", STAGES)):  # fmt: skip
        if raw.get(name) not in allowed:
            issues.error(f"{where}.{name}", f"{raw.get(name)!r} is not one of {list(allowed)}")
    handoff = raw.get("expected_handoff")
    if handoff is not None and handoff not in HANDOFF_CODES:
        issues.error(
            f"{where}.expected_handoff", f"{handoff!r} is not null or one of {list(HANDOFF_CODES)}"
        )
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        issues.error(f"{where}.tags", f"{tags!r} must be a list of {list(TAGS)}")
    messages = _messages(raw.get("messages"), f"{where}.messages", issues)
    extra = set(raw) - {"id", "part", "language", "category", "current_stage", "messages",
                        "expected_stage", "expected_handoff", "tags"}  # fmt: skip
    if extra:
        issues.error(where, f"unknown field(s) {sorted(extra)}")
    if len(issues) > count:
        return None
    current, expected = raw["current_stage"], raw["expected_stage"]
    if expected != current and expected not in lead_targets(current):
        issues.error(
            f"{where}.expected_stage", f"{expected!r} cannot follow {current!r} in the funnel; use"
            f" {current!r} (stay) or one of {list(lead_targets(current))}",
        )  # fmt: skip
        return None
    part = Part.HOLDOUT if holdout else part_of(current, messages)
    if raw.get("part") != part.value:
        issues.error(
            f"{where}.part", f"{raw.get('part')!r} breaks the fixed split: this thread belongs to"
            f" {part.value!r} (the part follows from the thread's hash)",
        )  # fmt: skip
        return None
    return Conversation(case_id=raw["id"], part=part, language=raw["language"],
                        category=raw["category"], current_stage=current, messages=messages,
                        expected_stage=expected, expected_handoff=handoff, tags=tuple(tags))  # fmt: skip


def _messages(raw: Any, where: str, issues: Issues) -> tuple[ThreadMessage, ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_MESSAGES:
        issues.error(where, f"must be a list of 1 to {MAX_MESSAGES} messages")
        return ()
    found = []
    for i, message in enumerate(raw):
        if not isinstance(message, dict) or message.get("direction") not in DIRECTIONS:
            issues.error(f"{where}[{i}].direction", f"must be one of {list(DIRECTIONS)}")
            continue
        if not isinstance(message.get("text"), str) or not message["text"].strip():
            issues.error(f"{where}[{i}].text", "is required (a non-empty string)")
            continue
        found.append(ThreadMessage(direction=message["direction"], text=message["text"]))
    if found and not any(m.direction == "inbound" for m in found):
        issues.error(where, "has no inbound message: nothing of the contact's to label")
    return tuple(found)


def select(cases: Iterable[Conversation], part: str) -> tuple[Conversation, ...]:
    """The cases of one part (``dev``, ``test``, ``holdout``) or of ``all`` (the corpus's).

    Raises:
        UsageError: ``part`` is none of those.
    """
    if part not in PARTS:
        raise UsageError(f"Unknown corpus part {part!r}; use one of {list(PARTS)}.")
    return tuple(c for c in cases if (part == "all" and c.part != Part.HOLDOUT) or c.part == part)
