"""Build publications: gather, validate, render HTML, lay out PDFs, write everything atomically."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from katern.accessibility import check_pdf, failed
from katern.errors import BuildError, KaternError, Problem
from katern.fsutil import atomic_write
from katern.imposition import impose_booklet
from katern.pdf import RenderedPdf, build_date, render_pdf
from katern.project import Project
from katern.publications import Publication
from katern.render import render_html
from katern.resources import PACKAGE_DIR, available_themes, builtin_dir, font_dirs
from katern.schema import did_you_mean

log = logging.getLogger(__name__)

FORMATS = ("pdf", "html")
EXTRAS = ("booklet", "press")

# The print-shop profile: 3 mm bleed, crop marks, and the orange panels running into the bleed.
# It stays PDF/UA-1: WeasyPrint 70's PDF/X-4 has no output intent without a CMYK ICC profile and
# writes a random XMP DocumentID, so it would be neither clean PDF/X nor reproducible.
PRESS_CSS = """
@page { bleed: 3mm; marks: crop; }
@page cover { bleed: 3mm; marks: crop; }
.cover-panel, .back-panel { left: -3mm; right: -3mm; bottom: -3mm; }
.cover-panel, .back-panel { padding-left: 21mm; padding-right: 21mm; }
"""


@dataclass
class Output:
    kind: str  # "pdf", "html", "booklet", "press"
    path: Path
    size: int
    pages: int | None = None


@dataclass
class BuildResult:
    name: str
    outputs: list[Output] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def pages(self) -> int | None:
        return next((o.pages for o in self.outputs if o.kind == "pdf"), None)


def allowed_roots(project: Project) -> list[Path]:
    """Return the folders a publication may load files from: the project, katern's own files, the fonts."""
    return [project.root, PACKAGE_DIR, builtin_dir("layouts"), builtin_dir("styles"), *font_dirs()]


def publication_problems(project: Project, pub: Publication) -> list[Problem]:
    """Return the errors that concern this publication: its file, or one of its records."""
    paths = {pub.path, *(r.path for r in pub.records)}
    problems = [p for p in project.errors if p.path in paths]
    if pub.theme not in available_themes(project.root):
        themes = ", ".join(available_themes(project.root))
        problems.append(Problem(pub.path, f"unknown theme '{pub.theme}'; available: {themes}.", "theme"))
    return problems


def fit_warnings(pub: Publication, pdf: RenderedPdf) -> list[str]:
    """Say which items run past the page budget the publication gives them."""
    warnings = []
    budget = pub.max_pages if pub.max_pages is not None else (1 if pub.layout == "handout" else None)
    if budget is not None and pdf.pages > budget:
        what = "the handout" if pub.layout == "handout" else "the publication"
        warnings.append(
            f"{pub.name}: {what} has {pdf.pages} pages, {pdf.pages - budget} more than its budget of {budget} "
            "(max_pages). Shorten the text or raise max_pages."
        )
    if pub.story_max_pages is not None and pub.layout != "handout":
        starts = sorted((pdf.anchors[r.slug], r.slug) for r in pub.records if r.slug in pdf.anchors)
        boundaries = sorted(
            {page for anchor, page in pdf.anchors.items() if anchor in {"werkende-factoren", "colofon"}}
            | {start for start, _ in starts}
            | {pdf.pages + 1}
        )
        for start, slug in starts:
            end = next(b for b in boundaries if b > start)
            length = end - start
            if length > pub.story_max_pages:
                warnings.append(
                    f"{pub.name}: story '{slug}' runs {length} pages, {length - pub.story_max_pages} more than "
                    f"story_max_pages ({pub.story_max_pages}). Shorten it or raise the budget."
                )
    return warnings


def build_publication(
    project: Project, pub: Publication, out_dir: Path, formats: tuple[str, ...] = FORMATS, strict: bool = False
) -> BuildResult:
    """Build one publication's outputs into `out_dir`; errors are returned in the result, not raised."""
    result = BuildResult(pub.name)
    started = time.perf_counter()
    try:
        problems = publication_problems(project, pub)
        if problems:
            raise BuildError("; ".join(str(p) for p in problems))
        wanted = [f for f in formats if f in pub.outputs and f in FORMATS]
        wanted += [f for f in EXTRAS if f in formats or (f in pub.outputs and "pdf" in formats)]
        if {"pdf", "booklet", "press"} & set(wanted):
            _build_pdfs(project, pub, out_dir, wanted, strict, result)
        if "html" in wanted:
            page = render_html(project, pub, "screen")
            target = out_dir / f"{pub.name}.html"
            atomic_write(target, page)
            result.outputs.append(Output("html", target, len(page.encode("utf-8"))))
    except KaternError as exc:
        result.error = exc.format_message()
    except OSError as exc:
        result.error = f"cannot write to {exc.filename or out_dir}: {exc.strerror}"
    result.seconds = time.perf_counter() - started
    return result


def _build_pdfs(
    project: Project, pub: Publication, out_dir: Path, wanted: list[str], strict: bool, result: BuildResult
) -> None:
    """Lay out the PDF once, then write the screen PDF, the imposed booklet and the press PDF asked for."""
    html = render_html(project, pub, "print")
    stamp = build_date(pub.date)
    pdf = render_pdf(html, project.root, allowed_roots(project), stamp)
    result.warnings += [f"{pub.name}: WeasyPrint: {w}" for w in pdf.warnings]
    result.warnings += fit_warnings(pub, pdf)
    if strict and result.warnings:
        raise BuildError("warnings are fatal with --strict: " + " | ".join(result.warnings))
    target = out_dir / f"{pub.name}.pdf"
    atomic_write(target, pdf.data)
    result.outputs.append(Output("pdf", target, len(pdf.data), pdf.pages))
    problems = failed(check_pdf(target))
    if problems:
        raise BuildError(
            f"{target} fails the accessibility check: " + "; ".join(f"{c.name}: {c.detail}" for c in problems)
        )
    if "booklet" in wanted:
        booklet = out_dir / f"{pub.name}-booklet.pdf"
        info = impose_booklet(target, booklet, back_cover=pub.layout == "brochure")
        result.outputs.append(Output("booklet", booklet, booklet.stat().st_size, info.sides))
        note = f"{pub.name}: booklet of {info.sheets} sheet(s), {info.sides} sides"
        if info.blanks:
            note += f", {info.blanks} blank page(s) added"
        if info.scaled:
            note += f"; the {pub.page_size} pages are scaled down to A5"
        result.notes.append(note + ". Print double-sided, flip on the short edge, fold and staple.")
    if "press" in wanted:
        press = render_pdf(html, project.root, allowed_roots(project), stamp, extra_css=PRESS_CSS)
        result.warnings += [f"{pub.name} (press): WeasyPrint: {w}" for w in press.warnings]
        path = out_dir / f"{pub.name}-press.pdf"
        atomic_write(path, press.data)
        result.outputs.append(Output("press", path, len(press.data), press.pages))


def build(
    project: Project,
    names: list[str] | None = None,
    formats: tuple[str, ...] = FORMATS,
    out_dir: Path | None = None,
    strict: bool = False,
) -> list[BuildResult]:
    """Build the named publications (all when none are named); one failure does not stop the others."""
    if not project.publications:
        raise BuildError("no publications found in content/publications.", path=project.content_dir / "publications")
    names = list(names or sorted(project.publications))
    unknown = [n for n in names if n not in project.publications]
    if unknown:
        raise BuildError(
            "; ".join(f"no publication '{n}'.{did_you_mean(n, project.publications)}" for n in unknown)
            + f" Available: {', '.join(sorted(project.publications))}."
        )
    out_dir = Path(out_dir) if out_dir else project.root / "build"
    results = []
    for name in names:
        result = build_publication(project, project.publications[name], out_dir, formats, strict)
        for warning in result.warnings:
            log.warning("%s", warning)
        results.append(result)
    return results
