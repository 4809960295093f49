"""Importers: the origin's worklog and costlog, JUnit results. Each is idempotent and reports
rows read, added and skipped, with why."""
