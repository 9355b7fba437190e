"""The city workspace and its category wizards (served under /w/)."""

from flask import Blueprint

bp = Blueprint("wizard", __name__, url_prefix="/w")

from intake.wizard import (  # noqa: E402,F401
    files,
    hints,
    review,
    saving,
    steps,
    team,
    workspace,
)
