"""Many processes writing to one SQLite file at once: nobody sees "database is locked"."""

from __future__ import annotations

import multiprocessing

import pytest

PROCESSES = 5
WRITES_EACH = 200


def _writer(database_url: str, instance: str, worker: int, results) -> None:
    from intake import create_app
    from intake.services.cities import create_city

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "t",
                      "UPLOAD_FOLDER": instance, "DOCUMENT_FOLDER": instance})
    errors = 0
    with app.app_context():
        for n in range(WRITES_EACH):
            try:
                # A read followed by a write in one transaction: the pattern that fails
                # at once under deferred transactions.
                create_city(name=f"City {worker}-{n}", population=1000 + n)
            except Exception as error:  # counted, reported by the parent
                errors += 1
                results.put(repr(error)[:200])
    results.put(("done", errors))


@pytest.mark.slow
def test_concurrent_writers_from_several_processes(sqlite_app, sqlite_database_url, tmp_path):
    from sqlalchemy import func, select

    from intake.extensions import db
    from intake.models import City

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_writer,
                               args=(sqlite_database_url, str(tmp_path), w, results))
               for w in range(PROCESSES)]
    for process in workers:
        process.start()
    failures, finished = [], 0
    while finished < PROCESSES:
        item = results.get(timeout=240)
        if isinstance(item, tuple) and item[0] == "done":
            finished += 1
        else:
            failures.append(item)
    for process in workers:
        process.join(timeout=30)
    assert failures == []
    assert db.session.execute(select(func.count()).select_from(City)).scalar() == \
        PROCESSES * WRITES_EACH
