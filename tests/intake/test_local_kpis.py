"""Local KPIs: proposed by the city, decided by the secretariat, filled, scored apart from the
91, shown in the snapshot, the report, the API and the exports; never compared with peers."""

from __future__ import annotations

import io
import json
import math

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from intake.extensions import db
from intake.models import AuditEvent, City, LocalKpi, LocalKpiValue, ProgrammeStage, ValueAudit
from intake.services import local_kpis as service
from intake.services import pipeline
from intake.services import team as team_service
from intake.services.api_tokens import create_token
from intake.services.cities import create_city
from intake.services.links import snapshot_token, workspace_token
from intake.services.values import CityFrozen
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in
from tests.intake.test_snapshot import CATEGORY, city_with_ict

OTHER_CATEGORY = "ec-waste"

HEATING = {
    "name": "Households on district heating", "description": "Low-carbon heat.",
    "unit": "%", "formula": "households connected to district heating / all households × 100",
    "kind": "ratio", "numerator_label": "Households connected",
    "denominator_label": "All households", "multiplier": "100",
    "direction": "higher_is_better", "target": "60", "target_source": "City climate plan 2030",
    "category_id": CATEGORY,
}
NOISE = {
    "name": "Nights above 55 dB", "unit": "nights", "formula": "nights measured above 55 dB",
    "kind": "direct", "direction": "lower_is_better", "target": "10",
    "target_source": "WHO night noise guidelines", "category_id": OTHER_CATEGORY,
}


def fresh_csrf():
    from flask import g

    g.pop("csrf_token", None)


def post(client, url, data, page):
    fresh_csrf()
    html = client.get(page).text
    fresh_csrf()
    return client.post(url, data={"csrf_token": csrf_token_from(html), **data})


def city_client(app, city):
    client = app.test_client()
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return client


@pytest.fixture
def staff(app):
    secretariat = make_staff()
    verifier = make_staff(email="vera@example.org", role="verifier", name="Vera")
    return {"secretariat": secretariat, "verifier": verifier}


@pytest.fixture
def city(app):
    return create_city(name="Heatville", population=120_000, focal_point_name="Fay Focal",
                       focal_point_email="fay@heatville.example")


def approved(city, staff, data=HEATING):
    kpi = service.propose(city.id, data, actor="Fay (focal point)")
    return service.decide(city.id, kpi.id, user=staff["secretariat"], approve=True)


# ------------------------------------------------------------------------------ service
def test_proposed_approved_filled_and_scored(app, city, staff):
    kpi = service.propose(city.id, HEATING, actor="Fay (focal point)")
    assert kpi.status == "proposed" and kpi.multiplier == 100 and kpi.target == 60.0
    service.decide(city.id, kpi.id, user=staff["secretariat"], approve=True)
    service.save_value(city.id, kpi.id, {"reference_year": "2025", "numerator": "27 000",
                                         "denominator": "60 000", "source": "Utility register",
                                         "quality_tier": "accurate"}, actor="Fay")
    row = service.row_for(db.session.get(LocalKpi, kpi.id))
    assert (row.year, row.value, row.percent, row.band) == (2025, 45.0, 75.0, 3)
    # Audited like the other values, and the staff decision in the staff log.
    audit = db.session.execute(select(ValueAudit.data_point_id, ValueAudit.new_text)
                               .where(ValueAudit.city_id == city.id)).all()
    assert (f"local:{kpi.id}:2025", "27000.0 / 60000.0") in audit
    assert db.session.execute(select(AuditEvent.action).where(
        AuditEvent.city_id == city.id)).scalars().all() == ["local_kpi.approved"]


def test_a_correction_is_audited_and_asks_for_verification_again(app, city, staff):
    kpi = approved(city, staff, NOISE)
    figures = {"reference_year": "2025", "direct": "12", "source": "Noise map"}
    service.save_value(city.id, kpi.id, figures, actor="Fay")
    service.verify(city.id, kpi.id, user=staff["secretariat"], status="yes")
    service.save_value(city.id, kpi.id, {**figures, "direct": "8"}, actor="Fay")
    kpi = db.session.get(LocalKpi, kpi.id)
    assert kpi.verification is None
    row = service.row_for(kpi)
    assert (row.value, row.band) == (8.0, 4)  # lower is better: 8 nights ≤ 10
    olds = db.session.execute(select(ValueAudit.old_text, ValueAudit.new_text).where(
        ValueAudit.data_point_id == f"local:{kpi.id}:2025")).all()
    assert ("12.0", "8.0") in olds


@pytest.mark.parametrize(("field", "value"), [
    ("name", "x" * 10_000), ("unit", "u" * 61), ("formula", "f" * 501),
    ("description", "d" * 2001), ("target_source", "s" * 501), ("name", "   "),
    ("target", "nan"), ("target", "inf"), ("target", "-Infinity"), ("target", "1e400"),
    ("target", "-5"), ("target", "0"), ("target", "sixty"), ("kind", "formula"),
    ("direction", "yes_no"), ("multiplier", "7"), ("category_id", "not-a-category"),
    ("numerator_label", ""),
])
def test_bad_definitions_are_refused_with_a_message_per_field(app, city, field, value):
    with pytest.raises(service.LocalKpiError) as refused:
        service.propose(city.id, {**HEATING, field: value}, actor="Fay")
    assert field in refused.value.errors and refused.value.errors[field]
    assert db.session.execute(select(func.count()).select_from(LocalKpi)).scalar() == 0


def test_a_direct_kpi_needs_no_numerator_and_a_lower_target_may_be_zero(app, city):
    kpi = service.propose(city.id, {**NOISE, "target": "0"}, actor="Fay")
    assert (kpi.kind, kpi.numerator_label, kpi.target) == ("direct", None, 0.0)


@pytest.mark.parametrize(("field", "value"), [
    ("numerator", "nan"), ("numerator", "inf"), ("numerator", "1e400"), ("numerator", "-3"),
    ("denominator", "0"), ("denominator", ""), ("numerator", "12 apples"),
    ("reference_year", "1800"), ("reference_year", "3000"), ("reference_year", "20x4"),
    ("source", "s" * 501), ("source", ""), ("quality_tier", "excellent"),
])
def test_bad_figures_are_refused(app, city, staff, field, value):
    kpi = approved(city, staff)
    figures = {"reference_year": "2025", "numerator": "10", "denominator": "100",
               "source": "Register", field: value}
    with pytest.raises(service.LocalKpiError) as refused:
        service.save_value(city.id, kpi.id, figures, actor="Fay")
    assert field in refused.value.errors
    assert db.session.execute(select(func.count()).select_from(LocalKpiValue)).scalar() == 0


@pytest.mark.parametrize("typed", ["27 000,5", "27,000.5", "27000.5", "٢٧٠٠٠٫٥", "27’000.5"])
def test_figures_typed_the_local_way(typed):
    assert service.parse_figure(typed) == 27000.5


def test_figures_of_an_unapproved_or_rejected_kpi_are_refused(app, city, staff):
    kpi = service.propose(city.id, HEATING, actor="Fay")
    figures = {"reference_year": "2025", "numerator": "1", "denominator": "2", "source": "x"}
    with pytest.raises(service.LocalKpiError):
        service.save_value(city.id, kpi.id, figures, actor="Fay")
    service.decide(city.id, kpi.id, user=staff["secretariat"], approve=False,
                   reason="The target has no source we can check.")
    with pytest.raises(service.LocalKpiError):
        service.save_value(city.id, kpi.id, figures, actor="Fay")
    assert db.session.execute(select(func.count()).select_from(LocalKpiValue)).scalar() == 0


def test_rejecting_needs_a_reason(app, city, staff):
    kpi = service.propose(city.id, HEATING, actor="Fay")
    with pytest.raises(service.LocalKpiError) as refused:
        service.decide(city.id, kpi.id, user=staff["secretariat"], approve=False, reason="  ")
    assert "reason" in refused.value.errors
    assert db.session.get(LocalKpi, kpi.id).status == "proposed"


def test_at_most_twenty_per_city_rejected_ones_aside(app, city, staff):
    for number in range(service.MAX_PER_CITY):
        last = service.propose(city.id, {**HEATING, "name": f"KPI {number}"}, actor="Fay")
    with pytest.raises(service.LocalKpiError):
        service.propose(city.id, {**HEATING, "name": "one too many"}, actor="Fay")
    service.decide(city.id, last.id, user=staff["secretariat"], approve=False, reason="No.")
    service.propose(city.id, {**HEATING, "name": "in its place"}, actor="Fay")
    with pytest.raises(service.LocalKpiError):  # approving the rejected one again: 21
        service.decide(city.id, last.id, user=staff["secretariat"], approve=True)


def test_a_verified_city_is_frozen(app, city, staff):
    kpi = approved(city, staff)
    db.session.execute(update(City).where(City.id == city.id).values(
        stage=ProgrammeStage.VERIFIED))
    db.session.commit()
    figures = {"reference_year": "2025", "numerator": "1", "denominator": "2", "source": "x"}
    with pytest.raises(CityFrozen):
        service.save_value(city.id, kpi.id, figures, actor="Fay")
    with pytest.raises(CityFrozen):
        service.propose(city.id, NOISE, actor="Fay")
    client = city_client(app, city)
    page = client.get("/w/local-kpis")
    assert page.status_code == 200 and "can no longer be changed" in page.text
    response = client.post(f"/w/local-kpis/{kpi.id}/values", data={
        "csrf_token": csrf_token_from(page.text), f"kpi{kpi.id}-reference_year": "2025",
        f"kpi{kpi.id}-numerator": "1", f"kpi{kpi.id}-denominator": "2",
        f"kpi{kpi.id}-source": "x"})
    assert response.status_code == 409
    assert db.session.execute(select(func.count()).select_from(LocalKpiValue)).scalar() == 0


# ------------------------------------------------------------------------------ pages
def test_the_city_proposes_on_its_page_and_staff_decide(app, city, staff):
    client = city_client(app, city)
    home = client.get("/w/")
    assert 'href="/w/local-kpis"' in home.text
    assert client.post("/w/local-kpis", data=HEATING).status_code == 400  # no CSRF token
    bad = post(client, "/w/local-kpis", {**HEATING, "target": "-5", "name": "Mine"},
               "/w/local-kpis")
    assert bad.status_code == 400
    assert "The target cannot be negative." in bad.text and 'value="Mine"' in bad.text
    response = post(client, "/w/local-kpis", HEATING, "/w/local-kpis")
    assert response.status_code == 302
    [kpi] = service.kpis_of(city.id)
    page = client.get("/w/local-kpis").text
    assert "waiting for the secretariat" in page and "Households on district heating" in page

    staff_client = app.test_client()
    sign_in(staff_client)
    city_page = staff_client.get(f"/staff/cities/{city.id}").text
    assert "Local KPIs waiting for a decision: 1" in city_page
    staff_url = f"/staff/cities/{city.id}/local-kpis"
    decision = f"{staff_url}/{kpi.id}/decision"
    no_reason = post(staff_client, decision, {f"d{kpi.id}-decision": "reject"}, staff_url)
    assert no_reason.status_code == 400 and "Say why the local KPI is rejected" in no_reason.text
    ok = post(staff_client, decision, {f"d{kpi.id}-decision": "approve"}, staff_url)
    assert ok.status_code == 302
    assert db.session.get(LocalKpi, kpi.id).status == "approved"

    prefix = f"kpi{kpi.id}-"
    bad = post(client, f"/w/local-kpis/{kpi.id}/values",
               {prefix + "reference_year": "2025", prefix + "numerator": "NaN",
                prefix + "denominator": "60000", prefix + "source": "Register"},
               "/w/local-kpis")
    assert bad.status_code == 400 and "Enter a number" in bad.text and 'value="NaN"' in bad.text
    saved = post(client, f"/w/local-kpis/{kpi.id}/values",
                 {prefix + "reference_year": "2025", prefix + "numerator": "27 000",
                  prefix + "denominator": "60 000", prefix + "source": "Register"},
                 "/w/local-kpis")
    assert saved.status_code == 302
    page = client.get("/w/local-kpis").text
    assert "3 of 4 points" in page and "× 100 = 45" in page


def test_rejected_with_the_reason_shown_to_the_city(app, city, staff):
    kpi = service.propose(city.id, HEATING, actor="Fay")
    service.decide(city.id, kpi.id, user=staff["secretariat"], approve=False,
                   reason="Please cite the plan's article.")
    page = city_client(app, city).get("/w/local-kpis").text
    assert "rejected" in page and "Please cite the plan&#39;s article." in page


def test_a_verifier_cannot_decide_and_verifies_only_assigned_cities(app, city, staff):
    kpi = service.propose(city.id, HEATING, actor="Fay")
    client = app.test_client()
    sign_in(client, email="vera@example.org")
    url = f"/staff/cities/{city.id}/local-kpis"
    assert client.get(url).status_code == 403  # not assigned
    pipeline.assign_verifier(city.id, staff["verifier"].id, actor=staff["secretariat"])
    page = client.get(url)
    assert page.status_code == 200 and 'value="approve"' not in page.text
    fresh_csrf()
    response = client.post(f"{url}/{kpi.id}/decision", data={
        "csrf_token": csrf_token_from(page.text), f"d{kpi.id}-decision": "approve"})
    assert response.status_code == 403
    assert db.session.get(LocalKpi, kpi.id).status == "proposed"
    service.decide(city.id, kpi.id, user=staff["secretariat"], approve=True)
    service.save_value(city.id, kpi.id, {"reference_year": "2025", "numerator": "1",
                                         "denominator": "2", "source": "x"}, actor="Fay")
    no_note = post(client, f"{url}/{kpi.id}/verify", {f"v{kpi.id}-status": "no"}, url)
    assert no_note.status_code == 400
    yes = post(client, f"{url}/{kpi.id}/verify", {f"v{kpi.id}-status": "yes"}, url)
    assert yes.status_code == 302
    assert db.session.get(LocalKpi, kpi.id).verification == "yes"


def test_staff_sessions_and_api_tokens_cannot_write_a_citys_figures(app, city, staff):
    kpi = approved(city, staff)
    client = app.test_client()
    sign_in(client, email="vera@example.org")
    pipeline.assign_verifier(city.id, staff["verifier"].id, actor=staff["secretariat"])
    page = client.get(f"/staff/cities/{city.id}/local-kpis")
    fresh_csrf()
    response = client.post(f"/w/local-kpis/{kpi.id}/values", data={
        "csrf_token": csrf_token_from(page.text), f"kpi{kpi.id}-reference_year": "2025",
        f"kpi{kpi.id}-numerator": "1", f"kpi{kpi.id}-denominator": "2",
        f"kpi{kpi.id}-source": "x"})
    assert response.status_code == 401
    _token, secret = create_token(staff["verifier"], "verifier")
    api = app.test_client().post(f"/api/v1/cities/{city.id}/local-kpis",
                                 headers={"Authorization": f"Bearer {secret}"},
                                 json={"name": "x"})
    assert api.status_code == 405
    assert db.session.execute(select(func.count()).select_from(LocalKpiValue)).scalar() == 0


def test_a_colleague_fills_only_local_kpis_beside_their_category(app, city, staff):
    mine = approved(city, staff, HEATING)  # beside CATEGORY
    other = approved(city, staff, NOISE)  # beside OTHER_CATEGORY
    member = team_service.invite(city.id, name="Cole League", email="cole@example.org",
                                 department="Energy", categories=[CATEGORY], kpis=[])
    token = "local-kpi-test-colleague-link-0123456789abcdef"
    member.token_hash = team_service.hash_token(token)
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/w/colleague/{token}").status_code == 302
    page = client.get("/w/local-kpis")
    assert page.status_code == 200
    assert "Households on district heating" in page.text and "Nights above" not in page.text
    assert "Propose a local KPI" not in page.text
    refused = post(client, f"/w/local-kpis/{other.id}/values",
                   {f"kpi{other.id}-reference_year": "2025", f"kpi{other.id}-direct": "3",
                    f"kpi{other.id}-source": "x"}, "/w/local-kpis")
    assert refused.status_code == 403
    assert post(client, "/w/local-kpis", NOISE, "/w/local-kpis").status_code == 403
    saved = post(client, f"/w/local-kpis/{mine.id}/values",
                 {f"kpi{mine.id}-reference_year": "2025", f"kpi{mine.id}-numerator": "3",
                  f"kpi{mine.id}-denominator": "4", f"kpi{mine.id}-source": "Register"},
                 "/w/local-kpis")
    assert saved.status_code == 302
    [row] = db.session.execute(select(LocalKpiValue)).scalars().all()
    assert row.local_kpi_id == mine.id and "Cole League" in row.updated_by


# ------------------------------------------------------------------------------ apart
def _scores(client, city):
    from intake.snapshot.data import build_snapshot

    snapshot = build_snapshot(city, "en", False)
    return ([(d.id, d.percent, d.band) for d in snapshot.dimensions],
            [(c.id, c.percent, c.band, c.scored, c.total) for c in snapshot.categories])


def test_shown_apart_and_never_in_the_scores_of_the_91_or_peers(app, staff):
    from intake.services.peers import compare_with_peers

    city = city_with_ict("Heatville")
    peer = city_with_ict("Peerton")
    before = _scores(None, city)
    peers_before = compare_with_peers(peer)
    kpi = approved(city, staff)
    service.save_value(city.id, kpi.id, {"reference_year": "2025", "numerator": "27000",
                                         "denominator": "60000", "source": "Register"},
                       actor="Fay")
    db.session.expire_all()
    assert _scores(None, city) == before
    assert repr(compare_with_peers(peer)) == repr(peers_before)
    page = app.test_client().get(f"/snapshot/{snapshot_token(city)}").text
    local = page.split('id="local-kpis"', 1)[1]
    assert page.index('id="every-kpi"') < page.index('id="local-kpis"')
    assert "Households on district heating" in local and "3/4" in local
    assert "approved by the secretariat on" in local and "Not compared with peers." in local
    assert "≥ 60" in local


def test_snapshot_page_changes_when_a_local_figure_changes(app, staff):
    city = city_with_ict("Cacheville")
    kpi = approved(city, staff, NOISE)
    client = app.test_client()
    url = f"/snapshot/{snapshot_token(city)}"
    before = client.get(url).text.split('id="local-kpis"', 1)[1]
    assert "Nights above 55 dB" in before and "1/4" not in before
    service.save_value(city.id, kpi.id, {"reference_year": "2025", "direct": "40",
                                         "source": "Noise map"}, actor="Fay")
    # 10 / 40 = 25 % of target: recomputed, not the page kept in memory.
    assert "1/4" in client.get(url).text.split('id="local-kpis"', 1)[1]


def test_report_api_and_exports_carry_them_apart(app, staff):
    from intake.services.exports import export_all

    city = city_with_ict("Reportville")
    kpi = approved(city, staff)
    service.save_value(city.id, kpi.id, {"reference_year": "2025", "numerator": "27000",
                                         "denominator": "60000", "source": "Register"},
                       actor="Fay")
    client = app.test_client()
    sign_in(client)
    report = client.get(f"/staff/verify/{city.id}/report.html").text
    assert 'id="report-local-kpis"' in report and "Households on district heating" in report

    _token, secret = create_token(staff["secretariat"], "api")
    response = client.get(f"/api/v1/cities/{city.id}/local-kpis",
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    [item] = response.json["local_kpis"]
    assert (item["value"], item["band"], item["percent"], item["compared_with_peers"]) == (
        45.0, 3, 75.0, False)
    assert item["approved_at"].endswith("Z") or "+00:00" in item["approved_at"]
    verifier_token = create_token(staff["verifier"], "v")[1]
    hidden = client.get(f"/api/v1/cities/{city.id}/local-kpis",
                        headers={"Authorization": f"Bearer {verifier_token}"})
    assert hidden.status_code in (403, 404)

    book = load_workbook(io.BytesIO(export_all("xlsx").body), read_only=True)
    assert book.sheetnames[-1] == "Local KPIs"
    rows = list(book["Local KPIs"].iter_rows(values_only=True))
    header = rows[0]
    assert dict(zip(header, rows[1], strict=True))["value"] == 45.0
    document = json.loads(export_all("json").body)
    assert document["local_kpis"][0]["name"] == "Households on district heating"
    assert all("local" not in str(v.get("data_point_id", ""))
               for c in document["cities"] for v in c["values"])


def test_a_local_kpi_of_another_city_is_not_found(app, city, staff):
    other = create_city(name="Elsewhere", population=10_000)
    kpi = approved(other, staff)
    client = city_client(app, city)
    response = post(client, f"/w/local-kpis/{kpi.id}/values", {}, "/w/local-kpis")
    assert response.status_code == 404
    assert not math.isnan(kpi.target)


def test_the_snapshot_and_report_pdfs_have_the_section(app, staff):
    from tests.intake.test_programme import pdf_text

    city = city_with_ict("Pdfville")
    kpi = approved(city, staff)
    service.save_value(city.id, kpi.id, {"reference_year": "2025", "numerator": "27000",
                                         "denominator": "60000", "source": "Register"},
                       actor="Fay")
    client = app.test_client()
    snapshot = pdf_text(client.get(f"/snapshot/{snapshot_token(city)}/snapshot.pdf").data)
    assert "Local KPIs" in snapshot and "Households on district heating" in snapshot
    assert snapshot.index("Local KPIs") > snapshot.index("ICT Infrastructure")
    sign_in(client)
    report = pdf_text(client.get(f"/staff/verify/{city.id}/report.pdf").data)
    local = report[report.index("Local KPIs"):]
    assert "Households on district heating" in local
    assert local.index("Households") < local.index("Benchmarks and scoring methodology")
