"""Press output a print shop accepts, and brochure page counts that fold: built from the shipped publications.

The press PDF has its TrimBox at the page size, its BleedBox 3 mm outside it, and a MediaBox large enough
for crop marks outside the bleed; the orange cover panels run into the bleed; a brochure has a multiple
of 4 pages, padded with blank pages before its back cover.
"""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from katern.build import build
from katern.project import load_project
from katern.render import _render, build_context, get_template, make_environment

REPO = Path(__file__).resolve().parents[1]
MM = 72 / 25.4  # points per millimetre
BLEED = 3 * MM
PX_PER_MM = 8  # render scale of the pixel tests
ORANGE = (0xE1, 0x70, 0x00)
BROCHURES = ["maatwerk-en-ontschotting", "van-nul-tot-later"]


@pytest.fixture(scope="module")
def press(tmp_path_factory):
    """Build the screen and press PDFs of the two shipped brochures (one A5, one A4) and the A4 handout."""
    project = load_project(REPO)
    out = tmp_path_factory.mktemp("press")
    results = {r.name: r for r in build(project, [*BROCHURES, "werkende-factoren"], ("pdf", "press"), out)}
    assert all(r.ok for r in results.values()), {n: r.error for n, r in results.items()}
    return out


def _box(page, name: str) -> tuple[float, float, float, float]:
    box = getattr(page, name)
    return float(box.left), float(box.bottom), float(box.right), float(box.top)


@pytest.mark.parametrize("name", [*BROCHURES, "werkende-factoren"])
def test_press_boxes_trim_bleed_and_room_for_marks(press, name):
    screen = PdfReader(press / f"{name}.pdf").pages[0]
    width, height = float(screen.mediabox.width), float(screen.mediabox.height)
    for number, page in enumerate(PdfReader(press / f"{name}-press.pdf").pages, 1):
        tx0, ty0, tx1, ty1 = _box(page, "trimbox")
        assert (tx1 - tx0, ty1 - ty0) == pytest.approx((width, height), abs=0.5), f"page {number}: TrimBox"
        bleed = _box(page, "bleedbox")
        assert bleed == pytest.approx((tx0 - BLEED, ty0 - BLEED, tx1 + BLEED, ty1 + BLEED), abs=0.3), (
            f"page {number}: the BleedBox must be the TrimBox plus 3 mm on every side"
        )
        mx0, my0, mx1, my1 = _box(page, "mediabox")
        # Crop marks need room outside the bleed: at least 5 mm more on every side.
        assert mx0 <= bleed[0] - 5 * MM and my0 <= bleed[1] - 5 * MM, f"page {number}: MediaBox too small"
        assert mx1 >= bleed[2] + 5 * MM and my1 >= bleed[3] + 5 * MM, f"page {number}: MediaBox too small"


def _render_page(path: Path, index: int):
    """Render one page of a press PDF; return the image and a function from PDF points to pixels."""
    document = pdfium.PdfDocument(path)
    page = document[index % len(document)]
    image = page.render(scale=PX_PER_MM / MM).to_pil().convert("RGB")
    reader_page = PdfReader(path).pages[index]
    left, _bottom, _right, top = _box(reader_page, "mediabox")

    def to_px(x: float, y: float) -> tuple[int, int]:
        return round((x - left) / MM * PX_PER_MM), round((top - y) / MM * PX_PER_MM)

    return image, to_px, reader_page


def _is_orange(pixel) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(pixel, ORANGE, strict=True))


@pytest.mark.parametrize("name", BROCHURES)
@pytest.mark.parametrize("index", [0, -1], ids=["cover", "back-cover"])
def test_cover_panels_run_into_the_bleed(press, name, index):
    image, to_px, page = _render_page(press / f"{name}-press.pdf", index)
    tx0, ty0, tx1, _ty1 = _box(page, "trimbox")
    pixels = image.load()
    # Halfway between the trim and the bleed edge, on the outer edges the panel touches: left, right, bottom.
    y_low = ty0 + 20 * MM  # a height the panel covers on both covers
    samples = {
        "left": to_px(tx0 - BLEED / 2, y_low),
        "right": to_px(tx1 + BLEED / 2, y_low),
        "bottom": to_px((tx0 + tx1) / 2, ty0 - BLEED / 2),
        "bottom-left corner": to_px(tx0 - BLEED / 2, ty0 - BLEED / 2),
        "bottom-right corner": to_px(tx1 + BLEED / 2, ty0 - BLEED / 2),
    }
    for where, (x, y) in samples.items():
        assert _is_orange(pixels[x, y]), f"{name} page {index}: the bleed at the {where} is {pixels[x, y]}, not orange"
    # ... and not further: outside the bleed the sheet stays white (the crop marks go there).
    x, y = to_px(tx0 - BLEED - 1 * MM, y_low)
    assert pixels[x, y] == (255, 255, 255), f"{name} page {index}: the panel runs past the bleed"


@pytest.mark.parametrize("name", BROCHURES)
@pytest.mark.parametrize("index", [0, 2], ids=["cover", "inside-page"])
def test_crop_marks_lie_outside_the_bleed(press, name, index):
    image, to_px, page = _render_page(press / f"{name}-press.pdf", index)
    pixels = image.load()
    width, height = image.size
    trim = _box(page, "trimbox")
    bleed = _box(page, "bleedbox")
    (tl, tt), (tr, tb) = to_px(trim[0], trim[3]), to_px(trim[2], trim[1])
    (bl, bt), (br, bb) = to_px(bleed[0], bleed[3]), to_px(bleed[2], bleed[1])
    corners = {"top-left": 0, "top-right": 0, "bottom-left": 0, "bottom-right": 0}
    inside_bleed = []
    for y in range(height):
        # Outside the trim only: the page itself is not looked at.
        xs = [*range(tl), *range(tr, width)] if tt <= y < tb else range(width)
        for x in xs:
            r, g, b = pixels[x, y]
            if r + g + b > 3 * 100:
                continue  # not dark
            if bl + 1 <= x < br - 1 and bt + 1 <= y < bb - 1:
                inside_bleed.append((x, y))
                continue
            vertical = "top" if y < tt else "bottom" if y >= tb else ("top" if y < height / 2 else "bottom")
            horizontal = "left" if x < tl else "right" if x >= tr else ("left" if x < width / 2 else "right")
            corners[f"{vertical}-{horizontal}"] += 1
    assert not inside_bleed, f"{name} page {index}: dark pixels inside the bleed, e.g. {inside_bleed[:3]}"
    assert all(corners.values()), f"{name} page {index}: crop marks missing at some corners: {corners}"


@pytest.mark.parametrize("name", BROCHURES)
@pytest.mark.parametrize("suffix", ["", "-press"], ids=["screen", "press"])
def test_brochure_page_count_is_a_multiple_of_four(press, name, suffix):
    pages = PdfReader(press / f"{name}{suffix}.pdf").pages
    assert len(pages) % 4 == 0, f"{name}{suffix}.pdf has {len(pages)} pages"


@pytest.mark.parametrize("name", BROCHURES)
@pytest.mark.parametrize("suffix", ["", "-press"], ids=["screen", "press"])
def test_blank_pages_come_only_between_the_colophon_and_the_back_cover(press, name, suffix):
    """The padding is deliberate: fewer than 4 blank pages, after the colophon, before the back cover, or
    one before a two-page story so that its pages face each other (makeup.place_blank_pages)."""
    texts = [page.extract_text().strip() for page in PdfReader(press / f"{name}{suffix}.pdf").pages]
    colophon = max(i for i, text in enumerate(texts) if text.startswith("Colofon"))
    blanks = [i for i, text in enumerate(texts) if not text]  # blank: no text, no folio, no running head
    facing = [i for i in blanks if i < colophon]
    for i in facing:  # 0-based i: the story after it starts on page i + 2, an even, left-hand page
        assert i % 2 == 0 and texts[i + 1] and texts[i - 1], (i, facing)
    assert blanks[len(facing) :] == list(range(colophon + 1, len(texts) - 1)), (colophon, blanks, len(texts))
    assert len(blanks) < 4
    assert texts[-1] and "Ministerie van Volksgezondheid" in texts[-1]  # the back cover stays last


def test_blank_pages_partial_puts_empty_pages_before_the_back_cover():
    """build_context's blank_pages reaches the brochure layout; without it there is none."""
    project = load_project(REPO)
    pub = project.publications["maatwerk-en-ontschotting"]
    theme = project.styles[pub.theme]
    template = get_template(make_environment(project), pub.layout_spec.template)

    def html(**kwargs) -> str:
        context = build_context(project, pub, "print", theme, **kwargs)
        return _render(template, {**context, "css": "", "page_size": pub.page_size})

    assert 'class="blank-page"' not in html()
    padded = html(blank_pages=3)
    assert padded.count('<div class="blank-page"></div>') == 3
    assert padded.rindex('class="blank-page"') < padded.index('class="back-cover"')
    assert padded.index('id="colofon"') < padded.index('class="blank-page"')
