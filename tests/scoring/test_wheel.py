"""The wheel's geometry: slices, angles, arcs, labels and right-to-left mirroring."""

import math
import re

import pytest

from scoring.wheel import HATCH_FILL, NO_DATA_COLOUR, arc_path, build_wheel, polar, wrap

TREE = [
    {"id": "EC", "label": "Economy", "percent": 75.0, "band": 3, "categories": [
        {"id": "ict", "label": "ICT Infrastructure", "percent": 100.0, "band": 4, "items": [
            {"id": "a", "label": "A", "band": 4, "status": "scored"},
            {"id": "b", "label": "B", "band": None, "status": "no_target"},
        ]},
    ]},
    {"id": "EN", "label": "Environment", "percent": None, "band": None, "categories": [
        {"id": "air", "label": "Air Quality", "percent": None, "band": None, "items": [
            {"id": "c", "label": "C <&>", "band": None, "status": "not_reported"},
            {"id": "d", "label": "D", "band": 1, "status": "scored"},
        ]},
    ]},
]


def test_every_item_gets_an_equal_slice_and_rings_nest():
    wheel = build_wheel(TREE)
    assert [s.start for s in wheel.items] == [0, 90, 180, 270]
    assert [(c.start, c.end) for c in wheel.categories] == [(0, 180), (180, 360)]
    assert [(d.start, d.end) for d in wheel.dimensions] == [(0, 180), (180, 360)]
    radii = wheel.radii
    assert radii.hole < radii.dimension < radii.category < radii.item < radii.label
    assert all(s.inner == radii.category and s.outer == radii.item for s in wheel.items)
    assert wheel.view_box == "-500 -500 1000 1000"


def test_fills_follow_band_and_status():
    wheel = build_wheel(TREE)
    fills = {s.id: (s.fill, s.css_class) for s in wheel.items}
    assert fills["a"] == ("#2e9d4a", "band-4")
    assert fills["b"] == (HATCH_FILL, "no-target")
    assert fills["c"] == (NO_DATA_COLOUR, "no-data")
    assert fills["d"][1] == "band-1"
    assert wheel.categories[1].css_class == "no-data"


def test_polar_zero_is_top_and_clockwise():
    x, y = polar(100, 0)
    assert (round(x, 6), round(y, 6)) == (0, -100)
    x, y = polar(100, 90)
    assert (round(x, 6), round(y, 6)) == (100, 0)
    x, y = polar(100, 90, rtl=True)  # mirrored: counter-clockwise
    assert (round(x, 6), round(y, 6)) == (-100, 0)


def _numbers(path):
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]


def test_arc_path_points_lie_on_their_circles():
    path = arc_path(50, 100, 10, 80)
    assert path.startswith("M ") and path.endswith("Z")
    points = re.findall(r"(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)(?= [ALZ]|$| Z)", path)
    radii = {round(math.hypot(float(x), float(y))) for x, y in points}
    assert radii <= {50, 100}
    assert " 0 0 1 " in path and " 0 0 0 " in path  # outer clockwise, inner back


def test_full_circle_segment_still_draws():
    path = arc_path(0, 100, 0, 360)
    assert path.count("A ") == 2 and "NaN" not in path


def _commands(path: str, *, mirrored: bool = False) -> list:
    """A path's commands and numbers; `mirrored` reflects it in the vertical axis (x negated,
    each arc's sweep flag flipped), which is what right-to-left must draw."""
    tokens = re.findall(r"[MLAZ]|-?\d+(?:\.\d+)?", path)
    sign = -1 if mirrored else 1
    out, index = [], 0
    while index < len(tokens):
        command = tokens[index]
        if command in ("M", "L"):
            x, y = tokens[index + 1: index + 3]
            out += [command, sign * float(x), float(y)]
            index += 3
        elif command == "A":
            rx, ry, rotation, large, sweep, x, y = tokens[index + 1: index + 8]
            out += [command, float(rx), float(ry), float(rotation), int(large),
                    1 - int(sweep) if mirrored else int(sweep), sign * float(x), float(y)]
            index += 8
        else:
            out.append(command)
            index += 1
    return out


def test_rtl_is_the_ltr_wheel_mirrored():
    ltr, rtl = build_wheel(TREE), build_wheel(TREE, rtl=True)
    for ring in ("dimensions", "categories", "items"):
        for left, right in zip(getattr(ltr, ring), getattr(rtl, ring), strict=True):
            assert _commands(right.path) == pytest.approx(_commands(left.path, mirrored=True),
                                                          abs=0.011), (ring, left.path)
            if left.label is not None:
                # Mirrored position; the same logical anchor, since the start of
                # right-to-left text is its right end.
                assert (right.label.x, right.label.y) == pytest.approx(
                    (-left.label.x, left.label.y), abs=0.011)
                assert right.label.anchor == left.label.anchor
    first_ltr, first_rtl = ltr.categories[0].label, rtl.categories[0].label
    assert first_ltr.x > 0 > first_rtl.x  # the first category starts on the right in ltr
    assert first_ltr.anchor == "start" and first_rtl.anchor == "start"
    assert ltr.categories[1].label.anchor == "end"


def test_labels_on_the_left_half_are_turned_upright():
    wheel = build_wheel(TREE)
    right, left = wheel.categories
    assert -90 <= ((right.label.rotate + 180) % 360) - 180 <= 90
    assert -90 <= ((left.label.rotate + 180) % 360) - 180 <= 90


def test_wrap_keeps_labels_short():
    assert wrap("ICT Infrastructure", 24) == ("ICT Infrastructure",)
    assert wrap("Public Space and Nature and Much More Words Here", 12) == (
        "Public Space", "and Nature…")
    assert wrap("信息和通信技术基础设施", 8) == ("信息和通", "信技术基…")
    assert wrap("", 10) == ()
    assert all(len(line) <= 13 for line in wrap("Supercalifragilisticexpialidocious", 12))


def test_dimension_label_carries_percent():
    wheel = build_wheel(TREE)
    assert wheel.dimensions[0].label.lines == ("Economy",)
    assert wheel.dimensions[0].value_label.lines == ("75 %",)
    assert wheel.dimensions[1].value_label.lines == ("–",)
    assert wheel.categories[0].value_label.lines == ("100 %",)


def test_empty_tree_is_refused():
    with pytest.raises(ValueError):
        build_wheel([])


SUB_TREE = [
    {"id": "EC", "label": "Economy", "percent": 60.0, "band": 2,
     "sub_dimensions": [
         {"id": "ICT", "label": "ICT", "percent": 100.0, "band": 4, "partial": True,
          "categories_scored": 1, "categories_total": 2},
         {"id": "I", "label": "Infrastructure", "percent": None, "band": None,
          "partial": False, "categories_scored": 0, "categories_total": 2}],
     "categories": [
         {"id": "water", "label": "Water", "percent": 100.0, "band": 4, "items": [
             {"id": "w1", "label": "W1", "band": 4, "status": "scored", "sub_dimension": "ICT"},
             {"id": "w2", "label": "W2", "band": None, "status": "not_reported",
              "sub_dimension": "I"}]},
         {"id": "transport", "label": "Transport", "percent": None, "band": None, "items": [
             {"id": "t1", "label": "T1", "band": None, "status": "not_reported",
              "sub_dimension": "ICT"},
             {"id": "t2", "label": "T2", "band": None, "status": "not_reported",
              "sub_dimension": "I"},
             {"id": "t3", "label": "T3", "band": None, "status": "not_reported",
              "sub_dimension": "I"}]},
     ]},
]


def test_sub_dimension_ring_sits_between_dimensions_and_categories_over_its_items():
    wheel = build_wheel(SUB_TREE)
    radii = wheel.radii
    assert radii.dimension < radii.sub_dimension < radii.category
    # A category holding two sub-dimensions splits its arc; neighbours of one sub-dimension
    # share one segment, so the ring is exactly as long as the items under it.
    assert [(s.id, s.start, s.end) for s in wheel.sub_dimensions] == [
        ("ICT", 0, 72), ("I", 72, 144), ("ICT", 144, 216), ("I", 216, 360)]
    assert all(s.ring == "sub_dimension" and s.inner == radii.dimension
               and s.outer == radii.sub_dimension for s in wheel.sub_dimensions)
    assert all(c.inner == radii.sub_dimension for c in wheel.categories)
    fills = {(s.id, s.fill, s.css_class, s.percent) for s in wheel.sub_dimensions}
    assert fills == {("ICT", "#2e9d4a", "band-4", 100.0), ("I", NO_DATA_COLOUR, "no-data", None)}
    ict = wheel.sub_dimensions[0]
    assert ict.extra == {"partial": True, "categories_scored": 1, "categories_total": 2}
    rtl = build_wheel(SUB_TREE, rtl=True)
    assert [s.path for s in rtl.sub_dimensions] != [s.path for s in wheel.sub_dimensions]
    assert [(s.start, s.end) for s in rtl.sub_dimensions] == [
        (s.start, s.end) for s in wheel.sub_dimensions]


def test_items_without_sub_dimension_leave_the_ring_empty():
    assert build_wheel(TREE).sub_dimensions == ()


def _thin_and_wide_tree(rtl_names: bool = False) -> list[dict]:
    """24 categories with 1 to 15 items, thin ones side by side (as the U4SSC catalog has)."""
    sizes = [6, 7, 1, 6, 15, 4, 3, 4, 1, 2, 6, 6, 6, 6, 2, 4, 4, 4, 6, 2, 2, 5, 9, 1]
    items = iter(range(1000))
    return [{"id": f"D{d}", "label": f"Dimension {d}", "percent": 50.0, "band": 2,
             "categories": [{"id": f"c{d}-{i}", "label": f"Category {d}-{i}", "percent": 50.0,
                             "band": 2, "items": [{"id": str(next(items)), "label": "K",
                                                   "band": 2, "status": "scored"}
                                                  for _ in range(size)]}
                            for i, size in enumerate(sizes[d * 8:(d + 1) * 8])]}
            for d in range(3)]


@pytest.mark.parametrize("rtl", [False, True])
def test_phone_numbers_are_large_apart_and_inside_the_cropped_view(rtl):
    from scoring.wheel import NUMBER_CROP, NUMBER_FONT, _number_box, _overlap

    wheel = build_wheel(_thin_and_wide_tree(), rtl=rtl)
    numbers = wheel.numbers
    assert [label.lines[0] for label in numbers] == [str(i) for i in range(1, 25)]
    boxes = [_number_box(label.x, label.y, label.lines[0], NUMBER_FONT) for label in numbers]
    for index, box in enumerate(boxes):
        assert not [other for other in boxes[index + 1:] if _overlap(box, other)], index
        corners = [(box[0], box[1]), (box[0], box[3]), (box[2], box[1]), (box[2], box[3])]
        assert max(math.hypot(x, y) for x, y in corners) <= NUMBER_CROP
        # Outside the drawn rings: no corner inside the item ring's outer circle.
        assert min(math.hypot(x, y) for x, y in corners) >= wheel.radii.item
    # Each number sits in its category's direction.
    for label, segment in zip(numbers, wheel.categories, strict=True):
        x, y = polar(1, (segment.start + segment.end) / 2, rtl)
        assert (label.x * x + label.y * y) / math.hypot(label.x, label.y) > 0.95
