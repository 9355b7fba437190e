"""Large exports: prepared by a background job with a progress page, then downloaded.

Small exports still stream from the link. Above EXPORT_INLINE_MAX_CITIES (lowered here) the
secretariat asks for the file with a POST (CSRF), follows its progress, and downloads exactly
what the streamed export would have sent; nobody else downloads it, and it is deleted after
EXPORT_RETENTION_HOURS.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from intake.extensions import db
from intake.models import ExportJob, JobRecord, JobState
from tests.conftest import csrf_token_from
from tests.intake.test_accounts import make_staff, sign_in

LARGE = {"EXPORT_INLINE_MAX_CITIES": 3}


@pytest.fixture
def programme(app):
    from intake.demo_bulk import load_bulk_cities

    load_bulk_cities(7)
    make_staff()
    db.session.close()  # SQLite: no transaction held while other apps read
    return app


@pytest.fixture
def large_app(programme, app_factory, database_url):
    """The same database, with an export of more than 3 cities counted as large."""
    return app_factory(database_url, **LARGE)


def signed_in(application, email="sec@example.org"):
    client = application.test_client()
    sign_in(client, email=email)
    return client


def start(client, fmt, query=""):
    page = client.get("/staff/exports/" + query)
    assert page.status_code == 200
    return client.post(f"/staff/exports/jobs/cities.{fmt}{query}",
                       data={"csrf_token": csrf_token_from(page.text)})


def job_id_from(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.search(r"/staff/exports/jobs/(\d+)$", response.headers["Location"]).group(1))


def test_a_small_export_still_streams_from_the_link(programme, client):
    sign_in(client)
    page = client.get("/staff/exports/")
    assert 'href="/staff/exports/cities.csv"' in page.text and "Prepare this file" not in page.text
    response = client.get("/staff/exports/cities.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    response.close()
    assert len({row["city_id"] for row in rows}) == 7
    assert db.session.scalar(select(func.count(ExportJob.id))) == 0


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "xlsx"])
def test_a_large_export_goes_through_a_job_and_matches_the_streamed_file(
        programme, large_app, fmt, monkeypatch):
    from intake.services import exports as export_service

    monkeypatch.setattr(export_service, "BATCH", 2)  # several progress reports for 7 cities
    reported: list[int] = []

    def watch(_conn, _cursor, statement, parameters, _context, _many):
        if statement.startswith("UPDATE export_job SET done"):
            reported.append(parameters[0] if isinstance(parameters, tuple | list)
                            else parameters["done"])

    small = signed_in(programme)
    streamed = small.get(f"/staff/exports/cities.{fmt}", buffered=True)
    assert streamed.status_code == 200
    db.session.close()  # SQLite: the other app writes next
    with large_app.app_context():
        client = signed_in(large_app)
        page = client.get("/staff/exports/")
        assert "Prepare this file" in page.text and "7" in page.text
        assert 'href="/staff/exports/cities.csv"' not in page.text
        # The link itself no longer streams a large export: it leads to the button.
        link = client.get(f"/staff/exports/cities.{fmt}")
        assert link.status_code == 303 and link.headers["Location"].endswith("/staff/exports/")
        event.listen(db.engine, "before_cursor_execute", watch)
        try:
            export_id = job_id_from(start(client, fmt))
        finally:
            event.remove(db.engine, "before_cursor_execute", watch)
        assert reported[-1] == 7 and reported == sorted(reported) and len(reported) >= 4
        status = client.get(f"/staff/exports/jobs/{export_id}.json").get_json()
        assert status["state"] == "done" and status["percent"] == 100 and status["ready"]
        assert status["done"] == status["total"] == 7
        job_page = client.get(f"/staff/exports/jobs/{export_id}")
        assert 'value="100"' in job_page.text and "http-equiv" not in job_page.text
        assert f'href="/staff/exports/jobs/{export_id}/file"' in job_page.text
        listing = client.get("/staff/exports/")
        assert f'href="/staff/exports/jobs/{export_id}"' in listing.text
        download = client.get(f"/staff/exports/jobs/{export_id}/file", buffered=True)
        assert download.status_code == 200
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["Content-Disposition"].endswith(f'.{fmt}')
        assert download.headers["Content-Type"] == export_service.FORMATS[fmt]
        assert download.headers["Cache-Control"] == "no-store"
        assert same_export(fmt, download.data, streamed.data)


def same_export(fmt: str, prepared: bytes, streamed: bytes) -> bool:
    """Equal files, but for the moment each was generated at."""
    if fmt == "csv":
        return prepared == streamed and len(prepared) > 10_000
    if fmt == "jsonl":
        a, b = prepared.decode().splitlines(), streamed.decode().splitlines()
        head_a, head_b = json.loads(a[0]), json.loads(b[0])
        head_a.pop("generated_at"), head_b.pop("generated_at")
        return head_a == head_b and a[1:] == b[1:] and len(a) == 8
    if fmt == "json":
        a, b = json.loads(prepared), json.loads(streamed)
        a.pop("generated_at"), b.pop("generated_at")
        return a == b and len(a["cities"]) == 7
    a, b = load_workbook(io.BytesIO(prepared)), load_workbook(io.BytesIO(streamed))
    rows_a = [[c.value for c in row] for row in a["Data"].iter_rows()]
    rows_b = [[c.value for c in row] for row in b["Data"].iter_rows()]
    return rows_a == rows_b and len(rows_a) > 7


def test_the_lists_filters_go_with_the_job(programme, large_app):
    with large_app.app_context():
        client = signed_in(large_app)
        everything = job_id_from(start(client, "jsonl"))
        verified = job_id_from(start(client, "jsonl", "?stage=verified"))
        exports = {e.id: e for e in db.session.scalars(select(ExportJob))}
        assert exports[verified].filters["stage"] == "verified"
        lines = client.get(f"/staff/exports/jobs/{verified}/file",
                           buffered=True).data.splitlines()[1:]
        stages = {json.loads(line)["stage"] for line in lines}
        assert stages == {"verified"}
        assert exports[verified].total == len(lines) < exports[everything].total == 7


def test_starting_an_export_needs_the_csrf_token(programme, large_app):
    large_app.config["WTF_CSRF_ENABLED"] = True
    with large_app.app_context():
        client = signed_in(large_app)
        refused = client.post("/staff/exports/jobs/cities.csv")
        assert refused.status_code == 400
        assert db.session.scalar(select(func.count(ExportJob.id))) == 0
        assert job_id_from(start(client, "csv"))


def test_only_the_secretariat_member_who_asked_downloads_the_file(programme, large_app):
    from intake.services.cities import create_city
    from tests.reliability.helpers import open_workspace

    make_staff(email="ver@example.org", role="verifier")
    make_staff(email="other@example.org")
    db.session.close()
    with large_app.app_context():
        export_id = job_id_from(start(signed_in(large_app), "csv"))
        urls = [f"/staff/exports/jobs/{export_id}{end}" for end in ("", ".json", "/file")]
        verifier = signed_in(large_app, "ver@example.org")
        for url in urls:
            assert verifier.get(url, buffered=True).status_code == 403, url
        assert verifier.get("/staff/exports/").status_code == 403
        colleague = signed_in(large_app, "other@example.org")
        for url in urls:
            assert colleague.get(url, buffered=True).status_code == 404, url
        assert f"/staff/exports/jobs/{export_id}" not in colleague.get("/staff/exports/").text
        anonymous = large_app.test_client()
        for url in urls:
            assert anonymous.get(url, buffered=True).status_code in (302, 401), url
        city = create_city(name="Linkville", population=80_000)
        city_client = large_app.test_client()
        open_workspace(city_client, city)
        for url in urls:
            response = city_client.get(url, buffered=True)
            assert response.status_code in (302, 401, 403), url
            assert b"city_id" not in response.data


def test_a_failed_export_says_so_and_can_be_tried_again(programme, large_app, monkeypatch):
    from intake.services import exports as export_service

    real = export_service.export_stream
    calls = []

    def broken_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full at /srv/secret/path")
        return real(*args, **kwargs)

    monkeypatch.setattr(export_service, "export_stream", broken_once)
    with large_app.app_context():
        client = signed_in(large_app)
        export_id = job_id_from(start(client, "csv"))
        page = client.get(f"/staff/exports/jobs/{export_id}")
        assert "The file could not be written" in page.text
        assert "/srv/secret" not in page.text  # the technical error stays in the job row
        assert client.get(f"/staff/exports/jobs/{export_id}/file",
                          buffered=True).status_code == 404
        export = db.session.get(ExportJob, export_id)
        assert not list(Path(large_app.config["EXPORT_FOLDER"]).glob("*.part"))
        assert db.session.get(JobRecord, export.job_id).state == JobState.FAILED
        retried = client.post(f"/staff/exports/jobs/{export_id}/retry",
                              data={"csrf_token": csrf_token_from(page.text)})
        assert retried.status_code == 303
        assert client.get(f"/staff/exports/jobs/{export_id}/file",
                          buffered=True).status_code == 200


def test_prepared_files_are_deleted_after_the_retention_period(programme, large_app):
    from intake.maintenance import delete_expired_exports as periodic_task
    from intake.schedule import PERIODIC
    from intake.services.export_jobs import delete_expired_exports, export_path

    assert periodic_task in [task.function for task in PERIODIC]
    with large_app.app_context():
        client = signed_in(large_app)
        export_id = job_id_from(start(client, "csv"))
        export = db.session.get(ExportJob, export_id)
        path, job_id = export_path(export), export.job_id
        assert path.is_file()
        asked = export.created_at
        assert delete_expired_exports(now=asked + timedelta(hours=23)) == 0
        assert path.is_file()
        assert periodic_task() == 0
        assert delete_expired_exports(now=asked + timedelta(hours=24, minutes=1)) == 1
        assert not path.exists()
        assert db.session.get(JobRecord, job_id) is None
        assert client.get(f"/staff/exports/jobs/{export_id}/file",
                          buffered=True).status_code == 404
        assert client.get(f"/staff/exports/jobs/{export_id}").status_code == 404


@pytest.mark.redis
def test_a_worker_writes_the_export_through_redis(programme, app_factory, database_url,
                                                  redis_url):
    from redis import Redis
    from rq import Queue, SimpleWorker

    worker_app = app_factory(database_url, REDIS_URL=redis_url, **LARGE)
    small = signed_in(programme)
    streamed = small.get("/staff/exports/cities.csv", buffered=True).data
    db.session.close()
    with worker_app.app_context():
        client = signed_in(worker_app)
        export_id = job_id_from(start(client, "csv"))
        waiting = client.get(f"/staff/exports/jobs/{export_id}")
        # Not done yet: a progress bar at 0, a page that refreshes itself (no script needed),
        # a link to refresh by hand, and the polling script.
        assert '<progress id="export-progress" value="0" max="100"' in waiting.text
        assert '<meta http-equiv="refresh" content="5">' in waiting.text
        assert f'href="/staff/exports/jobs/{export_id}">Refresh</a>' in waiting.text
        assert "js/exports.js" in waiting.text
        assert client.get(f"/staff/exports/jobs/{export_id}/file",
                          buffered=True).status_code == 404
        export = db.session.get(ExportJob, export_id)
        assert db.session.get(JobRecord, export.job_id).queue == "exports"
        connection = Redis.from_url(redis_url)
        SimpleWorker([Queue("exports", connection=connection)],
                     connection=connection).work(burst=True)
        db.session.expire_all()
        status = client.get(f"/staff/exports/jobs/{export_id}.json").get_json()
        assert status["state"] == "done" and status["percent"] == 100
        assert client.get(f"/staff/exports/jobs/{export_id}/file", buffered=True).data == streamed
        assert db.session.get(JobRecord, export.job_id).result["cities"] == 7


def test_the_web_process_memory_stays_flat_while_a_large_export_is_written(
        programme, database_url, tmp_path):
    """In a fresh process (what earlier tests left neither raises nor hides the growth): the
    export is written by the job inline, in the web process, batch by batch."""
    db.session.close()
    result = subprocess.run(
        [sys.executable, "-m", "tests.intake.export_memory", database_url, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    growth_mb = measured["growth_kb"] / 1024
    file_mb = measured["file_bytes"] / 1024 / 1024
    assert measured["cities"] >= 100
    # The file is many times what the process grew by while writing it.
    assert growth_mb < 16 and growth_mb < file_mb / 3, (growth_mb, file_mb)
