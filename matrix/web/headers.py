"""The security headers every response carries: a Content-Security-Policy the dashboards run
under, no framing, no content sniffing, no referrer to other sites, and HSTS over HTTPS."""

from __future__ import annotations

from collections.abc import Sequence

HSTS = "max-age=31536000; includeSubDomains"


def content_security_policy(script_hashes: Sequence[str] = ()) -> str:
    """The CSP: everything from this origin only. Scripts: our files plus the inline scripts
    whose hashes are given (``sha256-...``, quoted or not: Dash's renderer start-up), never other inline code or eval. Styles
    allow inline because Dash and Plotly set them at run time; style cannot run code."""
    scripts = " ".join(["'self'", *(f"'{h.strip(chr(39))}'" for h in script_hashes)])
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(*, secure: bool, script_hashes: Sequence[str] = ()) -> dict[str, str]:
    """The headers to set on a response; ``secure`` when the request came over HTTPS."""
    headers = {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }
    if secure:  # over plain HTTP the header is ignored, and it would pin a test host to HTTPS
        headers["Strict-Transport-Security"] = HSTS
    return headers
