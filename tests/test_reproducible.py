"""Reproducible PDFs whichever way WeasyPrint subsets fonts; resource failures are errors, not warnings."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from pathlib import Path

import pytest
import weasyprint.pdf.fonts
import weasyprint.text.ffi

import katern.pdf
from katern.build import build
from katern.errors import BuildError
from katern.pdf import render_pdf
from katern.project import load_project
from katern.resources import font_dirs, font_face_css

STAMP = dt.datetime(2017, 9, 1, tzinfo=dt.UTC)
BODY = (
    "<h1 style='font-family: \"Source Sans Pro\"; font-weight: 700'>Van nul tot later</h1>"
    "<p style='font-family: \"Source Serif Pro\"'>Een <em>korte</em> tekst met <b>vet</b> erin.</p>"
)
HAS_HARFBUZZ_SUBSET = weasyprint.text.ffi.harfbuzz_subset is not None


def _html(body: str = BODY) -> str:
    return (
        f"<!doctype html><html lang='nl'><head><title>Test</title><style>{font_face_css(embed=False)}</style>"
        f"</head><body>{body}</body></html>"
    )


def _render(folder: Path, body: str = BODY) -> katern.pdf.RenderedPdf:
    return render_pdf(_html(body), folder, [folder, *font_dirs()], STAMP)


@pytest.fixture
def fonttools_only(monkeypatch):
    """Make WeasyPrint subset with fontTools, as on a machine without libharfbuzz-subset0; count the calls."""
    assert "harfbuzz_subset" in weasyprint.pdf.fonts.Font.subset.__code__.co_names  # the name Font.subset reads
    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    calls = []
    original = weasyprint.pdf.fonts.Font._fonttools_subset

    def spy(self, *args, **kwargs):
        calls.append(self.family)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.pdf.fonts.Font, "_fonttools_subset", spy)
    return calls


def test_fonttools_subsetting_is_reproducible_and_only_noted(fonttools_only, tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setattr(katern.pdf, "_fonttools_noted", False)
    monkeypatch.setattr(logging.getLogger("katern"), "propagate", True)  # the CLI turns it off
    monkeypatch.setattr(logging.getLogger("katern"), "handlers", [])  # and installs its own handler
    caplog.set_level(logging.INFO, logger="katern.pdf")
    first = _render(tmp_path)
    time.sleep(1.1)  # fontTools stamps whole seconds
    second = _render(tmp_path)
    assert fonttools_only, "WeasyPrint did not take the fontTools path"
    assert first.data == second.data, "fontTools stamped the clock into the subset fonts"
    for pdf in (first, second):
        assert not [w for w in pdf.warnings if "fontTools" in w], pdf.warnings
        assert pdf.errors == []
    infos = [r for r in caplog.records if r.name == "katern.pdf" and r.levelno == logging.INFO]
    assert len(infos) == 1, [r.getMessage() for r in infos]  # once per process, not once per font or build
    assert "fontTools" in infos[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.skipif(not HAS_HARFBUZZ_SUBSET, reason="the system library HarfBuzz-Subset is not installed")
def test_harfbuzz_subsetting_is_reproducible(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert weasyprint.pdf.fonts.harfbuzz_subset
    first = _render(tmp_path)
    time.sleep(1.1)
    second = _render(tmp_path)
    assert first.data == second.data
    assert first.warnings == [] and first.errors == []


@pytest.mark.parametrize("value", ["1234567890", "not-a-number"])
def test_source_date_epoch_is_restored_when_set(fonttools_only, tmp_path, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    seen = []
    original = weasyprint.Document.write_pdf

    def spy(self, *args, **kwargs):
        seen.append(os.environ.get("SOURCE_DATE_EPOCH"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.Document, "write_pdf", spy)
    _render(tmp_path)
    assert seen == [str(int(STAMP.timestamp()))]  # what fontTools stamps while the PDF is written
    assert os.environ["SOURCE_DATE_EPOCH"] == value


def test_source_date_epoch_is_unset_again_even_after_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    _render(tmp_path)
    assert "SOURCE_DATE_EPOCH" not in os.environ
    with pytest.raises(BuildError, match="outside the project"):
        render_pdf(_html(), tmp_path, [tmp_path], STAMP)  # the theme fonts are not allowed
    assert "SOURCE_DATE_EPOCH" not in os.environ


def test_a_missing_image_is_an_error_not_a_warning(tmp_path):
    pdf = _render(tmp_path, BODY + '<img src="missing.png" alt="x">')
    assert len(pdf.errors) == 1, pdf.errors
    assert "missing.png" in pdf.errors[0] and "image" in pdf.errors[0]
    assert not [w for w in pdf.warnings if "missing.png" in w], pdf.warnings


def test_two_strict_builds_with_fonttools_are_identical(fonttools_only, scratch_project, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    outputs = []
    for run in ("first", "second"):
        if outputs:
            time.sleep(1.1)
        [result] = build(load_project(scratch_project), ["van-nul-tot-later"], ("pdf",), tmp_path / run, strict=True)
        assert result.ok, result.error
        outputs.append((tmp_path / run / "van-nul-tot-later.pdf").read_bytes())
    assert fonttools_only, "WeasyPrint did not take the fontTools path"
    assert outputs[0] == outputs[1], "two builds of the same publication differ"
