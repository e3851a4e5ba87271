"""Build publications: plan, produce, commit.

plan      Which outputs of which publications to build. `select` turns the names asked for into
          publications (families into their editions, `--shard K/N` into one share), `plan_outputs`
          says which outputs one publication gets, and `plan_publication` asks the manifest
          (build/.katern-manifest.json, katern.manifest) which of them are up to date: those need no
          work at all. A selection that yields nothing is said, not silent.
produce   Each output has a producer, registered with `@output` (the one place outputs are declared;
          registration order is production order). It makes bytes in memory, never files, and checks
          them. `produce_publication` runs the producers of one publication; while each runs, every file
          it reads is traced (katern.manifest.tracing), so the outcome names each input with its
          SHA-256. With `--jobs N` this runs in worker processes (katern.workers).
commit    The parent writes one publication's outputs together with the updated manifest, atomically
          (`commit`): a failing check leaves the previous outputs untouched, a publication is never
          half-updated, and the manifest never describes files that were not written.

Extending it:

- A new output: a function decorated `@output("kind", "{name}-kind.pdf")` that takes the `Production`
  and returns `Artifact`s; add the kind to publications.OUTPUTS. `layout="screen"` says it is made
  with the screen layout (its style files are then its static inputs) rather than the print layout;
  `styles=("press.css",)` names style files of the theme it reads besides its layout's.
- Work that several outputs share (the print layout): `prod.layout()` computes it once (`lay_out`);
  what it read, warned and noted counts for every output that uses it. A relayout step (blank pages
  for a brochure) belongs in `lay_out`, a check of the laid-out pages (preflight) there too.
- A warning: `prod.warn(text)` (fatal under --strict at the next `prod.check_strict()`); a note for
  the person building: `prod.note(text)`. Both are kept in the manifest and said again when the output
  is up to date, so an up-to-date build reports what a rebuild would.
- A file read while producing is an input automatically. A file read before (by load_project) that
  changes an output must be listed in `static_inputs`, and an option that changes it in `output_key`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from katern.errors import BuildError, KaternError, Problem
from katern.fsutil import atomic_write, atomic_write_many, remove_stale_temps
from katern.makeup import (
    FACING,
    FEW_HYPHENS,
    TIGHT,
    LayoutHints,
    better,
    expected,
    place_blank_pages,
    spans,
    story_hints,
    without_blank_pages,
)
from katern.manifest import (
    CACHE_NAME,
    Digests,
    Entry,
    Manifest,
    Trace,
    digest_bytes,
    fingerprint,
    note_note,
    note_warning,
    replay,
    tool_versions,
    traced_inputs,
    traced_missing,
    tracing,
)
from katern.markup import external_loads
from katern.project import TABLE_FILES, Project
from katern.publications import OUTPUTS, Publication
from katern.registry import REGISTRY_FILE
from katern.schema import did_you_mean

if TYPE_CHECKING:
    from katern.pdf import RenderedPdf
    from katern.validators import Verification

log = logging.getLogger(__name__)

MAX_SHOWN = 10  # problems quoted in one publication's error; `katern check` lists them all
LEADING = 12.75 / 9.5  # line height over body size, as in the house style (9.5 pt on 12.75 pt)

FORMATS = ("pdf", "html")  # the formats `--format` chooses between
EXTRAS = ("booklet", "press")  # made from the PDF layout, on request or when the publication lists them

BUILT = "built"
UP_TO_DATE = "up to date"

# The print-shop profile is the theme's press.css (bleed, crop marks, panels into the bleed). WeasyPrint 70
# puts the BleedBox at most 10 pt outside the trim and draws crop marks inside its CSS bleed, so press.css
# asks for a 10 mm bleed (room for marks outside the print shop's bleed) and `press_boxes` sets the
# BleedBox to trim + 3 mm. It stays PDF/UA-1: WeasyPrint 70's PDF/X-4 has no output intent without a CMYK
# ICC profile and writes a random XMP DocumentID, so it would be neither clean PDF/X nor reproducible.
PRESS_BLEED = 3 * 72 / 25.4  # the bleed a print shop gets: 3 mm, in points


def press_boxes(data: bytes, bleed: float = PRESS_BLEED) -> bytes:
    """Set every page's BleedBox to its TrimBox plus `bleed`, keeping the file's identity and bytes stable."""
    import io

    import pikepdf

    from katern.pdfua import _file_id, _restore_file_id, _save

    with pikepdf.open(io.BytesIO(data)) as pdf:
        file_id = _file_id(pdf)
        for page in pdf.pages:
            x0, y0, x1, y1 = (float(v) for v in page.obj.TrimBox)
            page.obj.BleedBox = pikepdf.Array(
                [min(x0, x1) - bleed, min(y0, y1) - bleed, max(x0, x1) + bleed, max(y0, y1) + bleed]
            )
        written = _save(pdf)
    return _restore_file_id(written, file_id)


# --- what WeasyPrint, the validators and pikepdf do, imported only when something is produced -------------
# A build with nothing to do reads the manifest and hashes files; it never imports them (about 0.8 s).
# Tests replace these names (katern.build.verify_pdf, ...) to change what a build does.


def render_pdf(*args, **kwargs) -> RenderedPdf:
    from katern.pdf import render_pdf as render

    return render(*args, **kwargs)


def build_date(pub_date: dt.date) -> dt.datetime:
    from katern.pdf import build_date as date

    return date(pub_date)


def render_html(*args, **kwargs) -> str:
    from katern.render import render_html as render

    return render(*args, **kwargs)


def warnings_for(name: str, faults: list) -> list[str]:
    """The layout preflight's faults as warnings (see preflight.py)."""
    from katern import preflight

    return preflight.warnings_for(name, faults)


def make_accessible(data: bytes) -> bytes:
    from katern.pdfua import make_accessible as repair

    return repair(data)


def verify_pdf(data: bytes, name: Path | str | None = None) -> Verification:
    from katern.validators import verify_pdf as verify

    return verify(data, name=name)


def report_for(pub: Publication, verification: Verification) -> dict[str, bytes]:
    from katern.a11y_report import report_for as report

    return report(pub, verification)


def impose_booklet_data(data: bytes, source: Path, back_cover: bool = False):
    from katern.imposition import impose_booklet_data as impose

    return impose(data, source, back_cover=back_cover)


# --- results ----------------------------------------------------------------------------------------------


@dataclass
class Output:
    kind: str  # "pdf", "html", "booklet", "press", "accessibility"
    path: Path
    size: int
    pages: int | None = None
    status: str = BUILT  # BUILT, or UP_TO_DATE: not rebuilt, its inputs did not change


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
    # Every file its outputs were made of, with its SHA-256 (None: looked for and absent, as an override).
    inputs: dict[Path, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def pages(self) -> int | None:
        return next((o.pages for o in self.outputs if o.kind == "pdf"), None)

    @property
    def skipped(self) -> bool:
        """Nothing was rebuilt: every output was up to date."""
        return self.ok and bool(self.outputs) and all(o.status == UP_TO_DATE for o in self.outputs)

    @property
    def status(self) -> str:
        return "failed" if not self.ok else UP_TO_DATE if self.skipped else BUILT


@dataclass(frozen=True)
class Stale:
    """A file an earlier build wrote that is no longer produced; katern reports it and leaves it."""

    path: Path
    publication: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path} is stale: {self.reason}. katern leaves it; delete it if you no longer need it."


class BuildResults(list):
    """The results of `build`, one per publication in the order asked, and what the build found besides."""

    def __init__(self, results: Iterable[BuildResult] = (), stale=(), notes=(), seconds: float = 0.0, jobs: int = 1):
        super().__init__(results)
        self.stale: list[Stale] = list(stale)
        self.notes: list[str] = list(notes)
        self.seconds = seconds
        self.jobs = jobs

    def tally(self, status: str) -> int:
        """Count the publications with this status: BUILT, UP_TO_DATE or "failed"."""
        return sum(r.status == status for r in self)

    def summary(self) -> str:
        """Say how many were built, up to date and failed, and how long it took."""
        parts = [f"{self.tally(BUILT)} built", f"{self.tally(UP_TO_DATE)} up to date", f"{self.tally('failed')} failed"]
        jobs = f" with {self.jobs} worker processes" if self.jobs > 1 else ""
        return f"{len(self)} publication(s): {', '.join(parts)} in {self.seconds:.1f} s{jobs}"


class Progress(Protocol):
    """What `build` tells about its progress (katern.progress.ConsoleProgress shows it on the terminal)."""

    def start(self, total: int, jobs: int) -> None: ...

    def working(self, names: list[str]) -> None: ...

    def finished(self, result: BuildResult) -> None: ...


# --- the outputs ------------------------------------------------------------------------------------------

Producer = Callable[["Production"], list[Artifact]]
Renderer = Callable[..., "RenderedPdf"]  # katern.pdf.render_pdf, or a stand-in with its arguments and result


@dataclass(frozen=True)
class Hooks:
    """What a caller (katern serve) changes in how one publication is produced; both optional.

    `renderer` lays out the print layout instead of katern.pdf.render_pdf (the same arguments and result:
    katern serve's warm per-story layout). `laid_out` is called with the PDF of the print layout as soon
    as it is laid out, before it is checked: a draft to show, never an output (only `commit` writes).
    """

    renderer: Renderer | None = None
    laid_out: Callable[[bytes], None] | None = None


@dataclass(frozen=True)
class OutputSpec:
    kind: str
    filename: str  # "{name}.pdf"
    produce: Producer
    layout: str  # "print": made with the publication's layout; "screen": with the HTML booklet's
    styles: tuple[str, ...] = ()  # style files of the theme it uses besides its layout's (press.css)


# Every output katern can write, in production order. The one place outputs are registered: `@output`.
REGISTRY: dict[str, OutputSpec] = {}
OUTPUT_FILES: dict[str, str] = {}  # kind -> file name, "{name}.pdf"


def output(
    kind: str, filename: str, layout: str = "print", styles: tuple[str, ...] = ()
) -> Callable[[Producer], Producer]:
    """Register the producer of an output `kind`, written to `filename` ({name}: the publication's name).

    `layout` is "print" (the publication's layout) or "screen" (the HTML booklet's); `styles` names the
    theme's style files it reads besides the layout's, so that a project's own copy of one, once added,
    rebuilds it (see static_inputs).
    """

    def register(produce: Producer) -> Producer:
        REGISTRY[kind] = OutputSpec(kind, filename, produce, layout, tuple(styles))
        OUTPUT_FILES[kind] = filename
        return produce

    return register


@dataclass
class PrintLayout:
    """The publication laid out for print, checked: what the PDF, the booklet and the press PDF are made from."""

    html: str
    pdf: RenderedPdf
    stamp: dt.datetime
    verification: Verification
    blank_pages: int = 0  # blank pages before a brochure's back cover, to make a multiple of 4 pages
    fit_css: str = ""  # the body size a story sheet was fitted at
    hints: LayoutHints = field(default_factory=LayoutHints)  # the make-up the layout was given (makeup.py)


class Production:
    """One publication being produced: its outputs' targets, the shared print layout, warnings and notes."""

    def __init__(
        self,
        project: Project,
        pub: Publication,
        out_dir: Path,
        strict: bool = False,
        hooks: Hooks | None = None,
    ):
        self.project = project
        self.pub = pub
        self.out_dir = Path(out_dir)
        self.strict = strict
        # What lays the print layout out (the press PDF and the A5 booklet are always laid out by render_pdf),
        # and who is shown it before it is checked: see Hooks.
        self.hooks = hooks or Hooks()
        self.traces: dict[str, Trace] = {}  # kind -> what producing it read, warned and noted
        self._current: Trace | None = None
        self._layout: PrintLayout | None = None
        self._layout_trace: Trace | None = None

    def target(self, kind: str) -> Path:
        return self.out_dir / OUTPUT_FILES[kind].format(name=self.pub.name)

    def warn(self, text: str) -> None:
        """Report a warning of the output being produced (fatal under --strict at `check_strict`)."""
        note_warning(text)

    def note(self, text: str) -> None:
        """Tell the person building something about the output being produced."""
        note_note(text)

    def check_strict(self) -> None:
        warnings = self._current.warnings if self._current is not None else []
        if self.strict and warnings:
            raise BuildError("warnings are fatal with --strict: " + " | ".join(dict.fromkeys(warnings)))

    def layout(self) -> PrintLayout:
        """Return the print layout, laid out once for all the outputs made from it."""
        if self._layout is None:
            with tracing() as trace:
                self._layout = lay_out(self)
            self._layout_trace = trace
        elif self._layout_trace is not None:
            replay(self._layout_trace)
        return self._layout

    def run(self, kinds: Iterable[str]) -> dict[str, list[Artifact]]:
        """Produce the outputs `kinds` in production order; raise BuildError if any is wrong."""
        artifacts: dict[str, list[Artifact]] = {}
        for kind in [k for k in REGISTRY if k in set(kinds)]:
            self._current = self.traces[kind] = Trace()
            with tracing(self._current):
                artifacts[kind] = REGISTRY[kind].produce(self)
        self._current = None
        return artifacts


def lay_out(prod: Production) -> PrintLayout:
    """Lay the publication out for print (a story sheet at the size that fits), check it and verify the PDF.

    Any other publication gets a make-up pass (`_make_up`, makeup.py): laid out once, then again with the
    hints its preflight asks for, and a brochure (a layout with a back cover) with the blank pages that make
    its page count a multiple of 4, so that it folds and the press PDF has the same pages.
    """
    pub = prod.pub
    stamp = build_date(pub.date)
    hints, fit = LayoutHints(), ""
    if is_story_sheet(pub):
        html, pdf, fit = _fit_sheet(prod, stamp)
        data = _written(prod, pdf, pub.name, warn=False)
    else:
        html, pdf, hints = _make_up(prod, stamp)
        data = _written(prod, pdf, pub.name)
    if prod.hooks.laid_out is not None:
        prod.hooks.laid_out(data)
    for warning in fit_warnings(pub, pdf):
        prod.warn(warning)
    for warning in warnings_for(pub.name, getattr(pdf, "faults", [])):
        prod.warn(warning)
    prod.check_strict()
    pdf.data = make_accessible(data)  # what WeasyPrint's tagging leaves out of PDF/UA-1 (see pdfua.py)
    verification = _verified(pdf.data, prod.target("pdf"))
    return PrintLayout(html, pdf, stamp, verification, hints.blank_pages, fit, hints)


def _written(prod: Production, pdf: RenderedPdf, label: str, warn: bool = True) -> bytes:
    """Return the bytes of the layout kept, written now (the others never were): what writing says counts too.

    Resources that failed to load are an error; with `warn`, WeasyPrint's warnings are the output's warnings.
    """
    data = pdf.data
    if pdf.errors:
        raise BuildError("; ".join(pdf.errors) + ". Fix the reference, or remove it.", path=prod.pub.path)
    if warn:
        for warning in pdf.warnings:
            prod.warn(f"{label}: WeasyPrint: {warning}")
    return data


ENDS = ("werkende-factoren", "colofon")  # anchors of sections that start a page of their own, after stories


def _make_up(
    prod: Production, stamp: dt.datetime, pub: Publication | None = None, label: str | None = None
) -> tuple[str, RenderedPdf, LayoutHints]:
    """Lay the publication out, then again with the make-up hints and blank pages its first layout asks for.

    A second layout with story hints (tight, few-hyphens) is kept only when its preflight finds fewer
    faults; the blank pages are then placed from the pages the stories start on, which blank pages
    before a story or the back cover do not change. `pub` is another form of the publication (the A5
    booklet of an A4 one), named `label` in what is said.
    """
    project, pub = prod.project, pub or prod.pub
    label = label or pub.name
    slugs = [r.slug for r in pub.records]

    def attempt(hints: LayoutHints) -> tuple[str, RenderedPdf]:
        html = render_html(project, pub, "print", blank_pages=hints.blank_pages, layout_hints=hints.for_template())
        renderer = prod.hooks.renderer if pub is prod.pub else None
        return html, _render_checked(
            prod, html, stamp, None, report=False, preflight=True, repair=False, renderer=renderer, lazy=True
        )

    back_cover = pub.layout_spec.back_cover
    hints = LayoutHints()
    html, pdf = attempt(hints)
    first = pdf.pages
    found = spans(pdf.anchors, slugs, pdf.pages, ENDS)
    tried = story_hints(getattr(pdf, "faults", []), found, pdf.lines)
    if tried:
        if back_cover:  # place the blank pages for the pages the hints mean to pull back: no third layout
            place_blank_pages(tried, *expected(found, pdf.pages, tried))
        html2, pdf2 = attempt(tried)
        if better(pdf2.faults, pdf.faults):
            hints, html, pdf = tried, html2, pdf2
            prod.note(f"{label}: make-up: {'; '.join(tried.describe((TIGHT, FEW_HYPHENS)))}.")
    if back_cover and pdf.pages % 4:  # no hints, hints not kept, or their pages not as expected
        if hints.blank_pages or hints.get(FACING):  # the guess was wrong: lay it out without them first
            hints = without_blank_pages(hints)
            html, pdf = attempt(hints)
        found = spans(pdf.anchors, slugs, pdf.pages, ENDS)
        hints = place_blank_pages(hints, found, pdf.pages)
        html, pdf = attempt(hints)
    added = hints.blank_pages + len(hints.get(FACING))
    if back_cover and pdf.pages % 4:
        prod.warn(
            f"{label}: {pdf.pages} pages, not a multiple of 4, even with {added} blank page(s). Does the "
            "layout include partials/blank-pages.html?"
        )
    elif added:
        where = f"{hints.blank_pages} before the back cover"
        facing = sorted(hints.get(FACING))
        if facing:
            where += f", {len(facing)} before two-page stories so their pages face ({', '.join(facing)})"
        prod.note(f"{label}: {added} blank page(s) make {pdf.pages} pages: {where}.")
    log.debug("%s: laid out from %d to %d pages", label, first, pdf.pages)
    return html, pdf, hints


@output("pdf", "{name}.pdf")
def produce_pdf(prod: Production) -> list[Artifact]:
    """The tagged PDF/UA-1 PDF, and its accessibility report (HTML and JSON)."""
    layout = prod.layout()
    artifacts = [Artifact("pdf", prod.target("pdf"), layout.pdf.data, layout.pdf.pages)]
    for file_name, data in report_for(prod.pub, layout.verification).items():
        artifacts.append(Artifact("accessibility", prod.out_dir / file_name, data))
    return artifacts


@output("booklet", "{name}-booklet.pdf")
def produce_booklet(prod: Production) -> list[Artifact]:
    """The PDF's pages imposed two-up for folding into a booklet."""
    layout, pub = prod.layout(), prod.pub
    data = layout.pdf.data
    native = pub.page_size != "A5" and not is_story_sheet(pub)
    if native:
        # Laid out again at A5, with its own make-up, so the body text keeps its size (scaled, an A4 page
        # would print at about 6.7 pt). The booklet is print-only, so it is not tagged or validated.
        label = f"{pub.name} (A5 booklet)"
        _html, a5, _hints = _make_up(prod, layout.stamp, replace(pub, page_size="A5"), label)
        data = _written(prod, a5, label)
        for warning in warnings_for(label, getattr(a5, "faults", [])):
            prod.warn(warning)
        prod.check_strict()
    data, info = impose_booklet_data(data, prod.target("pdf"), back_cover=pub.layout_spec.back_cover)
    note = f"{pub.name}: booklet of {info.sheets} sheet(s), {info.sides} sides"
    if native and not info.scaled:
        note += f", laid out at A5 (the PDF is {pub.page_size})"
    if info.blanks:
        note += f", {info.blanks} blank page(s) added"
    if info.scaled:
        note += f"; the {pub.page_size} pages are scaled down to A5"
    prod.note(note + ". Print double-sided, flip on the short edge, fold and staple.")
    return [Artifact("booklet", prod.target("booklet"), data, info.sides)]


@output("press", "{name}-press.pdf", styles=("press.css",))
def produce_press(prod: Production) -> list[Artifact]:
    """The PDF for a print shop: the same layout with bleed and crop marks."""
    layout = prod.layout()
    html = render_html(
        prod.project,
        prod.pub,
        "print",
        fit_css=layout.fit_css,
        blank_pages=layout.blank_pages,
        press=True,
        layout_hints=layout.hints.for_template(),
    )
    press = _render_checked(prod, html, layout.stamp, None, "press")
    press.data = press_boxes(press.data)
    prod.check_strict()
    _verified(press.data, prod.target("press"))
    return [Artifact("press", prod.target("press"), press.data, press.pages)]


@output("html", "{name}.html", layout="screen")
def produce_html(prod: Production) -> list[Artifact]:
    """The self-contained HTML booklet, which must load nothing from outside itself."""
    page = render_html(prod.project, prod.pub, "screen")
    loads = external_loads(page)
    if loads:
        raise BuildError(
            f"the HTML booklet would load {loads[0]} from outside itself, so it was not written. "
            "The booklet must work offline: remove that reference from the layout or style."
        )
    return [Artifact("html", prod.target("html"), page.encode("utf-8"))]


assert set(OUTPUT_FILES) == set(OUTPUTS), "register every output of publications.OUTPUTS with @output"


# --- producing --------------------------------------------------------------------------------------------


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
        for span in spans(pdf.anchors, [r.slug for r in pub.records], pdf.pages, ENDS):
            if span.length > pub.story_max_pages:
                warnings.append(
                    f"{pub.name}: story '{span.slug}' runs {span.length} pages, {span.length - pub.story_max_pages} "
                    f"more than story_max_pages ({pub.story_max_pages}). Shorten it or raise the budget."
                )
    return warnings


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


def fit_css(size: float) -> str:
    """Return the CSS that sets the body text of a story sheet at `size` pt."""
    return f":root {{ --body-size: {size}pt; --body-leading: {round(size * LEADING, 2)}pt; }}"


def _fit_sheet(prod: Production, stamp: dt.datetime) -> tuple[str, RenderedPdf, str]:
    """Lay a story sheet out at the largest body size of the theme's range that fits its page budget.

    Raises BuildError saying by how many lines the story overflows at the smallest size.
    """
    project, pub = prod.project, prod.pub
    theme = project.styles[pub.theme]
    budget = pub.max_pages or pub.layout_spec.max_pages or 1
    sizes = sorted(theme.fit_sizes, reverse=True)
    tried: dict[float, tuple[str, RenderedPdf]] = {}

    def attempt(size: float) -> tuple[str, RenderedPdf]:
        if size not in tried:
            html = render_html(project, pub, "print", fit_css=fit_css(size))
            rendered = _render_checked(prod, html, stamp, None, report=False, preflight=True, repair=False, lazy=True)
            tried[size] = (html, rendered)
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
    for warning in pdf.warnings:
        prod.warn(f"{pub.name}: WeasyPrint: {warning}")
    prod.note(f"{pub.name}: the story fits on one page with body text at {chosen} pt.")
    return html, pdf, fit_css(chosen)


def _render_checked(
    prod: Production,
    html: str,
    stamp: dt.datetime,
    extra_css: str | None,
    variant: str = "",
    report: bool = True,
    preflight: bool = False,
    repair: bool = True,
    renderer: Renderer | None = None,
    lazy: bool = False,
) -> RenderedPdf:
    """Lay out the PDF; resources that failed to load are errors, WeasyPrint's other messages warnings.

    With `preflight`, the laid-out pages are also checked for layout faults (see preflight.py). With
    `repair`, what WeasyPrint's tagging leaves out of PDF/UA-1 is added (pdfua.py); a layout that may be
    laid out again is repaired once it is kept. `renderer` lays it out instead of render_pdf (Production.renderer).
    With `lazy`, the PDF is written when its data is first read (a layout that may not be kept).
    """
    project, pub = prod.project, prod.pub
    render = renderer or render_pdf
    pdf = render(html, project.root, allowed_roots(project), stamp, extra_css=extra_css, preflight=preflight, lazy=lazy)
    if repair:
        pdf.data = make_accessible(pdf.data)
    label = f"{pub.name} ({variant})" if variant else pub.name
    errors = getattr(pdf, "errors", [])
    if errors:
        raise BuildError("; ".join(errors) + ". Fix the reference, or remove it.", path=pub.path)
    if report:
        for warning in pdf.warnings:
            prod.warn(f"{label}: WeasyPrint: {warning}")
    return pdf


@dataclass
class Produced:
    """One output as a worker produced it: its files, what it was made of, what it said."""

    artifacts: list[Artifact]
    inputs: dict[str, str | None]  # input name (see input_name) -> SHA-256; None: looked for, absent
    warnings: list[str]
    notes: list[str]


@dataclass
class Outcome:
    """What producing one publication gave: each output, or the error that stopped it."""

    name: str
    outputs: dict[str, Produced] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)  # of a failed production: what was said before it failed
    seconds: float = 0.0
    logs: list[tuple[str, int, str]] = field(default_factory=list)  # (logger, level, message) from a worker


def produce_publication(
    project: Project,
    pub: Publication,
    out_dir: Path,
    kinds: Iterable[str],
    strict: bool = False,
    hooks: Hooks | None = None,
) -> Outcome:
    """Produce the outputs `kinds` of `pub` in memory, with their traced inputs; never raises for the content.

    `hooks` change how its print layout is laid out and who sees it first (see Hooks).
    """
    started = time.perf_counter()
    outcome = Outcome(pub.name)
    prod = Production(project, pub, out_dir, strict, hooks)
    try:
        artifacts = prod.run(kinds)
    except KaternError as exc:
        outcome.error = exc.format_message()
        outcome.warnings = list(dict.fromkeys(w for t in prod.traces.values() for w in t.warnings))
    except OSError as exc:
        outcome.error = f"cannot read {exc.filename or 'a file'}: {exc.strerror}"
    else:
        root = project.resolver.project
        exclude = (Path(out_dir).resolve() / CACHE_NAME,)
        digests = Digests()
        for kind, made in artifacts.items():
            trace = prod.traces[kind]
            inputs = {input_name(root, p): digests.of(p) for p in traced_inputs(trace, project.resolver.roots, exclude)}
            inputs.update({input_name(root, p): None for p in traced_missing(trace)})
            outcome.outputs[kind] = Produced(made, inputs, list(trace.warnings), list(trace.notes))
    outcome.seconds = time.perf_counter() - started
    return outcome


# --- planning: what is up to date -------------------------------------------------------------------------


def input_name(root: Path, path: Path) -> str:
    """Return how the manifest names an input: relative to the project when inside it, else absolute."""
    path = Path(path)
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def input_path(root: Path, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else Path(root) / path


def static_inputs(project: Project, pub: Publication, kind: str) -> list[Path]:
    """Return what an output is made of that load_project read before anything was produced.

    The publication file, its records, the tables, both layouts.yaml, and along the theme's chain of
    folders (katern's and the project's, also one that does not exist yet) its theme.yaml and the style
    files of the layout used, its font files and logo. Files that do not exist are inputs too: when
    one appears (a project's own styles/vws/print.css), what it would change is rebuilt.
    """
    from katern.resources import builtin_dir
    from katern.themes import THEME_FILE

    paths = [pub.path, *(r.path for r in pub.records)]
    paths += [project.content_dir / filename for filename in TABLE_FILES.values()]
    paths += [builtin_dir("layouts") / REGISTRY_FILE, project.layouts_dir / REGISTRY_FILE]
    theme = project.styles.get(pub.theme)
    if theme is not None:
        layout = project.layouts.get("screen") if REGISTRY[kind].layout == "screen" else pub.layout_spec
        folders = list(dict.fromkeys([*theme.folders, *(project.styles_dir / f.name for f in theme.folders)]))
        styles = [*layout.styles, *REGISTRY[kind].styles]
        for folder in folders:
            paths += [folder / THEME_FILE, *(folder / filename for filename in styles)]
        paths += [path for family in theme.fonts.values() for path in family.faces.values()]
        if theme.logo is not None:
            paths.append(theme.logo)
    return list(dict.fromkeys(Path(p).resolve() for p in paths))


def source_date_epoch() -> int | None:
    """Return SOURCE_DATE_EPOCH as build_date reads it (None: not set, or not a number)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return int(epoch) if epoch and epoch.strip().isdigit() else None


def output_key(pub: Publication, kind: str, tools: dict[str, str]) -> str:
    """Return the fingerprint of what shapes an output besides its input files.

    Which output of which publication (an edition: of which family and value), the records selected
    (a query that now selects another record changes it), SOURCE_DATE_EPOCH, and the versions of katern
    (and its code) and of the programs it builds with. The publication file is an input. --format and
    --booklet/--press choose which outputs are built, not what one contains; --strict is applied to the
    warnings the manifest keeps.
    """
    return fingerprint(
        {
            "kind": kind,
            "file": OUTPUT_FILES[kind].format(name=pub.name),
            "publication": pub.name,
            "family": pub.family,
            "each": pub.each_value,
            "records": [r.slug for r in pub.records],
            "source_date_epoch": source_date_epoch(),
            "tools": tools,
        }
    )


def is_up_to_date(entry: Entry | None, key: str, out_dir: Path, root: Path, digests: Digests) -> bool:
    """Say whether an output needs no rebuild: same key, same inputs, and its files as they were written."""
    if entry is None or entry.key != key:
        return False
    if any(digests.of(Path(out_dir) / name) != digest for name, digest in entry.files.items()):
        return False
    return all(digests.of(input_path(root, name)) == digest for name, digest in entry.inputs.items())


@dataclass
class Plan:
    """One publication to build: its outputs, those up to date, and those to produce."""

    pub: Publication
    result: BuildResult
    kinds: list[str]  # every output asked for, in production order
    todo: list[str] = field(default_factory=list)  # those to produce
    fresh: dict[str, Entry] = field(default_factory=dict)  # those up to date, with their manifest entry
    keys: dict[str, str] = field(default_factory=dict)
    static: dict[str, dict[str, str | None]] = field(default_factory=dict)  # kind -> static input -> digest
    estimate: float = 1.0  # seconds it is expected to take (the last build's, or a guess)
    options: dict = field(default_factory=dict)
    root: Path = Path(".")  # the project folder, that input names are relative to

    @property
    def name(self) -> str:
        return self.pub.name


def plan_publication(
    project: Project,
    pub: Publication,
    out_dir: Path,
    formats: tuple[str, ...] | None,
    strict: bool,
    extras: tuple[str, ...],
    manifest: Manifest,
    digests: Digests,
    tools: dict[str, str],
    force: bool = False,
) -> Plan:
    """Plan one publication: check its content, choose its outputs, find those that are up to date.

    Raises BuildError when the publication cannot be built (errors in its records, no outputs, or,
    under --strict, warnings an up-to-date output still has).
    """
    problems = publication_problems(project, pub, strict)
    if problems:
        shown = "; ".join(str(p) for p in problems[:MAX_SHOWN])
        more = f"; and {len(problems) - MAX_SHOWN} more (run 'katern check')" if len(problems) > MAX_SHOWN else ""
        raise BuildError(shown + more + (" (warnings are fatal with --strict)" if strict else ""))
    wanted = plan_outputs(pub, formats, extras)
    if not wanted:
        raise BuildError("has no outputs to build. List them under 'outputs'.", path=pub.path, field="outputs")
    root = project.resolver.project
    plan = Plan(pub, BuildResult(pub.name), [k for k in REGISTRY if k in wanted], root=root)
    plan.options = {"formats": list(formats) if formats else None, "extras": list(extras), "strict": strict}
    seconds = []
    for kind in plan.kinds:
        plan.keys[kind] = output_key(pub, kind, tools)
        plan.static[kind] = {input_name(root, p): digests.of(p) for p in static_inputs(project, pub, kind)}
        entry = manifest.entries.get(OUTPUT_FILES[kind].format(name=pub.name))
        if entry is not None:
            seconds.append(entry.seconds)
        if not force and is_up_to_date(entry, plan.keys[kind], out_dir, root, digests):
            plan.fresh[kind] = entry
        else:
            plan.todo.append(kind)
    remembered = [w for entry in plan.fresh.values() for w in entry.warnings]
    if strict and remembered:
        raise BuildError("warnings are fatal with --strict: " + " | ".join(dict.fromkeys(remembered)))
    plan.estimate = max(seconds) if seconds else 1.0 + len(pub.records) + 4.0 * ("html" in plan.todo)
    return plan


# --- committing -------------------------------------------------------------------------------------------


def commit(artifacts: list[Artifact], result: BuildResult, manifest: Manifest | None = None) -> None:
    """Write one publication's outputs (and the manifest) together; none is replaced unless all can be written."""
    files: list[tuple[Path, bytes | str]] = [(a.path, a.data) for a in artifacts]
    if manifest is not None:
        files.append((manifest.path, manifest.dumps()))
    atomic_write_many(files)
    result.outputs += [Output(a.kind, a.path, len(a.data), a.pages) for a in artifacts]


def finish(
    plan: Plan, outcome: Outcome | None, out_dir: Path, manifest: Manifest, tools: dict[str, str]
) -> BuildResult:
    """Commit what was produced for `plan` with the manifest, and fill in its result (outputs, warnings, inputs)."""
    result = plan.result
    out_dir = Path(out_dir)
    said: dict[str, tuple[list[str], list[str]]] = {k: (e.warnings, e.notes) for k, e in plan.fresh.items()}
    inputs: dict[str, str | None] = {}
    for entry in plan.fresh.values():
        inputs.update(entry.inputs)
    if outcome is not None and outcome.error is not None:
        result.error = outcome.error
        remembered = [w for warnings, _notes in said.values() for w in warnings]
        result.warnings = list(dict.fromkeys([*remembered, *outcome.warnings]))
        result.seconds = outcome.seconds
        return result
    built: dict[str, list[Artifact]] = {}
    updated = manifest.copy()
    if outcome is not None:
        for kind, produced in outcome.outputs.items():
            made = {**plan.static[kind], **produced.inputs}
            inputs.update(made)
            said[kind] = (produced.warnings, produced.notes)
            built[kind] = produced.artifacts
            main = produced.artifacts[0]
            updated.entries[main.path.name] = Entry(
                publication=plan.pub.name,
                kind=kind,
                key=plan.keys[kind],
                files={a.path.name: digest_bytes(a.data) for a in produced.artifacts},
                inputs=dict(sorted(made.items())),
                pages=main.pages,
                warnings=produced.warnings,
                notes=produced.notes,
                seconds=round(outcome.seconds, 2),
                options=plan.options,
                family=plan.pub.family,
            )
        updated.tools = tools
        result.seconds = outcome.seconds
    if built:
        try:
            commit([a for kind in plan.kinds for a in built.get(kind, [])], BuildResult(result.name), updated)
        except OSError as exc:
            result.error = f"cannot write to {exc.filename or out_dir}: {exc.strerror}"
            return result
        manifest.entries, manifest.tools = updated.entries, updated.tools
    for kind in plan.kinds:
        if kind in built:
            result.outputs += [Output(a.kind, a.path, len(a.data), a.pages) for a in built[kind]]
        else:
            entry = plan.fresh[kind]
            main = OUTPUT_FILES[kind].format(name=plan.name)
            for name in sorted(entry.files, key=lambda n: n != main):  # the output's own file first
                path = out_dir / name
                size = path.stat().st_size if path.exists() else 0
                own = name == main
                result.outputs.append(
                    Output(kind if own else "accessibility", path, size, entry.pages if own else None, UP_TO_DATE)
                )
    order = [said[k] for k in plan.kinds if k in said]
    result.warnings = list(dict.fromkeys(w for warnings, _notes in order for w in warnings))
    result.notes = list(dict.fromkeys(n for _warnings, notes in order for n in notes))
    result.inputs = {input_path(plan.root, name): digest for name, digest in sorted(inputs.items())}
    return result


def find_stale(project: Project, manifest: Manifest, out_dir: Path, broken: set[str]) -> tuple[list[Stale], bool]:
    """Return the files of the manifest that are no longer produced, and whether entries were dropped.

    Stale: the publication no longer exists (removed or renamed), or no longer lists the format under
    'outputs'. An entry whose files are all gone is dropped. Outputs of a publication that failed to
    load are not stale: it still exists.
    """
    stale: list[Stale] = []
    dropped = False
    for name, entry in list(manifest.entries.items()):
        existing = [Path(out_dir) / f for f in entry.files if (Path(out_dir) / f).exists()]
        if not existing:
            del manifest.entries[name]
            dropped = True
            continue
        pub = project.publications.get(entry.publication)
        if pub is None:
            if entry.publication in broken or (entry.family and entry.family in broken):
                continue
            reason = f"the publication '{entry.publication}' no longer exists"
            if entry.family and entry.family in project.families:
                reason = f"the edition '{entry.publication}' of '{entry.family}' is no longer made"
        elif entry.kind in FORMATS and entry.kind not in pub.outputs:
            reason = f"'{entry.publication}' no longer lists {entry.kind} under 'outputs'"
        else:
            continue
        stale += [Stale(path, entry.publication, reason) for path in existing]
    return stale, dropped


# --- the build --------------------------------------------------------------------------------------------


def parse_shard(text: str) -> tuple[int, int]:
    """Read `--shard K/N` (the K-th of N shares, counted from 1); raise BuildError saying what is wrong."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise BuildError(f"--shard takes K/N, such as 1/4 for the first of four shares, not '{text}'.")
    k, n = int(match[1]), int(match[2])
    if n < 1:
        raise BuildError(f"--shard {text}: N, the number of shares, must be 1 or more.")
    if not 1 <= k <= n:
        raise BuildError(f"--shard {text}: K must be between 1 and {n} (the shares are 1/{n} to {n}/{n}).")
    return k, n


def shard_of(names: Iterable[str], k: int, n: int) -> list[str]:
    """Return the K-th of N shares of `names`: by sorted name, every N-th from the K-th (stable, balanced)."""
    return [name for index, name in enumerate(sorted(set(names))) if index % n == k - 1]


def default_jobs() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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


def select(
    project: Project, names: list[str] | None, shard: tuple[int, int] | None = None
) -> tuple[list[str], list[BuildResult], list[str]]:
    """Return the publications to build (in order), the failed results of those that cannot be, and notes.

    Families (`each:`) become their editions; `shard` keeps the K-th of N shares of it all.
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
    failed = [b for b in broken if everything or b.name in names or b.name in requested]
    failed += [
        BuildResult(name, error="makes no editions: none of the records it selects has a value for 'each'.")
        for name in empty
        if name not in {b.name for b in broken}
    ]
    names = [n for n in names if n in project.publications]
    notes = []
    if shard is not None:
        k, n = shard
        everyone = [*names, *(r.name for r in failed)]
        share = set(shard_of(everyone, k, n))
        names = [name for name in names if name in share]
        failed = [r for r in failed if r.name in share]
        total = len(set(everyone))
        notes.append(
            f"shard {k}/{n}: {len(share)} of {total} publication(s)"
            + ("" if share else f" (there are fewer than {k} to share out; nothing to do)")
        )
    return names, failed, notes


def build(
    project: Project,
    names: list[str] | None = None,
    formats: tuple[str, ...] | None = None,
    out_dir: Path | None = None,
    strict: bool = False,
    extras: tuple[str, ...] = (),
    *,
    jobs: int | None = 1,
    shard: tuple[int, int] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    hooks: Mapping[str, Hooks] | None = None,
) -> BuildResults:
    """Build the named publications (all when none are named); one failure does not stop the others.

    `formats` lists the outputs wanted (pdf, html, booklet, press); None builds each publication's own.
    `extras` (booklet, press) are built in addition to either. An output whose inputs did not change
    since the build that wrote it (see katern.manifest) is not rebuilt, unless `force`. `jobs` > 1
    produces publications in that many worker processes (None: one per core); `shard` (K, N) builds
    only the K-th of N shares. `progress` is told what happens as it happens. `hooks` gives, by
    publication name, what lays out its print layout and who sees it before it is checked (katern serve;
    see Hooks); publications are then produced in this process, one by one.
    """
    from katern.resources import font_cache

    started = time.perf_counter()
    selected, failed, notes = select(project, names, shard)
    out_dir = Path(out_dir) if out_dir else project.root / "build"
    for stale in remove_stale_temps(out_dir):
        log.info("removed %s, left by a build that was stopped", stale)
    cache = out_dir / CACHE_NAME / "fonts"
    remove_stale_temps(cache)
    manifest = Manifest.load(out_dir)
    tools = tool_versions()
    digests = Digests()
    results: dict[str, BuildResult] = {}
    plans: list[Plan] = []
    for name in selected:
        pub = project.publications[name]
        try:
            plan = plan_publication(project, pub, out_dir, formats, strict, extras, manifest, digests, tools, force)
        except KaternError as exc:
            results[name] = BuildResult(name, error=exc.format_message())
            continue
        results[name] = plan.result
        plans.append(plan)
    todo = sorted((p for p in plans if p.todo), key=lambda p: -p.estimate)
    workers = 1 if len(todo) <= 1 or hooks else max(1, min(jobs or default_jobs(), len(todo)))
    total = len(failed) + len(selected)
    if progress is not None:
        progress.start(total, workers)

    def report(result: BuildResult) -> None:
        for warning in result.warnings:
            log.warning("%s", warning)
        if progress is not None:
            progress.finished(result)

    for result in failed:
        report(result)
    planned = {plan.name: plan for plan in plans}
    for name in selected:
        plan = planned.get(name)
        if plan is None:
            report(results[name])
        elif not plan.todo:
            report(finish(plan, None, out_dir, manifest, tools))

    def done(plan: Plan, outcome: Outcome) -> None:
        report(finish(plan, outcome, out_dir, manifest, tools))

    with font_cache(cache):
        if workers <= 1:
            for plan in todo:
                if progress is not None:
                    progress.working([plan.name])
                done(
                    plan,
                    produce_publication(project, plan.pub, out_dir, plan.todo, strict, (hooks or {}).get(plan.name)),
                )
        else:
            from katern.workers import run_pool

            fonts = fonts_to_warm(project, todo)
            run_pool(project, todo, out_dir, strict, workers, fonts, done, progress)
    stale, dropped = find_stale(project, manifest, out_dir, {r.name for r in failed})
    if dropped and manifest.path.exists():
        atomic_write(manifest.path, manifest.dumps())
    ordered = [*failed, *(results[name] for name in selected)]
    return BuildResults(ordered, stale, notes, time.perf_counter() - started, workers)


def fonts_to_warm(project: Project, plans: list[Plan]) -> list[Path]:
    """Return the font files the HTML booklets to build will embed and whose subset is not cached yet."""
    from katern.resources import booklet_font_files, needs_subset

    if not any("html" in p.todo for p in plans):
        return []
    paths = list(booklet_font_files())
    for plan in plans:
        theme = project.styles.get(plan.pub.theme)
        if theme is not None and "html" in plan.todo:
            paths += [path for family in theme.fonts.values() for path in family.faces.values()]
    return [path for path in dict.fromkeys(paths) if needs_subset(path)]


def build_publication(
    project: Project,
    pub: Publication,
    out_dir: Path,
    formats: tuple[str, ...] | None = None,
    strict: bool = False,
    extras: tuple[str, ...] = (),
    force: bool = False,
) -> BuildResult:
    """Build one publication's outputs into `out_dir` in this process; errors are returned in the result."""
    from katern.resources import font_cache

    out_dir = Path(out_dir)
    manifest = Manifest.load(out_dir)
    tools = tool_versions()
    try:
        plan = plan_publication(project, pub, out_dir, formats, strict, extras, manifest, Digests(), tools, force)
    except KaternError as exc:
        return BuildResult(pub.name, error=exc.format_message())
    outcome = None
    if plan.todo:
        with font_cache(out_dir / CACHE_NAME / "fonts"):
            outcome = produce_publication(project, pub, out_dir, plan.todo, strict)
    return finish(plan, outcome, out_dir, manifest, tools)


# --- another print renderer (katern serve) ---------------------------------------------------------------


def lays_out_in_parts(pub: Publication) -> bool:
    """Say whether `pub`'s print layout may be laid out story by story (katern.storylayout): not a story sheet."""
    return not is_story_sheet(pub)
