"""Routing as a measured model: the labelled corpus of owner requests and its evaluation."""

from __future__ import annotations

from matrix.routing.corpus import PARTS, Case, Part, load_corpus, part_of, select
from matrix.routing.evaluate import (
    NONE,
    Harm,
    IntentScore,
    Miss,
    RoutingReport,
    evaluate,
    harm,
    rules_report,
    tenant_report,
)

__all__ = [
    "NONE",
    "PARTS",
    "Case",
    "Harm",
    "IntentScore",
    "Miss",
    "Part",
    "RoutingReport",
    "evaluate",
    "harm",
    "load_corpus",
    "part_of",
    "rules_report",
    "select",
    "tenant_report",
]
