"""Render a publication to HTML with Jinja2: the print HTML for WeasyPrint and the HTML booklet."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path

import jinja2
import jinja2.bccache
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from katern.errors import BuildError
from katern.labels import LABELS, format_date
from katern.markup import MarkupError, to_html, typeset
from katern.models import Image, Record
from katern.paths import RefusedPath, Resolver, abbreviate, file_url
from katern.project import Project
from katern.publications import Publication
from katern.registry import Layout
from katern.resources import font_face_css, search_path
from katern.themes import Theme, logo_url, theme_css


def markdown_to_html(text: str | None, shift: int = 0) -> Markup:
    """Convert Markdown to clean HTML (see markup.py), moving headings `shift` levels down."""
    try:
        return Markup(to_html(text, shift))
    except MarkupError as exc:
        raise BuildError(exc.message) from exc


def _inline_markdown(text: str | None) -> Markup:
    """Convert one line of Markdown to HTML without the surrounding paragraph."""
    html = markdown_to_html(text)
    return Markup(re.sub(r"^<p>(.*)</p>$", r"\1", str(html).strip(), flags=re.S))


class ConfinedLoader(jinja2.BaseLoader):
    """Load templates from the search folders, refusing any (a link, say) whose file lies outside them.

    Every template it loads is noted as an input of the output being built (katern.manifest), and so
    is every folder it looked in first without finding the template: a project override that is
    added later (layouts/partials/colophon.html) makes the output out of date.
    """

    def __init__(self, folders: list[Path], resolver: Resolver):
        self.folders = [Path(f) for f in folders]
        self.resolver = resolver

    def get_source(self, environment: jinja2.Environment, template: str):
        """Return the source of the first `template` on the search path."""
        from katern.manifest import note_missing, note_read

        pieces = split_template_path(template)
        own = Path(self.resolver.project) / "layouts"  # the project's folder, also when it does not exist yet
        if own.resolve() not in [f.resolve() for f in self.folders]:
            note_missing(own.joinpath(*pieces))
        for folder in self.folders:
            candidate = folder.joinpath(*pieces)
            if not candidate.is_file():
                note_missing(candidate)
                continue
            try:
                real = self.resolver.confine(candidate, within=folder)
            except RefusedPath as exc:
                raise BuildError(f"layout '{template}' {exc.message}", path=candidate, field="layout") from None
            source = real.read_text(encoding="utf-8")
            note_read(real)
            mtime = real.stat().st_mtime
            return source, str(candidate), lambda real=real, mtime=mtime: real.stat().st_mtime == mtime
        raise jinja2.TemplateNotFound(template)


class _CompiledLayouts(jinja2.BytecodeCache):
    """The layouts compiled in this process, by file and source checksum (Jinja checks the checksum).

    Kept in memory only, never on disk: a rebuild (katern serve, a second layout) does not compile the
    same layout again, and no compiled code is ever read from a file a project could bring.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._compiled.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledLayouts()


def make_environment(project: Project) -> jinja2.Environment:
    """Create the one Jinja environment: sandboxed, the project's layouts/ first, then katern's."""
    folders = search_path(project.root, "layouts")
    env = ImmutableSandboxedEnvironment(
        loader=ConfinedLoader(folders, project.resolver),
        bytecode_cache=_COMPILED,
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["markdown"] = markdown_to_html
    env.filters["inline_markdown"] = _inline_markdown
    env.globals["searched"] = [str(f) for f in folders]
    return env


def get_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """Load a template, naming the folders searched when it is missing."""
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound as exc:
        raise BuildError(
            f"layout '{exc.name}' not found; searched: {', '.join(env.globals['searched'])}", field="layout"
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise BuildError(f"layout error at line {exc.lineno}: {exc.message}", path=exc.filename) from exc


CSS_URL_RE = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")


def load_css(project: Project, theme: Theme, layout: Layout, embed: bool) -> str:
    """Concatenate the theme's style files for this layout, each layered over its parent theme's.

    Each `url()` is resolved from the style file that holds it, through the resolver: a file URL
    for print, embedded data for the HTML booklet. Network addresses and `@import` are refused.
    The colours, fonts and families of the theme's theme.yaml come last.
    """
    parts = []
    for filename in layout.styles:
        paths = theme.style_files(filename)
        if not paths:
            searched = ", ".join(str(folder / filename) for folder in theme.folders)
            raise BuildError(f"style '{theme.name}/{filename}' not found; searched: {searched}", field="theme")
        for path in paths:
            try:
                real = project.resolver.confine(path)
            except RefusedPath as exc:
                raise BuildError(f"style '{theme.name}/{filename}' {exc.message}", path=path, field="theme") from None
            css = real.read_text(encoding="utf-8")
            parts.append(f"/* {path.parent.name}/{filename} */\n" + _resolve_css_urls(project, css, path, embed))
        if filename == layout.styles[0]:
            extra = theme_css(theme, embed)
            if extra:
                parts.append(f"/* {theme.name}/theme.yaml */\n{extra}")
    return "\n".join(parts)


def _resolve_css_urls(project: Project, css: str, path: Path, embed: bool) -> str:
    """Rewrite the url() references of one style file; raise BuildError for any that may not be used."""

    def replace(match: re.Match) -> str:
        if match[4] is not None or match[5] is not None:
            raise BuildError(
                "@import is not supported: put the rules in the style file itself, or in a file of the theme.",
                path=path,
            )
        ref = next(g for g in match.groups()[:3] if g is not None)
        if ref.startswith(("data:", "#")):
            return match[0]
        try:
            target = project.resolver.reference(ref, path.parent, kind="file")
        except RefusedPath as exc:
            raise BuildError(f"url({abbreviate(ref)}): {exc.message}", path=path) from None
        return f"url('{file_url(target, embed)}')"

    return CSS_URL_RE.sub(replace, css)


IMG_SRC_RE = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


def image_url(project: Project, record: Record, src: str, embed: bool) -> str:
    """Return the URL of a record's image: a file URL for print, a data URL for the HTML booklet."""
    try:
        path = project.resolver.reference(src, record.path.parent, kind="image")
    except RefusedPath as exc:
        raise BuildError(f"image: {exc.message}", path=record.path, field="images") from None
    try:
        return file_url(path, embed)
    except OSError as exc:
        raise BuildError(f"image '{src}' cannot be read: {exc.strerror}", path=record.path, field="images") from exc


@dataclass
class StoryView:
    """What a layout needs of one record: the record plus its body split around pull quotes."""

    record: Record
    body_parts: list[Markup]
    quotes: list[str]
    images: list[Image]

    def __getattr__(self, name: str):
        return getattr(self.record, name)


def _story_view(
    project: Project,
    record: Record,
    shift: int,
    embed: bool,
    max_quotes: int | None = None,
    pub: Publication | None = None,
) -> StoryView:
    """Split the body at its subheadings and hand out the pull quotes between the parts.

    In `pub` the record prints as it does there: with the fields its `editions` give for that publication.
    """
    if pub is not None:
        record = record.for_publication(pub.name, pub.family)
    try:
        html = str(markdown_to_html(record.body, shift))
    except BuildError as exc:
        raise BuildError(exc.message, path=record.path, field="body") from None
    html = IMG_SRC_RE.sub(lambda m: m[1] + str(escape(image_url(project, record, unescape(m[2]), embed))) + m[3], html)
    images = [replace(i, src=image_url(project, record, i.src, embed)) for i in record.images]
    sections = re.split(r"(?=<h[2-6][ >])", html)
    sections = [s for s in sections if s.strip()]
    quotes = list(record.quotes)[:max_quotes]
    parts: list[Markup] = []
    if quotes and len(sections) > 1:
        slots = {round((i + 1) * len(sections) / (len(quotes) + 1)) for i in range(len(quotes))}
        for index, section in enumerate(sections):
            if index in slots and quotes:
                parts.append(
                    Markup('<aside class="pullquote"><p>' + str(Markup.escape(quotes.pop(0))) + "</p></aside>")
                )
            parts.append(Markup(section))
    else:
        parts = [Markup(s) for s in sections]
    return StoryView(record, parts, quotes, images)


def build_context(
    project: Project,
    pub: Publication,
    target: str,
    theme: Theme,
    blank_pages: int = 0,
    layout_hints: dict[str, tuple[str, ...]] | None = None,
) -> dict:
    """Gather everything the layouts need for one publication.

    `blank_pages` is how many blank pages a brochure gets before its back cover (partials/blank-pages.html),
    so that its page count is a multiple of 4; `layout_hints` names the stories to give a make-up class
    (partials/story.html). The build finds both by laying the publication out once (see makeup.py).
    """
    labels = LABELS[pub.language]
    level = pub.layout_spec.story_heading
    story_sheet = "one" in pub.layout_spec.records and len(pub.records) == 1 and "many" not in pub.layout_spec.records
    max_quotes = 1 if story_sheet else None
    stories = [_story_view(project, r, level - 1, target != "print", max_quotes, pub) for r in pub.records]
    sections = []
    for kind in pub.layout_spec.sections:
        items = [s for s in stories if s.record.kind == kind]
        if items:
            sections.append({"kind": kind, "label": labels[kind], "stories": items})
    if sections:  # in reading order, as the sections print them, for every contents list
        grouped = [s for section in sections for s in section["stories"]]
        stories = grouped + [s for s in stories if all(s is not g for g in grouped)]
    return {
        "pub": pub,
        "target": target,
        "labels": labels,
        "date_text": format_date(pub.date, pub.language, pub.date_style),
        "stories": stories,
        "sections": sections,
        "factors": project.factors,
        "factors_after": pub.factors_after,
        "factors_position": pub.factors_position,
        "heading_level": level,
        "factor_sheet": pub.is_factor_sheet,
        "story_sheet": story_sheet,
        "blank_pages": blank_pages if target == "print" else 0,
        "layout_hints": (layout_hints or {}) if target == "print" else {},
        "logo": {"src": logo_url(theme, embed=target != "print"), "alt": theme.logo_alt} if theme.logo else None,
    }


def render_html(
    project: Project,
    pub: Publication,
    target: str = "print",
    fit_css: str = "",
    blank_pages: int = 0,
    press: bool = False,
    layout_hints: dict[str, tuple[str, ...]] | None = None,
) -> str:
    """Render the publication as HTML: `print` for WeasyPrint, `screen` for the self-contained booklet.

    `fit_css` is added after the theme's styles (the body size a one-page sheet was fitted at).
    `blank_pages` blank pages go before a brochure's back cover (to make its page count a multiple of 4).
    `press` adds the theme's press.css after the layout's style files: bleed, crop marks, panels into the bleed.
    `layout_hints` gives stories a make-up class: {"tight": (slug, ...), "facing": ..., "few-hyphens": ...}.
    """
    theme = project.styles.get(pub.theme)
    if theme is None:
        raise BuildError(f"unknown theme '{pub.theme}'.", path=pub.path, field="theme")
    env = make_environment(project)
    layout = pub.layout_spec if target == "print" else project.layouts.get("screen")
    if press:
        layout = replace(layout, styles=(*layout.styles, "press.css"))
    template = get_template(env, layout.template)
    context = build_context(project, pub, target, theme, blank_pages, layout_hints)
    embed = target != "print"
    css = load_css(project, theme, layout, embed=embed)
    context["css"] = Markup(font_face_css(embed=embed) + "\n" + css + ("\n" + fit_css if fit_css else ""))
    if target == "print":
        context["page_size"] = pub.page_size
    # Dutch typesetting (non-breaking spaces, address breaks, names kept whole); see markup.typeset.
    return typeset(_render(template, context), pub.language, breaks=target == "print")


def _render(template: jinja2.Template, context: dict) -> str:
    try:
        return template.render(**context)
    except jinja2.TemplateNotFound as exc:
        name, line = _failing_template(exc, template)
        raise BuildError(
            f"layout '{exc.name}' not found (asked for by {name}, line {line}); searched: "
            f"{', '.join(template.environment.globals['searched'])}",
            field="layout",
        ) from None
    except SecurityError as exc:
        name, line = _failing_template(exc, template)
        raise BuildError(
            f"layout {name} (line {line}) tried something layouts may not do ({exc}). Layouts can only "
            "show the publication's content; remove that expression.",
            field="layout",
        ) from None
    except jinja2.UndefinedError as exc:
        name, line = _failing_template(exc, template)
        raise BuildError(f"layout {name} (line {line}): {exc.message}", field="layout") from exc
    except jinja2.TemplateError as exc:
        name, line = _failing_template(exc, template)
        raise BuildError(f"layout {name} (line {line}): {exc}", field="layout") from exc


def _failing_template(exc: BaseException, template: jinja2.Template) -> tuple[str, int | str]:
    """Return the file and line of the template where `exc` happened (Jinja puts them in the traceback)."""
    name: str = template.name or "?"
    line: int | str = "?"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html") and Path(filename).is_file():
            name = filename
            line = tb.tb_lineno
        tb = tb.tb_next
    return name, line
