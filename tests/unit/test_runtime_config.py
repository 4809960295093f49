"""Tenant runtime config normalisation: what an update may not carry."""

from __future__ import annotations

import pytest

from matrix.concierge.runtime_config import normalize
from matrix.errors import UsageError


def test_base_url_with_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(UsageError) as info:
        normalize({"openai": {"base_url": "https://user:hunter2@llm.example/v1"}}, None)
    assert [i.where for i in info.value.issues] == ["openai.base_url"]
    assert "hunter2" not in str(info.value)


def test_base_url_is_kept_without_its_trailing_slash() -> None:
    config, _ = normalize({"openai": {"base_url": "https://llm.example/v1/"}}, None)
    assert config["openai"]["base_url"] == "https://llm.example/v1"


def test_empty_known_section_changes_nothing() -> None:
    config, _ = normalize({"openai": {}, "integrations": {"crm_evolution": {}}}, None)
    assert config == normalize({}, None)[0]
    with pytest.raises(UsageError) as info:
        normalize({"opneai": {}}, None)
    assert [i.where for i in info.value.issues] == ["opneai"]


def test_null_rules_go_back_to_the_shipped_ones() -> None:
    own = {"version": "1", "default_decision": {"decision": "deny", "reason_code": "closed"},
           "rules": []}  # fmt: skip
    config, _ = normalize({"policy": {"execution": own}}, None)
    assert config["policy"]["execution"] == own
    config, _ = normalize({"policy": {"execution": None, "routing": None}}, config)
    assert config["policy"] == {"routing": None, "execution": None}
