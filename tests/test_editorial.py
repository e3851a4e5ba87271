"""The shipped publications read right: own text per edition, contents in reading order, truthful colophons."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from katern.project import load_project
from katern.render import render_html

REPO = Path(__file__).resolve().parents[1]
DORDRECHT = "dordrecht-maatwerktafel-woningmarkt"
NEWSLETTERS = {
    "integraal-werken-noord": ("Noord-Nederland", "8 oktober 2018"),
    "integraal-werken-midden": ("Midden-Nederland", "24 september 2018"),
    "integraal-werken-zuid": ("Zuid-Nederland", "1 oktober 2018"),
}


@pytest.fixture(scope="module")
def project():
    return load_project(REPO)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _story(html: str, slug: str) -> str:
    start = html.index(f'id="{slug}"')
    return _text(html[start : html.index("</article>", start)])


@pytest.mark.parametrize(
    ("name", "title", "wording", "other_title"),
    [
        (
            "integraal-werken-midden",
            "Vechten voor maatwerk op de woningmarkt",
            "Ze vrezen vaak dat individuele behandeling precedenten schept",
            "Maatwerk op de woningmarkt",
        ),
        (
            "integraal-werken-zuid",
            "Maatwerk op de woningmarkt",
            "Mijn belangrijkste tip? Dit concept valt niet letterlijk te kopiëren.",
            "Vechten voor maatwerk op de woningmarkt",
        ),
    ],
)
def test_dordrecht_prints_each_editions_own_headline_and_wording(project, name, title, wording, other_title):
    story = _story(render_html(project, project.publications[name], "print"), DORDRECHT)
    assert f" {title} " in story and wording in story
    assert f" {other_title} " not in f" {story} ".replace(f" {title} ", " ")


def test_midden_and_zuid_print_their_own_tips(project):
    midden = _story(render_html(project, project.publications["integraal-werken-midden"]), DORDRECHT)
    zuid = _story(render_html(project, project.publications["integraal-werken-zuid"]), DORDRECHT)
    assert "Niet te veel deelnemers aan tafel; één per partij is overzichtelijker." in midden
    assert "Zet niet te veel deelnemers aan tafel – een per partij is overzichtelijker." in zuid


@pytest.mark.parametrize("target", ["print", "screen"])
@pytest.mark.parametrize("name", ["noord-brabant", *NEWSLETTERS])
def test_newsletter_contents_are_in_reading_order(project, name, target):
    html = render_html(project, project.publications[name], target)
    nav = re.search(r'<nav class="contents[^"]*".*?</nav>', html, re.S)[0]
    listed = re.findall(r'href="#([a-z0-9-]+)"', nav)
    printed = re.findall(r'<article class="story[^"]*" id="([a-z0-9-]+)"', html)
    assert [s for s in listed if s in printed] == printed


def test_noord_brabant_is_not_dressed_as_an_integraal_werken_issue(project):
    pub = project.publications["noord-brabant"]
    assert "Integraal werken" not in pub.title and "Noord-Brabant" in pub.title
    assert pub.date == max(r.date for r in pub.records)
    sources = {s.title for r in pub.records for s in r.sources}
    assert len(sources) > 1  # records from several series: so no series title
    # Its colophon names the series its stories come from, not one it never had.
    assert pub.colophon and "oktober 2018" in pub.colophon and pub.publisher in pub.colophon
    said = " ".join(pub.colophon.split())
    assert "Van nul tot later als ik groot ben" in said and "editie Zuid-Nederland" in said
    assert 'id="colofon"' in render_html(project, pub, "print")


@pytest.mark.parametrize("name", sorted(NEWSLETTERS))
def test_newsletters_have_a_truthful_colophon(project, name):
    pub = project.publications[name]
    edition, date = NEWSLETTERS[name]
    assert pub.colophon and edition in pub.colophon and date in pub.colophon
    assert pub.publisher in pub.colophon
    assert 'id="colofon"' in render_html(project, pub, "print")


def test_public_text_does_not_name_the_tool(project):
    for pub in project.publications.values():
        texts = [pub.title, pub.subtitle, pub.edition, pub.colophon]
        if pub.foreword:
            texts += [pub.foreword.title, pub.foreword.body]
        for text in filter(None, texts):
            assert not re.search(r"\bkatern\b", text, re.I), (pub.name, text)


def test_brochure_colophon_credits_no_designer_for_this_layout(project):
    colophon = project.publications["van-nul-tot-later"].colophon
    assert "Things to make and do" not in colophon and "Ontwerp" not in colophon
    assert "Ministerie van Volksgezondheid, Welzijn en Sport" in colophon and "september 2017" in colophon


def test_maatwerk_prints_no_web_leftovers(project):
    pub = project.publications["maatwerk-en-ontschotting"]
    text = _text(render_html(project, pub, "print"))
    for leftover in ("hier te zien", "Download", "Klik op", "Lees hier"):
        assert leftover not in text, leftover
    for record in pub.records:
        assert all(link.url for link in record.links), (record.slug, [link.label for link in record.links])


def test_facebook_lead_in_is_grammatical(project):
    """The seed's own lead-in, "Kijk ook op de Facebookpagina van Kids & Koffie" (links_intro)."""
    html = render_html(project, project.publications["van-nul-tot-later"])
    story = html[html.index('id="sliedrecht-kids-en-koffie"') :]
    links = re.search(r'<p class="links">(.*?)</p>', story, re.S)[1]
    assert unescape(_text(links)).strip() == "Kijk ook op de Facebookpagina van Kids & Koffie"
