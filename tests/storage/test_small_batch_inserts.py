"""The small-batch insert path of both backends: order kept, stored keys skipped, counts right.

Batches of up to 64 rows take a VALUES list (PostgreSQL) or look stored keys up first (DuckDB)
instead of the bulk path; these tests pin that they behave as the bulk path does.
"""

from __future__ import annotations

from matrix.storage import Store


def _seqs(store: Store) -> list[tuple[str, int]]:
    with store.backend.transaction() as tx:
        return [(r[0], r[1]) for r in tx.query("SELECT k, n FROM _batch ORDER BY seq")]


def _table(store: Store) -> None:
    with store.backend.transaction() as tx:
        tx.execute("CREATE SEQUENCE _batch_seq START 1")
        tx.execute(
            "CREATE TABLE _batch (seq BIGINT NOT NULL DEFAULT nextval('_batch_seq'),"
            " k TEXT PRIMARY KEY, n BIGINT, made_at TIMESTAMPTZ, note TEXT)"
        )


def test_small_batches_keep_order_and_skip_stored_keys(store: Store) -> None:
    _table(store)
    at = store.clock.now()
    with store.backend.transaction() as tx:
        first = [(f"k{i}", i, at, None) for i in (3, 1, 2)]
        assert (
            tx.insert_rows("_batch", ("k", "n", "made_at", "note"), first, skip_existing="k") == 3
        )
    with store.backend.transaction() as tx:
        again = [
            ("k1", 10, at, "dup"),
            ("k5", 5, at, None),
            ("k2", 20, at, "dup"),
            ("k4", 4, at, None),
        ]
        assert (
            tx.insert_rows("_batch", ("k", "n", "made_at", "note"), again, skip_existing="k") == 2
        )
        assert (
            tx.insert_rows("_batch", ("k", "n", "made_at", "note"), again[:1], skip_existing="k")
            == 0
        )
    assert _seqs(store) == [("k3", 3), ("k1", 1), ("k2", 2), ("k5", 5), ("k4", 4)]


def test_a_batch_past_the_small_size_takes_the_bulk_path_the_same_way(store: Store) -> None:
    _table(store)
    at = store.clock.now()
    rows = [(f"b{i:03d}", i, at, "x") for i in range(100)]
    with store.backend.transaction() as tx:
        assert (
            tx.insert_rows("_batch", ("k", "n", "made_at", "note"), rows[:10], skip_existing="k")
            == 10
        )
        assert (
            tx.insert_rows("_batch", ("k", "n", "made_at", "note"), rows, skip_existing="k") == 90
        )
        assert tx.insert_rows("_batch", ("k", "n"), [("plain", -1)]) == 1
    stored = _seqs(store)
    assert [k for k, _ in stored] == [k for k, *_ in rows] + ["plain"]
