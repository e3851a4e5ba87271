"""A record's `editions`: the headline and wording it printed in one publication; and its own `links_intro`."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import record_front, write_record
from katern.project import load_project
from katern.render import render_html

LEIDEN = "leiden-vliegende-brigade"
SECOND = """\
title: Tweede editie
date: 2018-09-24
layout: newsletter
records: [leiden-vliegende-brigade]
"""


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def plain(html: str) -> str:
    """The text of some HTML: tags dropped, typeset's non-breaking and zero-width spaces made plain."""
    text = re.sub(r"<[^>]+>", " ", html)
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\u2060", "")
    return re.sub(r"\s+", " ", text)


def story_html(html: str, slug: str) -> str:
    """Return the text of the <article> of one story in a rendered publication."""
    start = html.index(f'id="{slug}"')
    return plain(html[start : html.index("</article>", start)])


def test_edition_fields_print_in_that_publication_only(scratch_project):
    (scratch_project / "content" / "publications" / "tweede.yaml").write_text(SECOND, encoding="utf-8")
    editions = {
        "zuid-holland": {
            "title": "Een eigen kop in Zuid-Holland",
            "lead": "De intro zoals Zuid-Holland hem drukte.",
            "body": "De tekst zoals Zuid-Holland hem drukte.",
            "tips": ["Een eigen tip."],
        }
    }
    write_record(scratch_project, LEIDEN, record_front(LEIDEN, editions=editions), body="De gewone tekst.")
    project = load_project(scratch_project)
    assert project.problems == []
    own = story_html(render_html(project, project.publications["zuid-holland"], "print"), LEIDEN)
    assert "Een eigen kop in Zuid-Holland" in own and "De intro zoals Zuid-Holland" in own
    assert "De tekst zoals Zuid-Holland hem drukte." in own and "Een eigen tip." in own
    assert "De gewone tekst." not in own and "Vliegende brigade helpt snel" not in own
    other = story_html(render_html(project, project.publications["tweede"], "print"), LEIDEN)
    assert "Vliegende brigade helpt snel" in other and "De gewone tekst." in other
    assert "Zuid-Holland" not in other
    # The HTML booklet prints the edition's text too, and its contents list the edition's headline.
    booklet = plain(render_html(project, project.publications["zuid-holland"], "screen"))
    assert booklet.count("Een eigen kop in Zuid-Holland") >= 2 and "Vliegende brigade helpt snel" not in booklet


def test_edition_of_a_family_applies_to_each_of_its_editions(scratch_project):
    record = load_project(scratch_project).records[LEIDEN]
    record.editions = {"per-provincie": {"title": "Kop per provincie"}}
    assert record.for_publication("per-provincie-zuid-holland", "per-provincie").title == "Kop per provincie"
    assert record.for_publication("zuid-holland").title == "Vliegende brigade helpt snel"
    assert record.for_publication("zuid-holland") is record


def test_unknown_publication_in_editions_is_an_error_with_a_suggestion(scratch_project):
    path = write_record(scratch_project, LEIDEN, record_front(LEIDEN, editions={"zuid-holand": {"title": "Kop"}}))
    project = load_project(scratch_project)
    [problem] = [p for p in project.problems if p.path == path]
    assert problem.is_error and problem.field == "editions.zuid-holand"
    assert "unknown publication 'zuid-holand'" in problem.message
    assert "Did you mean 'zuid-holland'?" in problem.message
    assert "content/publications/" in problem.message
    assert problem.line == line_of(path, "editions:")


def test_unknown_field_in_an_edition_is_an_error_with_a_suggestion(scratch_project):
    editions = {"zuid-holland": {"titel": "Kop", "date": "2018-10-01"}}
    path = write_record(scratch_project, LEIDEN, record_front(LEIDEN, editions=editions))
    problems = {p.field: p for p in load_project(scratch_project).problems if p.path == path}
    assert set(problems) == {"editions.zuid-holland.titel", "editions.zuid-holland.date"}
    assert all(p.is_error for p in problems.values())
    assert "Did you mean 'title'?" in problems["editions.zuid-holland.titel"].message
    assert "cannot differ per publication" in problems["editions.zuid-holland.date"].message
    assert "title, place, lead, body" in problems["editions.zuid-holland.date"].message


def test_edition_fields_are_checked_like_the_record_fields(scratch_project):
    wrong = {"title": ["geen", "tekst"], "tips": "Eén tip.", "links": [{"label": "x", "url": "x.nl"}]}
    editions = {"zuid-holland": wrong}
    path = write_record(scratch_project, LEIDEN, record_front(LEIDEN, editions=editions))
    project = load_project(scratch_project)
    problems = {p.field: p for p in project.problems if p.path == path}
    assert set(problems) == {"editions.zuid-holland.title", "editions.zuid-holland.links[1].url"}
    assert "must be text" in problems["editions.zuid-holland.title"].message
    assert project.records[LEIDEN].editions["zuid-holland"]["tips"] == ["Eén tip."]


def test_editions_must_be_a_mapping_of_mappings(scratch_project):
    path = write_record(scratch_project, LEIDEN, record_front(LEIDEN, editions={"zuid-holland": "Kop"}))
    [problem] = [p for p in load_project(scratch_project).problems if p.path == path]
    assert problem.field == "editions.zuid-holland" and "must be a mapping" in problem.message


def test_links_intro_is_read_and_printed_before_the_links(scratch_project):
    front = record_front(
        LEIDEN,
        links_intro="Kijk ook op",
        links=[{"label": "de Facebookpagina van de brigade"}, {"label": "www.x.nl", "url": "https://www.x.nl"}],
    )
    write_record(scratch_project, LEIDEN, front)
    project = load_project(scratch_project)
    assert project.problems == []
    assert project.records[LEIDEN].links_intro == "Kijk ook op"
    links = re.search(r'<p class="links">(.*?)</p>', render_html(project, project.publications["zuid-holland"]), re.S)
    text = re.sub(r"\s+([,.])", r"\1", plain(links[1])).strip()
    assert text.startswith("Kijk ook op de Facebookpagina van de brigade")
    assert "Kijk voor meer informatie op" not in text


def test_without_links_intro_the_language_lead_in_is_printed(scratch_project):
    write_record(
        scratch_project, LEIDEN, record_front(LEIDEN, links=[{"label": "www.x.nl", "url": "https://www.x.nl"}])
    )
    project = load_project(scratch_project)
    html = render_html(project, project.publications["zuid-holland"])
    assert "Kijk voor meer informatie op" in re.search(r'<p class="links">(.*?)</p>', html, re.S)[1]


def test_edition_text_is_checked_like_the_records_own(scratch_project):
    """Raw HTML that would be removed, and words too long to set, are reported in an edition's text too."""
    editions = {
        "zuid-holland": {
            "title": "Een kop met " + "x" * 70,
            "body": "Tekst met <script>alert(1)</script> erin.",
            "tips": ["Een tip met <iframe src='x'></iframe>."],
        }
    }
    path = write_record(scratch_project, LEIDEN, record_front(LEIDEN, editions=editions))
    problems = {p.field: p for p in load_project(scratch_project).problems if p.path == path}
    assert {"editions.zuid-holland.body", "editions.zuid-holland.tips[1]", "editions.zuid-holland.title"} <= set(
        problems
    ), [str(p) for p in problems.values()]
    assert "script" in problems["editions.zuid-holland.body"].message
    assert "70 characters" in problems["editions.zuid-holland.title"].message
    assert all(p.is_error for p in problems.values())
