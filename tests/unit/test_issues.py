"""The one issue collector every validator reports through."""

from __future__ import annotations

from typing import Any

import pytest

from matrix.access import add_user
from matrix.concierge.requests import check_input
from matrix.concierge.runtime_config import normalize
from matrix.errors import ConfigError, InvalidValueError, PolicyError, UsageError
from matrix.issues import Issue, Issues, Level


def test_issues_collect_every_problem_and_raise_once_for_errors() -> None:
    issues = Issues(prefix="gates.json")
    issues.warning("gates[0]", "has no title")
    issues.raise_for_errors(ConfigError)  # warnings alone never raise
    issues.error("gates[1].id", "'g1' must look like g01_contract_checks")
    issues.error("gates[2]", "checks nothing")
    assert [i.level for i in issues] == [Level.WARNING, Level.ERROR, Level.ERROR]
    assert str(issues.errors[0]) == (
        "error: gates.json: gates[1].id: 'g1' must look like g01_contract_checks"
    )
    with pytest.raises(PolicyError) as info:
        issues.raise_for_errors(PolicyError)
    assert info.value.issues == [
        "gates.json: gates[1].id: 'g1' must look like g01_contract_checks",
        "gates.json: gates[2]: checks nothing",
    ]


def test_an_issue_in_a_json_document_names_its_pointer() -> None:
    issue = Issue(level=Level.ERROR, where="examples/x.json", message="bad", pointer="/amount")
    assert str(issue) == "error: examples/x.json at /amount: bad"
    assert issue.as_dict()["level"] == "error"


def test_a_bad_value_is_a_matrix_error_and_a_value_error() -> None:
    from datetime import datetime

    from matrix.clock import FrozenClock

    with pytest.raises(InvalidValueError) as info:
        FrozenClock(datetime(2026, 11, 2))
    assert isinstance(info.value, UsageError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("check", "fields"),
    [
        (lambda: normalize({"brand": {"palette": "neon"}, "openai": {"modle": "x"}}, None),
         {"brand.palette", "openai.modle"}),
        (lambda: check_input("", "", "dance", "telegram", (), None),
         {"session_id", "operation", "channel"}),
        (lambda: add_user(None, "X", "short", role="boss"), {"username", "role", "password"}),
    ],
    ids=["runtime-config", "interaction", "dashboard-user"],
)  # fmt: skip
def test_validators_name_every_bad_field_at_once(check: Any, fields: set[str]) -> None:
    """Every validator collects all its issues, and the error carries each field it names."""
    with pytest.raises(UsageError) as info:
        check()
    assert {i.where for i in info.value.issues} == fields
    for issue in info.value.issues:
        assert issue.message in str(info.value)
