"""Large exports written to a file by a background job, with progress, then downloaded.

The job writes with the same generators as the streamed export (one batch of cities at a
time, constant memory) into EXPORT_FOLDER, telling its row how many cities are done after
each batch. Only the person who asked may download the file; it is deleted
EXPORT_RETENTION_HOURS after it was asked for (`delete_expired_exports`, run by the
housekeeping schedule and whenever a new export is asked for).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select, update

from intake.extensions import db
from intake.jobs import enqueue, job_handler
from intake.models import JobRecord, JobState, User
from intake.models._types import utcnow
from intake.models.city import City, ProgrammeStage
from intake.models.export import ExportJob
from intake.services import exports as export_service

JOB_KIND = "exports.write"
QUEUE = "exports"
RECENT = 10


@dataclass(frozen=True)
class ExportStatus:
    """An export as its page shows it: the row, the job's state and error, and the file."""

    export: ExportJob
    state: JobState
    error: str | None

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.export.total:
            return 0
        return min(100, self.export.done * 100 // self.export.total)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def ready(self) -> bool:
        return self.state == JobState.DONE and export_path(self.export).is_file()

    @property
    def filename(self) -> str:
        return export_service.export_filename(self.export.fmt, self.export.created_at)


def folder() -> Path:
    return Path(current_app.config["EXPORT_FOLDER"])


def export_path(export: ExportJob) -> Path:
    return folder() / export.stored_name


def filters_to_dict(filters) -> dict[str, Any]:
    """The list's filters (intake.secretariat.overview.CityFilters) as plain JSON data."""
    return {"stage": filters.stage.value if filters.stage is not None else None,
            "search": filters.search, "country": filters.country,
            "verifier_id": filters.verifier_id, "overdue_only": filters.overdue_only}


def filters_from_dict(data: dict[str, Any]):
    from intake.secretariat.overview import CityFilters

    stage = data.get("stage")
    return CityFilters(stage=ProgrammeStage(stage) if stage else None,
                       search=data.get("search") or "", country=data.get("country"),
                       verifier_id=data.get("verifier_id"),
                       overdue_only=bool(data.get("overdue_only")))


def count_cities(user: User, filters) -> int:
    """How many cities an export with these filters holds (one query)."""
    from intake.secretariat.overview import city_query

    query = city_query(user, filters).with_only_columns(City.id).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def is_large(user: User, filters) -> bool:
    return count_cities(user, filters) > current_app.config["EXPORT_INLINE_MAX_CITIES"]


def start_export(user: User, fmt: str, language: str, filters) -> ExportJob:
    """Record an export and hand it to a worker (inline without Redis)."""
    if fmt not in export_service.FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    delete_expired_exports()
    export = ExportJob(user_id=user.id, fmt=fmt, language=language,
                       filters=filters_to_dict(filters), total=count_cities(user, filters),
                       done=0, stored_name=f"{secrets.token_hex(16)}.{fmt}")
    db.session.add(export)
    db.session.commit()
    export_id = export.id
    record = enqueue(JOB_KIND, {"export_id": export_id}, key=f"export:{export_id}",
                     queue=QUEUE, new_key=True)
    db.session.execute(update(ExportJob).where(ExportJob.id == export_id)
                       .values(job_id=record.id))
    db.session.commit()
    return db.session.get(ExportJob, export_id)


def retry_export(export: ExportJob) -> None:
    """Run a failed export again from the start (the retry button)."""
    from intake.jobs import retry

    if export.job_id:
        retry(export.job_id)


def status(export: ExportJob) -> ExportStatus:
    record = db.session.get(JobRecord, export.job_id) if export.job_id else None
    if record is None:
        return ExportStatus(export, JobState.PENDING, None)
    return ExportStatus(export, record.state, record.error)


def find_export(user: User, export_id: int) -> ExportJob | None:
    """The user's own export with this id (None for anyone else's)."""
    export = db.session.get(ExportJob, export_id)
    if export is None or export.user_id != user.id:
        return None
    return export


def recent_exports(user: User, limit: int = RECENT) -> list[ExportStatus]:
    rows = db.session.execute(
        select(ExportJob, JobRecord.state, JobRecord.error)
        .outerjoin(JobRecord, JobRecord.id == ExportJob.job_id)
        .where(ExportJob.user_id == user.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)).all()
    return [ExportStatus(export, state or JobState.PENDING, error)
            for export, state, error in rows]


def delete_expired_exports(now: datetime | None = None) -> int:
    """Delete exports (file, job row, export row) asked for more than
    EXPORT_RETENTION_HOURS ago; returns how many."""
    cutoff = (now or utcnow()) - timedelta(hours=current_app.config["EXPORT_RETENTION_HOURS"])
    expired = db.session.execute(select(ExportJob.id, ExportJob.stored_name, ExportJob.job_id)
                                 .where(ExportJob.created_at < cutoff)).all()
    if not expired:
        return 0
    for _id, stored_name, _job in expired:
        for path in (folder() / stored_name, folder() / (stored_name + ".part")):
            path.unlink(missing_ok=True)
    db.session.execute(delete(ExportJob).where(ExportJob.id.in_([row[0] for row in expired])))
    job_ids = [row[2] for row in expired if row[2]]
    if job_ids:
        db.session.execute(delete(JobRecord).where(JobRecord.id.in_(job_ids)))
    db.session.commit()
    return len(expired)


@job_handler(JOB_KIND)
def write_export(payload: dict[str, Any]) -> dict[str, Any] | None:
    """Write the export's file row by row, recording the cities done after each batch.

    Safe to run again: the file is written to `<name>.part` and renamed when complete."""
    from intake.secretariat.overview import city_query

    export_id = payload["export_id"]
    export = db.session.get(ExportJob, export_id)
    if export is None:
        return {"export_id": export_id, "gone": True}  # deleted meanwhile: nothing to do
    user = db.session.get(User, export.user_id)
    filters = filters_from_dict(export.filters)
    fmt, language, stored_name = export.fmt, export.language, export.stored_name
    total = count_cities(user, filters)
    query = city_query(user, filters)
    db.session.execute(update(ExportJob).where(ExportJob.id == export_id)
                       .values(total=total, done=0))
    db.session.commit()

    def progress(done: int) -> None:
        # Its own short transaction: the page reads it while the job goes on.
        db.session.execute(update(ExportJob).where(ExportJob.id == export_id)
                           .values(done=min(done, total)))
        db.session.commit()

    target = folder() / stored_name
    partial = folder() / (stored_name + ".part")
    folder().mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "xlsx":
            export_service.write_xlsx(str(partial), language, query, progress=progress)
        else:
            with open(partial, "wb") as out:
                for chunk in export_service.export_stream(fmt, language, query,
                                                          progress=progress):
                    out.write(chunk)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    size = target.stat().st_size
    db.session.execute(update(ExportJob).where(ExportJob.id == export_id)
                       .values(done=total, size=size, finished_at=utcnow()))
    return {"export_id": export_id, "cities": total, "size": size}
