"""The check that a state-changing request comes from a page of this server (CSRF defence).

A browser names the page that sent a request: ``Origin`` on every cross-origin request and on
same-origin POSTs, ``Referer`` otherwise, and ``Sec-Fetch-Site`` in current browsers. A request
that names another site is refused. A request naming none comes from a program rather than from
a page a user was lured to (browsers always send ``Origin`` cross-origin), so it is let through
to its ordinary authentication; the cookies are also ``SameSite=Lax``, which browsers do not send
on cross-site POSTs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def cross_origin(method: str, *, scheme: str, host: str, origin: str | None = None,
                 referer: str | None = None, fetch_site: str | None = None) -> str | None:  # fmt: skip
    """Why the request must be refused as coming from another site, or None when it may go on.

    Args:
        method: the HTTP method; safe methods (GET, HEAD, OPTIONS) are never refused.
        scheme: ``http`` or ``https``, as the server (or its trusted proxy) saw the request.
        host: the ``Host`` the request was sent to, with its port if any.
        origin, referer, fetch_site: the request's ``Origin``, ``Referer`` and
            ``Sec-Fetch-Site`` headers, None when absent.
    """
    if method.upper() in SAFE_METHODS:
        return None
    ours = _origin(f"{scheme}://{host}")
    if fetch_site and fetch_site.lower() not in ("same-origin", "none"):
        return f"the browser says the request came from a {fetch_site} page"
    for header, value in (("Origin", origin), ("Referer", referer)):
        if value:
            theirs = _origin(value)
            if theirs is None or theirs != ours:
                return f"{header} {value[:200]!r} is not this server"
            return None
    return None
