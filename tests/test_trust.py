"""A build never says "ok" about a wrong output: no record is dropped, no query matches by accident, no
output is replaced by one that failed its check, no temporary file is left, and one cause is reported once.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import REPO, record_front, snapshot, write_record
from katern import build as build_module
from katern.build import build
from katern.cli import cli
from katern.project import load_project
from katern.validators import Finding


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(root), *args])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def write_pub(root: Path, name: str, text: str) -> Path:
    path = root / "content" / "publications" / f"{name}.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- a record with an error is never left out of an edition silently -------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "title: Dordrecht\nkind: in-het-kort\nplace: Dordrecht\nmunicipalities: [Dordrecht]\ndate: 14-03-2024\n"
        "sources:\n  - title: x\n",
        "title: [kapot\n",
        "title: Dordrecht\nkind: in-het-kort\nplace: Dordrecht\nmunicipalities: [Dordreht]\ndate: 2018-03-14\n"
        "sources:\n  - title: x\n",
    ],
    ids=["bad-date", "bad-yaml", "misspelt-municipality"],
)
def test_record_with_an_error_fails_the_query_edition_naming_it(scratch_project, tmp_path, front):
    path = write_record(scratch_project, "dordrecht-maatwerktafel", front)
    result = run(scratch_project, "build", "zuid-holland", "--format", "html", "--out", str(tmp_path / "out"))
    no_traceback(result)
    assert result.exit_code == 1
    assert "zuid-holland failed" in result.output
    assert str(path) in result.output  # named: either its own error, or "cannot tell whether ... belongs"
    assert not (tmp_path / "out" / "zuid-holland.html").exists()
    # An edition whose query rules the record out on a field that was read still builds.
    assert "van-nul-tot-later failed" not in result.output


def test_record_with_an_error_fails_an_edition_that_lists_it(scratch_project, tmp_path):
    path = write_record(scratch_project, "oss-maatwerkfabriek", "title: [kapot\n")
    (res,) = build(load_project(scratch_project), ["van-nul-tot-later"], ("html",), tmp_path / "out")
    assert not res.ok and str(path) in res.error and "malformed YAML" in res.error


def test_record_with_an_error_outside_the_query_does_not_fail_it(scratch_project, tmp_path):
    front = record_front("de-marne-jeugdsoos", themes=["geen-thema"])
    write_record(scratch_project, "de-marne-jeugdsoos", front)
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert res.ok, res.error


def test_a_second_file_with_the_same_slug_fails_the_query_edition(scratch_project, tmp_path):
    front = record_front("leiden-vliegende-brigade", title="Een tweede Leiden")
    twin = write_record(scratch_project, "archief/leiden-vliegende-brigade", front)
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert not res.ok
    assert str(twin) in res.error and "has the same file name (slug)" in res.error


# --- queries, layouts and formats are validated ------------------------------------------------------------


def test_unknown_query_key_is_an_error_with_a_suggestion(scratch_project, tmp_path):
    path = write_pub(
        scratch_project, "flevoland", "title: F\ndate: 2018-01-01\nlayout: newsletter\nquery:\n  provincie: Flevoland\n"
    )
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert f"{path}:4: field 'query.provincie': error: 'provincie' is not a query criterion" in result.output
    assert "Did you mean 'province'?" in result.output
    (res,) = build(load_project(scratch_project), ["flevoland"], ("html",), tmp_path / "out")
    assert not res.ok and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("query: {}\n", "has no criteria, so it would select every record"),
        ("query:\n  theme: []\n", "is empty, so it would not narrow the query"),
        ("query:\n  date_from: 2019-01-01\n  date_to: 2018-01-01\n", "is before date_from"),
    ],
)
def test_queries_that_would_match_wrongly_are_errors(scratch_project, query, expected):
    write_pub(scratch_project, "alles", f"title: A\ndate: 2018-01-01\nlayout: newsletter\n{query}")
    result = run(scratch_project, "check")
    assert result.exit_code == 1 and expected in result.output, result.output


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ("records: [oss-maatwerkfabriek, zwolle-think-op-school]\n", "records"),
        ("query:\n  province: Zuid-Holland\n", "query"),
    ],
)
def test_handout_takes_no_records_or_one(scratch_project, given, field):
    path = write_pub(scratch_project, "blad", f"title: B\ndate: 2018-01-01\nlayout: handout\n{given}")
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert f"{path}:4: field '{field}': error: layout 'handout' takes no records or one record." in result.output


def test_format_the_publication_does_not_have_is_an_error(scratch_project, tmp_path):
    path = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "outputs: [pdf]\n", encoding="utf-8")
    result = run(scratch_project, "build", "van-nul-tot-later", "--format", "html", "--out", str(tmp_path / "o"))
    no_traceback(result)
    assert result.exit_code == 1
    assert f"{path}, field 'outputs': has no html output (its outputs are: pdf)" in result.output
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_publication_file_that_cannot_be_read_fails_the_build_of_everything(scratch_project, tmp_path):
    write_pub(scratch_project, "kapot", "title: [K\n")
    results = {r.name: r for r in build(load_project(scratch_project), None, ("html",), tmp_path / "out")}
    assert not results["kapot"].ok and "malformed YAML" in results["kapot"].error
    assert results["zuid-holland"].ok


# --- outputs are produced, checked, then written together ---------------------------------------------------


def test_failing_accessibility_check_leaves_previous_outputs_untouched(scratch_project, tmp_path, monkeypatch):
    out = tmp_path / "out"
    (first,) = build(load_project(scratch_project), ["zuid-holland"], None, out)
    assert first.ok, first.error
    before = snapshot(out)
    write_record(
        scratch_project, "leiden-vliegende-brigade", record_front("leiden-vliegende-brigade", title="Nieuwe titel")
    )
    real = build_module.verify_pdf
    finding = Finding("katern", "bookmarks", "error", ("27",), (), None, None, "no bookmarks", "Add headings.")

    def failing(data, name=None):
        return dataclasses.replace(real(data, name=name), findings=(finding,))

    monkeypatch.setattr(build_module, "verify_pdf", failing)
    (second,) = build(load_project(scratch_project), ["zuid-holland"], None, out)
    assert not second.ok and "would fail the accessibility check, so it was not written" in second.error
    assert snapshot(out) == before  # neither the PDF nor the HTML was replaced
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_write_that_fails_halfway_replaces_nothing(tmp_path, monkeypatch):
    from katern import fsutil

    a, b = tmp_path / "a.pdf", tmp_path / "a.html"
    a.write_bytes(b"old pdf")
    b.write_bytes(b"old html")
    real = fsutil._write_temp
    calls = []

    def failing(path, payload):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        return real(path, payload)

    monkeypatch.setattr(fsutil, "_write_temp", failing)
    with pytest.raises(OSError):
        fsutil.atomic_write_many([(a, b"new pdf"), (b, b"new html")])
    assert a.read_bytes() == b"old pdf" and b.read_bytes() == b"old html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.pdf"]


def test_temp_file_of_a_killed_build_is_removed_by_the_next(scratch_project, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    killer = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from katern import fsutil
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        fsutil.atomic_write_many([(Path({str(out / "zuid-holland.pdf")!r}), b"x" * 100000)])
        """
    )
    proc = subprocess.run([sys.executable, "-c", killer], capture_output=True, env={**os.environ})
    assert proc.returncode == -9
    left = [p.name for p in out.iterdir()]
    assert len(left) == 1 and left[0].startswith(".zuid-holland.pdf.") and left[0].endswith(".tmp")
    mine = out / "notes.tmp"  # not katern's: left alone
    mine.write_text("mine")
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), out)
    assert res.ok, res.error
    mine_and_outputs = sorted(p.name for p in out.iterdir() if not p.name.startswith(".katern"))
    assert mine_and_outputs == ["notes.tmp", "zuid-holland.html"]  # .katern-* are the manifest and cache


# --- one cause is reported once ---------------------------------------------------------------------------


@pytest.fixture
def shipped_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "seeds", root / "seeds")
    return root


def test_one_bad_line_in_factors_is_one_error(shipped_copy):
    path = shipped_copy / "content" / "factors.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = "  text: [niet gesloten"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(shipped_copy, "check")
    assert result.exit_code == 1
    assert "1 error(s), 0 warning(s)" in result.output, result.output
    assert "record(s) refer to factors; they are checked once this file can be read" in result.output


@pytest.mark.parametrize("table", ["themes.yaml", "municipalities.csv"])
def test_a_missing_table_is_one_error(shipped_copy, table):
    (shipped_copy / "content" / table).unlink()
    result = run(shipped_copy, "check")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": error: " in line]
    assert f"content/{table}: error: is missing" in errors[0]
    # What follows from it is at most one line per publication that needs the table, pointing at it.
    assert len(errors) <= 2, errors
    assert all(f"until content/{table} can be read" in line for line in errors[1:]), errors


# --- text that cannot be set --------------------------------------------------------------------------------


def test_giant_word_is_an_error_with_field_and_line(scratch_project, tmp_path):
    path = write_record(
        scratch_project,
        "leiden-vliegende-brigade",
        record_front("leiden-vliegende-brigade"),
        "Eerst.\n\nDan " + "a" * 200_000 + " en verder.",
    )
    result = run(scratch_project, "check")
    no_traceback(result)
    assert result.exit_code == 1
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "aaaa" in t)
    assert f"{path}:{line}: field 'body': error: has a word of 200000 characters" in result.output
    assert len(result.output) < 2000
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("html",), tmp_path / "out")
    assert not res.ok


def test_deeply_nested_markdown_is_one_error(scratch_project):
    body = "".join("    " * i + "- x\n" for i in range(300))
    path = write_record(scratch_project, "leiden-vliegende-brigade", record_front("leiden-vliegende-brigade"), body)
    result = run(scratch_project, "check")
    no_traceback(result)
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "nested 300 levels deep; katern allows at most 20" in result.output


def test_deeply_nested_raw_html_is_an_error(scratch_project):
    body = "<blockquote>" * 500 + "x" + "</blockquote>" * 500
    write_record(scratch_project, "leiden-vliegende-brigade", record_front("leiden-vliegende-brigade"), body)
    result = run(scratch_project, "check")
    assert result.exit_code == 1 and "nested more than" in result.output


# --- images must be images, in the project --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"), [(b"dit is geen beeld", "is not an image"), (b"\x89PNG\r\n\x1a\nkapot", "is not an image")]
)
def test_broken_or_non_image_is_an_error(scratch_project, content, expected):
    (scratch_project / "images").mkdir()
    (scratch_project / "images" / "foto.png").write_bytes(content)
    front = record_front("leiden-vliegende-brigade", images=[{"src": "../../images/foto.png", "alt": "Een foto"}])
    path = write_record(scratch_project, "leiden-vliegende-brigade", front)
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert f"{path}: field 'images[1].src'" in result.output and expected in result.output


def test_missing_image_in_a_layout_fails_the_pdf(scratch_project, tmp_path):
    (scratch_project / "layouts" / "partials").mkdir(parents=True)
    (scratch_project / "layouts" / "partials" / "sender.html").write_text(
        '<div class="sender"><img src="logo.png" alt="Logo"></div>\n', encoding="utf-8"
    )
    (res,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf",), tmp_path / "out")
    assert not res.ok
    assert "cannot load the image" in res.error and "logo.png" in res.error
    assert not (tmp_path / "out" / "zuid-holland.pdf").exists()


def test_list_says_which_records_it_cannot_judge(scratch_project):
    path = write_record(scratch_project, "kapot", "title: [niet gesloten\n")
    result = run(scratch_project, "list")
    no_traceback(result)
    assert result.exit_code == 0
    assert f"1 record(s) with errors may match but are not listed: {path}" in result.output
    assert "4 record(s)" in result.output


def test_giant_word_in_a_publication_file_is_an_error(scratch_project):
    path = scratch_project / "content" / "publications" / "van-nul-tot-later.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("subtitle: Gemeenten", "subtitle: " + "x" * 500), "utf-8")
    result = run(scratch_project, "check")
    assert result.exit_code == 1
    assert f"{path}: field 'subtitle': error: has a word of" in result.output
