"""Monitoring: telemonitoring between cures (issue 4) — questionnaires, grading, triage, alerts.

The modules present so far are the pure core (stdlib only, no Django, no other ``parcours`` app):
:mod:`.pro_ctcae` (PRO-CTCAE item library and Basch 2021 composite grading), :mod:`.labs` (CTCAE v5 lab and
vital grading), :mod:`.triage` (policy ``parcours-triage-1``, clinical-rules A.1) and :mod:`.cli`
(``parcours triage``). Their data live in :mod:`.data`. See ``docs/subsystems/monitoring.md``.
"""
