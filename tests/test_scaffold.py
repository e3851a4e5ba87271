"""`katern init`, `katern new record` and `katern new publication`: what they write, and what they refuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdf
import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import RECORDS, REPO, snapshot, write_record
from katern.cli import cli
from katern.errors import ConfigError, ContentError
from katern.project import load_project
from katern.records import SLUG_RE, split_front_matter
from katern.scaffold import (
    STARTER_DIR,
    TODAY,
    init_project,
    new_publication,
    new_record,
    record_slug,
    starter_files,
)
from katern.tables import load_factors

STARTER = {
    "GUIDE.md",
    "content/factors.yaml",
    "content/municipalities.csv",
    "content/publications/voorbeeld.yaml",
    "content/records/leeuwarden-opvoedpunt.md",
    "content/themes.yaml",
    "seeds/integraal-werken-noord-2018-10-08-opvoedpunt.txt",
}
DAY = dt.date(2024, 5, 1)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def front(path: Path) -> dict:
    """Return the front matter of a record file as YAML reads it."""
    text, _body, _line = split_front_matter(path.read_text(encoding="utf-8"))
    assert text is not None
    return yaml.safe_load(text)


@pytest.fixture
def new_project(tmp_path: Path) -> Path:
    """A project made by init_project, with the full municipalities table."""
    root = tmp_path / "project"
    init_project(root, date=DAY)
    return root


# --- katern init ----------------------------------------------------------------------------------


def test_init_passes_strict_check_and_builds(tmp_path):
    root = tmp_path / "nieuw"
    result = run("init", str(root))
    assert result.exit_code == 0, result.output
    assert {str(p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file()} == STARTER
    for name in STARTER:
        assert f"  {name}\n" in result.stdout
    assert f"cd {root}" in result.stdout and "katern check" in result.stdout and "katern build" in result.stdout

    check = run("--project", str(root), "check", "--strict")
    assert check.exit_code == 0, check.output
    assert "1 records, 14 factors, 1 publications: 0 error(s), 0 warning(s)" in check.stdout
    assert check.stderr == ""

    build = run("build", "--project", str(root))
    assert build.exit_code == 0, build.output
    pdf, html = root / "build" / "voorbeeld.pdf", root / "build" / "voorbeeld.html"
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) >= 4  # cover, story, colophon, back cover at least
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Opvoedpunt" in text and "Praktijkverhalen" in text
    assert "Opvoedvragen? Even naar het Opvoedpunt!" in html.read_text(encoding="utf-8")


def test_init_in_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")  # a folder with other files is fine
    monkeypatch.chdir(tmp_path)
    result = run("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "content" / "records" / "leeuwarden-opvoedpunt.md").is_file()
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "cd " not in result.stdout  # already there


def test_init_dates_the_example_publication(tmp_path):
    written = init_project(tmp_path / "p", date=DAY)
    pub = (tmp_path / "p" / "content" / "publications" / "voorbeeld.yaml").read_text(encoding="utf-8")
    assert "date: 2024-05-01\n" in pub
    assert not [p for p in written if TODAY in p.read_text(encoding="utf-8")]
    assert load_project(tmp_path / "p").publications["voorbeeld"].date == DAY


def test_init_refuses_an_existing_project_and_writes_nothing(scratch_project):
    before = snapshot(scratch_project)
    result = run("init", str(scratch_project))
    assert result.exit_code == 1
    no_traceback(result)
    assert "already holds a 'content' folder" in result.stderr
    assert "Nothing was written" in result.stderr
    assert snapshot(scratch_project) == before


def test_init_refuses_to_overwrite_any_file(tmp_path):
    (tmp_path / "GUIDE.md").write_text("my own guide", encoding="utf-8")
    result = run("init", str(tmp_path))
    assert result.exit_code == 1
    assert "GUIDE.md" in result.stderr and "never overwrites" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["GUIDE.md"]  # no content/, no seeds/
    assert (tmp_path / "GUIDE.md").read_text(encoding="utf-8") == "my own guide"


def test_init_that_fails_to_write_leaves_no_folders(tmp_path, monkeypatch):
    def full_disk(files):
        for path, _text in files:
            path.parent.mkdir(parents=True, exist_ok=True)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("katern.scaffold.atomic_write_many", full_disk)
    (tmp_path / "mine").mkdir()
    with pytest.raises(ConfigError, match="No space left on device"):
        init_project(tmp_path / "mine" / "not" / "yet" / "new")
    assert list(tmp_path.rglob("*")) == [tmp_path / "mine"]  # its own folder stays; every folder made is gone


def test_init_refuses_a_file_as_folder(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file"):
        init_project(target)
    assert target.read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("where", ["before", "after"])
def test_init_takes_its_folder_as_argument_not_project(tmp_path, where):
    options = ["--project", str(tmp_path)]
    result = run(*options, "init") if where == "before" else run("init", *options)
    assert result.exit_code == 2
    assert "katern init DIR" in result.output
    assert list(tmp_path.iterdir()) == []


def test_starter_files_are_the_ones_shipped():
    assert {p.as_posix() for p in starter_files()} == STARTER


def test_starter_tables_match_the_shipped_tables():
    for name in ("municipalities.csv", "themes.yaml"):
        shipped = (REPO / "content" / name).read_text(encoding="utf-8")
        assert (STARTER_DIR / "content" / name).read_text(encoding="utf-8") == shipped, name
    problems: list = []
    ours = load_factors(STARTER_DIR / "content" / "factors.yaml", problems)
    theirs = load_factors(REPO / "content" / "factors.yaml", problems)
    assert problems == []
    assert [(f.id, f.text) for f in ours] == [(f.id, f.text) for f in theirs]
    # Only 'all' or the example's municipality: no factor names a municipality without a story.
    assert {f.municipalities for f in ours} == {None, ("Leeuwarden",)}


# --- katern new record ----------------------------------------------------------------------------


def test_new_record_fills_municipality_and_province(scratch_project):
    result = run(
        "new", "record", "--place", "Zwolle", "--title", "De wijk als huiskamer", "--date", "2024-05-01",
        "--project", str(scratch_project),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = scratch_project / "content" / "records" / "zwolle-wijk-als-huiskamer.md"
    assert f"wrote {path}" in result.stdout
    data = front(path)
    assert data["title"] == "De wijk als huiskamer"
    assert data["kind"] == "praktijkverhaal"
    assert data["place"] == "Zwolle"
    assert data["municipalities"] == ["Zwolle"]
    assert data["province"] == "Overijssel"
    assert data["date"] == DAY
    assert data["draft"] is True
    assert data["sources"] and data["sources"][0]["title"]
    text = path.read_text(encoding="utf-8")
    for field in data:  # every field has a comment on the line above it
        line = next(i for i, line in enumerate(text.splitlines()) if line.startswith(f"{field}:"))
        assert text.splitlines()[line - 1].startswith("# "), field
    _front, body, _line = split_front_matter(text)
    assert body.startswith("## ") and "Schrijf hier het verhaal uit Zwolle" in body

    record = load_project(scratch_project).records["zwolle-wijk-als-huiskamer"]
    assert record.province == "Overijssel" and record.draft
    check = run("--project", str(scratch_project), "check")
    assert check.exit_code == 0, check.output
    assert "5 records, 3 factors, 2 publications: 0 error(s), 1 warning(s)" in check.stderr
    assert "zwolle-wijk-als-huiskamer.md: field 'draft': warning" in check.stderr
    assert run("--project", str(scratch_project), "check", "--strict").exit_code == 1


def test_new_record_kind_and_default_date(scratch_project):
    path = new_record(scratch_project, "Oss", "Kort nieuws", "in-het-kort")
    data = front(path)
    assert data["kind"] == "in-het-kort"
    assert data["date"] == dt.date.today()
    assert data["province"] == "Noord-Brabant"


def test_new_record_unknown_place_leaves_municipalities_empty(new_project):
    result = run("new", "record", "--place", "Meierij en Bommelerwaard", "--title", "Vuistregels",
                 "--project", str(new_project))  # fmt: skip
    assert result.exit_code == 0, result.output
    path = new_project / "content" / "records" / "meierij-en-bommelerwaard-vuistregels.md"
    assert "is not a municipality in content/municipalities.csv, so 'municipalities' is left empty" in result.stderr
    data = front(path)
    assert data["municipalities"] == []
    assert "province" not in data
    assert "'Meierij en Bommelerwaard' is not one of them" in path.read_text(encoding="utf-8")
    project = load_project(new_project)
    assert project.errors == []
    assert [p.field for p in project.warnings] == ["draft"]


@pytest.mark.parametrize(
    ("place", "meant"), [("Zwole", "Zwolle"), ("Amersfort", "Amersfoort"), ("Groningn", "Groningen")]
)
def test_new_record_misspelt_municipality_says_did_you_mean_and_writes_nothing(new_project, place, meant):
    before = snapshot(new_project)
    result = run("new", "record", "--place", place, "--title", "Iets", "--project", str(new_project))
    assert result.exit_code == 1
    no_traceback(result)
    assert f"Did you mean '{meant}'" in result.stderr
    assert "--municipality" in result.stderr and "Nothing was written" in result.stderr
    assert snapshot(new_project) == before


@pytest.mark.parametrize(
    ("place", "meant"), [("Amsterdam-Noord", "Amsterdam"), ("Veluwe", "Velsen"), ("Twente", "Twenterand")]
)
def test_new_record_region_near_a_municipality_is_written_with_did_you_mean(new_project, place, meant):
    result = run("new", "record", "--place", place, "--title", "Iets", "--project", str(new_project))
    assert result.exit_code == 0, result.output
    assert f"'municipalities' is left empty. Did you mean '{meant}'" in result.stderr
    path = Path(result.stdout.split("wrote ", 1)[1].splitlines()[0])
    assert front(path)["municipalities"] == []
    assert f"Did you mean '{meant}'" in path.read_text(encoding="utf-8")
    assert load_project(new_project).errors == []


def test_new_record_municipality_option_for_a_place_that_is_none(new_project):
    path = new_record(new_project, "Amsterdam-Noord", "Buurt in bloei", date=DAY, municipalities=["Amsterdam"])
    data = front(path)
    assert (data["place"], data["municipalities"], data["province"]) == (
        "Amsterdam-Noord",
        ["Amsterdam"],
        "Noord-Holland",
    )
    with pytest.raises(ContentError, match="Did you mean 'Amsterdam'"):
        new_record(new_project, "Amsterdam-Noord", "Nog een", date=DAY, municipalities=["Amsterdm"])
    assert not (new_project / "content" / "records" / "amsterdam-noord-nog-een.md").exists()


def test_new_record_several_municipalities_and_provinces(new_project):
    path = new_record(new_project, "Hillegom/Lisse/Teylingen", "De Ontschotter", date=DAY)
    data = front(path)
    assert data["municipalities"] == ["Hillegom", "Lisse", "Teylingen"]
    assert data["province"] == "Zuid-Holland"
    path = new_record(new_project, "Oss en Zwolle", "Samen", date=DAY, municipalities=["Oss", "Zwolle"])
    data = front(path)
    assert data["municipalities"] == ["Oss", "Zwolle"]
    assert "province" not in data
    assert "lie in Noord-Brabant and Overijssel" in path.read_text(encoding="utf-8")
    assert load_project(new_project).errors == []


def test_new_record_for_a_province(new_project):
    data = front(new_record(new_project, "Friesland", "Provinciebreed", date=DAY))
    assert data["province"] == "Fryslân"
    assert data["municipalities"] == []


def test_new_record_refuses_an_existing_file(scratch_project):
    path = scratch_project / "content" / "records" / "oss-maatwerkfabriek.md"
    before = snapshot(scratch_project)
    result = run("new", "record", "--place", "Oss", "--title", "Maatwerkfabriek", "--project", str(scratch_project))
    assert result.exit_code == 1
    no_traceback(result)
    assert f"{path}: already exists" in result.stderr and "never overwrites" in result.stderr
    assert snapshot(scratch_project) == before


def test_new_record_refuses_a_slug_taken_in_a_subfolder(scratch_project):
    other = write_record(scratch_project, "2019/oss-kort", {"title": "x"})
    with pytest.raises(ContentError, match="already exists") as info:
        new_record(scratch_project, "Oss", "Kort", date=DAY)
    assert info.value.path == other
    assert not (scratch_project / "content" / "records" / "oss-kort.md").exists()


@pytest.mark.parametrize(
    "title",
    ['Zorg: ‘dichtbij’ en "snel" #1', "12:30", "yes", "- lijst", "[a, b]", "Tab\tin titel", "’s Avonds"],
)
def test_new_record_titles_read_back_exactly(scratch_project, title):
    path = new_record(scratch_project, "Oss", title, date=DAY)
    assert front(path)["title"] == " ".join(title.split())
    record = load_project(scratch_project).records[path.stem]
    assert record.title == " ".join(title.split())
    assert "title" not in {p.field for p in load_project(scratch_project).errors}


@pytest.mark.parametrize(("place", "title"), [("Oss", "   "), ("", "Titel"), ("Oss", "Titel\x07")])
def test_new_record_refuses_empty_or_control_text(scratch_project, place, title):
    before = snapshot(scratch_project)
    with pytest.raises(ContentError, match="is empty|control character"):
        new_record(scratch_project, place, title, date=DAY)
    assert snapshot(scratch_project) == before


def test_new_record_without_a_municipalities_table(scratch_project):
    (scratch_project / "content" / "municipalities.csv").unlink()
    with pytest.raises(ConfigError, match="is missing"):
        new_record(scratch_project, "Oss", "Titel", date=DAY)


@pytest.mark.parametrize(
    ("place", "title", "slug"),
    [
        ("Zwolle", "‘THINK op school’ verbindt onderwijs en zorg", "zwolle-think-op-school-verbindt-onderwijs"),
        ("Fryslân", "Één loket voor café & buurt", "fryslan-loket-voor-cafe-en-buurt"),
        ("’s-Hertogenbosch", "De wijk als huiskamer", "s-hertogenbosch-wijk-als-huiskamer"),
        ("Zwolle", "Zwolle zorgt voor de", "zwolle-zorgt"),
        ("Hillegom/Lisse/Teylingen", "Ontschotter", "hillegom-lisse-teylingen-ontschotter"),
        ("Oss", "Maatwerkfabriek", "oss-maatwerkfabriek"),
    ],
)
def test_slug_rules(place, title, slug):
    # lower-case ASCII words joined by hyphens: accents stripped, '&' as 'en', a leading article and
    # the place's own words left out of the title, no stop word at the end, at most six words.
    assert record_slug(place, title) == slug
    assert SLUG_RE.match(slug) and len(slug.split("-")) <= 6


def test_new_record_file_name_is_the_slug(scratch_project):
    path = new_record(scratch_project, "’s-Hertogenbosch", "De wijk als huiskamer", date=DAY)
    assert path.name == "s-hertogenbosch-wijk-als-huiskamer.md"


# --- katern new publication -----------------------------------------------------------------------


def test_new_brochure_lists_existing_records_and_passes_check(scratch_project):
    newest = dict(RECORDS["zwolle-think-op-school"], title="Nieuw in Zwolle", date=dt.date(2024, 1, 1))
    write_record(scratch_project, "zwolle-nieuw", newest)
    result = run("--project", str(scratch_project), "new", "publication", "regio", "--title", "Regio-editie")
    assert result.exit_code == 0, result.output
    path = scratch_project / "content" / "publications" / "regio.yaml"
    assert f"wrote {path}" in result.stdout
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["title"] == "Regio-editie" and data["layout"] == "brochure"
    assert data["date"] == dt.date.today()
    assert data["outputs"] == ["pdf", "html"]
    # the newest three records, newest first
    assert data["records"] == ["zwolle-nieuw", "de-marne-jeugdsoos", "leiden-vliegende-brigade"]
    project = load_project(scratch_project)
    assert project.problems == []
    assert [r.slug for r in project.publications["regio"].records] == data["records"]
    assert "#   province: Overijssel" in path.read_text(encoding="utf-8")  # the query alternative, commented


def test_new_newsletter_uses_a_query_that_selects_records(scratch_project):
    path = new_publication(scratch_project, "editie", "newsletter", date=DAY)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["query"] == {"province": "Groningen"}  # the newest record's province
    assert "records" not in data
    assert data["title"] == "Editie" and data["date"] == DAY
    project = load_project(scratch_project)
    assert project.problems == []
    assert [r.slug for r in project.publications["editie"].records] == ["de-marne-jeugdsoos"]


def test_new_handout_takes_no_records(new_project):
    path = new_publication(new_project, "factoren", "handout", "Werkende factoren", DAY)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["layout"] == "handout" and "records" not in data and "query" not in data
    assert load_project(new_project).problems == []


def test_new_publication_leaves_drafts_out(new_project):
    new_record(new_project, "Zwolle", "Nog een concept", date=dt.date(2030, 1, 1))  # newest, but a draft
    data = yaml.safe_load(new_publication(new_project, "regio", date=DAY).read_text(encoding="utf-8"))
    assert data["records"] == ["leeuwarden-opvoedpunt"]


def test_new_publication_needs_a_finished_record(tmp_path):
    root = tmp_path / "p"
    init_project(root, date=DAY)
    (root / "content" / "records" / "leeuwarden-opvoedpunt.md").unlink()
    (root / "content" / "publications" / "voorbeeld.yaml").unlink()
    new_record(root, "Zwolle", "Concept", date=DAY)
    with pytest.raises(ConfigError, match="no finished record"):
        new_publication(root, "regio", date=DAY)
    assert list((root / "content" / "publications").iterdir()) == []


@pytest.mark.parametrize(("name", "suggestion"), [("Regio Noord", "regio-noord"), ("editie_2024", "editie-2024")])
def test_new_publication_refuses_an_invalid_name(scratch_project, name, suggestion):
    before = snapshot(scratch_project)
    result = run("--project", str(scratch_project), "new", "publication", name)
    assert result.exit_code == 1
    no_traceback(result)
    assert "is not a valid publication name" in result.stderr and f"'{suggestion}'" in result.stderr
    assert snapshot(scratch_project) == before


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_new_publication_refuses_an_existing_file(scratch_project, suffix):
    path = scratch_project / "content" / "publications" / f"eigen{suffix}"
    path.write_text("title: Mijn eigen\n", encoding="utf-8")
    before = snapshot(scratch_project)
    result = run("--project", str(scratch_project), "new", "publication", "eigen")
    assert result.exit_code == 1
    assert f"{path}: already exists" in result.stderr
    assert snapshot(scratch_project) == before


# --- the commands' options ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["new"], ["new", "record"], ["new", "publication"], ["init"]])
def test_help_shows_the_global_options(command):
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    for option in ("--project DIR", "-v, --verbose", "-q, --quiet"):
        assert option in result.output


def test_new_record_quiet_keeps_the_warning(new_project):
    result = run("new", "-q", "record", "--place", "Achter de duinen", "--title", "Iets", "--project", str(new_project))
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr


@pytest.mark.parametrize("place", ["'s-Hertogenbosch", "Oss: centrum", "Oss #2", "yes", "Oss, Zwolle", "[Oss]", "null"])
def test_new_record_places_read_back_exactly(scratch_project, place):
    path = new_record(scratch_project, place, "Titel", date=DAY)
    assert front(path)["place"] == place
    assert load_project(scratch_project).records[path.stem].place == place
