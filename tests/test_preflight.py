"""The layout preflight: faults planted in real katern layouts and in small HTML pages are found where they are."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from conftest import record_front, write_record
from katern.build import allowed_roots
from katern.pdf import build_date, render_pdf
from katern.preflight import (
    EMPTY_COLUMN,
    HYPHEN_LADDER,
    HYPHENATED_ADDRESS,
    HYPHENATED_DISPLAY,
    KINDS,
    NEAR_EMPTY_PAGE,
    ORPHAN,
    OVERFLOW,
    RUN_OUT_PAGE,
    STRANDED_HEADING,
    WIDOW,
    Fault,
    preflight,
)
from katern.project import load_project
from katern.render import render_html

SLUG = "zwolle-think-op-school"  # the first story of the scratch brochure; "oss-maatwerkfabriek" follows it
NEXT = "oss-maatwerkfabriek"

# Long Dutch words: narrow columns must break them, and with `hyphens: auto` they are hyphenated.
LONG_WORDS = (
    "arbeidsongeschiktheidsverzekering jeugdgezondheidszorgorganisaties kinderopvangtoeslagregeling "
    "gemeenteraadsvergadering samenwerkingsovereenkomsten ondersteuningsmogelijkheden "
    "verantwoordelijkheidsgevoel wijkteamcoördinatoren schuldhulpverleningstrajecten "
    "leerplichtambtenaren basisschoolleerlingen preventieprogramma's zorgverzekeringsmaatschappijen "
    "opvoedingsondersteuning ervaringsdeskundigheid bestemmingsplanwijziging"
)

# A one-line paragraph per entry: the story's length in lines is then exactly its number of paragraphs.
ONE_LINE_CSS = ".story-body { columns: 1; } .story-body p { margin: 0; }"


def lines_body(count: int) -> str:
    return "\n\n".join(f"Regel {n}." for n in range(1, count + 1))


def forced(css: str | None) -> str | None:
    """Make every declaration !important: render_pdf's extra CSS is a user style sheet; the layout's rules beat it."""
    return re.sub(r"\s*;", " !important;", css) if css else None


def render_story(root: Path, body: str, css: str | None = None, **front):
    """Rewrite the scratch brochure's first story and lay the brochure out with katern's layouts and `css`."""
    write_record(root, SLUG, record_front(SLUG, **front), body=body)
    project = load_project(root)
    assert not project.errors, project.errors
    pub = project.publications["van-nul-tot-later"]
    html = render_html(project, pub, "print")
    stamp = build_date(pub.date)
    return render_pdf(html, project.root, allowed_roots(project), stamp, extra_css=forced(css), preflight=True)


def of_kind(faults: list[Fault], kind: str) -> list[Fault]:
    return [f for f in faults if f.kind == kind]


# Through katern's real layouts --------------------------------------------------------------------------------


def test_hyphenated_intro_is_display_text(scratch_project):
    lead = "Een intro vol lange woorden: " + LONG_WORDS
    pdf = render_story(scratch_project, "Tekst.", css=".lead { hyphens: auto; }", lead=lead)
    found = of_kind(pdf.faults, HYPHENATED_DISPLAY)
    assert found, pdf.faults
    assert {(f.page, f.story) for f in found} == {(pdf.anchors[SLUG], SLUG)}
    assert "intro" in found[0].message

    clean = render_story(scratch_project, "Tekst.", css=".lead { hyphens: manual; }", lead=lead)
    assert not of_kind(clean.faults, HYPHENATED_DISPLAY), clean.faults


def test_hyphen_ladder_in_a_narrow_column(scratch_project):
    css = ".story-body { columns: 1; width: 45mm; hyphens: auto; } .story-body p { hyphens: auto; }"
    pdf = render_story(scratch_project, LONG_WORDS, css=css)
    found = of_kind(pdf.faults, HYPHEN_LADDER)
    assert found, pdf.faults
    assert (found[0].page, found[0].story) == (pdf.anchors[SLUG], SLUG)
    assert "lines in a row end in a hyphen" in found[0].message

    clean = render_story(scratch_project, LONG_WORDS, css=css.replace("hyphens: auto", "hyphens: manual"))
    assert not of_kind(clean.faults, HYPHEN_LADDER), clean.faults


def test_hyphenated_web_address(scratch_project):
    address = "www.jeugdgezondheidszorgverslavingspreventie.nl"  # Markdown makes it a link
    body = f"Kijk voor alles over de aanpak op {address} of bel ons gewoon even op."
    narrow = ".story-body { columns: 1; width: 50mm; }"
    hyphenated = " .story-body p, .story-body a, .story-body .address { hyphens: auto; overflow-wrap: normal; }"
    pdf = render_story(scratch_project, body, css=narrow + hyphenated)
    found = of_kind(pdf.faults, HYPHENATED_ADDRESS)
    assert [(f.page, f.story) for f in found] == [(pdf.anchors[SLUG], SLUG)], pdf.faults
    assert "'www.jeugdgezondheidszorg" in found[0].message and "was hyphenated" in found[0].message

    # Without the planted style the layout breaks the address (if at all) without a hyphen.
    clean = render_story(scratch_project, body, css=narrow)
    assert not of_kind(clean.faults, HYPHENATED_ADDRESS), clean.faults


_FITTING: dict[str, int] = {}  # every scratch project lays the story out alike: measure once per style


def _fitting_lines(root: Path, css: str) -> int:
    """Return how many one-line paragraphs ("Regel 1." …) of the story fit on its first page."""
    if css in _FITTING:
        return _FITTING[css]
    probe = render_story(root, lines_body(120), css=css)
    first = probe.anchors[SLUG]
    assert probe.anchors[NEXT] > first + 1  # the probe runs over a page
    text = PdfReader(io.BytesIO(probe.data)).pages[first - 1].extract_text()
    _FITTING[css] = max(int(n) for n in re.findall(r"Regel (\d+)\.", text))
    return _FITTING[css]


def test_near_empty_page_at_the_end_of_a_story(scratch_project):
    fit = _fitting_lines(scratch_project, ONE_LINE_CSS)
    pdf = render_story(scratch_project, lines_body(fit + 2), css=ONE_LINE_CSS)
    page = pdf.anchors[SLUG] + 1
    assert pdf.anchors[NEXT] == page + 1
    found = of_kind(pdf.faults, NEAR_EMPTY_PAGE)
    assert [(f.page, f.story) for f in found] == [(page, SLUG)], pdf.faults
    assert not of_kind(pdf.faults, RUN_OUT_PAGE)  # one fault for one page: near-empty says it all

    clean = render_story(scratch_project, lines_body(fit + 12), css=ONE_LINE_CSS)
    assert not of_kind(clean.faults, NEAR_EMPTY_PAGE), clean.faults
    assert not of_kind(clean.faults, RUN_OUT_PAGE), clean.faults


def test_run_out_page_before_the_next_story(scratch_project):
    css = ONE_LINE_CSS + f" #{NEXT} {{ break-before: auto; }}"  # the next story follows on the same page
    fit = _fitting_lines(scratch_project, css + f" #{NEXT} {{ break-before: page; }}")
    pdf = render_story(scratch_project, lines_body(fit + 3), css=css)
    page = pdf.anchors[SLUG] + 1
    assert pdf.anchors[NEXT] == page
    found = of_kind(pdf.faults, RUN_OUT_PAGE)
    assert [(f.page, f.story) for f in found] == [(page, SLUG)], pdf.faults
    assert "last 3 line(s)" in found[0].message
    assert not of_kind(pdf.faults, NEAR_EMPTY_PAGE)

    clean = render_story(scratch_project, lines_body(fit + 8), css=css)
    assert not of_kind(clean.faults, RUN_OUT_PAGE), clean.faults


def test_unbalanced_columns_on_a_story_s_last_page(scratch_project):
    fit = _fitting_lines(scratch_project, ONE_LINE_CSS)  # the lines of one full column
    body = lines_body(fit * 7 // 10)
    unbalanced = ".story-body { columns: 2; column-fill: auto; } .story-body p { margin: 0; }"
    pdf = render_story(scratch_project, body, css=unbalanced)
    found = of_kind(pdf.faults, EMPTY_COLUMN)
    assert [(f.page, f.story) for f in found] == [(pdf.anchors[SLUG], SLUG)], pdf.faults
    assert "all text is in the first column" in found[0].message

    clean = render_story(scratch_project, body, css=unbalanced.replace("auto", "balance"))
    assert not of_kind(clean.faults, EMPTY_COLUMN), clean.faults


def test_heading_stranded_at_the_foot_of_a_page(scratch_project):
    fit = _fitting_lines(scratch_project, ONE_LINE_CSS)
    body = lines_body(fit - 1) + "\n\n## Een tussenkop\n\n" + "\n\n".join(f"Verder {n}." for n in range(1, 6))
    one_line_heading = ONE_LINE_CSS + " .story-body h2 { margin: 0; line-height: 17px; height: 17px; }"
    pdf = render_story(scratch_project, body, css=one_line_heading + " .story-body h2 { break-after: auto; }")
    found = of_kind(pdf.faults, STRANDED_HEADING)
    assert [(f.page, f.story) for f in found] == [(pdf.anchors[SLUG], SLUG)], pdf.faults
    assert "'Een tussenkop' is the last thing on the page" in found[0].message

    clean = render_story(scratch_project, body, css=one_line_heading + " .story-body h2 { break-after: avoid; }")
    assert not of_kind(clean.faults, STRANDED_HEADING), clean.faults


def test_word_overflowing_a_narrow_column(scratch_project):
    word = "Jeugdgezondheidszorgkwaliteitsverbeteringsprogramma"  # 51 letters: katern's own check allows it
    css = ".story-body { columns: 1; width: 45mm; overflow-wrap: normal; } .story-body p { hyphens: manual; }"
    pdf = render_story(scratch_project, f"Dit woord past niet: {word}.", css=css)
    found = of_kind(pdf.faults, OVERFLOW)
    assert [(f.page, f.story) for f in found] == [(pdf.anchors[SLUG], SLUG)], pdf.faults
    assert "past the right edge of its column or box" in found[0].message

    clean = render_story(scratch_project, f"Dit woord past niet: {word}.", css=css.replace("normal", "anywhere"))
    assert not of_kind(clean.faults, OVERFLOW), clean.faults


# In small HTML pages: 120 x 160 mm, 10 mm margins, lines of exactly 20 px ----------------------------------------

PAGE_LINES = 26  # the 140 mm text area holds 26 lines of 20 px (26.5)


def html_faults(body: str, css: str = "") -> list[Fault]:
    """Lay out a small HTML page holding one story, "proef", and return its faults."""
    html = f"""<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><style>
    @page {{ size: 120mm 160mm; margin: 10mm; }}
    body {{ font-family: serif; font-size: 10pt; line-height: 20px; margin: 0; }}
    p {{ margin: 0; }}
    {css}
    </style></head><body><article class="story" id="proef">{body}</article></body></html>"""
    return preflight(weasyprint.HTML(string=html).render())


def lines_html(count: int, word: str = "Regel") -> str:
    return "".join(f"<p>{word} {n}.</p>" for n in range(1, count + 1))


def paragraph(count: int) -> str:
    """One paragraph of `count` lines, each ended by a line break."""
    return "<p>" + "<br>".join(f"Alinearegel {n}" for n in range(1, count + 1)) + "</p>"


@pytest.mark.parametrize(
    ("kind", "other", "before", "page"),
    [
        (ORPHAN, WIDOW, PAGE_LINES - 1, 1),  # the paragraph's first line alone at the foot of page 1
        (WIDOW, ORPHAN, PAGE_LINES - 5, 2),  # its last line alone at the top of page 2
    ],
)
def test_widow_and_orphan_at_a_page_break(kind, other, before, page):
    body = lines_html(before) + paragraph(6) + lines_html(3, "Slot")
    faults = html_faults(body, "body { orphans: 1; widows: 1; }")
    assert [(f.page, f.story) for f in of_kind(faults, kind)] == [(page, "proef")], faults
    assert not of_kind(faults, other)
    # With orphans and widows at 2 the layout takes a line along: no fault.
    clean = html_faults(body, "body { orphans: 2; widows: 2; }")
    assert not of_kind(clean, WIDOW) and not of_kind(clean, ORPHAN), clean


def test_widow_at_a_column_break():
    body = '<div style="columns: 2; column-fill: auto">' + lines_html(PAGE_LINES - 3) + paragraph(4) + "</div>"
    found = of_kind(html_faults(body, "body { orphans: 1; widows: 1; }"), WIDOW)
    assert [(f.page, f.story) for f in found] == [(1, "proef")]
    assert "at the top of column 2." in found[0].message


def test_empty_column_while_the_story_goes_on():
    # A forced column break after an empty block leaves column 2 empty; the story goes on on page 2.
    empty = '<div style="break-before: column; break-after: column"></div>'
    body = '<div style="columns: 2; column-fill: auto">' + lines_html(20) + empty + lines_html(3, "Verder") + "</div>"
    found = of_kind(html_faults(body), EMPTY_COLUMN)
    assert [(f.page, f.story) for f in found] == [(1, "proef")]
    assert "1 of the 2 columns stay(s) empty while the text goes on on page 2" in found[0].message

    clean = '<div style="columns: 2; column-fill: auto">' + lines_html(2 * PAGE_LINES + 10) + "</div>"
    assert not of_kind(html_faults(clean), EMPTY_COLUMN)


def test_short_column_while_the_story_goes_on():
    # Column 2 holds 5 lines, then a block that must not be split moves on to page 2 with everything
    # after it: the column is about 80 % empty while the text goes on.
    block = '<div style="break-inside: avoid">' + lines_html(PAGE_LINES - 2, "Blok") + "</div>"
    body = '<div style="columns: 2; column-fill: auto">' + lines_html(PAGE_LINES + 5) + block + "</div>"
    found = [f for f in of_kind(html_faults(body), EMPTY_COLUMN) if f.page == 1]  # page 2: the last page
    assert [(f.page, f.story) for f in found] == [(1, "proef")], found
    assert re.search(r"column 2 of 2 is (7\d|8\d)% empty while the text goes on on page 2", found[0].message)
    # A column filled to the foot before the block moves on is no fault.
    full = '<div style="columns: 2; column-fill: auto">' + lines_html(2 * PAGE_LINES - 1) + block + "</div>"
    assert not [f for f in of_kind(html_faults(full), EMPTY_COLUMN) if f.page == 1]


def test_200_character_word_overflows_the_page():
    word = "Kwaliteitsverbeteringsprogramma" * 7  # 217 letters
    faults = html_faults(f"<p>Te lang: {word}</p>", "p { overflow-wrap: normal; hyphens: manual; }")
    found = of_kind(faults, OVERFLOW)
    assert [(f.page, f.story) for f in found] == [(1, "proef")]
    assert "past the right edge of the page's text area" in found[0].message
    assert not of_kind(html_faults(f"<p>Te lang: {word}</p>", "p { overflow-wrap: anywhere; }"), OVERFLOW)


def test_clean_page_has_no_faults():
    assert html_faults(lines_html(10) + paragraph(5) + lines_html(8)) == []


def test_faults_are_sorted_and_read_plainly():
    faults = [
        Fault(WIDOW, 3, "b", "x"),
        Fault(OVERFLOW, 1, "b", "x"),
        Fault(ORPHAN, 3, "a", "x"),
        Fault(ORPHAN, 3, "b", "x"),
    ]
    assert [(f.page, f.story, f.kind) for f in sorted(faults, key=lambda f: f.sort_key)] == [
        (1, "b", OVERFLOW),
        (3, "a", ORPHAN),
        (3, "b", WIDOW),
        (3, "b", ORPHAN),
    ]
    assert str(Fault(WIDOW, 3, "b", "the last line…")) == "page 3, story 'b': widow: the last line…"
    assert str(Fault(OVERFLOW, 2, "", "text runs…")) == "page 2: overflow: text runs…"
    assert len(set(KINDS)) == len(KINDS) == 10
