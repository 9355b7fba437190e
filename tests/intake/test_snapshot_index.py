"""The kept snapshot's fingerprint reads each table through an index, not a scan."""

from __future__ import annotations

from intake.demo_bulk import load_bulk_cities
from intake.extensions import db
from intake.snapshot.cache import _fingerprint_query, snapshot_state


def test_fingerprint_query_uses_indexes_on_postgresql(postgres_app):
    """EXPLAIN plans are PostgreSQL's: this runs there only."""
    assert db.engine.dialect.name == "postgresql"
    load_bulk_cities(3)
    city_id = db.session.execute(db.select(db.func.min(db.text("id"))).select_from(
        db.text("city"))).scalar_one()
    query = _fingerprint_query().params(city_id=city_id, job_prefix=f"score:{city_id}:%")
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    connection = db.session.connection()
    # With sequential scans priced out, any table left without a usable index still shows
    # one: the job table's key prefix (LIKE 'score:<id>:%') needs the pattern index.
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    plan = "\n".join(row[0] for row in connection.exec_driver_sql(
        "EXPLAIN " + sql.replace("%", "%%")))
    assert "Seq Scan" not in plan, plan
    assert "ix_job_key_pattern" in plan
    db.session.rollback()
    assert snapshot_state(city_id).access_key is not None


def test_the_newest_letters_come_off_the_date_index_not_a_sort_of_all(postgres_app):
    """The inbox's first page (newest first) reads 50 letters down ix_letter_created_at; a
    "NULLs last" key on a column that is never NULL made PostgreSQL join and sort every
    letter (10.6 ms at 10 000 letters, 0.4 ms off the index)."""
    from intake.models.letter import Letter
    from intake.secretariat.overview import DEFAULT_LETTER_SORT, LETTER_SORTS, letter_query
    from intake.secretariat.overview import order_by as list_order

    load_bulk_cities(3)
    order = list_order(LETTER_SORTS, DEFAULT_LETTER_SORT, True, DEFAULT_LETTER_SORT)
    query = letter_query().order_by(*order, Letter.id.desc()).limit(50)
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    connection.exec_driver_sql("SET LOCAL enable_sort = off")
    plan = "\n".join(row[0] for row in connection.exec_driver_sql(
        "EXPLAIN " + sql.replace("%", "%%")))
    db.session.rollback()
    assert "Index Scan Backward using ix_letter_created_at" in plan, plan
    assert "IS NULL" not in sql
