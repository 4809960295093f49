"""One module per page: ``PATH``, ``NAME``, ``layout()``, ``render(user, …)`` (the main callback as
a plain function), and ``register(app)`` that wires ``render`` to the shared filters."""

from dashboards.pages import (
    approvals,
    conversations,
    cost,
    delivery,
    gates,
    overview,
    reliability,
    traces,
)

PAGES = (overview, delivery, cost, reliability, approvals, conversations, traces, gates)
