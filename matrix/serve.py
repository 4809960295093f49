"""``matrix serve``: the API, the dashboards and the scheduler, in one ASGI server (uvicorn).

One ASGI application answers every request: :class:`Dispatcher` sends the API's paths
(``/health``, ``/v1/…``, ``/internal/…``, ``/provider/…``, ``/openapi.json``, ``/docs``, and the
same under ``/api`` with the prefix stripped, as the origin served them) to the FastAPI app, and
every other path to the Dash dashboards (a Flask app, run through a2wsgi). The API's answers
carry the security headers of :func:`matrix.web.api_headers`; the dashboards set their own.

With ``workers=1`` one process serves and runs the scheduler (every job ``matrix worker`` runs).
With ``workers=N`` (PostgreSQL only: a DuckDB file admits one writing process) uvicorn starts N
worker processes, each wiring its own application from the environment (:func:`worker_app`),
and the scheduler runs once, in the parent. The address defaults to 127.0.0.1, for one machine;
put a reverse proxy with TLS in front for anything else.
"""

from __future__ import annotations

import base64
import hashlib
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from matrix.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from matrix.app import App

Scope = dict[str, Any]
ASGI = Callable[..., Any]
API_PATHS = frozenset({"/health", "/openapi.json", "/docs"})
API_FOLDERS = ("/v1/", "/internal/", "/provider/", "/docs/")
API_PREFIX = "/api"
DOCS = "/docs"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
STOP_WAIT_SECONDS = 30.0


def is_api(path: str) -> bool:
    """Whether ``path`` (prefix already stripped) is the API's."""
    return path in API_PATHS or path.rstrip("/") == "/v1" or path.startswith(API_FOLDERS)


def _without_prefix(scope: Scope) -> Scope:
    path = scope["path"][len(API_PREFIX) :] or "/"
    raw = scope.get("raw_path")
    stripped = {**scope, "path": path}
    if isinstance(raw, bytes) and raw.startswith(API_PREFIX.encode()):
        stripped["raw_path"] = raw[len(API_PREFIX) :] or b"/"
    return stripped


class Dispatcher:
    """The server's ASGI application: the API's paths to ``api``, the rest to ``dashboards``.

    A plain dispatcher rather than a mount at ``/``, so that each side answers its own paths
    in full (an undeclared method on an API path is the API's 405, not the dashboards' page).
    ``on_shutdown`` runs when the server stops (a worker process closing its application).
    """

    def __init__(self, api: ASGI, dashboards: ASGI, *, on_shutdown: Sequence[Callable[[], None]] = ()) -> None:  # fmt: skip
        self.api = api
        self.dashboards = dashboards
        self._on_shutdown = tuple(on_shutdown)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":  # the API's (FastAPI's own start-up and shut-down)
            await self.api(scope, receive, self._after_shutdown(send))
            return
        if scope["type"] != "http":  # no websockets here
            await send({"type": "websocket.close", "code": 1000})
            return
        path = scope["path"]
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            await self.api(_without_prefix(scope), receive, send)
        elif is_api(path):
            await self.api(scope, receive, send)
        else:
            await self.dashboards(scope, receive, send)

    def _after_shutdown(self, send: Any) -> Any:
        async def sending(message: dict[str, Any]) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                for hook in self._on_shutdown:
                    hook()
            await send(message)

        return sending


class ApiHeaders:
    """The API inside its security headers (:func:`matrix.web.api_headers`); the docs page gets
    a policy allowing its inline start-up script by hash."""

    def __init__(self, app: ASGI, *, trusted_proxy: bool) -> None:
        self.app = app
        self.trusted_proxy = trusted_proxy

    def _secure(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        if not self.trusted_proxy:
            return False
        forwarded: bytes = dict(scope.get("headers", [])).get(b"x-forwarded-proto", b"")
        return forwarded.split(b",")[0].strip().lower() == b"https"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        from matrix.web import api_headers

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self._secure(scope)
        if scope["path"] != DOCS:

            async def with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    message = _headed(message, api_headers(secure=secure))
                await send(message)

            await self.app(scope, receive, with_headers)
            return
        held: list[dict[str, Any]] = []

        async def buffered(message: dict[str, Any]) -> None:  # the docs page is one small HTML
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                body = b"".join(m.get("body", b"") for m in held[1:])
                hashes = ["sha256-" + base64.b64encode(hashlib.sha256(s).digest()).decode()
                          for s in _INLINE_SCRIPT.findall(body)]  # fmt: skip
                await send(_headed(held[0], api_headers(secure=secure, page_scripts=hashes)))
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


def _headed(start: dict[str, Any], extra: dict[str, str]) -> dict[str, Any]:
    headers = list(start.get("headers", []))
    present = {name.lower() for name, _ in headers}
    headers += [(k.lower().encode(), v.encode()) for k, v in extra.items()
                if k.lower().encode() not in present]  # fmt: skip
    return {**start, "headers": headers}


def asgi_app(app: App, *, close_on_shutdown: bool = False) -> Dispatcher:
    """The whole server over ``app``: the API and the dashboards behind one :class:`Dispatcher`."""
    from a2wsgi import WSGIMiddleware

    from dashboards.app import create_app
    from matrix.api import create_api

    api = ApiHeaders(create_api(app), trusted_proxy=app.settings.trusted_proxy)
    dashboards = WSGIMiddleware(create_app(app.store, wired=app).server)
    return Dispatcher(api, dashboards, on_shutdown=[app.close] if close_on_shutdown else [])


def worker_app() -> Dispatcher:
    """The application of one worker process of ``matrix serve --workers N``: wired from the
    environment (the parent exported the store's URL), closed when the worker stops."""
    from matrix.app import build

    return asgi_app(build(must_exist=True), close_on_shutdown=True)


def _config(target: ASGI | str, *, host: str, port: int, workers: int = 1) -> Any:
    import uvicorn

    # proxy_headers off: the client address and scheme are the connection's, unless the
    # operator trusts a proxy (MATRIX_TRUSTED_PROXY), which each face then honours itself.
    return uvicorn.Config(target, host=host, port=port, workers=workers, factory=isinstance(target, str),
                          lifespan="on", proxy_headers=False, access_log=False, log_level="warning",
                          timeout_graceful_shutdown=10, server_header=False)  # fmt: skip


def _bound(config: Any) -> socket.socket:
    sock: socket.socket = config.bind_socket()
    sock.listen(config.backlog)  # connections wait in the backlog until the server accepts them
    return sock


def base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class RunningServer:
    """The real server over ``app`` in a background thread, on ``host`` and a free port (or
    ``port``); for tests and benchmarks. Use as ``with RunningServer(app) as server:``."""

    def __init__(self, app: App, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self._config = _config(asgi_app(app), host=host, port=port)
        self._server = uvicorn.Server(self._config)
        self._socket = _bound(self._config)
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        return base_url(self.host, self.port)

    def start(self, timeout: float = 30.0) -> RunningServer:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="matrix-server", daemon=True)  # fmt: skip
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(
                    f"The server did not start on {self.url}; its log on stderr says why."
                )
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_WAIT_SECONDS)
        self._socket.close()

    def __enter__(self) -> RunningServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve(app: App, *, host: str, port: int, scheduler: bool, echo: Callable[[str], None],
          workers: int = 1) -> None:  # fmt: skip
    """Serve ``app``'s API and dashboards until SIGINT/SIGTERM; with ``scheduler``, every
    background job runs beside them (in this process) and stops after its current job.

    Raises:
        UsageError: ``workers`` > 1 on a store that is not PostgreSQL.
    """
    if workers > 1 and app.store.dialect != "postgres":
        raise UsageError(
            f"--workers {workers} needs a PostgreSQL store: a {app.store.dialect} store admits one"
            " writing process. Serve it with one worker (the default), or move to PostgreSQL"
            " (MATRIX_STORAGE_URL=postgresql://…) to run several."
        )
    import uvicorn

    if workers > 1:
        from matrix.config import export_for_workers
        from matrix.web import session_secret

        session_secret(app.store)  # refuse a weak secret (or make the key) once, before the workers
        export_for_workers(storage_url=app.settings.storage_url)
        config = _config("matrix.serve:worker_app", host=host, port=port, workers=workers)
    else:
        config = _config(asgi_app(app), host=host, port=port)
    sock = _bound(config)
    url = base_url(host, sock.getsockname()[1])
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        supervisor = Multiprocess(config, sockets=[sock])  # from here it handles the signals
        run: Callable[[], None] = supervisor.run
    else:
        server = uvicorn.Server(config)

        def stop(_signum: int, _frame: Any) -> None:  # before uvicorn listens, and after it returns
            server.should_exit = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        run = partial(server.run, sockets=[sock])
    echo(f"dashboards: {url}/  (Ctrl-C stops)")
    echo(f"API docs: {url}{DOCS}  (the API is under {url}/v1"
         + (f"; {workers} worker processes)" if workers > 1 else ")"))  # fmt: skip
    jobs = app.scheduler() if scheduler else None
    thread = None
    if jobs is not None:
        echo(app.outbound_status().message)
        thread = threading.Thread(target=jobs.run, name="scheduler", daemon=True)
        thread.start()
    else:
        echo("no scheduler here (--no-scheduler): run `matrix worker` for the background jobs")
    try:
        run()
    finally:
        if jobs is not None and thread is not None:
            jobs.stop()
            thread.join(STOP_WAIT_SECONDS)
        sock.close()
        echo("stopped")
