"""The labelled routing corpus: owner requests and the task each should become (package data).

``matrix/routing/data/corpus.jsonl`` holds one case per line: ``id``, ``part`` (``dev`` or
``test``), ``language`` (``pt`` or ``en``), ``task_type`` (a task type of the
``module.task.create`` contract, or ``null`` for a message that must create no task: a greeting,
small talk, a question, something no task does) and ``text``, with optional ``tags``
(``near_miss``, ``small_talk``, ``question``, ``typo``).

The split is fixed by the text itself, not chosen case by case: a case belongs to ``test`` when
the first eight hex digits of the SHA-256 of its UTF-8 text, read as a number, leave a remainder
below 2 when divided by 5 (about 40 %), else to ``dev``. Loading checks every case against that
rule, so a case cannot be moved from one part to the other by hand. Rules are tuned on ``dev``;
``test`` measures them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from matrix import corpora, paths
from matrix.errors import PolicyError, UsageError
from matrix.issues import Issues
from matrix.policy.rules import TASK_TYPES

LANGUAGES = ("pt", "en")
TAGS = ("near_miss", "small_talk", "question", "typo")


class Part(StrEnum):
    """Which part of the corpus a case belongs to."""

    DEV = "dev"
    TEST = "test"


PARTS = ("dev", "test", "all")


@dataclass(frozen=True, kw_only=True)
class Case:
    """One labelled owner request; ``task_type`` None means no task."""

    case_id: str
    part: Part
    language: str
    task_type: str | None
    text: str
    tags: tuple[str, ...] = ()


def part_of(text: str) -> Part:
    """The part the split rule puts ``text`` in (see the module docstring)."""
    return Part.TEST if corpora.in_test(text) else Part.DEV


def load_corpus(path: Path | None = None) -> tuple[Case, ...]:
    """Every case of the shipped corpus (or of ``path``), validated all at once.

    Raises:
        PolicyError: listing every problem, each with the line and the field.
    """
    path = path or paths.routing_corpus_file()
    issues = Issues(prefix=path.name)
    cases: list[Case] = []
    ids: set[str] = set()
    texts: set[str] = set()
    for where, raw in corpora.json_lines(path, issues):
        case = _case(raw, where, issues)
        if case is None:
            continue
        if case.case_id in ids:
            issues.error(f"{where}.id", f"duplicate id {case.case_id!r}")
        if case.text in texts:
            issues.error(f"{where}.text", f"duplicate text {case.text!r}")
        ids.add(case.case_id)
        texts.add(case.text)
        cases.append(case)
    if not cases:
        issues.error("(file)", "has no cases")
    issues.raise_for_errors(PolicyError)
    return tuple(cases)


def _case(raw: Any, where: str, issues: Issues) -> Case | None:
    if not isinstance(raw, dict):
        issues.error(where, "must be a JSON object")
        return None
    count = len(issues)
    for field in ("id", "text"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            issues.error(f"{where}.{field}", "is required (a non-empty string)")
    if raw.get("language") not in LANGUAGES:
        issues.error(
            f"{where}.language", f"{raw.get('language')!r} is not one of {list(LANGUAGES)}"
        )
    task_type = raw.get("task_type")
    if task_type is not None and task_type not in TASK_TYPES:
        issues.error(
            f"{where}.task_type", f"{task_type!r} is not a task type; use one of {list(TASK_TYPES)}"
            " or null for no task",
        )  # fmt: skip
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or any(t not in TAGS for t in tags):
        issues.error(f"{where}.tags", f"{tags!r} must be a list of {list(TAGS)}")
    extra = set(raw) - {"id", "part", "language", "task_type", "text", "tags"}
    if extra:
        issues.error(where, f"unknown field(s) {sorted(extra)}")
    if len(issues) > count:
        return None
    expected = part_of(raw["text"])
    if raw.get("part") != expected.value:
        issues.error(
            f"{where}.part", f"{raw.get('part')!r} breaks the fixed split: this text belongs to"
            f" {expected.value!r} (the part follows from the text's hash)",
        )  # fmt: skip
        return None
    return Case(case_id=raw["id"], part=expected, language=raw["language"], task_type=task_type,
                text=raw["text"], tags=tuple(tags))  # fmt: skip


def select(cases: Iterable[Case], part: str) -> tuple[Case, ...]:
    """The cases of one part (``dev``, ``test``) or of ``all``.

    Raises:
        UsageError: ``part`` is none of those.
    """
    if part not in PARTS:
        raise UsageError(f"Unknown corpus part {part!r}; use one of {list(PARTS)}.")
    return tuple(c for c in cases if part == "all" or c.part == part)
