"""Saddle-stitch booklet imposition: A5 pages two-up on A4 landscape sides for office printers.

Print the result double-sided with "flip on short edge", fold the stack in the middle and staple
it on the fold. Backs are not rotated, because the short-edge flip already turns them.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import BooleanObject, DictionaryObject, NameObject, RectangleObject

from katern.errors import BuildError
from katern.fsutil import atomic_write

logger = logging.getLogger(__name__)

MM = 72 / 25.4
SHEET_WIDTH = 297 * MM  # A4 landscape, about 842 pt
SHEET_HEIGHT = 210 * MM  # about 595 pt
HALF_WIDTH = SHEET_WIDTH / 2  # one A5 half, about 421 pt
A5_WIDTH = 148 * MM  # about 419.5 pt
A5_HEIGHT = 210 * MM
SIZE_TOLERANCE = 1.0  # pt; a page this close to A5 is placed at true size
TITLE_SUFFIX = " (boekje)"
# The imposed booklet is made for paper only: two pages side by side, in folding order, without
# tags, links or bookmarks. It says so in its document information with a key of katern's own
# (ISO 32000-1, 14.3.3, allows extra keys there), so `katern check --pdf` recognises it and points
# to the source PDF instead of failing it as untagged. /Subject and /Keywords are left alone: they
# carry the publication's own description and keywords, copied from the source.
PRINT_ONLY_KEY = "/KaternOutput"
PRINT_ONLY_VALUE = "print-only booklet"

Side = tuple[int | None, int | None]


@dataclass(frozen=True)
class BookletInfo:
    """What `impose_booklet` made: page and sheet counts and the page order per printed side."""

    pages: int  # pages in the source
    blanks: int  # blank pages added to reach a multiple of 4
    sheets: int  # A4 sheets of paper
    sides: int  # printed sides = 2 * sheets
    scaled: bool  # True when source pages were not A5 and had to be scaled
    order: list[Side]  # per side (left page, right page), 1-based source page numbers, None = blank


def booklet_order(pages: int, back_cover: bool = False) -> list[Side]:
    """Return the (left, right) source pages of every printed side, padding with blanks (None).

    With `back_cover`, the blanks go before the last page, so the back cover stays on the outside.
    """
    if pages < 1:
        raise ValueError("a booklet needs at least one page")
    padded = -(-pages // 4) * 4
    blanks = padded - pages

    def real(number: int) -> int | None:
        if back_cover and pages > 1 and blanks:
            if number == padded:
                return pages
            return number if number < pages else None
        return number if number <= pages else None

    order: list[Side] = []
    for sheet in range(padded // 4):
        front = (padded - 2 * sheet, 2 * sheet + 1)
        back = (2 * sheet + 2, padded - 2 * sheet - 1)
        order.append((real(front[0]), real(front[1])))
        order.append((real(back[0]), real(back[1])))
    return order


def impose_booklet(source: Path, target: Path, back_cover: bool = False) -> BookletInfo:
    """Impose the PDF file `source` as a saddle-stitch booklet and write it atomically to `target`."""
    source, target = Path(source), Path(target)
    data, info = impose_booklet_data(_read_bytes(source), source, back_cover)
    atomic_write(target, data)
    return info


def _read_bytes(source: Path) -> bytes:
    """Return the bytes of `source`, raising BuildError when it cannot be read."""
    try:
        return source.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read the PDF: {exc.strerror}", path=source) from exc


def impose_booklet_data(data: bytes, source: Path, back_cover: bool = False) -> tuple[bytes, BookletInfo]:
    """Impose the PDF `data` (named `source` in messages) as a booklet on A4 landscape; return its bytes."""
    reader = _read_source(data, source)
    pages = _page_count(reader, source)
    order = booklet_order(pages, back_cover)
    writer = PdfWriter()
    scaled = False
    try:
        for left, right in order:
            side = writer.add_blank_page(SHEET_WIDTH, SHEET_HEIGHT)
            for number, x_offset in ((left, 0.0), (right, HALF_WIDTH)):
                if number is not None:
                    scaled |= _place(side, reader.pages[number - 1], x_offset)
        _copy_document_info(reader, writer, source)
        buffer = io.BytesIO()
        writer.write(buffer)
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"cannot impose the PDF as a booklet: {exc}", path=source) from exc
    sheets = len(order) // 2
    logger.debug("imposed %s: %d pages on %d sheets", source, pages, sheets)
    return buffer.getvalue(), BookletInfo(
        pages=pages,
        blanks=len(order) * 2 - pages,
        sheets=sheets,
        sides=len(order),
        scaled=scaled,
        order=order,
    )


def _read_source(data: bytes, source: Path) -> PdfReader:
    """Open `data` as a PDF, raising BuildError naming `source` when it cannot be read."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BuildError("the PDF is encrypted and cannot be imposed", path=source)
        return reader
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"cannot read the PDF: {exc}", path=source) from exc


def _page_count(reader: PdfReader, source: Path) -> int:
    """Return the number of pages, raising BuildError for a broken or empty PDF."""
    try:
        count = len(reader.pages)
    except Exception as exc:
        raise BuildError(f"cannot read the pages of the PDF: {exc}", path=source) from exc
    if count == 0:
        raise BuildError("the PDF has no pages, so there is nothing to impose", path=source)
    return count


def _place(side: PageObject, page: PageObject, x_offset: float) -> bool:
    """Merge `page` into the A5 half of `side` starting at `x_offset`; return whether it was scaled."""
    if "/Annots" in page:
        del page[NameObject("/Annots")]  # links and form fields mean nothing on a folded print
    upright, width, height = _upright(page)
    scale = _fit_scale(width, height)
    x = x_offset + (HALF_WIDTH - width * scale) / 2
    y = (SHEET_HEIGHT - height * scale) / 2
    side.merge_transformed_page(page, upright.scale(scale, scale).translate(x, y))
    return abs(scale - 1) > 1e-3


def _upright(page: PageObject) -> tuple[Transformation, float, float]:
    """Return the transformation that puts the visible page upright at (0, 0), and its size."""
    box = RectangleObject(page.cropbox)
    left, bottom = float(box.left), float(box.bottom)
    right, top = float(box.right), float(box.top)
    transform = Transformation().translate(-left, -bottom).rotate(-_rotation(page))
    corners = [transform.apply_on((x, y)) for x in (left, right) for y in (bottom, top)]
    min_x, min_y = min(c[0] for c in corners), min(c[1] for c in corners)
    width, height = max(c[0] for c in corners) - min_x, max(c[1] for c in corners) - min_y
    return transform.translate(-min_x, -min_y), width, height


def _rotation(page: PageObject) -> int:
    """Return the page's /Rotate as 0, 90, 180 or 270 (clockwise), ignoring invalid values."""
    try:
        degrees = int(page.get("/Rotate", 0))
    except (TypeError, ValueError):
        return 0
    return degrees % 360 if degrees % 90 == 0 else 0


def _fit_scale(width: float, height: float) -> float:
    """Return 1 for an A5 page, else the factor that fits the page into an A5 half."""
    if width <= 0 or height <= 0:
        raise ValueError(f"page has an empty size ({width:.1f} x {height:.1f} pt)")
    if abs(width - A5_WIDTH) <= SIZE_TOLERANCE and abs(height - A5_HEIGHT) <= SIZE_TOLERANCE:
        return 1.0
    return min(HALF_WIDTH / width, SHEET_HEIGHT / height)


def _copy_document_info(reader: PdfReader, writer: PdfWriter, source: Path) -> None:
    """Carry the source's document info and language over, marking the booklet as print-only."""
    info = _source_info(reader)
    title = info.get("/Title", "").strip() or source.stem
    info["/Title"] = title + TITLE_SUFFIX
    info[PRINT_ONLY_KEY] = PRINT_ONLY_VALUE
    writer.add_metadata(info)
    writer.root_object[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    language = reader.root_object.get("/Lang")
    if language is not None:
        writer.root_object[NameObject("/Lang")] = language.get_object()


def _source_info(reader: PdfReader) -> dict[str, str]:
    """Return the source's document info as text, without /Producer; empty when it is unreadable."""
    try:
        metadata = reader.metadata or {}
        return {str(key): str(value.get_object()) for key, value in metadata.items() if key != "/Producer"}
    except Exception:
        logger.debug("ignoring unreadable document info", exc_info=True)
        return {}
