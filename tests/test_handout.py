"""The story handout: `layout: handout` with one record prints that story on one page, fitted if needed."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest

from conftest import record_front, write_record
from katern.build import build
from katern.project import load_project

SHEET = """\
title: Praktijkverhaal voor de netwerkbijeenkomst
subtitle: Netwerkbijeenkomst jeugd, 12 maart
publisher: Ministerie van Volksgezondheid, Welzijn en Sport
date: 2018-03-12
layout: handout
records: [zwolle-think-op-school]
outputs: [pdf, html]
"""

PARAGRAPH = (
    "Op de scholen in Zwolle werken leerkrachten, jeugdverpleegkundigen en welzijnswerkers samen aan een "
    "programma dat kinderen leert omgaan met vriendschap, keuzes en tegenslag. "
)


def write_story(root: Path, paragraphs: int) -> None:
    front = record_front(
        "zwolle-think-op-school",
        lead="Scholen en zorg werken samen aan sociaal-emotionele vaardigheden.",
        quotes=["Kinderen leren hier hoe ze vriendschappen sluiten.", "Tweede citaat dat niet op het blad komt."],
        tips=["Begin klein, met een school die wil."],
        contact="Meld het bij de gemeente Zwolle.",
        boxes=[{"title": "Kader dat wegblijft", "body": "Een kader."}],
    )
    body = "\n\n".join(f"## Deel {i}\n\n{PARAGRAPH * 3}" for i in range(paragraphs))
    write_record(root, "zwolle-think-op-school", front, body)
    (root / "content" / "publications" / "blad.yaml").write_text(SHEET, encoding="utf-8")


def text(path: Path) -> str:
    """The PDF's text with line-end hyphens and line breaks undone."""
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return " ".join(raw.replace("-\n", "").split())


def test_a_short_story_prints_on_one_page_at_the_largest_size(scratch_project, tmp_path):
    write_story(scratch_project, 2)
    (result,) = build(load_project(scratch_project), ["blad"], ("pdf",), tmp_path / "out")
    assert result.ok, result.error
    assert result.pages == 1
    assert any("body text at 10.5 pt" in note for note in result.notes), result.notes
    printed = text(tmp_path / "out" / "blad.pdf")
    for part in (
        "THINK op school",
        "Scholen en zorg werken samen",
        "vriendschappen sluiten",
        "Begin klein",
        "gemeente Zwolle",
    ):
        assert part in printed, part
    assert "Tweede citaat" not in printed  # one quote only
    assert "Kader dat wegblijft" not in printed  # no boxes on the sheet
    assert "Werkende factoren" not in printed  # not the factor sheet


def test_a_longer_story_is_fitted_at_a_smaller_size(scratch_project, tmp_path):
    write_story(scratch_project, 8)
    (result,) = build(load_project(scratch_project), ["blad"], ("pdf",), tmp_path / "out")
    assert result.ok, result.error
    assert result.pages == 1
    (note,) = [n for n in result.notes if "body text at" in n]
    size = float(note.split("body text at ")[1].split(" pt")[0])
    assert 8.5 <= size < 10.5, note


def test_a_story_too_long_for_one_page_says_by_how_many_lines(scratch_project, tmp_path):
    write_story(scratch_project, 30)
    (result,) = build(load_project(scratch_project), ["blad"], ("pdf",), tmp_path / "out")
    assert not result.ok
    assert "does not fit on 1 page(s), even at 8.5 pt" in result.error
    lines = int(result.error.split("pt: ")[1].split(" line")[0])
    assert lines > 10
    assert not (tmp_path / "out" / "blad.pdf").exists()


def test_the_html_of_a_story_sheet_holds_the_story(scratch_project, tmp_path):
    write_story(scratch_project, 2)
    (result,) = build(load_project(scratch_project), ["blad"], ("html",), tmp_path / "out")
    assert result.ok, result.error
    page = (tmp_path / "out" / "blad.html").read_text(encoding="utf-8")
    assert 'id="zwolle-think-op-school"' in page and "werkende-factoren" not in page.split("<main")[1]


@pytest.mark.parametrize("records", ["[zwolle-think-op-school, oss-maatwerkfabriek]"])
def test_a_sheet_of_two_stories_is_refused(scratch_project, records):
    from click.testing import CliRunner

    from katern.cli import cli

    (scratch_project / "content" / "publications" / "blad.yaml").write_text(
        SHEET.replace("[zwolle-think-op-school]", records), encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["--project", str(scratch_project), "check"])
    assert result.exit_code == 1 and "layout 'handout' takes no records or one record" in result.output
