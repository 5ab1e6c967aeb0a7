"""Builtin pathway definitions: one JSON file per (key, version), named ``<key>.v<version>.json``.

Loaded by :func:`parcours.pathways.engine.load_builtin_definitions`. Never edit a version that patients
may be on: copy it to ``<key>.v<N+1>.json`` and change the copy.
"""
