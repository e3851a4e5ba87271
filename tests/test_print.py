"""Print production on the shipped publications: booklets, press PDFs, accessibility, reproducibility."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from katern.build import build
from katern.cli import cli
from katern.imposition import booklet_order
from katern.project import load_project
from katern.validators import verify_pdf

REPO = Path(__file__).resolve().parents[1]
MM = 72 / 25.4


@pytest.fixture(scope="module")
def extras(tmp_path_factory):
    """Build the booklet and press outputs of two publications: one A5, one A4."""
    project = load_project(REPO)
    out = tmp_path_factory.mktemp("extras")
    results = {
        r.name: r
        for r in build(project, ["maatwerk-en-ontschotting", "werkende-factoren"], ("pdf", "booklet", "press"), out)
    }
    assert all(r.ok for r in results.values()), {n: r.error for n, r in results.items()}
    return out, results


def _side_numbers(page) -> tuple[list[int], list[int]]:
    """Return the page numbers printed in the left and right halves of an imposed side."""
    width = float(page.mediabox.width)
    found: dict[str, list[int]] = {"left": [], "right": []}

    def visit(text, cm, tm, font, size):
        if re.fullmatch(r"\s*\d{1,3}\s*", text or ""):
            x = cm[4] + tm[4] * cm[0]
            found["left" if x < width / 2 else "right"].append(int(text))

    page.extract_text(visitor_text=visit)
    return found["left"], found["right"]


def test_booklet_sides_are_in_saddle_stitch_order(extras):
    out, results = extras
    source = PdfReader(out / "maatwerk-en-ontschotting.pdf")
    booklet = PdfReader(out / "maatwerk-en-ontschotting-booklet.pdf")
    pages = len(source.pages)
    order = booklet_order(pages, back_cover=True)
    assert len(booklet.pages) == len(order) == -(-pages // 4) * 2
    blanks = sum(side.count(None) for side in order)
    assert blanks == (-pages) % 4
    # Blank pages a brochure has before its back cover (to make a multiple of 4) carry no number either.
    blank = {n for n, page in enumerate(source.pages, 1) if not page.extract_text().strip()}
    for page, (left, right) in zip(booklet.pages, order, strict=True):
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((841.89, 595.28), abs=1)
        left_numbers, right_numbers = _side_numbers(page)
        # The covers (first and last page) and blank padding pages carry no page number.
        if left not in (None, 1, pages, *blank):
            assert left in left_numbers, (left, right, left_numbers, right_numbers)
        if right not in (None, 1, pages, *blank):
            assert right in right_numbers, (left, right, left_numbers, right_numbers)
    assert order[0][0] == pages  # the back cover stays on the outside; the blanks come before it
    note = " ".join(results["maatwerk-en-ontschotting"].notes)
    assert "flip on the short edge" in note and "scaled" not in note


def test_a4_publication_booklet_is_laid_out_at_a5_not_scaled(extras):
    """An A4 publication's booklet is laid out again at A5, so its text keeps its size."""
    out, results = extras
    booklet = PdfReader(out / "werkende-factoren-booklet.pdf")
    assert len(booklet.pages) == 2  # two A5 pages padded to four, two sides
    note = " ".join(results["werkende-factoren"].notes)
    assert "laid out at A5 (the PDF is A4)" in note and "scaled" not in note
    text = " ".join(page.extract_text() for page in booklet.pages)
    assert "Alle gemeenten" in text and "Weet wat werkt" in text  # every factor, the first and the last
    for page in booklet.pages:
        content = page.get_contents().get_data().decode("latin-1")
        assert not re.search(r"\b0\.707\d* 0\.0 0\.0 0\.707", content), "the A5 pages are placed at true size"


@pytest.mark.parametrize("name", ["maatwerk-en-ontschotting", "werkende-factoren"])
def test_press_pdf_has_bleed_and_trim_boxes(extras, name):
    out, _ = extras
    plain = PdfReader(out / f"{name}.pdf").pages[0]
    press = PdfReader(out / f"{name}-press.pdf")
    for page in press.pages:
        trim, bleed = page.trimbox, page.bleedbox
        assert float(trim.width) == pytest.approx(float(plain.mediabox.width), abs=0.5)
        assert float(trim.height) == pytest.approx(float(plain.mediabox.height), abs=0.5)
        assert float(bleed.width) - float(trim.width) == pytest.approx(6 * MM, abs=0.5)
        assert float(bleed.left) == pytest.approx(float(trim.left) - 3 * MM, abs=0.5)
        assert float(page.mediabox.width) >= float(bleed.width)
    verification = verify_pdf(out / f"{name}-press.pdf")
    assert verification.passed, verification.summary()


def test_every_shipped_publication_passes_both_validators_and_has_its_report(shipped):
    import json

    _project, out, results = shipped
    for name in results:
        verification = verify_pdf(out / f"{name}.pdf")
        assert verification.passed, (name, verification.summary())
        assert {run.name for run in verification.runs} == {"page-validation", "outloud"}
        report = json.loads((out / f"{name}.accessibility.json").read_text(encoding="utf-8"))
        page = (out / f"{name}.accessibility.html").read_text(encoding="utf-8")
        assert report and "Matterhorn" in page, name


def test_check_pdf_command_names_the_failing_point(shipped, tmp_path):
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    _project, out, _ = shipped
    good = out / "werkende-factoren.pdf"
    writer = PdfWriter(clone_from=good)
    del writer._root_object[NameObject("/Lang")]
    broken = tmp_path / "no-language.pdf"
    writer.write(broken)
    runner = CliRunner()
    ok = runner.invoke(cli, ["check", "--pdf", str(good)])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(cli, ["check", "--pdf", str(good), "--pdf", str(broken)])
    assert bad.exit_code == 1
    assert "no-language.pdf: FAIL" in bad.output and "Matterhorn 11" in bad.output
    assert "1 of 2 PDF(s) pass" in bad.output


def test_fit_warning_names_the_item_and_overflow(tmp_path):
    import shutil

    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    pub = tmp_path / "content" / "publications" / "integraal-werken-noord.yaml"
    pub.write_text(pub.read_text(encoding="utf-8") + "max_pages: 1\nstory_max_pages: 1\n", encoding="utf-8")
    project = load_project(tmp_path)
    [result] = build(project, ["integraal-werken-noord"], ("pdf",), tmp_path / "build")
    assert result.ok
    text = " ".join(result.warnings)
    assert re.search(r"the publication has (\d+) pages, \d+ more than its budget of 1", text)
    [strict] = build(project, ["integraal-werken-noord"], ("pdf",), tmp_path / "strict", strict=True)
    assert not strict.ok and "max_pages" in strict.error


def test_two_builds_are_byte_identical(shipped, tmp_path):
    project, first, results = shipped
    second = {r.name: r for r in build(project, None, ("pdf", "html"), tmp_path)}
    assert set(second) == set(results)
    for name in results:
        for suffix in (".pdf", ".html"):
            a, b = (first / f"{name}{suffix}").read_bytes(), (tmp_path / f"{name}{suffix}").read_bytes()
            assert a == b, f"{name}{suffix} differs between two builds"
    metadata = PdfReader(first / "van-nul-tot-later.pdf").metadata
    assert metadata["/CreationDate"].startswith("D:20170901000000")  # the publication's date, not the clock
    assert metadata["/ModDate"].startswith("D:20170901000000")


def test_source_date_epoch_overrides_the_publication_date(monkeypatch):
    import datetime as dt

    from katern.pdf import build_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_date(dt.date(2018, 10, 8)) == dt.datetime(2018, 10, 8, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1538956800")
    assert build_date(dt.date(2017, 9, 1)) == dt.datetime(2018, 10, 8, tzinfo=dt.UTC)
