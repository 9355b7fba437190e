"""The city team: colleagues' personal links, what they open, who entered what, the team page."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from intake.extensions import db, mail
from intake.models import DataValue, KpiProvenance, TeamMember, ValueAudit
from intake.services import team as team_service
from intake.services.cities import create_city
from intake.services.links import workspace_token
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in

DRAINAGE = "ec-drainage"
FOOD = "sc-food-security"
WASTE = "ec-waste"


@pytest.fixture
def city(app):
    app.config["MAIL_SERVER"] = "localhost"  # Flask-Mail records instead of sending (TESTING)
    return create_city(name="Stepford", population=50_000, locale="fr",
                       focal_point_name="Ana Focal", focal_point_email="fp@example.org")


def fresh_csrf():
    from flask import g

    g.pop("csrf_token", None)


def post(client, url, data, page):
    fresh_csrf()
    html = client.get(page).text
    fresh_csrf()
    return client.post(url, data={"csrf_token": csrf_token_from(html), **data})


def focal_point(app, city):
    client = app.test_client()
    assert client.get(f"/w/{workspace_token(city)}").status_code == 302
    return client


def invite(client, *, name, email, department, categories=(), kpis=(), due_on=""):
    with mail.record_messages() as outbox:
        response = post(client, "/w/team/invite",
                        {"name": name, "email": email, "department": department,
                         "categories": list(categories), "kpis": list(kpis),
                         "due_on": due_on}, "/w/team")
    assert response.status_code == 302, response.text
    [message] = outbox
    assert message.recipients == [email]
    return message, re.search(r"http://localhost(/w/colleague/\S+)", message.body).group(1)


def colleague(app, link):
    client = app.test_client()
    response = client.get(link)
    assert response.status_code == 302
    assert response.headers["Referrer-Policy"] == "no-referrer"
    return client


def version_from(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="([^"]*)"', html).group(1)


def save_step(client, category, index, data):
    fresh_csrf()
    page = client.get(f"/w/c/{category}/{index}")
    assert page.status_code == 200, page.status_code
    fresh_csrf()
    return client.post(f"/w/c/{category}/{index}", data={
        "csrf_token": csrf_token_from(page.text), "version": version_from(page.text),
        "action": "save", **data})


def test_invited_colleague_gets_a_personal_link_in_the_citys_language(app, city):
    fp = focal_point(app, city)
    message, link = invite(fp, name="Bo Water", email="bo@example.org",
                           department="Water utility", categories=[DRAINAGE])
    assert "Ana Focal" in message.body and "Stepford" in message.body
    assert "Cher" in message.body or "Bonjour" in message.body or "Madame" in message.body
    token = link.rsplit("/", 1)[1]
    member = db.session.execute(select(TeamMember)).scalar_one()
    # Only the hash is stored, nowhere in a job row either.
    assert member.token_hash == team_service.hash_token(token) and token not in member.token_hash
    from intake.models import JobRecord

    for job in db.session.execute(select(JobRecord)).scalars():
        assert token not in repr(job.payload) and token not in repr(job.result)
    assert len(token) >= 40


def test_each_colleague_fills_their_own_category_and_cannot_open_anything_else(app, city):
    other_city = create_city(name="Elsewhere", population=1_000)
    fp = focal_point(app, city)
    _, water_link = invite(fp, name="Bo Water", email="bo@example.org",
                           department="Water utility", categories=[DRAINAGE])
    _, food_link = invite(fp, name="Cy Food", email="cy@example.org",
                          department="Agriculture office", categories=[FOOD])
    water, food = colleague(app, water_link), colleague(app, food_link)

    home = water.get("/w/")
    assert home.status_code == 200 and "Drainage" in home.text and "Food" not in home.text
    assert save_step(water, DRAINAGE, 0, {"dp_dr_km": "120", "dp_dr_ict_km": "12",
                                          "kpi_ec_ict_d_1a__source": "Utility report"}
                     ).status_code == 302
    assert save_step(food, FOOD, 0, {"dp_food_local": "40", "dp_food_total": "100"}
                     ).status_code == 302

    # The other's category, the city's own pages, the team page, staff pages: refused.
    for url in (f"/w/c/{FOOD}/0", f"/w/c/{FOOD}", f"/w/c/{FOOD}/review", "/w/team",
                "/w/export.xlsx", "/w/export.json", "/w/import", "/w/questions/",
                "/w/factsheet", "/staff/", "/staff/verify/1/", f"/staff/cities/{city.id}"):
        response = water.get(url)
        assert response.status_code in (401, 403, 404), (url, response.status_code)
    fresh_csrf()
    token = csrf_token_from(water.get("/w/").text)
    refused = water.post(f"/w/c/{FOOD}/0", data={"csrf_token": token, "version": "1",
                                                  "dp_food_local": "99", "action": "save"})
    assert refused.status_code == 403
    refused = water.post("/w/resume-link", data={"csrf_token": token, "email": "x@evil.org"})
    assert refused.status_code == 403
    # Another city's workspace link in the same browser is a different session entirely;
    # the colleague's own session never reaches that city.
    assert other_city.id not in {m.city_id for m in db.session.execute(
        select(TeamMember)).scalars()}

    db.session.expire_all()
    rows = {r.data_point_id: r for r in db.session.execute(select(DataValue)).scalars()}
    assert rows["dr_km"].updated_by == "Bo Water (Water utility)"
    assert rows["food_local"].updated_by == "Cy Food (Agriculture office)"
    assert rows["food_local"].raw_text == "40"
    audits = {a.data_point_id: a.actor for a in db.session.execute(select(ValueAudit)).scalars()}
    assert audits["dr_km"] == "Bo Water (Water utility)"
    assert audits["food_total"] == "Cy Food (Agriculture office)"
    prov = db.session.execute(select(KpiProvenance).where(
        KpiProvenance.kpi_code == "EC: ICT: D: 1A")).scalar_one()
    assert (prov.source, prov.updated_by) == ("Utility report", "Bo Water (Water utility)")


def test_the_verifier_and_the_audit_trail_name_who_entered_each_figure(app, city):
    fp = focal_point(app, city)
    _, link = invite(fp, name="Bo Water", email="bo@example.org", department="Water utility",
                     categories=[DRAINAGE])
    water = colleague(app, link)
    save_step(water, DRAINAGE, 0, {"dp_dr_km": "120", "dp_dr_ict_km": "12"})
    make_staff()
    client = app.test_client()
    fresh_csrf()
    sign_in(client)
    review = client.get(f"/staff/verify/{city.id}/c/{DRAINAGE}?lang=en")
    assert review.status_code == 200
    assert "Entered by Bo Water (Water utility)" in review.text
    audit = client.get(f"/staff/verify/{city.id}/audit?lang=en")
    assert "Bo Water (Water utility)" in audit.text


def test_revoked_link_explains_what_to_do_and_a_fresh_link_replaces_the_old(app, city):
    fp = focal_point(app, city)
    _, link = invite(fp, name="Bo Water", email="bo@example.org", department="Water utility",
                     categories=[DRAINAGE])
    water = colleague(app, link)
    member = db.session.execute(select(TeamMember)).scalar_one()
    post(fp, f"/w/team/{member.id}/revoke", {}, "/w/team")
    # The open session stops at its next request, and the link itself explains.
    stopped = water.get(f"/w/c/{DRAINAGE}/0?lang=en")
    assert stopped.status_code == 403 and "Ana Focal" in stopped.text
    assert "stopped this personal link" in stopped.text
    again = app.test_client().get(link + "?lang=en")
    assert again.status_code == 403 and "ask them for a fresh link" in again.text

    with mail.record_messages() as outbox:
        post(fp, f"/w/team/{member.id}/fresh-link", {}, "/w/team")
    [message] = outbox
    new_link = re.search(r"http://localhost(/w/colleague/\S+)", message.body).group(1)
    assert new_link != link
    old = app.test_client().get(link + "?lang=en")
    assert old.status_code == 403 and "A newer personal link" in old.text
    assert colleague(app, new_link).get(f"/w/c/{DRAINAGE}/0").status_code == 200


def test_team_page_shows_progress_and_reassigning_keeps_drafts(app, city):
    fp = focal_point(app, city)
    _, water_link = invite(fp, name="Bo Water", email="bo@example.org",
                           department="Water utility", categories=[DRAINAGE],
                           due_on="2020-01-31")
    invite(fp, name="Cy Food", email="cy@example.org", department="Agriculture office",
           categories=[FOOD])
    water = colleague(app, water_link)
    save_step(water, DRAINAGE, 0, {"dp_dr_km": "120"})
    page = fp.get("/w/team?lang=en").text
    assert "Bo Water" in page and "Cy Food" in page
    bo = re.search(r'id="member-\d+".*?</article>', page, re.S).group(0)
    assert "Started" in bo and "Overdue" in bo and "2020-01-31" in bo

    cy = db.session.execute(select(TeamMember).where(TeamMember.name == "Cy Food")).scalar_one()
    post(fp, "/w/team/assign", {"target": DRAINAGE, "member": str(cy.id)}, "/w/team")
    # Bo loses the category at once; Cy finds Bo's draft.
    assert water.get(f"/w/c/{DRAINAGE}/0").status_code == 403
    db.session.expire_all()
    assert db.session.execute(select(DataValue).where(
        DataValue.data_point_id == "dr_km")).scalar_one().raw_text == "120"
    post(fp, "/w/team/assign", {"target": DRAINAGE, "member": ""}, "/w/team")
    assert "Drainage" not in re.search(r'id="member-\d+".*?</article>',
                                       fp.get("/w/team?lang=en").text, re.S).group(0)


def test_i_dont_have_this_figure_becomes_a_task_for_the_focal_point(app, city):
    fp = focal_point(app, city)
    _, link = invite(fp, name="Bo Water", email="bo@example.org", department="Water utility",
                     categories=[DRAINAGE])
    water = colleague(app, link)
    empty = post(water, "/w/missing", {"kpi_code": "EC: ICT: D: 1A", "note": ""}, "/w/")
    assert empty.status_code == 400
    foreign = post(water, "/w/missing", {"kpi_code": "SC: SH: FS: 1A", "note": "n/a"}, "/w/")
    assert foreign.status_code == 400
    sent = post(water, "/w/missing", {"kpi_code": "EC: ICT: D: 1A",
                                      "note": "The ICT share is kept by the telecom office."},
                "/w/")
    assert sent.status_code == 302
    page = fp.get("/w/team?lang=en").text
    assert "The ICT share is kept by the telecom office." in page
    assert "Bo Water (Water utility)" in page
    assert "needs your decision" in fp.get("/w/?lang=en").text
    [task] = team_service.open_tasks(city.id)
    post(fp, f"/w/team/tasks/{task.id}/resolve", {"reassign": ""}, "/w/team")
    assert team_service.open_tasks(city.id) == []


def test_a_single_kpi_assignment_writes_only_that_kpi(app, city):
    fp = focal_point(app, city)
    _, link = invite(fp, name="Di Waste", email="di@example.org", department="Sanitation",
                     kpis=["EC: I: WA: 1C"])
    waste = colleague(app, link)
    assert waste.get(f"/w/c/{WASTE}").headers["Location"].endswith(f"/w/c/{WASTE}/1")
    assert waste.get(f"/w/c/{WASTE}/0").status_code == 403  # the shared step is not theirs
    assert waste.get(f"/w/c/{WASTE}/review").status_code == 403
    assert save_step(waste, WASTE, 1, {"dp_hh_swc": "900"}).status_code == 302
    db.session.expire_all()
    assert db.session.execute(select(DataValue).where(
        DataValue.data_point_id == "hh_swc")).scalar_one().updated_by == \
        "Di Waste (Sanitation)"


def test_the_focal_points_own_figures_carry_their_name(app, city):
    fp = focal_point(app, city)
    fresh_csrf()
    page = fp.get(f"/w/c/{DRAINAGE}/0").text
    fresh_csrf()
    fp.post(f"/w/c/{DRAINAGE}/0", data={
        "csrf_token": csrf_token_from(page), "version": version_from(page), "action": "save",
        "dp_dr_km": "5", "kpi_ec_ict_d_1a__source": "Our own count"})
    db.session.expire_all()
    assert db.session.execute(select(ValueAudit)).scalars().first().actor == \
        "Ana Focal (focal point)"
    prov = db.session.execute(select(KpiProvenance)).scalar_one()
    assert (prov.source, prov.updated_by) == ("Our own count", "Ana Focal (focal point)")


def test_colleague_links_never_reach_the_log(app, city):
    fp = focal_point(app, city)
    _, link = invite(fp, name="Bo Water", email="bo@example.org", department="Water utility",
                     categories=[DRAINAGE])
    token = link.rsplit("/", 1)[1]
    logger = logging.getLogger("werkzeug")
    # The development server's request line, as werkzeug logs it, through the logger's filters.
    record = logger.makeRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] %s\n',
                               ("127.0.0.1", "now", f'"GET {link} HTTP/1.1" 302 -'), None)
    assert logger.filter(record)
    lines = [record.getMessage()]
    assert lines and token not in lines[0] and "/w/colleague/[link]" in lines[0]


def test_a_colleague_link_is_unguessable_and_a_bad_one_gets_the_friendly_page(app, city):
    response = app.test_client().get("/w/colleague/" + "A" * 43)
    assert response.status_code == 404
    response = app.test_client().get("/w/colleague/" + "A" * 300)
    assert response.status_code == 404


# ------------------------------------------------------------------------------ less to type
def test_a_category_says_the_year_what_is_required_and_where_figures_are_found(app, city):
    from intake.services.wizard.steps import steps as wizard_steps

    fp = focal_point(app, city)
    first = next(s for s in wizard_steps("sc-safety") if s.kpis)
    page = fp.get(f"/w/c/sc-safety/{first.index}?lang=en").text
    assert "Report the figures of" in page
    assert "core KPIs are required in this category" in page
    assert "advanced KPIs are optional" in page
    assert "Usually found at:" in page and ("police" in page or "civil protection" in page)
    from flask_babel import refresh

    refresh()  # the tests' shared app context would keep the English of the request before
    arabic = fp.get(f"/w/c/sc-safety/{first.index}?lang=ar").text
    assert "الشرطة" in arabic or "الدفاع المدني" in arabic


def test_source_quality_and_year_are_offered_from_the_kpi_before(app, city):
    from forms.builder import kpi_field_prefix
    from intake.services.values import catalog, set_city_values

    safety = [k.code for k in catalog().kpis_in("sc-safety")]
    set_city_values(city.id, {}, actor="seed", provenance={safety[0]: {
        "quality_tier": "accurate", "source": "Police annual report", "reference_year": 2024}})
    fp = focal_point(app, city)
    from intake.services.wizard.steps import steps as wizard_steps

    second = next(s for s in wizard_steps("sc-safety")
                  if s.kpis and s.kpis[0].code == safety[1])
    page = fp.get(f"/w/c/sc-safety/{second.index}?lang=en").text
    prefix = kpi_field_prefix(safety[1])
    assert re.search(rf'name="{prefix}__source"[^>]*value="Police annual report"|'
                     rf'value="Police annual report"[^>]*name="{prefix}__source"', page)
    assert "same as above" in page
    # Nothing is stored until the person saves.
    assert db.session.execute(select(KpiProvenance).where(
        KpiProvenance.kpi_code == safety[1])).scalar_one_or_none() is None


def test_a_colleagues_expired_page_keeps_what_they_typed(app, city):
    fp = focal_point(app, city)
    _, link = invite(fp, name="Bo Water", email="bo@example.org", department="Water utility",
                     categories=[DRAINAGE])
    water = colleague(app, link)
    kept = water.post(f"/w/c/{DRAINAGE}/0?lang=en", data={
        "csrf_token": "expired", "version": "0", "dp_dr_km": "4321", "action": "save"})
    assert kept.status_code == 200 and 'value="4321"' in kept.text
    assert "nothing was saved yet" in kept.text
    other = water.post(f"/w/c/{FOOD}/0?lang=en", data={
        "csrf_token": "expired", "version": "0", "dp_food_local": "77", "action": "save"})
    assert other.status_code in (400, 403) and 'value="77"' not in other.text


def test_a_colleague_neither_downloads_nor_deletes_another_categorys_files(app, city):
    import io

    from intake.models import EvidenceFile
    from intake.services import evidence as evidence_service

    record = evidence_service.save_evidence(city.id, "SC: SH: FS: 1A", "food.csv",
                                            io.BytesIO(b"a,b\n1,2\n"), actor="Ana Focal")
    db.session.commit()
    fp = focal_point(app, city)
    _, link = invite(fp, name="Bo Water", email="bo@example.org", department="Water utility",
                     categories=[DRAINAGE])
    water = colleague(app, link)
    assert water.get(f"/w/evidence/{record.id}").status_code == 404
    save_step(water, DRAINAGE, 0, {"dp_dr_km": "1", "delete_evidence": str(record.id)})
    db.session.expire_all()
    assert db.session.get(EvidenceFile, record.id) is not None
    with fp.get(f"/w/evidence/{record.id}") as download:
        assert download.status_code == 200
