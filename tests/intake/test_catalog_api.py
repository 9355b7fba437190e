"""GET /api/v1/catalog in several languages, and `flask catalog stats`."""

from __future__ import annotations

import json

import pytest

from forms.catalog.loading import DEFAULT_BENCHMARKS


@pytest.fixture
def api(sqlite_app):
    return sqlite_app.test_client()


def all_kpis(body):
    return [k for dim in body["dimensions"] for cat in dim["categories"] for k in cat["kpis"]]


def test_catalog_in_french(api):
    response = api.get("/api/v1/catalog?lang=fr")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["language"] == "fr"
    assert body["benchmark_provisional"] is True
    assert body["version"] and body["benchmark_version"]
    assert [d["name"] for d in body["dimensions"]] == ["Économie", "Environnement",
                                                       "Société et culture"]
    assert sum(len(d["categories"]) for d in body["dimensions"]) == 24
    kpis = all_kpis(body)
    assert len(kpis) == 91
    first = kpis[0]
    assert first["code"] == "EC: ICT: ICT: 1C"
    assert first["name"] == "Accès des ménages à l'Internet"
    assert first["level"] == "core" and first["kind"] == "smart"
    assert [p["id"] for p in first["data_points"]] == ["hh_internet", "hh_total"]
    assert first["data_points"][1]["shared"] is True
    assert first["items"][0]["target"]["direction"] == "higher_is_better"
    assert first["formula"]["text"]
    assert sum(len(k["items"]) for k in kpis) == 112


def test_catalog_in_arabic_keeps_codes_and_numbers(api):
    body = api.get("/api/v1/catalog?lang=ar").get_json()
    kpis = {k["code"]: k for k in all_kpis(body)}
    assert kpis["SC: SH: SI: 2C"]["name"] == "معامل جيني"
    air = kpis["EN: EN: AQ: 1C"]
    assert [i["id"] for i in air["items"]][0] == "EN: EN: AQ: 1C#pm25"
    assert air["items"][0]["target"]["value"] == 5.0
    # Descriptions are translated too; the KPI code inside stays in Latin script.
    assert kpis["EC: ICT: ICT: 1C"]["description"].startswith("الأسر")


def test_default_language_is_english(api):
    body = api.get("/api/v1/catalog").get_json()
    assert body["language"] == "en"
    assert body["dimensions"][2]["name"] == "Society and Culture"


def test_regional_language_tags_are_understood(api):
    body = api.get("/api/v1/catalog?lang=ru-RU").get_json()
    assert body["language"] == "ru"
    assert body["dimensions"][0]["name"] == "Экономика"


@pytest.mark.parametrize("lang", ["xx", "english", "", "de-DE"])
def test_unknown_language_is_a_400_naming_the_field(api, lang):
    response = api.get("/api/v1/catalog", query_string={"lang": lang})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == "lang"
    assert "lang" in error["detail"]


def test_serialized_json_is_reused_per_language(api):
    first = api.get("/api/v1/catalog?lang=zh").data
    second = api.get("/api/v1/catalog?lang=zh").data
    assert first == second
    assert "家庭互联网接入" in first.decode("utf-8")


def test_app_can_point_at_another_benchmark_file(app_factory, sqlite_database_url, tmp_path):
    bench = json.loads(DEFAULT_BENCHMARKS.read_text(encoding="utf-8"))
    bench["version"], bench["provisional"] = "city-review-2027", False
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(bench), encoding="utf-8")
    app = app_factory(sqlite_database_url, KPI_BENCHMARKS_PATH=str(path))
    body = app.test_client().get("/api/v1/catalog").get_json()
    assert (body["benchmark_version"], body["benchmark_provisional"]) == ("city-review-2027",
                                                                         False)


def test_flask_catalog_stats(sqlite_app):
    result = sqlite_app.test_cli_runner().invoke(args=["catalog", "stats"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert {key: stats[key] for key in ("dimensions", "sub_dimensions", "categories", "kpis",
                                        "core", "advanced", "smart", "structural",
                                        "sustainable", "scored_items")} == {
        "dimensions": 3, "sub_dimensions": 7, "categories": 24, "kpis": 91, "core": 55,
        "advanced": 36, "smart": 20, "structural": 31, "sustainable": 40, "scored_items": 112}
    assert stats["benchmark_version"] == "provisional-2026-12"
    assert stats["data_points"] > 100


def test_flask_catalog_stats_reports_a_broken_file(sqlite_app, tmp_path):
    broken = tmp_path / "bench.json"
    broken.write_text(json.dumps({"version": "x", "provisional": True,
                                  "targets": [{"id": "NOPE", "direction": "up"}]}),
                      encoding="utf-8")
    result = sqlite_app.test_cli_runner().invoke(
        args=["catalog", "stats", "--benchmarks", str(broken)])
    assert result.exit_code != 0
    assert "benchmark 'NOPE': field 'direction'" in result.output
