"""A small, thread-safe, in-process LRU for things rendered once and served many times."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any


class RenderedPages:
    """Rendered pages or documents, keyed by whatever decides their bytes."""

    def __init__(self, maxsize: int = 64):
        self._pages: OrderedDict[tuple, Any] = OrderedDict()
        self._maxsize = maxsize
        self._lock = Lock()

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)

    def put(self, key: tuple, page: Any) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self._maxsize:
                self._pages.popitem(last=False)
