"""The radar chart's geometry: spokes, rings, the score polygon, labels in both directions."""

import math

import pytest

from scoring.radar import RINGS, build_radar


def axes(*percents):
    return [{"id": f"c{i}", "label": f"Category {i}", "percent": p}
            for i, p in enumerate(percents)]


def test_first_spoke_points_up_and_spokes_are_evenly_spread():
    radar = build_radar(axes(50, 50, 50, 50), radius=100)
    ends = [(a.end_x, a.end_y) for a in radar.axes]
    assert ends == [(0, -100), (100, 0), (0, 100), (-100, 0)]
    assert [a.angle for a in radar.axes] == [0, 90, 180, 270]


def test_scores_sit_on_their_spoke_at_their_share_of_the_radius():
    radar = build_radar(axes(100, 25, 0, 50), radius=200)
    points = [(a.point_x, a.point_y) for a in radar.axes]
    assert points[0] == (0, -200)
    assert points[1] == (50, 0)
    assert points[2] == (0, 0)
    assert points[3] == (-100, 0)
    assert radar.polygon == "0,-200 50,0 0,0 -100,0"
    assert radar.scored == 4


def test_scores_outside_0_to_100_are_drawn_at_the_edges_but_kept_as_numbers():
    radar = build_radar(axes(130, -5, 60), radius=100)
    assert math.hypot(radar.axes[0].point_x, radar.axes[0].point_y) == pytest.approx(100)
    assert (radar.axes[1].point_x, radar.axes[1].point_y) == (0, 0)
    assert radar.axes[0].percent == 130


def test_missing_scores_are_marked_and_an_unscored_chart_has_no_polygon():
    radar = build_radar(axes(None, None, None))
    assert radar.polygon == "" and radar.scored == 0
    assert all(a.percent is None for a in radar.axes)
    some = build_radar(axes(None, 40, 80))
    assert some.scored == 2 and some.polygon


def test_rings_mark_25_50_75_and_100_percent():
    radar = build_radar(axes(10, 20, 30, 40), radius=100)
    assert [ring for ring, _ in radar.rings] == list(RINGS)
    outer = dict(radar.rings)[100]
    assert outer == "0,-100 100,0 0,100 -100,0"
    assert dict(radar.rings)[50] == "0,-50 50,0 0,50 -50,0"


def test_right_to_left_mirrors_the_chart_and_keeps_labels_growing_outwards():
    ltr = build_radar(axes(10, 20, 30, 40), radius=100)
    rtl = build_radar(axes(10, 20, 30, 40), radius=100, rtl=True)
    # The second category is on the right in English, on the left in Arabic.
    assert ltr.axes[1].end_x == 100 and rtl.axes[1].end_x == -100
    # Text right of the centre grows rightwards: "start" in ltr, "end" in rtl (and back).
    assert ltr.axes[1].anchor == "start" and rtl.axes[3].anchor == "end"
    assert ltr.axes[3].anchor == "end" and rtl.axes[1].anchor == "start"
    assert ltr.axes[0].anchor == rtl.axes[0].anchor == "middle"


def test_long_labels_wrap_to_two_lines_and_numbers_follow_axis_order():
    long = [{"id": "a", "label": "Information and communication technology infrastructure",
             "percent": 50}, {"id": "b", "label": "水与卫生", "percent": 60},
            {"id": "c", "label": "Energy", "percent": 70}]
    radar = build_radar(long)
    assert len(radar.axes[0].lines) == 2 and radar.axes[0].lines[-1].endswith("…")
    assert radar.axes[1].lines == ("水与卫生",)
    assert [a.number for a in radar.axes] == [1, 2, 3]


def test_the_view_box_holds_the_labels_and_fewer_than_three_axes_are_refused():
    radar = build_radar(axes(1, 2, 3), radius=200, margin=150)
    assert radar.view_box == "-350 -350 700 700"
    with pytest.raises(ValueError):
        build_radar(axes(1, 2))


def test_labels_above_stack_upwards_and_below_downwards():
    radar = build_radar(axes(1, 2, 3, 4), radius=100)
    top, right, bottom = radar.axes[0], radar.axes[1], radar.axes[2]
    long = build_radar([{"id": "a", "label": "Information and communication", "percent": 1},
                        {"id": "b", "label": "b", "percent": 1},
                        {"id": "c", "label": "c", "percent": 1}])
    # Two lines at the top: the first line starts higher than a single one would.
    assert long.axes[0].first_dy < top.first_dy < 0
    assert bottom.first_dy > 0  # hangs below the chart
    assert right.first_dy == 0.35  # centred on the spoke
