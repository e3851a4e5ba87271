"""katern.storylayout: a publication laid out story by story gives the PDF of a whole-document layout.

The comparison is made on the shipped publications (a copy of the project in a temporary folder), with
whatever the current layouts and styles produce: the per-story PDF must have the same pages, text,
bookmarks, links and structure tree as the whole-document one, pass the validators, and lay out again
only the story that changed. WeasyPrint 70 gives the very same bytes, which is asserted too.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from katern import pdf as kpdf
from katern.build import allowed_roots
from katern.pdfua import make_accessible
from katern.project import load_project
from katern.render import render_html
from katern.storylayout import StoryLayout, counter_rules, numbers_css, split_html

REPO = Path(__file__).parents[1]
BROCHURE = "van-nul-tot-later"
NEWSLETTER = "integraal-werken-noord"
A5 = "maatwerk-en-ontschotting"


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """The shipped project, copied: content, layouts, styles and seeds (never the real build/)."""
    root = tmp_path_factory.mktemp("storylayout") / "project"
    root.mkdir()
    for name in ("content", "layouts", "styles", "seeds"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
    return root


def whole(project, pub, html: str) -> kpdf.RenderedPdf:
    return kpdf.render_pdf(html, project.root, allowed_roots(project), kpdf.build_date(pub.date), preflight=True)


def per_story(layout: StoryLayout, project, pub, html: str) -> kpdf.RenderedPdf:
    return layout.render(html, project.root, allowed_roots(project), kpdf.build_date(pub.date), preflight=True)


# --- what is compared ---------------------------------------------------------------------------------------


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def bookmarks(data: bytes) -> list[tuple[int, str, int]]:
    """(level, title, target page) of every outline item, in order."""
    reader = PdfReader(io.BytesIO(data))
    found: list[tuple[int, str, int]] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 1)
    return found


def links(data: bytes) -> list[list[tuple]]:
    """Per page: each link annotation's rectangle and where it goes (a URI, or the target page and point)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = {page.objgen: number for number, page in enumerate(pdf.pages)}
        names = {}
        if "/Dests" in pdf.Root.get("/Names", {}):
            tree = pikepdf.NameTree(pdf.Root.Names.Dests)
            names = {str(k): v for k, v in tree.items()}
        result = []
        for page in pdf.pages:
            found = []
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") != "/Link":
                    continue
                rect = tuple(round(float(v), 2) for v in annot.Rect)
                action = annot.get("/A")
                if action is not None and action.get("/S") == "/URI":
                    found.append((rect, "uri", str(action.URI)))
                    continue
                dest = annot.get("/Dest")
                if action is not None and action.get("/S") == "/GoTo":
                    dest = action.D
                if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                    dest = names.get(str(dest), dest)
                if isinstance(dest, pikepdf.Dictionary):
                    dest = dest.D
                target = (pages.get(dest[0].objgen), *(round(float(v), 2) for v in list(dest)[2:4]))
                found.append((rect, "page", target))
            result.append(found)
        return result


def structure(data: bytes) -> list[tuple[str, str | None]]:
    """The structure tree in document order: each element's type (and its alternate text)."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out: list[tuple[str, str | None]] = []
        stack = [pdf.Root.StructTreeRoot]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Dictionary):
                if "/S" in node:
                    alt = node.get("/Alt")
                    out.append((str(node.S), None if alt is None else str(alt)))
                kids = node.get("/K")
                if kids is None:
                    continue
                kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
                stack.extend(reversed([k for k in kids if isinstance(k, pikepdf.Dictionary) and "/S" in k]))
        return out


def assert_same(a: kpdf.RenderedPdf, b: kpdf.RenderedPdf) -> None:
    """The per-story layout `b` is the whole-document layout `a`: pages, text, bookmarks, links, tags."""
    assert b.pages == a.pages
    assert b.anchors == a.anchors
    assert b.lines == a.lines
    assert [str(f) for f in b.faults] == [str(f) for f in a.faults]
    assert b.warnings == a.warnings and b.errors == a.errors
    fixed_a, fixed_b = make_accessible(a.data), make_accessible(b.data)
    assert page_texts(fixed_b) == page_texts(fixed_a)
    assert bookmarks(fixed_b) == bookmarks(fixed_a)
    assert links(fixed_b) == links(fixed_a)
    assert structure(fixed_b) == structure(fixed_a)
    # WeasyPrint 70 writes the very same file: same objects, fonts, identifier (katern.pdf.pdf_identifier).
    assert b.data == a.data


# --- the tests ----------------------------------------------------------------------------------------------


def test_a_brochure_laid_out_per_story_is_the_whole_document_and_passes_the_validators(project_copy):
    from katern.validators import verify_pdf

    project = load_project(project_copy)
    pub = project.publications[BROCHURE]
    html = render_html(project, pub, "print")
    layout = StoryLayout()
    a, b = whole(project, pub, html), per_story(layout, project, pub, html)
    split = split_html(html)
    stories = [u.ident for u in split.units if u.tag == "article"]
    assert stories == [r.slug for r in pub.records]  # one unit per story
    assert len(layout.laid_out) >= len(stories)  # each story was a part of its own
    assert bookmarks(make_accessible(b.data))  # there is something to compare
    assert any(found for found in links(make_accessible(b.data))[:4])  # the contents links
    assert_same(a, b)
    verification = verify_pdf(make_accessible(b.data), name=f"{BROCHURE}.pdf")
    assert verification.passed, verification.summary()

    # One story changed: only its part is laid out again, and it still is the whole-document layout.
    record = project_copy / "content" / "records" / f"{pub.records[3].slug}.md"
    text = record.read_text(encoding="utf-8")
    body = text.index("\n---", 4) + 4
    at = body + re.search(r"\bde\b", text[body:]).start()
    record.write_text(text[:at] + "het" + text[at + 2 :], encoding="utf-8")
    project = load_project(project_copy)
    pub = project.publications[BROCHURE]
    changed = render_html(project, pub, "print")
    assert changed != html
    before = layout.layouts
    b2 = per_story(layout, project, pub, changed)
    units = split_html(changed).units
    story = next(n for n, unit in enumerate(units) if unit.ident == pub.records[3].slug)
    assert layout.layouts - before == len(layout.laid_out)
    assert layout.laid_out[0] == str(story)  # the changed story first; then only what moved
    if b2.anchors == b.anchors:  # no page moved: nothing else is laid out again
        assert layout.laid_out == [str(story)]
    assert_same(whole(project, pub, changed), b2)


def test_a_newsletter_laid_out_in_parts_is_the_whole_document(project_copy):
    """A newsletter's stories flow on, so it is one part (its forced breaks, if any, make more)."""
    project = load_project(project_copy)
    pub = project.publications[NEWSLETTER]
    html = render_html(project, pub, "print")
    layout = StoryLayout()
    assert_same(whole(project, pub, html), per_story(layout, project, pub, html))
    again = layout.layouts
    eager = per_story(layout, project, pub, html)
    assert layout.layouts == again  # nothing changed: nothing is laid out again
    lazy = layout.render(html, project.root, allowed_roots(project), kpdf.build_date(pub.date), lazy=True)
    assert lazy._data is None and lazy.pages == eager.pages and lazy.anchors == eager.anchors
    assert lazy.data == eager.data  # written when read, the same bytes
    lazy.data = b"replaced"
    assert lazy.data == b"replaced"


def test_blank_pages_and_a_facing_story_give_the_whole_documents_page_sequence(project_copy):
    """Blank pages before the back cover, and a story moved to a left-hand page (a blank page before it)."""
    project = load_project(project_copy)
    pub = project.publications[A5]
    html = render_html(project, pub, "print", blank_pages=3)
    slug = pub.records[1].slug
    html = re.sub(rf'class="(story [^"]*)" id="{slug}"', rf'class="\1 facing" id="{slug}"', html)
    assert " facing" in html
    layout = StoryLayout()
    a, b = whole(project, pub, html), per_story(layout, project, pub, html)
    assert_same(a, b)
    # the facing story really starts on an even (left-hand) page, after a blank one
    assert a.anchors[slug] % 2 == 0


def test_contents_numbers_become_literal_rules():
    css = ".toc a::after { content: target-counter(attr(href), page); right: 0; }\n"
    css += ".short a::after { content: ' · ' target-counter(attr(href), page); }"
    rules = counter_rules(css)
    text = numbers_css(rules, {"oss": 12})
    assert '.toc a[href="#oss"]::after { content: "12" !important; }' in text
    assert '.short a[href="#oss"]::after { content: " · " "12" !important; }' in text


@pytest.mark.parametrize("name", [A5, BROCHURE])
def test_the_builds_make_up_laid_out_per_story_is_the_whole_documents(project_copy, tmp_path, name):
    """The build's own print layout (make-up hints, blank pages, repair, validators) with the per-story layout
    given as the Production's renderer (as katern serve does) gives the same HTML, hints and PDF."""
    from katern.build import Hooks, Production

    project = load_project(project_copy)
    pub = project.publications[name]
    a = Production(project, pub, tmp_path).layout()
    layout = StoryLayout()
    b = Production(project, pub, tmp_path, hooks=Hooks(renderer=layout.render)).layout()
    assert layout.layouts > 0  # it was used
    assert (b.html, b.blank_pages, b.fit_css, b.hints) == (a.html, a.blank_pages, a.fit_css, a.hints)
    assert b.pdf.pages == a.pdf.pages and b.pdf.anchors == a.pdf.anchors
    assert b.verification.passed
    assert b.pdf.data == a.pdf.data
