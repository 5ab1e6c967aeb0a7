"""Small hand-made instances (decoded JSON) shared by the optimiser tests. Euclidean travel: 1 unit = 1 min."""

from __future__ import annotations

import copy
from typing import Any

import pytest


def base_instance() -> dict[str, Any]:
    """One nurse at (0,0), 08:00–12:00; pharmacy PH at (0,10); visit A at (10,0); bag visit B at (10,10)."""
    return {
        "date": "2025-03-10",
        "travel": {"kind": "euclidean"},
        "depots": [{"id": "PH", "x": 0, "y": 10, "pickup_min": 5}],
        "nurses": [
            {
                "id": "N1",
                "start": {"x": 0, "y": 0},
                "end": {"x": 0, "y": 0},
                "shift": ["08:00", "12:00"],
                "skills": ["chimio"],
                "max_visits": 5,
                "capacity": 10,
            }
        ],
        "visits": [
            {
                "id": "A",
                "x": 10,
                "y": 0,
                "window": ["08:10", "10:00"],
                "duration_min": 30,
                "skills": [],
                "demand": 1,
            },
            {
                "id": "B",
                "x": 10,
                "y": 10,
                "window": ["09:00", "11:00"],
                "duration_min": 30,
                "skills": ["chimio"],
                "demand": 1,
                "bag": {"depot": "PH", "ready": "08:40", "stability_min": 60},
            },
        ],
    }


def base_plan() -> dict[str, Any]:
    """A valid plan for :func:`base_instance`: PH (pick B) → B → A → home; travel 40 min."""
    return {
        "routes": [
            {
                "nurse": "N1",
                "stops": [
                    {"type": "pickup", "depot": "PH", "bags": ["B"], "arrive": 520, "depart": 525},
                    {"type": "visit", "visit": "B", "arrive": 535, "start": 540, "end": 570},
                    {"type": "visit", "visit": "A", "arrive": 580, "start": 580, "end": 610},
                ],
                "travel_min": 40,
            }
        ],
        "unassigned": [],
        "total_travel_min": 40,
        "solve_seconds": 0.0,
    }


@pytest.fixture
def instance() -> dict[str, Any]:
    return copy.deepcopy(base_instance())


@pytest.fixture
def plan() -> dict[str, Any]:
    return copy.deepcopy(base_plan())
