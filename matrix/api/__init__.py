"""The HTTP API: the origin's routes under ``/v1``, per-tenant bearer tokens, JSON errors.

Built over one wired application by :func:`create_api`; ``matrix serve`` mounts it beside the
dashboards. Route groups live in ``matrix.api.routes``; see ``matrix.api.routing`` for how one is
declared.
"""

from __future__ import annotations

from matrix.api.app import build_fastapi, create_api, write_document

__all__ = ["build_fastapi", "create_api", "write_document"]
