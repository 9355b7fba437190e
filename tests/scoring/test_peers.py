"""Peer figures: quartiles only from at least five cities, rounded, never one city's figure."""

import pytest

from scoring.peers import MIN_PEERS, PeerFigure, peer_figure, round_significant, usable


def test_four_cities_give_no_figure_five_give_quartiles():
    assert MIN_PEERS == 5
    assert peer_figure([10, 20, 30, 40]) is None
    figure = peer_figure([10, 20, 30, 40, 50])
    assert figure == PeerFigure(count=5, q1=15, median=30, q3=45)


def test_missing_and_yes_no_values_do_not_count_towards_the_five():
    assert peer_figure([10, 20, 30, 40, None, True, float("nan")]) is None
    assert usable([1, None, False, 2.5, float("inf"), "7"]) == [1.0, 2.5]
    figure = peer_figure([1, 2, 3, 4, 5, 6, None])
    assert figure is not None and figure.count == 6


def test_quartiles_interpolate_and_are_rounded_to_three_significant_figures():
    figure = peer_figure([1000.4, 2000.2, 3001.7, 4000.9, 5000.3, 6000.1])
    assert figure.median == 3500  # midway between 3001.7 and 4000.9, rounded
    assert (figure.q1, figure.q3) == (1750, 5250)
    assert round_significant(0.012345) == 0.0123
    assert round_significant(123456) == 123000
    assert round_significant(0) == 0


def test_the_rule_cannot_be_lowered_by_a_caller():
    with pytest.raises(ValueError):
        peer_figure([1, 2, 3], minimum=3)
    assert peer_figure([1, 2, 3, 4, 5, 6], minimum=6) is not None
    assert peer_figure([1, 2, 3, 4, 5], minimum=6) is None


def test_position_says_which_quarter_a_value_is_in():
    figure = PeerFigure(count=8, q1=20, median=40, q3=60)
    assert figure.position(10) == "below_q1"
    assert figure.position(20) == "q1_median"
    assert figure.position(40) == "median_q3"
    assert figure.position(60) == "median_q3"
    assert figure.position(61) == "above_q3"
    assert figure.position(None) is None
