"""Every route, enumerated from the URL map: POSTs need a CSRF token, GETs change nothing."""

from __future__ import annotations

import functools
import io
import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.i18n import LANGUAGES

# The JSON API authenticates per request (tokens / conversation ids), not by cookie.
CSRF_EXEMPT_PREFIXES = ("/api/",)
PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")
DUMMY = {"int": "1", "string": "x", "path": "x", "default": "x", "uuid":
         "00000000-0000-0000-0000-000000000000", "float": "1.0"}


def _concrete(rule: str) -> str:
    return PLACEHOLDER.sub(lambda m: DUMMY.get(m.group(1) or "default", "x"), rule)


def _routes(app, method: str):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and not rule.rule.startswith("/static"):
            yield rule


def _row_counts():
    counts = {}
    for table in db.metadata.sorted_tables:
        counts[table.name] = db.session.execute(select(func.count()).select_from(table)).scalar()
    return counts


def test_every_state_changing_route_refuses_a_missing_or_foreign_token(app):
    client = app.test_client()
    checked = 0
    for rule in _routes(app, "POST"):
        if rule.rule.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        url = _concrete(rule.rule)
        before = _row_counts()
        missing = client.post(url, data={"anything": "1"})
        foreign = client.post(url, data={"csrf_token": "forged.token.value", "anything": "1"})
        for response in (missing, foreign):
            assert response.status_code in (400, 403), f"{url}: {response.status_code}"
        assert _row_counts() == before, f"{url} changed data without a token"
        checked += 1
    assert checked >= 1


# Every GET route, by endpoint: who asks ("visitor"; "staff", a signed-in secretariat member;
# "city", a browser that opened the city's workspace link; "api", a staff API token), the
# path with real ids from `audit_world`, and the status its handler answers. A route added
# without an entry fails test_every_get_route_has_an_audit_entry: add one here.
CATEGORY = "ec-ict-infrastructure"
GET_ROUTES: dict[str, tuple[str, str, int]] = {
    "main.home": ("visitor", "/", 200),
    "main.healthz": ("visitor", "/healthz", 200),
    "main.resume": ("visitor", "/resume", 200),
    # Sets the language and returns to `next`.
    "main.choose_language": ("visitor", "/language/fr?next=/resume", 302),
    "auth.login": ("visitor", "/login", 200),
    "auth.change_password": ("staff", "/account/password", 200),
    "bot.start": ("visitor", "/assistant", 200),
    "bot.show": ("visitor", "/assistant/{conversation_id}", 200),
    # Letters are rendered by a background job: 202 and a "being prepared" page until then.
    "letters.download": ("visitor", "/letters/{letter_token}.html", 202),
    "public.index": ("visitor", "/cities/", 200),
    "public.city": ("visitor", "/cities/{public_id}", 200),
    "public.certificate": ("visitor", "/cities/{public_id}/certificate.pdf", 200),
    "public.snapshot_svg": ("visitor", "/cities/{public_id}/snapshot.svg", 200),
    "snapshot.page": ("city", "/snapshot/", 200),
    "snapshot.pdf": ("city", "/snapshot/snapshot.pdf", 200),
    "snapshot.wheel_svg": ("city", "/snapshot/wheel.svg", 200),
    "snapshot.token_page": ("visitor", "/snapshot/{snapshot_token}", 200),
    "snapshot.token_pdf": ("visitor", "/snapshot/{snapshot_token}/snapshot.pdf", 200),
    "snapshot.token_wheel_svg": ("visitor", "/snapshot/{snapshot_token}/wheel.svg", 200),
    "api.health": ("visitor", "/api/v1/health", 200),
    "api.catalog": ("visitor", "/api/v1/catalog", 200),
    "api.fee": ("visitor", "/api/v1/fee?population=45000&economy=developed", 200),
    "api-docs.openapi_json": ("visitor", "/api/v1/openapi.json", 200),
    "api.show_conversation": ("visitor", "/api/v1/conversations/{conversation_id}", 200),
    "api.list_cities": ("api", "/api/v1/cities", 200),
    "api.show_city": ("api", "/api/v1/cities/{city_id}", 200),
    "api.city_scores": ("api", "/api/v1/cities/{city_id}/scores", 200),
    "api.list_values": ("api", "/api/v1/cities/{city_id}/values", 200),
    "api.show_value": ("api", "/api/v1/cities/{city_id}/values/pop", 200),
    "api.list_letters": ("api", "/api/v1/letters", 200),
    "api.show_letter": ("api", "/api/v1/letters/{letter_id}", 200),
    "api.export_cities_csv": ("api", "/api/v1/exports/cities.csv", 200),
    "api.export_cities_json": ("api", "/api/v1/exports/cities.json", 200),
    "api.export_cities_xlsx": ("api", "/api/v1/exports/cities.xlsx", 200),
    "secretariat.overview": ("staff", "/staff/", 200),
    "secretariat.city_page": ("staff", "/staff/cities/{city_id}", 200),
    "secretariat.letters": ("staff", "/staff/letters", 200),
    "exports.index": ("staff", "/staff/exports/", 200),
    "exports.download": ("staff", "/staff/exports/cities.csv", 200),
    # Someone else's (or no) prepared export: not found, whoever asks.
    "exports.job": ("staff", "/staff/exports/jobs/999999", 404),
    "exports.job_status": ("staff", "/staff/exports/jobs/999999.json", 404),
    "exports.job_file": ("staff", "/staff/exports/jobs/999999/file", 404),
    "gains.staff": ("staff", "/staff/gains/{city_id}", 200),
    "gains.staff_factsheet": ("staff", "/staff/gains/{city_id}/factsheet", 200),
    "gains.staff_factsheet_pdf": ("staff", "/staff/gains/{city_id}/factsheet.pdf", 200),
    "verification.city": ("staff", "/staff/verify/{city_id}/", 200),
    "verification.audit": ("staff", "/staff/verify/{city_id}/audit", 200),
    "verification.audit_csv": ("staff", "/staff/verify/{city_id}/audit.csv", 200),
    "verification.review": ("staff", "/staff/verify/{city_id}/c/" + CATEGORY, 200),
    "verification.certificate": ("staff", "/staff/verify/{city_id}/certificate.pdf", 200),
    "verification.evidence": ("staff", "/staff/verify/{city_id}/evidence/{evidence_id}", 200),
    "verification.questions": ("staff", "/staff/verify/{city_id}/questions", 200),
    "verification.report_html": ("staff", "/staff/verify/{city_id}/report.html", 200),
    "verification.report_pdf": ("staff", "/staff/verify/{city_id}/report.pdf", 200),
    # Opening the link signs the browser in to the workspace and goes on to it.
    "wizard.enter": ("visitor", "/w/{workspace_token}", 302),
    "wizard.home": ("city", "/w/", 200),
    # A category opens at its review when it is complete (every demo category is).
    "wizard.category": ("city", "/w/c/" + CATEGORY, 302),
    "wizard.step": ("city", "/w/c/" + CATEGORY + "/0", 200),
    "wizard.preview": ("city", "/w/c/" + CATEGORY + "/0/preview", 200),
    "wizard.review": ("city", "/w/c/" + CATEGORY + "/review", 200),
    "wizard.evidence": ("city", "/w/evidence/{evidence_id}", 200),
    "wizard.export_csv": ("city", "/w/export.csv", 200),
    "wizard.export_json": ("city", "/w/export.json", 200),
    "wizard.export_xlsx": ("city", "/w/export.xlsx", 200),
    "wizard.import_workbook": ("city", "/w/import", 200),
    "gains.consent": ("city", "/w/consent", 200),
    "gains.factsheet": ("city", "/w/factsheet", 200),
    "gains.factsheet_pdf": ("city", "/w/factsheet.pdf", 200),
    "gains.initiatives": ("city", "/w/initiatives", 200),
    "gains.edit_initiative": ("city", "/w/initiatives/{initiative_id}", 200),
    "gains.new_year": ("city", "/w/new-year", 200),
    "gains.peers": ("city", "/w/peers", 200),
    "questions.index": ("city", "/w/questions/", 200),
    "questions.report": ("city", "/w/questions/report", 200),
    "questions.report_pdf": ("city", "/w/questions/report.pdf", 200),
    "questions.certificate": ("city", "/w/questions/certificate.pdf", 200),
    "main.readyz": ("visitor", "/readyz", 200),
    # The e-mailed confirmation link shows a button: opening it confirms nothing.
    "main.confirm_email": ("visitor", "/confirm-email/{confirm_token}", 200),
    # No sign-in waiting for its second factor: back to the sign-in form.
    "auth.login_code": ("visitor", "/login/code", 302),
    "auth.two_factor": ("staff", "/account/two-factor", 200),
    "secretariat.tokens": ("staff", "/staff/tokens", 200),
    "secretariat.signed_letter": ("staff", "/staff/letters/{letter_id}/signed", 200),
    "api.export_cities_jsonl": ("api", "/api/v1/exports/cities.jsonl", 200),
    "api.show_result": ("api", "/api/v1/cities/{city_id}/results/EC%3A%20ICT%3A%20ICT%3A%201C",
                        200),
    # A colleague's personal link signs the browser in and goes on to their page.
    "wizard.colleague_enter": ("visitor", "/w/colleague/{colleague_token}", 302),
    "wizard.team": ("city", "/w/team", 200),
    # The e-mailed stop link shows a button: opening it stops nothing.
    "wizard.stop_reminders": ("visitor", "/w/reminders/stop/{stop_token}", 200),
    "programme.city": ("staff", "/staff/programme/cities/{city_id}", 200),
    "programme.invoice": ("staff", "/staff/programme/cities/{city_id}/invoice.pdf", 200),
    "programme.outline": ("staff", "/staff/programme/cities/{city_id}/case-study-outline.md",
                          200),
    "localkpi.index": ("city", "/w/local-kpis", 200),
    "localkpi.staff": ("staff", "/staff/cities/{city_id}/local-kpis", 200),
    "api.list_local_kpis": ("api", "/api/v1/cities/{city_id}/local-kpis", 200),
}


def _get_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in _routes(app, "GET")}


def test_every_get_route_has_an_audit_entry(app):
    missing = sorted(_get_endpoints(app) - set(GET_ROUTES))
    assert not missing, (
        "GET routes without an entry in GET_ROUTES (tests/intake/test_route_audit.py): "
        f"{missing}. Add who asks, the path with real ids and the status its handler answers.")
    gone = sorted(set(GET_ROUTES) - _get_endpoints(app))
    assert not gone, f"GET_ROUTES names endpoints the app no longer has: {gone}"


@pytest.fixture
def audit_world(app):
    """A published demo city with everything a GET route may show: its letter, an evidence
    file, a question, initiatives, a conversation; a secretariat member and an API token."""
    from intake.demo import load_demo_cities
    from intake.fees import quote_fee
    from intake.services.api_tokens import create_token
    from intake.services.conversations import start_conversation
    from intake.services.evidence import save_evidence
    from intake.services.improvement import initiatives_of
    from intake.services.letters import create_letter, letter_token
    from intake.services.links import snapshot_token, workspace_token
    from intake.services.publication import consent_of
    from intake.services.verification import open_question
    from tests.intake.test_accounts import make_staff
    from tests.reliability.test_hostile_uploads import PDF

    staff = make_staff()
    [city] = load_demo_cities(1)
    letter = create_letter(city, locale="en",
                           fee=quote_fee(city.population, city.economy, "verification"),
                           content={"city_name": city.name, "country": city.country})
    evidence = save_evidence(city.id, "EC: ICT: ICT: 1C", "report.pdf", io.BytesIO(PDF),
                             actor="route audit")
    open_question(city.id, "hh_internet", "Which survey is this from?", actor=staff)
    _token, secret = create_token(staff, "route audit")
    from decimal import Decimal

    from intake.services import onboarding, programme, reminders, signed_letters, team

    signed_letters.upload_signed_letter(city.id, "signed.pdf", io.BytesIO(PDF))
    programme.record_milestone(city.id, "fee_invoiced", actor=staff, amount=Decimal("2000"),
                               currency="CHF")
    member = team.invite(city.id, name="Ana Colleague", email="ana@example.org",
                         department="Statistics", categories=[CATEGORY], kpis=[])
    colleague_token = "route-audit-colleague-link-0123456789abcdef"
    member.token_hash = team.hash_token(colleague_token)
    # A local KPI with figures (the city is published, so written as it was before).
    from intake.models import LocalKpi, LocalKpiValue
    from intake.models._types import utcnow

    local = LocalKpi(city_id=city.id, name="Nights above 55 dB", unit="nights",
                     formula="nights measured above 55 dB", kind="direct",
                     direction="lower_is_better", target=10, target_source="WHO",
                     category_id=CATEGORY, status="approved", proposed_by="route audit",
                     decided_by_id=staff.id, decided_at=utcnow())
    db.session.add(local)
    db.session.flush()
    db.session.add(LocalKpiValue(local_kpi_id=local.id, city_id=city.id, reference_year=2025,
                                 direct=12, source="Noise map", updated_by="route audit"))
    db.session.commit()
    return {
        "city": city, "city_id": city.id, "letter_id": letter.id,
        "letter_token": letter_token(letter), "evidence_id": evidence.id,
        "initiative_id": initiatives_of(city.id)[0].id,
        "conversation_id": start_conversation("en").conversation.id,
        "public_id": consent_of(city.id).public_id,
        "workspace_token": workspace_token(city), "snapshot_token": snapshot_token(city),
        "api_token": secret, "confirm_token": onboarding.confirmation_token(city),
        "colleague_token": colleague_token, "stop_token": reminders.stop_token("ana@example.org"),
    }


# Bookkeeping a GET may write: when an API token was last used (the token list shows it).
BOOKKEEPING = {"api_token": {"last_used_at"}}


def _table_contents() -> dict[str, list[str]]:
    """Every row of every table, so an UPDATE is seen as well as an INSERT or DELETE."""
    contents = {}
    for table in db.metadata.sorted_tables:
        kept = [column for column in table.columns
                if column.name not in BOOKKEEPING.get(table.name, ())]
        rows = db.session.execute(select(*kept)).all()
        contents[table.name] = sorted(repr(tuple(row)) for row in rows)
    return contents


def test_every_get_route_reaches_its_handler_and_changes_nothing(app, audit_world,
                                                                 monkeypatch):
    from tests.intake.test_accounts import sign_in
    from tests.reliability.helpers import open_workspace

    reached: list[str] = []
    for endpoint, view in list(app.view_functions.items()):
        def spy(*args, _endpoint=endpoint, _view=view, **kwargs):
            reached.append(_endpoint)
            return _view(*args, **kwargs)
        monkeypatch.setitem(app.view_functions, endpoint, functools.wraps(view)(spy))
    clients = {"visitor": app.test_client(), "staff": app.test_client(),
               "city": app.test_client(), "api": app.test_client()}
    sign_in(clients["staff"])
    open_workspace(clients["city"], audit_world["city"])
    headers = {"api": {"Authorization": f"Bearer {audit_world['api_token']}"}}
    db.session.expire_all()
    before = _table_contents()
    problems = []
    for rule in _routes(app, "GET"):
        if rule.endpoint not in GET_ROUTES:
            problems.append(f"{rule.endpoint} ({rule.rule}) has no entry in GET_ROUTES")
            continue
        who, path, expected = GET_ROUTES[rule.endpoint]
        url = path.format(**audit_world)
        del reached[:]
        response = clients[who].get(url, headers=headers.get(who, {}))
        response.close()  # files (evidence) are streamed from an open file
        if rule.endpoint not in reached or response.status_code != expected:
            problems.append(f"{rule.endpoint} GET {url} as {who}: {response.status_code} "
                            f"(expected {expected}), handler reached: "
                            f"{rule.endpoint in reached}")
    assert not problems, "\n".join(problems)
    db.session.expire_all()
    after = _table_contents()
    changed = {name: (sorted(set(before[name]) - set(after[name]))[:3],
                      sorted(set(after[name]) - set(before[name]))[:3])
               for name in before if before[name] != after[name]}
    assert not changed, changed


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_security_headers_on_every_page(app, language):
    client = app.test_client()
    for rule in _routes(app, "GET"):
        if rule.arguments:
            continue
        response = client.get(f"{rule.rule}?lang={language}")
        if not response.mimetype.startswith("text/html"):
            continue
        headers = response.headers
        policy = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, rule.rule
        assert "frame-ancestors 'none'" in policy, rule.rule
        assert headers.get("X-Content-Type-Options") == "nosniff", rule.rule
        assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", rule.rule
        assert "charset=utf-8" in headers.get("Content-Type", ""), rule.rule


def test_production_mode_sets_hsts_and_secure_cookies(app_factory, database_url):
    app = app_factory(database_url, PRODUCTION=True, SECRET_KEY="prod-secret",
                      PUBLIC_BASE_URL="https://portal.example")
    response = app.test_client().get("/resume", base_url="https://portal.example")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
