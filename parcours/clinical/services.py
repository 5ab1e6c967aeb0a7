"""Recording observations: everything validated first, then written in one transaction, audited, on the timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from parcours.audit.services import audit_record
from parcours.clinical import hooks
from parcours.clinical.catalogue import lookup
from parcours.clinical.models import Observation
from parcours.core import clock
from parcours.core.errors import ValidationFailed
from parcours.patients.models import Patient
from parcours.patients.timeline import timeline_record

CLOCK_SKEW = dt.timedelta(minutes=2)
MAX_AGE = dt.timedelta(days=366)
SOURCES = ("cure", "questionnaire", "proxy", "api", "import", "visit", "manual")


@dataclass(frozen=True)
class ObservationInput:
    kind: str
    code: str
    value: Decimal | int | float | str | None
    unit: str | None
    observed_at: dt.datetime | None
    lower: Decimal | int | float | str | None = None
    upper: Decimal | int | float | str | None = None


def _decimal(raw: object) -> Decimal | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValueError(raw) from None
    if not value.is_finite():
        raise ValueError(raw)
    return value


def validate_observation(
    item: ObservationInput, *, now: dt.datetime
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Field errors (keys ``kind``, ``code``, ``value``, ``unit``, ``lower``, ``upper``, ``observed_at``) and the
    cleaned values."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    definition = lookup(item.kind, item.code)
    if item.kind not in ("lab", "vital"):
        errors["kind"] = [_("Type inconnu « %(kind)s » (biologie ou constante).") % {"kind": item.kind}]
    elif definition is None:
        errors["code"] = [_("Examen ou constante inconnu : « %(code)s ».") % {"code": item.code}]
    numbers: dict[str, Decimal | None] = {}
    for name in ("value", "lower", "upper"):
        try:
            numbers[name] = _decimal(getattr(item, name))
        except ValueError:
            errors[name] = [_("Nombre attendu (par exemple 1,5).")]
    if "value" not in errors and numbers.get("value") is None:
        errors["value"] = [_("La valeur est obligatoire.")]
    unit = (item.unit or "").strip()
    if not unit:
        errors["unit"] = [_("L'unité est obligatoire.")]
    if definition is not None:
        if definition.unit and unit and unit != definition.unit:
            errors["unit"] = [
                _("Unité attendue : %(expected)s (reçu : %(got)s).")
                % {"expected": definition.unit, "got": unit}
            ]
        for limit, field in (("lln", "lower"), ("uln", "upper")):
            if limit in definition.requires and numbers.get(field) is None and field not in errors:
                errors[field] = [
                    _("La borne %(which)s de l'intervalle de référence est nécessaire pour %(code)s.")
                    % {
                        "which": _("inférieure") if field == "lower" else _("supérieure"),
                        "code": definition.fr,
                    }
                ]
        value = numbers.get("value")
        if (
            definition.plausible
            and value is not None
            and not definition.plausible[0] <= value <= definition.plausible[1]
        ):
            errors["value"] = [
                _("Valeur hors des limites plausibles (%(low)s à %(high)s %(unit)s) : erreur de saisie ?")
                % {"low": definition.plausible[0], "high": definition.plausible[1], "unit": definition.unit}
            ]
        if value is not None and value < 0 and "value" not in errors:
            errors["value"] = [_("Une valeur négative n'est pas possible.")]
    lower, upper = numbers.get("lower"), numbers.get("upper")
    if lower is not None and upper is not None and lower > upper:
        errors["lower"] = [_("La borne inférieure dépasse la borne supérieure.")]
    at = item.observed_at
    if at is None:
        errors["observed_at"] = [_("La date et l'heure du prélèvement ou de la mesure sont obligatoires.")]
    elif at.tzinfo is None:
        errors["observed_at"] = [_("Date sans fuseau horaire.")]
    elif at > now + CLOCK_SKEW:
        errors["observed_at"] = [_("Date dans le futur : vérifiez l'horloge ou la saisie.")]
    elif at < now - MAX_AGE:
        errors["observed_at"] = [_("Date trop ancienne (plus d'un an).")]
    clean.update(
        kind=item.kind,
        code=item.code,
        value=numbers.get("value"),
        unit=unit,
        lower=lower,
        upper=upper,
        observed_at=at,
    )
    return errors, clean


def observations_record(
    *,
    actor: Any,
    patient: Patient,
    items: Sequence[ObservationInput],
    source: str,
    context: str = "",
) -> list[Observation]:
    """Validate every item (errors keyed ``items[i].field``), then write them all or nothing.

    After commit, the registered hooks run (the triage); a failing hook leaves ``triaged_at`` empty for the sweep.
    """
    if source not in SOURCES:
        raise ValidationFailed(
            _("Saisie incomplète ou invalide : vérifiez les champs signalés."),
            field_errors={"source": [_("Origine inconnue : « %(s)s ».") % {"s": source}]},
        )
    if not items:
        raise ValidationFailed(
            _("Saisie incomplète ou invalide : vérifiez les champs signalés."),
            field_errors={"items": [_("Aucune valeur à enregistrer.")]},
        )
    now = clock.now()
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        item_errors, clean = validate_observation(item, now=now)
        for field, messages in item_errors.items():
            errors[f"items[{i}].{field}"] = messages
        cleaned.append(clean)
    if errors:
        raise ValidationFailed(
            _("Saisie incomplète ou invalide : vérifiez les champs signalés."), field_errors=errors
        )
    actor_user = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        rows = Observation.objects.bulk_create(
            [
                Observation(
                    patient=patient,
                    recorded_at=now,
                    recorded_by=actor_user,
                    source=source,
                    context=context[:64],
                    **clean,
                )
                for clean in cleaned
            ]
        )
        if any(r.pk is None for r in rows):  # backends without RETURNING on bulk insert
            rows = list(
                Observation.objects.filter(patient=patient, recorded_at=now, source=source).order_by("id")
            )[-len(rows) :]
        ids = [r.pk for r in rows]
        audit_record(
            actor=actor,
            action="create",
            object_type="observation",
            object_id=str(rows[0].external_id),
            patient_id=patient.pk,
            detail={
                "source": source,
                "context": context,
                "codes": [c["code"] for c in cleaned],
                "ids": [str(r.external_id) for r in rows],
            },
        )
        summary_fr = ", ".join(f"{lookup(c['kind'], c['code']).fr} {c['value']} {c['unit']}" for c in cleaned)  # type: ignore[union-attr]
        summary_en = ", ".join(f"{lookup(c['kind'], c['code']).en} {c['value']} {c['unit']}" for c in cleaned)  # type: ignore[union-attr]
        kinds = {c["kind"] for c in cleaned}
        title_fr = (
            "Résultats biologiques" if kinds == {"lab"} else "Constantes" if kinds == {"vital"} else "Mesures"
        )
        title_en = (
            "Lab results" if kinds == {"lab"} else "Vital signs" if kinds == {"vital"} else "Measurements"
        )
        timeline_record(
            patient=patient,
            actor=actor,
            kind="observations.recorded",
            data={
                "label": {"fr": f"{title_fr} : {summary_fr}", "en": f"{title_en}: {summary_en}"},
                "ids": [str(r.external_id) for r in rows],
                "source": source,
            },
        )
        patient_id = patient.pk
        transaction.on_commit(lambda: hooks.run_hooks(patient_id, ids))
    return rows


def observations_mark_triaged(*, observation_ids: Sequence[int]) -> int:
    """Called by the triage once it has graded these observations."""
    return Observation.objects.filter(pk__in=list(observation_ids), triaged_at__isnull=True).update(
        triaged_at=clock.now()
    )
