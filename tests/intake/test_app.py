"""The home page in six languages, error pages, and the app factory's configuration."""

import subprocess
import sys

import pytest

from intake import ConfigError, create_app
from intake.i18n import LANGUAGES

HOME_TITLES = {
    "en": "Measure your city against the Sustainable Development Goals",
}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_home_page_has_lang_dir_and_ways_in(client, language):
    response = client.get(f"/?lang={language}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    direction = "rtl" if language == "ar" else "ltr"
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert 'href="/assistant"' in html and 'href="/resume"' in html
    for name in LANGUAGES.values():
        assert name in html  # the switcher offers every language by its own name


def test_home_page_explains_programme_and_fees(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert HOME_TITLES["en"] in html
    assert "Start with the assistant" in html and "I already have a link" in html
    assert "CHF10,000.00" in html and "CHF2,000.00" in html  # top and bottom of the table
    assert "1,000,000 inhabitants and more" in html


def test_first_visit_follows_accept_language(client):
    html = client.get("/", headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"}).get_data(
        as_text=True)
    assert 'lang="ar" dir="rtl"' in html


def test_language_choice_sticks(client):
    response = client.get("/language/fr?next=/")
    assert response.status_code == 302
    assert "lang=fr" in response.headers["Set-Cookie"]
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert 'lang="fr"' in html


@pytest.mark.parametrize("target", [
    "//evil.example/", "/%09/evil.example", "/%0a/evil.example", "https://evil.example",
    "/%5Cevil.example", "/\\evil.example", "%5C%5Cevil.example", "javascript:alert(1)",
    "/%20/evil.example",
])
def test_language_switch_never_redirects_off_site(client, target):
    """Probe finding 4: the same safe-next check as the sign-in form."""
    response = client.get(f"/language/fr?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page(client):
    response = client.get("/language/fr?next=/staff/%3Fq%3Dx")
    assert response.headers["Location"] == "/staff/?q=x"


def test_not_found_page_in_visitors_language(client):
    response = client.get("/no-such-page?lang=es")
    assert response.status_code == 404
    assert 'lang="es"' in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == 404


def test_server_error_page_hides_details(app):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom-for-test?lang=fr")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "secret internals" not in html and "Traceback" not in html
    assert 'lang="fr"' in html


def test_too_large_upload_gets_413_page(app):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = app.test_client().post("/resume", data={"link": "x" * 5000})
    assert response.status_code == 413


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/resume", data={"link": "http://localhost/w/abc"})
    assert response.status_code == 400


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"PRODUCTION": True})


@pytest.mark.parametrize("settings", [
    {"SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1:5432/test"},
    {"PUBLIC_BASE_URL": "https://intake.example.org"},
    {"PRODUCTION": True, "SECRET_KEY": "dev-only-insecure-key-change-me"},
    {"SECRET_KEY": "dev-only-insecure-key-change-me",
     "SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1:5432/test"},
])
def test_the_published_development_key_is_refused_off_a_laptop(monkeypatch, tmp_path,
                                                                settings):
    """Probe finding 10: anyone can sign with the published key, so only SQLite on
    localhost may use it."""
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "INTAKE_PRODUCTION",
                 "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY") as raised:
        create_app(settings)
    assert "\n" not in str(raised.value)


def test_the_development_key_works_on_a_laptop(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "INTAKE_PRODUCTION",
                 "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/laptop.db"})
    assert app.config["SECRET_KEY"] == "dev-only-insecure-key-change-me"


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "postgresql://:bad:port"])
def test_malformed_database_url_is_one_clear_error(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": url})


def test_wsgi_reports_bad_configuration_in_one_line(tmp_path):
    env = {"DATABASE_URL": "nonsense://", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0]


def test_home_page_never_serves_one_visitors_message_to_another(app):
    from flask import flash

    @app.get("/flash-for-test")
    def flash_for_test():
        flash("private note for visitor A")
        return "ok"

    visitor_a, visitor_b = app.test_client(), app.test_client()
    visitor_b.get("/?lang=en")  # warm the cache
    visitor_a.get("/flash-for-test")
    assert "private note for visitor A" in visitor_a.get("/?lang=en").get_data(as_text=True)
    assert "private note for visitor A" not in visitor_b.get("/?lang=en").get_data(as_text=True)


def test_a_web_process_loads_the_document_libraries_only_when_it_writes_a_document(tmp_path):
    """WeasyPrint, python-docx and openpyxl weigh about 45 MB; a web process serving pages
    (most of its life) does not hold them until it writes a PDF, a letter or a workbook."""
    code = (
        "import sys\n"
        "from intake import create_app\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.db',"
        " 'SECRET_KEY': 'x', 'TESTING': True})\n"
        "app.test_client().get('/')\n"
        "print(sorted(m for m in ('weasyprint', 'docx', 'openpyxl') if m in sys.modules))\n"
        "from intake.services.workbook import export_xlsx\n"
        "from intake.letter.render import render_pdf\n"
        "print(sorted(m for m in ('weasyprint', 'docx', 'openpyxl') if m in sys.modules))\n")
    lines = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=120).stdout.splitlines()
    assert lines[-2] == "[]"
    assert lines[-1] == "[]"  # importing the services still loads nothing: only using them
