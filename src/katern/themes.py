"""Themes as data: a folder of style files, optionally with theme.yaml (extends, colors, fonts, logo).

A theme is a chain of folders, the base first. katern's own `styles/vws/` is a theme; a project's
`styles/vws/` is layered on top of it (its files come after katern's, so a few rules are enough);
a project's `styles/groen/theme.yaml` with `extends: vws` starts from vws and adds its own colours,
fonts, logo and style files. Every file a theme names goes through the project's resolver.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from katern.errors import BuildError, Problem
from katern.paths import RefusedPath, Resolver, file_url, not_an_image
from katern.resources import builtin_dir, web_font
from katern.schema import FieldReader, did_you_mean, load_yaml, shorten

THEME_FILE = "theme.yaml"
HEX_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
ROOT_VARIABLE_RE = re.compile(r"--([a-z][a-z0-9-]*)\s*:\s*([^;]+);")
# The font faces a theme may give, as (CSS weight, CSS style).
FACES = {
    "regular": (400, "normal"),
    "italic": (400, "italic"),
    "semibold": (600, "normal"),
    "bold": (700, "normal"),
    "bold-italic": (700, "italic"),
}
FONT_ROLES = {"serif": "serif", "sans": "sans-serif"}  # theme.yaml name -> CSS generic family
TEXT_CONTRAST = 4.5  # WCAG 2.1 AA for normal text
LARGE_CONTRAST = 3.0  # WCAG 2.1 AA for large text (the cover title, white on the accent colour)


@dataclass(frozen=True)
class FontFamily:
    """A font family a theme brings: its CSS name and a file per face."""

    name: str
    faces: dict[tuple[int, str], Path]


@dataclass
class Theme:
    """A resolved theme: its folders (base first), colours, fonts and logo."""

    name: str
    folders: list[Path] = field(default_factory=list)
    colors: dict[str, str] = field(default_factory=dict)
    fonts: dict[str, FontFamily] = field(default_factory=dict)
    logo: Path | None = None
    logo_alt: str | None = None
    fit_sizes: tuple[float, ...] = (9.5,)  # body sizes (pt) a one-page sheet may use, largest first

    def style_files(self, filename: str) -> list[Path]:
        """Return every `filename` along the chain, base first: each is layered after the one before."""
        return [folder / filename for folder in self.folders if (folder / filename).is_file()]


def theme_names(project_root: Path) -> list[str]:
    """Return the names of every theme: katern's and the project's own folders in styles/."""
    names = {p.name for p in builtin_dir("styles").iterdir() if p.is_dir()}
    own = Path(project_root) / "styles"
    if own.is_dir():
        names |= {p.name for p in own.iterdir() if p.is_dir()}
    return sorted(names)


def load_theme(project_root: Path, resolver: Resolver, name: str, problems: list[Problem]) -> Theme | None:
    """Resolve the theme called `name`, reporting problems (unknown theme, bad theme.yaml, missing files)."""
    return _load(Path(project_root), resolver, name, problems, [])


def _load(root: Path, resolver: Resolver, name: str, problems: list[Problem], seen: list[str]) -> Theme | None:
    if name in seen:
        problems.append(
            Problem(
                root / "styles" / name / THEME_FILE,
                "themes extend each other in a circle: " + " -> ".join([*seen, name]) + ".",
                "extends",
            )
        )
        return None
    builtin = builtin_dir("styles") / name
    own = root / "styles" / name
    if not builtin.is_dir() and not own.is_dir():
        return None
    theme = Theme(name)
    specs = [(folder / THEME_FILE) for folder in (builtin, own) if (folder / THEME_FILE).is_file()]
    readers = [(spec, _read_spec(spec, problems)) for spec in specs]
    parent_name = next(
        (r.text("extends") for _spec, r in reversed(readers) if r is not None and "extends" in r.data), None
    )
    if parent_name:
        parent = _load(root, resolver, parent_name, problems, [*seen, name])
        if parent is None:
            if parent_name not in seen:
                reader = next(r for _spec, r in reversed(readers) if r is not None and "extends" in r.data)
                reader.problem(
                    "extends",
                    f"there is no theme '{shorten(parent_name)}'.{did_you_mean(parent_name, theme_names(root))}",
                )
            return None
        theme.folders += parent.folders
        theme.colors.update(parent.colors)
        theme.fonts.update(parent.fonts)
        theme.logo, theme.logo_alt, theme.fit_sizes = parent.logo, parent.logo_alt, parent.fit_sizes
    for folder in (builtin, own):
        if folder.is_dir() and folder.resolve() not in [f.resolve() for f in theme.folders]:
            theme.folders.append(folder)
    for spec, reader in readers:
        if reader is not None:
            reader.seen.add("extends")
            _apply_spec(theme, reader, spec.parent, resolver)
            reader.warn_unknown()
    return theme


def _read_spec(path: Path, problems: list[Problem]) -> FieldReader | None:
    data, lines, problem = load_yaml(path.read_text(encoding="utf-8"), path)
    if problem:
        problems.append(problem)
        return None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem(path, "must be 'field: value' lines: extends, colors, fonts, logo.", line=1))
        return None
    return FieldReader(data, path, lines, problems)


def _apply_spec(theme: Theme, r: FieldReader, folder: Path, resolver: Resolver) -> None:
    """Take the colours, fonts and logo of one theme.yaml into `theme`."""
    names = known_colors(theme)
    colors = r.mapping("colors")
    if colors is not None:
        for key, value in colors.data.items():
            colors.seen.add(key)
            key = str(key)
            if key not in names:
                colors.problem(
                    key,
                    f"is not a colour of this theme; use any of: {', '.join(sorted(names))}."
                    + did_you_mean(key, names),
                )
            elif not isinstance(value, str) or not HEX_RE.match(value.strip()):
                colors.problem(key, f"'{shorten(value)}' is not a colour. Write it as \"#0b6e4f\" (in quotes).")
            else:
                theme.colors[key] = value.strip().lower()
        _derive_colors(theme, set(colors.data))
    fonts = r.mapping("fonts")
    if fonts is not None:
        for role, spec in _font_specs(fonts):
            family = _font_family(role, spec, folder, resolver)
            if family is not None:
                theme.fonts[role] = family
    fit = r.mapping("fit")
    if fit is not None:
        theme.fit_sizes = _fit_sizes(fit) or theme.fit_sizes
    logo = r.text("logo")
    if logo:
        try:
            path = resolver.reference(logo, folder, kind="logo")
        except RefusedPath as exc:
            r.problem("logo", exc.message)
        else:
            problem = not_an_image(path)
            if problem:
                r.problem("logo", problem)
            else:
                theme.logo = path
    alt = r.text("logo_alt")
    if alt:
        theme.logo_alt = alt
    elif logo and not theme.logo_alt:
        r.problem(
            "logo_alt",
            "is missing: say in words what the logo shows (for readers who cannot see it), "
            "for example logo_alt: Gemeente Groningen.",
        )


def _fit_sizes(r: FieldReader) -> tuple[float, ...]:
    """Read `fit: {body_size: [largest, smallest], step}` into the sizes to try, largest first."""
    sizes = r.data.get("body_size")
    r.seen.update({"body_size", "step"})
    step = r.data.get("step", 0.5)
    numbers = isinstance(sizes, list) and len(sizes) == 2 and all(isinstance(v, (int, float)) for v in sizes)
    if not numbers or not 5 <= min(sizes) <= max(sizes) <= 16:
        r.problem("body_size", "must be [largest, smallest] body sizes in pt between 5 and 16, e.g. [10.5, 8.5].")
        return ()
    if not isinstance(step, (int, float)) or isinstance(step, bool) or not 0.1 <= step <= 2:
        r.problem("step", "must be a size step in pt between 0.1 and 2, e.g. 0.5.")
        return ()
    largest, smallest = max(sizes), min(sizes)
    count = int(round((largest - smallest) / step))
    r.warn_unknown()
    return tuple(round(largest - i * step, 2) for i in range(count + 1))


def _font_specs(fonts: FieldReader) -> list[tuple[str, FieldReader]]:
    result = []
    for role, value in fonts.data.items():
        fonts.seen.add(role)
        role = str(role)
        if role not in FONT_ROLES:
            fonts.problem(
                role,
                "is not a font of a theme; use serif (body text) or sans (headings)." + did_you_mean(role, FONT_ROLES),
            )
        elif not isinstance(value, dict):
            fonts.problem(role, "must give 'family' and the font files: regular, italic, semibold, bold, bold-italic.")
        else:
            result.append((role, FieldReader(value, fonts.path, fonts.lines, fonts.problems, f"{fonts.prefix}{role}.")))
    return result


def _font_family(role: str, r: FieldReader, folder: Path, resolver: Resolver) -> FontFamily | None:
    name = r.text("family", True)
    faces: dict[tuple[int, str], Path] = {}
    for face, key in FACES.items():
        ref = r.text(face)
        if not ref:
            continue
        try:
            path = resolver.reference(ref, folder, kind="font file")
        except RefusedPath as exc:
            r.problem(face, exc.message)
            continue
        problem = not_a_font(path)
        if problem:
            r.problem(face, problem)
            continue
        faces[key] = path
    if (400, "normal") not in faces and "regular" not in r.data:
        r.problem("regular", "is required: the font file for ordinary text (a .ttf or .otf file in the project).")
    r.warn_unknown()
    if not name or (400, "normal") not in faces:
        return None
    if name in {"Source Serif Pro", "Source Sans Pro"}:
        r.problem("family", f"'{name}' is the name of katern's own font; give this font its own name.")
        return None
    return FontFamily(name, faces)


def not_a_font(path: Path) -> str | None:
    """Say why `path` is not a font file katern can embed, or None."""
    from fontTools.ttLib import TTFont, TTLibError

    try:
        TTFont(str(path), lazy=True).close()
    except (TTLibError, OSError, ValueError, AssertionError) as exc:
        return f"'{path.name}' is not a font file that can be embedded ({exc}). Use a .ttf or .otf file."
    return None


def known_colors(theme: Theme) -> set[str]:
    """Return the colour names a theme can set: the custom properties of its theme.css files."""
    return set(_file_colors(theme))


def _root_block(css: str) -> str:
    match = re.search(r":root\s*\{([^}]*)\}", css)
    return match[1] if match else ""


def _is_color(value: str) -> bool:
    return bool(HEX_RE.match(value.split("/*")[0].strip()))


def _file_colors(theme: Theme) -> dict[str, str]:
    """Return the colours the theme's theme.css files set in :root, the last file winning."""
    colors: dict[str, str] = {}
    for path in theme.style_files("theme.css"):
        for match in ROOT_VARIABLE_RE.finditer(_root_block(path.read_text(encoding="utf-8"))):
            value = match[2].split("/*")[0].strip()
            if _is_color(value):
                colors[match[1]] = value.lower()
    return colors


def base_colors(theme: Theme) -> dict[str, str]:
    """Return every colour of the theme: the values in its theme.css files, then its theme.yaml colours."""
    return {**_file_colors(theme), **theme.colors}


def _derive_colors(theme: Theme, given: set[str]) -> None:
    """Derive the accent's companions the theme.yaml did not give: a text-safe shade and a light tint."""
    accent = theme.colors.get("accent")
    if not accent:
        return
    paper = base_colors(theme).get("paper", "#ffffff")
    if "accent-text" not in given:
        shade = accent
        while contrast(shade, paper) < TEXT_CONTRAST:
            shade = mix(shade, "#000000", 0.1)
        theme.colors["accent-text"] = shade
    if "tint" not in given:
        theme.colors["tint"] = mix(accent, paper, 0.85)


def color_warnings(theme: Theme, path: Path) -> list[Problem]:
    """Warn where the theme's colours fall short of WCAG 2.1 AA contrast."""
    colors = base_colors(theme)
    pairs = [
        ("ink", "paper", TEXT_CONTRAST, "body text"),
        ("ink", "tint", TEXT_CONTRAST, "text in boxes"),
        ("accent-text", "paper", TEXT_CONTRAST, "small coloured text"),
        ("paper", "accent", LARGE_CONTRAST, "the cover title on the accent colour"),
    ]
    problems = []
    for fore, back, needed, what in pairs:
        if fore in colors and back in colors:
            ratio = contrast(colors[fore], colors[back])
            if ratio < needed:
                problems.append(
                    Problem(
                        path,
                        f"{fore} on {back} ({what}) has a contrast of {ratio:.1f}:1; WCAG 2.1 AA asks at least "
                        f"{needed}:1. Choose a darker or lighter colour.",
                        "colors",
                        severity="warning",
                    )
                )
    return problems


def _rgb(color: str) -> tuple[float, float, float]:
    value = color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _luminance(color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """Return the WCAG contrast ratio of two colours."""
    a, b = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def mix(color: str, other: str, amount: float) -> str:
    """Return `color` moved `amount` (0..1) of the way towards `other`."""
    mixed = [c + (o - c) * amount for c, o in zip(_rgb(color), _rgb(other), strict=True)]
    return "#" + "".join(f"{round(c * 255):02x}" for c in mixed)


def theme_css(theme: Theme, embed: bool) -> str:
    """Return the CSS a theme.yaml adds: @font-face rules for its fonts and its colours and families."""
    rules = []
    for _role, family in sorted(theme.fonts.items()):
        for (weight, style), path in sorted(family.faces.items()):
            src = (
                f"url(data:font/woff2;base64,{_embedded(path)}) format('woff2')" if embed else f"url('{path.as_uri()}')"
            )
            rules.append(
                f"@font-face {{ font-family: '{family.name}'; font-weight: {weight}; "
                f"font-style: {style}; src: {src}; }}"
            )
    variables = [f"--{name}: {value};" for name, value in sorted(theme.colors.items())]
    variables += [f"--{role}: '{family.name}', {FONT_ROLES[role]};" for role, family in sorted(theme.fonts.items())]
    if variables:
        rules.append(f":root {{ {' '.join(variables)} }}")
    return "\n".join(rules)


@cache
def _embedded(path: Path) -> str:
    return base64.b64encode(web_font(path)).decode()


def logo_url(theme: Theme, embed: bool) -> str | None:
    """Return the logo as a file URL for print, or as data for the HTML booklet."""
    if theme.logo is None:
        return None
    try:
        return file_url(theme.logo, embed)
    except OSError as exc:
        raise BuildError(f"the logo cannot be read: {exc.strerror}", path=theme.logo) from exc
