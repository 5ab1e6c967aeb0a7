"""Treatments: regimens, cures, the pre-infusion OK, preparation, delivery and administration.

The modules present so far are the pure domain core (stdlib only, no Django, no other ``parcours`` module):
:mod:`.regimens` (regimens as versioned data), :mod:`.calendar` (cure calendar and postponement),
:mod:`.stability` (stability deadline of a prepared bag), :mod:`.ok_gate` (the "OK clinique et biologique")
and :mod:`.cure_machine` (the life cycle of one cure). See ``docs/subsystems/treatments.md``.
"""
