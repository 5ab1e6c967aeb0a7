"""Telemonitoring settings: ``settings.TELEMONITORING`` (a dict) overrides these defaults."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # urgent alert not acknowledged after this many minutes -> the HAD on-call doctor
    "urgent_escalation_minutes": 30,
    # same_day alert not acknowledged by this local time -> referent oncologist + HAD on-call doctor
    "same_day_escalation_time": "18:00",
    # phone numbers shown to the patient with the on-screen instruction
    "care_team_phone": "04 78 00 00 00",
    "emergency_numbers": ["15", "112"],
    # secure questionnaire links
    "link_ttl_hours": 72,
    # missed questionnaire: reminder after this many hours past due, IDEC task after that many
    "reminder_after_hours": 24,
    "task_after_hours": 48,
    # follow-up call after a home administration (sequence S2): D+10
    "followup_call_days": 10,
    # recall windows when a triage combines the latest data of each kind
    "pro_window_days": 7,
    "lab_window_days": 7,
    "vital_window_hours": 48,
    "public_base_url": "",
}


def get(name: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "TELEMONITORING", {})}[name]


def urgent_escalation_delay() -> dt.timedelta:
    return dt.timedelta(minutes=int(get("urgent_escalation_minutes")))


def same_day_escalation_time() -> dt.time:
    hours, minutes = str(get("same_day_escalation_time")).split(":")
    return dt.time(int(hours), int(minutes))
