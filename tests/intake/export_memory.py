"""Run by test_export_jobs in a fresh process: write a large export through the job in the
web process (inline, no Redis), print how much the process grew meanwhile.

`python -m tests.intake.export_memory DATABASE_URL FOLDER` prints one JSON line,
{"growth_kb": …, "file_bytes": …, "cities": …}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import City, ExportJob
from tests.conftest import csrf_token_from, make_app
from tests.intake.test_accounts import sign_in
from tests.reliability.test_hostile_uploads import peak_memory_kb, reset_peak_memory

CITIES = 150


def main(database_url: str, folder: str) -> dict:
    from intake.demo_bulk import load_bulk_cities
    from intake.services import exports as export_service

    app = make_app(database_url, Path(folder), EXPORT_INLINE_MAX_CITIES=1)
    with app.app_context():
        have = db.session.scalar(select(func.count(City.id)))
        load_bulk_cities(max(0, CITIES - have))
        # Batches as small as they go in a long export of 10 000 cities: what is measured is
        # what one batch costs, not how many there are.
        export_service.BATCH = 20
        client = app.test_client()
        sign_in(client)
        # One export first: imports, templates and caches any export loads are not measured.
        page = client.get("/staff/exports/?stage=submitted")
        client.post("/staff/exports/jobs/cities.csv?stage=submitted",
                    data={"csrf_token": csrf_token_from(page.text)})
        db.session.close()
        page = client.get("/staff/exports/")
        token = csrf_token_from(page.text)
        baseline = reset_peak_memory()
        response = client.post("/staff/exports/jobs/cities.csv", data={"csrf_token": token})
        growth = peak_memory_kb() - baseline
        assert response.status_code == 303, response.status_code
        export = db.session.scalars(select(ExportJob).order_by(ExportJob.id.desc())).first()
        path = Path(app.config["EXPORT_FOLDER"]) / export.stored_name
        return {"growth_kb": growth, "file_bytes": path.stat().st_size, "cities": export.total}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
