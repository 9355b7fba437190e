"""The fee table: every band boundary, both economies, the case study and bad inputs."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.fees import CURRENCIES, ECONOMIES, FeeQuote, quote_fee

# (population, band, developed fee, developing fee) from the published table; a city of
# exactly 1,000,000 is read as belonging to the top band.
BOUNDARIES = [
    (1, "under_100k", "5000", "2000"),
    (99_999, "under_100k", "5000", "2000"),
    (100_000, "100k_500k", "6000", "3000"),
    (499_999, "100k_500k", "6000", "3000"),
    (500_000, "500k_1m", "8000", "5000"),
    (999_999, "500k_1m", "8000", "5000"),
    (1_000_000, "1m_plus", "10000", "7000"),
    (25_000_000, "1m_plus", "10000", "7000"),
]


@pytest.mark.parametrize(("population", "band", "developed", "developing"), BOUNDARIES)
def test_verification_fee_at_each_boundary(population, band, developed, developing):
    rich = quote_fee(population, "developed")
    poor = quote_fee(population, "developing", "verification")
    assert (rich.band, rich.amount) == (band, Decimal(developed))
    assert (poor.band, poor.amount) == (band, Decimal(developing))
    assert rich.package == poor.package == "verification"


@pytest.mark.parametrize("population", [1, 99_999, 100_000, 999_999, 1_000_000, 9_000_000])
@pytest.mark.parametrize("economy", ECONOMIES)
def test_case_study_costs_the_same_for_every_city(population, economy):
    quote = quote_fee(population, economy, "case_study")
    assert quote.amount == Decimal("30000")
    assert quote.package == "case_study" and quote.economy == economy


def test_quote_names_currencies_and_travel_costs_and_is_frozen():
    quote = quote_fee(250_000, "developing")
    assert quote.currencies == CURRENCIES == ("CHF", "USD")
    assert quote.travel_costs_extra is True
    assert quote.as_dict() == {
        "amount": "3000", "band": "100k_500k", "economy": "developing",
        "package": "verification", "population": 250_000, "currencies": ["CHF", "USD"],
        "travel_costs_extra": True,
    }
    with pytest.raises(FrozenInstanceError):
        quote.amount = Decimal("1")  # type: ignore[misc]


@pytest.mark.parametrize("population", [0, -1, 1.5, True, False, "abc", "250000", None,
                                        Decimal("250000")])
def test_population_must_be_a_positive_whole_number(population):
    with pytest.raises(ValueError, match="population"):
        quote_fee(population, "developed")


@pytest.mark.parametrize("economy", ["", "Developed", "emerging", None, 1])
def test_unknown_economy_is_named(economy):
    with pytest.raises(ValueError, match="economy"):
        quote_fee(250_000, economy)


@pytest.mark.parametrize("package", ["", "gold", "Case_Study", None])
def test_unknown_package_is_named(package):
    with pytest.raises(ValueError, match="package"):
        quote_fee(250_000, "developed", package)


populations = st.integers(min_value=1, max_value=50_000_000)


@given(population=populations, economy=st.sampled_from(ECONOMIES),
       package=st.sampled_from(["verification", "case_study"]))
def test_any_valid_city_gets_a_non_negative_decimal(population, economy, package):
    quote = quote_fee(population, economy, package)
    assert isinstance(quote, FeeQuote)
    assert isinstance(quote.amount, Decimal) and quote.amount >= 0
    assert quote.amount == quote.amount.to_integral_value()


@given(smaller=populations, larger=populations, economy=st.sampled_from(ECONOMIES))
def test_fee_never_drops_as_the_city_grows(smaller, larger, economy):
    smaller, larger = sorted((smaller, larger))
    assert quote_fee(smaller, economy).amount <= quote_fee(larger, economy).amount


@given(population=populations)
def test_developing_economies_never_pay_more(population):
    assert quote_fee(population, "developing").amount <= quote_fee(population,
                                                                    "developed").amount
