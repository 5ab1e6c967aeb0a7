"""Builtin ETP programmes: one JSON file per (key, version), named ``<key>.v<version>.json``.

Loaded by :func:`parcours.education.programme.load_builtin_programmes`. Never edit a version that patients may
have started (a patient keeps the version they started): copy it to ``<key>.v<N+1>.json`` and change the copy;
new or changed module texts get new file names (``<module>.v<N+1>.md``).
"""
