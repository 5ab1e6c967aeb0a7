"""Is a referral complete enough to be handled? Pure: a mapping of fields in, the missing items out.

Used as the referrer types (htmx), when the referral is saved and in the coordinator's queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from parcours.fasttrack.pathways import EXAMS, PATHWAYS


@dataclass(frozen=True)
class Missing:
    field: str
    label_fr: str
    label_en: str


REQUIRED: tuple[tuple[str, str, str], ...] = (
    ("referrer_name", "Nom du médecin adresseur", "Referring doctor's name"),
    ("referrer_email", "Courriel de l'adresseur (pour la réponse)", "Referrer's e-mail (for the answer)"),
    ("referrer_phone", "Téléphone de l'adresseur", "Referrer's phone"),
    ("patient_birth_name", "Nom de naissance du patient", "Patient's birth name"),
    ("patient_given_names", "Prénom(s) du patient", "Patient's given names"),
    ("patient_birth_date", "Date de naissance du patient", "Patient's birth date"),
    ("patient_sex", "Sexe du patient", "Patient's sex"),
    ("patient_phone", "Téléphone du patient", "Patient's phone"),
    ("first_symptoms_date", "Date des premiers symptômes", "Date of first symptoms"),
    ("suspicion", "Suspicion diagnostique", "Suspected diagnosis"),
    ("urgency", "Urgence", "Urgency"),
)


def _filled(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set):
        return len(value) > 0
    return True


def missing_items(pathway: str, data: Mapping[str, object], *, documents: int = 0) -> list[Missing]:
    """What a coordinator would have to ask for. ``data['exams_done']`` is a sequence of exam keys."""
    out = [Missing(f, fr, en) for f, fr, en in REQUIRED if not _filled(data.get(f))]
    spec = PATHWAYS.get(pathway)
    done_raw = data.get("exams_done") or ()
    done = set(done_raw) if isinstance(done_raw, Sequence | set) and not isinstance(done_raw, str) else set()
    if spec is not None:
        for exam in spec.expected_exams:
            if exam not in done:
                fr, en = EXAMS[exam]
                out.append(Missing(f"exams_done.{exam}", f"Examen attendu : {fr}", f"Expected exam: {en}"))
    if done and documents == 0:
        out.append(
            Missing(
                "documents",
                "Comptes rendus des examens réalisés (PDF ou image)",
                "Reports of the exams done (PDF or image)",
            )
        )
    return out


def completeness_percent(pathway: str, data: Mapping[str, object], *, documents: int = 0) -> int:
    spec = PATHWAYS.get(pathway)
    total = len(REQUIRED) + (len(spec.expected_exams) if spec else 0) + 1
    missing = len(missing_items(pathway, data, documents=documents))
    if not missing:
        return 100
    return max(0, min(99, round(100 * (total - missing) / total)))
