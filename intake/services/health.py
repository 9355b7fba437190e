"""What /healthz and /readyz report: can we reach the database, and Redis when configured."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from intake.extensions import db


def _one_line(error: Exception) -> str:
    message = str(getattr(error, "orig", None) or error).strip().splitlines()
    return (message[0] if message else type(error).__name__)[:300]


LOCAL_ADDRESSES = frozenset({"127.0.0.1", "::1"})


def public_view(report: dict) -> dict:
    """The report without addresses, back-ends and error texts (for non-local callers)."""
    return {"status": report["status"],
            "database": {"ok": report["database"]["ok"]},
            "redis": {"configured": report["redis"]["configured"],
                      "ok": report["redis"]["ok"]}}


def report_for(remote_addr: str | None) -> dict:
    """The health report, with its details only when the caller is on this machine."""
    report = check_health()
    return report if remote_addr in LOCAL_ADDRESSES else public_view(report)


def check_health() -> dict:
    report: dict = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        report["database"] = {"ok": True, "backend": db.engine.dialect.name}
    except SQLAlchemyError as error:
        db.session.rollback()
        report["database"] = {"ok": False, "backend": db.engine.dialect.name,
                              "error": "database unreachable: " + _one_line(error)}
        report["status"] = "error"

    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        report["redis"] = {"configured": False, "ok": None,
                           "note": "jobs run inline in the web process"}
    else:
        from redis.exceptions import RedisError

        from intake.jobs import get_redis

        try:
            get_redis().ping()
            report["redis"] = {"configured": True, "ok": True}
        except RedisError as error:
            report["redis"] = {"configured": True, "ok": False,
                               "error": "Redis unreachable: " + _one_line(error)
                               + " (jobs are kept pending until it is back)"}
            if report["status"] == "ok":
                report["status"] = "degraded"
    return report
