"""Demo data of the fast-track diagnostic pathway: resources and 8 weeks of slots (sanctuarised two days a week,
shared emergency slots), diagnostic-day templates, referrals in every state (new, incomplete, duplicate,
information requested, accepted, scheduled, redirected), pathology requests (one overdue), RCP cases, screenings
and twelve weeks of history for the indicators.

Writes go through the services with the project clock moved to the moment of each step (as in the cures demo).
The history's later steps (visits, imaging, results) are dated pathway events, since past slots cannot be booked.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

from parcours.accounts.models import User
from parcours.core import clock
from parcours.core.errors import DomainError
from parcours.fasttrack import services
from parcours.fasttrack.enums import EventKind
from parcours.fasttrack.models import DayTemplate, PathwayEvent, Referral, Resource, TeamContact
from parcours.fasttrack.pathways import PATHWAYS

RESOURCES = [
    ("Scanner A (Revolution)", "ct", 48),
    ("Scanner B", "ct", 48),
    ("IRM 1,5 T", "mri", 48),
    ("IRM 3 T", "mri", 72),
    ("TEP-scan", "pet", 72),
    ("Écho-endoscopie", "eus", 48),
    ("Biopsie sous scanner", "biopsy", 48),
    ("Biopsie écho-guidée", "biopsy", 48),
    ("Consultation oncologie digestive", "consult_onco", 48),
    ("Consultation oncologie thoracique", "consult_onco", 48),
    ("Consultation radiologie interventionnelle", "consult_radio", 24),
    ("Consultation chirurgie HPB", "consult_surgeon", 48),
]
TIMES = [dt.time(8, 30), dt.time(9, 30), dt.time(10, 30), dt.time(11, 30), dt.time(14, 0), dt.time(15, 0)]
TEMPLATES = [
    (
        "Journée pancréas — voies biliaires",
        "pancreas",
        [("consult_onco", 1), ("ct", 1), ("mri", 1), ("eus", 2), ("biopsy", 2)],
    ),
    ("Journée poumon (Instadiag)", "lung", [("consult_onco", 1), ("ct", 1), ("pet", 1), ("biopsy", 2)]),
    ("Journée foie", "liver", [("consult_onco", 1), ("ct", 1), ("mri", 1), ("biopsy", 2)]),
    ("Journée diagnostique courte", "", [("consult_onco", 1), ("ct", 1)]),
]
NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefèvre",
    "Faure",
    "André",
]
GIVEN = [
    ("Jean", "M"),
    ("Marie", "F"),
    ("Michel", "M"),
    ("Monique", "F"),
    ("Alain", "M"),
    ("Françoise", "F"),
    ("Bernard", "M"),
    ("Nicole", "F"),
    ("Gérard", "M"),
    ("Sylvie", "F"),
    ("Daniel", "M"),
    ("Catherine", "F"),
]
SUSPICIONS = {
    "pancreas": "Ictère cutanéo-muqueux indolore, amaigrissement, masse de la tête du pancréas au scanner.",
    "lung": "Opacité pulmonaire spiculée de 3 cm, tabagisme 40 PA, hémoptysie.",
    "liver": "Nodule hépatique de 4 cm hypervascularisé sur cirrhose, AFP élevée.",
    "thyroid": "Nodule thyroïdien à croissance rapide, dysphonie, adénopathies cervicales.",
    "lymphoma": "Adénopathies cervicales et axillaires, sueurs nocturnes, LDH élevées.",
    "digestive": "Anémie ferriprive, masse colique à la coloscopie.",
    "glioblastoma": "Céphalées et déficit moteur d'installation rapide, lésion cérébrale à l'IRM.",
}
GPS = [
    ("Dr Claire Vasseur", "c.vasseur"),
    ("Dr Hugo Marchand", "h.marchand"),
    ("Dr Léa Perrin", "l.perrin"),
    ("Cabinet de radiologie Bellecour", "radio.bellecour"),
]


@contextmanager
def _at(moment: dt.datetime) -> Iterator[None]:
    with (
        mock.patch.object(clock, "now", lambda: moment),
        mock.patch.object(clock, "today", lambda: timezone.localdate(moment)),
    ):
        yield


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


class _Demo:
    def __init__(self, seed: int, progress: Callable[[str], None]) -> None:
        self.rng = random.Random(seed + 5)
        self.progress = progress
        self.coordinator = User.objects.get(username="idec")
        self.secretary = User.objects.filter(username="secretaire").first() or self.coordinator
        self.now = clock.now()
        self.tz = timezone.get_current_timezone()
        self.n = 0

    def input(
        self, pathway: str, *, complete: bool = True, urgency: str = "rapid", **over: object
    ) -> services.ReferralInput:
        rng = self.rng
        self.n += 1
        given, sex = rng.choice(GIVEN)
        gp_name, gp_login = rng.choice(GPS)
        exams = list(PATHWAYS[pathway].expected_exams) if complete else []
        data: dict[str, object] = {
            "pathway": pathway,
            "urgency": urgency,
            "referrer_kind": "radiologist" if "radiologie" in gp_name else "gp",
            "referrer_name": gp_name,
            "referrer_email": f"{gp_login}@demo.mssante.fr",
            "referrer_phone": f"04 72 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "patient_birth_name": f"{rng.choice(NAMES)}-{self.n}",
            "patient_given_names": given,
            "patient_birth_date": dt.date(rng.randint(1938, 1975), rng.randint(1, 12), rng.randint(1, 28)),
            "patient_sex": sex,
            "patient_phone": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "patient_postcode": rng.choice(["69003", "69008", "69100", "69200", "01000", "42000"]),
            "first_symptoms_date": (self.now - dt.timedelta(days=rng.randint(20, 60))).date(),
            "suspicion": SUSPICIONS[pathway] if complete or rng.random() < 0.5 else "",
            "exams_done": exams,
        }
        data.update(over)
        return services.ReferralInput(**data)  # type: ignore[arg-type]

    # ---- resources, slots, templates ----
    def resources(self) -> None:
        first = _monday(timezone.localdate(self.now))
        pathways = ["pancreas", "lung", "liver"]
        for i, (name, kind, hours) in enumerate(RESOURCES):
            res = Resource.objects.create(name=name, kind=kind, release_hours=hours)
            # Shared slots every weekday, 8 weeks.
            services.slots_create(
                actor=self.coordinator, resource=res, first_day=first, days=56, times=TIMES[2:], minutes=45
            )
            # Sanctuarised slots two days a week (Tuesday and Thursday mornings) for one pathway.
            services.slots_create(
                actor=self.coordinator,
                resource=res,
                first_day=first,
                days=56,
                times=TIMES[:2],
                minutes=45,
                pathway=pathways[i % 3],
                weekdays=(1, 3),
            )
            # Shared emergency slots on CT and MRI the other mornings.
            if kind in ("ct", "mri"):
                services.slots_create(
                    actor=self.coordinator,
                    resource=res,
                    first_day=first,
                    days=56,
                    times=TIMES[:1],
                    minutes=45,
                    emergency=True,
                    weekdays=(0, 2, 4),
                )
        services.slots_release_due()
        for name, pathway, steps in TEMPLATES:
            DayTemplate.objects.create(
                name=name, pathway=pathway, steps=[{"kind": k, "day": d} for k, d in steps]
            )
        for team, email in (
            ("supportive_care", "soins.support@demo.chu.fr"),
            ("palliative_care", "equipe.palliative@demo.chu.fr"),
            ("geriatric_oncology", "oncogeriatrie@demo.chu.fr"),
        ):
            TeamContact.objects.get_or_create(team=team, defaults={"email": email})
        self.progress(f"{Resource.objects.count()} ressources, créneaux sur 8 semaines")

    # ---- history for the indicators ----
    def history(self, weeks: int = 12) -> None:
        rng = self.rng
        events = []
        for w in range(weeks, 0, -1):
            for _ in range(rng.randint(3, 6)):
                pathway = rng.choice(list(PATHWAYS))
                received = self.now - dt.timedelta(weeks=w, hours=rng.randint(0, 120))
                first = (received - dt.timedelta(days=rng.randint(15, 60))).date()
                try:
                    with _at(received):
                        r = services.referral_submit(
                            actor=None, data=self.input(pathway, urgency="urgent", first_symptoms_date=first)
                        )
                    with _at(received + dt.timedelta(hours=rng.uniform(2, 20))):
                        r = services.referral_accept(actor=self.coordinator, referral=r)
                except DomainError:
                    continue
                visit = received + dt.timedelta(days=rng.uniform(0.5, 3.5))
                imaging = visit + dt.timedelta(hours=rng.uniform(1, 30))
                biopsy = imaging + dt.timedelta(days=rng.uniform(0.5, 4))
                result = biopsy + dt.timedelta(days=rng.uniform(3, 14))
                rcp = result + dt.timedelta(days=rng.uniform(0.5, 5))
                treat = rcp + dt.timedelta(days=rng.uniform(4, 20))
                steps = [
                    (EventKind.FIRST_VISIT, visit),
                    (EventKind.IMAGING, imaging),
                    (EventKind.BIOPSY, biopsy),
                    (EventKind.PATHOLOGY_RESULT, result),
                    (EventKind.RCP, rcp),
                    (EventKind.TREATMENT_START, treat),
                ]
                for kind, at in steps:
                    if at < self.now:
                        events.append(PathwayEvent(referral=r, pathway=pathway, kind=kind, at=at))
                if rng.random() < 0.7:
                    events.append(
                        PathwayEvent(
                            referral=r, pathway=pathway, kind=EventKind.SUPPORTIVE_ASSESSMENT, at=visit
                        )
                    )
                if rng.random() < 0.08:
                    events.append(
                        PathwayEvent(referral=r, pathway=pathway, kind=EventKind.ER_READMISSION, at=treat)
                    )
                Referral.objects.filter(pk=r.pk).update(status="scheduled")
        PathwayEvent.objects.bulk_create(events, batch_size=2000)
        self.progress(f"historique : {Referral.objects.count()} demandes, {len(events)} étapes datées")

    # ---- today's work ----
    def current(self) -> None:
        rng = self.rng
        hours_ago = lambda h: self.now - dt.timedelta(hours=h)  # noqa: E731

        def submit(at: dt.datetime, data: services.ReferralInput) -> Referral | None:
            try:
                with _at(at):
                    return services.referral_submit(actor=None, data=data)
            except DomainError:
                return None

        # New requests, complete or not, urgent or not, one probable duplicate.
        news = [
            submit(hours_ago(h), self.input(p, complete=c, urgency=u))
            for h, p, c, u in (
                (1, "pancreas", True, "urgent"),
                (3, "lung", True, "urgent"),
                (6, "liver", False, "rapid"),
                (20, "lymphoma", True, "rapid"),
                (30, "thyroid", False, "standard"),
                (50, "glioblastoma", True, "urgent"),
            )
        ]
        first = news[0]
        if first is not None:
            submit(
                hours_ago(0.5),
                self.input(
                    "pancreas",
                    patient_birth_name=first.patient_birth_name,
                    patient_given_names=first.patient_given_names,
                    patient_birth_date=first.patient_birth_date,
                    referrer_name="Dr Paul Urgences",
                ),
            )
        # Information requested.
        r = submit(hours_ago(26), self.input("digestive", complete=False))
        if r is not None:
            with _at(hours_ago(24)):
                services.referral_request_info(
                    actor=self.coordinator,
                    referral=r,
                    message="Le compte rendu de la coloscopie et le dernier bilan sanguin.",
                )
        # Redirected.
        r = submit(
            hours_ago(40),
            self.input("lung", urgency="standard", suspicion="Nodule de 6 mm stable depuis 2 ans."),
        )
        if r is not None:
            with _at(hours_ago(38)):
                services.referral_redirect(
                    actor=self.coordinator,
                    referral=r,
                    reason="Nodule infracentimétrique stable : surveillance scanner à 12 mois.",
                )
        # Accepted, waiting for appointments.
        for p in ("pancreas", "liver"):
            r = submit(hours_ago(rng.randint(10, 30)), self.input(p, urgency="urgent"))
            if r is not None:
                with _at(hours_ago(5)):
                    services.referral_accept(actor=self.coordinator, referral=r)
        # Scheduled: diagnostic days booked on the coming weeks' slots.
        today = timezone.localdate(self.now)
        days = [
            today + dt.timedelta(days=d)
            for d in range(2, 30)
            if (today + dt.timedelta(days=d)).weekday() in (1, 3)
        ]
        booked = 0
        for i, p in enumerate(["pancreas", "lung", "liver", "pancreas", "lung", "liver"]):
            r = submit(hours_ago(rng.randint(30, 70)), self.input(p, urgency="urgent"))
            if r is None:
                continue
            try:
                with _at(hours_ago(20)):
                    r = services.referral_accept(actor=self.coordinator, referral=r)
                template = DayTemplate.objects.get(pathway=p)
                services.diagnostic_day_book(
                    actor=self.coordinator, referral=r, template=template, first_day=days[i % len(days)]
                )
                booked += 1
            except DomainError:
                continue
            self._followup(r, i)
        self.progress(f"demandes du jour, {booked} journées diagnostiques réservées")

    def _followup(self, r: Referral, i: int) -> None:
        """Pathology, RCP and screening at various stages for the scheduled referrals."""
        if r.patient is None:
            return
        try:
            req = services.pathology_request_create(
                actor=self.coordinator,
                referral=r,
                sample_site="Prélèvement biopsique",
                smoker=i % 2 == 0,
                metastatic=i % 3 == 0,
                context="first",
                molecular_tests="KRAS, NTRK, MSI" if i % 2 else "",
            )
            if i % 3 != 2:
                with _at(self.now - dt.timedelta(days=5 - i % 3)):
                    req = services.pathology_sample_sent(actor=self.coordinator, request=req)
            if i % 3 == 1:
                services.pathology_report(
                    actor=self.coordinator,
                    request=req,
                    stage="intermediate",
                    text="Carcinome, immunohistochimie en cours.",
                    report_ins=r.patient.ins,
                    report_birth_name=r.patient.birth_name,
                    report_birth_date=r.patient.birth_date,
                )
            case = services.rcp_case_create(
                actor=self.coordinator,
                referral=r,
                meeting_date=timezone.localdate(self.now) + dt.timedelta(days=7 + i),
                question="Stratégie thérapeutique ?" if i % 2 else "",
            )
            if i == 0:
                services.rcp_decide(
                    actor=self.coordinator,
                    case=case,
                    decision="Chimiothérapie néo-adjuvante puis réévaluation chirurgicale.",
                )
            services.screening_record(
                actor=self.coordinator,
                patient=r.patient,
                instrument="distress",
                answers={"score": 3 + i},
                referral=r,
            )
        except DomainError:
            return


def load_demo(*, seed: int, progress: Callable[[str], None]) -> None:
    demo = _Demo(seed, progress)
    demo.resources()
    demo.history()
    demo.current()
    services.pathology_overdue_scan()
    services.discharge_overdue_scan()
