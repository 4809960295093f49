"""``matrix serve``: the dashboards and the scheduler in one process, until Ctrl-C.

The web server is Werkzeug's threaded server on the given host and port (127.0.0.1 by default,
for one machine; put a reverse proxy with TLS in front for anything else). The scheduler runs
the task queue and approval expiry in a background thread, as ``matrix worker`` does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from matrix.storage import Store

if TYPE_CHECKING:
    from matrix.runtime import Scheduler


def make_server(store: Store, *, host: str = "127.0.0.1", port: int = 8050) -> Any:
    """A started-on-demand Werkzeug server for the dashboards (port 0 picks a free one)."""
    from werkzeug.serving import make_server as werkzeug_server

    from dashboards.app import create_app

    return werkzeug_server(host, port, create_app(store).server, threaded=True)


def serve(
    store: Store, *, host: str, port: int, scheduler: Scheduler | None, echo: Callable[[str], None]
) -> None:
    """Serve until SIGINT/SIGTERM; the ``scheduler`` (when given) runs beside the dashboards and
    stops after its current job."""
    server = make_server(store, host=host, port=port)
    jobs = scheduler
    if jobs is not None:
        threading.Thread(target=jobs.run, name="scheduler", daemon=True).start()

    def stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    echo(f"dashboards: http://{host}:{server.server_port}/  (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        if jobs is not None:
            jobs.stop()
        echo("stopped")
