"""Where a tenant's key may be sent: an HTTPS URL of a public host (this machine, over HTTP too,
only when the settings allow it — tests, a gateway beside the server).

A tenant sets the URL of its own gateway (``integrations.crm_evolution.base_url``) and of its own
OpenAI-compatible provider (``openai.base_url``), and matrix sends the tenant's key there from
inside the server's network. A URL that reaches that network — a private, link-local, shared or
reserved address, a multicast or unspecified one, or a cloud metadata service
(``169.254.169.254``, ``fd00:ec2::254``, ``metadata.google.internal``) — would hand the key, and
a request from inside, to whatever listens there. So :func:`check` refuses it by name when the
config is saved, and :func:`check_address` refuses every address the name resolves to each time a
request is about to go out (a name that resolved to a public address yesterday may not today);
the connection is then made to the address that was checked. An IPv4 address written as IPv6
(``::ffff:10.0.0.1``, ``64:ff9b::a9fe:a9fe``) is judged as the IPv4 address it carries.

The platform's own URLs (``MATRIX_OPENAI_BASE_URL``, ``MATRIX_EVOLUTION_BASE_URL``) are the
operator's and are not checked.
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
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_FIX = "Set the URL of a service on a public host, over HTTPS."


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


def check(
    url: str, *, allow_loopback: bool, resolver: Resolver | None = resolve,
    field: str = "The gateway URL",
) -> None:  # fmt: skip
    """Refuse ``url`` unless it is HTTPS to a public host, or (with ``allow_loopback``) any
    http(s) URL of this machine. ``field`` names the URL in messages. With ``resolver=None`` a
    name is not resolved (a config being saved): only what the URL itself says is judged.

    Raises:
        AddressRefused: what is wrong with the URL, and what to set instead.
        OSError: the host does not resolve.
    """
    host, port, scheme = split(url, field)
    if host in METADATA_HOSTS:
        raise _refused(field, host, "a cloud metadata service")
    if is_literal(host):
        addresses: list[IpAddress] = [_literal(host)]
    elif host in LOOPBACK_NAMES:
        addresses = [ipaddress.IPv4Address("127.0.0.1")]
    elif resolver is None:
        addresses = []
    else:
        addresses = [_literal(a) for a in resolver(host, port)]
        if not addresses:
            raise _refused(field, host, "a name with no address")
    for address in addresses:
        check_address(address, host=host, allow_loopback=allow_loopback, field=field)
    if scheme != "https" and not (addresses and all(a.is_loopback for a in addresses)):
        raise AddressRefused(f"{field} for {host} is plain HTTP; a tenant's key only goes over"
                             " HTTPS: set an https:// URL.")  # fmt: skip


def split(url: str, field: str = "The gateway URL") -> tuple[str, int, str]:
    """The host (lower case, no trailing dot), port and scheme of an http(s) ``url``.

    Raises:
        AddressRefused: it is not an http(s) URL with a host (and a valid port).
    """
    try:
        parts = urlsplit(url)
        scheme = parts.scheme
        host = (parts.hostname or "").rstrip(".").lower()
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:  # a bad port, an unclosed [IPv6]
        host, port, scheme = "", 0, ""
    if not host or scheme not in ("http", "https"):
        raise AddressRefused(f"{field} {_shown(url)!r} is not an http(s) URL with a host and"
                             " port; set an HTTPS URL such as https://api.example.com.")  # fmt: skip
    if ":" in host and not is_literal(host):  # brackets around what is not an IPv6 address
        raise AddressRefused(f"{field} {_shown(url)!r} has a host in brackets that is not an IPv6"
                             " address; set an HTTPS URL such as https://api.example.com.")  # fmt: skip
    return host, port, scheme


def check_address(
    address: IpAddress | str, *, host: str, allow_loopback: bool, field: str = "The gateway URL"
) -> IpAddress:
    """``address`` (one that ``host`` resolved to) when a tenant's key may go there.

    Raises:
        AddressRefused: a loopback address without ``allow_loopback``, or an address that is not
            global (private, link-local, shared, reserved, unspecified) or is multicast.
    """
    found = _literal(address) if isinstance(address, str) else address
    if found.is_loopback:
        if not allow_loopback:
            raise _refused(field, host, "this machine (loopback), which the settings do not allow"
                           " (MATRIX_ALLOW_LOOPBACK_URLS)")  # fmt: skip
        return found
    if not found.is_global or found.is_multicast:
        kind = "a link-local address" if found.is_link_local else "a private or reserved address"
        raise _refused(field, host, f"{kind} ({found})")
    return found


def _refused(field: str, host: str, what: str) -> AddressRefused:
    return AddressRefused(f"{field}'s host {host} is {what}; a tenant's key is never sent there."
                          f" {_FIX}")  # fmt: skip


def is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
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
