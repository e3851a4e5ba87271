"""Incremental builds: an output whose inputs did not change is not rebuilt, and one whose inputs did, is.

The manifest (build/.katern-manifest.json) keeps each output's input digests; these tests change one
input at a time (a record, a style, a layout, an image, katern's version) and check that exactly the
outputs made of it are rebuilt, that a no-change rebuild writes nothing, and that the font subsets
of the HTML booklet are cached on disk.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import katern
from conftest import RECORDS, record_front, write_record
from katern import build as build_module
from katern import resources
from katern.build import UP_TO_DATE, build
from katern.cli import cli
from katern.manifest import CACHE_NAME, MANIFEST_NAME
from katern.project import load_project
from katern.resources import builtin_dir


def mtimes(folder: Path) -> dict[str, int]:
    """Return {relative path: mtime in ns} of every file under `folder`, the manifest and cache included."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


def statuses(results) -> dict[str, str]:
    return {r.name: r.status for r in results}


def html(root: Path, out: Path, names: list[str] | None = None, **kwargs):
    """Build the HTML booklets of `names` (all: None) from a freshly loaded project."""
    results = build(load_project(root), names, ("html",), out, **kwargs)
    assert all(r.ok for r in results), {r.name: r.error for r in results}
    return results


def png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# --- a no-change rebuild --------------------------------------------------------------------------------------


def test_no_change_rebuild_writes_nothing_and_says_up_to_date(scratch_project, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = build(load_project(scratch_project), None, ("pdf", "html"), out)
    assert all(r.ok for r in first), {r.name: r.error for r in first}
    assert statuses(first) == {"van-nul-tot-later": "built", "zuid-holland": "built"}
    manifest = (out / MANIFEST_NAME).read_bytes()
    before = mtimes(out)

    def refuse(*args, **kwargs):
        raise AssertionError("an up-to-date output was produced again")

    monkeypatch.setattr(build_module, "render_pdf", refuse)
    monkeypatch.setattr(build_module, "render_html", refuse)
    second = build(load_project(scratch_project), None, ("pdf", "html"), out)
    assert statuses(second) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": UP_TO_DATE}
    assert all(r.skipped for r in second)
    assert mtimes(out) == before  # nothing written: no output, no manifest, no cache file
    assert (out / MANIFEST_NAME).read_bytes() == manifest
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    # The result still says what there is: the same files, pages and notes as the build that wrote them.
    for old, new in zip(first, second, strict=True):
        assert [(o.kind, o.path, o.size, o.pages) for o in old.outputs] == [
            (o.kind, o.path, o.size, o.pages) for o in new.outputs
        ]
        assert all(o.status == UP_TO_DATE for o in new.outputs)
        assert new.notes == old.notes and new.warnings == old.warnings
        assert new.inputs == old.inputs
    assert second.summary().startswith("2 publication(s): 0 built, 2 up to date, 0 failed in ")


def test_build_result_names_every_input_with_its_digest(scratch_project, tmp_path):
    out = tmp_path / "out"
    (brochure,) = build(load_project(scratch_project), ["van-nul-tot-later"], ("pdf", "html"), out)
    assert brochure.ok, brochure.error
    inputs = brochure.inputs
    content = scratch_project / "content"
    must = [
        content / "publications" / "van-nul-tot-later.yaml",
        content / "records" / "zwolle-think-op-school.md",
        content / "records" / "oss-maatwerkfabriek.md",
        content / "municipalities.csv",
        content / "themes.yaml",
        content / "factors.yaml",
    ]
    for path in must:
        assert inputs.get(path.resolve()), f"{path} is not among the inputs"
    names = {p.name for p, digest in inputs.items() if digest}
    # the templates (the loader), the style files, theme.yaml, layouts.yaml and the font files (the fetcher)
    assert {"brochure.html", "base.html", "booklet.html", "story.html", "factors.html"} <= names
    assert {"theme.css", "print.css", "brochure.css", "booklet.css", "theme.yaml", "layouts.yaml"} <= names
    assert any(n.startswith("SourceSerifPro") for n in names) and any(n.startswith("SourceSansPro") for n in names)
    assert "zuid-holland.yaml" not in names and "leiden-vliegende-brigade.md" not in names
    # overrides the project could add are inputs too, as absent files
    absent = {p for p, digest in inputs.items() if digest is None}
    assert (scratch_project / "styles" / "vws" / "print.css").resolve() in absent
    assert (scratch_project / "layouts" / "partials" / "story.html").resolve() in absent
    entry = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["outputs"]["van-nul-tot-later.pdf"]
    assert set(entry["files"]) == {
        "van-nul-tot-later.pdf",
        "van-nul-tot-later.accessibility.html",
        "van-nul-tot-later.accessibility.json",
    }
    assert entry["inputs"]["content/records/oss-maatwerkfabriek.md"] == inputs[must[2].resolve()]
    assert "booklet.css" not in str(entry["inputs"])  # the PDF is not made with the screen style


# --- what a change rebuilds -----------------------------------------------------------------------------------


@pytest.fixture
def two_booklets(scratch_project, tmp_path):
    """The HTML booklets of both scratch publications, built once; return (root, out)."""
    out = tmp_path / "out"
    html(scratch_project, out)
    return scratch_project, out


def test_a_record_edit_rebuilds_exactly_the_publications_that_use_it(two_booklets):
    root, out = two_booklets
    before = mtimes(out)
    write_record(root, "oss-maatwerkfabriek", RECORDS["oss-maatwerkfabriek"], body="## Oss\n\nEen nieuw woord.")
    results = html(root, out)
    assert statuses(results) == {"van-nul-tot-later": "built", "zuid-holland": UP_TO_DATE}
    after = mtimes(out)
    assert after["zuid-holland.html"] == before["zuid-holland.html"]
    assert after["van-nul-tot-later.html"] != before["van-nul-tot-later.html"]
    assert "Een nieuw woord." in (out / "van-nul-tot-later.html").read_text(encoding="utf-8")
    # and the other way round: the Leiden story is only in the Zuid-Holland edition
    write_record(root, "leiden-vliegende-brigade", record_front("leiden-vliegende-brigade", title="Nieuwe titel"))
    assert statuses(html(root, out)) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": "built"}


def test_a_record_that_a_query_now_selects_rebuilds_that_edition(two_booklets):
    root, out = two_booklets
    write_record(
        root,
        "dordrecht-maatwerktafel",
        {
            **RECORDS["leiden-vliegende-brigade"],
            "title": "Maatwerktafel",
            "place": "Dordrecht",
            "municipalities": ["Dordrecht"],
        },
    )
    assert statuses(html(root, out)) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": "built"}
    assert "Maatwerktafel" in (out / "zuid-holland.html").read_text(encoding="utf-8")


def test_editing_the_publication_file_rebuilds_it(two_booklets):
    root, out = two_booklets
    path = root / "content" / "publications" / "zuid-holland.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Integraal werken", "Samen werken"), encoding="utf-8")
    assert statuses(html(root, out)) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": "built"}


def test_a_table_edit_rebuilds_every_publication(two_booklets):
    root, out = two_booklets
    themes = root / "content" / "themes.yaml"
    themes.write_text(themes.read_text(encoding="utf-8").replace("Maatwerk", "Maat werk"), encoding="utf-8")
    assert set(statuses(html(root, out)).values()) == {"built"}


def test_a_new_style_file_rebuilds_what_uses_that_style_only(scratch_project, tmp_path):
    out = tmp_path / "out"
    first = build(load_project(scratch_project), ["zuid-holland"], ("pdf", "html"), out)
    assert first[0].ok, first[0].error
    styles = scratch_project / "styles" / "vws"
    styles.mkdir(parents=True)
    (styles / "booklet.css").write_text("main { letter-spacing: 0.01em; }\n", encoding="utf-8")  # screen only
    (second,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf", "html"), out)
    assert second.ok, second.error
    assert {o.path.name: o.status for o in second.outputs} == {
        "zuid-holland.pdf": UP_TO_DATE,
        "zuid-holland.accessibility.html": UP_TO_DATE,
        "zuid-holland.accessibility.json": UP_TO_DATE,
        "zuid-holland.html": "built",
    }
    assert "letter-spacing: 0.01em" in (out / "zuid-holland.html").read_text(encoding="utf-8")
    (styles / "newsletter.css").write_text(".story { word-spacing: 0.01em; }\n", encoding="utf-8")  # print only
    (third,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf", "html"), out)
    assert third.ok, third.error
    assert {o.kind: o.status for o in third.outputs if o.kind != "accessibility"} == {
        "pdf": "built",
        "html": UP_TO_DATE,
    }


def test_a_layout_override_rebuilds_the_publications_whose_layout_includes_it(two_booklets):
    root, out = two_booklets
    partial = root / "layouts" / "partials" / "factors.html"  # only the brochure has the factors spread
    partial.parent.mkdir(parents=True)
    builtin = builtin_dir("layouts") / "partials" / "factors.html"  # installed or in the checkout
    partial.write_text(builtin.read_text(encoding="utf-8") + "<!-- eigen 4711 -->\n", encoding="utf-8")
    assert statuses(html(root, out)) == {"van-nul-tot-later": "built", "zuid-holland": UP_TO_DATE}
    assert "eigen 4711" in (out / "van-nul-tot-later.html").read_text(encoding="utf-8")
    partial.write_text(builtin.read_text(encoding="utf-8") + "<!-- eigen 4712 -->\n", encoding="utf-8")
    assert statuses(html(root, out)) == {"van-nul-tot-later": "built", "zuid-holland": UP_TO_DATE}


def test_a_changed_image_rebuilds_what_shows_it(scratch_project, tmp_path):
    image = scratch_project / "images" / "zwolle.png"
    image.parent.mkdir()
    image.write_bytes(png((200, 30, 30)))
    front = record_front("zwolle-think-op-school", images=[{"src": "../../images/zwolle.png", "alt": "Een rood vlak"}])
    write_record(scratch_project, "zwolle-think-op-school", front)
    out = tmp_path / "out"
    html(scratch_project, out)
    assert statuses(html(scratch_project, out)) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": UP_TO_DATE}
    image.write_bytes(png((30, 30, 200)))
    assert statuses(html(scratch_project, out)) == {"van-nul-tot-later": "built", "zuid-holland": UP_TO_DATE}


def test_a_changed_image_rebuilds_the_pdf_that_prints_it(scratch_project, tmp_path):
    image = scratch_project / "images" / "leiden.png"
    image.parent.mkdir()
    image.write_bytes(png((200, 30, 30)))
    front = record_front(
        "leiden-vliegende-brigade", images=[{"src": "../../images/leiden.png", "alt": "Een rood vlak"}]
    )
    write_record(scratch_project, "leiden-vliegende-brigade", front)
    out = tmp_path / "out"
    (first,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf",), out)
    assert first.ok, first.error
    assert image.resolve() in first.inputs  # fetched by WeasyPrint through the project's URL fetcher
    image.write_bytes(png((30, 30, 200)))
    (second,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf",), out)
    assert second.ok and second.status == "built", second.error


def test_a_new_katern_version_rebuilds_everything(two_booklets, monkeypatch):
    root, out = two_booklets
    assert set(statuses(html(root, out)).values()) == {UP_TO_DATE}
    monkeypatch.setattr(katern, "__version__", "99.0.0")
    assert set(statuses(html(root, out)).values()) == {"built"}
    assert set(statuses(html(root, out)).values()) == {UP_TO_DATE}


def test_force_rebuilds_everything(two_booklets):
    root, out = two_booklets
    before = mtimes(out)
    assert set(statuses(html(root, out, force=True)).values()) == {"built"}
    after = mtimes(out)
    assert after["van-nul-tot-later.html"] != before["van-nul-tot-later.html"]


def test_a_deleted_or_edited_output_is_rebuilt(two_booklets):
    root, out = two_booklets
    (out / "van-nul-tot-later.html").unlink()
    (out / "zuid-holland.html").write_text("mine", encoding="utf-8")
    assert statuses(html(root, out)) == {"van-nul-tot-later": "built", "zuid-holland": "built"}


def test_a_damaged_manifest_rebuilds_everything(two_booklets):
    root, out = two_booklets
    (out / MANIFEST_NAME).write_text("{ not json", encoding="utf-8")
    assert set(statuses(html(root, out)).values()) == {"built"}
    assert json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))["schema"] == 1


def test_building_one_publication_keeps_the_others_in_the_manifest(two_booklets):
    root, out = two_booklets
    write_record(root, "oss-maatwerkfabriek", RECORDS["oss-maatwerkfabriek"], body="Anders.")
    assert statuses(html(root, out, ["van-nul-tot-later"])) == {"van-nul-tot-later": "built"}
    assert statuses(html(root, out)) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": UP_TO_DATE}


# --- stale outputs ----------------------------------------------------------------------------------------


def test_a_removed_publication_is_reported_stale_and_left_alone(two_booklets):
    root, out = two_booklets
    (root / "content" / "publications" / "zuid-holland.yaml").rename(
        root / "content" / "publications" / "zuid-holland-2018.yaml"
    )
    results = html(root, out)
    assert statuses(results) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland-2018": "built"}
    assert [(s.path.name, s.publication) for s in results.stale] == [("zuid-holland.html", "zuid-holland")]
    assert "no longer exists" in str(results.stale[0]) and "delete it" in str(results.stale[0])
    assert (out / "zuid-holland.html").is_file()  # reported, not deleted
    said = CliRunner().invoke(cli, ["--project", str(root), "build", "--format", "html", "--out", str(out)])
    assert said.exit_code == 0, said.output
    assert "zuid-holland.html is stale" in said.output
    (out / "zuid-holland.html").unlink()
    assert html(root, out).stale == []  # gone: no longer reported, and dropped from the manifest
    assert "zuid-holland.html" not in (out / MANIFEST_NAME).read_text(encoding="utf-8")


def test_a_format_the_publication_no_longer_has_is_stale(two_booklets):
    root, out = two_booklets
    path = root / "content" / "publications" / "zuid-holland.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "outputs: [pdf]\n", encoding="utf-8")
    results = build(load_project(root), ["van-nul-tot-later"], ("html",), out)
    assert [s.path.name for s in results.stale] == ["zuid-holland.html"]
    assert "no longer lists html" in results.stale[0].reason


# --- --strict and the warnings an up-to-date output keeps -----------------------------------------------------


def test_an_up_to_date_output_reports_its_warnings_and_strict_still_fails(scratch_project, tmp_path):
    path = scratch_project / "content" / "publications" / "zuid-holland.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "max_pages: 1\n", encoding="utf-8")
    write_record(
        scratch_project,
        "leiden-vliegende-brigade",
        RECORDS["leiden-vliegende-brigade"],
        body="\n\n".join(["Een lange alinea over de vliegende brigade in Leiden. " * 12] * 14),
    )
    out = tmp_path / "out"
    (first,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf",), out)
    assert first.ok and first.warnings and "max_pages" in " ".join(first.warnings), first.warnings
    (again,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf",), out)
    assert again.skipped and again.warnings == first.warnings
    (strict,) = build(load_project(scratch_project), ["zuid-holland"], ("pdf",), out, strict=True)
    assert not strict.ok and "warnings are fatal with --strict" in strict.error and "max_pages" in strict.error


# --- the font subsets of the HTML booklet -------------------------------------------------------------------


@pytest.fixture
def subsetting(monkeypatch):
    """Count the fonts subset; start without the subsets this test process already made."""
    calls: list[int] = []
    real = resources.subset_font

    def counted(data: bytes) -> bytes:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(resources, "subset_font", counted)
    monkeypatch.setattr(resources, "_subsets", {})
    return calls


def test_font_subsets_are_cached_on_disk_and_a_damaged_one_is_made_again(scratch_project, tmp_path, subsetting):
    out = tmp_path / "out"
    html(scratch_project, out, ["zuid-holland"])
    faces = len(resources.booklet_font_files())
    assert len(subsetting) == faces  # once each, for the first booklet
    cache = out / CACHE_NAME / "fonts"
    files = sorted(cache.glob("*.woff2"))
    assert len(files) == faces
    resources._subsets.clear()  # a new process: only the disk cache is left
    first = (out / "zuid-holland.html").read_bytes()
    html(scratch_project, out, ["zuid-holland"], force=True)
    assert len(subsetting) == faces  # no subsetting: every subset came from build/.katern-cache
    assert (out / "zuid-holland.html").read_bytes() == first
    damaged = files[0]
    damaged.write_bytes(damaged.read_bytes()[:100])  # truncated, as by a full disk
    resources._subsets.clear()
    html(scratch_project, out, ["zuid-holland"], force=True)
    assert len(subsetting) == faces + 1  # the damaged one was made again...
    with resources.font_cache(cache):  # ...and rewritten
        assert damaged.stat().st_size > 100 and resources.cached_subset(damaged.stem) is not None
    assert (out / "zuid-holland.html").read_bytes() == first


def test_font_cache_is_keyed_by_katern_version(scratch_project, tmp_path, subsetting, monkeypatch):
    out = tmp_path / "out"
    html(scratch_project, out, ["zuid-holland"])
    count = len(subsetting)
    monkeypatch.setattr(katern, "__version__", "99.0.0")
    resources._subsets.clear()
    html(scratch_project, out, ["zuid-holland"])
    assert len(subsetting) == 2 * count


# --- the command line -----------------------------------------------------------------------------------------


def test_cli_says_up_to_date_and_sums_up(two_booklets):
    root, out = two_booklets
    result = CliRunner().invoke(cli, ["--project", str(root), "build", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"van-nul-tot-later: up to date ({out / 'van-nul-tot-later.html'})" in result.output
    assert "2 publication(s): 0 built, 2 up to date, 0 failed in" in result.output
    assert "\r" not in result.output and "\x1b" not in result.output  # no live line when not on a terminal
    forced = CliRunner().invoke(
        cli, ["--project", str(root), "build", "--format", "html", "--out", str(out), "--force", "--jobs", "1"]
    )
    assert forced.exit_code == 0, forced.output
    assert "2 publication(s): 2 built, 0 up to date, 0 failed in" in forced.output


def test_source_date_epoch_is_part_of_the_key(two_booklets, monkeypatch):
    root, out = two_booklets
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1538956800")
    assert set(statuses(html(root, out)).values()) == {"built"}
    assert set(statuses(html(root, out)).values()) == {UP_TO_DATE}


def test_an_edited_manifest_entry_of_an_input_rebuilds(two_booklets):
    root, out = two_booklets
    data = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    entry = data["outputs"]["zuid-holland.html"]
    entry["inputs"]["content/records/leiden-vliegende-brigade.md"] = "0" * 64
    (out / MANIFEST_NAME).write_text(json.dumps(data), encoding="utf-8")
    assert statuses(html(root, out)) == {"van-nul-tot-later": UP_TO_DATE, "zuid-holland": "built"}


def test_no_manifest_outside_the_output_folder(two_booklets):
    root, out = two_booklets
    written = [*root.rglob(MANIFEST_NAME), *root.rglob(CACHE_NAME)]
    assert written and not [p for p in written if not p.is_relative_to(out)]
    assert (out / MANIFEST_NAME).is_file() and (out / CACHE_NAME).is_dir()
    assert os.listdir(out / CACHE_NAME) == ["fonts"]
