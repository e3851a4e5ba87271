"""The `katern` command line, run in-process with Click's CliRunner (no PDF builds here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REPO, record_front, snapshot, write_record
from katern.cli import cli

NOORD_SEED = REPO / "seeds" / "integraal-werken-noord-2018-10-08.txt"


def run(root: Path | str, *args: str) -> Result:
    """Run `katern --project ROOT ARGS...` and return the result."""
    return CliRunner().invoke(cli, ["--project", str(root), *args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# --- check ----------------------------------------------------------------------------------------


def test_check_clean_project(scratch_project):
    result = run(scratch_project, "check")
    assert result.exit_code == 0, result.output
    assert "4 records, 3 factors, 2 publications: 0 error(s), 0 warning(s)" in result.output
    assert result.stderr == ""


def test_check_strict_clean_project(scratch_project):
    result = run(scratch_project, "check", "--strict")
    assert result.exit_code == 0, result.output


def test_check_reports_errors_with_file_field_and_summary(scratch_project):
    path = write_record(
        scratch_project, "zwolle-think-op-school", record_front("zwolle-think-op-school", date="8 oktober 2018")
    )
    before = snapshot(scratch_project)
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    no_traceback(result)
    assert str(path) in result.stderr
    assert "field 'date'" in result.stderr
    assert "YYYY-MM-DD" in result.stderr
    assert "error(s)" in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith("4 records, 3 factors, 2 publications: ")  # the bad record is counted, not dropped
    assert "0 error(s)" not in summary
    assert snapshot(scratch_project) == before


def test_check_reports_every_bad_file(scratch_project):
    bad_kind = write_record(
        scratch_project, "oss-maatwerkfabriek", record_front("oss-maatwerkfabriek", kind="praktijkverhal")
    )
    bad_theme = write_record(
        scratch_project, "de-marne-jeugdsoos", record_front("de-marne-jeugdsoos", themes=["jeugt"])
    )
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert f"{bad_kind}:" in result.stderr and "Did you mean 'praktijkverhaal'?" in result.stderr
    assert f"{bad_theme}:" in result.stderr and "Did you mean 'jeugd'?" in result.stderr


def test_check_strict_fails_on_warnings_only(scratch_project):
    path = write_record(scratch_project, "zwolle-think-op-school", record_front("zwolle-think-op-school", draft=True))
    lenient = run(scratch_project, "check")
    assert lenient.exit_code == 0, lenient.output
    assert f"{path}: field 'draft': warning:" in lenient.stderr
    assert "0 error(s), 1 warning(s)" in lenient.output
    strict = run(scratch_project, "check", "--strict")
    assert strict.exit_code == 1
    no_traceback(strict)
    assert "0 error(s), 1 warning(s)" in strict.output


def test_check_without_content_folder(tmp_path):
    folder = tmp_path / "leeg"
    folder.mkdir()
    result = run(folder, "check")
    assert result.exit_code != 0
    no_traceback(result)
    assert str(folder) in result.output
    assert "'content' folder" in result.output
    assert "--project" in result.output


def test_check_real_content_strict():
    result = run(REPO, "check", "--strict")
    assert result.exit_code == 0, result.output
    assert "40 records" in result.output
    assert "0 error(s), 0 warning(s)" in result.output


# --- list -----------------------------------------------------------------------------------------


def test_list_prints_a_table(scratch_project):
    result = run(scratch_project, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["date", "kind", "place", "province", "title", "slug"]
    assert lines[-1] == "4 record(s)"
    body = lines[1:-1]
    assert [line.split()[-1] for line in body] == [
        "oss-maatwerkfabriek",
        "zwolle-think-op-school",
        "leiden-vliegende-brigade",
        "de-marne-jeugdsoos",
    ]
    assert body[0].startswith("2017-09-01  praktijkverhaal  Oss")


def test_list_json(scratch_project):
    result = run(scratch_project, "list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [item["slug"] for item in data] == [
        "oss-maatwerkfabriek",
        "zwolle-think-op-school",
        "leiden-vliegende-brigade",
        "de-marne-jeugdsoos",
    ]
    zwolle = data[1]
    assert zwolle["title"] == "‘THINK op school’ verbindt onderwijs en zorg"
    assert zwolle["province"] == "Overijssel"
    assert zwolle["date"] == "2017-09-01"
    assert zwolle["themes"] == ["preventie", "jeugd"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--province", "Noord-Brabant"], ["oss-maatwerkfabriek"]),
        (["--region", "Noord-Nederland"], ["de-marne-jeugdsoos"]),
        (["--theme", "maatwerk"], ["oss-maatwerkfabriek", "leiden-vliegende-brigade"]),
        (
            ["--theme", "jeugd", "--theme", "ontschotting"],
            ["oss-maatwerkfabriek", "zwolle-think-op-school", "de-marne-jeugdsoos"],
        ),
        (["--kind", "onder-de-loep"], ["leiden-vliegende-brigade"]),
        (["--place", "zwolle"], ["zwolle-think-op-school"]),
        (["--from", "2018-01-01", "--to", "2018-09-30"], ["leiden-vliegende-brigade"]),
        (
            ["--sort", "title"],
            ["de-marne-jeugdsoos", "oss-maatwerkfabriek", "leiden-vliegende-brigade", "zwolle-think-op-school"],
        ),
    ],
)
def test_list_filters(scratch_project, options, expected):
    result = run(scratch_project, "list", "--json", *options)
    assert result.exit_code == 0, result.output
    assert [item["slug"] for item in json.loads(result.output)] == expected


def test_list_drafts_only_with_flag(scratch_project):
    write_record(scratch_project, "oss-concept", record_front("oss-maatwerkfabriek", draft=True, factors=None))
    without = run(scratch_project, "list", "--json", "--place", "Oss")
    assert [item["slug"] for item in json.loads(without.output)] == ["oss-maatwerkfabriek"]
    with_drafts = run(scratch_project, "list", "--json", "--place", "Oss", "--drafts")
    assert [item["slug"] for item in json.loads(with_drafts.output)] == ["oss-concept", "oss-maatwerkfabriek"]
    assert json.loads(with_drafts.output)[0]["draft"] is True


def test_list_unknown_kind_is_a_usage_error(scratch_project):
    result = run(scratch_project, "list", "--kind", "praktijkverhal")
    assert result.exit_code == 2
    assert "praktijkverhaal" in result.output
    no_traceback(result)


def test_list_json_real_noord_brabant():
    result = run(REPO, "list", "--province", "Noord-Brabant", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    found = [item["slug"] for item in data]
    for slug in (
        "tilburg-innovatienetwerk-jeugd",
        "eindhoven-stichting-omnia",
        "oss-maatwerkfabriek",
        "noord-brabant-camping-kafka",
    ):
        assert slug in found
    assert {item["province"] for item in data} == {"Noord-Brabant"}
    assert [item["date"] for item in data] == sorted(item["date"] for item in data)


# --- import ---------------------------------------------------------------------------------------


def test_import_writes_drafts(scratch_project, tmp_path):
    into = tmp_path / "drafts"
    result = run(scratch_project, "import", str(NOORD_SEED), "--into", str(into))
    assert result.exit_code == 0, result.output
    files = sorted(into.glob("*.md"))
    assert len(files) == 5
    for path in files:
        assert f"wrote {path}" in result.output
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n")
        assert "draft: true" in text
    assert "5 written, 0 skipped" in result.output


def test_import_twice_skips_without_force(scratch_project, tmp_path):
    into = tmp_path / "drafts"
    assert run(scratch_project, "import", str(NOORD_SEED), "--into", str(into)).exit_code == 0
    before = snapshot(into)
    again = run(scratch_project, "import", str(NOORD_SEED), "--into", str(into))
    assert again.exit_code == 0, again.output
    assert "0 written, 5 skipped" in again.output
    assert "use --force" in again.stderr
    assert snapshot(into) == before


def test_import_force_rewrites(scratch_project, tmp_path):
    into = tmp_path / "drafts"
    assert run(scratch_project, "import", str(NOORD_SEED), "--into", str(into)).exit_code == 0
    before = snapshot(into)
    edited = sorted(into.glob("*.md"))[0]
    edited.write_text("bewerkt\n", encoding="utf-8")
    forced = run(scratch_project, "import", str(NOORD_SEED), "--into", str(into), "--force")
    assert forced.exit_code == 0, forced.output
    assert "5 written, 0 skipped" in forced.output
    assert snapshot(into) == before


def test_import_defaults_to_the_project_records(scratch_project):
    result = run(scratch_project, "import", str(NOORD_SEED))
    assert result.exit_code == 0, result.output
    assert len(list((scratch_project / "content" / "records").glob("*.md"))) == 4 + 5


def test_import_missing_seed(scratch_project, tmp_path):
    missing = tmp_path / "bestaat-niet.txt"
    before = snapshot(scratch_project)
    result = run(scratch_project, "import", str(missing), "--into", str(tmp_path / "drafts"))
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert str(missing) in result.output
    assert "does not exist" in result.output
    assert not (tmp_path / "drafts").exists() or not any((tmp_path / "drafts").iterdir())
    assert snapshot(scratch_project) == before


# --- help -----------------------------------------------------------------------------------------

DUTCH = (" het ", " een ", " niet ", " wordt ", " gebruik ", " bestand ")


@pytest.mark.parametrize("command", [[], *[[name] for name in sorted(cli.commands)]])
def test_help_is_english(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert "Options:" in result.output
    assert "Show this message and exit." in result.output
    lowered = f" {result.output.lower()} "
    assert not [word for word in DUTCH if word in lowered]
    assert any(word in lowered for word in (" the ", " this ", " records ", " into "))


def test_every_command_has_help_text():
    assert {"check", "list", "import", "build"} <= set(cli.commands)
    for name, command in cli.commands.items():
        assert command.help, name
