"""/healthz (liveness) and /readyz (readiness): one line each for the database and Redis."""

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def test_healthz_ok_without_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"]["ok"] is True
    assert response.json["redis"]["configured"] is False


def test_redis_down_is_alive_and_ready_but_degraded(app_factory, database_url):
    # A load balancer would drop every node if a Redis outage made them all "unhealthy":
    # jobs wait as pending rows, the pages still work.
    app = app_factory(database_url, REDIS_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    for path in ("/healthz", "/readyz", "/api/v1/health"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json["status"] == "degraded"
        assert response.json["redis"]["ok"] is False
        assert "\n" not in response.json["redis"]["error"]


def test_database_unreachable_is_alive_but_not_ready(app_factory):
    app = app_factory("postgresql://nobody@127.0.0.1:1/none")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    for path in ("/readyz", "/api/v1/health"):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.json["database"]["ok"] is False
        assert response.json["database"]["error"].startswith("database unreachable")


def test_details_only_for_local_callers(app_factory):
    app = app_factory("postgresql://nobody@127.0.0.1:1/none", REDIS_URL="redis://10.9.8.7:1/0")
    client = app.test_client()
    for path in ("/healthz", "/readyz", "/api/v1/health"):
        response = client.get(path, environ_base=REMOTE)
        body = response.get_data(as_text=True)
        assert response.json == {"status": "error", "database": {"ok": False},
                                 "redis": {"configured": True, "ok": False}}, path
        assert "127.0.0.1" not in body and "10.9.8.7" not in body and "postgresql" not in body


def test_healthz_with_real_redis(app_factory, database_url, redis_url):
    app = app_factory(database_url, REDIS_URL=redis_url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["redis"]["ok"] is True
