"""Business modules: one package each (customers, agenda, billing, crm, agreements), each with
its service, task handlers, command group and ``spec.py``; ``registry.py`` lists them, and the
shared pieces (``context``, ``ports``, ``tasks``, ``values``, ``extract``) live beside it.

Storage implements the repository protocols declared in ``ports``.
"""
