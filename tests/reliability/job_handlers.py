"""Jobs for the reliability tests, importable by a worker subprocess."""

from __future__ import annotations

import time
from pathlib import Path

from intake.jobs import job_handler


@job_handler("test.flaky")
def flaky(payload: dict) -> dict:
    """Fails on its first run (a marker file remembers it ran), succeeds afterwards."""
    marker = Path(payload["marker"])
    runs = int(marker.read_text()) + 1 if marker.exists() else 1
    marker.write_text(str(runs))
    if runs == 1:
        raise RuntimeError("first run fails")
    return {"runs": runs}


@job_handler("test.slow")
def slow(payload: dict) -> dict:
    """Appends to a log file when it starts, sleeps, and appends again when it ends."""
    log = Path(payload["log"])
    with log.open("a") as handle:
        handle.write("start\n")
    time.sleep(payload["seconds"])
    with log.open("a") as handle:
        handle.write("end\n")
    return {"slept": payload["seconds"]}
