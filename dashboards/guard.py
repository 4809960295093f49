"""The dashboards' server guards, as Flask hooks over :mod:`matrix.web`: the security headers,
the cross-site check on every state change (Dash's callback POSTs included), stored sessions
checked on every request, ``Secure`` cookies over HTTPS, and callback bodies checked against the
app's callback map before Dash runs them (a malformed one is a 400, never a 500)."""

from __future__ import annotations

import logging
from typing import Any

from dash import Dash
from dash.exceptions import UnsupportedRelativePath
from flask import Flask, Response, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from matrix.storage import Store
from matrix.web import Sessions, SignInThrottle, cross_origin, security_headers, session_secret

CALLBACK = "/_dash-update-component"
MAX_BODY = 1024 * 1024  # a callback body is a few kilobytes; a megabyte leaves room for tables
SESSION_KEY = "sid"
LOG = logging.getLogger("matrix.web")
# What a callback raises when it was sent values of the wrong kind (the page router included,
# given a path that is not one); a bug of ours raises the same in a test, where the 400 fails it.
SENDERS_MISTAKES = (LookupError, TypeError, ValueError, AttributeError, UnsupportedRelativePath)


class _Cookies(SecureCookieSessionInterface):
    """Flask's signed cookie, marked ``Secure`` whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def install(
    app: Dash, store: Store, *, secret: str | None = None
) -> tuple[Sessions, SignInThrottle]:
    """Put the guards on ``app``'s server; the sessions and the sign-in throttle it uses."""
    server: Flask = app.server
    if store.settings.trusted_proxy:  # believe one proxy's client address, scheme and host
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    server.secret_key = session_secret(store, secret)
    server.session_interface = _Cookies()
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         MAX_CONTENT_LENGTH=MAX_BODY)  # fmt: skip
    sessions = Sessions(store, hours=store.settings.session_hours)
    throttle = SignInThrottle(store.sign_ins, store.clock)
    server.extensions["matrix_throttle"] = throttle
    hashes: list[str] = []

    @server.before_request
    def same_site_only() -> Any:
        why = cross_origin(request.method, scheme=request.scheme, host=request.host,
                           origin=request.headers.get("Origin"), referer=request.headers.get("Referer"),
                           fetch_site=request.headers.get("Sec-Fetch-Site"))  # fmt: skip
        if why is None:
            return None
        LOG.warning("Refused a cross-site %s %s: %s", request.method, request.path, why)
        return Response(f"Refused: {why}. Changes are accepted only from this server's own pages.",
                        status=403, mimetype="text/plain")  # fmt: skip

    @server.after_request
    def headers(response: Response) -> Response:
        if not hashes:
            hashes.extend(app.csp_hashes())
        for name, value in security_headers(secure=request.is_secure, script_hashes=hashes).items():
            response.headers[name] = value
        return response

    @server.errorhandler(Exception)
    def callback_failed(exc: Exception) -> Any:
        """A callback that cannot run with the values it was sent is the sender's mistake: a
        400 here, the traceback in the log. Anything else keeps its own answer."""
        if isinstance(exc, HTTPException):
            return exc
        if request.path != CALLBACK or not isinstance(exc, SENDERS_MISTAKES):
            raise exc
        LOG.exception("A callback could not run with the values it was sent")
        return Response("The callback could not run with the values sent.", status=400,
                        mimetype="text/plain")  # fmt: skip

    return sessions, throttle


def signed_in_user(sessions: Sessions, username: str) -> bool:
    """Whether this request's cookie names a live stored session of ``username``."""
    return sessions.user(session.get(SESSION_KEY)) == username


def check_callback(app: Dash) -> Any:
    """A 400 for a malformed callback request (register it after the sign-in check)."""
    if request.path != CALLBACK or request.method != "POST":
        return None
    problem = callback_problem(app, request.get_json(silent=True))
    if problem is None:
        return None
    return Response(f"Malformed callback request: {problem}.", status=400, mimetype="text/plain")


def _pairs(items: Any) -> list[tuple[Any, Any]] | None:
    items = items if isinstance(items, list) else [items]
    if not all(isinstance(i, dict) and "id" in i and "property" in i for i in items):
        return None
    return [(i["id"], i["property"]) for i in items]


def callback_problem(app: Dash, body: Any) -> str | None:
    """What is wrong with a callback body, checked against ``app``'s callback map (the output
    is a registered callback's, and the outputs, inputs and state are exactly its own), or None."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    key = body.get("output")
    if not isinstance(key, str) or key not in app.callback_map:
        return "the output is not one of this app's callbacks"
    spec = app.callback_map[key]
    outputs = [tuple(o.split(".", 1)) for o in key.strip(".").split("...")]
    if _pairs(body.get("outputs")) != [tuple(o) for o in outputs]:
        return "the outputs do not match the callback's"
    for part in ("inputs", "state"):
        sent = body.get(part, [])
        if not isinstance(sent, list) or _pairs(sent) != [
            (i["id"], i["property"]) for i in spec[part]
        ]:
            return f"the {part} do not match the callback's"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    return None
