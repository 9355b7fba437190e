"""WSGI entry point: `gunicorn wsgi:app`, and FLASK_APP for the `flask` command."""

import sys

from intake import ConfigError, create_app

try:
    app = create_app()
except ConfigError as error:
    # One line a person can act on, not a traceback.
    sys.exit(f"U4SSC Intake cannot start: {error}")
