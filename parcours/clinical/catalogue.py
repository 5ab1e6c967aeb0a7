"""The observation codes Parcours accepts: labs (graded by CTCAE v5 where the triage policy covers them) and vitals.

Lab codes and the reference limits each needs come from the triage policy's grading data
(``parcours/monitoring/data/ctcae_v5_grading.json``, key ``requires``); the pre-infusion checklist of
``parcours/treatments/ok_gate.py`` adds GLUCOSE. Vitals carry a fixed unit and a plausible range (a value outside
it is a typing error, not a finding).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from parcours.monitoring.labs import load_grading


@dataclass(frozen=True)
class CodeDef:
    kind: str  # "lab" | "vital"
    code: str
    fr: str
    en: str
    unit: str | None = None  # fixed unit, or None when any unit matching the reference range is accepted
    requires: tuple[str, ...] = ()  # "lln" / "uln" reference limits needed to grade the value
    plausible: tuple[Decimal, Decimal] | None = None


_LAB_LABELS = {
    "NEUTROPHILS": ("Polynucléaires neutrophiles", "Neutrophils"),
    "PLATELETS": ("Plaquettes", "Platelets"),
    "HEMOGLOBIN": ("Hémoglobine", "Haemoglobin"),
    "CREATININE": ("Créatinine", "Creatinine"),
    "ALT": ("ALAT", "ALT"),
    "AST": ("ASAT", "AST"),
    "BILIRUBIN": ("Bilirubine totale", "Total bilirubin"),
    "GLUCOSE": ("Glycémie", "Glucose"),
    "TSH": ("TSH", "TSH"),
}

_VITALS = (
    CodeDef("vital", "TEMP", "Température", "Temperature", "°C", plausible=(Decimal("30"), Decimal("45"))),
    CodeDef(
        "vital",
        "SBP",
        "Pression artérielle systolique",
        "Systolic blood pressure",
        "mmHg",
        plausible=(Decimal("40"), Decimal("300")),
    ),
    CodeDef(
        "vital",
        "DBP",
        "Pression artérielle diastolique",
        "Diastolic blood pressure",
        "mmHg",
        plausible=(Decimal("20"), Decimal("200")),
    ),
    CodeDef(
        "vital", "HR", "Fréquence cardiaque", "Heart rate", "/min", plausible=(Decimal("20"), Decimal("250"))
    ),
    CodeDef(
        "vital",
        "RR",
        "Fréquence respiratoire",
        "Respiratory rate",
        "/min",
        plausible=(Decimal("4"), Decimal("80")),
    ),
    CodeDef(
        "vital",
        "SPO2",
        "Saturation en oxygène",
        "Oxygen saturation",
        "%",
        plausible=(Decimal("0"), Decimal("100")),
    ),
    CodeDef("vital", "WEIGHT", "Poids", "Weight", "kg", plausible=(Decimal("1"), Decimal("400"))),
)


@cache
def catalogue() -> dict[tuple[str, str], CodeDef]:
    grading = load_grading()
    out: dict[tuple[str, str], CodeDef] = {}
    for code, (fr, en) in _LAB_LABELS.items():
        lab = grading.labs.get(code)
        requires = tuple(sorted(lab.requires)) if lab is not None else ()
        fixed = lab.unit if lab is not None and not lab.unit.startswith("same unit") else None
        if code == "GLUCOSE":
            fixed = None
        out[("lab", code)] = CodeDef("lab", code, fr, en, fixed, requires)
    for v in _VITALS:
        out[("vital", v.code)] = v
    return out


def lookup(kind: str, code: str) -> CodeDef | None:
    return catalogue().get((kind, code))


def codes(kind: str) -> list[str]:
    return [c.code for c in catalogue().values() if c.kind == kind]
