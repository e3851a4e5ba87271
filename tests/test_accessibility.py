"""Tests for the machine-checkable PDF/UA points."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from katern.accessibility import Check, check_pdf, failed
from katern.errors import BuildError

NAMES = ["tagged", "language", "title", "fonts-embedded", "figure-alt", "heading-levels", "bookmarks"]
DOT_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
GOOD_BODY = '<h1>Buurtgids</h1><p>Tekst.</p><h2>Initiatieven</h2><img src="dot.png" alt="Een rode stip"><h3>Tuin</h3>'


def render(
    folder: Path,
    body: str = GOOD_BODY,
    lang: str | None = "nl",
    title: str = "Test",
    variant: str | None = "pdf/ua-1",
    name: str = "doc.pdf",
) -> Path:
    """Render an HTML body to a PDF with WeasyPrint, as PDF/UA unless told otherwise."""
    (folder / "dot.png").write_bytes(DOT_PNG)
    lang_attr = f' lang="{lang}"' if lang else ""
    html = (
        f"<html{lang_attr}><head><title>{title}</title><style>@page {{ size: A5 }}</style></head>"
        f"<body>{body}</body></html>"
    )
    target = folder / name
    options = {"pdf_variant": variant} if variant else {}
    weasyprint.HTML(string=html, base_url=str(folder)).write_pdf(target, **options)
    return target


def results(path: Path) -> dict[str, Check]:
    """Run the checks and index them by name."""
    checks = check_pdf(path)
    assert [check.name for check in checks] == NAMES
    return {check.name: check for check in checks}


def failing(path: Path) -> set[str]:
    """Return the names of the failing checks."""
    return {check.name for check in failed(check_pdf(path))}


def struct_elements(writer: PdfWriter, structure_type: str) -> list[DictionaryObject]:
    """Return the structure elements of one type in a PDF opened for editing."""
    found = []
    stack = [writer.root_object["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if node.get("/S") == structure_type:
            found.append(node)
        kids = node.get("/K")
        kids = kids.get_object() if kids is not None else []
        kids = kids if isinstance(kids, list) else [kids]
        stack.extend(kid.get_object() for kid in kids if isinstance(kid.get_object(), DictionaryObject))
    return found


def test_good_pdf_passes_every_check(tmp_path):
    checks = results(render(tmp_path))

    assert failed(list(checks.values())) == []
    assert checks["language"].detail == "document language is 'nl'"
    assert "Test" in checks["title"].detail and "title bar" in checks["title"].detail
    assert "1 figure" in checks["figure-alt"].detail
    assert "3 heading" in checks["heading-levels"].detail


def test_untagged_pdf_fails_tagged(tmp_path):
    checks = results(render(tmp_path, variant=None))

    assert not checks["tagged"].passed
    assert "pdf/ua-1" in checks["tagged"].detail
    assert not checks["figure-alt"].passed and "structure tree" in checks["figure-alt"].detail
    assert checks["language"].passed and checks["fonts-embedded"].passed


def test_missing_language_fails_language(tmp_path):
    checks = results(render(tmp_path, lang=None))

    assert failing(tmp_path / "doc.pdf") == {"language"}
    assert "lang" in checks["language"].detail


def test_missing_title_fails_title(tmp_path):
    path = render(tmp_path, title="")

    assert failing(path) == {"title"}
    assert "<title>" in results(path)["title"].detail


def test_title_not_shown_fails_title(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    del writer.root_object["/ViewerPreferences"]
    writer.write(tmp_path / "edited.pdf")

    check = results(tmp_path / "edited.pdf")["title"]

    assert not check.passed
    assert "DisplayDocTitle" in check.detail


def test_image_without_alt_fails_figure_alt(tmp_path):
    body = '<h1>Kop</h1><img src="dot.png" alt="Stip"><img src="dot.png">'
    check = results(render(tmp_path, body=body))["figure-alt"]

    assert not check.passed
    assert check.detail.startswith("1 of 2 figure(s) lack alternative text (on page 1)")


def test_figure_with_alt_removed_fails_figure_alt(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    (figure,) = struct_elements(writer, "/Figure")
    del figure["/Alt"]
    writer.write(tmp_path / "edited.pdf")

    assert failing(tmp_path / "edited.pdf") == {"figure-alt"}


def test_actual_text_counts_as_alt(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    (figure,) = struct_elements(writer, "/Figure")
    del figure["/Alt"]
    figure[NameObject("/ActualText")] = TextStringObject("Een stip")
    writer.write(tmp_path / "edited.pdf")

    assert failing(tmp_path / "edited.pdf") == set()


def test_skipped_heading_level_fails(tmp_path):
    check = results(render(tmp_path, body="<h1>Een</h1><h2>Twee</h2><h1>Weer een</h1><h3>Drie</h3>"))["heading-levels"]

    assert not check.passed
    assert check.detail.startswith("H3 follows H1")


def test_first_heading_must_be_h1(tmp_path):
    check = results(render(tmp_path, body="<h2>Twee</h2><h3>Drie</h3>"))["heading-levels"]

    assert not check.passed
    assert "first heading is H2" in check.detail


def test_role_mapped_headings_are_checked(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path, body="<h1>Een</h1><h2>Twee</h2>"))
    (heading,) = struct_elements(writer, "/H2")
    heading[NameObject("/S")] = NameObject("/Kop3")
    root = writer.root_object["/StructTreeRoot"].get_object()
    root[NameObject("/RoleMap")] = DictionaryObject({NameObject("/Kop3"): NameObject("/H3")})
    writer.write(tmp_path / "edited.pdf")

    check = results(tmp_path / "edited.pdf")["heading-levels"]

    assert not check.passed
    assert check.detail.startswith("H3 follows H1")


def test_no_headings_means_no_bookmarks(tmp_path):
    path = render(tmp_path, body="<p>Alleen tekst.</p>")

    assert failing(path) == {"bookmarks"}
    assert results(path)["heading-levels"].passed


def test_font_that_is_not_embedded_fails(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    helvetica = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    form = DecodedStreamObject()
    form.set_data(b"BT /Helv 12 Tf (x) Tj ET")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(NumberObject(n) for n in (0, 0, 10, 10)),
            NameObject("/Resources"): DictionaryObject(
                {NameObject("/Font"): DictionaryObject({NameObject("/Helv"): writer._add_object(helvetica)})}
            ),
        }
    )
    resources = writer.pages[0]["/Resources"].get_object()
    resources.setdefault(NameObject("/XObject"), DictionaryObject())
    resources["/XObject"].get_object()[NameObject("/Extra")] = writer._add_object(form)
    writer.write(tmp_path / "edited.pdf")

    check = results(tmp_path / "edited.pdf")["fonts-embedded"]

    assert not check.passed
    assert check.detail.startswith("1 font(s) not embedded: Helvetica")


def test_deep_and_cyclic_structure_tree_does_not_crash(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    (document,) = struct_elements(writer, "/Document")
    parent = document
    for _ in range(5000):
        child = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"), NameObject("/S"): NameObject("/Div")})
        reference = writer._add_object(child)
        parent[NameObject("/K")] = ArrayObject([*parent.get("/K", ArrayObject()), reference])
        parent = child
    parent[NameObject("/K")] = ArrayObject([document.indirect_reference])  # a cycle back to the top
    parent[NameObject("/K")].append(writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/Figure")})))
    writer.write(tmp_path / "edited.pdf")

    check = results(tmp_path / "edited.pdf")["figure-alt"]

    assert not check.passed
    assert check.detail.startswith("1 of 2 figure(s)")


def test_bare_pdf_gives_failed_checks_not_errors(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(tmp_path / "bare.pdf")

    assert failing(tmp_path / "bare.pdf") == {
        "tagged",
        "language",
        "title",
        "figure-alt",
        "heading-levels",
        "bookmarks",
    }


def test_unreadable_file_raises_build_error(tmp_path):
    path = tmp_path / "kapot.pdf"
    path.write_bytes(b"%PDF-1.7 nothing here")

    with pytest.raises(BuildError) as raised:
        check_pdf(path)

    assert raised.value.path == path


def test_missing_file_raises_build_error(tmp_path):
    with pytest.raises(BuildError) as raised:
        check_pdf(tmp_path / "weg.pdf")
    assert raised.value.path == tmp_path / "weg.pdf"
