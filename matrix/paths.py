"""Where the project's files are: the one place that turns a concept into a path.

The contracts, the shipped notebooks, the policy data, the metric catalog and the migrations are
package data: an installed wheel carries them inside ``matrix/``. In a checkout,
``matrix/data/contracts`` and ``matrix/data/notebooks`` are links to the top-level ``contracts/``
and ``notebooks/`` folders, so the files a user edits are the files the package reads.

The checkout's own files (``CHANGELOG.md``, ``.git``) exist only in a checkout:
:func:`project_root` is the checkout when the package runs from one, else the current folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DATA = PACKAGE / "data"


def contracts_dir() -> Path:
    """The JSON Schemas every command, event and verdict is checked against."""
    return DATA / "contracts"


def notebooks_dir() -> Path:
    """The shipped notebooks: ``explore/`` for engineers and ``gates/`` for CI."""
    return DATA / "notebooks"


def gates_file() -> Path:
    """The shipped gate specs (``gates.json`` beside the gate notebooks)."""
    return notebooks_dir() / "gates" / "gates.json"


def policy_dir() -> Path:
    """The routing rules and the execution policy (JSON)."""
    return PACKAGE / "policy" / "data"


def routing_corpus_file() -> Path:
    """The labelled owner requests routing is measured on (JSON lines)."""
    return PACKAGE / "routing" / "data" / "corpus.jsonl"


def agent_rules_file() -> Path:
    """Persona 2's offline qualification and handoff rules (JSON)."""
    return PACKAGE / "agent" / "data" / "rules.json"


def agent_corpus_file() -> Path:
    """The labelled conversations Persona 2's rules are measured on (JSON lines)."""
    return PACKAGE / "agent" / "data" / "conversations.jsonl"


def agent_holdout_file() -> Path:
    """Labelled conversations kept out of every tuning: written without sight of the rules and
    measured once per rules version (JSON lines, part ``holdout``)."""
    return PACKAGE / "agent" / "data" / "holdout.jsonl"


def memory_rules_file() -> Path:
    """What memory keeps of the owner's words, promotion and merge rules (JSON)."""
    return PACKAGE / "memory" / "data" / "rules.json"


def memory_eval_file() -> Path:
    """The labelled multi-session histories memory's recall is measured on (JSON lines)."""
    return PACKAGE / "memory" / "data" / "eval.jsonl"


def metric_catalog_file() -> Path:
    """The metric catalog (metrics as data)."""
    return PACKAGE / "metrics" / "catalog.json"


def dora_benchmarks_file() -> Path:
    """The DORA report clusters the delivery metrics are placed in."""
    return PACKAGE / "metrics" / "dora_benchmarks.json"


def migrations_dir() -> Path:
    """The versioned SQL migrations of the operational store."""
    return PACKAGE / "storage" / "migrations"


def checkout_root() -> Path | None:
    """The source checkout the package runs from (None for an installed wheel)."""
    root = PACKAGE.parent
    return root if (root / "pyproject.toml").is_file() and (root / "matrix").is_dir() else None


def project_root() -> Path:
    """The project a release is cut from: the checkout, else the current folder."""
    return checkout_root() or Path.cwd()
