"""The values contract: bulk writes, audit rows, category states and their signals."""

import pytest
from sqlalchemy import select

from intake import signals
from intake.extensions import db
from intake.models import DataValue, ValueAudit
from intake.services.cities import create_city
from intake.services.values import (
    category_status,
    get_city_values,
    mark_category_complete,
    reopen_category,
    set_city_values,
)


@pytest.fixture
def city(app):
    return create_city(name="Valuetown", population=120_000)


@pytest.fixture
def received():
    events = []

    def listen(name):
        def receiver(sender, **kwargs):
            events.append((name, kwargs["city_id"], kwargs["category_id"]))
        return receiver

    receivers = {name: listen(name) for name in ("completed", "changed", "reopened")}
    signals.category_completed.connect(receivers["completed"])
    signals.category_data_changed.connect(receivers["changed"])
    signals.category_reopened.connect(receivers["reopened"])
    yield events
    signals.category_completed.disconnect(receivers["completed"])
    signals.category_data_changed.disconnect(receivers["changed"])
    signals.category_reopened.disconnect(receivers["reopened"])


def test_bulk_write_read_back_and_audit(city, received):
    changed = set_city_values(city.id, {"hh_internet": 800, "hh_total": 1000,
                                        "resil_plan": True, "wifi_hotspots": None},
                              actor="demo", reason="seed")
    assert "ec-ict-infrastructure" in changed
    assert ("changed", city.id, "ec-ict-infrastructure") in received
    values = get_city_values(city.id)
    assert values["hh_internet"] == 800 and values["hh_total"] == 1000
    assert values["resil_plan"] is True
    assert values["wifi_hotspots"] is None  # not available
    assert "pop" not in values  # never entered
    audits = db.session.execute(select(ValueAudit).where(
        ValueAudit.data_point_id == "hh_internet")).scalars().all()
    assert [(a.actor, a.old_text, a.new_text, a.reason) for a in audits] == [
        ("demo", None, "800", "seed")]


def test_unchanged_values_send_nothing(city, received):
    set_city_values(city.id, {"hh_total": 1000}, actor="demo")
    received.clear()
    assert set_city_values(city.id, {"hh_total": 1000}, actor="demo") == []
    assert received == []


def test_wrong_types_are_refused(city):
    with pytest.raises(ValueError):
        set_city_values(city.id, {"resil_plan": 3}, actor="demo")
    with pytest.raises(ValueError):
        set_city_values(city.id, {"hh_total": "many"}, actor="demo")
    with pytest.raises(KeyError):
        set_city_values(city.id, {"no_such_point": 1}, actor="demo")


def test_provenance_by_kpi_code(city):
    from intake.services.values import provenance_rows

    set_city_values(city.id, {"hh_internet": 5}, actor="demo",
                    provenance={"EC: ICT: ICT: 1C": {"quality_tier": "survey",
                                                     "source": "Census", "reference_year": 2024}})
    row = provenance_rows(city.id)["EC: ICT: ICT: 1C"]
    assert (row.quality_tier, row.source, row.reference_year) == ("survey", "Census", 2024)


def test_complete_and_reopen_states_and_signals(city, received):
    category = "ec-ict-infrastructure"
    assert category_status(city.id, category) == "not_started"
    mark_category_complete(city.id, category, actor="demo")
    assert category_status(city.id, category) == "complete"
    mark_category_complete(city.id, category, actor="demo")  # idempotent: one signal
    reopen_category(city.id, category, actor="demo")
    assert category_status(city.id, category) == "in_progress"
    assert [e for e in received if e[0] != "changed"] == [
        ("completed", city.id, category), ("reopened", city.id, category)]


def test_drafts_that_do_not_parse_are_not_values(city):
    db.session.add(DataValue(city_id=city.id, data_point_id="hh_total", raw_text="lots",
                             valid=False))
    db.session.commit()
    assert "hh_total" not in get_city_values(city.id)
