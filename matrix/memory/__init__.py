"""Memory: short (a session's last turns), medium (episodes) and long (facts learned from the
owner, promoted, merged and superseded), recalled into every owner turn. See
:mod:`matrix.memory.service`."""
