"""Page make-up (makeup.py): hints from a first layout's preflight, blank pages placed to make spreads face."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from katern.build import build
from katern.makeup import (
    FACING,
    FEW_HYPHENS,
    TIGHT,
    LayoutHints,
    Span,
    better,
    expected,
    place_blank_pages,
    spans,
    story_hints,
)
from katern.preflight import HYPHEN_LADDER, NEAR_EMPTY_PAGE, RUN_OUT_PAGE, WIDOW, Fault
from katern.project import load_project

WORDS = (
    "De gemeente werkt samen met scholen, jeugdhulp en ouders aan een aanpak die past bij wat een kind "
    "nodig heeft, dicht bij huis en zonder lange wachttijden. "
)


def test_spans_run_from_a_story_to_the_next_start():
    anchors = {"a": 4, "b": 6, "werkende-factoren": 8, "c": 9, "colofon": 12}
    found = spans(anchors, ["a", "b", "c", "missing"], pages=14, ends=("werkende-factoren", "colofon"))
    assert found == [Span("a", 4, 2), Span("b", 6, 2), Span("c", 9, 3)]


def test_a_short_run_out_asks_for_a_tighter_story():
    found = [Span("a", 4, 2), Span("b", 6, 2)]
    lines = [0, 0, 0, 120, 3, 120, 40]
    faults = [
        Fault(RUN_OUT_PAGE, 5, "a", "3 lines"),
        Fault(NEAR_EMPTY_PAGE, 7, "b", "40 lines"),  # 40 of 160 lines: beyond what tightening pulls back
        Fault(HYPHEN_LADDER, 6, "b", "3 in a row"),
        Fault(WIDOW, 6, "b", "one line"),  # no hint for a widow: WeasyPrint keeps 2 lines already
        Fault(RUN_OUT_PAGE, 9, "", "outside a story"),
    ]
    hints = story_hints(faults, found, lines)
    assert hints.get(TIGHT) == {"a"}
    assert hints.get(FEW_HYPHENS) == {"b"}
    assert hints.for_template() == {"few-hyphens": ("b",), "tight": ("a",)}
    assert any("a: set a little tighter" in said for said in hints.describe())


def test_a_colophon_line_on_a_page_of_its_own_tightens_the_stories_before_it():
    """A newsletter's colophon runs one line onto page 3: the stories on page 2 give the room."""
    found = [Span("a", 1, 1), Span("b", 2, 1), Span("c", 2, 1)]
    hints = story_hints([Fault(NEAR_EMPTY_PAGE, 3, "colofon", "1 line")], found, [70, 76, 1])
    assert hints.get(TIGHT) == {"b", "c"}
    # Half a page of colophon is not pulled back: it is not a few lines.
    assert not story_hints([Fault(NEAR_EMPTY_PAGE, 3, "colofon", "")], found, [70, 76, 30])


def test_a_foreword_running_a_few_lines_over_is_set_tighter_itself():
    hints = story_hints([Fault(NEAR_EMPTY_PAGE, 3, "voorwoord", "4 lines")], [Span("a", 5, 2)], [20, 40, 6, 0, 40])
    assert hints.get(TIGHT) == {"voorwoord"}


def test_a_fault_on_a_page_that_is_not_the_last_asks_nothing():
    hints = story_hints([Fault(RUN_OUT_PAGE, 4, "a", "")], [Span("a", 4, 2)], [0, 0, 0, 2, 120])
    assert not hints


def test_blank_pages_go_first_before_two_page_stories_that_would_turn_over():
    # 29 pages: 3 blank pages to make 32. "b" starts on page 7 (right-hand) and "d" on 12, which the
    # blank page before "b" makes 13 (right-hand) too; "c" (3 pages) and "a" (facing already) get none.
    found = [Span("a", 4, 2), Span("b", 7, 2), Span("c", 9, 3), Span("d", 12, 2)]
    hints = place_blank_pages(LayoutHints(), found, 29)
    assert hints.get(FACING) == {"b", "d"}
    assert hints.blank_pages == 1


def test_blank_pages_are_placed_for_the_pages_the_hints_pull_back():
    """Tightening "a" should pull its page 6 back; "b" then starts on 6, a left-hand page: no blank page
    is put before it, as it would be in the first layout (where it starts on 7)."""
    found = [Span("a", 4, 3), Span("b", 7, 2)]
    hints = story_hints([Fault(RUN_OUT_PAGE, 6, "a", "")], found, [0, 0, 0, 120, 120, 3, 120, 120, 10])
    assert hints.pulled == {6}
    moved, pages = expected(found, 9, hints)
    assert moved == [Span("a", 4, 2), Span("b", 6, 2)] and pages == 8
    place_blank_pages(hints, moved, pages)
    assert not hints.get(FACING) and hints.blank_pages == 0  # 8 pages: a multiple of 4 already
    assert place_blank_pages(LayoutHints(), found, 9).get(FACING) == {"b"}  # without the guess


def test_no_spare_page_means_no_blank_page_mid_brochure():
    hints = place_blank_pages(LayoutHints(), [Span("b", 7, 2)], 32)
    assert not hints.get(FACING) and hints.blank_pages == 0


def test_a_second_layout_is_kept_only_when_it_has_fewer_faults():
    one = [Fault(RUN_OUT_PAGE, 5, "a", "")]
    assert better([], one)
    assert not better(one, one)
    assert not better(one + one, one)


def _two_page_story_on_a_right_hand_page(root: Path) -> None:
    """Make the scratch brochure's first story run two pages and start on page 3, a right-hand page."""
    record = root / "content" / "records" / "zwolle-think-op-school.md"
    text = record.read_text(encoding="utf-8")
    body = "\n\n".join(f"## Deel {i}\n\n" + WORDS * 9 for i in range(1, 6))
    record.write_text(text.replace("Het verhaal uit Zwolle.", body), encoding="utf-8")


def test_a_two_page_story_is_moved_to_a_left_hand_page_with_a_spare_blank(scratch_project, tmp_path):
    _two_page_story_on_a_right_hand_page(scratch_project)
    project = load_project(scratch_project)
    (result,) = build(project, ["van-nul-tot-later"], ("pdf",), tmp_path / "out")
    assert result.ok, result.error
    reader = PdfReader(tmp_path / "out" / "van-nul-tot-later.pdf")
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) % 4 == 0
    starts = [i + 1 for i, text in enumerate(texts) if "THINK op school" in text and "Deel 1" in text]
    assert starts and starts[0] % 2 == 0, f"the two-page story starts on page {starts}, a right-hand page"
    assert "Deel 5" in texts[starts[0]], "the story's second page faces its first"
    assert not texts[starts[0] - 2].strip(), "the page before it is the blank page that moved it"
    assert any("so their pages face (zwolle-think-op-school)" in note for note in result.notes), result.notes


def test_the_shipped_brochure_is_made_up(shipped):
    """Sliedrecht's three-line run-out is pulled back; Diemen's run of hyphenated lines is broken."""
    _project, out, results = shipped
    result = results["van-nul-tot-later"]
    said = " ".join(result.notes)
    assert "sliedrecht-kids-en-koffie: set a little tighter" in said
    assert "diemen-jeugdhulp-naar-school: hyphenated less" in said
    assert not [w for w in result.warnings if "sliedrecht" in w or "diemen" in w]
    texts = [page.extract_text() for page in PdfReader(out / "van-nul-tot-later.pdf").pages]
    contents = next(i for i, text in enumerate(texts) if text.startswith("Inhoud"))
    start = next(i for i, text in enumerate(texts) if i > contents and "Kids & Koffie op de kinderboerderij" in text)
    assert "De jeugdsoos als hart van de jeugdhulp" in texts[start + 1], "the next story follows on the next page"


def test_the_hints_answer_the_preflight_s_own_fault_kinds():
    import katern.makeup as makeup
    import katern.preflight as preflight

    for kind in ("HYPHEN_LADDER", "NEAR_EMPTY_PAGE", "RUN_OUT_PAGE"):
        assert getattr(makeup, kind) == getattr(preflight, kind)


def test_a_build_with_nothing_to_do_does_not_load_weasyprint():
    """katern.build (and the make-up it uses) loads WeasyPrint only when something is laid out."""
    import subprocess
    import sys

    code = "import sys, katern.build, katern.cli; print('weasyprint' in sys.modules)"
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert said.strip() == "False"


def test_three_stories_from_one_place_pass_the_validators(scratch_project, tmp_path):
    """A place line that opens three story pages is not taken for a running head (outloud PAG-001)."""
    from conftest import record_front, write_record

    slugs = []
    for number in range(1, 4):
        slug = f"zwolle-verhaal-{number}"
        front = record_front("zwolle-think-op-school", title=f"Verhaal {number} uit Zwolle")
        write_record(scratch_project, slug, front, body=f"## Deel\n\n{WORDS * 4}")
        slugs.append(slug)
    brochure = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    text = brochure.read_text(encoding="utf-8")
    text = text.replace("  - oss-maatwerkfabriek\n", "  - oss-maatwerkfabriek\n" + "".join(f"  - {s}\n" for s in slugs))
    brochure.write_text(text, encoding="utf-8")
    project = load_project(scratch_project)
    (result,) = build(project, ["van-nul-tot-later"], ("pdf",), tmp_path / "out")
    assert result.ok, result.error
