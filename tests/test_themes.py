"""House styles as data: a theme that extends vws by colours only, one with a logo and a font, and overrides."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from PIL import Image

from katern.build import build
from katern.cli import cli
from katern.markup import external_loads
from katern.project import load_project
from katern.resources import font_path
from katern.themes import contrast


def use_theme(root: Path, theme: str, pub: str = "van-nul-tot-later") -> None:
    path = root / "content" / "publications" / f"{pub}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + f"theme: {theme}\n", encoding="utf-8")


def write_theme(root: Path, name: str, text: str) -> Path:
    folder = root / "styles" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "theme.yaml").write_text(text, encoding="utf-8")
    return folder


def check(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(root), "check", *args])


def pixel(pdf: Path, page: int, x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y), as fractions of the page's width and height."""
    image = pdfium.PdfDocument(pdf)[page].render(scale=0.5).to_pil().convert("RGB")
    return image.getpixel((int(image.width * x), int(image.height * y)))


def test_theme_extending_vws_by_colours_only_recolours_every_layout(scratch_project, tmp_path):
    write_theme(scratch_project, "groen", 'extends: vws\ncolors:\n  accent: "#0b6e4f"\n')
    use_theme(scratch_project, "groen")
    use_theme(scratch_project, "groen", "zuid-holland")
    result = check(scratch_project, "--strict")
    assert result.exit_code == 0, result.output
    project = load_project(scratch_project)
    theme = project.styles["groen"]
    assert theme.colors["accent"] == "#0b6e4f"
    assert contrast(theme.colors["accent-text"], "#ffffff") >= 4.5  # derived, dark enough for small text
    results = {
        r.name: r for r in build(project, ["van-nul-tot-later", "zuid-holland"], ("pdf", "html"), tmp_path / "g")
    }
    assert all(r.ok for r in results.values()), [r.error for r in results.values()]
    vws = {
        r.name: r
        for r in build(
            load_project(scratch_project.parent / "x") if False else _vws(scratch_project, tmp_path),
            ["van-nul-tot-later"],
            ("pdf",),
            tmp_path / "v",
        )
    }
    assert results["van-nul-tot-later"].pages == vws["van-nul-tot-later"].pages  # same layout, other colour
    assert pixel(tmp_path / "g" / "van-nul-tot-later.pdf", 0, 0.5, 0.8) == (11, 110, 79)  # the cover panel
    for name in ("van-nul-tot-later", "zuid-holland"):
        page = (tmp_path / "g" / f"{name}.html").read_text(encoding="utf-8")
        assert "--accent: #0b6e4f;" in page and not external_loads(page)


def _vws(root: Path, tmp_path: Path):
    copy = tmp_path / "vws-copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("styles"))
    path = copy / "content" / "publications" / "van-nul-tot-later.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("theme: groen\n", ""), encoding="utf-8")
    return load_project(copy)


def test_a_project_file_for_vws_is_layered_not_a_replacement(scratch_project, tmp_path):
    (scratch_project / "styles" / "vws").mkdir(parents=True)
    (scratch_project / "styles" / "vws" / "theme.css").write_text(":root { --accent: #0b6e4f; }\n", encoding="utf-8")
    project = load_project(scratch_project)
    (result,) = build(project, ["van-nul-tot-later"], ("pdf",), tmp_path / "o")
    assert result.ok and not result.warnings, (result.error, result.warnings)
    assert result.pages == 8  # cover, foreword, contents, two stories, factors, 2 blank pages, back cover
    assert pixel(tmp_path / "o" / "van-nul-tot-later.pdf", 0, 0.5, 0.8) == (11, 110, 79)


def _png(path: Path, colour=(1, 104, 155)) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), colour).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())


def test_theme_with_a_logo_and_a_font(scratch_project, tmp_path):
    folder = write_theme(
        scratch_project,
        "stad",
        "extends: vws\n"
        "logo: logo.png\n"
        "logo_alt: Gemeente Proefstad\n"
        "fonts:\n"
        "  serif:\n"
        "    family: Proef Serif\n"
        "    regular: fonts/ProefSerif-Light.ttf\n"
        "    bold: fonts/ProefSerif-Black.ttf\n",
    )
    (folder / "fonts").mkdir()
    shutil.copy(
        font_path("font_source_serif_pro", "SourceSerifPro-Light.ttf"), folder / "fonts" / "ProefSerif-Light.ttf"
    )
    shutil.copy(
        font_path("font_source_serif_pro", "SourceSerifPro-Black.ttf"), folder / "fonts" / "ProefSerif-Black.ttf"
    )
    _png(folder / "logo.png")
    use_theme(scratch_project, "stad")
    assert check(scratch_project, "--strict").exit_code == 0
    (result,) = build(load_project(scratch_project), ["van-nul-tot-later"], ("pdf", "html"), tmp_path / "o")
    assert result.ok, result.error
    reader = pypdf.PdfReader(tmp_path / "o" / "van-nul-tot-later.pdf")
    fonts = {str(f["/BaseFont"]).split("+")[-1] for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert "Proef-Serif" in fonts, fonts  # WeasyPrint names an embedded font after its CSS family
    assert not [f for f in fonts if f.startswith("Source-Serif")], fonts  # the body text is no longer vws's serif
    cover = reader.pages[0]
    images = [o for o in cover["/Resources"].get("/XObject", {}).values() if o.get_object()["/Subtype"] == "/Image"]
    assert images, "the logo is not on the cover"
    assert pixel(tmp_path / "o" / "van-nul-tot-later.pdf", 0, 0.12, 0.06)  # drawn, top left
    page = (tmp_path / "o" / "van-nul-tot-later.html").read_text(encoding="utf-8")
    assert 'alt="Gemeente Proefstad"' in page and 'src="data:image/png;base64,' in page
    assert "font-family: 'Proef Serif'" in page and "url(data:font/woff2;base64," in page
    assert not external_loads(page)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("extends: vvs\n", "there is no theme 'vvs'. Did you mean 'vws'?"),
        ('extends: vws\ncolors:\n  acent: "#0b6e4f"\n', "field 'colors.acent': error: is not a colour of this theme"),
        ("extends: vws\ncolors:\n  accent: groen\n", "'groen' is not a colour"),
        ("extends: vws\nlogo: geen.png\nlogo_alt: x\n", "'geen.png' does not exist"),
        ("extends: vws\nlogo: ../../../etc/passwd\nlogo_alt: x\n", "lies outside the project"),
        ("extends: vws\nfonts:\n  serif:\n    family: X\n    regular: geen.ttf\n", "'geen.ttf' does not exist"),
        (
            'extends: vws\ncolors:\n  accent-text: "#ffcc00"\n',
            "warning: accent-text on paper (small coloured text) has a contrast",
        ),
    ],
)
def test_check_validates_themes_and_the_files_they_name(scratch_project, spec, expected):
    write_theme(scratch_project, "eigen", spec)
    use_theme(scratch_project, "eigen")
    result = check(scratch_project, "--strict")
    assert result.exit_code == 1
    assert expected in result.output, result.output


def test_a_logo_without_alt_text_is_an_error(scratch_project):
    folder = write_theme(scratch_project, "eigen", "extends: vws\nlogo: logo.png\n")
    _png(folder / "logo.png")
    use_theme(scratch_project, "eigen")
    result = check(scratch_project)
    assert result.exit_code == 1 and "field 'logo_alt'" in result.output


def test_a_misspelt_theme_is_an_error_in_check(scratch_project):
    use_theme(scratch_project, "vvs")
    result = check(scratch_project)
    assert result.exit_code == 1
    assert "field 'theme': error: unknown theme 'vvs'. Did you mean 'vws'?" in result.output


def test_a_font_file_that_is_not_a_font_is_an_error(scratch_project):
    folder = write_theme(scratch_project, "eigen", "extends: vws\nfonts:\n  sans:\n    family: X\n    regular: x.ttf\n")
    (folder / "x.ttf").write_text("geen font")
    use_theme(scratch_project, "eigen")
    result = check(scratch_project)
    assert result.exit_code == 1 and "is not a font file that can be embedded" in result.output


def test_an_edited_layout_is_used_by_the_next_render_in_the_same_process(scratch_project):
    """Compiled layouts are kept in memory (render._COMPILED), but only for the same source."""
    from katern.render import render_html

    layouts = scratch_project / "layouts" / "partials"
    layouts.mkdir(parents=True)
    colophon = layouts / "colophon.html"
    colophon.write_text('<section class="colophon" id="colofon"><p>Eerste versie</p></section>\n', encoding="utf-8")
    project = load_project(scratch_project)
    pub = project.publications["van-nul-tot-later"]
    assert "Eerste versie" in render_html(project, pub, "print")
    colophon.write_text('<section class="colophon" id="colofon"><p>Tweede versie</p></section>\n', encoding="utf-8")
    again = render_html(load_project(scratch_project), pub, "print")
    assert "Tweede versie" in again and "Eerste versie" not in again
