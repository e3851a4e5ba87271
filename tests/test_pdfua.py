"""PDF/UA-1 repair (katern.pdfua) on real katern PDFs, checked by two independent validators, plus the two
source fixes the repair cannot make: bare addresses become links (markup.autolink) and the sender bar is a
border, not an empty element.

The build repairs and validates every PDF itself; to see what WeasyPrint writes, these tests build with
the repair and the validator gate switched off (`weasyprint_only`) and apply `make_accessible` here.
Validators: page-validation (profile ua1) and outloud. Looks are compared with pypdfium2 renders, text with
pypdf, structure with pikepdf.
"""

from __future__ import annotations

import ctypes
import html.parser
import io
import logging
import re
from contextlib import contextmanager
from pathlib import Path

import outloud
import page as page_validation
import pikepdf
import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from PIL import Image

from conftest import REPO, record_front, write_record
from katern.build import build
from katern.errors import BuildError
from katern.markup import autolink, clean_html, long_words, markdown_raw, to_html
from katern.pdfua import make_accessible
from katern.project import load_project

SHIPPED = ("integraal-werken-zuid", "werkende-factoren")


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------


def validate(data: bytes, folder: Path, name: str = "check.pdf"):
    """Run both validators on `data`; return (page-validation report, outloud result)."""
    path = folder / name
    path.write_bytes(data)
    return page_validation.validate_pdf_bytes(data, profile="ua1"), outloud.check(str(path))


def assert_clean(data: bytes, folder: Path, name: str = "check.pdf") -> None:
    """Assert that both validators accept `data` without a failed rule, error, warning or crashed run."""
    report, result = validate(data, folder, name)
    assert report.is_compliant and report.rules.failed == 0, [(f.rule_id, f.message) for f in report.failures]
    findings = [(f.severity, f.rule, f.message) for f in result.sorted_findings()]
    assert result.errors == 0 and result.warnings == 0, findings
    assert not [r.rule for r in result.runs if r.status == "crashed"]


def kids(node) -> list:
    k = node.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def is_element(obj) -> bool:
    return isinstance(obj, pikepdf.Dictionary) and "/S" in obj


def elements(pdf: pikepdf.Pdf) -> list:
    """Every structure element reachable from the StructTreeRoot, in document order."""
    found, stack = [], list(reversed(kids(pdf.Root.StructTreeRoot)))
    while stack:
        node = stack.pop()
        if is_element(node):
            found.append(node)
            stack.extend(reversed(kids(node)))
    return found


def has_content(node) -> bool:
    if not isinstance(node, pikepdf.Dictionary):
        return True  # an MCID
    if node.get("/Type") in ("/OBJR", "/MCR") or "/Alt" in node or "/ActualText" in node:
        return True
    return any(has_content(k) for k in kids(node))


def empty_elements(data: bytes) -> list[str]:
    """The structure types of elements with no content at any depth."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [str(e.S) for e in elements(pdf) if not has_content(e) and str(e.S) not in ("/TR", "/TH", "/TD")]


def renders(data: bytes, scale: float = 1.5) -> list[bytes]:
    """Every page rendered to RGB pixels."""
    doc = pdfium.PdfDocument(data)
    try:
        return [
            doc[i].render(scale=scale, may_draw_forms=True).to_pil().convert("RGB").tobytes() for i in range(len(doc))
        ]
    finally:
        doc.close()


def page_texts(data: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def _mark_names(obj) -> list[str]:
    names = []
    for i in range(pdfium_raw.FPDFPageObj_CountMarks(obj.raw)):
        mark = pdfium_raw.FPDFPageObj_GetMark(obj.raw, i)
        length = ctypes.c_ulong()
        pdfium_raw.FPDFPageObjMark_GetName(mark, None, 0, ctypes.byref(length))
        buffer = (ctypes.c_ushort * (length.value // 2 + 1))()
        pdfium_raw.FPDFPageObjMark_GetName(mark, buffer, length.value, ctypes.byref(length))
        names.append(bytes(buffer)[: length.value].decode("utf-16-le").rstrip("\x00"))
    return names


def marked_texts(data: bytes, index: int) -> list[tuple[list[str], str]]:
    """(marked-content tags, text) of every text object on page `index`, read by pdfium."""
    doc = pdfium.PdfDocument(data)
    try:
        pg = doc[index]
        textpage = pg.get_textpage()
        found = []
        for obj in pg.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_TEXT]):
            n = pdfium_raw.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
            buffer = (ctypes.c_ushort * n)()
            pdfium_raw.FPDFTextObj_GetText(obj.raw, textpage.raw, buffer, n)
            found.append((_mark_names(obj), bytes(buffer).decode("utf-16-le").rstrip("\x00").strip()))
        return found
    finally:
        doc.close()


# --------------------------------------------------------------------------------------------------------------
# Shipped publications
# --------------------------------------------------------------------------------------------------------------


@contextmanager
def weasyprint_only():
    """Build without katern's repair and validator gate: the PDF as WeasyPrint writes it."""
    import katern.build

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(katern.build, "make_accessible", lambda data: data)
        patch.setattr(katern.build, "_verified", lambda data, target: None)
        patch.setattr(katern.build, "report_for", lambda pub, verification: {})
        yield


@pytest.fixture(scope="module")
def shipped_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, bytes]]:
    """Build two shipped publications; return {name: (WeasyPrint's PDF, the repaired PDF)}."""
    out = tmp_path_factory.mktemp("pdfua")
    with weasyprint_only():
        results = build(load_project(REPO), list(SHIPPED), ("pdf",), out)
    assert all(r.ok for r in results), [r.error for r in results]
    pdfs = {}
    for name in SHIPPED:
        before = (out / f"{name}.pdf").read_bytes()
        pdfs[name] = (before, make_accessible(before))
    return pdfs


@pytest.mark.parametrize("name", SHIPPED)
def test_repaired_pdf_passes_both_validators(shipped_pdfs, name, tmp_path):
    assert_clean(shipped_pdfs[name][1], tmp_path, f"{name}.pdf")


def test_unrepaired_pdf_fails_both_validators(shipped_pdfs, tmp_path):
    # the newsletter has links: WeasyPrint 70 puts their annotations outside their /Link elements
    report, result = validate(shipped_pdfs["integraal-werken-zuid"][0], tmp_path)
    assert not report.is_compliant
    assert "PDFUA1-LINK-LINK-TAG-001" in {f.rule_id for f in report.failures}
    assert result.errors > 0 and "LNK-001" in {f.rule for f in result.sorted_findings()}


@pytest.mark.parametrize("name", SHIPPED)
def test_repair_is_deterministic_and_idempotent(shipped_pdfs, name):
    before, after = shipped_pdfs[name]
    assert make_accessible(before) == after
    assert make_accessible(after) == after


def test_repair_changes_the_newsletter(shipped_pdfs):
    before, after = shipped_pdfs["integraal-werken-zuid"]
    assert after != before


@pytest.mark.parametrize("name", SHIPPED)
def test_pages_look_the_same(shipped_pdfs, name):
    before, after = shipped_pdfs[name]
    assert renders(before) == renders(after)


@pytest.mark.parametrize("name", SHIPPED)
def test_text_is_unchanged(shipped_pdfs, name):
    before, after = shipped_pdfs[name]
    assert page_texts(before) == page_texts(after)


@pytest.mark.parametrize("name", SHIPPED)
def test_info_xmp_and_id_are_kept(shipped_pdfs, name):
    before, after = shipped_pdfs[name]
    with pikepdf.open(io.BytesIO(before)) as old, pikepdf.open(io.BytesIO(after)) as new:
        assert dict(new.docinfo) == dict(old.docinfo)
        assert new.Root.Metadata.read_bytes() == old.Root.Metadata.read_bytes()
        assert [bytes(x) for x in new.trailer.ID] == [bytes(x) for x in old.trailer.ID]
        assert new.pdf_version == old.pdf_version
        assert not new.check_pdf_syntax()


def test_every_link_annotation_belongs_to_its_link_element(shipped_pdfs):
    _, after = shipped_pdfs["integraal-werken-zuid"]
    with pikepdf.open(io.BytesIO(after)) as pdf:
        tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        annots = [a for p in pdf.pages for a in p.obj.get("/Annots", [])]
        assert annots
        for annot in annots:
            assert int(annot.F) & 4, "Print flag"
            if annot.Subtype != "/Link":
                continue
            owner = tree[int(annot.StructParent)]
            assert owner.S == "/Link"
            assert any(
                isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR" and k.Obj.objgen == annot.objgen
                for k in kids(owner)
            )
        for element in elements(pdf):
            if element.S == "/Link":
                parent = element.get("/P")
                while is_element(parent):
                    assert parent.S != "/Link", "a /Link inside a /Link"
                    parent = parent.get("/P")


@pytest.mark.parametrize("name", SHIPPED)
def test_no_empty_structure_elements(shipped_pdfs, name):
    _before, after = shipped_pdfs[name]
    # WeasyPrint writes empty Spans for some inline markup (typeset's name and address spans); the repair
    # removes every one (the sender bar is a border now, so it makes none).
    assert empty_elements(after) == []


def test_running_heads_and_folios_are_pagination_artifacts(shipped_pdfs):
    before, after = shipped_pdfs["integraal-werken-zuid"]
    texts = marked_texts(after, 1)
    artifacts = [text for tags, text in texts if "Artifact" in tags]
    assert "2" in artifacts, texts  # the folio of page 2
    assert any(len(t) > 10 for t in artifacts), artifacts  # the running title
    assert all("Artifact" not in tags for tags, text in marked_texts(before, 1) if text == "2")
    with pikepdf.open(io.BytesIO(after)) as pdf:
        props = [
            operands[1]
            for operands, op in pikepdf.parse_content_stream(pdf.pages[1])
            if str(op) == "BDC" and operands[0] == "/Artifact"
        ]
        assert {(str(p.Type), str(p.Subtype)) for p in props} == {("/Pagination", "/Footer")}
        # every MCID still owned in the ParentTree belongs to an element in the tree
        reachable = {e.objgen for e in elements(pdf)}
        tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        for page in pdf.pages:
            owners = tree[int(page.obj.StructParents)]
            assert all(e.objgen in reachable for e in owners if is_element(e))


# --------------------------------------------------------------------------------------------------------------
# A scratch publication with a link, a figure, a table and a list; and the brochure's contents page
# --------------------------------------------------------------------------------------------------------------

BODY = """\
## Zwolle

Lees meer op [de site van de gemeente](https://www.zwolle.nl) of op www.thinkopschool.nl, of mail naar
info@thinkopschool.nl.

| Jaar | Leerlingen |
| --- | --- |
| 2016 | 120 |
| 2017 | 240 |

- eerste punt
- tweede punt met **nadruk**
- derde punt
"""


def _png() -> bytes:
    image = Image.new("RGB", (40, 24), (225, 112, 0))
    for x in range(40):
        image.putpixel((x, 0), (0, 0, 0))
        image.putpixel((x, 23), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_scratch_brochure_with_link_figure_table_and_list(scratch_project, tmp_path):
    (scratch_project / "images").mkdir()
    (scratch_project / "images" / "vlak.png").write_bytes(_png())
    image = {"src": "../../images/vlak.png", "alt": "Een oranje vlak met een zwarte rand"}
    front = record_front("zwolle-think-op-school", images=[image])
    write_record(scratch_project, "zwolle-think-op-school", front, body=BODY)
    out = tmp_path / "out"
    with weasyprint_only():
        (result,) = build(load_project(scratch_project), ["van-nul-tot-later"], ("pdf",), out)
    assert result.ok, result.error
    before = (out / "van-nul-tot-later.pdf").read_bytes()
    report, checked = validate(before, tmp_path, "before.pdf")
    assert not report.is_compliant and checked.errors > 0  # links in the body and on the contents page

    after = make_accessible(before)
    assert_clean(after, tmp_path, "after.pdf")
    assert renders(before) == renders(after)
    assert page_texts(before) == page_texts(after)
    with pikepdf.open(io.BytesIO(after)) as pdf:
        kinds = {str(e.S) for e in elements(pdf)}
        assert {"/Link", "/Figure", "/Table", "/TH", "/TD", "/L", "/LI"} <= kinds
        figures = [e for e in elements(pdf) if e.S == "/Figure"]
        assert [str(f.Alt) for f in figures] == ["Een oranje vlak met een zwarte rand"]
        uris = {str(a.A.URI) for p in pdf.pages for a in p.obj.get("/Annots", []) if "/A" in a and "/URI" in a.A}
        assert {"https://www.zwolle.nl", "https://www.thinkopschool.nl", "mailto:info@thinkopschool.nl"} <= uris
        # the contents page: one annotation per entry is left, not one per span inside the entry
        annots = [a for p in pdf.pages for a in p.obj.get("/Annots", [])]
        by_dest: dict[str, int] = {}
        for annot in annots:
            if "/Dest" in annot:
                by_dest[str(annot.Dest)] = by_dest.get(str(annot.Dest), 0) + 1
        assert by_dest and max(by_dest.values()) == 1, by_dest


# --------------------------------------------------------------------------------------------------------------
# Errors, PDFs without a tree, logging
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n%%EOF\n"])
def test_unreadable_pdf_is_a_build_error(data):
    with pytest.raises(BuildError, match="PDF/UA"):
        make_accessible(data)


def _untagged_pdf_with_link() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Annots = pdf.make_indirect(
        pikepdf.Array(
            [
                pdf.make_indirect(
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.Link,
                        Rect=[10, 10, 50, 20],
                        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI="https://example.nl"),
                    )
                )
            ]
        )
    )
    buffer = io.BytesIO()
    pdf.save(buffer, static_id=True)
    return buffer.getvalue()


def test_pdf_without_structure_tree_only_gets_print_flags():
    before = _untagged_pdf_with_link()
    after = make_accessible(before)
    with pikepdf.open(io.BytesIO(after)) as pdf, pikepdf.open(io.BytesIO(before)) as old:
        assert int(pdf.pages[0].obj.Annots[0].F) == 4
        assert "/StructTreeRoot" not in pdf.Root
        assert [bytes(x) for x in pdf.trailer.ID] == [bytes(x) for x in old.trailer.ID]
    assert make_accessible(after) == after


def test_repairs_are_logged_at_debug(shipped_pdfs, caplog):
    before, _ = shipped_pdfs["integraal-werken-zuid"]
    with caplog.at_level(logging.DEBUG, logger="katern.pdfua"):
        make_accessible(before)
    messages = " ".join(r.getMessage() for r in caplog.records if r.name == "katern.pdfua")
    assert "artifacts" in messages and "links_moved" in messages and "print_flags" in messages
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "katern.pdfua")


# --------------------------------------------------------------------------------------------------------------
# Source fix for outloud LNK-010: bare web and e-mail addresses become links
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("Zie www.kwaitwel.nl voor meer.", '<a href="https://www.kwaitwel.nl">www.kwaitwel.nl</a> voor'),
        ("Kijk op https://example.nl/pad?a=1&b=2 nu.", '<a href="https://example.nl/pad?a=1&amp;b=2">'),
        ("Mail a.d.klijne@minvws.nl.", '<a href="mailto:a.d.klijne@minvws.nl">a.d.klijne@minvws.nl</a>.'),
        ("(zie www.x.nl).", '(zie <a href="https://www.x.nl">www.x.nl</a>).'),
        ("“www.x.nl”, en", '“<a href="https://www.x.nl">www.x.nl</a>”, en'),
        ("Dit: https://nl.wikipedia.org/wiki/A_(b)!", '<a href="https://nl.wikipedia.org/wiki/A_(b)">'),
        ("**www.vet.nl**", '<strong><a href="https://www.vet.nl">www.vet.nl</a></strong>'),
        ("| a |\n| --- |\n| info@x.nl |", '<td><a href="mailto:info@x.nl">info@x.nl</a></td>'),
    ],
)
def test_bare_addresses_become_links(text, link):
    assert link in to_html(text)


def test_punctuation_after_an_address_stays_outside_the_link():
    assert to_html("Ga naar https://x.nl/a.") == '<p>Ga naar <a href="https://x.nl/a">https://x.nl/a</a>.</p>'
    assert to_html("Zie www.x.nl/a/, of niet?") == (
        '<p>Zie <a href="https://www.x.nl/a/">www.x.nl/a/</a>, of niet?</p>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "Een [link met www.x.nl](https://x.nl) en [www.y.nl](https://www.y.nl).",
        "Een autolink <https://x.nl/a> en <info@x.nl>.",
        "Code `www.x.nl` en\n\n    https://blok.nl\n",
        '![www.alt.nl](beeld.png "www.titel.nl")',
        "Geen adres: versie 1.2, x.nl, 3@4, a@b, www.x, sub.www.x.nl, mailto:a@b.nl, http:// en www.",
    ],
)
def test_explicit_links_code_attributes_and_non_addresses_are_unchanged(text):
    assert to_html(text) == clean_html(markdown_raw(text))


def test_autolink_leaves_tags_and_links_alone():
    html = '<p title="www.t.nl"><a href="https://q.nl">www.q.nl</a> en www.r.nl</p><!-- www.c.nl -->'
    assert autolink(html) == (
        '<p title="www.t.nl"><a href="https://q.nl">www.q.nl</a> en <a href="https://www.r.nl">www.r.nl</a></p>'
        "<!-- www.c.nl -->"
    )


@pytest.mark.parametrize(
    "text",
    [
        'https://x.nl/"onmouseover="alert(1)',
        "www.x.nl/<script>alert(1)</script>",
        "https://x.nl/'><img src=x onerror=alert(1)>",
        "javascript://www.x.nl/%0aalert(1)",
    ],
)
def test_autolinked_html_is_still_cleaned(text):
    class Attributes(html.parser.HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, str, str]] = []

        def handle_starttag(self, tag, attrs):
            self.found += [(tag, name, value or "") for name, value in attrs] or [(tag, "", "")]

    parser = Attributes()
    parser.feed(to_html(text))
    assert {tag for tag, _, _ in parser.found} <= {"p", "a", "img"}, parser.found
    assert not [name for _, name, _ in parser.found if name.startswith("on")]
    assert all(v.startswith(("https://", "http://", "mailto:")) for _, n, v in parser.found if n == "href")


def test_long_words_is_unaffected_by_autolink():
    assert long_words("Zie www.kwaitwel.nl of info@x.nl.") == []
    assert long_words("https://x.nl/" + "a" * 130) == ["https://x.nl/" + "a" * 130]


# --------------------------------------------------------------------------------------------------------------
# Source fix for outloud TAG-020: the sender bar is a border, not an empty element
# --------------------------------------------------------------------------------------------------------------


def test_sender_has_no_empty_bar_element(tmp_path):
    out = tmp_path / "out"
    (result,) = build(load_project(REPO), ["werkende-factoren"], ("html",), out)
    assert result.ok, result.error
    html = (out / "werkende-factoren.html").read_text(encoding="utf-8")
    assert 'class="sender-name"' in html
    assert "sender-bar" not in html
    css = (REPO / "styles" / "vws" / "theme.css").read_text(encoding="utf-8")
    assert re.search(r"\.sender-name \{[^}]*border-left: 0\.35em solid var\(--accent\)", css)  # the bar
