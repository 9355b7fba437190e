"""Keep capability links out of logs: the token in /w/, /snapshot/ and /letters/ is masked."""

from __future__ import annotations

import logging
import re

# The token is the key to a city's workspace (or snapshot, or letter): whoever reads an
# access log must not be able to open it. The path stays readable for debugging.
_LINK = re.compile(r"(/(?:w|snapshot|letters)/)(\.?[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_.\-]+)")
MASK = "[link]"

# Access logs (Werkzeug's development server, gunicorn) and the app's own loggers.
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "intake", "rq.worker")


def mask_links(text: str) -> str:
    return _LINK.sub(lambda match: match.group(1) + MASK + _suffix(match.group(2)), text)


def _suffix(token: str) -> str:
    # "/letters/<token>.pdf": keep the kind of download, drop the token.
    for ending in (".html", ".pdf", ".docx"):
        if token.endswith(ending):
            return ending
    return ""


class LinkMaskingFilter(logging.Filter):
    """Rewrites a record's message with every link token masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_links(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = LinkMaskingFilter()


def mask_links_in_logs() -> None:
    """Install the filter on the loggers and on the root handlers (records propagated from
    child loggers pass through handlers, not through their parents' filters)."""
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
