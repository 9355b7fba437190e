"""The portal requests the benchmark loads, each prepared the way a real user makes it.

Stateful requests (a wizard save, an assistant turn) run one wrk thread per connection; each
thread acts as its own city (or conversation) with its own session, so saves never conflict
and every request does the full work: validation, persistence, draft and audit rows.
"""

from __future__ import annotations

import json
import re

from bench.run import Request, Scenario

CATEGORY = "ec-ict-infrastructure"
STEP = 1
SAVE_FIELDS = {
    "action": "save",
    "kpi_ec_ict_ict_1c__tier": "accurate",
    "kpi_ec_ict_ict_1c__source": "City statistics office",
    "kpi_ec_ict_ict_1c__year": "2025",
}


def _lua_table(rows: list[dict]) -> str:
    """A Lua array of string-keyed tables, from JSON-safe rows."""
    def literal(value):
        return json.dumps(value)  # JSON strings are valid Lua strings for our ASCII data
    items = []
    for row in rows:
        fields = ", ".join(f"[{literal(k)}] = {literal(v)}" for k, v in row.items())
        items.append("{" + fields + "}")
    return "{\n" + ",\n".join(items) + "\n}"


PER_THREAD_PRELUDE = """
local sessions = %(table)s
local next_id = 0
setup = function(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
end
"""

WIZARD_SAVE_LUA = PER_THREAD_PRELUDE + """
local me, version, n
init = function(args)
  me = sessions[id]
  version = tonumber(me.version)
  n = 0
end
request = function()
  n = n + 1
  local body = me.body .. "&version=" .. version .. "&dp_hh_internet=" .. (15000 + n %% 500)
  return wrk.format("POST", me.path, {["Cookie"] = me.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end
response = function(status, headers, body)
  if status == 302 then
    version = version + 1
  else
    local v = string.match(body, 'name="version" type="hidden" value="(%%d+)"')
    if v then version = tonumber(v) end
  end
end
"""

ASSISTANT_TURN_LUA = PER_THREAD_PRELUDE + """
local me, n
init = function(args)
  me = sessions[id]
  n = 0
end
request = function()
  n = n + 1
  -- Alternate a real answer (parsed, validated, stored) with "back" to the same question.
  local text = (n %% 2 == 1) and "Springfield" or "back"
  return wrk.format("POST", me.path, {["Content-Type"] = "application/json"},
    '{"text": "' .. text .. '"}')
end
"""


def _prepare_cities(count: int) -> list[dict]:
    """Create `count` cities and a letter; return their workspace tokens and letter path."""
    from intake import create_app
    from intake.extensions import db
    from intake.services.cities import create_city
    from intake.services.links import snapshot_token as snapshot_link
    from intake.services.links import workspace_token
    from intake.services.participation import confirm_participation

    app = create_app()
    with app.app_context():
        tokens = []
        first = None
        for n in range(count):
            city = create_city(name=f"Bench City {n}", population=250_000 + n,
                               economy="developing", country="TN")
            tokens.append(workspace_token(city))
            first = first or city
        result = confirm_participation({
            "city_name": "Letterville", "country": "NO", "population": 250_000,
            "economy": "developed", "package": "verification",
            "vision": "A city that measures what matters.",
            "focal_point_name": "Kari Nordmann", "focal_point_email": "kari@example.org",
            "representative_name": "Eva Mayor", "representative_title": "Mayor",
            "conversation_id": "bench-letter",
        }, locale="en")
        from sqlalchemy import select

        from intake.models import City

        demo = db.session.execute(
            select(City).where(City.name == "Demoville")).scalar_one_or_none()
        # The snapshot has a link of its own (the workspace link's key does not open it).
        snapshot_token = snapshot_link(demo or first)
        pdf_path = result.pdf_url.split("://", 1)[-1]
        pdf_path = pdf_path[pdf_path.index("/"):]
        return [{"token": t} for t in tokens], pdf_path, snapshot_token


def build(base: str, browser_class, *, max_connections: int = 64) -> list[Scenario]:
    cities, letter_pdf, snapshot_token = _prepare_cities(max_connections)
    save_sessions = []
    for city in cities:
        browser = browser_class(base)
        browser.get(f"/w/{city['token']}")
        html = browser.get(f"/w/c/{CATEGORY}/{STEP}")
        version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
        fields = dict(SAVE_FIELDS, csrf_token=browser.csrf_token(html))
        from urllib.parse import urlencode

        save_sessions.append({"cookie": browser.cookie_header(), "version": version,
                              "path": f"/w/c/{CATEGORY}/{STEP}", "body": urlencode(fields)})
    conversations = []
    for _ in range(max_connections):
        browser = browser_class(base)
        reply = browser.post("/api/v1/conversations", json_body={"locale": "en"})
        conversation = json.loads(reply.read())
        conversations.append({"path": f"/api/v1/conversations/{conversation['id']}/messages"})
    step_browser = browser_class(base)
    step_browser.get(f"/w/{cities[0]['token']}")
    step_cookie = {"Cookie": step_browser.cookie_header()}
    return [
        Scenario("home page", "GET", 0.5, Request("GET", "/?lang=en")),
        Scenario("wizard step page", "GET", 0.5,
                 Request("GET", f"/w/c/{CATEGORY}/{STEP}", headers=step_cookie)),
        Scenario("City Snapshot page (91 KPIs)", "GET", 0.2,
                 Request("GET", f"/snapshot/{snapshot_token}")),
        Scenario("letter PDF download", "GET", 0.5, Request("GET", letter_pdf)),
        Scenario("wizard step save", "POST", 0.6,
                 Request("POST", f"/w/c/{CATEGORY}/{STEP}",
                         lua=WIZARD_SAVE_LUA % {"table": _lua_table(save_sessions)})),
        Scenario("assistant turn (JSON API)", "POST", 0.5,
                 Request("POST", "/api/v1/conversations",
                         lua=ASSISTANT_TURN_LUA % {"table": _lua_table(conversations)})),
    ]
