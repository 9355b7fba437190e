"""The snapshot as files: a standalone SVG and a PDF (WeasyPrint, fetching nothing)."""

from __future__ import annotations

import base64
import threading

from flask import Response, current_app, render_template
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.utils import secure_filename

from intake.cache import RenderedPages
from intake.pdf_options import ACCESSIBLE_PDF
from intake.snapshot.data import Snapshot

PDF_FONTS = '"Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC", sans-serif'


def _filename(snapshot: Snapshot, extension: str) -> str:
    stem = secure_filename(snapshot.city.name).lower() or f"city-{snapshot.city.id}"
    return f"{stem}-snapshot.{extension}"


def svg_text(snapshot: Snapshot, *, standalone: bool = True, with_text: bool = True) -> str:
    return render_template("snapshot/wheel.svg", snapshot=snapshot, wheel=snapshot.wheel,
                           standalone=standalone, with_text=with_text, fonts=PDF_FONTS)


def render_svg(snapshot: Snapshot) -> Response:
    response = Response(svg_text(snapshot), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename(snapshot, "svg")}"')
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _fetcher():
    from weasyprint.urls import URLFetcher

    class DataOnlyFetcher(URLFetcher):
        """Only inline data: URLs; files, hosts and redirects are refused (SSRF, LFI)."""

        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                raise ValueError(f"refusing to fetch {url[:80]!r}: the snapshot is self-contained")
            return super().fetch(url, headers)

    return DataOnlyFetcher(allowed_protocols=["data"], allow_redirects=False)


WHEEL_MM = 150  # the wheel's width on the PDF page


def _spot(wheel, label, units: float, lines, *, bold: bool = False) -> dict:
    """Where an HTML label goes over the wheel image: percent offsets, turn, side, size."""
    half = wheel.radii.half_size
    if label.anchor == "middle":
        side = "middle"
    else:
        # SVG anchors are logical (start/end); HTML boxes need the physical side.
        side = "grow-right" if (label.anchor == "start") != wheel.rtl else "grow-left"
    lines = [line for line in lines if line]
    return {"left": f"{(label.x + half) / (2 * half) * 100:.3f}",
            "top": f"{(label.y + half) / (2 * half) * 100:.3f}",
            "rotate": f"{label.rotate:.2f}", "side": side, "bold": bold, "lines": lines,
            "size_mm": f"{units * WHEEL_MM / (2 * half):.2f}",
            "shift_em": f"{len(lines) * 0.6:.2f}"}


def pdf_spots(snapshot: Snapshot) -> list[dict]:
    """The wheel's text as HTML labels: category names and scores, dimensions, the city."""
    from dataclasses import replace

    from flask_babel import format_percent

    def percent(value):
        return "–" if value is None else format_percent(value / 100, "#,##0.#%")

    wheel = snapshot.wheel
    spots = []
    for segment in wheel.categories:
        spots.append(_spot(wheel, segment.label, 20, segment.label.lines))
        if segment.mid_arc >= 18:
            spots.append(_spot(wheel, segment.value_label, 17 if segment.mid_arc >= 28 else 14,
                               [percent(segment.percent)], bold=True))
    for segment in wheel.dimensions:
        spots.append(_spot(wheel, segment.label, 19,
                           [*segment.label.lines, percent(segment.percent)], bold=True))
    name = snapshot.city.name if len(snapshot.city.name) <= 12 else snapshot.city.name[:11] + "…"
    centre = replace(wheel.dimensions[0].label, x=0.0, y=0.0, rotate=0.0, anchor="middle")
    spots.append(_spot(wheel, centre, 18, [name], bold=True))
    return spots


def pdf_bytes(snapshot: Snapshot) -> bytes:
    from weasyprint import HTML

    # WeasyPrint draws SVG text letter by letter, which breaks Arabic joining; the PDF
    # draws the wheel's shapes as SVG and lays its labels over it as HTML (shaped by Pango).
    svg = svg_text(snapshot, standalone=True, with_text=False)
    wheel_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    html = render_template("snapshot/pdf.html", snapshot=snapshot, wheel_uri=wheel_uri,
                           fonts=PDF_FONTS, spots=pdf_spots(snapshot), size_mm=WHEEL_MM)
    return HTML(string=html, url_fetcher=_fetcher(), base_url=None).write_pdf(**ACCESSIBLE_PDF)


# A snapshot PDF costs about 2 s of CPU: one is made per state of the city's data (the
# fingerprint in the key) and language, and only a few at a time in each process.
_rendered_pdfs = RenderedPages(maxsize=32)
_pdf_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    size = current_app.config["SNAPSHOT_PDF_CONCURRENCY"]
    with _slots_lock:
        return _pdf_slots.setdefault(size, threading.BoundedSemaphore(size))


def render_pdf(snapshot: Snapshot, key: tuple | None = None) -> Response:
    data = _rendered_pdfs.get(key) if key is not None else None
    if data is None:
        slots = _slots()
        if not slots.acquire(timeout=current_app.config["SNAPSHOT_PDF_WAIT"]):
            raise ServiceUnavailable(retry_after=30)
        try:
            data = pdf_bytes(snapshot)
        finally:
            slots.release()
        if key is not None:
            _rendered_pdfs.put(key, data)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename(snapshot, "pdf")}"')
    return response
