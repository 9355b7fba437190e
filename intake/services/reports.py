"""The verification report (HTML and PDF) and the certificate of a verified city."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import render_template
from sqlalchemy import select

from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.pipeline import StageChange
from intake.models.verification import NOT_VERIFIED, PENDING, VERIFIED
from intake.pdf_options import ACCESSIBLE_PDF
from intake.services import values as value_service

CERTIFIED_STAGES = frozenset({ProgrammeStage.VERIFIED, ProgrammeStage.PUBLISHED})
LOW_BANDS = (1, 2)  # the two lowest performance bands: where the next steps start


@dataclass
class KpiLine:
    code: str
    name: str
    category: str
    status: str  # verified | not_verified | pending | not_reported
    note: str | None = None
    reported_directly: bool = False  # the city gave the result itself (not computed)
    dimension: str = ""  # the dimension's name: long lists are read (and folded) by dimension


@dataclass
class Report:
    city: City
    language: str
    rtl: bool
    snapshot: Any
    reference: str
    date: datetime
    generated_at: datetime
    verified: list[KpiLine] = field(default_factory=list)
    unverified: list[KpiLine] = field(default_factory=list)  # reported, not (yet) verified
    not_reported: list[KpiLine] = field(default_factory=list)
    low_categories: list[Any] = field(default_factory=list)
    # The published reports also count what was reported and verified per scored item
    # (single-value KPIs and the parts of multi-part KPIs) and per raw data point.
    items_total: int = 0
    items_reported: int = 0
    items_verified: int = 0
    data_points_total: int = 0
    data_points_reported: int = 0
    data_points_verified: int = 0
    data_points_refused: list[tuple[str, str, str | None]] = field(default_factory=list)
    verifiers: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.verified) + len(self.unverified) + len(self.not_reported)

    @property
    def certified(self) -> bool:
        return has_certificate(self.city)

    @staticmethod
    def by_dimension(lines: list[KpiLine]) -> list[tuple[str, list[KpiLine]]]:
        """The lines grouped by dimension, in the catalog's order."""
        groups: dict[str, list[KpiLine]] = {}
        for line in lines:
            groups.setdefault(line.dimension, []).append(line)
        return list(groups.items())


def has_certificate(city: City) -> bool:
    return ProgrammeStage(city.stage) in CERTIFIED_STAGES


def verified_on(city: City) -> datetime | None:
    """When the city last entered the "verified" step."""
    from intake.extensions import db

    return db.session.execute(
        select(StageChange.at).where(StageChange.city_id == city.id,
                                     StageChange.to_stage == ProgrammeStage.VERIFIED)
        .order_by(StageChange.at.desc()).limit(1)).scalar_one_or_none()


def reference(city: City) -> str:
    """A stable reference: the year of verification (or of the report) and the city id."""
    when = verified_on(city) or utcnow()
    return f"U4SSC-V-{when.year}-{city.id:05d}"


def build_report(city: City, language: str, rtl: bool) -> Report:
    from intake.services.results import counted_results
    from intake.services.verification import verdicts
    from intake.snapshot.data import build_snapshot

    cat = value_service.catalog()
    values = value_service.get_city_values(city.id)
    marks = verdicts(city.id)
    snapshot = build_snapshot(city, language, rtl)
    now = utcnow()
    report = Report(city=city, language=language, rtl=rtl, snapshot=snapshot,
                    reference=reference(city), date=verified_on(city) or now, generated_at=now)
    category_names = {c.id: c.name.get(language) for c in cat.categories}
    dimension_names = {d.id: d.name.get(language) for d in cat.dimensions}
    for kpi in cat.kpis:
        counted = counted_results(kpi, values)
        mark = marks.get(kpi.code)
        line = KpiLine(kpi.code, kpi.name.get(language), category_names[kpi.category],
                       PENDING, mark.note if mark else None,
                       reported_directly=any(c[1] and c[0] is not None
                                             for c in counted.values()),
                       dimension=dimension_names[kpi.dimension])
        reported_items = sum(c[0] is not None for c in counted.values())
        report.items_total += len(counted)
        report.items_reported += reported_items
        if mark is not None and mark.status == VERIFIED:
            report.items_verified += reported_items
        if all(c[0] is None for c in counted.values()):
            line.status = "not_reported"
            report.not_reported.append(line)
        elif mark is not None and mark.status == VERIFIED:
            line.status = VERIFIED
            report.verified.append(line)
        else:
            line.status = NOT_VERIFIED if mark is not None and mark.status == NOT_VERIFIED \
                else PENDING
            report.unverified.append(line)
    report.low_categories = [c for c in snapshot.categories if c.band in LOW_BANDS]
    report.data_points_total = len(cat.all_data_points)
    report.data_points_reported = sum(values.get(p.id) is not None for p in cat.all_data_points)
    report.verifiers = verifier_names(city)
    from intake.services.datapoint_checks import states

    points = {p.id: p for p in cat.all_data_points}
    for dp_id, state in states(city.id).items():
        if state.status == "yes":
            report.data_points_verified += 1
        elif state.status == "no" and dp_id in points:
            report.data_points_refused.append(
                (dp_id, points[dp_id].label.get(language), state.check.note))
    return report


def verifier_names(city: City) -> list[str]:
    """The verifiers assigned to the city, for the report's background section."""
    from intake.extensions import db
    from intake.models.user import User, VerifierAssignment

    users = db.session.execute(
        select(User).join(VerifierAssignment, VerifierAssignment.user_id == User.id)
        .where(VerifierAssignment.city_id == city.id).order_by(User.name, User.email)).scalars()
    return [user.display_name for user in users]


# ------------------------------------------------------------------------------ PDF
def _wheel_parts(snapshot) -> dict[str, Any]:
    # The snapshot's own drawing: shapes as SVG, labels as HTML (Arabic shapes correctly).
    from intake.snapshot.render import PDF_FONTS, WHEEL_MM, pdf_spots, svg_text

    svg = svg_text(snapshot, standalone=True, with_text=False)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    return {"wheel_uri": uri, "spots": pdf_spots(snapshot), "size_mm": WHEEL_MM,
            "fonts": PDF_FONTS}


def _write_pdf(html: str) -> bytes:
    from weasyprint import HTML

    from intake.snapshot.render import _fetcher

    return HTML(string=html, url_fetcher=_fetcher(), base_url=None).write_pdf(**ACCESSIBLE_PDF)


def report_html(report: Report, **context: Any) -> str:
    return render_template("verification/report.html", report=report,
                           snapshot=report.snapshot, **context)


def report_pdf(report: Report) -> bytes:
    html = render_template("verification/report_pdf.html", report=report,
                           snapshot=report.snapshot, **_wheel_parts(report.snapshot))
    return _write_pdf(html)


def certificate_pdf(city: City, language: str, rtl: bool) -> bytes:
    """The one-page certificate; only for a city at "verified" or "published"."""
    from intake.snapshot.render import PDF_FONTS

    if not has_certificate(city):
        raise ValueError("the city is not verified")
    cat = value_service.catalog()
    html = render_template("verification/certificate.html", city=city, language=language,
                           rtl=rtl, reference=reference(city), catalog_version=cat.version,
                           benchmark_version=cat.benchmark_version,
                           date=verified_on(city) or utcnow(), fonts=PDF_FONTS)
    return _write_pdf(html)


def filename(city: City, kind: str, extension: str) -> str:
    from werkzeug.utils import secure_filename

    stem = secure_filename(city.name).lower() or f"city-{city.id}"
    return f"{stem}-{kind}.{extension}"
