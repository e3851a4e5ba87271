"""Find katern's built-in layouts, styles and fonts, and a project's overrides of them."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path

from katern.errors import BuildError

log = logging.getLogger(__name__)

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


# The subsets of this process, by cache key, and the folder they are also kept in (set by a build).
_subsets: dict[str, bytes] = {}
_kept: set[tuple[Path, str]] = set()  # (cache folder, key) this process wrote or found there
_cache_folder: Path | None = None
FONT_CACHE_MAGIC = b"katern-font-subset 1\n"  # then the SHA-256 of the WOFF2 data, a newline, the data


def set_font_cache(folder: Path | None) -> Path | None:
    """Keep the booklet's font subsets in `folder` from now on (None: in memory only); return the one before."""
    global _cache_folder
    previous, _cache_folder = _cache_folder, (Path(folder) if folder is not None else None)
    return previous


def font_cache_folder() -> Path | None:
    return _cache_folder


@contextmanager
def font_cache(folder: Path | None) -> Iterator[None]:
    """Keep the booklet's font subsets in `folder` meanwhile (a build's `.katern-cache/fonts`)."""
    previous = set_font_cache(folder)
    try:
        yield
    finally:
        set_font_cache(previous)


def subset_key(data: bytes) -> str:
    """Return the cache key of a font's booklet subset: the font file, the character set, katern and fontTools."""
    import katern

    sha = hashlib.sha256()
    for part in (
        hashlib.sha256(data).hexdigest(),
        BOOKLET_CHARACTERS,
        ",".join(SUBSET_FEATURES),
        "woff2",
        katern.__version__,
        _fonttools_version(),
    ):
        sha.update(part.encode("utf-8") + b"\0")
    return sha.hexdigest()


@cache
def _fonttools_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("fonttools")


def _cache_file(key: str) -> Path | None:
    return _cache_folder / f"{key}.woff2" if _cache_folder is not None else None


def cached_subset(key: str) -> bytes | None:
    """Return the subset kept under `key` in memory or in the cache folder; a damaged file counts as none.

    A subset this process has in memory is also written to the cache folder when it is not there yet,
    so the next build (another process) finds it.
    """
    if key in _subsets:
        path = _cache_file(key)
        if path is not None and (path.parent, key) not in _kept and not path.is_file():
            _keep_subset(key, _subsets[key])
        return _subsets[key]
    path = _cache_file(key)
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, _, rest = raw.partition(b"\n")
    digest, _, data = rest.partition(b"\n")
    if head + b"\n" != FONT_CACHE_MAGIC or hashlib.sha256(data).hexdigest().encode() != digest or not data:
        log.info("ignoring the damaged font cache file %s; it is made again", path)
        return None
    _subsets[key] = data
    _kept.add((path.parent, key))
    return data


def _keep_subset(key: str, data: bytes) -> None:
    _subsets[key] = data
    path = _cache_file(key)
    if path is None:
        return
    _kept.add((path.parent, key))
    from katern.fsutil import atomic_write

    payload = FONT_CACHE_MAGIC + hashlib.sha256(data).hexdigest().encode() + b"\n" + data
    try:
        atomic_write(path, payload)
    except OSError as exc:  # a cache that cannot be written only costs time
        log.info("cannot write the font cache file %s: %s", path, exc.strerror)


def web_font(path: Path) -> bytes:
    """Return the font reduced to the booklet's character set, as WOFF2.

    A subset is made once per font file and character set: it is kept in memory, and during a build
    on disk in `build/.katern-cache/fonts/` (see font_cache), so the next build and every worker
    process read it instead of subsetting again (about a second a font).
    """
    from katern.manifest import note_read

    note_read(path)
    data = Path(path).read_bytes()
    key = subset_key(data)
    cached = cached_subset(key)
    if cached is not None:
        return cached
    subset = subset_font(data)
    _keep_subset(key, subset)
    return subset


def needs_subset(path: Path) -> bool:
    """Say whether `web_font(path)` would have to subset (nothing in memory or in the cache folder)."""
    return cached_subset(subset_key(Path(path).read_bytes())) is None


def booklet_font_files() -> list[Path]:
    """Return the font files of katern's own faces that the HTML booklet embeds."""
    return [
        font_path(package, filename)
        for family, package, weight, style, filename in FONT_FACES
        if (family, weight, style) in BOOKLET_FACES
    ]


SUBSET_FEATURES = ("kern", "liga", "onum", "lnum", "pnum", "tnum")


def subset_font(data: bytes) -> bytes:
    """Reduce a font (the bytes of a .ttf or .otf file) to the booklet's character set, as WOFF2."""
    import io

    from fontTools import subset

    options = subset.Options()
    options.layout_features = list(SUBSET_FEATURES)
    options.flavor = "woff2"
    font = subset.load_font(io.BytesIO(data), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=BOOKLET_CHARACTERS)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return buffer.getvalue()
