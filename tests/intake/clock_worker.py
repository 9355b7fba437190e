"""`flask rq worker` with its clock set to INTAKE_TEST_NOW (for the reminders' worker test)."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import time_machine


def main() -> None:
    now = datetime.fromisoformat(os.environ["INTAKE_TEST_NOW"])
    # tick=True: time passes from there, so RQ's heartbeats and scheduler behave normally.
    with time_machine.travel(now, tick=True):
        from flask.cli import main as flask_main

        sys.argv = ["flask", "--app", "wsgi:app", "rq", "worker", *sys.argv[1:]]
        flask_main()


if __name__ == "__main__":
    main()
