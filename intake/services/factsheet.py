"""The factsheet: a city's results per dimension and category, radar, SDGs, initiatives, peers."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from flask import render_template

from intake.models.city import City
from intake.pdf_options import ACCESSIBLE_PDF
from intake.services import gains as gains_service
from intake.services import improvement as improvement_service
from intake.services import peers as peers_service
from scoring.radar import Radar, build_radar

PDF_FONTS = '"Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC", sans-serif'


@dataclass
class Factsheet:
    city: City
    language: str
    rtl: bool
    snapshot: Any  # intake.snapshot.data.Snapshot
    radar: Radar
    sdgs: dict[str, tuple[str, ...]]  # KPI code → SDG targets
    initiatives: dict[str, list] = field(default_factory=dict)
    recommendations: dict[str, list] = field(default_factory=dict)
    peers: peers_service.PeerComparison | None = None
    previous: dict[str, Any] = field(default_factory=dict)


def build_factsheet(city: City, language: str, rtl: bool, *, with_peers: bool = True
                    ) -> Factsheet:
    from intake.snapshot.data import build_snapshot

    snapshot = build_snapshot(city, language, rtl)
    radar = build_radar([{"id": c.id, "label": c.label, "percent": c.percent}
                         for c in snapshot.categories], rtl=rtl)
    catalog = gains_service.catalog()
    return Factsheet(
        city=city, language=language, rtl=rtl, snapshot=snapshot, radar=radar,
        sdgs={kpi.code: tuple(kpi.sdgs) for kpi in catalog.kpis},
        initiatives=improvement_service.initiatives_by_category(city.id),
        recommendations=improvement_service.recommendations_by_category(city.id),
        peers=peers_service.compare_with_peers(city) if with_peers else None)


def radar_svg(factsheet: Factsheet, *, with_text: bool = True, standalone: bool = False) -> str:
    return render_template("gains/radar.svg", radar=factsheet.radar, city=factsheet.city,
                           with_text=with_text, standalone=standalone, fonts=PDF_FONTS,
                           language=factsheet.language)


def pdf_bytes(factsheet: Factsheet) -> bytes:
    from weasyprint import HTML

    from intake.snapshot.render import _fetcher

    # WeasyPrint draws SVG text letter by letter (Arabic would not join), so the PDF's radar
    # carries numbers only and the category names are in the key beside it.
    svg = radar_svg(factsheet, with_text=False, standalone=True)
    radar_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    html = render_template("gains/factsheet_pdf.html", sheet=factsheet, radar_uri=radar_uri,
                           fonts=PDF_FONTS)
    return HTML(string=html, url_fetcher=_fetcher(), base_url=None).write_pdf(**ACCESSIBLE_PDF)
