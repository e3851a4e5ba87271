"""Loading and validating content: every kind of bad input gives one clear, well-placed problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import RECORDS, record_front, snapshot, write_record
from katern.errors import Problem, ValidationFailed
from katern.project import Project, load_project

ZWOLLE = "zwolle-think-op-school"
OSS = "oss-maatwerkfabriek"
LEIDEN = "leiden-vliegende-brigade"


def load(root: Path) -> Project:
    """Load the project and check that loading changed no file."""
    before = snapshot(root)
    project = load_project(root)
    assert snapshot(root) == before, "validation must never change a file"
    return project


def record_path(root: Path, slug: str) -> Path:
    return root / "content" / "records" / f"{slug}.md"


def line_of(path: Path, text: str) -> int:
    """Return the 1-based number of the first line of `path` that contains `text`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def problems_at(project: Project, path: Path, field: str | None = ...) -> list[Problem]:
    found = [p for p in project.problems if p.path == path]
    if field is not ...:
        found = [p for p in found if p.field == field]
    return found


def one_problem(project: Project, path: Path, field: str | None = ..., severity: str = "error") -> Problem:
    """Return the single problem for `path` (and `field`), checking its severity."""
    found = problems_at(project, path, field)
    assert len(found) == 1, f"expected one problem for {path} {field}, got: {[str(p) for p in project.problems]}"
    problem = found[0]
    assert problem.severity == severity, str(problem)
    assert problem.is_error == (severity == "error")
    return problem


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- the clean project ----------------------------------------------------------------------------


def test_scratch_project_loads_without_problems(scratch_project):
    project = load(scratch_project)
    assert project.problems == []
    assert sorted(project.records) == sorted(RECORDS)
    assert [f.id for f in project.factors] == ["juiste-mensen", "gezamenlijke-zoektocht", "onconventionele-oplossingen"]
    assert project.factors[0].applies_to_all
    assert project.themes["maatwerk"] == "Maatwerk"
    assert project.municipalities["De Marne"] == "Groningen"
    brochure = project.publications["van-nul-tot-later"]
    assert [r.slug for r in brochure.records] == [ZWOLLE, OSS]
    assert brochure.factors_after == OSS
    edition = project.publications["zuid-holland"]
    assert [r.slug for r in edition.records] == [LEIDEN]
    project.raise_for_problems(strict=True)


def test_record_fields_are_read(scratch_project):
    record = load(scratch_project).records[ZWOLLE]
    assert record.title == "‘THINK op school’ verbindt onderwijs en zorg"
    assert record.kind == "praktijkverhaal"
    assert record.date.isoformat() == "2017-09-01"
    assert record.municipalities == ["Zwolle"]
    assert record.province == "Overijssel"
    assert record.region == "Oost-Nederland"
    assert record.sources[0].seed == "one-seed.txt"
    assert record.sources[0].page == 4
    assert record.body.startswith("## Zwolle")
    assert record.draft is False


def test_province_is_derived_from_single_province_municipalities(scratch_project):
    write_record(
        scratch_project,
        "zuid-holland-twee-steden",
        record_front(LEIDEN, municipalities=["Leiden", "Dordrecht"], place="Leiden en Dordrecht"),
    )
    project = load(scratch_project)
    assert project.problems == []
    assert "province" not in RECORDS[LEIDEN]
    assert project.records[LEIDEN].province == "Zuid-Holland"
    assert project.records["zuid-holland-twee-steden"].province == "Zuid-Holland"


def test_province_is_not_guessed_from_municipalities_in_two_provinces(scratch_project):
    write_record(
        scratch_project,
        "twee-provincies",
        record_front(LEIDEN, municipalities=["Leiden", "Oss"], place="Leiden en Oss"),
    )
    project = load(scratch_project)
    assert project.problems == []
    assert project.records["twee-provincies"].province is None


def test_friesland_is_accepted_as_fryslan(scratch_project):
    write_record(
        scratch_project,
        "friesland-opvoedpunt",
        record_front(LEIDEN, municipalities=None, place="Friesland", province="Friesland"),
    )
    project = load(scratch_project)
    assert project.problems == []
    record = project.records["friesland-opvoedpunt"]
    assert record.province == "Fryslân"
    assert record.region == "Noord-Nederland"


def test_factor_for_all_municipalities_needs_no_municipality(scratch_project):
    write_record(
        scratch_project,
        "algemeen-artikel",
        record_front(LEIDEN, municipalities=None, place=None, factors=["juiste-mensen"]),
    )
    assert load(scratch_project).problems == []


# --- malformed files ------------------------------------------------------------------------------


def test_unclosed_quote_reports_the_line_where_it_starts(scratch_project):
    path = write_record(
        scratch_project,
        ZWOLLE,
        'kind: praktijkverhaal\ntitle: "unclosed\ndate: 2017-09-01\nsources: [{title: x}]\n',
    )
    project = load(scratch_project)
    problem = one_problem(project, path)
    assert "malformed YAML" in problem.message
    assert "quotation marks" in problem.message
    assert problem.line == line_of(path, 'title: "unclosed') == 3
    assert problem.field is None


def test_bad_indentation_reports_a_line_inside_the_front_matter(scratch_project):
    path = write_record(
        scratch_project,
        ZWOLLE,
        "title: Goed\nkind: praktijkverhaal\ndate: 2017-09-01\n"
        "themes:\n  - jeugd\n - preventie\nsources: [{title: x}]\n",
    )
    project = load(scratch_project)
    problem = one_problem(project, path)
    assert "malformed YAML" in problem.message
    assert "indentation" in problem.message
    assert problem.line == line_of(path, " - preventie")
    closing = path.read_text(encoding="utf-8").splitlines().index("---", 1) + 1
    assert 1 < problem.line < closing


def test_missing_front_matter(scratch_project):
    path = record_path(scratch_project, ZWOLLE)
    path.write_text("# THINK op school\n\nTekst zonder front matter.\n", encoding="utf-8")
    project = load(scratch_project)
    problem = one_problem(project, path)
    assert "no front matter" in problem.message
    assert "'---'" in problem.message
    assert problem.line == 1


def test_front_matter_that_is_not_a_mapping(scratch_project):
    path = write_record(scratch_project, ZWOLLE, "- alleen\n- een lijst\n")
    problem = one_problem(load(scratch_project), path)
    assert "'field: value'" in problem.message


# --- required fields and types --------------------------------------------------------------------


def test_missing_required_fields_each_get_a_problem(scratch_project):
    path = write_record(scratch_project, ZWOLLE, {"place": "Zwolle", "municipalities": ["Zwolle"]})
    project = load(scratch_project)
    for field in ("title", "kind", "date", "sources"):
        problem = one_problem(project, path, field)
        assert "is required but missing" in problem.message
        assert problem.line is None
    assert "title:" in one_problem(project, path, "sources").message


@pytest.mark.parametrize("field", ["title", "kind", "date", "sources"])
def test_each_required_field(scratch_project, field):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, **{field: None}))
    project = load(scratch_project)
    problem = one_problem(project, path, field)
    assert "required" in problem.message
    assert "Add it" in problem.message or "Say where" in problem.message


def test_themes_as_mapping(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, themes={"preventie": "ja"}))
    problem = one_problem(load(scratch_project), path, "themes")
    assert "must be a list, not a mapping" in problem.message
    assert "[a, b]" in problem.message
    assert problem.line == line_of(path, "themes:")


def test_date_in_words_asks_for_iso_date(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, date="8 oktober 2018"))
    project = load(scratch_project)
    problem = one_problem(project, path, "date")
    assert "'8 oktober 2018' is not a date" in problem.message
    assert "YYYY-MM-DD" in problem.message
    assert problem.line == line_of(path, "date:")


def test_draft_must_be_true_or_false(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, draft="ja"))
    problem = one_problem(load(scratch_project), path, "draft")
    assert "must be true or false" in problem.message
    assert "'ja'" in problem.message
    assert problem.line == line_of(path, "draft:")


def test_page_must_be_a_whole_number(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, sources=[{"title": "X", "page": "vier"}]))
    problem = one_problem(load(scratch_project), path, "sources[1].page")
    assert "whole number" in problem.message
    assert problem.line == line_of(path, "sources:")


def test_link_url_must_be_a_web_address(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, links=[{"label": "Site", "url": "www.x.nl"}]))
    problem = one_problem(load(scratch_project), path, "links[1].url")
    assert "https://" in problem.message


# --- unknown names with suggestions ---------------------------------------------------------------


def test_unknown_kind_suggests_the_closest(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, kind="praktijkverhal"))
    problem = one_problem(load(scratch_project), path, "kind")
    assert "'praktijkverhal' is not one of" in problem.message
    assert "Did you mean 'praktijkverhaal'?" in problem.message
    assert problem.line == line_of(path, "kind:")


def test_unknown_theme_suggests_the_closest(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, themes=["preventie", "jeugt"]))
    problem = one_problem(load(scratch_project), path, "themes")
    assert "unknown theme 'jeugt'" in problem.message
    assert "Did you mean 'jeugd'?" in problem.message
    assert "content/themes.yaml" in problem.message
    assert problem.line in (None, line_of(path, "themes:"))


def test_unknown_factor_suggests_the_closest(scratch_project):
    front = record_front(OSS, factors=["juiste-mensen", "gezamenlijke-zoektocht", "onconventionele-oplossing"])
    path = write_record(scratch_project, OSS, front)
    project = load(scratch_project)
    problem = one_problem(project, path, "factors")
    assert "unknown factor 'onconventionele-oplossing'" in problem.message
    assert "Did you mean 'onconventionele-oplossingen'?" in problem.message
    assert "content/factors.yaml" in problem.message
    assert problem.line in (None, line_of(path, "factors:"))


def test_unknown_municipality_suggests_the_closest(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, municipalities=["Zwole"]))
    project = load(scratch_project)
    problem = one_problem(project, path, "municipalities")
    assert "unknown municipality 'Zwole'" in problem.message
    assert "Did you mean 'Zwolle'?" in problem.message
    assert "municipalities.csv" in problem.message
    assert problem.line in (None, line_of(path, "municipalities:"))


def test_wrong_case_name_says_names_are_case_sensitive(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, municipalities=["zwolle"]))
    problem = one_problem(load(scratch_project), path, "municipalities")
    assert "Did you mean 'Zwolle'?" in problem.message
    assert "case-sensitive" in problem.message


def test_province_contradicting_municipalities(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, province="Noord-Brabant"))
    project = load(scratch_project)
    problem = one_problem(project, path, "province")
    assert "'Noord-Brabant' does not match the municipalities" in problem.message
    assert "Overijssel" in problem.message
    assert problem.line in (None, line_of(path, "province:"))


def test_unknown_province_suggests_the_closest(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, province="Overijsel"))
    problem = one_problem(load(scratch_project), path, "province")
    assert "unknown province 'Overijsel'" in problem.message
    assert "Did you mean 'Overijssel'?" in problem.message


def test_unknown_key_is_a_warning_with_suggestion(scratch_project):
    front = {"titel": "THINK op school", **record_front(ZWOLLE)}
    path = write_record(scratch_project, ZWOLLE, front)
    project = load(scratch_project)
    problem = one_problem(project, path, "titel", severity="warning")
    assert "unknown field" in problem.message
    assert "Did you mean 'title'?" in problem.message
    assert problem.line == line_of(path, "titel:") == 2
    assert project.errors == []
    assert ZWOLLE in project.records


# --- duplicates and cross references --------------------------------------------------------------


def test_duplicate_slug_in_two_subfolders(scratch_project):
    records = scratch_project / "content" / "records"
    (records / "2017").mkdir()
    record_path(scratch_project, ZWOLLE).rename(records / "2017" / f"{ZWOLLE}.md")
    second = write_record(scratch_project, f"extra/{ZWOLLE}", record_front(ZWOLLE))
    project = load(scratch_project)
    problem = one_problem(project, second)
    assert f"duplicate slug '{ZWOLLE}'" in problem.message
    assert str(records / "2017" / f"{ZWOLLE}.md") in problem.message
    assert "Rename one" in problem.message
    assert project.records[ZWOLLE].path == records / "2017" / f"{ZWOLLE}.md"


def test_publication_lists_an_unknown_slug(scratch_project):
    path = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    replace_in(path, f"  - {ZWOLLE}", "  - zwolle-think-op-schol")
    project = load(scratch_project)
    problem = one_problem(project, path, "records")
    assert "no record 'zwolle-think-op-schol'" in problem.message
    assert f"Did you mean '{ZWOLLE}'?" in problem.message
    assert problem.line in (None, line_of(path, "records:"))


def test_factors_after_a_record_not_in_the_publication(scratch_project):
    path = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    replace_in(path, f"after: {OSS}", f"after: {LEIDEN}")
    project = load(scratch_project)
    problem = one_problem(project, path, "factors.after")
    assert f"'{LEIDEN}', which is not in this publication" in problem.message


def test_publication_query_with_unknown_theme(scratch_project):
    path = scratch_project / "content" / "publications" / "zuid-holland.yaml"
    replace_in(path, "  province: Zuid-Holland\n", "  province: Zuid-Holland\n  theme: [maatwerkk]\n")
    problem = one_problem(load(scratch_project), path, "query.theme")
    assert "unknown theme 'maatwerkk'" in problem.message
    assert "Did you mean 'maatwerk'?" in problem.message


def test_source_seed_not_in_seeds(scratch_project):
    front = record_front(ZWOLLE, sources=[{"title": "Van nul tot later", "seed": "one-sed.txt"}])
    path = write_record(scratch_project, ZWOLLE, front)
    problem = one_problem(load(scratch_project), path, "sources[1].seed")
    assert "seed 'one-sed.txt' is not in seeds/" in problem.message
    assert "Did you mean 'one-seed.txt'?" in problem.message


# --- body and images ------------------------------------------------------------------------------


def test_empty_body(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE), body="")
    problem = one_problem(load(scratch_project), path)
    assert "the body is empty" in problem.message
    assert "below the closing '---'" in problem.message
    lines = path.read_text(encoding="utf-8").splitlines()
    assert problem.line == lines.index("---", 1) + 2


@pytest.fixture
def image(scratch_project) -> Path:
    folder = scratch_project / "images"
    folder.mkdir()
    path = folder / "think.jpg"
    from PIL import Image

    Image.new("RGB", (4, 3), (225, 112, 0)).save(path, "JPEG")
    return path


def test_image_inside_the_project_is_fine(scratch_project, image):
    front = record_front(ZWOLLE, images=[{"src": "../../images/think.jpg", "alt": "Kinderen in de klas"}])
    write_record(scratch_project, ZWOLLE, front, body="Tekst.\n\n![Een klas](../../images/think.jpg)")
    project = load(scratch_project)
    assert project.problems == []
    assert project.records[ZWOLLE].images[0].alt == "Kinderen in de klas"


def test_image_without_alt_text(scratch_project, image):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, images=[{"src": "../../images/think.jpg"}]))
    problem = one_problem(load(scratch_project), path, "images[1].alt")
    assert "alt text" in problem.message
    assert "Add 'alt: ...'" in problem.message
    assert problem.line == line_of(path, "images:")


def test_body_image_without_alt_text(scratch_project, image):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE), body="Tekst.\n\n![](../../images/think.jpg)")
    problem = one_problem(load(scratch_project), path, "body")
    assert "'../../images/think.jpg' in the body has no alt text" in problem.message
    assert "![what the image shows](../../images/think.jpg)" in problem.message


def test_image_outside_the_project(scratch_project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elders") / "foto.jpg"
    outside.write_bytes(b"jpeg")
    front = record_front(ZWOLLE, images=[{"src": str(outside), "alt": "Een foto"}])
    path = write_record(scratch_project, ZWOLLE, front)
    problem = one_problem(load(scratch_project), path, "images[1].src")
    assert str(outside) in problem.message
    assert "outside the project" in problem.message
    assert "Copy the file into the project" in problem.message


def test_relative_image_escaping_the_project(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE), body="Tekst.\n\n![Foto](../../../foto.jpg)")
    problem = one_problem(load(scratch_project), path, "body")
    assert "'../../../foto.jpg' lies outside the project" in problem.message


def test_network_image(scratch_project):
    url = "https://example.org/think.jpg"
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, images=[{"src": url, "alt": "Een klas"}]))
    problem = one_problem(load(scratch_project), path, "images[1].src")
    assert f"'{url}' is a network address" in problem.message
    assert "download the file into the project" in problem.message


def test_missing_image_file(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, images=[{"src": "geen.jpg", "alt": "Niets"}]))
    problem = one_problem(load(scratch_project), path, "images[1].src")
    assert "'geen.jpg' does not exist" in problem.message


# --- warnings -------------------------------------------------------------------------------------


def test_draft_record_is_a_warning(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, draft=True))
    project = load(scratch_project)
    problem = one_problem(project, path, "draft", severity="warning")
    assert "draft" in problem.message
    assert "remove 'draft: true'" in problem.message
    assert project.errors == []
    assert project.records[ZWOLLE].draft is True


def test_factor_naming_a_municipality_without_a_record_is_a_warning(scratch_project):
    write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, factors=["juiste-mensen"]))
    project = load(scratch_project)
    factors = scratch_project / "content" / "factors.yaml"
    problem = one_problem(project, factors, "municipalities", severity="warning")
    assert "'gezamenlijke-zoektocht' names Zwolle" in problem.message
    assert "Add 'gezamenlijke-zoektocht' to the factors of the Zwolle story" in problem.message
    assert project.errors == []


def test_record_listing_a_factor_that_does_not_name_it_is_a_warning(scratch_project):
    path = write_record(
        scratch_project, ZWOLLE, record_front(ZWOLLE, factors=["juiste-mensen", "onconventionele-oplossingen"])
    )
    problem = one_problem(load(scratch_project), path, "factors", severity="warning")
    assert "'onconventionele-oplossingen' does not name Zwolle" in problem.message


# --- tables ---------------------------------------------------------------------------------------


def test_municipalities_csv_with_a_bad_province(scratch_project):
    path = scratch_project / "content" / "municipalities.csv"
    replace_in(path, "Tilburg,Noord-Brabant", "Tilburg,Brabant-Noord")
    project = load(scratch_project)
    problem = one_problem(project, path, "province")
    assert "'Brabant-Noord' is not a province" in problem.message
    assert "Noord-Brabant" in problem.message
    assert problem.line == line_of(path, "Tilburg")


def test_municipalities_csv_without_header(scratch_project):
    path = scratch_project / "content" / "municipalities.csv"
    replace_in(path, "name,province\n", "")
    problem = one_problem(load(scratch_project), path)
    assert "'name,province'" in problem.message
    assert problem.line == 1


def test_factors_yaml_malformed(scratch_project):
    path = scratch_project / "content" / "factors.yaml"
    replace_in(path, "  municipalities: [Oss]\n", "  municipalities: [Oss\n")
    project = load(scratch_project)
    problem = one_problem(project, path)
    assert "malformed YAML" in problem.message
    assert problem.line == path.read_text(encoding="utf-8").splitlines().index("  municipalities: [Oss") + 1
    # the records still load; their factors are reported as unknown
    assert OSS in project.records


def test_factors_yaml_with_bad_municipalities(scratch_project):
    path = scratch_project / "content" / "factors.yaml"
    replace_in(path, "  municipalities: [Oss]\n", "  municipalities: Oss\n")
    problem = one_problem(load(scratch_project), path, "[3].municipalities")
    assert "'all' or a list of municipality names" in problem.message


def test_factors_yaml_not_a_list(scratch_project):
    path = scratch_project / "content" / "factors.yaml"
    path.write_text("juiste-mensen: Zorg voor de juiste mensen.\n", encoding="utf-8")
    project = load(scratch_project)
    problem = problems_at(project, path)[0]
    assert "must be a list of factors" in problem.message
    assert problem.is_error


def test_themes_yaml_needs_labels(scratch_project):
    path = scratch_project / "content" / "themes.yaml"
    replace_in(path, "jeugd: Jeugd", "jeugd:")
    problem = one_problem(load(scratch_project), path, "jeugd")
    assert "needs a label" in problem.message
    assert problem.line == line_of(path, "jeugd:")


def test_missing_table_is_reported(scratch_project):
    path = scratch_project / "content" / "themes.yaml"
    path.unlink()
    project = load(scratch_project)
    problem = problems_at(project, path)[0]
    assert "is missing" in problem.message


# --- collecting and raising -----------------------------------------------------------------------


def test_all_problems_are_reported_together(scratch_project):
    bad_kind = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, kind="praktijkverhal"))
    bad_date = write_record(scratch_project, OSS, record_front(OSS, date="8 oktober 2018"))
    no_front = record_path(scratch_project, LEIDEN)
    no_front.write_text("Alleen tekst.\n", encoding="utf-8")
    csv = scratch_project / "content" / "municipalities.csv"
    replace_in(csv, "Dordrecht,Zuid-Holland", "Dordrecht,Holland")
    project = load(scratch_project)
    bad_paths = {p.path for p in project.errors}
    assert {bad_kind, bad_date, no_front, csv} <= bad_paths
    with pytest.raises(ValidationFailed) as info:
        project.raise_for_problems()
    assert info.value.problems == project.problems
    assert f"{len(project.errors)} error(s)" in info.value.message
    assert info.value.exit_code == 1


def test_raise_for_problems_passes_on_a_clean_project(scratch_project):
    project = load(scratch_project)
    project.raise_for_problems()
    project.raise_for_problems(strict=True)


def test_warnings_only_raise_under_strict(scratch_project):
    write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, draft=True))
    project = load(scratch_project)
    assert project.errors == [] and len(project.warnings) == 1
    project.raise_for_problems()
    with pytest.raises(ValidationFailed) as info:
        project.raise_for_problems(strict=True)
    assert "0 error(s) and 1 warning(s)" in info.value.message
    assert "--strict" in info.value.message


def test_problem_text_names_file_line_and_field(scratch_project):
    path = write_record(scratch_project, ZWOLLE, record_front(ZWOLLE, date="8 oktober 2018"))
    problem = one_problem(load(scratch_project), path, "date")
    text = str(problem)
    assert text.startswith(f"{path}:{problem.line}: field 'date': error: ")
