"""Where a tenant's key may be sent: an HTTPS URL of a public host (this machine, over HTTP too,
only when the settings allow it — tests, a gateway beside the server).

A tenant sets the URL of its own gateway, and matrix sends the tenant's key there from inside
the server's network. A URL that reaches that network — a private, link-local, shared or
reserved address, or a cloud metadata service (``169.254.169.254``, ``fd00:ec2::254``,
``metadata.google.internal``) — would hand the key, and a request from inside, to whatever
listens there. So :func:`check` refuses it by name and again once DNS has resolved the host,
each time a request is about to go out (a name that resolved to a public address yesterday may
not today). An IPv4 address written as IPv6 (``::ffff:10.0.0.1``, ``64:ff9b::a9fe:a9fe``) is
judged as the IPv4 address it carries.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from matrix.errors import ConfigError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

METADATA_HOSTS = frozenset({"metadata", "metadata.google.internal", "metadata.goog",
                            "metadata.azure.internal", "instance-data", "instance-data.ec2.internal"})  # fmt: skip
"""Names of cloud metadata services (their addresses are link-local or private, refused too)."""
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(ConfigError):
    """A URL a tenant set points where its key may not go; the message names the URL's host."""

    code = "address_refused"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (DNS, the hosts file), as text.

    Raises:
        OSError: the name does not resolve.
    """
    return sorted(
        {str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    )


def check(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> None:
    """Refuse ``url`` unless it is HTTPS to a public host, or (with ``allow_loopback``) any
    http(s) URL of this machine.

    Raises:
        AddressRefused: what is wrong with the URL, and what to set instead.
        OSError: the host does not resolve.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a bad port, an unclosed [IPv6]
        host = ""
    if not host or parts.scheme not in ("http", "https"):
        raise AddressRefused(f"The gateway URL {_shown(url)!r} is not an http(s) URL with a host"
                             " and port; set an HTTPS URL such as https://evolution.example.com.")  # fmt: skip
    if host in METADATA_HOSTS:
        raise _refused(host, "a cloud metadata service")
    addresses = (
        [_literal(host)] if _is_literal(host) else [_literal(a) for a in resolver(host, port)]
    )
    if not addresses:
        raise _refused(host, "a name with no address")
    for address in addresses:
        if address.is_loopback:
            if not allow_loopback:
                raise _refused(host, "this machine (loopback), which the settings do not allow"
                               " (MATRIX_ALLOW_LOOPBACK_URLS)")  # fmt: skip
            continue
        if not address.is_global or address.is_multicast:
            kind = (
                "a link-local address" if address.is_link_local else "a private or reserved address"
            )
            raise _refused(host, f"{kind} ({address})")
    if parts.scheme != "https" and not all(a.is_loopback for a in addresses):
        raise AddressRefused(f"The gateway URL for {host} is plain HTTP; a tenant's key only goes"
                             " over HTTPS: set an https:// URL.")  # fmt: skip


def _refused(host: str, what: str) -> AddressRefused:
    return AddressRefused(f"The gateway URL's host {host} is {what}; a tenant's key is never sent"
                          " there. Set the URL of a gateway on a public host, over HTTPS.")  # fmt: skip


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _literal(text: str) -> IpAddress:
    """The address, with an IPv4 address carried in IPv6 (mapped or NAT64) taken out of it."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _shown(url: str) -> str:
    """The URL without its user part and query (either may hold a secret), at most 80 characters."""
    scheme, sep, rest = url.split("?", 1)[0].partition("://")
    shown = scheme + sep + rest.rsplit("@", 1)[-1] if sep else scheme.rsplit("@", 1)[-1]
    return shown[:80]
