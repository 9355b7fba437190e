"""Run by test_hostile_uploads in a fresh process: send every hostile upload, print the growth.

`python -m tests.reliability.upload_memory DATABASE_URL FOLDER` prints one JSON line,
{"growth_kb": …, "outcomes": …}; a refused case that was not refused raises, so the exit
status is not zero.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from intake.services.cities import create_city
from tests.conftest import make_app
from tests.reliability.helpers import open_workspace
from tests.reliability.test_hostile_uploads import (
    _import,
    _upload_evidence,
    peak_memory_kb,
    reset_peak_memory,
    send_hostile_uploads,
    upload_cases,
)


def main(database_url: str, folder: str) -> dict:
    app = make_app(database_url, Path(folder))
    with app.app_context():
        city = create_city(name="Uploadville", population=70_000)
        client = app.test_client()
        open_workspace(client, city)
        evidence_cases, import_cases = upload_cases()
        # One refused upload of each kind first: imports, templates and caches that any
        # request loads are not what is measured.
        _upload_evidence(client, "empty.pdf", b"", "1")
        _import(client, "broken.xlsx", b"PK\x03\x04" + b"\xff" * 400)
        baseline = reset_peak_memory()
        outcomes = send_hostile_uploads(client, city, evidence_cases, import_cases)
        return {"growth_kb": peak_memory_kb() - baseline, "outcomes": len(outcomes)}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
