"""Packaged data of the monitoring core (JSON), read with :mod:`importlib.resources`; see ``SOURCES.md``.

Never edit a policy file that results were produced with: copy ``parcours-triage-1.json`` to
``parcours-triage-2.json`` and change the copy (the policy id is stored with every triage result).
"""
