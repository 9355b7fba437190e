"""Evidence files: checked by content, stored under random names, listed per KPI."""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select

from intake.extensions import db
from intake.models.values import EvidenceFile

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# An xlsx is a zip: refuse archives that unpack to more than this (zip bombs).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000

KINDS = {
    "pdf": ("application/pdf", ".pdf"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "csv": ("text/csv", ".csv"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
}


# The names each kind of file goes by: content and name must agree.
NAME_EXTENSIONS = {"pdf": (".pdf",), "xlsx": (".xlsx",), "csv": (".csv", ".txt"),
                   "png": (".png",), "jpeg": (".jpg", ".jpeg")}
# Text that is really a web page or a drawing (HTML, SVG, XML) is not a CSV file.
_MARKUP = re.compile(r"<\s*(?:script|html|svg|body|iframe|object|embed|img|!doctype|\?xml)\b",
                     re.IGNORECASE)


class EvidenceError(ValueError):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


def max_bytes() -> int:
    return int(current_app.config.get("EVIDENCE_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_xlsx(data: bytes) -> bool:
    """A real workbook: a zip with the OOXML parts, and not a bomb."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                return False
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                return False
            names = {m.filename for m in members}
            # Office files never carry a DTD; one in a part is an XML bomb or an XXE probe.
            for member in members:
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        head = part.read(2048)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        return False
    # zipfile raises NotImplementedError for a compression method it cannot read and
    # RuntimeError for an encrypted member: either way, not a workbook we can open.
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, RuntimeError,
            NotImplementedError):
        return False
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def sniff(data: bytes) -> str | None:
    """The kind of file by its first bytes, never by its name."""
    if data.startswith(b"%PDF-"):
        # A cut-off download lacks the end-of-file marker and will not open.
        return "pdf" if b"%%EOF" in data[-2048:] else None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png" if b"IEND" in data[-64:] else None
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx" if check_xlsx(data) else None
    if b"\x00" in data[:8192]:
        return None
    try:
        sample = data[:65536].decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < 65532:  # a cut multi-byte character at the end is fine
            return None
        sample = data[: error.start].decode("utf-8-sig")
    if _MARKUP.search(sample):
        return None
    if ("," in sample or ";" in sample or "\t" in sample) and "\n" in sample + "\n":
        return "csv"
    return None


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise EvidenceError(_l("The file is larger than %(size)s MB. Send a smaller file or "
                               "split it.", size=limit // (1024 * 1024)))
    return data


def save_evidence(city_id: int, kpi_code: str, filename: str, stream: BinaryIO, *,
                  actor: str) -> EvidenceFile:
    data = read_limited(stream, max_bytes())
    if not data:
        raise EvidenceError(_l("The file is empty. Choose the file again."))
    original = _plain_name(filename)
    kind = sniff(data)
    if kind is None:
        raise EvidenceError(_l("This type of file is not accepted. Send a PDF, an Excel "
                               "workbook (.xlsx), a CSV file or a PNG or JPEG image."))
    if not original.lower().endswith(NAME_EXTENSIONS[kind]):
        raise EvidenceError(_l("The file's name does not match its content. Send a PDF (.pdf), "
                               "an Excel workbook (.xlsx), a CSV file (.csv) or a PNG or JPEG "
                               "image (.png, .jpg) under its usual name."))
    _check_quota(city_id, len(data))
    content_type, extension = KINDS[kind]
    stored_name = secrets.token_hex(16) + extension
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored_name
    with open(path, "xb") as handle:
        handle.write(data)
    record = EvidenceFile(city_id=city_id, kpi_code=kpi_code, original_name=original[:255],
                          stored_name=stored_name, content_type=content_type, size=len(data),
                          uploaded_by=actor[:200])
    db.session.add(record)
    db.session.commit()
    return record


def _check_quota(city_id: int, size: int) -> None:
    """A city's evidence is capped in files and bytes, so no one can fill the disk."""
    config = current_app.config
    count, used = db.session.execute(
        select(func.count(EvidenceFile.id), func.coalesce(func.sum(EvidenceFile.size), 0))
        .where(EvidenceFile.city_id == city_id)).one()
    if count + 1 > config["EVIDENCE_QUOTA_FILES"] or \
            used + size > config["EVIDENCE_QUOTA_BYTES"]:
        raise EvidenceError(_l(
            "Your city's evidence storage is full (at most %(files)s files and %(size)s MB). "
            "Delete files you no longer need, or ask the secretariat.",
            files=config["EVIDENCE_QUOTA_FILES"],
            size=config["EVIDENCE_QUOTA_BYTES"] // (1024 * 1024)))


def _plain_name(filename: str | None) -> str:
    """The name as the user's computer shows it; paths and hidden characters are refused."""
    name = (filename or "").strip()
    if (not name or len(name) > 255 or "/" in name or "\\" in name or not name.strip(".")
            or any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in name)):
        raise EvidenceError(_l("The file name is not valid. Rename the file (letters, digits, "
                               "dots and dashes) and choose it again."))
    return name


# Built once: every step page lists its KPIs' files.
_CITY_FILES = (select(EvidenceFile).where(EvidenceFile.city_id == bindparam("city_id"))
               .order_by(EvidenceFile.uploaded_at, EvidenceFile.id))
_CITY_FILES_OF = _CITY_FILES.where(EvidenceFile.kpi_code.in_(bindparam("codes",
                                                                       expanding=True)))


def evidence_for(city_id: int, kpi_codes: Iterable[str] | None = None
                 ) -> dict[str, list[EvidenceFile]]:
    """The city's files per KPI code (only these KPIs' when `kpi_codes` is given)."""
    files: dict[str, list[EvidenceFile]] = {}
    if kpi_codes is None:
        rows = db.session.execute(_CITY_FILES, {"city_id": city_id})
    else:
        rows = db.session.execute(_CITY_FILES_OF, {"city_id": city_id,
                                                   "codes": list(kpi_codes)})
    for row in rows.scalars():
        files.setdefault(row.kpi_code, []).append(row)
    return files


def get_evidence(city_id: int, file_id: int) -> EvidenceFile | None:
    record = db.session.get(EvidenceFile, file_id)
    return record if record is not None and record.city_id == city_id else None


def evidence_path(record: EvidenceFile) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / record.stored_name


def delete_evidence(city_id: int, file_id: int) -> bool:
    record = get_evidence(city_id, file_id)
    if record is None:
        return False
    path = evidence_path(record)
    db.session.delete(record)
    db.session.commit()
    path.unlink(missing_ok=True)
    return True
