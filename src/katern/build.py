"""Build publications: plan the outputs, produce them in memory, check them, then write them together.

A publication's outputs are produced first (bytes, never files) and checked; only when every one
of them is right are they written, together, atomically. A failing check therefore leaves the
previous outputs untouched, and a publication is never half-updated.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from katern.a11y_report import report_for
from katern.errors import BuildError, KaternError, Problem
from katern.fsutil import atomic_write_many, remove_stale_temps
from katern.imposition import impose_booklet_data
from katern.markup import external_loads
from katern.pdf import RenderedPdf, build_date, render_pdf
from katern.pdfua import make_accessible
from katern.project import Project
from katern.publications import OUTPUTS, Publication
from katern.render import render_html
from katern.schema import did_you_mean
from katern.validators import Verification, verify_pdf

log = logging.getLogger(__name__)

MAX_SHOWN = 10  # problems quoted in one publication's error; `katern check` lists them all
LEADING = 12.75 / 9.5  # line height over body size, as in the house style (9.5 pt on 12.75 pt)

FORMATS = ("pdf", "html")  # the formats `--format` chooses between
EXTRAS = ("booklet", "press")  # made from the PDF layout, on request or when the publication lists them

# Every output katern can write, with its file name. The one place outputs are registered.
OUTPUT_FILES = {
    "pdf": "{name}.pdf",
    "html": "{name}.html",
    "booklet": "{name}-booklet.pdf",
    "press": "{name}-press.pdf",
}
assert set(OUTPUT_FILES) == set(OUTPUTS)

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
class Artifact:
    """One produced output, in memory, not yet written."""

    kind: str
    path: Path
    data: bytes
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
    return list(project.resolver.roots)


def publication_problems(project: Project, pub: Publication, strict: bool = False) -> list[Problem]:
    """Return the errors (and under `strict` the warnings) that concern this publication or its records."""
    paths = {pub.path, *(r.path for r in pub.records)}
    problems = [p for p in (project.problems if strict else project.errors) if p.path in paths]
    return problems


def plan_outputs(pub: Publication, formats: tuple[str, ...] | None, extras: tuple[str, ...] = ()) -> list[str]:
    """Return the outputs to build for `pub`: its own, or those asked for (which it must have), plus `extras`."""
    if formats is None:
        return [kind for kind in OUTPUT_FILES if kind in pub.outputs or kind in extras]
    formats = (*formats, *extras)
    unknown = [f for f in formats if f not in OUTPUT_FILES]
    if unknown:
        raise BuildError(f"unknown output '{unknown[0]}'; katern writes {', '.join(OUTPUT_FILES)}.")
    missing = [f for f in formats if f in FORMATS and f not in pub.outputs]
    if missing:
        raise BuildError(
            f"has no {' or '.join(missing)} output (its outputs are: {', '.join(pub.outputs)}). Add "
            f"{' and '.join(missing)} to 'outputs' in the publication file, or build it without "
            f"--format {' --format '.join(missing)}.",
            path=pub.path,
            field="outputs",
        )
    wanted = [f for f in FORMATS if f in formats]
    wanted += [f for f in EXTRAS if f in formats or (f in pub.outputs and "pdf" in formats)]
    return wanted


def fit_warnings(pub: Publication, pdf: RenderedPdf) -> list[str]:
    """Say which items run past the page budget the publication gives them."""
    warnings = []
    budget = pub.max_pages if pub.max_pages is not None else pub.layout_spec.max_pages
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


def produce(
    project: Project, pub: Publication, out_dir: Path, wanted: list[str], strict: bool, result: BuildResult
) -> list[Artifact]:
    """Produce and check every output in `wanted`, in memory; raise BuildError if any is wrong."""
    artifacts: list[Artifact] = []

    def target(kind: str) -> Path:
        return out_dir / OUTPUT_FILES[kind].format(name=pub.name)

    if {"pdf", "booklet", "press"} & set(wanted):
        stamp = build_date(pub.date)
        if is_story_sheet(pub):
            html, pdf = _fit_sheet(project, pub, stamp, result)
        else:
            html = render_html(project, pub, "print")
            pdf = _render_checked(project, pub, html, stamp, None, result)
        result.warnings += fit_warnings(pub, pdf)
        if strict and result.warnings:
            raise BuildError("warnings are fatal with --strict: " + " | ".join(result.warnings))
        verification = _verified(pdf.data, target("pdf"))
        if "pdf" in wanted:
            artifacts.append(Artifact("pdf", target("pdf"), pdf.data, pdf.pages))
            for file_name, data in report_for(pub, verification).items():
                artifacts.append(Artifact("accessibility", out_dir / file_name, data))
        if "booklet" in wanted:
            data, info = impose_booklet_data(pdf.data, target("pdf"), back_cover=pub.layout_spec.back_cover)
            artifacts.append(Artifact("booklet", target("booklet"), data, info.sides))
            note = f"{pub.name}: booklet of {info.sheets} sheet(s), {info.sides} sides"
            if info.blanks:
                note += f", {info.blanks} blank page(s) added"
            if info.scaled:
                note += f"; the {pub.page_size} pages are scaled down to A5"
            result.notes.append(note + ". Print double-sided, flip on the short edge, fold and staple.")
        if "press" in wanted:
            press = _render_checked(project, pub, html, stamp, PRESS_CSS, result, "press")
            if strict and result.warnings:
                raise BuildError("warnings are fatal with --strict: " + " | ".join(result.warnings))
            _verified(press.data, target("press"))
            artifacts.append(Artifact("press", target("press"), press.data, press.pages))
    if "html" in wanted:
        page = render_html(project, pub, "screen")
        loads = external_loads(page)
        if loads:
            raise BuildError(
                f"the HTML booklet would load {loads[0]} from outside itself, so it was not written. "
                "The booklet must work offline: remove that reference from the layout or style."
            )
        artifacts.append(Artifact("html", target("html"), page.encode("utf-8")))
    return artifacts


def _verified(data: bytes, target: Path) -> Verification:
    """Run the independent PDF/UA-1 validators on a produced PDF; raise BuildError if any finding remains."""
    verification = verify_pdf(data, name=target)
    if not verification.passed:
        raise BuildError(
            f"{target} would fail the accessibility check, so it was not written: {verification.summary()} "
            f"Run 'katern check --pdf' on a copy for the details."
        )
    return verification


def is_story_sheet(pub: Publication) -> bool:
    """Say whether `pub` is one story on one sheet (a layout that takes one record, given one)."""
    forms = pub.layout_spec.records
    return "one" in forms and "many" not in forms and len(pub.records) == 1


def _fit_sheet(project: Project, pub: Publication, stamp, result: BuildResult) -> tuple[str, RenderedPdf]:
    """Lay a story sheet out at the largest body size of the theme's range that fits its page budget.

    Raises BuildError saying by how many lines the story overflows at the smallest size.
    """
    theme = project.styles[pub.theme]
    budget = pub.max_pages or pub.layout_spec.max_pages or 1
    sizes = sorted(theme.fit_sizes, reverse=True)
    tried: dict[float, tuple[str, RenderedPdf]] = {}

    def attempt(size: float) -> tuple[str, RenderedPdf]:
        if size not in tried:
            css = f":root {{ --body-size: {size}pt; --body-leading: {round(size * LEADING, 2)}pt; }}"
            html = render_html(project, pub, "print", fit_css=css)
            tried[size] = (html, _render_checked(project, pub, html, stamp, None, BuildResult(pub.name)))
        return tried[size]

    def fits(size: float) -> bool:
        return attempt(size)[1].pages <= budget

    if fits(sizes[0]):
        chosen = sizes[0]
    elif not fits(sizes[-1]):
        pdf = attempt(sizes[-1])[1]
        over = sum(pdf.lines[budget:])
        raise BuildError(
            f"the story '{pub.records[0].slug}' does not fit on {budget} page(s), even at {sizes[-1]} pt: "
            f"{over} line(s) run over. Shorten it by about {over} lines, or raise max_pages.",
            path=pub.records[0].path,
        )
    else:
        low, high = 0, len(sizes) - 1  # sizes[low] does not fit, sizes[high] does
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if fits(sizes[middle]) else (middle, high)
        chosen = sizes[high]
    html, pdf = attempt(chosen)
    result.warnings += [f"{pub.name}: WeasyPrint: {w}" for w in pdf.warnings]
    result.notes.append(f"{pub.name}: the story fits on one page with body text at {chosen} pt.")
    return html, pdf


def _render_checked(
    project: Project,
    pub: Publication,
    html: str,
    stamp,
    extra_css: str | None,
    result: BuildResult,
    variant: str = "",
) -> RenderedPdf:
    """Lay out the PDF; resources that failed to load are errors, WeasyPrint's other messages warnings."""
    pdf = render_pdf(html, project.root, allowed_roots(project), stamp, extra_css=extra_css)
    pdf.data = make_accessible(pdf.data)  # what WeasyPrint's tagging leaves out of PDF/UA-1 (see pdfua.py)
    label = f"{pub.name} ({variant})" if variant else pub.name
    errors = getattr(pdf, "errors", [])
    if errors:
        raise BuildError("; ".join(errors) + ". Fix the reference, or remove it.", path=pub.path)
    result.warnings += [f"{label}: WeasyPrint: {w}" for w in pdf.warnings]
    return pdf


def commit(artifacts: list[Artifact], result: BuildResult) -> None:
    """Write one publication's outputs together; none is replaced unless all can be written."""
    atomic_write_many([(a.path, a.data) for a in artifacts])
    result.outputs += [Output(a.kind, a.path, len(a.data), a.pages) for a in artifacts]


def build_publication(
    project: Project,
    pub: Publication,
    out_dir: Path,
    formats: tuple[str, ...] | None = None,
    strict: bool = False,
    extras: tuple[str, ...] = (),
) -> BuildResult:
    """Build one publication's outputs into `out_dir`; errors are returned in the result, not raised."""
    result = BuildResult(pub.name)
    started = time.perf_counter()
    try:
        problems = publication_problems(project, pub, strict)
        if problems:
            shown = "; ".join(str(p) for p in problems[:MAX_SHOWN])
            more = f"; and {len(problems) - MAX_SHOWN} more (run 'katern check')" if len(problems) > MAX_SHOWN else ""
            raise BuildError(shown + more + (" (warnings are fatal with --strict)" if strict else ""))
        wanted = plan_outputs(pub, formats, extras)
        if not wanted:
            raise BuildError("has no outputs to build. List them under 'outputs'.", path=pub.path, field="outputs")
        commit(produce(project, pub, out_dir, wanted, strict, result), result)
    except KaternError as exc:
        result.error = exc.format_message()
    except OSError as exc:
        result.error = f"cannot write to {exc.filename or out_dir}: {exc.strerror}"
    result.seconds = time.perf_counter() - started
    return result


def unloaded_publications(project: Project) -> list[BuildResult]:
    """Return a failed result for every publication file that could not be loaded at all."""
    folder = project.content_dir / "publications"
    loaded = {pub.path for pub in project.publications.values()}
    failed_files: dict[Path, list[Problem]] = {}
    for problem in project.errors:
        if problem.path.parent == folder and problem.path not in loaded:
            failed_files.setdefault(problem.path, []).append(problem)
    return [
        BuildResult(path.stem, error="; ".join(str(p) for p in problems))
        for path, problems in sorted(failed_files.items())
    ]


def build(
    project: Project,
    names: list[str] | None = None,
    formats: tuple[str, ...] | None = None,
    out_dir: Path | None = None,
    strict: bool = False,
    extras: tuple[str, ...] = (),
) -> list[BuildResult]:
    """Build the named publications (all when none are named); one failure does not stop the others.

    `formats` lists the outputs wanted (pdf, html, booklet, press); None builds each publication's own.
    `extras` (booklet, press) are built in addition to either.
    """
    broken = unloaded_publications(project)
    if not project.publications and not broken:
        raise BuildError("no publications found in content/publications.", path=project.content_dir / "publications")
    everything = not names
    requested = set(names or ())
    wanted: list[str] = []
    empty = []
    for name in names or sorted([*project.publications, *project.families]):
        wanted += project.families.get(name, [name])
        if name in project.families and not project.families[name]:
            empty.append(name)
    names = list(dict.fromkeys(wanted))
    unknown = [n for n in names if n not in project.publications and n not in {b.name for b in broken}]
    if unknown:
        choices = sorted([*project.publications, *project.families, *(b.name for b in broken)])
        raise BuildError(
            "; ".join(f"no publication '{n}'.{did_you_mean(n, choices)}" for n in unknown)
            + f" Available: {', '.join(choices)}."
        )
    out_dir = Path(out_dir) if out_dir else project.root / "build"
    for stale in remove_stale_temps(out_dir):
        log.info("removed %s, left by a build that was stopped", stale)
    results = [b for b in broken if everything or b.name in names or b.name in requested]
    results += [
        BuildResult(name, error="makes no editions: none of the records it selects has a value for 'each'.")
        for name in empty
        if name not in {b.name for b in broken}
    ]
    for name in names:
        if name not in project.publications:
            continue
        result = build_publication(project, project.publications[name], out_dir, formats, strict, extras)
        for warning in result.warnings:
            log.warning("%s", warning)
        results.append(result)
    return results
