"""The home cures of a day reach the day plan: the cures visit source and the logistics gathering on it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from parcours.accounts.models import Organisation
from parcours.audit.models import AuditEvent
from parcours.core.errors import Forbidden
from parcours.cures import services
from parcours.cures.models import Cure
from parcours.cures.tests.conftest import T0, TODAY, CureWorld, lab_items, run_to_delivered
from parcours.cures.visits import OBSERVATION_MIN, UNKNOWN_STABILITY_MIN, home_cure_visits, source_ref
from parcours.logistics import services as logistics
from parcours.logistics.enums import VisitKind, VisitStatus
from parcours.logistics.models import HomeVisit
from parcours.pathways.models import PatientPathway
from parcours.patients.models import Patient, TimelineEvent
from parcours.testing.factories import OrganisationFactory, PatientFactory, add_member

PEMBRO_96H = 96 * 60  # refrigerated pembrolizumab: 96 h from dilution to the end of the infusion
INFUSION = 30


@pytest.fixture
def home(cw: CureWorld) -> CureWorld:
    """The cure world with the patient's address and the PUI located (the planner needs coordinates)."""
    Patient.objects.filter(pk=cw.patient.pk).update(latitude=45.75, longitude=4.86)
    cw.patient.refresh_from_db()
    cw.pharmacy.latitude, cw.pharmacy.longitude = 45.74, 4.88
    cw.pharmacy.save(update_fields=["latitude", "longitude"])
    return cw


def _home_patient(cw: CureWorld, had: Organisation, **kwargs: object) -> Patient:
    patient = PatientFactory(hospital=cw.hospital, had=had, latitude=45.76, longitude=4.85, **kwargs)
    add_member(patient, cw.oncologist)
    PatientPathway.objects.create(
        patient=patient,
        definition_key="clb_home_immunotherapy",
        definition_version=1,
        state="s3",
        state_entered_at=T0 - dt.timedelta(days=30),
        started_at=T0 - dt.timedelta(days=200),
    )
    return patient


def _gather(cw: CureWorld) -> logistics.GatherReport:
    return logistics.visits_gather(actor=cw.logistician, had=cw.had, date=TODAY)


def _ready_for_preparation(cw: CureWorld, cure: Cure) -> None:
    services.cure_labs_record(actor=cw.idec, cure=cure, items=lab_items(T0 - dt.timedelta(hours=20)))
    services.cure_vitals_record(
        actor=cw.nurse, cure=cure, values={"TEMP": Decimal("36.8")}, observed_at=T0 - dt.timedelta(minutes=5)
    )
    services.cure_ok_give(actor=cw.oncologist, cure=cure, kind="cycle")
    services.cure_ok_give(actor=cw.had_physician, cure=cure, kind="day_of_cure")


def test_the_source_proposes_exactly_the_home_cures_of_the_had_and_the_date(home: CureWorld) -> None:
    cure = home.first_cure(home.plan())
    # same HAD, day hospital (no home pathway)
    Patient.objects.filter(pk=home.other_patient.pk).update(had=home.had)
    home.other_patient.refresh_from_db()
    hdj = home.first_cure(home.plan(patient=home.other_patient))
    assert hdj.place == "hdj" and hdj.had_id == home.had.pk
    # at home, another HAD
    other_had = OrganisationFactory(had=True, name="HAD Ailleurs")
    elsewhere = home.first_cure(home.plan(patient=_home_patient(home, other_had)))
    assert elsewhere.place == "home" and elsewhere.had_id == other_had.pk
    # at home, same HAD, cancelled
    cancelled = home.first_cure(home.plan(patient=_home_patient(home, home.had)))
    services.cure_cancel(actor=home.oncologist, cure=cancelled, reason="Hospitalisation")

    proposals = home_cure_visits(home.had, TODAY)

    assert [p.source_ref for p in proposals] == [source_ref(cure)]
    p = proposals[0]
    assert p.patient_id == home.patient.pk and p.kind == VisitKind.ADMINISTRATION
    assert p.skills == ("immuno",)  # a checkpoint inhibitor (PD-1)
    assert p.duration_min == INFUSION + OBSERVATION_MIN
    # the calendar's default 09:00 is no time agreed with the patient: the morning window
    assert (p.window_start, p.window_end) == (dt.time(9), dt.time(12))
    # bag not prepared yet: planned release at 09:00, stability from the drug's data (refrigerated)
    assert (p.bag_pharmacy_id, p.bag_ready) == (home.pharmacy.pk, dt.time(9))
    assert p.bag_stability_min == PEMBRO_96H - INFUSION
    assert home_cure_visits(home.had, TODAY + dt.timedelta(days=1)) == []
    assert [x.source_ref for x in home_cure_visits(other_had, TODAY)] == [source_ref(elsewhere)]


def test_gathering_twice_creates_nothing_the_second_time(home: CureWorld) -> None:
    cure = home.first_cure(home.plan())
    first = _gather(home)
    assert [v.source_ref for v in first.created] == [source_ref(cure)]
    visit = HomeVisit.objects.get()
    assert (visit.patient_id, visit.had_id, visit.date, visit.status) == (
        home.patient.pk,
        home.had.pk,
        TODAY,
        VisitStatus.PLANNED,
    )
    assert "cure n°5" in visit.note
    assert AuditEvent.objects.filter(object_type="home_visit", object_id=str(visit.external_id)).exists()
    assert TimelineEvent.objects.filter(patient=home.patient, kind="visit.planned").count() == 1

    second = _gather(home)
    assert second.created == [] and second.already == [source_ref(cure)] and second.skipped == []
    assert HomeVisit.objects.count() == 1
    assert TimelineEvent.objects.filter(patient=home.patient, kind="visit.planned").count() == 1


def test_a_prepared_bag_gives_its_real_ready_time_and_stability(home: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = home.first_cure(home.plan(regimen_id="nivolumab_240mg_q2w"))
    _gather(home)
    visit = HomeVisit.objects.get()
    # nivolumab: no stability in the data before the pharmacy sets its local limit
    assert (visit.bag_ready, visit.bag_stability_min) == (dt.time(9), UNKNOWN_STABILITY_MIN)

    _ready_for_preparation(home, cure)
    services.cure_preparation_record(
        actor=home.pharmacist,
        cure=cure,
        lot="N-1",
        prepared_at=T0 - dt.timedelta(minutes=15),  # 07:45 in Paris
        local_limit_hours=6,
        local_limit_reason="RCP US lu par la PUI",
    )
    report = _gather(home)
    assert report.created == [] and report.refreshed == [source_ref(cure)]
    visit.refresh_from_db()
    assert (visit.bag_ready, visit.bag_stability_min) == (dt.time(7, 45), 6 * 60 - INFUSION)

    clock.shift(dt.timedelta(minutes=20))
    services.bag_release(actor=home.pharmacist, cure=cure)  # released at 08:20: collected from then on
    _gather(home)
    visit.refresh_from_db()
    assert (visit.bag_ready, visit.bag_stability_min) == (dt.time(8, 20), 6 * 60 - INFUSION - 35)


def test_a_pinned_visit_keeps_its_bag_facts(home: CureWorld) -> None:
    cure = home.first_cure(home.plan())
    _gather(home)
    visit = HomeVisit.objects.get()
    visit.pinned_start = dt.time(10)
    visit.save(update_fields=["pinned_start"])
    _ready_for_preparation(home, cure)
    services.cure_preparation_record(actor=home.pharmacist, cure=cure, lot="P", prepared_at=T0)
    assert _gather(home).refreshed == []
    visit.refresh_from_db()
    assert visit.bag_ready == dt.time(9)


def test_a_bag_brought_home_by_the_logistician_is_not_collected_by_the_nurse(home: CureWorld, clock) -> None:  # type: ignore[no-untyped-def]
    cure = run_to_delivered(home, home.first_cure(home.plan()), clock)
    (p,) = home_cure_visits(home.had, TODAY)
    assert p.source_ref == source_ref(cure)
    assert (p.bag_pharmacy_id, p.bag_ready, p.bag_stability_min) == (None, None, None)
    assert p.window_end == dt.time(12)  # 96 h: the bag outlives the morning


def test_a_visit_cancelled_by_the_planner_is_not_recreated(home: CureWorld) -> None:
    home.plan()
    _gather(home)
    visit = HomeVisit.objects.get()
    logistics.visit_cancel(actor=home.logistician, visit=visit, reason="Patient absent ce matin")
    report = _gather(home)
    assert report.created == [] and report.cancelled == [visit.source_ref]
    assert list(HomeVisit.objects.values_list("status", flat=True)) == [VisitStatus.CANCELLED]


def test_a_patient_without_coordinates_is_reported_not_added(home: CureWorld) -> None:
    home.plan()
    Patient.objects.filter(pk=home.patient.pk).update(latitude=None, longitude=None)
    report = _gather(home)
    assert report.created == [] and len(report.skipped) == 1
    assert "coordonnées" in report.skipped[0].reason
    assert home.patient.display_name in report.skipped[0].label
    assert HomeVisit.objects.count() == 0


def test_a_postponed_cure_leaves_its_gathered_visit_for_the_planner_to_cancel(home: CureWorld) -> None:
    cure = home.first_cure(home.plan())
    _gather(home)
    services.cure_postpone(actor=home.oncologist, cure=cure, days=2, reason="Fatigue")
    report = _gather(home)
    assert report.created == [] and [v.source_ref for v in report.stale] == [source_ref(cure)]
    assert HomeVisit.objects.get().status == VisitStatus.PLANNED  # never cancelled behind the planner's back


def test_only_a_role_that_plans_may_gather(home: CureWorld) -> None:
    home.plan()
    for actor in (home.nurse, home.pharmacist, home.oncologist):
        with pytest.raises(Forbidden):
            logistics.visits_gather(actor=actor, had=home.had, date=TODAY)
    assert HomeVisit.objects.count() == 0


def test_the_planning_page_gathers_the_home_cures_through_http(home: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    home.plan()
    client = web_client(home.logistician)
    page = client.get(f"/planification/?date={TODAY.isoformat()}").content.decode()
    assert "Rassembler les visites du jour" in page
    assert "1 cure à domicile du jour n'est pas encore au planning" in page

    response = client.post("/planification/visites/rassembler/", {"date": TODAY.isoformat()}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Visites du jour rassemblées : 1 visite ajoutée." in html
    assert home.patient.display_name in html
    assert "pas encore au planning" not in html
    assert HomeVisit.objects.count() == 1

    again = client.post("/planification/visites/rassembler/", {"date": TODAY.isoformat()}, follow=True)
    assert "Visites du jour rassemblées : 1 déjà au planning." in again.content.decode()
    assert HomeVisit.objects.count() == 1


def test_the_gather_button_is_not_there_for_a_nurse(home: CureWorld, web_client) -> None:  # type: ignore[no-untyped-def]
    home.plan()
    client = web_client(home.nurse)
    assert client.post("/planification/visites/rassembler/", {"date": TODAY.isoformat()}).status_code == 404
    assert HomeVisit.objects.count() == 0
