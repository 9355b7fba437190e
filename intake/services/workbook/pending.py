"""Uploaded workbooks kept between the dry run and the apply, and cleaned up after."""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta
from pathlib import Path

from flask import current_app


def _pending_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_pending(city_id: int, data: bytes) -> str:
    """Keep an uploaded workbook between the preview and "Apply"; returns its ticket.

    A city has one previewed workbook at a time (a new preview replaces the last), so
    repeated uploads cannot fill the disk.
    """
    folder = _pending_folder()
    for earlier in folder.glob(f"{city_id}-*.xlsx"):
        earlier.unlink(missing_ok=True)
    ticket = secrets.token_hex(16)
    (folder / f"{city_id}-{ticket}.xlsx").write_bytes(data)
    return ticket


def clean_pending(max_age: timedelta | None = None, now: float | None = None) -> int:
    """Delete previewed workbooks nobody applied within `max_age`; returns how many."""
    if max_age is None:
        max_age = timedelta(seconds=current_app.config["PENDING_IMPORT_TTL"])
    cutoff = (now if now is not None else time.time()) - max_age.total_seconds()
    removed = 0
    for path in _pending_folder().glob("*.xlsx"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile by "Apply" or "Cancel"
    return removed


def load_pending(city_id: int, ticket: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{32}", ticket or ""):
        return None
    path = _pending_folder() / f"{city_id}-{ticket}.xlsx"
    return path.read_bytes() if path.is_file() else None


def drop_pending(city_id: int, ticket: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", ticket or ""):
        (_pending_folder() / f"{city_id}-{ticket}.xlsx").unlink(missing_ok=True)
