"""Secret links never reach a log: every kind of link, through the real access loggers."""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from datetime import timedelta
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from intake.logs import LinkMaskingFilter, mask_links, mask_links_in_logs
from intake.models.letter import Letter, new_download_key
from intake.services.letters import letter_token
from intake.services.links import snapshot_token, workspace_token
from intake.services.onboarding import confirmation_token
from intake.services.reminders import stop_token
from tests.intake.test_team import city, focal_point, invite  # noqa: F401  (fixture)

DRAINAGE = "ec-drainage"


@pytest.fixture
def links(app, city):  # noqa: F811
    """One link of every kind, each made by the code that makes it for users."""
    _, colleague = invite(focal_point(app, city), name="Bo Water", email="bo@example.org",
                          department="Water utility", categories=[DRAINAGE])
    letter = Letter(id=4242, download_key=new_download_key())  # the token names id and key
    found = {
        "workspace": f"/w/{workspace_token(city)}",
        "snapshot": f"/snapshot/{snapshot_token(city)}",
        "snapshot wheel": f"/snapshot/{snapshot_token(city)}/wheel.svg",
        "letter": f"/letters/{letter_token(letter)}.pdf",
        "colleague": colleague,
        "e-mail confirmation": f"/confirm-email/{confirmation_token(city)}",
        "reminders stop": f"/w/reminders/stop/{stop_token('bo@example.org')}",
    }
    return {kind: (path, path.rstrip("/").removesuffix("/wheel.svg").rsplit("/", 1)[1]
                   .removesuffix(".pdf")) for kind, path in found.items()}


@contextmanager
def listening(*names: str):
    """The loggers enabled for the test: the test database's migrations ran Alembic's
    fileConfig in this process, which disables every logger that existed before (a served
    portal never runs it)."""
    loggers = [logging.getLogger(name) for name in names]
    before = [(logger.disabled, logger.level) for logger in loggers]
    for logger in loggers:
        logger.disabled = False
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, (disabled, level) in zip(loggers, before, strict=True):
            logger.disabled = disabled
            logger.setLevel(level)


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_the_mask_keeps_every_other_path_readable():
    for path in ("/w/c/ec-drainage/0", "/w/factsheet", "/w/team", "/snapshot/",
                 "/static/css/portal.css?v=0123456789ab", "/w/questions/12",
                 "/staff/programme/cities/3"):
        assert mask_links(f"GET {path} HTTP/1.1") == f"GET {path} HTTP/1.1"


def test_every_kind_of_link_is_masked_in_the_text(links):
    for kind, (path, token) in links.items():
        assert len(token) >= 16, kind
        line = f'127.0.0.1 - - "GET {path}?lang=fr HTTP/1.1" 200 - "http://x{path}"'
        masked = mask_links(line)
        assert token not in masked, kind
        assert masked.count("[link]") == 2, (kind, masked)


def test_the_development_servers_access_log_never_shows_a_token(app, links):
    """Werkzeug's server, as `flask run` serves the portal: each link requested for real."""
    handler = Lines()
    logger = logging.getLogger("werkzeug")
    logger.addHandler(handler)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with listening("werkzeug"):
            for _kind, (path, _token) in links.items():
                request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}")
                with suppress(urllib.error.HTTPError):  # a 302, 404 or 410 is logged too
                    urllib.request.build_opener(NoRedirect).open(request, timeout=60).read()
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        logger.removeHandler(handler)
    requests = [line for line in handler.lines if "GET /" in line]  # (some in colour)
    assert len(requests) == len(links), handler.lines
    for kind, (path, token) in links.items():
        assert not [line for line in handler.lines if token in line], kind
        masked = mask_links(path)
        assert any(masked in line for line in requests), (kind, masked, requests)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_gunicorns_access_log_never_shows_a_token_and_keeps_every_line(app, links, tmp_path):
    """gunicorn formats its access line from a dict of atoms (request line, path, query,
    referrer): the mask must catch a token in any of them and leave the line intact."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    log_file = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log_file))
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s %(b)s "%(f)s" path=%(U)s')
    glogger = Logger(config)
    names = ("gunicorn.access", "gunicorn.error")
    try:
        with listening(*names):
            mask_links_in_logs()  # as the app does when gunicorn has loaded it
            for _kind, (path, _token) in links.items():
                target, _, query = path.partition("?")
                environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": target,
                           "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
                           "REMOTE_ADDR": "127.0.0.1", "HTTP_REFERER": f"http://x{path}"}
                response = SimpleNamespace(status="200 OK", headers=[], sent=10)
                glogger.access(response, SimpleNamespace(headers=[]), environ,
                               timedelta(milliseconds=5))
    finally:
        for name in names:
            for handler in logging.getLogger(name).handlers:
                handler.close()
            logging.getLogger(name).handlers = []
            logging.getLogger(name).propagate = True
    lines = log_file.read_text().splitlines()
    assert len(lines) == len(links), lines  # not one line lost to a formatting error
    for kind, (path, token) in links.items():
        assert not [line for line in lines if token in line], kind
        assert any(line.count("[link]") == 3 for line in lines if
                   f'"GET {mask_links(path)} HTTP/1.1"' in line), (kind, lines)


def test_the_apps_own_log_records_are_masked_through_the_root_handler(app, links):
    """A record from a module logger (intake.services.…) reaches the root handler, which
    carries the filter (the logger's parents' filters never see it)."""
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with listening("intake.services.mail"):
            mask_links_in_logs()
            assert any(isinstance(f, LinkMaskingFilter) for f in handler.filters)
            for kind, (path, token) in links.items():
                logging.getLogger("intake.services.mail").warning("could not send %s", path)
                assert token not in handler.lines[-1], kind
                assert "[link]" in handler.lines[-1], kind
    finally:
        root.removeHandler(handler)
