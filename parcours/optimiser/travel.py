"""Travel times (minutes) between the points of an instance, as one dense matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from parcours.optimiser.model import Instance, Point, TravelModel

EARTH_RADIUS_KM = 6371.0

FloatMatrix = npt.NDArray[np.float64]


def travel_matrix(model: TravelModel, points: Sequence[Point]) -> FloatMatrix:
    """Minutes from ``points[i]`` to ``points[j]`` under ``model``."""
    n = len(points)
    if model.kind == "matrix":
        index = {k: i for i, k in enumerate(model.ids)}
        full = np.asarray(model.minutes, dtype=np.float64).reshape(len(model.ids), len(model.ids))
        rows = np.fromiter((index[p.key] for p in points), dtype=np.int64, count=n)
        return np.ascontiguousarray(full[np.ix_(rows, rows)])
    xs = np.fromiter((p.x for p in points), dtype=np.float64, count=n)
    ys = np.fromiter((p.y for p in points), dtype=np.float64, count=n)
    if model.kind == "euclidean":
        dist = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
        if model.rounding == "dimacs":
            dist = np.floor(dist * 10.0) / 10.0
        return np.ascontiguousarray(dist)
    lat = np.radians(xs)
    lon = np.radians(ys)
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    out: FloatMatrix = km * model.detour_factor / model.speed_kmh * 60.0
    np.fill_diagonal(out, 0.0)
    return np.ascontiguousarray(out)


class TravelTable:
    """Every point of an instance, indexed by role, with the travel-time matrix between them.

    Index layout: depots, then nurse start points, then nurse end points, then visits.
    """

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        points: list[Point] = [d.point for d in instance.depots]
        points += [n.start for n in instance.nurses]
        points += [n.end for n in instance.nurses]
        points += [v.point for v in instance.visits]
        self.points = points
        nd, nn = len(instance.depots), len(instance.nurses)
        self.depot_index = {d.id: i for i, d in enumerate(instance.depots)}
        self.start_index = {n.id: nd + i for i, n in enumerate(instance.nurses)}
        self.end_index = {n.id: nd + nn + i for i, n in enumerate(instance.nurses)}
        self.visit_index = {v.id: nd + 2 * nn + i for i, v in enumerate(instance.visits)}
        self.minutes = travel_matrix(instance.travel, points)
        self._rows: list[list[float]] | None = None

    @property
    def rows(self) -> list[list[float]]:
        """The matrix as nested Python lists (fast scalar access in pure-Python loops)."""
        if self._rows is None:
            self._rows = self.minutes.tolist()
        return self._rows

    def __call__(self, i: int, j: int) -> float:
        return self.rows[i][j]
