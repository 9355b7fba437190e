"""Where a `next=` parameter may send the visitor: only a plain path on this site."""

from __future__ import annotations


def is_safe_next(target: str | None) -> bool:
    """Whether `target` is a local path a browser cannot read as another site.

    Browsers drop tabs and newlines and read a backslash as "/", so "/<tab>/evil.example"
    or "/\\evil.example" would leave the site: only a plain local path is followed.
    """
    return bool(
        target and len(target) <= 2000 and target.startswith("/")
        and not target.startswith("//") and "\\" not in target
        and not any(ord(c) < 33 or c == "\x7f" for c in target)
    )


def safe_next(target: str | None, default: str) -> str:
    return target if is_safe_next(target) else default
