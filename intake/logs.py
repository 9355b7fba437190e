"""Keep secret links out of logs: one filter masks the token of every capability link."""

from __future__ import annotations

import logging
import re

# A token in a link is the key to what it opens (a city's workspace, its snapshot, a
# letter, a colleague's categories, an address to confirm, reminders to stop): whoever
# reads a log must not be able to open it. The path stays readable for debugging.
#
# Two token shapes: signed by itsdangerous (payload, maybe a timestamp, and a signature,
# dot-separated; a compressed payload starts with a dot) and random (secrets.token_urlsafe,
# no dot). Requiring the dot after /w/ keeps /w/c/ec-drainage/0 or /w/factsheet readable.
_SIGNED = r"\.?[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_.\-]+"
_RANDOM = r"[A-Za-z0-9_\-]{16,}"
# Prefix → token shape. The longer /w/… prefixes come first so that they win over /w/.
LINK_KINDS = {
    "colleague": ("/w/colleague/", _RANDOM),
    "reminders": ("/w/reminders/stop/", _SIGNED),
    "confirmation": ("/confirm-email/", _SIGNED),
    "workspace": ("/w/", _SIGNED),
    "snapshot": ("/snapshot/", _SIGNED),
    "letter": ("/letters/", _SIGNED),
}
_LINK = re.compile("|".join(f"(?P<{kind}>{re.escape(prefix)})(?P<{kind}_token>{shape})"
                            for kind, (prefix, shape) in LINK_KINDS.items()))
MASK = "[link]"

# Access logs (Werkzeug's development server, gunicorn) and the app's own loggers.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "intake", "rq.worker")


def _masked(match: re.Match) -> str:
    kind = match.lastgroup.removesuffix("_token")
    return match.group(kind) + MASK + _suffix(match.group(match.lastgroup))


def mask_links(text: str) -> str:
    """`text` with the token of every secret link replaced by [link]."""
    return _LINK.sub(_masked, text)


def _suffix(token: str) -> str:
    # "/letters/<token>.pdf", "/snapshot/<token>/wheel.svg": keep what was asked for.
    for ending in (".html", ".pdf", ".docx"):
        if token.endswith(ending):
            return ending
    return ""


class LinkMaskingFilter(logging.Filter):
    """Rewrites a record's message with every link token masked; never drops a record.

    The message is formatted first, whatever its arguments (a tuple from Werkzeug, a dict
    of atoms from gunicorn's access log), so a token in any argument is caught.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            return True
        masked = mask_links(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = LinkMaskingFilter()


def mask_links_in_logs() -> None:
    """Install the filter on the loggers and on the root handlers (records propagated from
    child loggers pass through handlers, not through their parents' filters). Idempotent."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
