"""Participation letters: created once, rendered in the background, downloaded by token."""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
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
    # The key names the letter, not only its id: ids can come back after a deletion.
    return enqueue("letter.render", {"letter_id": letter.id},
                   key=f"letter-render:{letter.id}:{letter.download_key}", queue="documents")


def render_documents(letter: Letter) -> dict[str, bytes]:
    """The three documents of a letter, from its frozen content (no side effects)."""
    from intake.letter.docx import render_docx  # python-docx loads when a letter is made

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
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=LETTER_SALT)


@dataclass(frozen=True)
class LetterLink:
    """What a download token names: a letter id and that letter's download key."""

    letter_id: int
    download_key: str


def letter_token(letter: Letter) -> str:
    return _serializer().dumps([letter.id, letter.download_key])


def link_from_token(token: str) -> LetterLink | None:
    """The letter a download token names, or None for a forged one."""
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    # A token naming the id alone (the oldest links) is refused: with the signing key known,
    # anyone could make one for every letter; the per-letter key cannot be guessed.
    if (isinstance(payload, list) and len(payload) == 2 and _is_id(payload[0])
            and isinstance(payload[1], str)):
        return LetterLink(payload[0], payload[1])
    return None


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def letter_for_link(link: LetterLink) -> Letter | None:
    letter = db.session.get(Letter, link.letter_id)
    if letter is None or not letter.download_key or not hmac.compare_digest(
            letter.download_key.encode(), link.download_key.encode()):
        return None
    return letter


def letter_from_token(token: str) -> Letter | None:
    """The letter a download token names, or None for a forged or unknown one."""
    link = link_from_token(token)
    return letter_for_link(link) if link is not None else None


@dataclass(frozen=True)
class StoredDocument:
    body: bytes
    etag: str
    media_type: str
    filename: str | None  # None: shown in the browser (HTML)


@dataclass(frozen=True)
class _ServedDocument:
    document: StoredDocument
    link: LetterLink
    checked_at: float


# A rendered letter never changes (the model refuses it) and a link with a download key
# names one letter for good, so each web process keeps the documents it has served, under
# the exact token it verified, and sends them again without verifying the signature or
# asking the database. Letters are only deleted with their city; so that a deleted letter
# stops being served soon after, a kept document is checked against the database again
# once it is older than this.
RECHECK_AFTER_SECONDS = 60.0
_served_documents = RenderedPages(maxsize=128)


def stored_document(letter: Letter, *, token: str, link: LetterLink, kind: str
                    ) -> StoredDocument:
    document = StoredDocument(
        body=getattr(letter, kind), etag=f"{letter.content_hash}-{kind}",
        media_type=MEDIA_TYPES[kind],
        filename=None if kind == "html" else download_filename(letter, kind))
    _served_documents.put((token, kind), _ServedDocument(document, link, time.monotonic()))
    return document


def served_document(token: str, kind: str) -> StoredDocument | None:
    """The document this process already served under this very token, if still current."""
    kept = _served_documents.get((token, kind))
    if kept is None:
        return None
    if time.monotonic() - kept.checked_at < RECHECK_AFTER_SECONDS:
        return kept.document
    link = kept.link
    current_hash = db.session.execute(
        select(Letter.content_hash).where(Letter.id == link.letter_id,
                                          Letter.download_key == link.download_key)
    ).scalar_one_or_none()
    if current_hash is None or kept.document.etag != f"{current_hash}-{kind}":
        return None
    _served_documents.put((token, kind), _ServedDocument(kept.document, link, time.monotonic()))
    return kept.document


def letter_urls(letter: Letter, base: str | None = None) -> dict[str, str]:
    """Absolute download links on `base` (else the e-mail address); the path is fixed."""
    from intake.services.links import mail_base_url

    base = (base or mail_base_url()).rstrip("/")
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
