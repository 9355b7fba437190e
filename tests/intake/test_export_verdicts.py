"""The verifier's YES/NO per data point (with the reason for NO, and "check_again" once the
figure changed after its check) beside the KPI's verdict, in every export of a city and of
all cities."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from intake.services import datapoint_checks as checks
from intake.services import values as value_service
from intake.services.exports import export_csv, export_json, export_xlsx, stream_jsonl
from intake.services.verification import mark_kpi
from intake.services.workbook import export_csv as city_csv
from intake.services.workbook import export_json as city_json
from intake.services.workbook import export_xlsx as city_xlsx
from tests.intake import test_verification
from tests.intake.test_verification import ICT, KPI
from tests.intake.test_workbook import rows_of

world = test_verification.world  # the same cities, verifiers and filled ICT category
WHY = '=HYPERLINK("http://evil.example") 41 000 is the 2019 figure'


def _checked(world) -> int:
    city, verifier = world["mine"], world["verifier"]
    mark_kpi(city.id, KPI, "not_verified", actor=verifier, note="see the figures")
    checks.check_data_point(city.id, "hh_total", "yes", actor=verifier)
    checks.check_data_point(city.id, "hh_internet", "no", actor=verifier, note=WHY)
    checks.check_data_point(city.id, "pop", "yes", actor=verifier)
    # The city corrects the population after its check: to be checked again.
    value_service.reopen_category(city.id, ICT, actor="city")
    value_service.set_city_values(city.id, {"pop": 121_000}, actor="city")
    return city.id


def _by_point(rows, city_id=None) -> dict[str, dict]:
    return {row["data_point"]: row for row in rows
            if city_id is None or str(row.get("city_id")) == str(city_id)}


def _expect(found: dict[str, dict]) -> None:
    assert found["hh_total"]["data_point_check"] == "yes"
    assert found["hh_internet"]["data_point_check"] == "no"
    assert found["hh_internet"]["data_point_check_note"].lstrip("'") == WHY
    assert found["pop"]["data_point_check"] == "check_again"
    assert found["hh_internet"]["kpi_verification"] == "not_verified"
    assert found["fbb_subs"]["data_point_check"] == ""  # not checked
    assert found["hh_total"]["data_point_check_note"] == ""


def test_all_cities_exports_carry_the_data_point_checks(app, world):
    city_id = _checked(world)
    _expect(_by_point(csv.DictReader(io.StringIO(export_csv().decode("utf-8-sig"))),
                      city_id))
    document = json.loads(export_json())
    city = next(c for c in document["cities"] if c["id"] == city_id)
    _expect(_by_point(city["values"]))
    lines = [json.loads(line) for line in b"".join(stream_jsonl()).splitlines()[1:]]
    _expect(_by_point(next(c for c in lines if c["id"] == city_id)["values"]))
    sheet = load_workbook(io.BytesIO(export_xlsx()))["Data"]
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2,
                                                                             values_only=True)]
    found = _by_point(rows, city_id)
    found = {k: {c: ("" if v is None else v) for c, v in row.items()} for k, row in found.items()}
    _expect(found)
    assert header.index("data_point_check") == header.index("kpi_verification") + 1


def test_a_citys_own_exports_carry_the_data_point_checks(app, world):
    city_id = _checked(world)
    _expect(_by_point(csv.DictReader(io.StringIO(city_csv(city_id)))))
    _expect(_by_point(json.loads(city_json(city_id))["values"]))
    found = {dp: {c: ("" if v is None else v) for c, v in row[2].items()}
             for dp, row in rows_of(load_workbook(io.BytesIO(city_xlsx(city_id)))).items()}
    _expect(found)


def test_exports_read_checks_in_batches_not_per_city(app, world):
    from sqlalchemy import event

    from intake.extensions import db

    _checked(world)
    counted = []

    def count(*_args, **_kwargs):
        counted.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        export_csv()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # Cities, values, provenance, states, verdicts, checks: one query each per batch.
    assert len(counted) <= 8
