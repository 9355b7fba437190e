"""The participation fee: a pure function of population, economy type and package.

Reading of the published table: its top band says "> 1,000,000" while the next says
"500,000 – 999,999", which leaves a city of exactly 1,000,000 in neither. We read the top
band as "1,000,000 and more", so no population falls between bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ECONOMIES = ("developed", "developing")
PACKAGES = ("verification", "case_study")
CURRENCIES = ("CHF", "USD")

# (lowest population of the band, band id); the first band a city reaches wins.
BANDS: tuple[tuple[int, str], ...] = (
    (1_000_000, "1m_plus"),
    (500_000, "500k_1m"),
    (100_000, "100k_500k"),
    (1, "under_100k"),
)

VERIFICATION_FEES: dict[str, dict[str, Decimal]] = {
    "developed": {
        "1m_plus": Decimal("10000"),
        "500k_1m": Decimal("8000"),
        "100k_500k": Decimal("6000"),
        "under_100k": Decimal("5000"),
    },
    "developing": {
        "1m_plus": Decimal("7000"),
        "500k_1m": Decimal("5000"),
        "100k_500k": Decimal("3000"),
        "under_100k": Decimal("2000"),
    },
}
CASE_STUDY_FEE = Decimal("30000")


@dataclass(frozen=True)
class FeeQuote:
    amount: Decimal
    band: str
    economy: str
    package: str
    population: int
    currencies: tuple[str, ...] = CURRENCIES
    # On-site verification adds the verifier's flight, accommodation and per diem.
    travel_costs_extra: bool = True

    def as_dict(self) -> dict:
        return {
            "amount": str(self.amount),
            "band": self.band,
            "economy": self.economy,
            "package": self.package,
            "population": self.population,
            "currencies": list(self.currencies),
            "travel_costs_extra": self.travel_costs_extra,
        }


def band_for_population(population: int) -> str:
    for lowest, band in BANDS:
        if population >= lowest:
            return band
    raise ValueError("population must be a positive whole number")


def quote_fee(population: int, economy: str, package: str = "verification") -> FeeQuote:
    """Quote the fee; ValueError names the field that is wrong."""
    if isinstance(population, bool) or not isinstance(population, int) or population < 1:
        raise ValueError("population must be a positive whole number")
    if economy not in ECONOMIES:
        raise ValueError("economy must be 'developed' or 'developing'")
    if package not in PACKAGES:
        raise ValueError("package must be 'verification' or 'case_study'")
    band = band_for_population(population)
    amount = CASE_STUDY_FEE if package == "case_study" else VERIFICATION_FEES[economy][band]
    return FeeQuote(amount=amount, band=band, economy=economy, package=package,
                    population=population)
