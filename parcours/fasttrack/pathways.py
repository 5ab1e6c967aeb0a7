"""The fast-track pathways (seed 004: the 7 pilot sites) and what a complete referral holds. Pure: no Django.

Each pathway names the exams a complete referral should mention and the published answer commitment
(e.g. an appointment within 48 working hours).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pathway:
    key: str
    label_fr: str
    label_en: str
    answer_hours: int
    expected_exams: tuple[str, ...]  # exam keys (see EXAMS) a complete referral mentions


EXAMS: dict[str, tuple[str, str]] = {
    "ct_tap": ("Scanner thoraco-abdomino-pelvien", "Chest-abdomen-pelvis CT"),
    "ct_chest": ("Scanner thoracique", "Chest CT"),
    "mri_brain": ("IRM cérébrale", "Brain MRI"),
    "mri_liver": ("IRM hépatique", "Liver MRI"),
    "us_neck": ("Échographie cervicale", "Neck ultrasound"),
    "bloods": ("Bilan biologique récent", "Recent blood tests"),
    "markers": ("Marqueurs tumoraux (CA 19-9, AFP…)", "Tumour markers (CA 19-9, AFP…)"),
    "endoscopy": ("Endoscopie digestive", "Digestive endoscopy"),
    "lymph_biopsy": ("Biopsie ganglionnaire", "Lymph node biopsy"),
}

PATHWAYS: dict[str, Pathway] = {
    p.key: p
    for p in (
        Pathway(
            "pancreas",
            "Pancréas et voies biliaires",
            "Pancreas and biliary tract",
            48,
            ("ct_tap", "bloods", "markers"),
        ),
        Pathway("lung", "Poumon", "Lung", 48, ("ct_chest", "bloods")),
        Pathway(
            "liver",
            "Foie (hépatocarcinome)",
            "Liver (hepatocellular carcinoma)",
            48,
            ("ct_tap", "mri_liver", "markers"),
        ),
        Pathway(
            "thyroid",
            "Thyroïde (cancers agressifs)",
            "Thyroid (aggressive cancers)",
            48,
            ("us_neck", "bloods"),
        ),
        Pathway("lymphoma", "Lymphome", "Lymphoma", 72, ("ct_tap", "bloods", "lymph_biopsy")),
        Pathway("digestive", "Cancers digestifs", "Digestive cancers", 72, ("ct_tap", "endoscopy", "bloods")),
        Pathway("glioblastoma", "Glioblastome", "Glioblastoma", 48, ("mri_brain",)),
    )
}


def pathway_keys() -> tuple[str, ...]:
    return tuple(PATHWAYS)
