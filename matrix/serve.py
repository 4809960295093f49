"""``matrix serve``: the dashboards and the scheduler in one process, until Ctrl-C.

The web server is Werkzeug's threaded server on the given host and port (127.0.0.1 by default,
for one machine; put a reverse proxy with TLS in front for anything else). The scheduler runs
every job ``matrix worker`` runs (the task queue, approval expiry, due reminders and outbound
messages) in a background thread, and says at start whether outbound delivery is on.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matrix.app import App


def make_server(app: App, *, host: str = "127.0.0.1", port: int = 8050) -> Any:
    """A started-on-demand Werkzeug server for ``app``'s dashboards (port 0 picks a free one)."""
    from werkzeug.serving import make_server as werkzeug_server

    from dashboards.app import create_app

    return werkzeug_server(host, port, create_app(app.store, wired=app).server, threaded=True)


def serve(app: App, *, host: str, port: int, scheduler: bool, echo: Callable[[str], None]) -> None:
    """Serve ``app``'s dashboards until SIGINT/SIGTERM; with ``scheduler``, every background job
    runs beside them and stops after its current job."""
    server = make_server(app, host=host, port=port)
    jobs = app.scheduler() if scheduler else None

    def stop(signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    echo(f"dashboards: http://{host}:{server.server_port}/  (Ctrl-C stops)")
    if jobs is not None:
        echo(app.outbound_status().message)
        threading.Thread(target=jobs.run, name="scheduler", daemon=True).start()
    try:
        server.serve_forever()
    finally:
        if jobs is not None:
            jobs.stop()
        echo("stopped")
