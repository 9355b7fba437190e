"""The snapshot PDF (about 2 s of CPU) is made once per state of the data, a few at a time."""

from __future__ import annotations

import intake.snapshot.render as render
from intake.services.links import snapshot_token
from intake.services.values import set_city_values
from tests.intake.test_snapshot import city_with_ict


def test_the_pdf_is_made_once_per_state_of_the_data(app, client, monkeypatch):
    made = []
    real = render.pdf_bytes

    def counting(snapshot):
        made.append(snapshot)
        return real(snapshot)

    monkeypatch.setattr(render, "pdf_bytes", counting)
    city = city_with_ict("Pdfcache")
    url = f"/snapshot/{snapshot_token(city)}/snapshot.pdf"
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and len(made) == 1
    set_city_values(city.id, {"hh_internet": 1}, actor="t")
    assert client.get(url).status_code == 200
    assert len(made) == 2  # changed data: made again


def test_too_many_at_once_get_a_busy_page_with_retry_after(app_factory, database_url, app):
    busy = app_factory(database_url, SNAPSHOT_PDF_CONCURRENCY=1, SNAPSHOT_PDF_WAIT=0)
    with busy.app_context():
        city = city_with_ict("Busytown")
        slots = render._slots()
        assert slots.acquire(timeout=1)  # another request is making a PDF right now
        try:
            response = busy.test_client().get(
                f"/snapshot/{snapshot_token(city)}/snapshot.pdf",
                headers={"Accept-Language": "es"})
        finally:
            slots.release()
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "El portal está ocupado" in response.get_data(as_text=True)
        assert busy.test_client().get(
            f"/snapshot/{snapshot_token(city)}/snapshot.pdf").status_code == 200
