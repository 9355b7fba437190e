"""/healthz says whether the database and Redis can be reached, in one line each."""


def test_healthz_ok_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"]["ok"] is True
    assert response.json["redis"]["configured"] is False


def test_healthz_reports_redis_down(app_factory, database_url):
    app = app_factory(database_url, REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "degraded"
    assert response.json["redis"]["ok"] is False
    assert "\n" not in response.json["redis"]["error"]


def test_healthz_reports_database_unreachable(app_factory):
    app = app_factory("postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["ok"] is False
    assert response.json["database"]["error"].startswith("database unreachable")


def test_healthz_with_real_redis(app_factory, database_url, redis_url):
    app = app_factory(database_url, REDIS_URL=redis_url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"]["ok"] is True
