from __future__ import annotations

import re

from django.test import Client
from icalendar import Calendar

from parcours.logistics.models import PlanRun

PASSWORD = "un-mot-de-passe-solide"


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_planner_runs_a_plan_and_sees_routes_map_and_timelines(
    day, django_capture_on_commit_callbacks
) -> None:
    client = _client(day.planner)
    page = client.get(f"/planification/?date={day.date.isoformat()}")
    assert page.status_code == 200
    assert "5 visites à faire" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/planification/calcul/", {"date": day.date.isoformat(), "time_limit_s": "2"})
    assert response.status_code == 302
    run = PlanRun.objects.get()
    progress = client.get(f"/planification/calcul/{run.external_id}/progression/")
    assert progress.status_code == 200 and progress["HX-Refresh"] == "true"
    html = client.get(f"/planification/?date={day.date.isoformat()}").content.decode()
    assert "<strong>5</strong> visites placées" in html
    assert "<svg" in html and "polyline" in html
    assert "gantt-bar" in html
    assert "Anne Un" in html and "PUI Test" in html
    # workload balance: each nurse's working time and the day's range (plan JSON "work_min")
    assert "temps de travail par tournée" in html
    works = [r["work_min"] for r in PlanRun.objects.get().plan["routes"]]
    assert f"{round(min(works))}–{round(max(works))} min" in html


def test_bad_time_limit_in_the_form_is_explained_and_nothing_is_queued(day) -> None:
    client = _client(day.planner)
    response = client.post(
        "/planification/calcul/", {"date": day.date.isoformat(), "time_limit_s": "abc"}, follow=True
    )
    assert "Durée de calcul invalide" in response.content.decode()
    assert PlanRun.objects.count() == 0


def test_the_planning_page_is_not_found_for_a_nurse(day) -> None:
    assert _client(day.nurses[0]).get("/planification/").status_code == 404


def test_the_nurse_sees_her_round_and_subscribes_to_it(day, django_capture_on_commit_callbacks) -> None:
    client = _client(day.planner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/planification/calcul/", {"date": day.date.isoformat(), "time_limit_s": "2"})
    nurse = day.nurses[0]
    page = _client(nurse).get(f"/ma-tournee/?date={day.date.isoformat()}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Retrait des poches" in html
    feed_url = re.search(r'href="http://testserver(/agenda/[^"]+\.ics)"', html)
    assert feed_url is not None
    feed = Client().get(feed_url.group(1))  # no login: the signed link is the credential
    assert feed.status_code == 200
    assert feed["Content-Type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(feed.content).walk("VEVENT")]
    assert len(events) >= 3
    assert any("Retrait des poches" in str(e["SUMMARY"]) for e in events)


def test_a_tampered_calendar_link_is_not_found(day) -> None:
    assert Client().get("/agenda/abc.def.ics").status_code == 404


def test_the_planning_page_adds_a_visit_and_explains_a_bad_one(day) -> None:
    client = _client(day.planner)
    data = {
        "date": day.date.isoformat(),
        "visit-patient": day.patients[1].pk,
        "visit-kind": "follow_up",
        "visit-window_start": "14:00",
        "visit-window_end": "13:00",
        "visit-duration_min": "30",
    }
    page = client.post("/planification/visites/ajouter/", data, follow=True).content.decode()
    assert "La visite n&#x27;a pas été ajoutée" in page and "Le début doit précéder la fin." in page
    data["visit-window_end"] = "16:00"
    page = client.post("/planification/visites/ajouter/", data, follow=True).content.decode()
    assert "Visite ajoutée" in page
    assert "6 visites à faire" in page


def test_bad_pin_input_is_explained_and_a_malformed_id_is_not_found(day) -> None:
    client = _client(day.planner)
    visit = day.visits[2]
    page = client.post(
        f"/planification/visites/{visit.external_id}/epingler/", {"start": "25h"}, follow=True
    ).content.decode()
    assert "Heure (HH:MM) ou infirmier(ère) invalide." in page
    visit.refresh_from_db()
    assert visit.pinned_start is None
    assert client.post("/planification/visites/pas-un-id/epingler/", {"start": "10:00"}).status_code == 404
