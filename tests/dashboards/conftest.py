"""A seeded store for the dashboard tests: two simulated tenants, users, a gate run on record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from matrix.access import User, add_user
from matrix.app import build
from matrix.config import Settings
from matrix.simulate import run_simulation
from matrix.storage import Store, open_store

PASSWORD = "correct-horse-9"
SECRET = "test-secret-" + "k7Qz9vXw2Lm4Np8Rt6Yb3Hc5Jd1Fg0Se"  # 32+ bytes of varied characters
END = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder: Path = tmp_path_factory.mktemp("dashboards")
    settings = Settings.load(storage_url=f"duckdb:///{folder / 'store.duckdb'}", provider_mode="local",
                             reports_dir=str(folder / "reports"))  # fmt: skip
    store = open_store(settings=settings, migrate=True)
    run_simulation(partial(build, store=store), tenants=2, days=3, seed=11, end=END)

    add_user(store, "boss", PASSWORD, role="admin")
    add_user(store, "ana", PASSWORD, role="manager", tenants=["sim-01"])
    from matrix.gates.history import record_run

    now = datetime.now(UTC).isoformat()
    record_run(store, {"run_id": "r-1", "started_at": now, "finished_at": now, "commit": "abc1234",
                       "gates": [{"id": "g01_contract_checks", "title": "Contract checks", "verdict": "pass",
                                  "duration_seconds": 2.5}]}, str(folder / "reports" / "gates" / "r-1"))  # fmt: skip
    run_dir = folder / "reports" / "gates" / "r-1"
    run_dir.mkdir(parents=True)
    (run_dir / "summary.md").write_text("# Gate run r-1: pass\n")
    yield store
    store.close()


@pytest.fixture(scope="session")
def admin() -> User:
    return User(username="boss", role="admin")


@pytest.fixture(scope="session")
def manager() -> User:
    return User(username="ana", role="manager", tenants=("sim-01",))


@pytest.fixture(scope="session")
def app(seeded: Store):  # type: ignore[no-untyped-def]
    from dashboards.app import create_app

    return create_app(seeded, secret=SECRET)


@pytest.fixture(scope="session")
def window() -> tuple[str, str]:
    return (END - timedelta(days=4)).date().isoformat(), END.date().isoformat()
