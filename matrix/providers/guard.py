"""Connections to a URL a tenant set, checked after DNS: the one way a tenant's key leaves.

:class:`Guard` resolves the host when a connection is about to be made, refuses it when any
address is not one a tenant's key may go to (:func:`matrix.addresses.check_address`), and
connects to the address it checked, so that a name cannot resolve to a public address for the
check and to a private one for the connection. TLS still verifies the certificate of the name
in the URL. It plugs in below both HTTP clients matrix uses: the OpenAI SDK's httpx client
(:meth:`Guard.http_transport`, a network backend of httpcore) and urllib
(:meth:`Guard.opener`, for the Evolution gateway). A redirect is a new connection, checked too.

A guarded client ignores proxy settings from the environment: behind a proxy the peer would be
the proxy, and the check would say nothing about where the key goes.
"""

from __future__ import annotations

import http.client
import importlib
import socket
import urllib.request
from dataclasses import dataclass
from typing import Any

from matrix import addresses


@dataclass(frozen=True, kw_only=True)
class Guard:
    """Where a tenant's key may go: ``allow_loopback`` from the settings
    (``MATRIX_ALLOW_LOOPBACK_URLS``), and ``field`` naming the URL in refusals.

    ``resolver`` is :func:`matrix.addresses.resolve` unless given (a test's table of names).
    """

    allow_loopback: bool
    field: str
    resolver: addresses.Resolver | None = None

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to, each checked.

        Raises:
            AddressRefused: one of them is not allowed (or there are none).
            OSError: the name does not resolve.
        """
        name = host.strip("[]").rstrip(".").lower()
        if name in addresses.METADATA_HOSTS:
            raise addresses.AddressRefused(f"{self.field}'s host {name} is a cloud metadata"
                                           " service; a tenant's key is never sent there.")  # fmt: skip
        resolver = self.resolver or addresses.resolve
        found = [name] if addresses.is_literal(name) else list(resolver(name, port))
        if not found:
            raise addresses.AddressRefused(f"{self.field}'s host {name} has no address.")
        for address in found:
            addresses.check_address(address, host=name, allow_loopback=self.allow_loopback,
                                    field=self.field)  # fmt: skip
        return found

    def connect(
        self, host: str, port: int, timeout: Any = None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:  # fmt: skip
        """A TCP connection to the first checked address of ``host`` that answers."""
        last: OSError | None = None
        for address in self.addresses(host, port):
            try:
                return socket.create_connection((address, port), timeout, source_address)
            except OSError as exc:
                last = exc
        assert last is not None
        raise last

    def http_transport(self, family: str = "httpx") -> Any:
        """An ``HTTPTransport`` of the httpx ``family`` given (``httpx``, or a fork of it such as
        ``httpx2``, with its httpcore of the same suffix) whose every connection goes through the
        check."""
        http = importlib.import_module(family)
        core = importlib.import_module(family.replace("httpx", "httpcore", 1))
        transport = http.HTTPTransport(trust_env=False)
        # httpx takes no network backend; its transport's one pool is swapped for one that has.
        transport._pool = core.ConnectionPool(
            ssl_context=http.create_ssl_context(trust_env=False),
            network_backend=_Backend(self, core.SyncBackend()),
        )
        return transport

    def opener(self) -> urllib.request.OpenerDirector:
        """A urllib opener whose every connection goes through :meth:`connect`."""
        guard = self

        class Http(http.client.HTTPConnection):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._create_connection = _connector(guard)

        class Https(http.client.HTTPSConnection):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._create_connection = _connector(guard)

        class HttpHandler(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                return self.do_open(Http, req)

        class HttpsHandler(urllib.request.HTTPSHandler):
            def https_open(self, req: Any) -> Any:
                return self.do_open(Https, req)

        return urllib.request.build_opener(
            urllib.request.ProxyHandler({}), HttpHandler(), HttpsHandler()
        )


def _connector(guard: Guard) -> Any:
    def create_connection(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        return guard.connect(address[0], address[1], timeout, source_address)

    return create_connection


class _Backend:
    """An httpcore network backend: the default one, connected to the checked address."""

    def __init__(self, guard: Guard, inner: Any) -> None:
        self.guard = guard
        self.inner = inner

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None, socket_options: Any = None,
    ) -> Any:  # fmt: skip
        last: Exception | None = None
        for address in self.guard.addresses(host, port):
            try:
                return self.inner.connect_tcp(address, port, timeout=timeout,
                                              local_address=local_address,
                                              socket_options=socket_options)  # fmt: skip
            except Exception as exc:  # httpcore's ConnectError: try the next address
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
        return self.inner.connect_unix_socket(*args, **kwargs)

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)
