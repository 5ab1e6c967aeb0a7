"""Synthetic demo data: realistic, consistent, French, and fast to load (bulk inserts).

Everything here is invented. Rows are written in bulk, backdated over the last 18 months, and kept
consistent with the pathway rules (a patient in S2 has a validated HAD request, an informed consent, an
eligibility assessment and the first admission steps ticked). The same generator, with bigger numbers,
feeds the benchmarks (bench/pages.py).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from faker import Faker

from parcours.accounts.models import Convention, Organisation, Role, User
from parcours.accounts.responsibilities import default_matrix
from parcours.core import clock
from parcours.pathways import registry
from parcours.pathways.models import ChecklistCompletion, PathwayTransitionLog, PatientPathway
from parcours.patients.enums import ConsentKind, EligibilityConclusion, HadRequestStatus, IdentityStatus
from parcours.patients.ins import make_ins
from parcours.patients.models import (
    Caregiver,
    CareTeamMembership,
    Consent,
    EligibilityAssessment,
    HadRequest,
    Patient,
    TimelineEvent,
)

DEMO_PASSWORD = "parcours-demo"  # noqa: S105 - published demo password, demo data only

# Communes of the Lyon area: (postcode, name, latitude, longitude, INSEE code).
COMMUNES = [
    ("69001", "Lyon 1er", 45.7676, 4.8345, "69381"),
    ("69003", "Lyon 3e", 45.7597, 4.8590, "69383"),
    ("69004", "Lyon 4e", 45.7786, 4.8274, "69384"),
    ("69006", "Lyon 6e", 45.7729, 4.8522, "69386"),
    ("69007", "Lyon 7e", 45.7456, 4.8422, "69387"),
    ("69008", "Lyon 8e", 45.7345, 4.8695, "69388"),
    ("69009", "Lyon 9e", 45.7742, 4.8056, "69389"),
    ("69100", "Villeurbanne", 45.7719, 4.8902, "69266"),
    ("69200", "Vénissieux", 45.6975, 4.8867, "69259"),
    ("69500", "Bron", 45.7386, 4.9131, "69029"),
    ("69120", "Vaulx-en-Velin", 45.7786, 4.9203, "69256"),
    ("69300", "Caluire-et-Cuire", 45.7953, 4.8466, "69034"),
    ("69130", "Écully", 45.7744, 4.7775, "69081"),
    ("69160", "Tassin-la-Demi-Lune", 45.7636, 4.7803, "69244"),
    ("69600", "Oullins", 45.7142, 4.8075, "69149"),
    ("69230", "Saint-Genis-Laval", 45.6958, 4.7933, "69204"),
    ("69800", "Saint-Priest", 45.6961, 4.9436, "69290"),
    ("69140", "Rillieux-la-Pape", 45.8214, 4.8983, "69286"),
    ("69330", "Meyzieu", 45.7667, 5.0036, "69282"),
    ("69150", "Décines-Charpieu", 45.7689, 4.9589, "69275"),
    ("69400", "Villefranche-sur-Saône", 45.9897, 4.7189, "69264"),
    ("38200", "Vienne", 45.5253, 4.8742, "38544"),
    ("01700", "Miribel", 45.8261, 4.9536, "01249"),
    ("69700", "Givors", 45.5906, 4.7692, "69091"),
]
DIAGNOSES = [
    "Mélanome métastatique",
    "Cancer bronchique non à petites cellules",
    "Carcinome rénal à cellules claires",
    "Carcinome urothélial",
    "Carcinome épidermoïde ORL",
    "Lymphome de Hodgkin",
    "Cancer colorectal MSI",
    "Carcinome hépatocellulaire",
    "Cancer de l'endomètre dMMR",
    "Carcinome épidermoïde cutané",
]
RELATIONSHIPS = ["Conjoint(e)", "Fille", "Fils", "Sœur", "Frère", "Voisin(e)", "Ami(e)"]
# The demo IDEC's patients in S1 for at least this long (home ETP open from week 10) are prepared for S2 on the
# patients' side (HAD validated, informed consent, eligibility with « souhaite être soigné(e) à domicile »); the
# learning demo then makes some of them ready for home care and leaves the others short of it.
PREPARED_AFTER = dt.timedelta(days=70)

# Share of the active file per CLB state (more in S1 than S2/S3, as at CLB: 20 / 8 / 10 active).
STATE_MIX = [("inclusion", 0.10), ("s1", 0.40), ("s2", 0.17), ("s3", 0.20), ("hdj", 0.04), ("ended", 0.09)]
CHECKLIST_ORDER = [
    "eligibility_identified",
    "first_cure_hdj",
    "transfer_request",
    "transition_education",
    "prescription",
    "medical_validation",
    "pharmacy_preparation",
    "delivery",
    "administration",
]
STAFF_PLAN: list[tuple[str, str, int]] = [
    # role, organisation kind, how many per organisation of that kind
    ("oncologist", "hospital", 6),
    ("idec", "hospital", 4),
    ("liaison_nurse", "hospital", 2),
    ("secretary", "hospital", 1),
    ("pharmacist", "pharmacy", 2),
    ("had_physician", "had", 3),
    ("idec", "had", 2),
    ("had_nurse", "had", 4),
    ("logistician", "had", 2),
    ("idel", "practice", 16),
    ("gp", "practice", 14),
    ("manager", "hospital", 1),
    ("privacy_officer", "hospital", 1),
]
DEMO_LOGINS = {
    "idec": "idec",
    "idec_had": "idec.had",
    "oncologist": "oncologue",
    "had_physician": "medecin.had",
    "liaison_nurse": "ide.liaison",
    "had_nurse": "ide.had",
    "idel": "idel",
    "pharmacist": "pharmacien",
    "logistician": "logisticien",
    "gp": "generaliste",
    "secretary": "secretaire",
    "manager": "direction",
    "privacy_officer": "dpo",
}


@dataclass
class DemoSummary:
    organisations: int = 0
    professionals: int = 0
    patients: int = 0
    timeline_events: int = 0
    logins: dict[str, str] = field(default_factory=dict)


def _point(rng: random.Random) -> tuple[str, str, float, float, str]:
    postcode, city, lat, lon, insee = rng.choice(COMMUNES)
    return (
        postcode,
        city,
        round(lat + rng.uniform(-0.012, 0.012), 6),
        round(lon + rng.uniform(-0.016, 0.016), 6),
        insee,
    )


def _nir(rng: random.Random, sex: str, birth: dt.date, insee: str) -> str:
    return make_ins(f"{1 if sex == 'M' else 2}{birth:%y}{birth:%m}{insee}{rng.randint(1, 999):03d}")


def _aware(d: dt.datetime) -> dt.datetime:
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


class _Builder:
    def __init__(self, seed: int, progress: Callable[[str], None]) -> None:
        self.rng = random.Random(seed)
        self.fake = Faker("fr_FR")
        self.fake.seed_instance(seed)
        self.now = clock.now()
        self.progress = progress
        self.roles = {r.code: r for r in Role.objects.all()}

    def organisations(self) -> dict[str, list[Organisation]]:
        specs = [
            (
                "hospital",
                "Centre de cancérologie Rhône-Est (démo)",
                "690000011",
                "28 rue Laennec",
                "69008",
                "Lyon",
                45.7383,
                4.8887,
                [],
            ),
            (
                "hospital",
                "Hôpital Lyon-Confluence (démo)",
                "690000029",
                "165 chemin du Grand Revoyet",
                "69310",
                "Pierre-Bénite",
                45.6930,
                4.8210,
                [],
            ),
            (
                "had",
                "HAD Soins et Santé Lyon (démo)",
                "690000037",
                "12 rue de la République",
                "69100",
                "Villeurbanne",
                45.7700,
                4.8800,
                ["690", "691", "692", "693", "697", "698", "01"],
            ),
            (
                "had",
                "HAD Rhône-Sud (démo)",
                "690000045",
                "5 avenue Jean Jaurès",
                "69600",
                "Oullins",
                45.7140,
                4.8080,
                ["690", "692", "696", "697", "694", "38"],
            ),
            (
                "pharmacy",
                "PUI Centre Rhône-Est (démo)",
                "690000052",
                "28 rue Laennec",
                "69008",
                "Lyon",
                45.7390,
                4.8880,
                [],
            ),
            (
                "pharmacy",
                "PUI Lyon-Confluence (démo)",
                "690000060",
                "165 chemin du Grand Revoyet",
                "69310",
                "Pierre-Bénite",
                45.6935,
                4.8205,
                [],
            ),
            ("practice", "Cabinets de ville (démo)", "", "", "69003", "Lyon", 45.7597, 4.8590, []),
        ]
        out: dict[str, list[Organisation]] = {}
        for kind, name, finess, address, postcode, city, lat, lon, area in specs:
            org = Organisation.objects.create(
                kind=kind,
                name=name,
                finess=finess,
                address=address,
                postcode=postcode,
                city=city,
                latitude=lat,
                longitude=lon,
                service_area=area,
            )
            out.setdefault(kind, []).append(org)
        for hospital in out["hospital"]:
            for had in out["had"]:
                Convention.objects.create(
                    hospital=hospital,
                    had=had,
                    name=f"Convention {hospital.name} — {had.name}",
                    signed_on=dt.date(2024, 1, 15),
                    responsibilities=default_matrix(),
                )
        # One agreement delegates the day-of-cure OK to the HAD and shares the whole-cycle OK (seed 002).
        conv = Convention.objects.filter(hospital=out["hospital"][1], had=out["had"][1]).get()
        conv.responsibilities = {**default_matrix(), "ok_cycle": "both"}
        conv.save(update_fields=["responsibilities"])
        return out

    def staff(self, orgs: dict[str, list[Organisation]], scale: int) -> dict[str, list[User]]:
        users: list[User] = []
        kinds_by_org = {
            "hospital": orgs["hospital"],
            "pharmacy": orgs["pharmacy"],
            "had": orgs["had"],
            "practice": orgs["practice"],
        }
        from django.contrib.auth.hashers import make_password

        password = make_password(DEMO_PASSWORD)
        taken: set[str] = set()
        for role, kind, count in STAFF_PLAN:
            for org in kinds_by_org[kind]:
                for _i in range(count * scale):
                    female = self.rng.random() < 0.6
                    first = self.fake.first_name_female() if female else self.fake.first_name_male()
                    last = self.fake.last_name()
                    wanted = "idec.had" if (role, kind) == ("idec", "had") else DEMO_LOGINS.get(role, "")
                    base = wanted if wanted and wanted not in taken else f"{first}.{last}".lower()
                    username = base.replace(" ", "-")
                    n = 2
                    while username in taken:
                        username = f"{base}{n}"
                        n += 1
                    taken.add(username)
                    users.append(
                        User(
                            username=username,
                            first_name=first,
                            last_name=last,
                            role=self.roles[role],
                            organisation=org,
                            password=password,
                            email=f"{username}@demo.parcours.invalid",
                            rpps=f"10{self.rng.randint(0, 10**9 - 1):09d}"
                            if role not in {"secretary", "logistician", "manager", "privacy_officer"}
                            else "",
                            phone=f"04 {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)} {self.rng.randint(10, 99)}",
                        )
                    )
        users.append(
            User(
                username="admin",
                first_name="Alex",
                last_name="Martin",
                role=self.roles["admin"],
                organisation=orgs["hospital"][0],
                password=password,
                is_staff=True,
                is_superuser=True,
            )
        )
        User.objects.bulk_create(users, batch_size=1000)
        by_role: dict[str, list[User]] = {}
        for u in User.objects.select_related("role", "organisation").filter(role__isnull=False):
            by_role.setdefault(u.role.code, []).append(u)  # type: ignore[union-attr]
        return by_role

    def patients(
        self,
        orgs: dict[str, list[Organisation]],
        staff: dict[str, list[User]],
        count: int,
        events_target: int,
    ) -> int:
        rng = self.rng
        hospitals, hads = orgs["hospital"], orgs["had"]
        by_org: dict[tuple[str, int], list[User]] = {}
        for role, people in staff.items():
            for u in people:
                by_org.setdefault((role, u.organisation_id or 0), []).append(u)
        demo_idec = next(u for u in staff["idec"] if u.username == "idec")
        demo_onco = next(u for u in staff["oncologist"] if u.username == "oncologue")
        demo_hadmd = next(u for u in staff["had_physician"] if u.username == "medecin.had")
        demo_idel = next(u for u in staff["idel"] if u.username == "idel")
        demo_gp = next(u for u in staff["gp"] if u.username == "generaliste")
        states = [s for s, _w in STATE_MIX]
        weights = [w for _s, w in STATE_MIX]
        patients: list[Patient] = []
        plans: list[dict[str, Any]] = []
        for i in range(count):
            sex = rng.choice("FM")
            birth = dt.date(rng.randint(1935, 1990), rng.randint(1, 12), rng.randint(1, 28))
            postcode, city, lat, lon, insee = _point(rng)
            hospital = hospitals[i % 2]
            had = (
                hads[0]
                if postcode[:3] in {"691", "693", "698", "014", "017"} or rng.random() < 0.5
                else hads[1]
            )
            state = rng.choices(states, weights)[0]
            validated = rng.random() < 0.8
            first = self.fake.first_name_female() if sex == "F" else self.fake.first_name_male()
            last = self.fake.last_name()
            # The demo accounts follow a few hundred patients; the others are spread across the teams.
            onco = demo_onco if i % 3 == 0 else rng.choice(by_org[("oncologist", hospital.pk)])
            idec = (
                demo_idec
                if (i % 4 == 0 and hospital == hospitals[0]) or i < 12
                else rng.choice(by_org[("idec", hospital.pk)])
            )
            had_md = (
                demo_hadmd
                if had == demo_hadmd.organisation and i % 2 == 0
                else rng.choice(by_org[("had_physician", had.pk)])
            )
            idel = demo_idel if i % 5 == 0 else rng.choice(staff["idel"])
            gp = (
                None
                if state in {"inclusion", "s1"} and rng.random() < 0.25
                else (demo_gp if i % 6 == 0 else rng.choice(staff["gp"]))
            )
            started = self.now - dt.timedelta(days=rng.randint(5, 540))
            patients.append(
                Patient(
                    ins=_nir(rng, sex, birth, insee) if validated or rng.random() < 0.5 else "",
                    identity_status=IdentityStatus.VALIDATED if validated else IdentityStatus.PROVISIONAL,
                    birth_name=last,
                    given_names=first,
                    sex=sex,
                    birth_date=birth,
                    birth_place_insee=insee,
                    address=self.fake.street_address(),
                    postcode=postcode,
                    city=city,
                    latitude=lat,
                    longitude=lon,
                    phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    hospital=hospital,
                    had=had if state != "inclusion" else None,
                    referring_oncologist=onco,
                    gp=gp,
                    primary_diagnosis=rng.choice(DIAGNOSES),
                )
            )
            plans.append(
                {"state": state, "started": started, "team": [onco, idec, had_md, idel, gp], "had": had}
            )
        # Unique INS: drop accidental duplicates (same commune, birth month and order number).
        seen: set[str] = set()
        for p in patients:
            if p.ins and p.ins in seen:
                p.ins, p.identity_status = "", IdentityStatus.PROVISIONAL
            seen.add(p.ins)
        Patient.objects.bulk_create(patients, batch_size=2000)
        self.progress(f"{len(patients)} patients")
        per_patient_extra = max(0, events_target // max(1, count) - 12)
        return self._histories(patients, plans, per_patient_extra)

    def _histories(self, patients: list[Patient], plans: list[dict[str, Any]], extra_events: int) -> int:
        rng = self.rng
        clb = registry.start_definition(registry.CLB_KEY)  # the version new pathways start on (v2)
        lab = {s.id: {"fr": s.label.fr, "en": s.label.en} for s in clb.states}
        steps = {
            s.id: {"fr": s.label.fr, "en": s.label.en}
            for s in registry.definition(registry.ADMISSION_KEY).checklist
        }
        members: list[CareTeamMembership] = []
        events: list[TimelineEvent] = []
        pathways: list[PatientPathway] = []
        logs: list[tuple[int, list[tuple[str, str, str, dt.datetime, User]]]] = []
        checklist: list[ChecklistCompletion] = []
        consents: list[Consent] = []
        assessments: list[EligibilityAssessment] = []
        requests: list[HadRequest] = []
        caregivers: list[Caregiver] = []
        total_events = 0

        def ev(
            p: Patient, at: dt.datetime, actor: User | None, kind: str, data: dict[str, Any], reason: str = ""
        ) -> None:
            events.append(
                TimelineEvent(
                    patient=p,
                    at=at,
                    actor=actor,
                    actor_label=str(actor) if actor else "système",
                    kind=kind,
                    data=data,
                    reason=reason,
                )
            )

        for p, plan in zip(patients, plans, strict=True):
            onco, idec, had_md, idel, gp = plan["team"]
            t0: dt.datetime = plan["started"]
            ev(p, t0, idec, "patient.created", {})
            for u, team_role in (
                (onco, "Oncologue référent"),
                (idec, "IDEC"),
                (had_md, "Médecin d'HAD"),
                (idel, "IDEL"),
                (gp, "Médecin traitant"),
            ):
                if u is None:
                    continue
                members.append(
                    CareTeamMembership(patient=p, user=u, team_role=team_role, since=t0, added_by=idec)
                )
                ev(p, t0, idec, "careteam.added", {"member": str(u)})
            if rng.random() < 0.75:
                caregivers.append(
                    Caregiver(
                        patient=p,
                        name=f"{self.fake.first_name()} {p.birth_name}",
                        relationship=rng.choice(RELATIONSHIPS),
                        phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                        is_primary=True,
                        lives_with_patient=rng.random() < 0.6,
                    )
                )
            target = plan["state"]
            path: list[tuple[str, str, str]] = []  # (transition, source, target)
            if target in {"s1", "s2", "s3", "hdj", "ended"}:
                path.append(("start_s1", "inclusion", "s1"))
            if target in {"s2", "s3", "hdj"} or (target == "ended" and rng.random() < 0.5):
                path.append(("to_s2", "s1", "s2"))
            if target == "s3":
                path.append(("to_s3", "s2", "s3"))
            if target == "hdj":
                path.append(("back_to_day_hospital", "s2", "hdj"))
            if target == "ended":
                path.append(("end", path[-1][2], "ended"))
            span = (self.now - t0).total_seconds()
            times = sorted(t0 + dt.timedelta(seconds=span * rng.uniform(0.05, 0.95)) for _ in path)
            reached_s2 = any(t == "s2" for _tr, _s, t in path)
            steps_done = 9 if reached_s2 else (rng.randint(1, 4) if path else rng.randint(0, 1))
            for k, step in enumerate(CHECKLIST_ORDER[:steps_done]):
                at = t0 + dt.timedelta(days=k * 3 + 1)
                checklist.append(
                    ChecklistCompletion(
                        patient=p,
                        definition_key=registry.ADMISSION_KEY,
                        step_id=step,
                        done_at=at,
                        done_by=idec,
                    )
                )
                ev(
                    p,
                    at,
                    idec,
                    "checklist.done",
                    {"key": registry.ADMISSION_KEY, "step": step, "label": steps[step]},
                )
            pending = target == "s1" and rng.random() < 0.4
            prepared = (
                target == "s1"
                and idec.username == "idec"
                and times[0] <= self.now - PREPARED_AFTER
                and not reached_s2
            )
            validated = reached_s2 or prepared
            if validated or pending:
                at = t0 + dt.timedelta(days=20)
                requests.append(
                    HadRequest(
                        patient=p,
                        had=plan["had"],
                        requested_by=onco,
                        requested_at=at,
                        motive="Poursuite de l'immunothérapie à domicile",
                        status=HadRequestStatus.VALIDATED if validated else HadRequestStatus.REQUESTED,
                        decided_by=had_md if validated else None,
                        decided_at=at + dt.timedelta(days=2) if validated else None,
                    )
                )
                ev(p, at, onco, "had.requested", {"had": plan["had"].name})
                if validated:
                    ev(p, at + dt.timedelta(days=2), had_md, "had.validated", {"had": plan["had"].name})
                    consents.append(
                        Consent(
                            patient=p,
                            kind=ConsentKind.HAD_INFORMED,
                            given=True,
                            recorded_at=at + dt.timedelta(days=3),
                            recorded_by=idec,
                        )
                    )
                    ev(
                        p,
                        at + dt.timedelta(days=3),
                        idec,
                        "consent.recorded",
                        {
                            "kind": "had_informed",
                            "given": True,
                            "label": {
                                "fr": "Consentement éclairé à la prise en charge en HAD",
                                "en": "Informed consent to HAD care",
                            },
                        },
                    )
                    assessments.append(
                        EligibilityAssessment(
                            patient=p,
                            assessed_at=at + dt.timedelta(days=4),
                            assessed_by=idec,
                            success_factors=["informed", "surrounded", "wants_home"],
                            risk_factors=rng.sample(
                                ["anxious", "isolated", "recent_diagnosis"], k=rng.randint(0, 1)
                            )
                            if reached_s2
                            else [],
                            had_covers_address=True,
                            conclusion=EligibilityConclusion.ELIGIBLE,
                        )
                    )
                    ev(
                        p,
                        at + dt.timedelta(days=4),
                        idec,
                        "eligibility.assessed",
                        {"conclusion": "eligible", "label": {"fr": "Éligible", "en": "Eligible"}},
                    )
            state, entered = "inclusion", t0
            plog: list[tuple[str, str, str, dt.datetime, User]] = []
            for (tr, src, dst), at in zip(path, times, strict=True):
                reason = (
                    "Fin de traitement"
                    if tr == "end"
                    else (
                        "Toxicité immuno-induite grade 2 : surveillance en HDJ"
                        if tr == "back_to_day_hospital"
                        else ""
                    )
                )
                plog.append((tr, src, dst, at, idec))
                ev(
                    p,
                    at,
                    idec,
                    "pathway.transition",
                    {
                        "key": clb.key,
                        "transition": tr,
                        "source": src,
                        "target": dst,
                        "source_label": lab[src],
                        "target_label": lab[dst],
                    },
                    reason,
                )
                state, entered = dst, at
            pathways.append(
                PatientPathway(
                    patient=p,
                    definition_key=clb.key,
                    definition_version=clb.version,
                    state=state,
                    state_entered_at=entered,
                    started_at=t0,
                    ended_at=entered if state == "ended" else None,
                )
            )
            logs.append((len(pathways) - 1, plog))
            for _k in range(extra_events):
                at = t0 + dt.timedelta(seconds=(self.now - t0).total_seconds() * rng.random())
                ev(
                    p,
                    at,
                    idel,
                    "note",
                    {
                        "label": {
                            "fr": "Passage infirmier à domicile — constantes stables",
                            "en": "Home nurse visit — vital signs stable",
                        }
                    },
                )
            if len(events) > 50_000:
                TimelineEvent.objects.bulk_create(events, batch_size=5000)
                total_events += len(events)
                events.clear()
                self.progress(f"{total_events} événements")
        TimelineEvent.objects.bulk_create(events, batch_size=5000)
        total_events += len(events)
        CareTeamMembership.objects.bulk_create(members, batch_size=5000)
        Caregiver.objects.bulk_create(caregivers, batch_size=5000)
        ChecklistCompletion.objects.bulk_create(checklist, batch_size=5000)
        Consent.objects.bulk_create(consents, batch_size=5000)
        EligibilityAssessment.objects.bulk_create(assessments, batch_size=5000)
        HadRequest.objects.bulk_create(requests, batch_size=5000)
        PatientPathway.objects.bulk_create(pathways, batch_size=5000)
        PathwayTransitionLog.objects.bulk_create(
            [
                PathwayTransitionLog(
                    pathway=pathways[idx], transition_id=tr, source=s, target=t, at=at, actor=u, reason=""
                )
                for idx, plog in logs
                for tr, s, t, at, u in plog
            ],
            batch_size=5000,
        )
        return total_events


# Apps that add their own demo data on top of the base world, in layer order (lower first).
APP_DEMOS = ("parcours.learning", "parcours.telemonitoring", "parcours.cures", "parcours.fasttrack")


def load_app_demos(*, seed: int, progress: Callable[[str], None]) -> None:
    """Each app's ``demo.load_demo(seed=, progress=)``, when the app has one."""
    import importlib
    import importlib.util

    for app in APP_DEMOS:
        if importlib.util.find_spec(f"{app}.demo") is None:
            continue
        module = importlib.import_module(f"{app}.demo")
        progress(f"{app.rsplit('.', 1)[-1]}")
        module.load_demo(seed=seed, progress=progress)


def load_demo(
    *,
    patients: int = 320,
    events: int = 0,
    seed: int = 20261123,
    scale: int = 1,
    plan_days: int = 2,
    solve_seconds: float = 5.0,
    progress: Callable[[str], None] = lambda _m: None,
) -> DemoSummary:
    """Fill an empty database with the demo world. Refuses to run on a database that has patients."""
    if Patient.objects.exists():
        raise RuntimeError("the database already holds patients: load_demo only fills an empty database")
    builder = _Builder(seed, progress)
    with transaction.atomic():
        orgs = builder.organisations()
        staff = builder.staff(orgs, scale)
        n_events = builder.patients(orgs, staff, patients, events or patients * 14)
    if plan_days:
        from parcours.web.demo_day import load_demo_days

        load_demo_days(seed=seed, days=plan_days, solve_seconds=solve_seconds, progress=progress)
    load_app_demos(seed=seed, progress=progress)
    summary = DemoSummary(
        organisations=Organisation.objects.count(),
        professionals=User.objects.exclude(role__code__in=["patient", "caregiver"]).count(),
        patients=Patient.objects.count(),
        timeline_events=n_events,
        logins={**{role: login for role, login in DEMO_LOGINS.items()}, "admin": "admin"},
    )
    return summary
