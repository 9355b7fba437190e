"""Downloads of participation letters by signed token: /letters/<token>.html|.pdf|.docx."""

from flask import Blueprint

bp = Blueprint("letters", __name__, url_prefix="/letters")

from intake.letters import views  # noqa: E402,F401
