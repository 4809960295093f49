"""What memory keeps of the owner's words: statements, their salience, tags and subject, the
promotion rules, and an extractive episode summary — all read from ``data/rules.json``.

Every user sentence with at least ``min_terms`` search terms is kept (greetings and thanks are
not): a request or a question matters little (it is what the owner asked, on that day), a fact,
a preference, a change or a plan matters more. A sentence's *subject* ("accountant", "horario de
sabado") is what a later statement about the same thing replaces: ``our accountant is now Rui``
supersedes ``our accountant is Ana``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix import paths
from matrix.errors import PolicyError
from matrix.memory import text as mtext

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


@dataclass(frozen=True, kw_only=True)
class Cue:
    id: str
    salience: float
    tags: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, kw_only=True)
class Rules:
    version: str
    min_terms: int
    skip: tuple[re.Pattern[str], ...]
    cues: tuple[Cue, ...]
    request_salience: float
    question: re.Pattern[str]
    asks: tuple[re.Pattern[str], ...]
    """A question that asks for something to be done ("can you…"): kept, as a request."""
    subjects: tuple[re.Pattern[str], ...]
    subject_stop: frozenset[str]
    promotion_mode: str
    promotion: tuple[dict[str, Any], ...]
    episode_highlight: float
    """An episode's highlight with at least this salience is promoted."""
    merge_cosine: float
    merge_jaccard: float
    query_types: tuple[tuple[tuple[re.Pattern[str], ...], QueryShape], ...] = ()
    """Question shapes and what each favours (a "how do I like…" question, preferences)."""
    related: tuple[frozenset[str], ...] = ()
    """Rings of words for one thing ("accountant", "books", "tax"), as search terms."""


@dataclass(frozen=True, kw_only=True)
class Statement:
    """One sentence worth remembering."""

    content: str
    salience: float
    tags: tuple[str, ...]
    cues: tuple[str, ...]
    subject_key: str | None


PROMOTION_MODES = ("policy-gated", "manual-review")


@dataclass(frozen=True, kw_only=True)
class QueryShape:
    """What a question's shape favours: entries with these tags, the latest statements (it asks
    how things stand now), the earliest (it asks how things began)."""

    tags: frozenset[str] = frozenset()
    recent: bool = False
    original: bool = False

    def __or__(self, other: QueryShape) -> QueryShape:
        return QueryShape(tags=self.tags | other.tags, recent=self.recent or other.recent,
                          original=self.original or other.original)  # fmt: skip


def _compile(pattern: object, where: str, problems: list[str]) -> re.Pattern[str] | None:
    if not isinstance(pattern, str):
        problems.append(f"{where}: a pattern must be a string")
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        problems.append(f"{where}: invalid regular expression ({exc})")
        return None


def load(path: Path | None = None) -> Rules:
    """Read and check the rules file; every problem is named with its field."""
    path = path or paths.memory_rules_file()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise PolicyError([f"{path.name}: cannot be read as JSON ({exc})"]) from None
    problems: list[str] = []

    def patterns(items: object, where: str) -> tuple[re.Pattern[str], ...]:
        if not isinstance(items, list):
            problems.append(f"{where}: must be a list of patterns")
            return ()
        found = [_compile(p, f"{where}[{i}]", problems) for i, p in enumerate(items)]
        return tuple(p for p in found if p is not None)

    def number(value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(f"{where}: must be a number from 0 to 1")
            return 0.0
        return float(value)

    cues = []
    for i, cue in enumerate(raw.get("cues") or []):
        where = f"cues[{i}]"
        if not isinstance(cue, dict) or not isinstance(cue.get("id"), str):
            problems.append(f"{where}: needs an id")
            continue
        cues.append(Cue(id=cue["id"], salience=number(cue.get("salience"), f"{where}.salience"),
                        tags=tuple(cue.get("tags") or ()),
                        patterns=patterns(cue.get("patterns"), f"{where}.patterns")))  # fmt: skip
    promotion = raw.get("promotion") or {}
    mode = promotion.get("default_mode", "policy-gated")
    if mode not in PROMOTION_MODES:
        problems.append(f"promotion.default_mode: use one of {', '.join(PROMOTION_MODES)}")
    rules = tuple(promotion.get("rules") or ())
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict) or not ({"min_salience", "min_mentions"} & set(rule)):
            problems.append(f"promotion.rules[{i}]: needs min_salience or min_mentions")
    question = _compile(raw.get("question", r"\?\s*$"), "question", problems)
    merge = raw.get("merge") or {}
    loaded = Rules(
        version=str(raw.get("version", "")), min_terms=int(raw.get("min_terms", 2)),
        skip=patterns(raw.get("skip", []), "skip"), cues=tuple(cues),
        request_salience=number(raw.get("request_salience", 0.35), "request_salience"),
        question=question or re.compile(r"\?\s*$"), asks=patterns(raw.get("asks", []), "asks"),
        subjects=patterns(raw.get("subjects", []), "subjects"),
        subject_stop=frozenset(raw.get("subject_stop") or ()),
        promotion_mode=mode, promotion=rules,
        episode_highlight=number(promotion.get("episode_highlight_min_salience", 0.5),
                                 "promotion.episode_highlight_min_salience"),
        merge_cosine=number(merge.get("cosine", 0.96), "merge.cosine"),
        merge_jaccard=number(merge.get("jaccard", 0.85), "merge.jaccard"),
    )  # fmt: skip
    kinds = []
    for i, kind in enumerate(raw.get("query_types") or []):
        where = f"query_types[{i}]"
        if not isinstance(kind, dict) or not isinstance(kind.get("boost_tags"), list):
            problems.append(f"{where}: needs patterns and boost_tags")
            continue
        shape = QueryShape(tags=frozenset(kind["boost_tags"]), recent=bool(kind.get("favour_recent")),
                           original=bool(kind.get("favour_original")))  # fmt: skip
        kinds.append((patterns(kind.get("patterns"), f"{where}.patterns"), shape))
    rings = []
    for i, ring in enumerate(raw.get("related") or []):
        words = ring.get("words") if isinstance(ring, dict) else None
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            problems.append(f"related[{i}].words: must be a list of words")
            continue
        rings.append(frozenset(t for w in words for t in mtext.terms(w)))
    if problems:
        raise PolicyError([f"{path.name}: {p}" for p in problems])
    return dataclasses.replace(loaded, query_types=tuple(kinds), related=tuple(rings))


@functools.cache
def rules() -> Rules:
    """The shipped rules, read once."""
    return load()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def statements(text: str, given: Rules | None = None) -> list[Statement]:
    """The sentences of one owner turn worth keeping, each with its salience and subject."""
    r = given or rules()
    out = []
    for sentence in sentences(text):
        folded = mtext.fold(sentence)
        if any(p.search(folded) for p in r.skip) or len(set(mtext.terms(sentence))) < r.min_terms:
            continue
        # A question states nothing, whatever words it uses ("who is our accountant?"): its turn
        # stays in the session, but long memory keeps it only when it asks for something done.
        question = bool(r.question.search(folded))
        if question and not any(p.search(folded) for p in r.asks):
            continue
        matched = [] if question else [
            c for c in r.cues if any(p.search(folded) for p in c.patterns)]  # fmt: skip
        if matched:
            salience = max(c.salience for c in matched)
            tags = tuple(dict.fromkeys(t for c in matched for t in c.tags))
        else:
            salience, tags = r.request_salience, ("request",)
        # Only a statement has a subject a later one replaces ("remind me who the accountant is"
        # is a request, and replaces nothing).
        out.append(Statement(content=sentence, salience=salience, tags=tags,
                             cues=tuple(c.id for c in matched),
                             subject_key=subject(folded, r) if matched else None))  # fmt: skip
    return out


def query_shape(query: str, given: Rules | None = None) -> QueryShape:
    """What the question's shape favours (every query type it matches, together)."""
    r, folded = given or rules(), mtext.fold(query)
    found = QueryShape()
    for kinds, shape in r.query_types:
        if any(p.search(folded) for p in kinds):
            found = found | shape
    return found


def related_terms(terms: Sequence[str], given: Rules | None = None) -> list[str]:
    """The other words of every ring one of ``terms`` is in, as search terms (not ``terms``
    themselves), in a stable order."""
    r, asked = given or rules(), set(terms)
    found = {t for ring in r.related if ring & asked for t in ring} - asked
    return sorted(found)


def subject(folded: str, given: Rules | None = None) -> str | None:
    """What the sentence states something about, as a key (stems of its words), or None."""
    r = given or rules()
    for pattern in r.subjects:
        found = pattern.search(folded)
        if found:
            words = [w for w in found.group("subject").split() if w not in ("de", "do", "da")]
            if words and not set(words) & r.subject_stop:
                return " ".join(mtext.terms(" ".join(words))) or None
    return None


def promotion_rule(
    salience: float, mentions: int, mode: str, given: Rules | None = None
) -> str | None:
    """The first promotion rule a candidate meets, all its conditions at once (its id), or None;
    nothing in manual-review."""
    r = given or rules()
    if mode != "policy-gated":
        return None
    for rule in r.promotion:
        if salience >= rule.get("min_salience", 0) and mentions >= rule.get("min_mentions", 1):
            return str(rule["id"])
    return None


def jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def summarise(turns: Sequence[tuple[int, str, str]], limit: int = 3) -> tuple[str, list[str]]:
    """An extractive summary of an episode: its most salient owner statements (at most
    ``limit``, in the order said, requests and questions only when nothing else was said), and
    those statements."""
    ranked, seen = [], set()
    for order, (_, role, content) in enumerate(turns):
        if role != "user":
            continue
        for found in statements(content):
            if mtext.content_hash(found.content) not in seen:  # a statement said twice, once
                seen.add(mtext.content_hash(found.content))
                ranked.append((-found.salience, order, found.content))
    chosen = [c[2] for c in sorted(sorted(ranked)[:limit], key=lambda item: item[1])]
    text = " ".join(c if c.endswith((".", "!", "?")) else c + "." for c in chosen)
    return text[:600], chosen
