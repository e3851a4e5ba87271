"""Tests for saddle-stitch booklet imposition."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader, PdfWriter

from katern.errors import BuildError
from katern.imposition import HALF_WIDTH, BookletInfo, booklet_order, impose_booklet


def make_pdf(path: Path, pages: int, size: str = "A5", title: str = "Proef") -> Path:
    """Render a PDF whose pages each say 'PAGINA n' in big letters."""
    sections = "".join(
        f'<section style="break-after: page"><p style="font-size: 40pt">PAGINA {n}</p></section>'
        for n in range(1, pages + 1)
    )
    html = (
        f'<html lang="nl"><head><title>{title}</title><style>@page {{ size: {size}; margin: 15mm }}</style>'
        f"</head><body>{sections}</body></html>"
    )
    weasyprint.HTML(string=html).write_pdf(path)
    return path


def pages_on_side(page) -> tuple[list[int], list[int]]:
    """Return the page numbers printed on the left and on the right half of an imposed side."""
    halves: tuple[list[int], list[int]] = ([], [])

    def visit(text, cm, tm, font, size):
        match = re.search(r"PAGINA (\d+)", text)
        if match:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            halves[x >= HALF_WIDTH].append(int(match.group(1)))

    page.extract_text(visitor_text=visit)
    return halves


@pytest.mark.parametrize(
    ("pages", "sides", "blanks"),
    [(1, 2, 3), (4, 2, 0), (5, 4, 3), (8, 4, 0), (16, 8, 0), (17, 10, 3)],
)
def test_booklet_order_pads_to_a_multiple_of_four(pages, sides, blanks):
    order = booklet_order(pages)
    assert len(order) == sides
    numbers = [n for side in order for n in side]
    assert numbers.count(None) == blanks
    assert sorted(n for n in numbers if n is not None) == list(range(1, pages + 1))


def test_booklet_order_for_eight_pages():
    assert booklet_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]


def test_booklet_order_puts_blanks_at_the_end():
    assert booklet_order(5) == [(None, 1), (2, None), (None, 3), (4, 5)]


def test_booklet_order_needs_a_page():
    with pytest.raises(ValueError):
        booklet_order(0)


def test_impose_six_a5_pages(tmp_path):
    source = make_pdf(tmp_path / "a5.pdf", 6)
    target = tmp_path / "out" / "boekje.pdf"

    info = impose_booklet(source, target)

    assert info == BookletInfo(
        pages=6,
        blanks=2,
        sheets=2,
        sides=4,
        scaled=False,
        order=[(None, 1), (2, None), (6, 3), (4, 5)],
    )
    reader = PdfReader(target)
    assert len(reader.pages) == 4
    for page in reader.pages:
        assert float(page.mediabox.width) == pytest.approx(842, abs=1)
        assert float(page.mediabox.height) == pytest.approx(595, abs=1)
    sides = [pages_on_side(page) for page in reader.pages]
    assert sides == [([], [1]), ([2], []), ([6], [3]), ([4], [5])]
    text = reader.pages[2].extract_text()
    assert text.index("PAGINA 6") < text.index("PAGINA 3")


def test_impose_keeps_title_and_language(tmp_path):
    source = make_pdf(tmp_path / "a5.pdf", 2, title="Buurtgids")
    target = tmp_path / "boekje.pdf"

    impose_booklet(source, target)

    reader = PdfReader(target)
    assert reader.metadata.title == "Buurtgids (boekje)"
    assert reader.trailer["/Root"]["/Lang"] == "nl"


def test_a4_pages_are_scaled_to_a5(tmp_path):
    source = make_pdf(tmp_path / "a4.pdf", 4, size="A4")
    target = tmp_path / "boekje.pdf"

    info = impose_booklet(source, target)

    assert info.scaled is True
    assert info.sides == 2 and info.blanks == 0
    reader = PdfReader(target)
    assert [pages_on_side(page) for page in reader.pages] == [([4], [1]), ([2], [3])]
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert re.search(r"\b0\.707\d* 0\.0 0\.0 0\.707\d* ", content), "A4 is scaled by 1/sqrt(2)"


def test_rotated_page_is_placed_upright(tmp_path):
    source = make_pdf(tmp_path / "a5.pdf", 2)
    writer = PdfWriter(clone_from=source)
    writer.pages[0].rotation = 90
    rotated = tmp_path / "rotated.pdf"
    writer.write(rotated)

    info = impose_booklet(rotated, tmp_path / "boekje.pdf")

    assert info.scaled is True  # displayed as A5 landscape, so it must shrink to fit the half
    reader = PdfReader(tmp_path / "boekje.pdf")
    assert pages_on_side(reader.pages[0]) == ([], [1])


def test_bad_source_raises_and_writes_nothing(tmp_path):
    source = tmp_path / "kapot.pdf"
    source.write_bytes(b"this is not a PDF")
    target = tmp_path / "boekje.pdf"

    with pytest.raises(BuildError) as raised:
        impose_booklet(source, target)

    assert raised.value.path == source
    assert "kapot.pdf" in raised.value.format_message()
    assert not target.exists()
    assert list(tmp_path.iterdir()) == [source]


def test_missing_source_raises(tmp_path):
    with pytest.raises(BuildError) as raised:
        impose_booklet(tmp_path / "weg.pdf", tmp_path / "boekje.pdf")
    assert raised.value.path == tmp_path / "weg.pdf"


def test_source_without_pages_raises(tmp_path):
    source = tmp_path / "leeg.pdf"
    PdfWriter().write(source)
    target = tmp_path / "boekje.pdf"

    with pytest.raises(BuildError, match="no pages") as raised:
        impose_booklet(source, target)

    assert raised.value.path == source
    assert not target.exists()


def test_back_cover_stays_outside_when_padding():
    order = booklet_order(5, back_cover=True)
    assert order == [(5, 1), (2, None), (None, 3), (4, None)]
    assert booklet_order(8, back_cover=True) == booklet_order(8)
