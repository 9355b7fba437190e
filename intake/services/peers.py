"""Peer comparison: where a city stands among verified cities of its band and economy."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from intake.extensions import db
from intake.fees import band_for_population
from intake.models.city import City
from intake.services.gains import VERIFIED_STAGES, catalog, latest_scores
from scoring.peers import PeerFigure, peer_figure


@dataclass
class PeerComparison:
    """Peer figures for one city; figures are None where fewer than 5 cities contribute."""

    band: str | None
    economy: str | None
    cities: int  # how many verified peer cities there are (never who they are)
    categories: dict[str, PeerFigure | None] = field(default_factory=dict)
    items: dict[str, PeerFigure | None] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return any(self.categories.values()) or any(self.items.values())


def peer_city_ids(city: City) -> list[int]:
    """Other verified or published cities of the same population band and economy type."""
    if not city.economy or not city.population:
        return []
    band = band_for_population(city.population)
    rows = db.session.execute(select(City.id, City.population).where(
        City.id != city.id, City.economy == city.economy, City.stage.in_(VERIFIED_STAGES)))
    return [row.id for row in rows if row.population and
            band_for_population(row.population) == band]


def compare_with_peers(city: City) -> PeerComparison:
    ids = peer_city_ids(city)
    band = band_for_population(city.population) if city.population else None
    comparison = PeerComparison(band=band, economy=city.economy, cities=len(ids))
    scores = latest_scores(ids)
    per_category: dict[str, list] = {}
    per_item: dict[str, list] = {}
    for by_category in scores.values():
        for category_id, score in by_category.items():
            per_category.setdefault(category_id, []).append(score.percent)
            for item in score.items or ():
                if item.get("status") != "not_reported":
                    per_item.setdefault(item["id"], []).append(item.get("value"))
    for category in catalog().categories:
        comparison.categories[category.id] = peer_figure(per_category.get(category.id, ()))
    for item_id, values in per_item.items():
        comparison.items[item_id] = peer_figure(values)
    return comparison
