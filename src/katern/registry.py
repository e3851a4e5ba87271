"""The layouts katern can use, declared as data in layouts/layouts.yaml (katern's, then the project's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from katern.errors import ConfigError, Problem
from katern.models import KINDS
from katern.resources import builtin_dir
from katern.schema import FieldReader, load_yaml

REGISTRY_FILE = "layouts.yaml"
RECORD_COUNTS = ("many", "none", "one")


@dataclass(frozen=True)
class Layout:
    """What one layout is made of: its template, its style files and how it treats records."""

    name: str
    template: str
    styles: tuple[str, ...]
    story_heading: int = 1
    sections: tuple[str, ...] = ()
    records: tuple[str, ...] = ("many",)  # what it takes: "many" (list or query), "none", "one" record
    back_cover: bool = False
    max_pages: int | None = None


@dataclass
class Layouts:
    """Every layout, and the screen layout of the HTML booklet."""

    layouts: dict[str, Layout] = field(default_factory=dict)
    screen: Layout | None = None

    def get(self, name: str) -> Layout:
        """Return the layout called `name` (the HTML booklet's is called 'screen')."""
        if name == "screen" and self.screen is not None:
            return self.screen
        return self.layouts[name]


@cache
def builtin_layouts() -> Layouts:
    """Return katern's own layouts (for code that has no project at hand)."""
    problems: list[Problem] = []
    layouts = Layouts()
    _read(builtin_dir("layouts") / REGISTRY_FILE, layouts, problems)
    if problems:
        raise ConfigError("; ".join(str(p) for p in problems))
    return layouts


def load_layouts(project_root: Path, problems: list[Problem]) -> Layouts:
    """Read katern's layouts.yaml, then let the project's own add to it or change it."""
    result = Layouts()
    builtin = builtin_dir("layouts") / REGISTRY_FILE
    own = Path(project_root) / "layouts" / REGISTRY_FILE
    for path in (builtin, own):
        if path.is_file() and (path == builtin or path.resolve() != builtin.resolve()):
            _read(path, result, problems)
    return result


def _read(path: Path, result: Layouts, problems: list[Problem]) -> None:
    data, lines, problem = load_yaml(path.read_text(encoding="utf-8"), path)
    if problem:
        problems.append(problem)
        return
    if not isinstance(data, dict):
        problems.append(Problem(path, "must hold 'layouts:' with one entry per layout.", line=1))
        return
    r = FieldReader(data, path, lines, problems)
    for name, spec in r.mappings_by_key("layouts"):
        layout = _layout(name, spec)
        if layout is not None:
            result.layouts[name] = layout
    screen = r.mapping("screen")
    if screen is not None:
        result.screen = _layout("screen", screen) or result.screen
    r.warn_unknown()


def _layout(name: str, r: FieldReader) -> Layout | None:
    template = r.text("template", True)
    styles = r.text_list("styles")
    if not styles:
        r.problem("styles", "is required: list the style files of the theme this layout uses.")
    sections = r.text_list("sections")
    for kind in sections:
        if kind not in KINDS:
            r.problem("sections", f"'{kind}' is not a kind; use any of: {', '.join(KINDS)}.")
    heading = r.integer("story_heading") or 1
    if heading > 5:
        r.problem("story_heading", "must be 1 to 5.")
    layout = Layout(
        name=name,
        template=template or f"{name}.html",
        styles=tuple(styles),
        story_heading=min(heading, 5),
        sections=tuple(k for k in sections if k in KINDS),
        records=_record_forms(r),
        back_cover=r.boolean("back_cover"),
        max_pages=r.integer("max_pages"),
    )
    r.warn_unknown()
    return layout if template and styles else None


def _record_forms(r: FieldReader) -> tuple[str, ...]:
    """Return the forms of `records` a layout takes: many, none, one."""
    forms = r.text_list("records") or ["many"]
    for form in forms:
        if form not in RECORD_COUNTS:
            r.problem("records", f"'{form}' is not one of: {', '.join(RECORD_COUNTS)}.")
    return tuple(f for f in forms if f in RECORD_COUNTS) or ("many",)
