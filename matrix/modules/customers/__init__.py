"""Customers (module 03): idempotent by external key, merged with an audit record."""
