"""Server-rendered SVG trend charts (no JavaScript), each with a table alternative for screen readers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PARIS = ZoneInfo("Europe/Paris")
W, H = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 34


@dataclass(frozen=True)
class Point:
    at: dt.datetime
    value: float
    note: str = ""


@dataclass
class Chart:
    id: str
    title: str
    unit: str
    points: list[Point]
    y_max: float | None = None
    y_min: float = 0.0
    reference: list[tuple[str, float]] = field(default_factory=list)  # (label, value) dashed lines
    cure_dates: list[dt.date] = field(default_factory=list)
    integer_axis: bool = False

    @property
    def rows(self) -> list[Point]:
        return sorted(self.points, key=lambda p: p.at)

    def svg(self) -> SafeString:
        pts = self.rows
        if not pts:
            return mark_safe("")
        start = min(
            [p.at for p in pts] + [dt.datetime.combine(d, dt.time(12), tzinfo=PARIS) for d in self.cure_dates]
        )
        end = max(
            [p.at for p in pts] + [dt.datetime.combine(d, dt.time(12), tzinfo=PARIS) for d in self.cure_dates]
        )
        if end - start < dt.timedelta(days=1):
            start, end = start - dt.timedelta(hours=12), end + dt.timedelta(hours=12)
        top_value = max([p.value for p in pts] + [v for _l, v in self.reference] + [self.y_max or 0.0])
        y_max = self.y_max if self.y_max is not None else (top_value * 1.15 or 1.0)
        y_max = max(y_max, top_value)
        span = (end - start).total_seconds()

        def x(at: dt.datetime) -> str:
            return f"{LEFT + (W - LEFT - RIGHT) * (at - start).total_seconds() / span:.1f}"

        def y(value: float) -> str:
            return (
                f"{TOP + (H - TOP - BOTTOM) * (1 - (value - self.y_min) / ((y_max - self.y_min) or 1)):.1f}"
            )

        parts: list[str] = []
        ticks = [self.y_min + (y_max - self.y_min) * i / 4 for i in range(5)]
        if self.integer_axis:
            ticks = [float(v) for v in range(int(self.y_min), int(y_max) + 1)]
        for t in ticks:
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" class="grid"/><text x="{}" y="{}" class="ylab">{}</text>',
                    LEFT,
                    W - RIGHT,
                    y(t),
                    y(t),
                    LEFT - 6,
                    f"{float(y(t)) + 4:.1f}",
                    _fmt(t),
                )
            )
        for label, value in self.reference:
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" class="ref"/><text x="{}" y="{}" class="reflab">{}</text>',
                    LEFT,
                    W - RIGHT,
                    y(value),
                    y(value),
                    W - RIGHT - 4,
                    f"{float(y(value)) - 4:.1f}",
                    label,
                )
            )
        for day in self.cure_dates:
            cx = x(dt.datetime.combine(day, dt.time(12), tzinfo=PARIS))
            parts.append(
                format_html(
                    '<line x1="{}" x2="{}" y1="{}" y2="{}" class="cure"/><text x="{}" y="{}" class="curelab">{}</text>',
                    cx,
                    cx,
                    TOP,
                    H - BOTTOM,
                    cx,
                    H - BOTTOM + 26,
                    "cure " + day.strftime("%d/%m"),
                )
            )
        coords = " ".join(f"{x(p.at)},{y(p.value)}" for p in pts)
        parts.append(format_html('<polyline points="{}" class="line"/>', coords))
        parts.append(
            format_html_join(
                "",
                '<circle cx="{}" cy="{}" r="4" class="dot"><title>{} : {}</title></circle>',
                (
                    (x(p.at), y(p.value), p.at.astimezone(PARIS).strftime("%d/%m/%Y"), _fmt(p.value))
                    for p in pts
                ),
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="xlab">{}</text><text x="{}" y="{}" class="xlab end">{}</text>',
                LEFT,
                H - BOTTOM + 14,
                start.astimezone(PARIS).strftime("%d/%m"),
                W - RIGHT,
                H - BOTTOM + 14,
                end.astimezone(PARIS).strftime("%d/%m"),
            )
        )
        return format_html(
            '<svg class="trend" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t" focusable="false">'
            '<title id="{}-t">{}</title>{}</svg>',
            W,
            H,
            self.id,
            self.id,
            self.title,
            mark_safe("".join(parts)),  # noqa: S308 - parts are format_html output
        )


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def decimal_points(rows: Sequence[tuple[dt.datetime, Decimal]]) -> list[Point]:
    return [Point(at, float(v)) for at, v in rows]
