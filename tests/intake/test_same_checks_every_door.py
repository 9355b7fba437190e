"""The same hostile and implausible figures through the wizard, the API and the import get
the same findings from each: one set of checks, whatever the door."""

from __future__ import annotations

import io
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select

from forms.builder import field_name, kpi_field_prefix, result_field_name
from forms.rules import message
from intake.extensions import db
from intake.models.values import DataValue
from intake.services import values as value_service
from intake.services.cities import create_city
from intake.services.wizard.steps import steps as wizard_steps
from intake.services.workbook import export_xlsx, plan_import
from intake.wizard.helpers import render_message
from tests.intake.test_api_auth import bearer, staff_with_token
from tests.intake.test_wizard import open_workspace, post_step
from tests.intake.test_workbook import header_keys

# Results reported directly (item id) and raw figures (data point id), as a city might type
# them wrongly: above 100 %, negative, outside the range verifiers usually see, a part
# larger than its total, a share of nobody.
RESULTS = {"EC: ICT: ICT: 1C": 140, "EC: ICT: ICT: 2C": -5, "EC: P: IN: 1C": 12,
           "EC: I: WS: 5C": 50}
FIGURES = {"hh_internet": 50_000, "fbb_subs": -3}
KNOWN = {"hh_total": 40_000, "pop": 120_000}  # given before, as any city would have


def new_city(name):
    city = create_city(name=name, population=120_000, focal_point_email="fp@example.org")
    value_service.set_city_values(city.id, KNOWN, actor="seed")
    return city


def _messages(found) -> list[str]:
    return sorted(render_message(m) for m in found or [])


def _stored_findings(city) -> dict[str, list[str]]:
    db.session.expire_all()
    keys = ["result:" + item for item in RESULTS] + list(FIGURES)
    rows = db.session.execute(select(DataValue).where(
        DataValue.city_id == city.id, DataValue.data_point_id.in_(keys))).scalars()
    return {row.data_point_id: _messages(row.findings) for row in rows if row.findings}


def through_wizard(client) -> dict[str, list[str]]:
    city = new_city("By the wizard")
    open_workspace(client, city)
    catalog = value_service.catalog()
    wanted = {catalog.item(item).kpi_code for item in RESULTS} | {
        kpi.code for kpi in catalog.kpis for dp in kpi.data_points if dp.id in FIGURES}
    for code in sorted(wanted):
        kpi = catalog.kpi(code)
        step = next(s for s in wizard_steps(kpi.category) if kpi in s.kpis)
        form = {}
        if any(item.id in RESULTS for item in kpi.items):
            form[kpi_field_prefix(code) + "__direct"] = "y"
            form.update({result_field_name(item.id): str(RESULTS[item.id])
                         for item in kpi.items if item.id in RESULTS})
        form.update({field_name(dp.id): str(FIGURES[dp.id])
                     for dp in step.data_points if dp.id in FIGURES})
        post_step(client, kpi.category, step.index, form, action="save")
    return _stored_findings(city)


def through_api(client) -> dict[str, list[str]]:
    city = new_city("By the API")
    token = staff_with_token()[1]
    found: dict[str, list[str]] = {}
    justify = render_message(message("justification_needed"))
    for key, value, url in (
            *((f"result:{i}", v, f"results/{quote(i, safe='')}") for i, v in RESULTS.items()),
            *((dp, v, f"values/{dp}") for dp, v in FIGURES.items())):
        url = f"/api/v1/cities/{city.id}/{url}"
        etag = client.get(url, headers=bearer(token)).headers["ETag"]
        response = client.put(url, headers={**bearer(token), "If-Match": etag},
                              json={"value": value})
        if response.status_code == 422:
            found[key] = sorted(m for m in response.get_json()["errors"]["value"]
                                if m != justify)
        else:
            assert response.status_code == 200, response.text
    return found


def through_import(client) -> dict[str, list[str]]:
    city = new_city("By the import")
    book = load_workbook(io.BytesIO(export_xlsx(city.id)))
    wanted = {**{"result:" + i: v for i, v in RESULTS.items()}, **FIGURES}
    for ws in book.worksheets:
        header = header_keys(ws)
        for cells in ws.iter_rows(min_row=2):
            key = cells[header.index("data_point")].value
            if key in wanted:
                cells[header.index("value")].value = wanted[key]
    out = io.BytesIO()
    book.save(out)
    plan = plan_import(city.id, out.getvalue())
    found = {c.data_point.id: _messages(c.errors) for c in plan.problems}
    found.update({c.data_point.id: _messages(c.warnings) for c in plan.changes if c.warnings})
    return found


def test_the_same_findings_through_every_door(client):
    wizard = through_wizard(client)
    api = through_api(client)
    imported = through_import(client)
    assert set(wizard) == {"result:" + i for i in RESULTS} | set(FIGURES)
    assert any("above 100" in m for m in wizard["result:EC: ICT: ICT: 1C"])
    assert any("negative" in m for m in wizard["fbb_subs"])
    assert any("larger than its total" in m for m in wizard["hh_internet"])
    assert any("outside the range" in m for m in wizard["result:EC: P: IN: 1C"])
    assert wizard == api == imported


SHARES = {"ms_private": 40, "ms_public": 30, "ms_walk": 10, "ms_cycle": 5, "ms_para": 5}
TIERS = {"wwt_primary": 80, "wwt_secondary": 90, "wwt_tertiary": 20}


def test_checks_across_values_are_the_same_in_the_wizard_the_import_and_the_api(client):
    # Wizard: the whole KPI on one step.
    city = new_city("Across by the wizard")
    open_workspace(client, city)
    catalog = value_service.catalog()
    for dp_ids in (SHARES, TIERS):
        kpi = next(k for k in catalog.kpis if any(d.id in dp_ids for d in k.data_points))
        step = next(s for s in wizard_steps(kpi.category) if kpi in s.kpis)
        post_step(client, kpi.category, step.index,
                  {field_name(dp): str(v) for dp, v in dp_ids.items()}, action="save")
    db.session.expire_all()
    rows = db.session.execute(select(DataValue).where(
        DataValue.city_id == city.id,
        DataValue.data_point_id.in_([*SHARES, *TIERS]))).scalars()
    wizard = {row.data_point_id: _messages(row.findings) for row in rows if row.findings}
    assert set(wizard) == set(SHARES) | {"wwt_secondary"}
    assert any("add up to 90" in m for m in wizard["ms_walk"])
    assert any("more than the 80" in m for m in wizard["wwt_secondary"])
    # Import: the same rows in the workbook.
    other = new_city("Across by the import")
    book = load_workbook(io.BytesIO(export_xlsx(other.id)))
    for ws in book.worksheets:
        header = header_keys(ws)
        for cells in ws.iter_rows(min_row=2):
            key = cells[header.index("data_point")].value
            if key in SHARES or key in TIERS:
                cells[header.index("value")].value = {**SHARES, **TIERS}[key]
    out = io.BytesIO()
    book.save(out)
    plan = plan_import(other.id, out.getvalue())
    imported = {c.data_point.id: _messages(c.warnings) for c in plan.changes if c.warnings}
    assert imported == wizard
    # API: one value at a time, checked against the ones stored: the last share and the
    # tier out of order get the same warning, and need a reason.
    third = new_city("Across by the API")
    value_service.set_city_values(third.id, {k: v for k, v in SHARES.items()
                                             if k != "ms_para"}, actor="seed")
    value_service.set_city_values(third.id, {"wwt_primary": 80}, actor="seed")
    token = staff_with_token()[1]
    for dp_id, value in (("ms_para", 5), ("wwt_secondary", 90)):
        url = f"/api/v1/cities/{third.id}/values/{dp_id}"
        etag = client.get(url, headers=bearer(token)).headers["ETag"]
        refused = client.put(url, headers={**bearer(token), "If-Match": etag},
                             json={"value": value})
        assert refused.status_code == 422
        assert set(wizard[dp_id]) <= set(refused.get_json()["errors"]["value"])
        saved = client.put(url, headers={**bearer(token), "If-Match": etag},
                           json={"value": value, "reason": "As published"})
        assert saved.status_code == 200 and saved.get_json()["warnings"] == wizard[dp_id]
