"""Demo data for telemonitoring, on top of the base demo: plans, weekly questionnaires answered through secure
links (a few entered by the IDEL), labs, triage results, closed past alerts and a few open ones today."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from unittest import mock

from django.db import transaction
from django.utils import timezone

from parcours.accounts.models import User
from parcours.clinical.services import ObservationInput, observations_record
from parcours.core import clock
from parcours.core.errors import DomainError
from parcours.patients.models import CareTeamMembership, Patient
from parcours.telemonitoring import questionnaires, schedules, services
from parcours.telemonitoring.enums import AlertStatus
from parcours.telemonitoring.models import Alert

REGIMENS = (
    "pembrolizumab",
    "nivolumab",
    "nivolumab + ipilimumab",
    "atezolizumab",
    "durvalumab",
    "cemiplimab",
)
# answers for the last questionnaire of some patients: (label, answers) - the rest answer mostly "no symptom"
TODAY_CASES: tuple[tuple[str, dict[str, int]], ...] = (
    ("urgent", {"PROCTCAE_19A_SCL": 3, "PROCTCAE_19B_SCL": 2, "PROCTCAE_20A_SCL": 2, "PROCTCAE_20B_SCL": 1}),
    (
        "same_day",
        {"PROCTCAE_16A_SCL": 3, "PROCTCAE_17A_SCL": 2, "PROCTCAE_17B_SCL": 1, "PROCTCAE_17C_SCL": 1},
    ),
    ("same_day", {"PROCTCAE_53A_SCL": 3, "PROCTCAE_53B_SCL": 3, "PROCTCAE_8A_SCL": 2, "PROCTCAE_8B_SCL": 1}),
    ("routine", {"PROCTCAE_28A_SCL": 1, "PROCTCAE_24A_IND": 1}),
)


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    with (
        mock.patch.object(clock, "now", lambda: moment),
        mock.patch.object(clock, "today", lambda: timezone.localdate(moment)),
    ):
        yield


def _member(patient: Patient, role: str) -> User | None:
    row = (
        CareTeamMembership.objects.filter(patient=patient, until__isnull=True, user__role__code=role)
        .select_related("user")
        .first()
    )
    return row.user if row is not None else None


def _mild(rng: random.Random, definition: questionnaires.Definition) -> dict[str, int]:
    """A week with few symptoms: most terms 'never/none', now and then a mild one (branching respected)."""
    answers: dict[str, int] = {}
    for block in definition.blocks:
        previous: int | None = None
        for q in block.questions:
            if q.enable_when is not None and not previous:
                break
            value = (
                rng.choices([0, 1, 2], weights=[88, 10, 2])[0] if q.enable_when is None else rng.randint(1, 2)
            )
            value = min(value, len(q.options) - 1)  # presence items: 0/1
            answers[q.var] = value
            previous = value
    return answers


def _submit(patient: Patient, actor: User, answers: dict[str, Any], key: str, by_link: bool) -> None:
    assignment = services.questionnaire_assign(
        actor=actor, patient=patient, due_at=clock.now() + dt.timedelta(hours=12), reason="weekly"
    )
    if by_link and patient.phone:
        try:
            issued = services.questionnaire_link_send(actor=actor, assignment=assignment, channel="sms")
            services.response_submit_by_link(
                token=issued.token, client_ip="10.0.0.1", answers=answers, free_text="", submission_key=key
            )
            return
        except DomainError:
            pass  # no usable mobile number: the IDEL enters it below
    nurse = _member(patient, "idel") or actor
    services.response_submit_proxy(
        actor=nurse, patient=patient, answers=answers, free_text="", submission_key=key, assignment=assignment
    )


def _labs(rng: random.Random, patient: Patient, actor: User, at: dt.datetime, severe: bool) -> None:
    alt = Decimal(rng.randint(180, 260)) if severe else Decimal(rng.randint(14, 48))
    items = [
        ObservationInput("lab", "ALT", alt, "U/L", at - dt.timedelta(hours=3), upper=Decimal(40)),
        ObservationInput(
            "lab", "AST", Decimal(rng.randint(15, 45)), "U/L", at - dt.timedelta(hours=3), upper=Decimal(35)
        ),
        ObservationInput(
            "lab",
            "NEUTROPHILS",
            Decimal(rng.randint(19, 60)) / 10,
            "10^9/L",
            at - dt.timedelta(hours=3),
            lower=Decimal("1.8"),
        ),
        ObservationInput(
            "lab",
            "CREATININE",
            Decimal(rng.randint(60, 110)),
            "µmol/L",
            at - dt.timedelta(hours=3),
            upper=Decimal(104),
        ),
        ObservationInput(
            "lab",
            "TSH",
            Decimal(rng.randint(5, 60)) / 10,
            "mUI/L",
            at - dt.timedelta(hours=3),
            lower=Decimal("0.4"),
            upper=Decimal(4),
        ),
    ]
    observations_record(actor=actor, patient=patient, items=items, source="import")


def load_demo(*, seed: int, progress: Callable[[str], None], limit: int = 14) -> None:
    """Telemonitoring for up to ``limit`` patients of the demo IDEC ("idec"), with 4-10 weeks of history."""
    rng = random.Random(seed + 4)
    idec = User.objects.filter(username="idec").first()
    if idec is None:
        progress("telemonitoring: no 'idec' user, nothing done")
        return
    patients = list(
        Patient.objects.filter(care_team__user=idec, care_team__until__isnull=True)
        .select_related("hospital", "had")
        .order_by("id")[:limit]
    )
    now = clock.now()
    definition = questionnaires.load()
    for index, patient in enumerate(patients):
        weeks = rng.randint(4, 10)
        start = (now - dt.timedelta(weeks=weeks, days=1)).date()
        with _at(now - dt.timedelta(weeks=weeks, days=1)):
            schedules.plan_set(
                actor=idec,
                patient=patient,
                treatment_start=start,
                regimen=rng.choice(REGIMENS),
                send_channel="proxy" if index % 5 == 4 else "sms",
                sequence=rng.choice(["S1", "S2"]),
            )
        for week in range(1, weeks + 1):
            moment = dt.datetime.combine(start + dt.timedelta(weeks=week), dt.time(10, 30), tzinfo=dt.UTC)
            if moment >= now:
                break
            last = week == weeks
            with _at(moment), transaction.atomic():
                if week % 3 == 0:
                    _labs(rng, patient, idec, moment, severe=last and index == 1)
                answers = (
                    dict(TODAY_CASES[index][1])
                    if last and index < len(TODAY_CASES)
                    else _mild(rng, definition)
                )
                _submit(patient, idec, answers, f"demo-{seed}-{patient.pk}-{week}", by_link=index % 5 != 4)
            if not last:  # past alerts were handled: acknowledged, an action, closed; holds reviewed
                with _at(moment + dt.timedelta(minutes=rng.randint(5, 25))):
                    for alert in Alert.objects.filter(patient=patient).exclude(status=AlertStatus.CLOSED):
                        if alert.status == AlertStatus.OPEN:
                            services.alert_acknowledge(actor=idec, alert=alert)
                        services.alert_action(
                            actor=idec, alert=alert, note="Appel du patient, conseils donnés"
                        )
                        services.alert_close(actor=idec, alert=alert, reason="Symptôme résolu au rappel")
                    hold = services.TreatmentHold.objects.filter(patient=patient, status="open").first()
                    doctor = _member(patient, "oncologist")
                    if hold is not None and doctor is not None:
                        services.hold_review(
                            actor=doctor, hold=hold, decision="lift", note="Reprise autorisée"
                        )
        if index == 2:  # an S2 patient: the D+10 call after the last home administration
            schedules.followup_call_schedule(patient=patient, administered_at=now - dt.timedelta(days=9))
    open_alerts = Alert.objects.exclude(status=AlertStatus.CLOSED).count()
    progress(f"telemonitoring: {len(patients)} patients followed, {open_alerts} open alerts")
