"""Geometry of the benchmarking wheel: rings of arc segments and where their labels go.

Pure trigonometry on plain data, so the same figure is drawn in the page, the SVG download
and the PDF. Angles are degrees clockwise from twelve o'clock in reading order; in a
right-to-left language the wheel runs counter-clockwise, as a reader of that language reads.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BAND_COLOURS = {4: "#2e9d4a", 3: "#9ccc3c", 2: "#f2b705", 1: "#e0452c"}
NO_DATA_COLOUR = "#c7ccd1"
HATCH_ID = "wheel-hatch"
HATCH_FILL = f"url(#{HATCH_ID})"


@dataclass(frozen=True)
class Radii:
    hole: float = 60.0
    dimension: float = 150.0  # outer edge of the dimension ring
    sub_dimension: float = 178.0  # outer edge of the sub-dimension ring
    category: float = 228.0
    item: float = 282.0
    label: float = 291.0  # where category names start, outside the wheel
    half_size: float = 500.0  # the view box is a square of 2 × half_size around the centre


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    rotate: float  # degrees, SVG convention (clockwise)
    anchor: str  # "start" | "middle" | "end"
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    id: str
    ring: str  # "dimension" | "sub_dimension" | "category" | "item"
    title: str  # full text, for <title> (tooltips, screen readers)
    start: float
    end: float
    inner: float
    outer: float
    path: str
    fill: str
    css_class: str
    band: int | None = None
    status: str | None = None
    percent: float | None = None
    label: Label | None = None
    value_label: Label | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def mid_arc(self) -> float:
        """Length of the segment's arc halfway between its radii (room for text across it)."""
        return math.radians(self.end - self.start) * (self.inner + self.outer) / 2


@dataclass(frozen=True)
class Wheel:
    view_box: str
    radii: Radii
    rtl: bool
    dimensions: tuple[Segment, ...]
    categories: tuple[Segment, ...]
    items: tuple[Segment, ...]
    # One segment per run of neighbouring items of the same sub-dimension: a category can
    # hold KPIs of two sub-dimensions (Water and Sanitation: ICT and Infrastructure), so a
    # sub-dimension may take several arcs of its dimension.
    sub_dimensions: tuple[Segment, ...] = ()

    @property
    def category_numbers(self) -> dict[str, int]:
        """Each category's number on the phone wheel (1, 2, … in wheel order), for the lists
        that name them."""
        return {segment.id: index for index, segment in enumerate(self.categories, start=1)}

    @property
    def numbers(self) -> tuple[Label, ...]:
        """The categories' numbers for the phone view (see number_labels)."""
        return number_labels(self)

    @property
    def number_font(self) -> float:
        return NUMBER_FONT


def _fmt(number: float) -> str:
    text = f"{number:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def polar(radius: float, angle: float, rtl: bool = False) -> tuple[float, float]:
    """Screen point for a reading-order angle (0 at the top, growing clockwise in ltr)."""
    radians = math.radians(-angle if rtl else angle)
    return radius * math.sin(radians), -radius * math.cos(radians)


def arc_path(inner: float, outer: float, start: float, end: float, rtl: bool = False) -> str:
    """SVG path of the ring sector between two radii and two angles (any span up to 360°)."""
    if end <= start:
        raise ValueError("a segment needs end > start")
    # Going through the middle keeps each arc under 180°, so the large-arc flag is never
    # needed and a full circle (a single segment) still draws.
    middle = (start + end) / 2
    forward = "0" if rtl else "1"
    back = "1" if rtl else "0"

    def point(radius: float, angle: float) -> str:
        x, y = polar(radius, angle, rtl)
        return f"{_fmt(x)} {_fmt(y)}"

    r_out, r_in = _fmt(outer), _fmt(inner)
    parts = [f"M {point(outer, start)}",
             f"A {r_out} {r_out} 0 0 {forward} {point(outer, middle)}",
             f"A {r_out} {r_out} 0 0 {forward} {point(outer, end)}"]
    if inner > 0:
        parts += [f"L {point(inner, end)}",
                  f"A {r_in} {r_in} 0 0 {back} {point(inner, middle)}",
                  f"A {r_in} {r_in} 0 0 {back} {point(inner, start)}"]
    else:
        parts.append("L 0 0")
    parts.append("Z")
    return " ".join(parts)


def text_width(text: str) -> int:
    """Rough width in 'Latin letters': wide (CJK) characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap(text: str, width: int, max_lines: int = 2) -> tuple[str, ...]:
    """Break a label into at most `max_lines` lines of about `width` letters, with '…' when cut."""
    text = " ".join(str(text).split())
    if not text:
        return ()
    words = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current}{joiner}{word}" if current else word
        if text_width(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + "…"
    cut = []
    for line in lines:
        while text_width(line) > width + 1 and len(line) > 1:
            line = line[:-2] + "…"
        cut.append(line)
    return tuple(cut)


def _screen_angle(angle: float, rtl: bool) -> float:
    return (-angle if rtl else angle) % 360


def radial_label(radius: float, angle: float, lines: tuple[str, ...], rtl: bool,
                 anchor_outward: bool = True) -> Label:
    """Text along the radius, kept upright: on the left half it is turned by 180°."""
    screen = _screen_angle(angle, rtl)
    x, y = polar(radius, angle, rtl)
    right_half = screen < 180
    rotate = screen - 90 if right_half else screen + 90
    # Outward is "start" on the right half and "end" on the left; right-to-left text
    # swaps which end is the start.
    outward = "start" if right_half != rtl else "end"
    anchor = outward if anchor_outward else "middle"
    return Label(x=round(x, 2), y=round(y, 2), rotate=round(rotate % 360, 2), anchor=anchor,
                 lines=lines)


def _category_lines(text: str, room: float, width: int) -> tuple[str, ...]:
    # Two lines need about two text heights across the slice; a thin slice gets one
    # longer line, so neighbouring labels never run into each other.
    if room >= 40:
        return wrap(text, width, max_lines=2)
    return wrap(text, width + 6, max_lines=1)


def _fill(band: int | None, status: str | None) -> tuple[str, str]:
    if status == "no_target":
        return HATCH_FILL, "no-target"
    if band in BAND_COLOURS and status in (None, "scored"):
        return BAND_COLOURS[band], f"band-{band}"
    return NO_DATA_COLOUR, "no-data"


def _percent_text(percent: float | None) -> str:
    return "–" if percent is None else f"{round(percent):d} %"


def build_wheel(dimensions: Sequence[Mapping[str, Any]], *, rtl: bool = False,
                radii: Radii | None = None, label_width: int = 20) -> Wheel:
    """Lay out dimensions → categories → items around the circle, each item one equal slice.

    `dimensions`: [{id, label, percent, band, sub_dimensions: [{id, label, percent, band,
    ...}], categories: [{id, label, percent, band, items: [{id, label, band, status,
    sub_dimension}]}]}]. A category without items still gets one slice. Items naming a
    sub-dimension of their dimension are drawn on the sub-dimension ring, between the
    dimension and category rings; a sub-dimension's other keys (e.g. how many of its
    categories were scored) are kept in its segments' `extra`.
    """
    radii = radii or Radii()
    slots = sum(max(1, len(c.get("items") or ())) for d in dimensions
                for c in d.get("categories") or ())
    if slots == 0:
        raise ValueError("the wheel needs at least one category")
    step = 360.0 / slots
    dim_segments: list[Segment] = []
    cat_segments: list[Segment] = []
    item_segments: list[Segment] = []
    sub_segments: list[Segment] = []
    cursor = 0.0
    for dimension in dimensions:
        dim_start = cursor
        subs = {str(s["id"]): s for s in dimension.get("sub_dimensions") or ()}
        runs: list[list] = []  # [sub-dimension id, start, end]
        for category in dimension.get("categories") or ():
            cat_start = cursor
            items = list(category.get("items") or ())
            for item in items:
                sub_id = item.get("sub_dimension")
                if sub_id is not None and str(sub_id) in subs:
                    if runs and runs[-1][0] == str(sub_id) and runs[-1][2] == cursor:
                        runs[-1][2] = cursor + step
                    else:
                        runs.append([str(sub_id), cursor, cursor + step])
                fill, css = _fill(item.get("band"), item.get("status"))
                middle = cursor + step / 2
                item_segments.append(Segment(
                    id=str(item["id"]), ring="item", title=str(item.get("label", item["id"])),
                    start=round(cursor, 6), end=round(cursor + step, 6),
                    inner=radii.category, outer=radii.item,
                    path=arc_path(radii.category, radii.item, cursor, cursor + step, rtl),
                    fill=fill, css_class=css, band=item.get("band"), status=item.get("status"),
                    percent=item.get("percent"),
                    label=radial_label((radii.category + radii.item) / 2, middle, (), rtl,
                                       anchor_outward=False),
                    extra={k: v for k, v in item.items()
                           if k not in ("id", "label", "band", "status", "percent")},
                ))
                cursor += step
            if not items:
                cursor += step
            middle = (cat_start + cursor) / 2
            fill, css = _fill(category.get("band"), None)
            label_text = str(category.get("label", category["id"]))
            cat_segments.append(Segment(
                id=str(category["id"]), ring="category", title=label_text,
                start=round(cat_start, 6), end=round(cursor, 6),
                inner=radii.sub_dimension, outer=radii.category,
                path=arc_path(radii.sub_dimension, radii.category, cat_start, cursor, rtl),
                fill=fill, css_class=css, band=category.get("band"),
                percent=category.get("percent"),
                label=radial_label(radii.label, middle, _category_lines(
                    label_text, math.radians(cursor - cat_start) * radii.label, label_width),
                    rtl),
                value_label=radial_label((radii.sub_dimension + radii.category) / 2, middle,
                                         (_percent_text(category.get("percent")),), rtl,
                                         anchor_outward=False),
            ))
        for sub_id, start, end in runs:
            sub = subs[sub_id]
            fill, css = _fill(sub.get("band"), None)
            sub_segments.append(Segment(
                id=sub_id, ring="sub_dimension", title=str(sub.get("label", sub_id)),
                start=round(start, 6), end=round(end, 6),
                inner=radii.dimension, outer=radii.sub_dimension,
                path=arc_path(radii.dimension, radii.sub_dimension, start, end, rtl),
                fill=fill, css_class=css, band=sub.get("band"), percent=sub.get("percent"),
                extra={k: v for k, v in sub.items()
                       if k not in ("id", "label", "band", "percent")},
            ))
        middle = (dim_start + cursor) / 2
        x, y = polar((radii.hole + radii.dimension) / 2, middle, rtl)
        label_text = str(dimension.get("label", dimension["id"]))
        fill, css = _fill(dimension.get("band"), None)
        dim_segments.append(Segment(
            id=str(dimension["id"]), ring="dimension", title=label_text,
            start=round(dim_start, 6), end=round(cursor, 6),
            inner=radii.hole, outer=radii.dimension,
            path=arc_path(radii.hole, radii.dimension, dim_start, cursor, rtl),
            fill=fill, css_class=css, band=dimension.get("band"),
            percent=dimension.get("percent"),
            label=Label(x=round(x, 2), y=round(y, 2), rotate=0.0, anchor="middle",
                        lines=wrap(label_text, 11)),
            value_label=Label(x=round(x, 2), y=round(y, 2), rotate=0.0, anchor="middle",
                              lines=(_percent_text(dimension.get("percent")),)),
        ))
    size = radii.half_size
    return Wheel(view_box=f"{_fmt(-size)} {_fmt(-size)} {_fmt(2 * size)} {_fmt(2 * size)}",
                 radii=radii, rtl=rtl, dimensions=tuple(dim_segments),
                 categories=tuple(cat_segments), items=tuple(item_segments),
                 sub_dimensions=tuple(sub_segments))


# ------------------------------------------------------------------ numbers (phone)
# On a phone the wheel is a third of its drawn size: category names would be 6 px tall. It
# shows each category's number instead (the Scores list under it repeats the numbers with
# the names), upright and large, just outside the wheel; the page crops the view to
# NUMBER_CROP so the drawing fills the screen (portal.css, `.wheel-frame`).
NUMBER_FONT = 28.0
NUMBER_GAP = 6.0
NUMBER_CROP = 370.0  # radius the phone view keeps; every number box stays inside it
_DIGIT_WIDTH = 0.6  # of the font size, for Latin digits
_LINE_HEIGHT = 1.36  # of the font size: the box a browser gives a line (ascent + descent)


def _number_box(x: float, y: float, text: str, font: float) -> tuple[float, ...]:
    half_w = len(text) * _DIGIT_WIDTH * font / 2 + 2
    half_h = _LINE_HEIGHT * font / 2
    return x - half_w, y - half_h, x + half_w, y + half_h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def number_labels(wheel: Wheel, font: float = NUMBER_FONT) -> tuple[Label, ...]:
    """One upright number per category (1, 2, … in wheel order), centred just outside the
    item ring at the category's middle; a number that would touch one already placed (a
    thin category beside another) moves outward until it does not."""
    outer = max((s.outer for s in wheel.items), default=wheel.radii.item)
    placed: list[tuple[float, ...]] = []
    labels: list[Label] = []
    for index, segment in enumerate(wheel.categories, start=1):
        text = str(index)
        middle = (segment.start + segment.end) / 2
        screen = math.radians(_screen_angle(middle, wheel.rtl))
        # From the centre, an upright box reaches |sin|·w/2 + |cos|·h/2 towards the wheel.
        half_w = len(text) * _DIGIT_WIDTH * font / 2 + 2
        reach = abs(math.sin(screen)) * half_w + abs(math.cos(screen)) * _LINE_HEIGHT * font / 2
        radius = outer + NUMBER_GAP + reach
        while True:
            x, y = polar(radius, middle, wheel.rtl)
            box = _number_box(x, y, text, font)
            if not any(_overlap(box, other) for other in placed):
                break
            radius += font / 6
        placed.append(box)
        labels.append(Label(x=round(x, 2), y=round(y, 2), rotate=0.0, anchor="middle",
                            lines=(text,)))
    return tuple(labels)
