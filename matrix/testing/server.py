"""The real server (uvicorn: the API and the dashboards behind one dispatcher) over a wired
application, on 127.0.0.1 and a free port, for end-to-end tests and benchmarks::

    with serving(app) as server:
        httpx.get(server.url + "/health")

It serves what ``matrix serve`` serves, in a background thread of this process (no scheduler:
a test runs the jobs it needs itself). Unlike the other local servers here it sits above the
wiring, as an entry point does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from matrix.serve import RunningServer

if TYPE_CHECKING:
    from matrix.app import App

__all__ = ["RunningServer", "serving"]


@contextmanager
def serving(app: App, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningServer]:
    """``app`` served until the block ends (port 0: a free one; ``server.url`` names it)."""
    with RunningServer(app, host=host, port=port) as server:
        yield server
