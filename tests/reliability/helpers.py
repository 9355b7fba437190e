"""Shared helpers for the reliability tests: workspaces, steps and the assistant's answers."""

from __future__ import annotations

import re

from tests.conftest import csrf_token_from

DRAINAGE = "ec-drainage"
ICT = "ec-ict-infrastructure"
API = "/api/v1/conversations"
# One valid answer per assistant question, in order; the last "yes" is the confirmation.
ANSWERS = ["Springfield", "Kenya", "250000", "yes", "1", "A green city.", "Jane Doe",
           "jane@springfield.gov", "John Smith", "Mayor"]


def open_workspace(client, city) -> None:
    from intake.services.links import workspace_token

    response = client.get(f"/w/{workspace_token(city)}")
    assert response.status_code == 302


def fresh_csrf() -> None:
    """Requests in the test's thread share its app context; a browser never shares `g`."""
    from flask import g, has_app_context

    if has_app_context():
        g.pop("csrf_token", None)


def version_from(html: str) -> str:
    return re.search(r'name="version" type="hidden" value="([^"]*)"', html).group(1)


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    if match is None:
        match = re.search(rf'<input[^>]*value="([^"]*)"[^>]*name="{re.escape(name)}"', html)
    return match.group(1) if match else None


def step_form(page: str, data: dict, action: str = "save") -> dict:
    """What a browser posts from a step page: its hidden fields plus what was typed."""
    from html import unescape

    return {"csrf_token": csrf_token_from(page), "version": version_from(page),
            "resume": unescape(input_value(page, "resume") or ""), "action": action, **data}


def post_step(client, category, index, data, *, action="save", **kwargs):
    fresh_csrf()
    page = client.get(f"/w/c/{category}/{index}").text
    fresh_csrf()
    return client.post(f"/w/c/{category}/{index}", data=step_form(page, data, action),
                       **kwargs)


DRAINAGE_ANSWERS = {"dp_dr_km": "200", "dp_dr_ict_km": "50",
                    "kpi_ec_ict_d_1a__tier": "accurate",
                    "kpi_ec_ict_d_1a__source": "Utility GIS", "kpi_ec_ict_d_1a__year": "2025"}


def start_conversation(client, locale="en") -> str:
    response = client.post(API, json={"locale": locale})
    assert response.status_code == 201
    return response.get_json()["id"]


def say(client, conversation_id, text):
    response = client.post(f"{API}/{conversation_id}/messages", json={"text": text})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()
