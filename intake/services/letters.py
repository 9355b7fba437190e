"""Participation letters: created once, rendered in the background, downloaded by token."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from intake.cache import RenderedPages
from intake.extensions import db
from intake.fees import FeeQuote
from intake.i18n import text_direction
from intake.jobs import enqueue, job_handler
from intake.letter.docx import render_docx
from intake.letter.render import pdf_stylesheet_href, render_html, render_pdf
from intake.letter.texts import template_version
from intake.models import City
from intake.models._types import utcnow
from intake.models.letter import Letter

LETTER_SALT = "letter"
FORMATS = ("html", "pdf", "docx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
CONTENT_FIELDS = ("city_name", "country", "vision", "focal_point_name", "focal_point_email",
                  "representative_name", "representative_title")


def create_letter(city: City, *, locale: str, fee: FeeQuote, content: dict,
                  conversation_id: str | None = None, commit: bool = True) -> Letter:
    """Write down the letter's text and quote; the documents come from `render_letter`."""
    letter = Letter(
        city=city,
        locale=locale,
        template_version=template_version(),
        fee=fee.as_dict(),
        content={key: content.get(key) for key in CONTENT_FIELDS},
        conversation_id=conversation_id,
    )
    db.session.add(letter)
    if commit:
        db.session.commit()
    return letter


def enqueue_rendering(letter: Letter):
    return enqueue("letter.render", {"letter_id": letter.id}, key=f"letter-render:{letter.id}",
                   queue="documents")


def render_documents(letter: Letter) -> dict[str, bytes]:
    """The three documents of a letter, from its frozen content (no side effects)."""
    letter_date: date = letter.created_at.date()
    arguments = {"locale": letter.locale, "template_version": letter.template_version,
                 "letter_date": letter_date}
    page = render_html(letter.content, letter.fee, **arguments)
    printable = render_html(letter.content, letter.fee, stylesheet_href=pdf_stylesheet_href(),
                            **arguments)
    return {
        "html": page.html.encode("utf-8"),
        "pdf": render_pdf(printable.html),
        "docx": render_docx(page.html, language=letter.locale,
                            direction=text_direction(letter.locale)),
    }


@job_handler("letter.render")
def render_letter(payload: dict) -> dict:
    """Render a letter once; a second run (retry, duplicate job) leaves it untouched."""
    letter = db.session.get(Letter, payload["letter_id"])
    if letter is None:
        return {"rendered": False, "reason": "no such letter"}
    if letter.is_rendered:
        return {"rendered": True, "content_hash": letter.content_hash}
    documents = render_documents(letter)
    digest = hashlib.sha256()
    for name in FORMATS:
        digest.update(hashlib.sha256(documents[name]).digest())
    letter.html, letter.pdf, letter.docx = documents["html"], documents["pdf"], documents["docx"]
    letter.content_hash = digest.hexdigest()
    letter.rendered_at = utcnow()
    db.session.commit()
    return {"rendered": True, "content_hash": letter.content_hash,
            "sizes": {name: len(documents[name]) for name in FORMATS}}


# --------------------------------------------------------------------------- links
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=LETTER_SALT)


def letter_token(letter: Letter) -> str:
    return _serializer().dumps(letter.id)


def letter_id_from_token(token: str) -> int | None:
    """The letter id a download token names, or None for a forged one."""
    try:
        letter_id = _serializer().loads(token)
    except BadSignature:
        return None
    if isinstance(letter_id, bool) or not isinstance(letter_id, int):
        return None
    return letter_id


def letter_from_token(token: str) -> Letter | None:
    """The letter a download token names, or None for a forged or unknown one."""
    letter_id = letter_id_from_token(token)
    return db.session.get(Letter, letter_id) if letter_id is not None else None


@dataclass(frozen=True)
class StoredDocument:
    body: bytes
    etag: str
    media_type: str
    filename: str | None  # None: shown in the browser (HTML)


# A rendered letter never changes (the model refuses it), so each web process keeps the
# documents it has served; a later download only checks, with a one-column query, that the
# letter with this id is still the one whose bytes are kept (ids can be reused after a
# deletion), instead of loading the document again.
_served_documents = RenderedPages(maxsize=128)


def stored_document(letter: Letter, kind: str) -> StoredDocument:
    document = StoredDocument(
        body=getattr(letter, kind), etag=f"{letter.content_hash}-{kind}",
        media_type=MEDIA_TYPES[kind],
        filename=None if kind == "html" else download_filename(letter, kind))
    _served_documents.put((letter.id, kind), document)
    return document


def served_document(letter_id: int, kind: str) -> StoredDocument | None:
    document = _served_documents.get((letter_id, kind))
    if document is None:
        return None
    current_hash = db.session.execute(
        select(Letter.content_hash).where(Letter.id == letter_id)).scalar_one_or_none()
    if current_hash is None or document.etag != f"{current_hash}-{kind}":
        return None
    return document


def letter_urls(letter: Letter) -> dict[str, str]:
    """Absolute download links; the path is fixed, like the workspace links."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    token = letter_token(letter)
    return {f"{kind}_url": f"{base}/letters/{token}.{kind}" for kind in FORMATS}


def letter_for_conversation(conversation_id: str) -> Letter | None:
    return db.session.execute(
        select(Letter).where(Letter.conversation_id == conversation_id)
    ).scalar_one_or_none()


def download_filename(letter: Letter, kind: str) -> str:
    """An ASCII-safe file name; the city's own spelling is in the document itself."""
    from werkzeug.utils import secure_filename

    name = secure_filename(str(letter.content.get("city_name") or ""))[:60] or "city"
    return f"U4SSC-participation-letter-{name}-{letter.locale}.{kind}"
