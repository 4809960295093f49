"""The web server's guards, shared by every face served over HTTP (the dashboards, the API).

Each module is one guard and knows nothing of the web framework: it takes the request's plain
values (method, scheme, host, headers, client address) and answers with plain values, so the
dashboards' Flask hooks and the API's middleware apply the same rules.

- :mod:`~matrix.web.headers`: the security headers on every response (CSP, frames, sniffing,
  referrer, HSTS over HTTPS), the dashboards' and the API's.
- :mod:`~matrix.web.origin`: the Origin/Referer check that refuses cross-site state changes.
- :mod:`~matrix.web.throttle`: sign-in backoff and lockout per username and per client address.
- :mod:`~matrix.web.sessions`: server-side sign-in sessions (revoked at sign-out, expiring), the
  session secret's strength, and the key generated and kept in the store when none is set.
- :mod:`~matrix.web.messages`: what a user may be shown of an error (never SQL or store paths).
"""

from __future__ import annotations

from matrix.web.headers import api_headers, security_headers
from matrix.web.messages import public_message
from matrix.web.origin import cross_origin
from matrix.web.sessions import Sessions, check_secret, session_secret
from matrix.web.throttle import SignInThrottle

__all__ = [
    "Sessions",
    "SignInThrottle",
    "api_headers",
    "check_secret",
    "cross_origin",
    "public_message",
    "security_headers",
    "session_secret",
]
