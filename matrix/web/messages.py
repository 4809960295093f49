"""What a user may be shown of an error: the message itself for their own mistakes, and for a
store failure a plain sentence with a reference, never SQL, a store URL or a file path (those go
to the server log under the same reference)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable

from matrix.errors import MatrixError, StorageError

LOG = logging.getLogger("matrix.web")


def public_message(exc: MatrixError, *, hidden: Iterable[str] = ()) -> str:
    """The text to show for ``exc``; ``hidden`` are strings that must never be shown (the
    store's URL, its file path), and a message carrying one is replaced like a store failure."""
    text = str(exc)
    if not isinstance(exc, StorageError) and not any(h and h in text for h in hidden):
        return text
    reference = secrets.token_hex(4)
    LOG.error("Error %s shown to a user as a reference: %s", reference, text)
    return (
        "The store could not answer this request. Try again; if it keeps failing, ask an"
        f" administrator to look for reference {reference} in the server log."
    )
