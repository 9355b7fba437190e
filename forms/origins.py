"""Data origins (who produced a figure): a configurable list of stable codes and labels.

The U4SSC Verification Manual (2022, p163) describes a column U in the city's data collection
template where the origin of each value is picked from three choices, but the published page
repeats the last three data-quality choices instead of that list. The list is therefore data
(forms/data/data_origins.json), checked on load, rather than a copy of the misprint.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ORIGINS_FILE = Path(__file__).parent / "data" / "data_origins.json"
MAX_ORIGIN_CODE = 40
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # at most MAX_ORIGIN_CODE characters


class OriginsError(ValueError):
    """The origins file is malformed."""


@dataclass(frozen=True)
class DataOrigin:
    code: str  # stable: stored with each value, used in the API, workbooks and exports
    label: str  # English; the msgid of its translation


def build_origins(data: object) -> tuple[DataOrigin, ...]:
    """Check the file's content: a non-empty list of unique, well-formed codes with labels."""
    items = data.get("origins") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise OriginsError("'origins' must be a non-empty list")
    found: list[DataOrigin] = []
    for item in items:
        code = item.get("code") if isinstance(item, dict) else None
        label = item.get("label") if isinstance(item, dict) else None
        if not isinstance(code, str) or not _CODE.match(code):
            raise OriginsError(f"origin code {code!r} must be lower-case letters, digits, _")
        if not isinstance(label, str) or not label.strip():
            raise OriginsError(f"origin {code!r} has no label")
        if any(o.code == code for o in found):
            raise OriginsError(f"origin code {code!r} appears twice")
        found.append(DataOrigin(code, label.strip()))
    return tuple(found)


@lru_cache(maxsize=4)
def load_origins(path: Path = ORIGINS_FILE) -> tuple[DataOrigin, ...]:
    """The origins, in the order they are offered."""
    return build_origins(json.loads(path.read_text(encoding="utf-8")))


def origin_codes() -> tuple[str, ...]:
    return tuple(o.code for o in load_origins())


def read_origin(text: object) -> tuple[str | None, bool]:
    """(code, known) for a posted or imported origin: blank is (None, True); a code not in
    the list is (None, False), for the caller to refuse."""
    if text is None:
        return None, True
    code = str(text).strip()
    if not code:
        return None, True
    return (code, True) if code in origin_codes() else (None, False)
