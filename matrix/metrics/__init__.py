"""Metrics as data, computed in DuckDB: one function gives the same number everywhere."""

from __future__ import annotations

from matrix.metrics.definitions import Metric, MetricCatalog, load_catalog
from matrix.metrics.engine import GRAINS, MetricResult, compute

__all__ = ["GRAINS", "Metric", "MetricCatalog", "MetricResult", "compute", "load_catalog"]
