"""`each:` in a publication builds one edition per province, region, municipality or theme that has records."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from katern.build import build
from katern.cli import cli
from katern.project import load_project

PER_PROVINCE = """\
title: Integraal werken
subtitle: Praktijkvoorbeelden
date: 2018-10-01
layout: newsletter
query:
  kind: [praktijkverhaal, onder-de-loep, in-het-kort]
each: {each}
sort: title
outputs: [pdf, html]
"""


def write_each(root: Path, each: str) -> None:
    path = root / "content" / "publications" / "per-stuk.yaml"
    path.write_text(PER_PROVINCE.format(each=each), encoding="utf-8")


def test_each_province_makes_one_edition_per_province_with_records(scratch_project):
    write_each(scratch_project, "province")
    project = load_project(scratch_project)
    assert not project.errors, project.errors
    assert project.families["per-stuk"] == [
        "per-stuk-groningen",
        "per-stuk-noord-brabant",
        "per-stuk-overijssel",
        "per-stuk-zuid-holland",
    ]
    zh = project.publications["per-stuk-zuid-holland"]
    assert zh.edition == "Zuid-Holland" and zh.family == "per-stuk"
    assert [r.slug for r in zh.records] == ["leiden-vliegende-brigade"]
    assert "per-stuk" not in project.publications


@pytest.mark.parametrize(
    ("each", "expected"),
    [
        (
            "region",
            [
                "per-stuk-noord-nederland",
                "per-stuk-oost-nederland",
                "per-stuk-west-nederland",
                "per-stuk-zuid-nederland",
            ],
        ),
        ("theme", ["per-stuk-jeugd", "per-stuk-maatwerk", "per-stuk-ontschotting", "per-stuk-preventie"]),
        ("municipality", ["per-stuk-de-marne", "per-stuk-leiden", "per-stuk-oss", "per-stuk-zwolle"]),
    ],
)
def test_each_other_keys(scratch_project, each, expected):
    write_each(scratch_project, each)
    project = load_project(scratch_project)
    assert project.families["per-stuk"] == expected
    if each == "theme":
        assert project.publications["per-stuk-maatwerk"].edition == "Maatwerk"  # the label, not the id
        assert [r.slug for r in project.publications["per-stuk-maatwerk"].records] == [
            "oss-maatwerkfabriek",  # "Maatwerkfabriek Oss"
            "leiden-vliegende-brigade",  # "Vliegende brigade helpt snel": sorted by title, as asked
        ]


def test_each_unknown_key_is_an_error(scratch_project):
    write_each(scratch_project, "provincie")
    result = CliRunner().invoke(cli, ["--project", str(scratch_project), "check"])
    assert result.exit_code == 1
    assert "field 'each': error: 'provincie' is not one of: province, region, municipality, theme." in result.output


def test_building_the_family_builds_every_edition(scratch_project, tmp_path):
    write_each(scratch_project, "province")
    results = build(load_project(scratch_project), ["per-stuk"], ("html",), tmp_path / "out")
    assert [r.name for r in results] == [
        "per-stuk-groningen",
        "per-stuk-noord-brabant",
        "per-stuk-overijssel",
        "per-stuk-zuid-holland",
    ]
    assert all(r.ok for r in results), [r.error for r in results]
    page = (tmp_path / "out" / "per-stuk-noord-brabant.html").read_text(encoding="utf-8")
    assert "<title>Integraal werken — Noord-Brabant</title>" in page
    assert "Maatwerkfabriek Oss" in page and "Vliegende brigade" not in page


def test_one_edition_builds_as_a_pdf_with_the_value_in_its_title(scratch_project, tmp_path):
    import pypdf

    write_each(scratch_project, "province")
    (result,) = build(load_project(scratch_project), ["per-stuk-overijssel"], ("pdf",), tmp_path / "out")
    assert result.ok, result.error
    reader = pypdf.PdfReader(tmp_path / "out" / "per-stuk-overijssel.pdf")
    assert reader.metadata.title == "Integraal werken — Overijssel"
    assert "Overijssel" in reader.pages[0].extract_text()


def test_a_family_without_editions_fails(scratch_project, tmp_path):
    path = scratch_project / "content" / "publications" / "per-stuk.yaml"
    path.write_text(
        PER_PROVINCE.format(each="municipality").replace(
            "kind: [praktijkverhaal, onder-de-loep, in-het-kort]", "kind: interview"
        )
    )
    results = build(load_project(scratch_project), ["per-stuk"], ("html",), tmp_path / "out")
    assert len(results) == 1 and not results[0].ok
