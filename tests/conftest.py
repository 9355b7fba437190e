"""Shared fixtures: the app on SQLite and on PostgreSQL, a real Redis, and form helpers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _compile_url_builders_once() -> None:
    """Each app compiles a Python function per URL rule to build its URLs (werkzeug), and
    the suite makes an app per test: that compiling was most of `create_app`'s time. The
    function is the same for the same rule, so it is compiled once per session and reused
    (it reads the rule's own converters when called). URLs are built exactly as before.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict = {}

    def cached(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (self.rule, tuple(self._trace), append_unknown,
               tuple(sorted((name, repr(value)) for name, value in defaults.items())),
               tuple((name, self._converters[name].to_url(defaults[name]))
                     for dynamic, name in self._trace if dynamic and name in defaults))
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = cached


_compile_url_builders_once()


def _service_missing(message: str):
    """A missing service is a failure in CI and a skip on a developer's machine."""
    if IN_CI:
        pytest.fail(message + " (CI=true: services are required)")
    pytest.skip(message)


# ---------------------------------------------------------------------------- databases
@pytest.fixture(scope="session")
def postgres_url():
    """A private PostgreSQL database for this test session, dropped at the end."""
    import psycopg

    base_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
    name = f"intake_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(base_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        _service_missing(f"PostgreSQL unreachable at {base_url}: {error}")
    admin.execute(f'CREATE DATABASE "{name}"')
    url = base_url.rsplit("/", 1)[0] + "/" + name
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "intake-test.db")


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    from intake import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True,
                      "SECRET_KEY": "test", "UPLOAD_FOLDER": str(instance / "uploads"),
                      "DOCUMENT_FOLDER": str(instance / "documents")})
    with app.app_context():
        upgrade()
        from intake.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request, tmp_path_factory):
    """Every database test runs twice: on SQLite and on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_url")
    _migrate(url, tmp_path_factory.mktemp("migrate"))
    return url


@pytest.fixture(scope="session")
def sqlite_database_url(sqlite_url, tmp_path_factory):
    """For tests that only make sense once (browser, load): SQLite only."""
    _migrate(sqlite_url, tmp_path_factory.mktemp("migrate-sqlite"))
    return sqlite_url


@pytest.fixture(scope="session")
def postgres_database_url(postgres_url, tmp_path_factory):
    """For tests that only make sense on PostgreSQL (query plans, several writing processes)."""
    _migrate(postgres_url, tmp_path_factory.mktemp("migrate-postgres"))
    return postgres_url


def _clear_tables(db) -> None:
    """Empty every table and restart every id sequence, as a fresh database would be.

    Only the tables a test wrote to are emptied: one query finds them, and on PostgreSQL
    a DELETE of a few rows is far cheaper than a TRUNCATE of every table (each TRUNCATE
    makes new files, so emptying all ~35 tables twice a test cost a second or more).
    """
    tables = list(reversed(db.metadata.sorted_tables))
    if not tables:
        return
    probe = " UNION ALL ".join(
        f'SELECT {index} FROM (SELECT 1 FROM "{table.name}" LIMIT 1) AS t{index}'
        for index, table in enumerate(tables))
    written = {row[0] for row in db.session.execute(text(probe))}
    try:
        for index, table in enumerate(tables):  # referencing tables first
            if index in written:
                db.session.execute(table.delete())
    except IntegrityError:  # rows referring to each other across tables: empty them all
        db.session.rollback()
        if db.engine.dialect.name != "postgresql":
            raise
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    if db.engine.dialect.name == "postgresql":
        # What TRUNCATE … RESTART IDENTITY did: ids start at 1 again, also where a test's
        # rows were rolled back and left nothing behind.
        used = db.session.execute(text(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
            "FROM pg_sequences WHERE schemaname = current_schema() "
            "AND last_value IS NOT NULL")).scalars().all()
        for sequence in used:
            db.session.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
    db.session.commit()


def make_app(database_url: str, tmp_path: Path, **overrides):
    from intake import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "REDIS_URL": None,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "DOCUMENT_FOLDER": str(tmp_path / "documents"),
        "EXPORT_FOLDER": str(tmp_path / "exports"),
        "PUBLIC_BASE_URL": "http://localhost",
        # Suites complete many conversations within the hour; the cap has its own test.
        "ASSISTANT_LETTERS_PER_HOUR": 100_000,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app_factory(tmp_path):
    """Build extra apps (other settings) on the same database as `app`."""
    created = []

    def build(database_url: str, **overrides):
        application = make_app(database_url, tmp_path, **overrides)
        created.append(application)
        return application

    yield build
    for application in created:
        with application.app_context():
            from intake.extensions import db

            db.engine.dispose()


def _app_fixture(database_url, tmp_path):
    application = make_app(database_url, tmp_path)
    with application.app_context():
        from intake.extensions import db

        _clear_tables(db)
        yield application
        db.session.remove()
        _clear_tables(db)
        db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    yield from _app_fixture(database_url, tmp_path)


@pytest.fixture
def sqlite_app(sqlite_database_url, tmp_path):
    yield from _app_fixture(sqlite_database_url, tmp_path)


@pytest.fixture
def postgres_app(postgres_database_url, tmp_path):
    yield from _app_fixture(postgres_database_url, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---------------------------------------------------------------------------- redis
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server owned by the test session, so tests may stop and restart it."""

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server():
    if not shutil.which("redis-server"):
        _service_missing("redis-server is not installed")
    server = RedisServer(_free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    from redis import Redis

    if redis_server.process.poll() is not None:
        redis_server.start()
    connection = Redis.from_url(redis_server.url)
    connection.flushdb()
    connection.close()
    return redis_server.url


# ---------------------------------------------------------------------------- forms
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|'
                          r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token_from(html: str | bytes) -> str:
    if isinstance(html, bytes):
        html = html.decode()
    match = CSRF_PATTERN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


@pytest.fixture
def form_post():
    """POST a form the way a browser does: GET the page, take its CSRF token, submit."""

    def post(client, url, data, *, page_url=None, **kwargs):
        page = client.get(page_url or url)
        token = csrf_token_from(page.data)
        return client.post(url, data={"csrf_token": token, **data}, **kwargs)

    return post


def pytest_sessionfinish(session, exitstatus):
    """Close the Chromium that browser tests share (tests/browser.py), if one started."""
    from tests.browser import close_shared_browser

    close_shared_browser()
