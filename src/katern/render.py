"""Render a publication to HTML with Jinja2: the print HTML for WeasyPrint and the HTML booklet."""

from __future__ import annotations

import base64
import mimetypes
import re
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path

import jinja2
import markdown as md
from markupsafe import Markup

from katern.errors import BuildError
from katern.labels import LABELS, format_date
from katern.models import Image, Record
from katern.project import Project
from katern.publications import Publication
from katern.resources import find_style, font_face_css, search_path

LAYOUT_STYLES = {
    "brochure": ["theme.css", "print.css", "brochure.css"],
    "handout": ["theme.css", "print.css", "handout.css"],
    "newsletter": ["theme.css", "print.css", "newsletter.css"],
    "booklet": ["theme.css", "booklet.css"],
}


def markdown_to_html(text: str | None, shift: int = 0) -> Markup:
    """Convert Markdown to HTML, moving headings `shift` levels down."""
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    if shift:
        html = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m[1]}h{min(int(m[2]) + shift, 6)}", html)
    return Markup(html)


def _inline_markdown(text: str | None) -> Markup:
    """Convert one line of Markdown to HTML without the surrounding paragraph."""
    html = markdown_to_html(text)
    return Markup(re.sub(r"^<p>(.*)</p>$", r"\1", str(html), flags=re.S))


def make_environment(project_root: Path) -> jinja2.Environment:
    """Create the one Jinja environment: the project's layouts/ first, then katern's."""
    folders = search_path(project_root, "layouts")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
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


def load_css(project_root: Path, theme: str, layout: str) -> str:
    """Concatenate the theme's style files for this layout, the project's own first if present."""
    parts = []
    for filename in LAYOUT_STYLES[layout]:
        path = find_style(project_root, theme, filename)
        parts.append(f"/* {theme}/{filename} */\n" + path.read_text(encoding="utf-8"))
    return "\n".join(parts)


IMG_SRC_RE = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')


def image_url(record: Record, src: str, embed: bool) -> str:
    """Return the URL of a record's image: a file URL for print, a data URL for the HTML booklet."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
        return src  # validation refuses network addresses; the PDF fetcher refuses them again
    path = (record.path.parent / src).resolve()
    if not embed:
        return path.as_uri()
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BuildError(f"image '{src}' cannot be read: {exc.strerror}", path=record.path, field="images") from exc
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@dataclass
class StoryView:
    """What a layout needs of one record: the record plus its body split around pull quotes."""

    record: Record
    body_parts: list[Markup]
    quotes: list[str]
    images: list[Image]

    def __getattr__(self, name: str):
        return getattr(self.record, name)


def _story_view(record: Record, shift: int, embed: bool) -> StoryView:
    """Split the body at its subheadings and hand out the pull quotes between the parts."""
    html = str(markdown_to_html(record.body, shift))
    html = IMG_SRC_RE.sub(lambda m: m[1] + image_url(record, unescape(m[2]), embed) + m[3], html)
    images = [replace(i, src=image_url(record, i.src, embed)) for i in record.images]
    sections = re.split(r"(?=<h[2-6][ >])", html)
    sections = [s for s in sections if s.strip()]
    quotes = list(record.quotes)
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


def build_context(project: Project, pub: Publication, target: str) -> dict:
    """Gather everything the layouts need for one publication."""
    labels = LABELS[pub.language]
    level = 2 if pub.layout == "newsletter" else 1
    stories = [_story_view(r, level - 1, embed=target != "print") for r in pub.records]
    sections = []
    if pub.layout == "newsletter":
        order = ["onder-de-loep", "in-het-kort", "praktijkverhaal", "interview", "artikel"]
        for kind in order:
            items = [s for s in stories if s.record.kind == kind]
            if items:
                sections.append({"kind": kind, "label": labels[kind], "stories": items})
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
    }


def render_html(project: Project, pub: Publication, target: str = "print") -> str:
    """Render the publication as HTML: `print` for WeasyPrint, `screen` for the self-contained booklet."""
    env = make_environment(project.root)
    layout = pub.layout if target == "print" else "booklet"
    template = get_template(env, f"{layout}.html")
    context = build_context(project, pub, target)
    css = load_css(project.root, pub.theme, layout)
    if target == "print":
        context["css"] = Markup(font_face_css(embed=False) + "\n" + css)
        context["page_size"] = pub.page_size
        return _render(template, context)
    context["css"] = Markup(font_face_css(embed=True) + "\n" + css)
    return _render(template, context)


def _render(template: jinja2.Template, context: dict) -> str:
    try:
        return template.render(**context)
    except jinja2.UndefinedError as exc:
        raise BuildError(f"layout {template.name}: {exc.message}", field="layout") from exc
    except jinja2.TemplateError as exc:
        raise BuildError(f"layout {template.name}: {exc}", field="layout") from exc
