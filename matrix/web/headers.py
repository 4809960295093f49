"""The security headers every response carries: a Content-Security-Policy the dashboards run
under (and a stricter one for the API's JSON), no framing, no content sniffing, no referrer to
other sites, and HSTS over HTTPS."""

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


# The API answers JSON, which runs nothing: its policy allows nothing at all. Its one page, the
# interactive docs (Swagger UI), loads its bundle from the CDN FastAPI names and runs one inline
# start-up script, allowed by its hash.
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_FAVICON = "https://fastapi.tiangolo.com"


def api_headers(*, secure: bool, page_scripts: Sequence[str] | None = None) -> dict[str, str]:
    """The headers of an API answer; ``page_scripts`` are the hashes (``sha256-...``) of the
    inline scripts of the docs page, None for every other answer (JSON)."""
    if page_scripts is None:
        policy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    else:
        scripts = " ".join([DOCS_CDN, *(f"'{h.strip(chr(39))}'" for h in page_scripts)])
        policy = (
            f"default-src 'none'; script-src {scripts}; style-src {DOCS_CDN} 'unsafe-inline';"
            f" img-src 'self' data: {DOCS_FAVICON}; connect-src 'self'; frame-ancestors 'none';"
            " base-uri 'none'; form-action 'none'"
        )
    headers = {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",  # tenant data: never kept by a shared cache
    }
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return headers
