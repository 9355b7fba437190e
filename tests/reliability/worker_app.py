"""The app a test's `flask rq worker` subprocess serves: the portal plus the test jobs."""

from intake import create_app
from tests.reliability import job_handlers  # noqa: F401  (registers the test jobs)

app = create_app()
