"""`katern list`: a table that fits the terminal without cutting slugs, errors for unknown values, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import RECORDS, REPO, record_front, write_record
from katern.cli import cli

LONG_SLUG = "zwolle-een-heel-lang-verhaal-over-de-samenwerking-tussen-school-en-wijkteam"
LONG_TITLE = "Een heel lang verhaal over de samenwerking tussen school, wijkteam, huisarts en de ouders in Zwolle"


def run(root: Path | str, *args: str, columns: int = 200) -> Result:
    """Run `katern --project ROOT ARGS...` as in a terminal of `columns` characters."""
    return CliRunner(env={"COLUMNS": str(columns)}).invoke(cli, ["--project", str(root), *args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def table_rows(result: Result) -> list[str]:
    """Return the record lines of a table: without the header and the count."""
    lines = result.stdout.splitlines()
    assert lines[-1].endswith("record(s)")
    return lines[1:-1]


@pytest.fixture
def long_record(scratch_project: Path) -> Path:
    """Add a record with a long slug and a long title to the scratch project."""
    write_record(scratch_project, LONG_SLUG, record_front("zwolle-think-op-school", title=LONG_TITLE))
    return scratch_project


# --- the table -------------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [40, 80, 100, 120, 300])
def test_slugs_are_never_cut(long_record, columns):
    result = run(long_record, "list", columns=columns)
    assert result.exit_code == 0, result.output
    slugs = [row.split()[-1] for row in table_rows(result)]
    assert sorted(slugs) == sorted([*RECORDS, LONG_SLUG])
    assert "…" not in "".join(slugs)


def test_a_wide_terminal_shows_everything(long_record):
    result = run(long_record, "list", columns=300)
    assert "…" not in result.stdout
    assert LONG_TITLE in result.stdout


def test_other_columns_are_cut_to_fit_the_terminal(long_record):
    result = run(long_record, "list", columns=160)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 160
    row = next(line for line in table_rows(result) if line.endswith(LONG_SLUG))
    assert LONG_TITLE not in row
    title = LONG_TITLE[:10]
    assert title in row and "…" in row
    # date and kind are never cut
    assert row.startswith("2017-09-01  praktijkverhaal  Zwolle")
    assert lines[0].split() == ["date", "kind", "place", "province", "title", "slug"]


def test_columns_line_up_under_the_header(scratch_project):
    result = run(scratch_project, "list", columns=90)
    header, *rows = result.stdout.splitlines()[:-1]
    slug_at = header.index("slug")
    assert all(row[slug_at:] in RECORDS for row in rows)
    title_at = header.index("title")
    assert all(row[title_at - 2 : title_at] == "  " for row in rows)


# --- unknown values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--province", "Flevolan", "no province 'Flevolan'. Did you mean 'Flevoland'?"),
        ("--province", "noord-brabant", "no province 'noord-brabant'. Did you mean 'Noord-Brabant'?"),
        ("--region", "Zuid-Nederlnd", "no region 'Zuid-Nederlnd'. Did you mean 'Zuid-Nederland'"),
        ("--region", "Noord", "no region 'Noord'. The regions are: Noord-Nederland, Oost-Nederland,"),
        ("--theme", "maatwerkk", "no theme 'maatwerkk'. Did you mean 'maatwerk'?"),
        ("--theme", "sport", "no theme 'sport'. Theme ids are listed in content/themes.yaml."),
        ("--place", "Zwole", "no place 'Zwole'. Did you mean 'Zwolle'?"),
        ("--place", "Xyzzy", "no place 'Xyzzy'. Use a municipality from content/municipalities.csv"),
    ],
)
def test_unknown_value_is_an_error_with_a_suggestion(scratch_project, option, value, message):
    result = run(scratch_project, "list", option, value)
    no_traceback(result)
    assert result.exit_code == 1
    assert f"error: {message}" in result.stderr
    assert result.stdout == ""


def test_every_unknown_value_is_named_at_once(scratch_project):
    result = run(scratch_project, "list", "--json", "--province", "Flevolan", "--theme", "jeugdd", "--place", "Oss")
    assert result.exit_code == 1
    assert "no province 'Flevolan'" in result.stderr
    assert "no theme 'jeugdd'" in result.stderr
    assert "no place 'Oss'" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "options",
    [
        ["--province", "Friesland"],  # another spelling of Fryslân
        ["--place", "Tilburg"],  # in municipalities.csv, no record
        ["--place", "marne"],  # part of a record's place
        ["--region", "Oost-Nederland", "--theme", "ontschotting"],
    ],
)
def test_known_values_without_records_list_nothing(scratch_project, options):
    result = run(scratch_project, "list", "--json", *options)
    assert result.exit_code == 0, result.output
    assert isinstance(json.loads(result.stdout), list)


def test_unknown_kind_is_a_usage_error_listing_the_kinds(scratch_project):
    result = run(scratch_project, "list", "--kind", "praktijkverhal")
    no_traceback(result)
    assert result.exit_code == 2
    assert "'praktijkverhaal'" in result.output


def test_records_with_errors_are_still_warned_about(scratch_project):
    path = write_record(scratch_project, "kapot", "title: [niet gesloten\n")
    result = run(scratch_project, "list", "--theme", "jeugd")
    assert result.exit_code == 0, result.output
    assert f"1 record(s) with errors may match but are not listed: {path}" in result.stderr


# --- JSON --------------------------------------------------------------------------------------------


def test_json_names_the_publications_of_each_record(scratch_project):
    result = run(scratch_project, "list", "--json")
    assert result.exit_code == 0, result.output
    found = {item["slug"]: item["publications"] for item in json.loads(result.stdout)}
    assert found == {
        "zwolle-think-op-school": ["van-nul-tot-later"],
        "oss-maatwerkfabriek": ["van-nul-tot-later"],
        "leiden-vliegende-brigade": ["zuid-holland"],
        "de-marne-jeugdsoos": [],
    }


def test_json_publications_of_the_real_project():
    result = run(REPO, "list", "--json")
    assert result.exit_code == 0, result.output
    found = {item["slug"]: item["publications"] for item in json.loads(result.stdout)}
    assert {"van-nul-tot-later", "maatwerk-en-ontschotting", "noord-brabant"} <= set(found["oss-maatwerkfabriek"])
    assert "integraal-werken-noord" in found["leeuwarden-opvoedpunt"]
    assert "noord-brabant" in found["noord-brabant-camping-kafka"]
    assert "van-nul-tot-later" not in found["noord-brabant-camping-kafka"]
    for publications in found.values():
        assert publications == sorted(publications)
