"""Rejecting a city as spam: it leaves the pipeline with its letter, links and e-mails."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import delete, select

from intake.extensions import db
from intake.jobs import get_redis
from intake.models import (
    AuditEvent,
    City,
    Conversation,
    EvidenceFile,
    JobRecord,
    JobState,
    Letter,
    StageChange,
    User,
)

log = logging.getLogger(__name__)


def _city_jobs(city_id: int, letter_ids: set[int], change_ids: set[int]) -> list[JobRecord]:
    """The city's jobs not yet run: its e-mails, letter renderings and notifications."""
    keys = {f"mail:letter-secretariat:{i}" for i in letter_ids}
    keys |= {f"mail:letter-focal-point:{i}" for i in letter_ids}
    keys |= {f"mail:stage-change:{i}" for i in change_ids}
    waiting = db.session.execute(select(JobRecord).where(
        JobRecord.state.in_((JobState.PENDING, JobState.QUEUED)))).scalars()
    found = []
    for job in waiting:
        payload = job.payload or {}
        if (job.key in keys or job.key.startswith(tuple(
                f"mail:{kind}:{city_id}:" for kind in (
                    "verifier-assigned", "confirm-email", "links", "reminder")))
                or payload.get("city_id") == city_id
                or payload.get("letter_id") in letter_ids):
            found.append(job)
    return found


def reject_as_spam(city_id: int, *, actor: User, reason: str = "") -> dict | None:
    """Delete the city (letters, links, values, files), cancel its pending e-mails and jobs,
    and record who did it in the audit log. Returns what was removed (None: no such city)."""
    city = db.session.get(City, city_id)
    if city is None:
        return None
    letter_ids = set(db.session.execute(
        select(Letter.id).where(Letter.city_id == city_id)).scalars())
    change_ids = set(db.session.execute(
        select(StageChange.id).where(StageChange.city_id == city_id)).scalars())
    jobs = _city_jobs(city_id, letter_ids, change_ids)
    files = list(db.session.execute(
        select(EvidenceFile.stored_name).where(EvidenceFile.city_id == city_id)).scalars())
    detail = {"name": city.name, "country": city.country,
              "focal_point_email": city.focal_point_email, "letters": len(letter_ids),
              "cancelled_jobs": sorted(job.key for job in jobs),
              "evidence_files": len(files), "reason": reason[:500]}
    job_ids = [job.id for job in jobs]
    for job in jobs:
        db.session.delete(job)
    # Its conversations hold the workspace link in their result: they go too (left in
    # place, one could be confirmed again and make the city anew).
    db.session.execute(delete(Conversation).where(Conversation.city_id == city_id))
    db.session.execute(delete(City).where(City.id == city_id))  # the rest cascades
    db.session.add(AuditEvent(actor=actor.email, action="city.rejected_as_spam",
                              city_id=city_id, detail=detail))
    db.session.commit()
    _cancel_queued(job_ids)
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    for name in files:
        (folder / name).unlink(missing_ok=True)
    log.warning("city %s (%s) rejected as spam by %s", city_id, detail["name"], actor.email)
    return detail


def _cancel_queued(job_ids: list[str]) -> None:
    """Take the cancelled jobs off Redis too (a worker finding no row does nothing anyway)."""
    connection = get_redis()
    if connection is None or not job_ids:
        return
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job

    for job_id in job_ids:
        try:
            Job.fetch(job_id, connection=connection).delete(remove_from_queue=True)
        except (NoSuchJobError, InvalidJobOperation, RedisError):
            continue
