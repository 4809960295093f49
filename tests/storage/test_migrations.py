"""Migrations: versioned, recorded, safe twice, all or nothing, and never on a newer store."""

from __future__ import annotations

import pytest

from matrix.config import Settings
from matrix.errors import MigrationError
from matrix.storage import code_version, open_store
from matrix.storage.migrate import load_migrations, rollback, statements
from matrix.storage.store import open_backend


def _open_raw(url: str):  # type: ignore[no-untyped-def]
    return open_store(settings=Settings.load(storage_url=url), check_schema=False)


def test_migrate_is_safe_to_run_twice(backend_url: str) -> None:
    with _open_raw(backend_url) as store:
        first = store.migrate()
        second = store.migrate()
    assert first.before == 0 and first.after == code_version()
    assert first.applied and not second.applied
    assert second.before == second.after == code_version()


def test_store_newer_than_code_is_refused_and_left_unchanged(backend_url: str) -> None:
    with _open_raw(backend_url) as store:
        store.migrate()
        with store.backend.transaction() as tx:
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                " VALUES (?, 'from_the_future', 'x', now())",
                [code_version() + 1],
            )
        before = _snapshot(store)
        with pytest.raises(MigrationError, match="newer than this matrix"):
            store.migrate()
        assert _snapshot(store) == before
    with pytest.raises(MigrationError, match="newer than this matrix"):
        open_store(settings=Settings.load(storage_url=backend_url))


def test_store_behind_the_code_asks_for_migrate(backend_url: str) -> None:
    with _open_raw(backend_url):
        pass
    with pytest.raises(MigrationError, match="matrix migrate"):
        open_store(settings=Settings.load(storage_url=backend_url))


def test_rollback_undoes_and_migrate_redoes(backend_url: str) -> None:
    with _open_raw(backend_url) as store:
        store.migrate()
        undone = rollback(store.backend, target=0)
        assert undone.after == 0
        with store.backend.transaction() as tx:
            tables = {r[0] for r in tx.query(
                "SELECT table_name FROM information_schema.tables WHERE table_name IN"
                " ('event_log', 'tenants', 'telemetry')"
            )}  # fmt: skip
        assert tables == set()
        assert store.migrate().after == code_version()


def test_failed_migration_leaves_store_unchanged(
    backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matrix.storage.migrate as m

    real = m.load_migrations()
    broken = m.Migration(version=len(real) + 1, name="broken", up="CREATE TABLE ok_table (a INT);\nTHIS IS NOT SQL;",
                         down=None, checksum="x")  # fmt: skip
    with _open_raw(backend_url) as store:
        store.migrate()
        monkeypatch.setattr(m, "load_migrations", lambda: [*real, broken])
        with pytest.raises(Exception, match="refused"):
            m.migrate(store.backend)
        monkeypatch.setattr(m, "load_migrations", lambda: real)
        assert store.schema_version() == len(real)
        with store.backend.transaction() as tx:
            assert not tx.query(
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'ok_table'"
            )


def test_statements_respect_dialect_markers() -> None:
    script = "CREATE TABLE a (x INT);\n-- only: postgres\nCREATE INDEX i ON a (x);\n-- a note\nDROP TABLE a;\n"
    assert statements(script, "duckdb") == ["CREATE TABLE a (x INT)", "DROP TABLE a"]
    assert statements(script, "postgres") == [
        "CREATE TABLE a (x INT)",
        "CREATE INDEX i ON a (x)",
        "DROP TABLE a",
    ]


def test_every_shipped_migration_declares_its_down_section() -> None:
    for migration in load_migrations():
        assert migration.reversible, f"{migration.name} has no -- migrate:down section"


def test_unknown_scheme_is_a_config_error() -> None:
    from matrix.errors import ConfigError

    with pytest.raises(ConfigError, match="Unknown storage URL scheme 'sqlite://'"):
        open_backend("sqlite:///x.db", Settings.load())


def _snapshot(store):  # type: ignore[no-untyped-def]
    with store.backend.transaction() as tx:
        return (
            tx.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version"),
            tx.query("SELECT count(*) FROM event_log"),
        )


def test_memory_terms_written_before_their_length_column_are_given_it(backend_url: str) -> None:
    """Migration 0027 gives each term its entry's length, which BM25 then reads alone."""
    with _open_raw(backend_url) as store:
        store.migrate()
        rollback(store.backend, target=26)
        with store.backend.transaction() as tx:
            tx.execute(
                "INSERT INTO memory_entries (memory_id, tenant_id, session_id, source, content,"
                " content_hash, tags, salience, status, valid_at, source_turns, metadata, doc_len,"
                " created_at, updated_at) VALUES ('m1', 'acme', 's1', 'user_message',"
                " 'freezer porto freezer', 'h', '[]', 0.5, 'candidate', current_timestamp, '[]',"
                " '{}', 3, current_timestamp, current_timestamp)"
            )
            tx.execute("INSERT INTO memory_terms (tenant_id, memory_id, term, tf) VALUES"
                       " ('acme', 'm1', 'freezer', 2), ('acme', 'm1', 'porto', 1)")  # fmt: skip
        assert store.migrate().after == code_version()
        with store.backend.transaction() as tx:
            lengths = tx.query("SELECT term, doc_len FROM memory_terms ORDER BY term")
        assert [tuple(r) for r in lengths] == [("freezer", 3), ("porto", 3)]
        found = store.memory.bm25("acme", ["freezer"], statuses=None, session_id=None, limit=5)
        assert [m for m, _ in found] == ["m1"]
