from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matrix.clock import FrozenClock
from matrix.config import SETTINGS, Settings, mask_secrets
from matrix.errors import ConfigError


def test_explicit_beats_env_beats_default() -> None:
    env = {"MATRIX_STORAGE_URL": "duckdb:///env.duckdb", "MATRIX_LOCK_TIMEOUT": "5"}
    s = Settings.load(env, storage_url="duckdb:///arg.duckdb")
    assert s.storage_url == "duckdb:///arg.duckdb" and s.sources["storage_url"] == "argument"
    assert (
        s.lock_timeout_seconds == 5.0
        and s.sources["lock_timeout_seconds"] == "env MATRIX_LOCK_TIMEOUT"
    )
    assert Settings.load({}).storage_url == "duckdb:///var/matrix.duckdb"


def test_bad_number_names_the_variable_and_the_fix() -> None:
    with pytest.raises(
        ConfigError, match=r"MATRIX_LOCK_TIMEOUT='soon' is not a number.*MATRIX_LOCK_TIMEOUT=30"
    ):
        Settings.load({"MATRIX_LOCK_TIMEOUT": "soon"})


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigError, match="storage_ulr"):
        Settings.load({}, storage_ulr="x")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://matrix:s3cr3t@db:5432/m", "postgresql://matrix:****@db:5432/m"),
        ("postgresql://db/m?user=a&password=hunter2", "postgresql://db/m?user=a&password=****"),
        ("duckdb:///var/matrix.duckdb", "duckdb:///var/matrix.duckdb"),
    ],
)
def test_mask_secrets_hides_passwords(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown


def test_describe_masks_and_covers_every_setting() -> None:
    s = Settings.load({"MATRIX_STORAGE_URL": "postgresql://u:topsecret@h/db"})
    rows = s.describe()
    assert [r["name"] for r in rows] == [x.name for x in SETTINGS]
    assert "topsecret" not in str(rows)


def test_frozen_clock_moves_only_when_told() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    clock = FrozenClock(at)
    assert clock.now() == at
    assert clock.advance(90) == at + timedelta(seconds=90)
    with pytest.raises(ValueError, match="timezone-aware"):
        FrozenClock(datetime(2026, 1, 1))


def test_every_wrong_setting_is_named_at_once() -> None:

    with pytest.raises(ConfigError) as info:
        Settings.load({"MATRIX_LOCK_TIMEOUT": "soon", "MATRIX_DEBUG": "maybe"})
    assert "MATRIX_LOCK_TIMEOUT='soon'" in str(info.value)
    assert "MATRIX_DEBUG='maybe'" in str(info.value)


def test_the_default_model_is_named_once() -> None:
    from matrix.config import DEFAULT_MODEL

    assert Settings.load({}).openai_model == DEFAULT_MODEL
    assert Settings.load({"MATRIX_OPENAI_MODEL": "gpt-5"}).openai_model == "gpt-5"


def test_child_environment_overrides_and_removes(monkeypatch: pytest.MonkeyPatch) -> None:
    from matrix.config import child_environment, default_in_child, running_in_ci

    env = child_environment({"A": "1", "B": "2"}, B=None, C="3")
    assert env == {"A": "1", "C": "3"}
    monkeypatch.setenv("MATRIX_PROVIDER_MODE", "off")
    assert default_in_child("MATRIX_PROVIDER_MODE", "local") == "off"
    assert child_environment(MATRIX_STORAGE_URL="duckdb:///x.duckdb")["MATRIX_STORAGE_URL"] == (
        "duckdb:///x.duckdb"
    )
    assert running_in_ci({"CI": "true"}) and running_in_ci({"CI": "1"})
    assert not running_in_ci({"CI": ""}) and not running_in_ci({})
