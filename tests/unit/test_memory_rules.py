"""The memory rules file: a ring of related words widens a question's search, and a malformed
one is refused with its field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix import paths
from matrix.errors import PolicyError
from matrix.memory import extract


def test_a_ring_adds_its_other_words_as_search_terms_never_the_asked_ones() -> None:
    assert {"accountant", "tax"} <= set(extract.related_terms(["book"]))
    assert "book" not in extract.related_terms(["book"])
    assert extract.related_terms(["van"]) == []
    # A word with two senses is in no ring: "charge" a customer is not "in charge".
    assert extract.related_terms(["charge"]) == []


def test_a_malformed_ring_is_refused_with_its_field_named(tmp_path: Path) -> None:
    raw = json.loads(paths.memory_rules_file().read_text(encoding="utf-8"))
    raw["related"] = [{"id": "ok", "words": ["a"]}, {"id": "bad", "words": "accountant books"}]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"related\[1\]\.words: must be a list of words"):
        extract.load(path)
