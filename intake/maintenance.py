"""The periodic housekeeping tasks (see intake.schedule): lost jobs, stale uploads, old talk,
expired export files."""

from __future__ import annotations

import logging

from intake.schedule import periodic

log = logging.getLogger(__name__)


@periodic(60)
def reap_lost_jobs() -> dict[str, int]:
    """Jobs whose worker died or whose queue entry vanished go back to a worker."""
    from intake.jobs import _fresh_connections_after_fork, reap_jobs

    _fresh_connections_after_fork()
    counts = reap_jobs()
    if any(counts.values()):
        log.warning("reaped lost jobs: %s", counts)
    return counts


@periodic(15 * 60)
def delete_stale_imports() -> int:
    """Previewed workbooks nobody applied (PENDING_IMPORT_TTL) leave the disk."""
    from intake.services.workbook import clean_pending

    return clean_pending()


@periodic(60 * 60)
def expire_conversations() -> int:
    """Assistant conversations abandoned for CONVERSATION_TTL_DAYS are deleted."""
    from intake.jobs import _fresh_connections_after_fork
    from intake.services.conversations import expire_conversations as expire

    _fresh_connections_after_fork()
    return expire()


@periodic(15 * 60)
def delete_expired_exports() -> int:
    """Prepared export files older than EXPORT_RETENTION_HOURS leave the disk."""
    from intake.jobs import _fresh_connections_after_fork
    from intake.services.export_jobs import delete_expired_exports as delete_expired

    _fresh_connections_after_fork()
    return delete_expired()
