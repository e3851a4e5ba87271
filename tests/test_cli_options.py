"""The global options --project, -v and -q: before or after the subcommand, and an exact --project."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from conftest import RECORDS, REPO
from katern.cli import KaternCommand, cli
from katern.errors import ConfigError
from katern.project import find_root

SCRATCH = sorted(RECORDS)
NOORD_SEED = REPO / "seeds" / "integraal-werken-noord-2018-10-08.txt"
MISSING = "Error: --project: the folder 'no-such-folder' does not exist.\n"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def slugs(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return sorted(r["slug"] for r in json.loads(result.stdout))


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)


@pytest.fixture
def elsewhere(tmp_path_factory, monkeypatch) -> Path:
    """Run from a folder that is no project and has none above it."""
    folder = tmp_path_factory.mktemp("elsewhere")
    assert not any((f / "content").is_dir() for f in (folder, *folder.parents))
    monkeypatch.chdir(folder)
    return folder


# --- options after the subcommand -----------------------------------------------------------------


def test_check_project_after_subcommand(scratch_project, elsewhere):
    result = run("check", "--project", str(scratch_project))
    assert result.exit_code == 0, result.output
    assert "4 records, 3 factors, 2 publications: 0 error(s), 0 warning(s)" in result.stdout


@pytest.mark.parametrize("where", ["before", "after"])
def test_list_project_before_or_after_subcommand(scratch_project, where):
    # The cwd is the repository, a different project with other records.
    options = ["--project", str(scratch_project)]
    args = [*options, "list", "--json"] if where == "before" else ["list", "--json", *options]
    assert slugs(run(*args)) == SCRATCH


def test_project_given_twice_the_latter_wins(scratch_project):
    assert slugs(run("--project", str(REPO), "list", "--json", "--project", str(scratch_project))) == SCRATCH
    repo = slugs(run("--project", str(scratch_project), "list", "--json", "--project", str(REPO)))
    assert len(repo) > len(SCRATCH)  # the repository's records, not the scratch ones


def test_build_takes_the_options_after_subcommand(scratch_project, elsewhere):
    result = run("build", "no-such-publication", "--format", "html", "--project", str(scratch_project), "-q")
    assert result.exit_code == 1
    no_traceback(result)
    assert "no publication 'no-such-publication'" in result.stderr
    assert "van-nul-tot-later" in result.stderr  # the scratch project's publications were offered


@pytest.mark.parametrize(
    ("args", "info_shown"),
    [
        ([], True),
        (["-q"], False),
        (["--quiet"], False),
    ],
)
def test_quiet_after_build_silences_info_lines(scratch_project, tmp_path, args, info_shown):
    out = tmp_path / "out"
    result = run(
        "build", "zuid-holland", "--format", "html", "--out", str(out), "--project", str(scratch_project), *args
    )
    assert result.exit_code == 0, result.output
    assert (out / "zuid-holland.html").is_file()
    assert ("zuid-holland: " in result.output) is info_shown


@pytest.mark.parametrize(
    ("args", "debug_shown"),
    [
        (["list"], False),
        (["-v", "list"], True),
        (["list", "-v"], True),
        (["-q", "list", "-v"], True),  # the subcommand's level wins
        (["-v", "list", "-q"], False),
        (["-v", "list", "--quiet"], False),
    ],
)
def test_verbose_and_quiet_either_side(scratch_project, args, debug_shown):
    result = run(*args, "--project", str(scratch_project))
    assert result.exit_code == 0, result.output
    assert "4 record(s)" in result.stdout
    assert ("loaded 4 records, 2 publications" in result.stderr) is debug_shown


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_shows_the_global_options_in_help(name):
    for args in ([name, "--help"], ["--help"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
        for option in ("--project DIR", "-v, --verbose", "-q, --quiet"):
            assert option in result.output, (args, option)


def test_a_command_without_the_global_options_cannot_be_registered():
    assert all(isinstance(command, KaternCommand) for command in cli.commands.values())
    with pytest.raises(TypeError, match="KaternCommand"):
        cli.add_command(click.Command("plain", callback=lambda: None))
    assert "plain" not in cli.commands


# --- --project DIR must be a project itself -------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_missing_project_is_an_error_not_the_parent(scratch_project, monkeypatch, where):
    monkeypatch.chdir(scratch_project)
    options = ["--project", "no-such-folder"]
    args = [*options, "list", "--json"] if where == "before" else ["list", "--json", *options]
    result = run(*args)
    assert result.exit_code == 1
    no_traceback(result)
    assert result.output == MISSING
    assert not [slug for slug in SCRATCH if slug in result.output]


@pytest.mark.parametrize("command", [["check"], ["build", "--format", "html"], ["check", "--pdf", "x.pdf"]])
def test_missing_project_fails_every_command(scratch_project, monkeypatch, command):
    monkeypatch.chdir(scratch_project)
    before = sorted(p.relative_to(scratch_project) for p in scratch_project.rglob("*"))
    result = run(*command, "--project", "no-such-folder")
    assert result.exit_code == 1
    no_traceback(result)
    assert result.output == MISSING
    assert sorted(p.relative_to(scratch_project) for p in scratch_project.rglob("*")) == before


def test_missing_project_fails_import(scratch_project, monkeypatch):
    monkeypatch.chdir(scratch_project)
    result = run("import", str(NOORD_SEED), "--project", "no-such-folder")
    assert result.output == MISSING
    assert len(list((scratch_project / "content" / "records").glob("*.md"))) == len(RECORDS)


@pytest.mark.parametrize("relative", [True, False])
def test_project_in_a_subfolder_of_a_project_is_an_error(scratch_project, monkeypatch, relative):
    monkeypatch.chdir(scratch_project)
    sub = Path("content", "records") if relative else scratch_project / "content" / "records"
    result = run("list", "--json", "--project", str(sub))
    assert result.exit_code == 1
    no_traceback(result)
    assert result.output.startswith(f"Error: --project: the folder '{sub}' is not a katern project: ")
    assert "a project folder holds a 'content' folder" in result.output
    assert "Pass the folder that holds content/." in result.output
    assert f"Did you mean '{scratch_project.resolve()}'?" in result.output
    assert not [slug for slug in SCRATCH if f'"{slug}"' in result.output]


def test_project_that_is_a_file_is_an_error(scratch_project):
    path = scratch_project / "content" / "themes.yaml"
    result = run("check", "--project", str(path))
    assert result.exit_code == 1
    no_traceback(result)
    assert (
        result.output == f"Error: --project: '{path}' is a file, not a folder. Pass the folder that holds content/.\n"
    )


def test_without_project_a_subfolder_finds_the_project(scratch_project, monkeypatch):
    monkeypatch.chdir(scratch_project / "content" / "records")
    assert slugs(run("list", "--json")) == SCRATCH
    assert slugs(run("list", "--json", "-v")) == SCRATCH


def test_without_project_import_writes_into_the_found_project(scratch_project, monkeypatch):
    monkeypatch.chdir(scratch_project / "seeds")
    result = run("import", str(NOORD_SEED))
    assert result.exit_code == 0, result.output
    assert len(list((scratch_project / "content" / "records").glob("*.md"))) == len(RECORDS) + 5
    assert not (scratch_project / "seeds" / "content").exists()


def test_without_project_outside_any_project_is_an_error(elsewhere):
    result = run("list")
    assert result.exit_code == 1
    no_traceback(result)
    assert "no katern project here" in result.output


def test_find_root_exact_or_searching(scratch_project):
    sub = scratch_project / "content" / "records"
    assert find_root(sub) == scratch_project.resolve()
    assert find_root(sub, search_parents=True) == scratch_project.resolve()
    assert find_root(scratch_project, search_parents=False) == scratch_project.resolve()
    with pytest.raises(ConfigError, match="is not a katern project"):
        find_root(sub, search_parents=False)
    with pytest.raises(ConfigError, match="does not exist"):
        find_root(scratch_project / "nope", search_parents=False)
