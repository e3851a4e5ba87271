"""Tests for accessibility proven by two validators (validators.py), katern's own remaining checks
(accessibility.py), the per-publication report (a11y_report.py) and `katern check --pdf`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import weasyprint
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from katern import validators
from katern.a11y_report import format_text, render_report, report_for
from katern.accessibility import Check, check_pdf, failed
from katern.cli import cli
from katern.errors import BuildError
from katern.imposition import PRINT_ONLY_KEY, PRINT_ONLY_VALUE
from katern.validators import verify_pdf

REPO = Path(__file__).parents[1]
NAMES = ["bookmarks"]
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
    """Run katern's own checks and index them by name."""
    checks = check_pdf(path)
    assert [check.name for check in checks] == NAMES
    return {check.name: check for check in checks}


def failing(path: Path) -> set[str]:
    """Return the names of katern's own checks that fail."""
    return {check.name for check in failed(check_pdf(path))}


def rules(result: validators.Verification) -> set[tuple[str, str]]:
    """Return (validator, rule) of every finding."""
    return {(f.validator, f.rule) for f in result.findings}


def issue(result: validators.Verification, checkpoint: str) -> validators.Issue:
    """Return the only issue under a Matterhorn checkpoint."""
    (found,) = [i for i in result.issues() if i.checkpoint == checkpoint]
    return found


def status(result: validators.Verification, checkpoint: str) -> str:
    return next(c.status for c in result.checkpoints if c.id == checkpoint)


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


def check_pdf_command(*paths: Path, verbose: bool = False):
    return CliRunner().invoke(
        cli, ["check", *(["-v"] if verbose else []), *(a for p in paths for a in ("--pdf", str(p)))]
    )


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# --- katern's own checks --------------------------------------------------------------------


def test_own_checks_are_only_what_the_validators_do_not_cover(tmp_path):
    checks = results(render(tmp_path))

    assert failed(list(checks.values())) == []
    assert checks["bookmarks"].detail == "1 top-level bookmark(s)"  # the h1; the h2 and h3 are nested in it


def test_no_headings_means_no_bookmarks_which_only_katern_checks(tmp_path):
    path = render(tmp_path, body="<p>Alleen tekst.</p>")

    assert failing(path) == {"bookmarks"}
    result = verify_pdf(path)
    assert not result.passed
    assert rules(result) == {("katern", "bookmarks")}  # neither validator asks for bookmarks in a short PDF
    assert status(result, "27") == "fail"
    assert "headings" in issue(result, "27").explanation


def test_bare_pdf_gives_failed_checks_not_errors(tmp_path):
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(tmp_path / "bare.pdf")

    assert failing(tmp_path / "bare.pdf") == {"bookmarks"}
    result = verify_pdf(tmp_path / "bare.pdf")
    assert not result.passed
    assert {"01", "06"} <= {i.checkpoint for i in result.issues()}


def test_unreadable_file_raises_build_error(tmp_path):
    path = tmp_path / "kapot.pdf"
    path.write_bytes(b"%PDF-1.7 nothing here")

    with pytest.raises(BuildError) as raised:
        check_pdf(path)
    assert raised.value.path == path
    with pytest.raises(BuildError) as raised:
        verify_pdf(path)
    assert raised.value.path == path
    assert "damaged or not a PDF file" in raised.value.message


def test_missing_file_raises_build_error(tmp_path):
    with pytest.raises(BuildError) as raised:
        check_pdf(tmp_path / "weg.pdf")
    assert raised.value.path == tmp_path / "weg.pdf"
    with pytest.raises(BuildError) as raised:
        verify_pdf(tmp_path / "weg.pdf")
    assert raised.value.path == tmp_path / "weg.pdf"


# --- what the validators now check instead (the points katern used to check itself) -----------


def test_good_pdf_passes_both_validators(tmp_path):
    result = verify_pdf(render(tmp_path))

    assert result.passed, result.summary()
    assert [run.verdict for run in result.runs] == ["pass", "pass"]
    assert [run.name for run in result.runs] == ["page-validation", "outloud"]
    assert result.runs[0].rules_total == 104 and result.runs[0].rules_failed == 0
    assert {"01", "06", "07", "11", "13", "14", "27", "31"} <= set(result.passed_checkpoints())
    assert status(result, "04") == "manual"  # colour and contrast: a person


def test_untagged_pdf_fails_checkpoint_01_in_both_validators(tmp_path):
    result = verify_pdf(render(tmp_path, variant=None))

    assert {("outloud", "DOC-002"), ("page-validation", "PDFUA1-STRUCT-TREE-ROOT-001")} <= rules(result)
    assert status(result, "01") == "fail"
    (tree,) = [i for i in result.issues() if any(f.rule == "DOC-002" for f in i.findings)]
    assert [f.validator for f in tree.findings] == ["outloud", "page-validation"]  # one problem, both validators
    assert "no tags" in tree.explanation and "Rebuild" in tree.explanation


def test_missing_language_fails_checkpoint_11(tmp_path):
    result = verify_pdf(render(tmp_path, lang=None))

    assert rules(result) == {("outloud", "DOC-013"), ("page-validation", "PDFUA1-LANGUAGE-TAG-001")}
    found = issue(result, "11")
    assert found.severity == "error"
    assert "'language' in the publication file" in found.explanation
    assert {f.wcag for f in found.findings} == {("3.1.1",)}


def test_missing_title_fails_checkpoint_06(tmp_path):
    result = verify_pdf(render(tmp_path, title=""))

    assert rules(result) == {("outloud", "DOC-010"), ("page-validation", "PDFUA1-METADATA-TITLE-001")}
    assert "field 'title'" in issue(result, "06").explanation


def test_title_not_shown_fails_checkpoint_07(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    del writer.root_object["/ViewerPreferences"]
    writer.write(tmp_path / "edited.pdf")

    result = verify_pdf(tmp_path / "edited.pdf")

    assert rules(result) == {("outloud", "DOC-011"), ("page-validation", "PDFUA1-VIEWER-PREFERENCES-001")}
    assert "file name" in issue(result, "07").explanation


def test_image_without_alt_fails_checkpoint_13_with_page_and_count(tmp_path):
    body = '<h1>Kop</h1><img src="dot.png" alt="Stip"><img src="dot.png"><img src="dot.png">'
    result = verify_pdf(render(tmp_path, body=body))

    found = issue(result, "13")
    outloud_finding = next(f for f in found.findings if f.validator == "outloud")
    assert (outloud_finding.rule, outloud_finding.count, outloud_finding.page) == ("FIG-001", 2, 1)
    assert "PDFUA1-FIGURE-ALTERNATIVE-TEXT-001" in {f.rule for f in found.findings}
    assert "alt text in the record" in found.explanation
    assert "1.1.1" in outloud_finding.wcag


def test_figure_with_alt_removed_fails_and_actual_text_counts_as_alt(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path))
    (figure,) = struct_elements(writer, "/Figure")
    del figure["/Alt"]
    writer.write(tmp_path / "no-alt.pdf")
    figure[NameObject("/ActualText")] = TextStringObject("Een stip")
    writer.write(tmp_path / "actual-text.pdf")

    assert status(verify_pdf(tmp_path / "no-alt.pdf"), "13") == "fail"
    assert verify_pdf(tmp_path / "actual-text.pdf").passed


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("<h1>Een</h1><h2>Twee</h2><h1>Weer een</h1><h3>Drie</h3>", "HDG-001"),
        ("<h2>Twee</h2><h3>Drie</h3>", "HDG-002"),
    ],
)
def test_heading_levels_fail_checkpoint_14(tmp_path, body, rule):
    result = verify_pdf(render(tmp_path, body=body))

    assert {("outloud", rule), ("page-validation", "PDFUA1-HEADING-NESTING-001")} <= rules(result)
    assert status(result, "14") == "fail"


def test_role_mapped_headings_are_checked(tmp_path):
    writer = PdfWriter(clone_from=render(tmp_path, body="<h1>Een</h1><h2>Twee</h2>"))
    (heading,) = struct_elements(writer, "/H2")
    heading[NameObject("/S")] = NameObject("/Kop3")
    root = writer.root_object["/StructTreeRoot"].get_object()
    root[NameObject("/RoleMap")] = DictionaryObject({NameObject("/Kop3"): NameObject("/H3")})
    writer.write(tmp_path / "edited.pdf")

    assert ("outloud", "HDG-001") in rules(verify_pdf(tmp_path / "edited.pdf"))


def test_font_that_is_not_embedded_fails_checkpoint_31(tmp_path):
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
    painted = DecodedStreamObject()
    painted.set_data(b"/Artifact BMC q /Extra Do Q EMC")  # the validators judge fonts that are used
    contents = writer.pages[0].raw_get("/Contents")
    streams = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
    writer.pages[0][NameObject("/Contents")] = ArrayObject([*streams, writer._add_object(painted)])
    writer.write(tmp_path / "edited.pdf")

    result = verify_pdf(tmp_path / "edited.pdf")

    assert {("page-validation", "PDFUA1-FONT-EMBEDDING-001"), ("outloud", "TXT-001")} <= rules(result)
    assert status(result, "31") == "fail"
    assert any("font" in i.explanation for i in result.issues() if i.checkpoint == "31")


def test_deep_and_cyclic_structure_tree_fails_without_crashing(tmp_path):
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

    result = verify_pdf(tmp_path / "edited.pdf")

    assert not result.passed
    page_run = result.runs[0]
    assert page_run.verdict == "not-run" and "depth" in page_run.error  # page-validation's safety limit
    assert ("page-validation", "not-run") in rules(result)


# --- how the validators are run ----------------------------------------------------------------


def test_bytes_and_path_give_the_same_result_and_the_temporary_file_is_removed(tmp_path, monkeypatch):
    path = render(tmp_path, variant=None)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    from_path = verify_pdf(path)
    from_bytes = verify_pdf(path.read_bytes(), name=path)

    assert from_bytes.to_dict() == from_path.to_dict()
    assert from_bytes.path == path
    assert list(scratch.iterdir()) == []


def test_a_crashed_outloud_rule_is_a_failed_check(tmp_path, monkeypatch):
    from outloud.registry import all_rules, load_catalogue

    all_rules()  # register the rule functions
    meta = load_catalogue()["FIG-001"]

    def boom(doc):
        raise RuntimeError("rule exploded")

    monkeypatch.setattr(meta, "fn", boom)
    result = verify_pdf(render(tmp_path))

    assert not result.passed
    (crash,) = [f for f in result.findings if f.rule == "FIG-001"]
    assert crash.severity == "error" and "rule exploded" in crash.message
    assert crash.checkpoints == ("13",) and "not proven" in crash.explanation
    assert status(result, "13") == "fail"


def test_outloud_that_cannot_read_the_file_is_a_failed_check(tmp_path, monkeypatch):
    import outloud
    from outloud.findings import Result

    monkeypatch.setattr(outloud, "check", lambda path, **kw: Result(path=path, error="PdfError: damaged"))
    result = verify_pdf(render(tmp_path))

    assert not result.passed
    assert result.runs[1].verdict == "not-run"
    assert ("outloud", "not-run") in rules(result)
    assert all(c.status in ("fail", "not-tested") for c in result.checkpoints if c.id == "28")


def test_matterhorn_and_wcag_come_from_the_outloud_catalogue():
    from outloud.registry import load_catalogue

    catalogue = load_catalogue()
    for page_rule, (outloud_rule, _same) in validators.PAGE_RULES.items():
        assert page_rule.startswith("PDFUA1-")
        assert outloud_rule in catalogue, page_rule
        assert validators._references(outloud_rule) == (
            (catalogue[outloud_rule].matterhorn,),
            tuple(catalogue[outloud_rule].wcag),
        )
    for rule in validators.EXPLANATIONS:
        assert rule in catalogue, rule


# --- on PDFs katern builds ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the handout (PDF and booklet) and the Noord newsletter (PDF) with katern."""
    from katern.build import build
    from katern.project import load_project

    out = tmp_path_factory.mktemp("a11y")
    project = load_project(REPO)
    results = build(project, ["werkende-factoren"], ("pdf", "booklet"), out)
    results += build(project, ["integraal-werken-noord"], ("pdf",), out)
    assert all(r.ok for r in results), {r.name: r.error for r in results}
    return project, out


@pytest.fixture(scope="module")
def unfixed(built, tmp_path_factory):
    """The Noord newsletter with a link that is not tagged as a link (LNK-001), as before make_accessible."""
    _project, out = built
    writer = PdfWriter(clone_from=out / "integraal-werken-noord.pdf")
    writer.add_annotation(0, Link(rect=(40, 40, 200, 60), url="https://www.rijksoverheid.nl/"))
    target = tmp_path_factory.mktemp("unfixed") / "integraal-werken-noord.pdf"
    writer.write(target)
    return target


def test_handout_passes_page_validation(built):
    _project, out = built
    result = verify_pdf(out / "werkende-factoren.pdf")

    page_run = result.runs[0]
    assert (page_run.name, page_run.verdict, page_run.rules_failed) == ("page-validation", "pass", 0)
    assert not [f for f in result.findings if f.validator == "page-validation"]
    assert {"01", "06", "07", "11", "31"} <= set(result.passed_checkpoints())
    assert all(c.passed for c in result.own_checks)


def test_unfixed_links_are_reported_per_checkpoint_in_plain_words(unfixed):
    result = verify_pdf(unfixed)

    assert not result.passed
    links = next(i for i in result.issues() if i.checkpoint == "28" and i.severity == "error")
    assert {(f.validator, f.rule) for f in links.findings} >= {
        ("outloud", "LNK-001"),
        ("page-validation", "PDFUA1-LINK-LINK-TAG-001"),
    }
    assert links.explanation.startswith("Links are not tagged as links, so a screen reader")
    assert {"1.3.1", "2.4.4"} <= {c for f in links.findings for c in f.wcag}
    assert status(result, "28") == "fail"
    assert "28" not in result.passed_checkpoints()


def test_check_pdf_command_reports_unfixed_pdf_per_checkpoint(unfixed):
    result = check_pdf_command(unfixed)

    assert result.exit_code == 1
    no_traceback(result)
    out = result.output
    assert f"{unfixed}: FAIL (" in out
    assert "page-validation 0.11" in out and "outloud 0.2" in out
    assert "  Matterhorn 28 Annotations: fail\n    error: Links are not tagged as links" in out
    flat = " ".join(out.split())
    assert re.search(r"outloud LNK-001 \d+x, page 1; page-validation PDFUA1-LINK-LINK-TAG-001", flat)
    assert "katern's own checks:\n    [x] bookmarks" in out
    assert re.search(r"passed automatically: Matterhorn 01, 02, .*31", flat)
    assert "a person must still check" in out
    assert "0 of 1 PDF(s) pass the accessibility check" in out
    assert len(out.splitlines()) < 40  # folded: one entry per problem, not one per link
    verbose = check_pdf_command(unfixed, verbose=True)
    assert "outloud LNK-001 says:" in verbose.output and "/Link structure element" in verbose.output


def test_check_pdf_command_passes_a_good_pdf_and_names_the_failing_one(built, tmp_path):
    good = render(tmp_path, name="good.pdf")
    writer = PdfWriter(clone_from=good)
    del writer.root_object[NameObject("/Lang")]
    broken = tmp_path / "no-language.pdf"
    writer.write(broken)

    ok = check_pdf_command(good)
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith(f"{good}: pass\n")
    bad = check_pdf_command(good, broken)
    assert bad.exit_code == 1
    assert re.search(rf"{re.escape(str(broken))}: FAIL \(\d error\(s\), 0 warning\(s\)\)", bad.output)
    assert "Matterhorn 11 Declared natural language: fail" in bad.output
    assert "1 of 2 PDF(s) pass" in bad.output


def test_booklet_is_marked_print_only_and_check_pdf_says_so(built):
    _project, out = built
    booklet = out / "werkende-factoren-booklet.pdf"
    assert PdfReader(booklet).metadata[PRINT_ONLY_KEY] == PRINT_ONLY_VALUE
    assert verify_pdf(booklet).print_only

    result = check_pdf_command(booklet)

    assert result.exit_code == 0, result.output
    no_traceback(result)
    assert result.output == (
        f"{booklet}: print-only booklet: not meant to be read on screen; check the source PDF instead "
        f"({out / 'werkende-factoren.pdf'})\n"
        "1 print-only booklet(s) not checked\n"
    )


def test_corrupt_or_missing_file_is_a_clear_error_and_exit_1(tmp_path):
    corrupt = tmp_path / "kapot.pdf"
    corrupt.write_bytes(b"%PDF-1.7 nothing here")
    missing = tmp_path / "weg.pdf"

    result = check_pdf_command(corrupt, missing)

    assert result.exit_code == 1
    no_traceback(result)
    assert f"{corrupt}: FAIL: cannot read the PDF: it is damaged or not a PDF file" in result.output
    assert f"{missing}: FAIL: cannot read the file: No such file or directory" in result.output
    assert "0 of 2 PDF(s) pass the accessibility check" in result.output


# --- the report --------------------------------------------------------------------------------


class Outline(HTMLParser):
    """Collect what makes a page accessible: the language, headings, tables and their header cells."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.headings: list[str] = []
        self.tables = self.captions = self.header_cells = 0
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.header_cells += tag == "th" and "scope" in attrs
        self.external += [value for key, value in attrs.items() if key in ("src", "href") and value]
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)


def test_report_is_deterministic_and_holds_the_checklist(built, tmp_path):
    project, out = built
    pub = project.publications["werkende-factoren"]
    pdf = out / "werkende-factoren.pdf"

    first = report_for(pub, verify_pdf(pdf))
    second = render_report(
        verify_pdf(pdf.read_bytes(), name=tmp_path / "elsewhere" / "werkende-factoren.pdf"),
        name=pub.name,
        title=pub.title,
        language=pub.language,
        date=pub.date,
    )

    assert list(first) == ["werkende-factoren.accessibility.html", "werkende-factoren.accessibility.json"]
    assert first == second  # same PDF, same bytes: no clock, no absolute paths
    raw = first["werkende-factoren.accessibility.json"]
    data = json.loads(raw)
    assert raw.decode() == json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert data["publication"] == {
        "name": "werkende-factoren",
        "title": "Werkende factoren",
        "language": "nl",
        "date": "2017-09-01",
    }
    assert data["file"] == "werkende-factoren.pdf" and str(out) not in raw.decode()
    assert [v["name"] for v in data["validators"]] == ["page-validation", "outloud"]
    assert all(v["version"] for v in data["validators"])
    assert len(data["checkpoints"]) == 31
    fonts = next(c for c in data["checkpoints"] if c["id"] == "31")
    checked_by = {v["validator"]: v for v in fonts["checked_by"]}
    assert {r["rule"] for r in checked_by["page-validation"]["rules"]} >= {"PDFUA1-FONT-EMBEDDING-001"}
    assert checked_by["outloud"]["version"] and fonts["status"] == "pass"
    ids = [item["id"] for item in data["manual_checks"]]
    assert {"reading-order", "alt-text", "colour", "contrast", "link-text", "language-of-parts"} <= set(ids)
    assert all(item["how"] for item in data["manual_checks"])

    page = first["werkende-factoren.accessibility.html"].decode()
    assert "Handmatige controles" in page and "Leesvolgorde" in page and "1 september 2017" in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", page)  # no timestamps
    outline = Outline()
    outline.feed(page)
    assert outline.lang == "nl"
    assert outline.headings[0] == "h1" and outline.headings.count("h1") == 1
    assert set(outline.headings[1:]) == {"h2"}
    assert outline.tables == outline.captions >= 3
    assert outline.header_cells >= 31
    assert outline.external == []  # self-contained: no scripts, images, style sheets or links
    assert '<td lang="en">' in page  # the validators' English inside the Dutch report


def test_report_is_english_for_a_publication_that_is_not_dutch(built):
    _project, out = built
    result = verify_pdf(out / "werkende-factoren.pdf")

    files = render_report(result, name="handout", title="Working factors", language="en", date=dt.date(2017, 9, 1))

    page = files["handout.accessibility.html"].decode()
    assert '<html lang="en">' in page and "Manual checks" in page and "Reading order" in page
    assert "1 September 2017" in page and 'lang="en"' not in page.split("<html", 1)[1].split(">", 1)[1]
    assert json.loads(files["handout.accessibility.json"])["format"]["language"] == "en"


def test_report_of_a_failing_pdf_lists_its_findings(unfixed):
    result = verify_pdf(unfixed)
    files = render_report(result, name="noord", title="Noord", language="nl", date=dt.date(2018, 10, 8))

    data = json.loads(files["noord.accessibility.json"])
    assert data["verdict"] == "fail" and data["problems"] >= 1
    assert {"LNK-001", "PDFUA1-LINK-LINK-TAG-001"} <= {f["rule"] for f in data["findings"]}
    page = files["noord.accessibility.html"].decode()
    assert "De PDF voldoet nog niet" in page and "Links are not tagged as links" in page
    assert format_text(result)[0].startswith(f"{unfixed}: FAIL")


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no Chromium at {CHROMIUM} for Playwright")
def test_report_passes_axe_core_on_desktop_and_phone(unfixed):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python missing")
    files = render_report(verify_pdf(unfixed), name="noord", title="Noord", language="nl", date=dt.date(2018, 10, 8))
    report = unfixed.with_name("noord.accessibility.html")
    report.write_bytes(files["noord.accessibility.html"])
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"])
        try:
            for width in (1280, 375):
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(report.as_uri())
                results = axe_module.Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
                violations = [(v["id"], len(v["nodes"])) for v in results.response["violations"]]
                assert not violations, f"axe-core at {width}px: {violations}"
                assert results.response["passes"]
        finally:
            browser.close()
