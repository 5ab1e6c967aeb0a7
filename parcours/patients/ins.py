"""INS (Identifiant National de Santé) checks — pure, no Django.

The INS of a person born in France is their NIR: 13 characters (sex, year, month, birth department,
commune, order number) followed by a 2-digit key = 97 − (NIR mod 97). Corsican departments 2A and 2B are
counted as 19 and 18 for the key (i.e. the number minus 1,000,000 or 2,000,000).
Source: INSEE NIR structure; ANS "Référentiel INS" (identitovigilance).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_INS_RE = re.compile(r"^[1-478]\d{4}(?:\d{2}|2[AB])\d{6}\d{2}$")
_INSEE_RE = re.compile(r"^(?:\d{2}|2[AB])\d{3}$")


@dataclass(frozen=True)
class InsProblem:
    code: str  # "length" | "format" | "month" | "key"
    message_fr: str
    message_en: str


def normalise(raw: str) -> str:
    """Upper-case and drop the spaces, dots and dashes people type between groups."""
    return re.sub(r"[\s.\-]", "", raw).upper()


def nir_key(nir13: str) -> int:
    """Key of a 13-character NIR (digits, or 2A/2B in the department)."""
    number = (
        int(nir13.replace("2A", "19", 1).replace("2B", "18", 1)) if nir13[5:7] in {"2A", "2B"} else int(nir13)
    )
    return 97 - (number % 97)


def check_ins(raw: str) -> InsProblem | None:
    """None when ``raw`` is a well-formed INS with a correct key, else what is wrong."""
    value = normalise(raw)
    if len(value) != 15:
        return InsProblem(
            "length",
            f"L'INS compte 15 caractères (13 du NIR et 2 de clé) ; {len(value)} saisis.",
            f"The INS has 15 characters (13 NIR + 2 key); {len(value)} given.",
        )
    if not _INS_RE.match(value):
        return InsProblem(
            "format",
            "L'INS ne contient que des chiffres (2A ou 2B pour la Corse) et commence par 1, 2, 3, 4, 7 ou 8.",
            "The INS holds digits only (2A or 2B for Corsica) and starts with 1, 2, 3, 4, 7 or 8.",
        )
    month = int(value[3:5])
    if not (1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99):
        return InsProblem(
            "month", "Le mois de naissance de l'INS est invalide.", "The INS birth month is invalid."
        )
    expected = nir_key(value[:13])
    if int(value[13:]) != expected:
        return InsProblem(
            "key",
            f"La clé de l'INS est incorrecte (attendue : {expected:02d}). Vérifiez la saisie.",
            f"The INS key is wrong (expected {expected:02d}). Check the number.",
        )
    return None


def is_valid_ins(raw: str) -> bool:
    return check_ins(raw) is None


def check_insee_place(code: str) -> bool:
    """A commune (or 99xxx country) code of the INSEE Code officiel géographique: 5 characters."""
    return bool(_INSEE_RE.match(code.upper()))


def make_ins(nir13: str) -> str:
    """Complete a 13-character NIR with its key (used by the synthetic data generator and tests)."""
    return f"{nir13}{nir_key(nir13):02d}"
