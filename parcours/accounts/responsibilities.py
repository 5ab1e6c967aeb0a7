"""The hospital/HAD responsibility matrix (domain.md §2.3, CHU Limoges standard convention, seed 000)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Step:
    code: str
    label: Promise
    default: str  # "hospital" | "had" | "both"


STEPS: tuple[Step, ...] = (
    Step("rcp_decision", _("Décision thérapeutique (RCP)"), "hospital"),
    Step("treatment_prescription", _("Prescription du traitement"), "hospital"),
    Step("had_prescription", _("Prescription de l'HAD (médecin hospitalier)"), "hospital"),
    Step("had_validation", _("Validation de l'HAD (faisabilité, médecin d'HAD)"), "had"),
    Step("pickup_delivery", _("Récupération à la PUI, livraison, chaîne du froid"), "had"),
    Step("ok_cycle", _("OK clinique et biologique pour le cycle"), "hospital"),
    Step("ok_day_of_cure", _("OK clinique et biologique le jour de la cure"), "had"),
    Step("administration", _("Administration, traçabilité, déchets, retour d'information"), "had"),
    Step("intercure_followup", _("Suivi intercure"), "both"),
)
VALID_PARTIES = frozenset({"hospital", "had", "both"})


def default_matrix() -> dict[str, str]:
    return {step.code: step.default for step in STEPS}


def validate_matrix(matrix: dict[str, str]) -> dict[str, list[str]]:
    """Return field errors (empty when valid)."""
    errors: dict[str, list[str]] = {}
    known = {s.code for s in STEPS}
    for key, value in matrix.items():
        if key not in known:
            errors.setdefault(key, []).append(str(_("étape inconnue")))
        elif value not in VALID_PARTIES:
            errors.setdefault(key, []).append(str(_("valeur attendue : hospital, had ou both")))
    for code in known - matrix.keys():
        errors.setdefault(code, []).append(str(_("étape manquante")))
    return errors


def rows(matrix: dict[str, str]) -> list[tuple[Step, bool, bool]]:
    """(step, hospital?, had?) for display."""
    out = []
    for step in STEPS:
        party = matrix.get(step.code, step.default)
        out.append((step, party in {"hospital", "both"}, party in {"had", "both"}))
    return out
