"""Stability deadline of a prepared bag (clinical-rules C.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from parcours.treatments.common import PARIS, DataError
from parcours.treatments.regimens import load_builtin_regimens
from parcours.treatments.stability import StabilityDataMissing, is_expired, stability_deadline, storage_range

CAT = load_builtin_regimens()
PREPARED = datetime(2025, 3, 3, 8, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("inn", "storage", "hours"),
    [
        ("pembrolizumab", "refrigerated", 96),
        ("pembrolizumab", "room_temperature", 6),
        ("atezolizumab", "refrigerated", 720),
        ("atezolizumab", "room_temperature", 24),
        ("durvalumab", "refrigerated", 720),
        ("durvalumab", "room_temperature", 24),
        ("ipilimumab", "refrigerated", 24),
        ("ipilimumab", "room_temperature", 24),
        ("cemiplimab", "refrigerated", 240),
        ("cemiplimab", "room_temperature", 8),
        ("dostarlimab", "refrigerated", 24),
        ("dostarlimab", "room_temperature", 6),
    ],
)
def test_deadline_per_drug_and_storage_under_validated_aseptic_preparation(
    inn: str, storage: str, hours: int
) -> None:
    result = stability_deadline(CAT.drug(inn), storage=storage, prepared_at=PREPARED, aseptic_validated=True)  # type: ignore[arg-type]
    assert result.deadline == PREPARED + timedelta(hours=hours) or result.deadline.astimezone(UTC) == (
        PREPARED.astimezone(UTC) + timedelta(hours=hours)
    )
    assert result.basis == "chemical_physical"
    assert result.latest_start == result.deadline - timedelta(minutes=CAT.drug(inn).infusion_minutes)
    assert result.deadline.tzinfo is not None


def test_deadline_is_counted_in_real_hours_across_the_daylight_saving_change() -> None:
    prepared = datetime(2025, 3, 29, 12, 0, tzinfo=PARIS)  # DST starts on 30 March
    result = stability_deadline(
        CAT.drug("atezolizumab"), storage="room_temperature", prepared_at=prepared, aseptic_validated=True
    )
    assert result.deadline.astimezone(UTC) - prepared.astimezone(UTC) == timedelta(hours=24)


def test_without_validated_aseptic_preparation_the_shorter_microbiological_limit_applies() -> None:
    result = stability_deadline(
        CAT.drug("durvalumab"), storage="room_temperature", prepared_at=PREPARED, aseptic_validated=False
    )
    assert result.basis == "microbiological"
    assert result.limit_hours == 12


def test_without_validated_aseptic_preparation_and_no_microbiological_data_a_local_limit_is_needed() -> None:
    with pytest.raises(StabilityDataMissing, match=r"pembrolizumab\.stability\.microbiological"):
        stability_deadline(
            CAT.drug("pembrolizumab"), storage="refrigerated", prepared_at=PREPARED, aseptic_validated=False
        )


def test_nivolumab_has_no_verified_stability_so_the_pharmacy_sets_a_local_limit_with_a_reason() -> None:
    with pytest.raises(StabilityDataMissing, match=r"nivolumab\.stability\.refrigerated"):
        stability_deadline(
            CAT.drug("nivolumab"), storage="refrigerated", prepared_at=PREPARED, aseptic_validated=True
        )
    with pytest.raises(DataError, match="local_limit_reason"):
        stability_deadline(
            CAT.drug("nivolumab"),
            storage="refrigerated",
            prepared_at=PREPARED,
            aseptic_validated=True,
            local_limit_hours=24,
        )
    result = stability_deadline(
        CAT.drug("nivolumab"),
        storage="refrigerated",
        prepared_at=PREPARED,
        aseptic_validated=True,
        local_limit_hours=24,
        local_limit_reason="SmPC Opdivo 6.3 read by the PUI",
    )
    assert result.basis == "local" and result.limit_hours == 24
    assert result.local_limit_reason == "SmPC Opdivo 6.3 read by the PUI"


def test_a_local_limit_may_shorten_but_never_lengthen_the_data() -> None:
    drug = CAT.drug("dostarlimab")
    shorter = stability_deadline(
        drug,
        storage="refrigerated",
        prepared_at=PREPARED,
        aseptic_validated=True,
        local_limit_hours=12,
        local_limit_reason="PUI policy",
    )
    assert shorter.limit_hours == 12
    with pytest.raises(DataError, match="local_limit_hours: 48 h exceeds"):
        stability_deadline(
            drug,
            storage="refrigerated",
            prepared_at=PREPARED,
            aseptic_validated=True,
            local_limit_hours=48,
            local_limit_reason="x",
        )


def test_pembrolizumab_room_temperature_time_counts_from_when_the_bag_leaves_the_fridge() -> None:
    out = PREPARED + timedelta(hours=20)
    result = stability_deadline(
        CAT.drug("pembrolizumab"),
        storage="refrigerated",
        prepared_at=PREPARED,
        aseptic_validated=True,
        room_temperature_from=out,
    )
    assert result.deadline == out + timedelta(hours=6)
    assert result.basis == "room_temperature"


def test_other_drugs_count_room_temperature_time_from_preparation_when_the_label_gives_alternatives() -> None:
    out = PREPARED + timedelta(hours=5)
    result = stability_deadline(
        CAT.drug("cemiplimab"),
        storage="refrigerated",
        prepared_at=PREPARED,
        aseptic_validated=True,
        room_temperature_from=out,
    )
    assert result.deadline == PREPARED + timedelta(hours=8)


def test_first_atezolizumab_infusion_of_60_minutes_moves_the_latest_start() -> None:
    result = stability_deadline(
        CAT.drug("atezolizumab"),
        storage="room_temperature",
        prepared_at=PREPARED,
        aseptic_validated=True,
        infusion_minutes=60,
    )
    assert result.deadline - result.latest_start == timedelta(minutes=60)


def test_naive_preparation_time_is_refused() -> None:
    with pytest.raises(DataError, match="prepared_at"):
        stability_deadline(
            CAT.drug("pembrolizumab"),
            storage="refrigerated",
            prepared_at=datetime(2025, 3, 3, 8),
            aseptic_validated=True,
        )


def test_is_expired_from_the_deadline_on() -> None:
    deadline = PREPARED + timedelta(hours=6)
    assert not is_expired(deadline, deadline - timedelta(seconds=1))
    assert is_expired(deadline, deadline)
    assert is_expired(deadline, deadline + timedelta(hours=1))


def test_storage_range_gives_the_cold_chain_limits() -> None:
    low, high = storage_range(CAT.drug("pembrolizumab"), "refrigerated")
    assert (low, high) == (Decimal(2), Decimal(8))
    with pytest.raises(StabilityDataMissing):
        storage_range(CAT.drug("nivolumab"), "refrigerated")
