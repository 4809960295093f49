"""The analytics store: sync from the operational store to the analytics engine (DuckDB file,
Parquet or ClickHouse), its freshness, and exports."""

from matrix.analytics.service import Analytics, AnalyticsStatus, TableFreshness, open_engine
from matrix.analytics.sync import SyncReport, sync

__all__ = ["Analytics", "AnalyticsStatus", "SyncReport", "TableFreshness", "open_engine", "sync"]
