"""Pathology tracking, RCP, screening routed to teams, discharge referrals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from parcours.core.errors import Conflict, Forbidden, ValidationFailed
from parcours.fasttrack import selectors, services
from parcours.fasttrack.enums import EventKind, PathologyStatus, RcpStatus, TaskKind
from parcours.fasttrack.models import CoordinatorTask, PathologyRequest, PathwayEvent, TeamContact
from parcours.fasttrack.tests.conftest import NOW, Ft, accepted
from parcours.notifications.models import Notification
from parcours.patients.models import TimelineEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("at_now")]


def _sent(ft: Ft) -> PathologyRequest:
    r = accepted(ft)
    req = services.pathology_request_create(
        actor=ft.coordinator,
        referral=r,
        sample_site="Tête du pancréas (écho-endoscopie)",
        smoker=True,
        metastatic=False,
        context="first",
        molecular_tests="KRAS, BRCA",
    )
    return services.pathology_sample_sent(actor=ft.coordinator, request=req)


def test_overdue_pathology_steps_raise_coordinator_tasks_once(ft: Ft) -> None:
    req = _sent(ft)
    assert services.pathology_overdue_scan() == 0
    with time_machine.travel(NOW + dt.timedelta(days=3, minutes=1), tick=False):
        assert services.pathology_overdue_scan() == 1  # contributive or not: expected by D+3
        assert services.pathology_overdue_scan() == 0
    with time_machine.travel(NOW + dt.timedelta(days=4, minutes=1), tick=False):
        assert services.pathology_overdue_scan() == 1  # intermediate by D+4
    keys = set(CoordinatorTask.objects.values_list("key", flat=True))
    assert keys == {f"patho-{req.pk}-notice", f"patho-{req.pk}-intermediate"}
    assert all(t.kind == TaskKind.PATHOLOGY_OVERDUE for t in CoordinatorTask.objects.all())


def test_a_result_arriving_closes_the_overdue_tasks(ft: Ft) -> None:
    req = _sent(ft)
    p = req.patient
    with time_machine.travel(NOW + dt.timedelta(days=5), tick=False):
        services.pathology_overdue_scan()
        services.pathology_report(
            actor=ft.coordinator,
            request=req,
            stage="final",
            text="Adénocarcinome canalaire.",
            report_birth_name=p.birth_name.upper(),
            report_birth_date=p.birth_date,
        )
    assert not CoordinatorTask.objects.filter(done_at__isnull=True).exists()
    req.refresh_from_db()
    assert req.status == PathologyStatus.FINAL
    assert PathwayEvent.objects.filter(referral=req.referral, kind=EventKind.PATHOLOGY_RESULT).exists()


def test_a_result_for_another_identity_is_not_attached(ft: Ft) -> None:
    req = _sent(ft)
    with pytest.raises(ValidationFailed, match="identité"):
        services.pathology_report(
            actor=ft.coordinator,
            request=req,
            stage="final",
            text="Résultat",
            report_birth_name="DURAND",
            report_birth_date=req.patient.birth_date,
        )
    req.refresh_from_db()
    assert req.final_text == "" and req.status == PathologyStatus.SENT


def test_a_non_contributive_biopsy_asks_for_a_new_sample(ft: Ft) -> None:
    req = _sent(ft)
    services.pathology_report(
        actor=ft.coordinator,
        request=req,
        stage="non_contributive",
        text="Matériel insuffisant.",
        report_birth_name=req.patient.birth_name,
        report_birth_date=req.patient.birth_date,
    )
    assert CoordinatorTask.objects.filter(key=f"patho-rebiopsy-{req.pk}").exists()


def test_pathology_refuses_a_result_before_the_sample_is_sent(ft: Ft) -> None:
    r = accepted(ft)
    req = services.pathology_request_create(actor=ft.coordinator, referral=r, sample_site="Foie")
    with pytest.raises(Conflict):
        services.pathology_report(actor=ft.coordinator, request=req, stage="final", text="x")
    with pytest.raises(ValidationFailed):
        services.pathology_request_create(actor=ft.coordinator, referral=r, sample_site=" ")


def test_rcp_case_completeness_decision_and_transmission(ft: Ft) -> None:
    r = accepted(ft)
    case = services.rcp_case_create(
        actor=ft.coordinator, referral=r, meeting_date=dt.date(2026, 3, 9), question="Résécable ?"
    )
    row = selectors.rcp_cases()[0]
    assert not row.complete and ("Question posée à la RCP", True) in row.checks
    with pytest.raises(Conflict):
        services.rcp_transmit(actor=ft.coordinator, case=case)
    with pytest.raises(Conflict):
        services.rcp_case_create(actor=ft.coordinator, referral=r, meeting_date=dt.date(2026, 3, 9))
    case = services.rcp_decide(
        actor=ft.coordinator,
        case=case,
        decision="Chimiothérapie néo-adjuvante FOLFIRINOX.",
        treatment_planned_on=dt.date(2026, 3, 16),
    )
    case = services.rcp_transmit(actor=ft.coordinator, case=case, service_emails=["onco@chu.fr", " "])
    assert case.status == RcpStatus.TRANSMITTED
    bodies = list(Notification.objects.filter(subject__icontains="RCP").values_list("to", "body"))
    assert {to for to, _b in bodies} == {"onco@chu.fr", "dr.generaliste@medecin.mssante.fr"}
    assert all("FOLFIRINOX" in b for _t, b in bodies)
    assert PathwayEvent.objects.filter(referral=r, kind=EventKind.RCP).exists()
    with pytest.raises(Forbidden):
        services.rcp_decide(actor=ft.gp, case=case, decision="x")


def test_a_positive_distress_screening_is_routed_to_the_supportive_care_team(ft: Ft) -> None:
    TeamContact.objects.create(team="supportive_care", email="soins.support@chu.fr")
    r = accepted(ft)
    rec = services.screening_record(
        actor=ft.coordinator, patient=r.patient, instrument="distress", answers={"score": 4}, referral=r
    )
    assert rec.positive and rec.route_to == "supportive_care"
    task = CoordinatorTask.objects.get(kind=TaskKind.SCREENING_POSITIVE)
    assert task.team == "supportive_care"
    assert Notification.objects.get(to="soins.support@chu.fr")
    assert PathwayEvent.objects.filter(referral=r, kind=EventKind.SUPPORTIVE_ASSESSMENT).count() == 1
    neg = services.screening_record(
        actor=ft.coordinator, patient=r.patient, instrument="distress", answers={"score": 3}, referral=r
    )
    assert not neg.positive and CoordinatorTask.objects.count() == 1
    assert TimelineEvent.objects.filter(patient=r.patient, kind="fasttrack.screening").count() == 2


def test_g8_is_for_patients_of_75_and_more(ft: Ft) -> None:
    young = accepted(ft, patient_birth_date=dt.date(1960, 1, 1))
    with pytest.raises(ValidationFailed, match="75 ans"):
        services.screening_record(actor=ft.coordinator, patient=young.patient, instrument="g8", answers={})
    old = accepted(ft, patient_birth_name="Ancien", patient_birth_date=dt.date(1940, 1, 1))
    answers = {"A": 2, "B": 3, "C": 2, "D": 2, "E": 3, "F": 1, "G": 1, "H": 2}
    assert not services.screening_record(
        actor=ft.coordinator, patient=old.patient, instrument="g8", answers=answers
    ).positive
    answers["B"] = 0
    rec = services.screening_record(
        actor=ft.coordinator, patient=old.patient, instrument="g8", answers=answers
    )
    assert rec.positive and rec.score == 13 and rec.route_to == "geriatric_oncology"


def test_invalid_screening_answers_name_the_item_and_save_nothing(ft: Ft) -> None:
    r = accepted(ft)
    with pytest.raises(ValidationFailed) as exc:
        services.screening_record(
            actor=ft.coordinator, patient=r.patient, instrument="distress", answers={"score": 11}
        )
    assert "score" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        services.screening_record(actor=ft.coordinator, patient=r.patient, instrument="nope", answers={})
    with pytest.raises(Forbidden):
        services.screening_record(
            actor=ft.secretary, patient=r.patient, instrument="distress", answers={"score": 1}
        )


def test_discharge_referrals_are_tracked_to_their_answer(ft: Ft) -> None:
    r = accepted(ft)
    dis = services.discharge_refer(actor=ft.coordinator, referral=r, target="prado", to_email="prado@cpam.fr")
    assert "PRADO" in dis.body and "75 ans" in dis.body
    assert services.discharge_overdue_scan() == 0
    with time_machine.travel(NOW + dt.timedelta(hours=49), tick=False):
        assert services.discharge_overdue_scan() == 1
        services.discharge_answer(actor=ft.coordinator, discharge=dis, accepted=True)
    assert not CoordinatorTask.objects.filter(done_at__isnull=True).exists()
    with pytest.raises(Conflict):
        services.discharge_answer(actor=ft.coordinator, discharge=dis, accepted=False)
    with pytest.raises(ValidationFailed):
        services.discharge_refer(actor=ft.coordinator, referral=r, target="moon", to_email="x")
