"""Education data (package data): ``courses.json`` (professional training catalogue), ``readiness.v1.json``
(readiness criteria and support-plan mapping), ``programmes/`` (ETP programmes) and ``modules/`` (module texts).
"""
