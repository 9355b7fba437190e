"""Geometry of the radar chart of category scores: spokes, rings, the score polygon, labels.

Pure trigonometry on plain data (reusing the wheel's reading-order angles), so the page and
the PDF draw the same figure. Axis 0 points up; in a right-to-left language the axes follow
counter-clockwise, as a reader of that language reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scoring.wheel import _fmt, polar, wrap

RINGS = (25, 50, 75, 100)
LINE_EM = 1.1  # line spacing of wrapped labels


@dataclass(frozen=True)
class Axis:
    id: str
    title: str
    percent: float | None  # None: no score (drawn at the centre, marked as missing)
    angle: float  # reading-order degrees, 0 at the top
    end_x: float  # where the spoke meets the 100 ring
    end_y: float
    point_x: float  # where the score sits on the spoke
    point_y: float
    label_x: float
    label_y: float
    anchor: str  # "start" | "middle" | "end" (logical, as SVG text-anchor)
    lines: tuple[str, ...]
    number: int  # 1-based, for a numbered key where text cannot be drawn
    first_dy: float = 0.35  # em: where the first line's baseline sits relative to label_y


@dataclass(frozen=True)
class Radar:
    view_box: str
    radius: float
    rtl: bool
    axes: tuple[Axis, ...]
    rings: tuple[tuple[int, str], ...]  # (percent, polygon points)
    polygon: str  # the score polygon's points ("x,y x,y …"); "" when nothing is scored
    scored: int


def _clamp(percent: float | None) -> float:
    if percent is None:
        return 0.0
    return max(0.0, min(100.0, float(percent)))


def _points(pairs: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pairs)


def _anchor(x: float, radius: float, rtl: bool) -> str:
    """Labels right of the centre grow rightwards, left of it leftwards; near the axis, centred.

    SVG anchors are logical: in right-to-left text "start" is the right-hand end.
    """
    if abs(x) < radius * 0.08:
        return "middle"
    grows_right = x > 0
    return "start" if grows_right != rtl else "end"


def _first_dy(y: float, anchor: str, lines: int) -> float:
    """Labels above the chart stack upwards, below it downwards, beside it around the spoke."""
    if anchor == "middle" and y < 0:
        return round(-0.25 - (lines - 1) * LINE_EM, 2)
    if anchor == "middle":
        return 0.9
    return round(0.35 - (lines - 1) * LINE_EM / 2, 2)


def build_radar(axes: Sequence[Mapping[str, Any]], *, rtl: bool = False,
                radius: float = 200.0, label_gap: float = 16.0, label_width: int = 16,
                margin: float = 125.0) -> Radar:
    """Lay out one spoke per category; `axes` is [{id, label, percent (0–100 or None)}].

    Scores above 100 or below 0 are drawn at the edge or the centre (the chart's scale is
    0–100); the text beside the chart keeps the real number.
    """
    if len(axes) < 3:
        raise ValueError("a radar chart needs at least three axes")
    step = 360.0 / len(axes)
    laid: list[Axis] = []
    for number, axis in enumerate(axes, start=1):
        angle = (number - 1) * step
        end_x, end_y = polar(radius, angle, rtl)
        percent = axis.get("percent")
        point_x, point_y = polar(radius * _clamp(percent) / 100, angle, rtl)
        label_x, label_y = polar(radius + label_gap, angle, rtl)
        title = str(axis.get("label", axis["id"]))
        anchor = _anchor(label_x, radius, rtl)
        lines = wrap(title, label_width)
        laid.append(Axis(
            id=str(axis["id"]), title=title,
            percent=None if percent is None else float(percent), angle=round(angle, 6),
            end_x=round(end_x, 2), end_y=round(end_y, 2),
            point_x=round(point_x, 2), point_y=round(point_y, 2),
            label_x=round(label_x, 2), label_y=round(label_y, 2),
            anchor=anchor, lines=lines, number=number,
            first_dy=_first_dy(label_y, anchor, len(lines))))
    rings = tuple(
        (ring, _points([polar(radius * ring / 100, a.angle, rtl) for a in laid]))
        for ring in RINGS)
    scored = sum(1 for a in laid if a.percent is not None)
    polygon = _points([(a.point_x, a.point_y) for a in laid]) if scored else ""
    half = radius + margin
    return Radar(view_box=f"{_fmt(-half)} {_fmt(-half)} {_fmt(2 * half)} {_fmt(2 * half)}",
                 radius=radius, rtl=rtl, axes=tuple(laid), rings=rings, polygon=polygon,
                 scored=scored)
