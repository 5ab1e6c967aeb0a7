"""A nurse's rounds as iCalendar (RFC 5545), with the icalendar library."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from parcours.accounts.models import User
from parcours.logistics.selectors import RouteView

PARIS = ZoneInfo("Europe/Paris")


def _at(date: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(date, dt.time(h % 24, m), tzinfo=PARIS)


def round_to_ical(*, nurse: User, rounds: Sequence[tuple[dt.date, RouteView]]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Parcours//Tournées HAD//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Tournée — {nurse.get_full_name() or nurse.username}")
    cal.add("x-wr-timezone", "Europe/Paris")
    for date, route in rounds:
        for i, stop in enumerate(route.stops):
            event = Event()
            event.add("uid", f"{date.isoformat()}-{route.nurse_key}-{i}@parcours")
            event.add("dtstamp", dt.datetime.now(tz=dt.UTC))
            event.add("dtstart", _at(date, stop.start))
            event.add("dtend", _at(date, stop.end))
            if stop.kind == "pickup":
                event.add("summary", f"Retrait des poches — {stop.title}")
                event.add("description", stop.detail)
            else:
                event.add(
                    "summary", f"{stop.visit.get_kind_display() if stop.visit else 'Visite'} — {stop.title}"
                )
                if stop.visit is not None:
                    p = stop.visit.patient
                    event.add("location", f"{p.address}, {p.postcode} {p.city}")
                    event.add("description", f"Tél. {p.phone}" if p.phone else "")
            cal.add_component(event)
    return cal.to_ical()
