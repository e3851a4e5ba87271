"""End-to-end tests of `katern.build` on the shipped content: every publication is built once and inspected.

The PDFs are read back with pypdf (structure, outline, named destinations, fonts) and pypdfium2 (text inside a
rectangle, the font of every character), independently of what katern thinks it wrote.
"""

from __future__ import annotations

import ctypes
import html.parser
import re
import shutil
import socket
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest

from katern.build import BuildResult, build
from katern.labels import LABELS
from katern.project import Project, load_project
from katern.publications import Publication

ROOT = Path(__file__).resolve().parents[1]
THEME_FONTS = ("SourceSerifPro", "SourceSansPro")
A5 = (419.53, 595.28)  # points


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------


def norm(text: str) -> str:
    """Reduce text to lower-case letters and digits: survives CSS upper-casing, hyphenation and line breaks."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def expected_title(pub: Publication) -> str:
    return f"{pub.title} — {pub.edition}" if pub.edition else pub.title


@dataclass
class Built:
    project: Project
    out: Path
    results: dict[str, BuildResult]

    def pdf(self, name: str) -> Path:
        return self.out / f"{name}.pdf"

    def html(self, name: str) -> Path:
        return self.out / f"{name}.html"


class PdfFacts:
    """What the tests need of one PDF, read once."""

    def __init__(self, path: Path):
        self.path = path
        self.reader = pypdf.PdfReader(path)
        self.pages_text = page_texts(path)
        self.dests = {str(name): self.reader.get_destination_page_number(d) for name, d in self.named().items()}

    def named(self) -> dict:
        return self.reader.named_destinations

    def outline(self) -> list[tuple[str, int]]:
        """Every outline entry, flattened, as (title, 0-based page index)."""
        entries: list[tuple[str, int]] = []

        def walk(items) -> None:
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    entries.append((str(item.title), self.reader.get_destination_page_number(item)))

        walk(self.reader.outline)
        return entries

    def internal_links(self) -> dict[str, tuple[int, list[float]]]:
        """Map each internal link target to (page index of the link, union of its annotation rectangles).

        WeasyPrint writes one /Link annotation per box of an <a>; they all carry the same /Dest name.
        """
        found: dict[str, tuple[int, list[float]]] = {}
        for index, page in enumerate(self.reader.pages):
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                if annot.get("/Subtype") != "/Link" or "/Dest" not in annot:
                    continue
                dest = annot["/Dest"]
                if not isinstance(dest, str):
                    continue
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                rect = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
                if dest in found:
                    other_page, other = found[dest]
                    assert other_page == index, f"{self.path.name}: links to #{dest} on pages {other_page} and {index}"
                    rect = [
                        min(rect[0], other[0]),
                        min(rect[1], other[1]),
                        max(rect[2], other[2]),
                        max(rect[3], other[3]),
                    ]
                found[dest] = (index, rect)
        return found


def page_texts(path: Path) -> list[str]:
    """The text of every page (pdfium: much faster than pypdf's extract_text, same content)."""
    doc = pdfium.PdfDocument(path)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def text_in_rect(path: Path, page_index: int, rect: list[float]) -> str:
    doc = pdfium.PdfDocument(path)
    try:
        textpage = doc[page_index].get_textpage()
        left, bottom, right, top = rect
        return textpage.get_text_bounded(left=left, bottom=bottom, right=right, top=top)
    finally:
        doc.close()


def folio_text(path: Path, page_index: int) -> str:
    """The text in the bottom margin of a page: running title and page number."""
    return text_in_rect(path, page_index, [0, 0, 10_000, 55])


def fonts_of_characters(path: Path) -> dict[str, tuple[int, str]]:
    """Map every font name used for a character to (first page index, a little context)."""
    used: dict[str, tuple[int, str]] = {}
    doc = pdfium.PdfDocument(path)
    buffer = ctypes.create_string_buffer(512)
    try:
        for index in range(len(doc)):
            textpage = doc[index].get_textpage()
            for char in range(textpage.count_chars()):
                pdfium_raw.FPDFText_GetFontInfo(textpage.raw, char, buffer, len(buffer), None)
                name = buffer.value.decode("latin-1")
                if name not in used:
                    used[name] = (index, textpage.get_text_range(max(0, char - 12), 24))
    finally:
        doc.close()
    return used


def font_dicts(reader: pypdf.PdfReader) -> list:
    """Every font dictionary reachable from the pages' resources (form XObjects included)."""
    fonts, seen = [], set()

    def visit(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            key = getattr(ref, "idnum", id(ref))
            if key not in seen:
                seen.add(key)
                fonts.append(ref.get_object())
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return fonts


def base_name(font) -> str:
    return re.sub(r"^[A-Z]{6}\+", "", str(font.get("/BaseFont", "")).lstrip("/"))


def is_embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True
    fonts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    for f in fonts:
        descriptor = f.get("/FontDescriptor")
        if descriptor is None or not any(
            k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
        ):
            return False
    return True


def new_project(tmp_path: Path) -> Path:
    """A project folder with a copy of the shipped content and seeds (layouts and styles come from katern)."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copytree(ROOT / "seeds", root / "seeds")
    return root


def write_record(root: Path, slug: str, extra_front: str = "", body: str = "Een korte tekst.") -> Path:
    path = root / "content" / "records" / f"{slug}.md"
    path.write_text(
        "---\n"
        f"title: Proefverhaal {slug}\n"
        "kind: praktijkverhaal\n"
        "place: Oss\n"
        "municipalities: [Oss]\n"
        "date: 2017-09-01\n"
        "themes: [maatwerk]\n"
        "sources:\n"
        "  - title: Proef\n"
        f"{extra_front}"
        "---\n\n"
        f"{body}\n",
        encoding="utf-8",
    )
    return path


def write_publication(root: Path, name: str, records: list[str]) -> Path:
    path = root / "content" / "publications" / f"{name}.yaml"
    path.write_text(
        f"title: Proef {name}\ndate: 2017-09-01\nlanguage: nl\nlayout: brochure\ntheme: vws\n"
        f"records: [{', '.join(records)}]\noutputs: [pdf, html]\n",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------------------------------------------
# The one shared build of every shipped publication
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(shipped) -> Built:
    """Share the session's one build of every shipped publication (see conftest.py)."""
    project, out, results = shipped
    return Built(project, out, results)


@pytest.fixture(scope="module")
def facts(built) -> dict[str, PdfFacts]:
    return {name: PdfFacts(built.pdf(name)) for name, result in built.results.items() if built.pdf(name).is_file()}


def test_shipped_publications_are_the_seven_expected(built):
    assert {
        "van-nul-tot-later",
        "werkende-factoren",
        "integraal-werken-noord",
        "integraal-werken-midden",
        "integraal-werken-zuid",
        "maatwerk-en-ontschotting",
        "noord-brabant",
    } <= set(built.results)


def test_every_publication_builds_a_pdf_and_html(built):
    failed = {name: r.error for name, r in built.results.items() if not r.ok}
    assert not failed
    for name, result in built.results.items():
        kinds = {o.kind: o for o in result.outputs}
        assert {"pdf", "html"} <= set(kinds), name
        assert kinds["pdf"].path == built.pdf(name) and built.pdf(name).stat().st_size > 1000
        assert kinds["html"].path == built.html(name) and built.html(name).stat().st_size > 1000
        assert result.pages == len(pypdf.PdfReader(built.pdf(name)).pages)


# Layout preflight faults that stay in the shipped publications, each with why. Any other warning, or a
# fault that is not listed here, fails. None stay: the make-up pass (makeup.py) answers the last ones.
KNOWN_LAYOUT_FAULTS: set[tuple[str, str]] = set()


def test_shipped_publications_build_without_warnings(built):
    """No WeasyPrint warnings, no page budget overrun, no layout fault but the known ones."""
    unexpected = {}
    for name, result in built.results.items():
        for warning in result.warnings:
            known = any(n == name and f"layout: {fault}" in warning for n, fault in KNOWN_LAYOUT_FAULTS)
            if not known:
                unexpected.setdefault(name, []).append(warning)
    assert not unexpected


def test_shipped_publications_select_stories(built):
    pubs = built.project.publications
    assert len(pubs["van-nul-tot-later"].records) == 15
    assert pubs["van-nul-tot-later"].factors_after == "oss-maatwerkfabriek"
    for name in ("integraal-werken-noord", "integraal-werken-midden", "integraal-werken-zuid"):
        assert pubs[name].records, name
    assert pubs["maatwerk-en-ontschotting"].records
    brabant = pubs["noord-brabant"].records
    assert brabant and all(r.province == "Noord-Brabant" for r in brabant)


def printed(record, pub):
    """The record as it prints in `pub` (with its `editions` fields for that publication)."""
    return record.for_publication(pub.name, pub.family)


def test_every_story_title_is_on_its_start_page(built, facts):
    for name, pub in built.project.publications.items():
        f = facts[name]
        for record in (printed(r, pub) for r in pub.records):
            assert record.slug in f.dests, f"{name}: no named destination for #{record.slug}"
            page = f.dests[record.slug]
            assert norm(record.title) in norm(f.pages_text[page]), (
                f"{name}: the title of {record.slug!r} is not on page {page + 1}, where #{record.slug} points"
            )
            if record.place:
                assert norm(record.place) in norm(f.pages_text[page]), f"{name}: place of {record.slug} missing"


def test_brochure_stories_start_on_a_fresh_page(built, facts):
    for name in ("van-nul-tot-later", "maatwerk-en-ontschotting"):
        pub, f = built.project.publications[name], facts[name]
        contents_page = f.dests["inhoud"]
        for record in (printed(r, pub) for r in pub.records):
            page = f.dests[record.slug]
            assert page > contents_page, f"{name}: {record.slug} starts before the contents"
            previous = f.pages_text[page - 1]
            if page - 1 != contents_page:
                assert norm(record.title) not in norm(previous), f"{name}: {record.slug} starts before page {page + 1}"


def test_outline_has_every_story_at_its_start_page(built, facts):
    for name, pub in built.project.publications.items():
        f = facts[name]
        outline = f.outline()
        by_title: dict[str, list[int]] = defaultdict(list)
        for title, page in outline:
            by_title[" ".join(title.split())].append(page)
        for record in (printed(r, pub) for r in pub.records):
            title = " ".join(record.title.split())
            assert title in by_title, f"{name}: no bookmark {title!r}"
            assert f.dests[record.slug] in by_title[title], (
                f"{name}: bookmark {title!r} points at page(s) {[p + 1 for p in by_title[title]]}, "
                f"the story starts on page {f.dests[record.slug] + 1}"
            )
        assert len(outline) >= len(pub.records)


@pytest.mark.parametrize(
    "name",
    [
        "van-nul-tot-later",
        "maatwerk-en-ontschotting",
        "integraal-werken-noord",
        "integraal-werken-midden",
        "integraal-werken-zuid",
        "noord-brabant",
    ],
)
def test_contents_page_numbers_are_where_the_stories_start(built, facts, name):
    """Each contents entry is a link; the number printed inside it must be the folio of the page it links to."""
    pub, f = built.project.publications[name], facts[name]
    links = f.internal_links()
    expected_targets = {r.slug for r in pub.records}
    if pub.layout == "brochure":
        if pub.factors_after or pub.factors_position:
            expected_targets.add("werkende-factoren")
        if pub.colophon:
            expected_targets.add("colofon")
    missing = expected_targets - set(links)
    assert not missing, f"{name}: no contents link to {sorted(missing)}"
    checked = 0
    for target in sorted(expected_targets):
        link_page, rect = links[target]
        printed = text_in_rect(f.path, link_page, rect)
        numbers = re.findall(r"(\d+)\s*$", printed.strip())
        assert numbers, f"{name}: no page number in the contents entry for #{target}: {printed!r}"
        number = int(numbers[-1])
        start = f.dests[target]
        assert number == start + 1, (
            f"{name}: contents says #{target} is on page {number}, the link and the story go to page {start + 1}"
        )
        # The folio printed at the foot of that page is the same number.
        folio = re.findall(r"\d+", folio_text(f.path, start))
        assert str(number) in folio, f"{name}: page {start + 1} has folio text {folio_text(f.path, start)!r}"
        checked += 1
    assert checked == len(expected_targets)


def test_brochure_contents_lists_the_factors_after_oss(built, facts):
    f = facts["van-nul-tot-later"]
    contents = norm(f.pages_text[f.dests["inhoud"]])
    oss = contents.index(norm("Maatwerkfabriek Oss"))
    factors = contents.index(norm(LABELS["nl"]["factors"]))
    sliedrecht = contents.index(norm("Kids & Koffie op de kinderboerderij"))
    assert oss < factors < sliedrecht
    assert f.dests["oss-maatwerkfabriek"] < f.dests["werkende-factoren"] < f.dests["sliedrecht-kids-en-koffie"]


def test_pdfs_are_tagged_with_language_and_title(built, facts):
    for name, pub in built.project.publications.items():
        reader = facts[name].reader
        root = reader.trailer["/Root"]
        assert root["/MarkInfo"]["/Marked"].value is True, name
        assert "/StructTreeRoot" in root, name
        assert root["/Lang"] == "nl", name
        assert reader.metadata.title == expected_title(pub), name
    assert facts["integraal-werken-noord"].reader.metadata.title == "Integraal werken — Noord-Nederland"


def test_pdfs_embed_only_the_theme_fonts(built, facts):
    for name, f in facts.items():
        fonts = font_dicts(f.reader)
        assert fonts, name
        for font in fonts:
            assert is_embedded(font), f"{name}: font {font.get('/BaseFont')} is not embedded"
        names = {base_name(font) for font in fonts}
        foreign = {n for n in names if not n.replace("-", "").startswith(THEME_FONTS)}
        if foreign:
            # Say which characters fell back to another font, which is what needs fixing.
            culprits = {
                font: where
                for font, where in fonts_of_characters(f.path).items()
                if not font.replace("-", "").split("+")[-1].startswith(THEME_FONTS)
            }
            pytest.fail(f"{name}: fonts other than the theme's: {sorted(foreign)}; used at (page, text): {culprits}")


def test_handout_is_one_page_with_every_factor(built, facts):
    f = facts["werkende-factoren"]
    assert len(f.reader.pages) == 1
    assert built.results["werkende-factoren"].pages == 1
    text = norm(f.pages_text[0])
    factors = built.project.factors
    assert len(factors) == 14
    for factor in factors:
        first_words = " ".join(factor.text.split()[:4])
        assert norm(first_words) in text, f"factor {factor.id!r} ({first_words!r}) is not on the handout"
    assert "Alle gemeenten" in " ".join(f.pages_text[0].split())


def test_a5_publication_has_a5_pages(facts):
    reader = facts["maatwerk-en-ontschotting"].reader
    for index, page in enumerate(reader.pages):
        box = page.mediabox
        assert abs(float(box.width) - A5[0]) <= 1 and abs(float(box.height) - A5[1]) <= 1, (index, box)


def test_a4_publications_have_a4_pages(built, facts):
    for name, pub in built.project.publications.items():
        if pub.page_size == "A4":
            for page in facts[name].reader.pages:
                assert abs(float(page.mediabox.width) - 595.28) <= 1 and abs(float(page.mediabox.height) - 841.89) <= 1


# --------------------------------------------------------------------------------------------------------------
# The HTML booklets are self-contained
# --------------------------------------------------------------------------------------------------------------


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: set[str] = set()
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if attributes.get("style"):
            self.styles.append(attributes["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


EXTERNAL = re.compile(r"^\s*(https?:|//|file:|ftp:)", re.IGNORECASE)


def test_html_booklets_load_nothing_from_outside(built):
    for name in built.results:
        text = built.html(name).read_text(encoding="utf-8")
        parsed = _Collect()
        parsed.feed(text)
        problems = []
        for tag, attrs in parsed.tags:
            for attr in ("src", "srcset", "poster", "data", "background", "action", "formaction"):
                value = attrs.get(attr)
                if value is not None and not value.startswith("data:"):
                    problems.append(f"<{tag} {attr}={value[:80]!r}>")
            if tag == "script" and attrs.get("src"):
                problems.append("<script src>")
            if tag == "link":
                if "stylesheet" in (attrs.get("rel") or "").lower():
                    problems.append(f"<link rel=stylesheet href={attrs.get('href')!r}>")
                href = attrs.get("href") or ""
                if href and not href.startswith(("#", "data:")):
                    problems.append(f"<link href={href!r}>")
            href = attrs.get("href")
            if href is not None and tag != "a" and EXTERNAL.match(href):
                problems.append(f"<{tag} href={href!r}>")
            if tag == "a" and href is not None and re.match(r"^\s*(//|file:)", href, re.IGNORECASE):
                problems.append(f"<a href={href!r}>")  # outbound http(s) links are navigation, not loads
        for css in parsed.styles:
            if "@import" in css:
                problems.append("@import in a style")
            for url in re.findall(r"url\(\s*['\"]?([^'\")\s]{0,40})", css):
                if not url.startswith("data:"):
                    problems.append(f"url({url}) in a style")
        assert not problems, f"{name}.html loads from outside itself: {problems}"
        assert "file:" not in text.replace("data:", ""), f"{name}.html mentions a file: URL"


def test_html_booklet_fragment_links_resolve(built):
    for name, pub in built.project.publications.items():
        parsed = _Collect()
        parsed.feed(built.html(name).read_text(encoding="utf-8"))
        fragments = [
            a.get("href")[1:] for tag, a in parsed.tags if tag == "a" and (a.get("href") or "").startswith("#")
        ]
        broken = sorted({f for f in fragments if f not in parsed.ids})
        assert not broken, f"{name}.html links to missing ids: {broken}"
        for record in pub.records:
            assert record.slug in parsed.ids, f"{name}.html has no <article id={record.slug!r}>"
            if pub.layout != "handout":
                assert record.slug in fragments, f"{name}.html contents does not link #{record.slug}"


def test_html_booklet_has_language_title_and_stories(built):
    for name, pub in built.project.publications.items():
        text = built.html(name).read_text(encoding="utf-8")
        assert '<html lang="nl">' in text, name
        title = re.search(r"<title>(.*?)</title>", text, re.S)[1]
        assert html.unescape(title) == expected_title(pub), name
        plain = norm(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", " ", text, flags=re.S))))
        for record in (printed(r, pub) for r in pub.records):
            assert norm(record.title) in plain, f"{name}.html is missing {record.slug}"


# --------------------------------------------------------------------------------------------------------------
# Files outside the project and network addresses are refused
# --------------------------------------------------------------------------------------------------------------


@dataclass
class Refused:
    root: Path
    outside_file: Path
    records: dict[str, Path]
    results: dict[str, BuildResult]
    network_calls: list[str]
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def refused(tmp_path_factory) -> Refused:
    tmp = tmp_path_factory.mktemp("refused")
    root = new_project(tmp)
    outside = tmp / "outside.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n")
    records = {
        "buiten": write_record(root, "buiten", f"images:\n  - src: {outside}\n    alt: x\n"),
        "netwerk": write_record(root, "netwerk", "images:\n  - src: https://example.org/a.png\n    alt: x\n"),
        "buiten-tekst": write_record(root, "buiten-tekst", body=f"Tekst.\n\n![Een beeld]({outside})\n"),
    }
    for slug in records:
        write_publication(root, f"proef-{slug}", [slug])
    calls: list[str] = []

    def no_network(*args, **kwargs):
        calls.append(repr(args[:2]))
        raise OSError("network access attempted in a test")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", no_network)
        mp.setattr(socket, "create_connection", no_network)
        mp.setattr(socket.socket, "connect", no_network)
        project = load_project(root)
        names = [f"proef-{slug}" for slug in records] + ["werkende-factoren"]
        seconds = {}
        results = {}
        for name in names[:-1]:
            started = time.perf_counter()
            results[name] = build(project, [name], out_dir=tmp / "out")[0]
            seconds[name] = time.perf_counter() - started
        # One call naming a failing and a good publication: the good one still builds.
        for result in build(project, ["proef-buiten", "werkende-factoren"], out_dir=tmp / "out2"):
            results[f"together:{result.name}"] = result
    return Refused(root, outside, records, results, calls, seconds)


def test_image_outside_the_project_fails_naming_record_and_path(refused):
    result = refused.results["proef-buiten"]
    assert not result.ok
    assert str(refused.records["buiten"]) in result.error
    assert str(refused.outside_file) in result.error
    assert "outside the project" in result.error
    assert not result.outputs
    assert not (refused.root / "out" / "proef-buiten.pdf").exists()


def test_body_image_outside_the_project_fails_naming_record_and_path(refused):
    result = refused.results["proef-buiten-tekst"]
    assert not result.ok
    assert str(refused.records["buiten-tekst"]) in result.error
    assert str(refused.outside_file) in result.error


def test_one_failing_publication_does_not_stop_the_others(refused, tmp_path):
    bad = refused.results["together:proef-buiten"]
    good = refused.results["together:werkende-factoren"]
    assert not bad.ok and str(refused.records["buiten"]) in bad.error
    assert good.ok, good.error
    assert {o.kind for o in good.outputs} == {"pdf", "html", "accessibility"}
    assert all(o.path.is_file() for o in good.outputs)


def test_network_image_fails_quickly_without_network(refused):
    result = refused.results["proef-netwerk"]
    assert not result.ok
    assert str(refused.records["netwerk"]) in result.error
    assert "https://example.org/a.png" in result.error
    assert "network address" in result.error
    assert refused.seconds["proef-netwerk"] < 5
    assert refused.network_calls == []


# --------------------------------------------------------------------------------------------------------------
# Images inside the project (currently broken, see the reasons)
# --------------------------------------------------------------------------------------------------------------


def _red_png() -> bytes:
    """A valid 2x2 red PNG."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (255, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


RED_PNG = _red_png()


def test_relative_image_inside_the_project_builds(tmp_path):
    root = new_project(tmp_path)
    (root / "images").mkdir()
    (root / "images" / "a.png").write_bytes(RED_PNG)
    write_record(root, "met-beeld", "images:\n  - src: ../../images/a.png\n    alt: Een rood vlak\n")
    write_publication(root, "beeld", ["met-beeld"])
    project = load_project(root)
    assert not [p for p in project.errors if p.path.stem == "met-beeld"]
    (result,) = build(project, ["beeld"], formats=("pdf",), out_dir=tmp_path / "out")
    assert result.ok, result.error


def test_html_booklet_embeds_images(tmp_path):
    root = new_project(tmp_path)
    (root / "images").mkdir()
    image = root / "images" / "a.png"
    image.write_bytes(RED_PNG)
    write_record(root, "met-beeld", f"images:\n  - src: {image}\n    alt: Een rood vlak\n")
    write_publication(root, "beeld", ["met-beeld"])
    (result,) = build(load_project(root), ["beeld"], formats=("html",), out_dir=tmp_path / "out")
    assert result.ok, result.error
    text = (tmp_path / "out" / "beeld.html").read_text(encoding="utf-8")
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs), [s[:60] for s in srcs]


# --------------------------------------------------------------------------------------------------------------
# Project layouts override katern's; a missing one says where it looked
# --------------------------------------------------------------------------------------------------------------


def test_project_layout_partial_overrides_katerns(tmp_path):
    root = new_project(tmp_path)
    (root / "layouts" / "partials").mkdir(parents=True)
    (root / "layouts" / "partials" / "cover.html").write_text(
        '<section class="cover" id="cover"><h1 class="cover-title">{{ pub.title }}</h1>'
        "<p>Eigen omslag 4711</p></section>\n",
        encoding="utf-8",
    )
    write_publication(root, "omslag", ["oss-maatwerkfabriek"])
    (result,) = build(load_project(root), ["omslag"], formats=("pdf",), out_dir=tmp_path / "out")
    assert result.ok, result.error
    reader = pypdf.PdfReader(tmp_path / "out" / "omslag.pdf")
    assert "eigenomslag4711" in norm(reader.pages[0].extract_text())
    assert "eigenomslag4711" not in norm(reader.pages[1].extract_text())


def test_missing_layout_names_the_searched_folders(tmp_path):
    root = new_project(tmp_path)
    (root / "layouts").mkdir()
    (root / "layouts" / "brochure.html").write_text(
        '{% extends "base.html" %}\n{% block body %}{% include "partials/nope.html" %}{% endblock %}\n',
        encoding="utf-8",
    )
    write_publication(root, "kapot", ["oss-maatwerkfabriek"])
    project = load_project(root)
    (result,) = build(project, ["kapot"], out_dir=tmp_path / "out")
    assert not result.ok
    assert "partials/nope.html" in result.error
    assert str(root / "layouts") in result.error
    from katern.resources import builtin_dir

    assert str(builtin_dir("layouts")) in result.error
    assert not (tmp_path / "out" / "kapot.pdf").exists()


def test_body_image_is_printed_as_an_image_not_as_text(tmp_path):
    root = new_project(tmp_path)
    (root / "images").mkdir()
    (root / "images" / "a.png").write_bytes(RED_PNG)
    write_record(root, "met-beeld", body="Tekst.\n\n![Een rood vlak](../../images/a.png)\n")
    write_publication(root, "beeld", ["met-beeld"])
    results = build(load_project(root), ["beeld"], ("pdf", "html"), out_dir=tmp_path / "out")
    assert results[0].ok, results[0].error
    page = (tmp_path / "out" / "beeld.html").read_text(encoding="utf-8")
    assert re.search(r'<img alt="Een rood vlak" src="data:image/png;base64,', page) and "&lt;img" not in page
    reader = pypdf.PdfReader(tmp_path / "out" / "beeld.pdf")
    assert "<img" not in "".join(p.extract_text() for p in reader.pages)
    assert any("/XObject" in p["/Resources"] for p in reader.pages)


def test_stories_with_images_pass_the_validators_in_a_brochure_and_a_newsletter(tmp_path):
    """WeasyPrint paints images after text; katern's styles keep each page in reading order (outloud ORD-001)."""
    root = new_project(tmp_path)
    (root / "images").mkdir()
    (root / "images" / "a.png").write_bytes(RED_PNG)
    image = "images:\n  - src: ../../images/a.png\n    alt: Een rood vlak\n    caption: Een rood vlak.\n"
    write_record(root, "eerste-beeld", image, body="Een korte tekst.")
    write_record(root, "tweede-beeld", image, body="Nog een korte tekst.\n\n![Een tweede vlak](../../images/a.png)")
    write_publication(root, "boek", ["eerste-beeld", "tweede-beeld"])
    (root / "content" / "publications" / "blad.yaml").write_text(
        "title: Blad\ndate: 2017-09-01\nlayout: newsletter\nrecords: [eerste-beeld, tweede-beeld]\noutputs: [pdf]\n",
        encoding="utf-8",
    )
    results = build(load_project(root), ["boek", "blad"], ("pdf",), out_dir=tmp_path / "out")
    assert all(r.ok for r in results), [r.error for r in results]  # the build runs both validators
