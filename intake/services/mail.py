"""Outgoing e-mail, sent from a background job so a mail outage never fails a request.

Delivery is at most once per job: the job's row records that sending started (committed)
before the message goes to the mail server. If the worker dies after that (killed, power
cut) the message may or may not have left, and a rerun of the job does not send it again: a
missing e-mail can be re-sent by hand ("resend the link"), a duplicate workspace link cannot
be taken back. An error the mail server answers with (refused, unreachable) means nothing
was sent, so that attempt's record is cleared and the job is retried.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_mail import Message
from sqlalchemy import update

from intake.extensions import db, mail
from intake.jobs import enqueue, job_handler, running_job_id
from intake.models import JobRecord
from intake.models._types import utcnow

log = logging.getLogger(__name__)


def send_mail(*, to: list[str], subject: str, body: str, key: str,
              html: str | None = None) -> None:
    """Queue one e-mail. `key` makes it idempotent: the same key is sent once."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    from intake.services.links import conceal_links

    # The job row must not hold a working link: placeholders until the moment of sending.
    enqueue("mail.send", {"to": recipients, "subject": subject, "body": conceal_links(body),
                          "html": conceal_links(html)},
            key=f"mail:{key}", queue="mail")


@job_handler("mail.send")
def deliver(payload: dict) -> dict:
    if not current_app.config.get("MAIL_SERVER"):
        # No server configured (a laptop, a demo): keep a trace instead of failing.
        log.info("e-mail not sent (MAIL_SERVER unset) to %s: %s", payload["to"],
                 payload["subject"])
        return {"sent": False, "reason": "MAIL_SERVER unset"}
    from intake.services.links import reveal_links

    # Flask-Mail refuses subjects and addresses with line breaks (header injection).
    message = Message(subject=payload["subject"].replace("\r", " ").replace("\n", " "),
                      recipients=payload["to"], body=reveal_links(payload["body"]),
                      html=reveal_links(payload.get("html")))
    job_id = running_job_id()
    if job_id is not None:
        record = db.session.get(JobRecord, job_id)
        db.session.refresh(record)
        if record.result and record.result.get("sending_started"):
            log.warning("e-mail job %s was interrupted while sending: not sent again", job_id)
            return {"sent": None, "reason": "an interrupted attempt may have sent it",
                    "sending_started": record.result["sending_started"]}
        db.session.execute(update(JobRecord).where(JobRecord.id == job_id).values(
            result={"sending_started": utcnow().isoformat()}),
            execution_options={"synchronize_session": False})
        db.session.commit()
    try:
        mail.send(message)
    except Exception:
        if job_id is not None:
            db.session.rollback()
            db.session.execute(update(JobRecord).where(JobRecord.id == job_id).values(
                result=None), execution_options={"synchronize_session": False})
            db.session.commit()
        raise
    return {"sent": True}
