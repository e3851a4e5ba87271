"""Find katern's built-in layouts, styles and fonts, and a project's overrides of them."""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources
from pathlib import Path

from katern.errors import BuildError

PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def builtin_dir(name: str) -> Path:
    """Return katern's own `layouts` or `styles` folder (installed, or the source checkout's)."""
    installed = PACKAGE_DIR / name
    if installed.is_dir():
        return installed
    checkout = PACKAGE_DIR.parents[1] / name
    if checkout.is_dir():
        return checkout
    raise BuildError(f"katern's built-in '{name}' folder is missing; reinstall katern.", path=installed)


def search_path(project_root: Path, name: str) -> list[Path]:
    """Return the folders searched for `layouts` or `styles`: the project's first, then katern's."""
    folders = [project_root / name, builtin_dir(name)]
    unique: list[Path] = []
    for folder in folders:
        if folder.is_dir() and folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique


def find_style(project_root: Path, theme: str, filename: str) -> Path:
    """Return the first `styles/<theme>/<filename>` on the search path."""
    searched = []
    for folder in search_path(project_root, "styles"):
        candidate = folder / theme / filename
        searched.append(str(candidate))
        if candidate.is_file():
            return candidate
    raise BuildError(f"style '{theme}/{filename}' not found; searched: {', '.join(searched)}", field="theme")


def available_themes(project_root: Path) -> list[str]:
    """Return the names of every theme folder on the search path."""
    names = set()
    for folder in search_path(project_root, "styles"):
        names.update(p.name for p in folder.iterdir() if p.is_dir())
    return sorted(names)


# (css family, package, weight, style, file)
FONT_FACES = [
    ("Source Serif Pro", "font_source_serif_pro", 400, "normal", "SourceSerifPro-Regular.ttf"),
    ("Source Serif Pro", "font_source_serif_pro", 400, "italic", "SourceSerifPro-It.ttf"),
    ("Source Serif Pro", "font_source_serif_pro", 700, "normal", "SourceSerifPro-Bold.ttf"),
    ("Source Serif Pro", "font_source_serif_pro", 700, "italic", "SourceSerifPro-BoldIt.ttf"),
    ("Source Sans Pro", "font_source_sans_pro", 400, "normal", "SourceSansPro-Regular.ttf"),
    ("Source Sans Pro", "font_source_sans_pro", 400, "italic", "SourceSansPro-It.ttf"),
    ("Source Sans Pro", "font_source_sans_pro", 600, "normal", "SourceSansPro-Semibold.ttf"),
    ("Source Sans Pro", "font_source_sans_pro", 700, "normal", "SourceSansPro-Bold.ttf"),
    ("Source Sans Pro", "font_source_sans_pro", 700, "italic", "SourceSansPro-BoldIt.ttf"),
]


@cache
def font_path(package: str, filename: str) -> Path:
    """Return the path of a font file shipped by an installed font package."""
    try:
        path = Path(str(resources.files(package) / "files" / filename))
    except ModuleNotFoundError as exc:
        raise BuildError(
            f"the font package '{package}' is not installed; run the install command in README.md."
        ) from exc
    if not path.is_file():
        raise BuildError(f"font file {filename} is missing from '{package}'; reinstall it.", path=path)
    return path


def font_dirs() -> list[Path]:
    """Return the folders fonts are loaded from (allowed for the URL fetcher)."""
    return sorted({font_path(pkg, f).parent for _fam, pkg, _w, _s, f in FONT_FACES})


# The HTML booklet embeds these faces only; browsers synthesise the rare others (sans italic, bold italic).
BOOKLET_FACES = {
    ("Source Serif Pro", 400, "normal"),
    ("Source Serif Pro", 400, "italic"),
    ("Source Serif Pro", 700, "normal"),
    ("Source Sans Pro", 400, "normal"),
    ("Source Sans Pro", 600, "normal"),
    ("Source Sans Pro", 700, "normal"),
}

# Latin (Dutch, with accents and ij), typographic quotes, dashes, bullets, ellipsis and the euro sign.
BOOKLET_CHARACTERS = "".join(chr(c) for c in [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x2028), 0x20AC])


def font_face_css(embed: bool) -> str:
    """Return @font-face rules for the theme fonts: file URLs for PDF, embedded WOFF2 data for HTML."""
    rules = []
    for family, package, weight, style, filename in FONT_FACES:
        if embed and (family, weight, style) not in BOOKLET_FACES:
            continue
        path = font_path(package, filename)
        if embed:
            data = base64.b64encode(web_font(path)).decode()
            src = f"url(data:font/woff2;base64,{data}) format('woff2')"
        else:
            src = f"url('{path.as_uri()}')"
        rules.append(
            f"@font-face {{ font-family: '{family}'; font-weight: {weight}; font-style: {style}; src: {src}; }}"
        )
    return "\n".join(rules)


@cache
def web_font(path: Path) -> bytes:
    """Return the font reduced to the booklet's character set, as WOFF2 (computed once per process)."""
    import io

    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["kern", "liga", "onum", "lnum", "pnum", "tnum"]
    options.flavor = "woff2"
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=BOOKLET_CHARACTERS)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()
