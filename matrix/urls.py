"""Store URLs as every face shows and passes them: a relative DuckDB path made absolute, and
passwords masked wherever a URL is displayed."""

from __future__ import annotations

import re
from pathlib import Path

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<secret>[^@\s]+)(?=@)")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|sslpassword)=)(?P<secret>[^&\s]+)")


def absolute_storage_url(url: str, base: Path | None = None) -> str:
    """``url`` with a relative DuckDB path made absolute (from ``base``, default the current folder),
    so that a process started elsewhere (a notebook kernel) opens the same file."""
    scheme, sep, rest = url.partition(":///")
    if scheme != "duckdb" or not sep or rest == ":memory:" or rest.startswith("/"):
        return url
    return f"duckdb:///{((base or Path.cwd()) / rest).resolve()}"


def mask_secrets(text: str) -> str:
    """Replace passwords in URLs and ``password=`` query parameters with ``****``."""
    text = _URL_PASSWORD.sub(r"\g<head>****", text)
    return _QUERY_PASSWORD.sub(r"\g<head>****", text)
