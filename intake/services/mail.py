"""Outgoing e-mail, sent from a background job so a mail outage never fails a request."""

from __future__ import annotations

import logging

from flask import current_app
from flask_mail import Message

from intake.extensions import mail
from intake.jobs import enqueue, job_handler

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
    mail.send(message)
    return {"sent": True}
