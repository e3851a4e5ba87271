"""Wrap WeasyPrint: tagged PDF/UA-1 with metadata, a fetcher that stays inside the project, warnings kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from katern.errors import BuildError
from katern.paths import Resolver

log = logging.getLogger(__name__)


class ResourceOutsideProject(FatalURLFetchingError):
    """A layout or record asked for a file outside the allowed folders, or for a network address."""


class ProjectURLFetcher(URLFetcher):
    """Fetch `file:` and `data:` URLs inside the allowed folders only; never the network.

    Every file it fetches (fonts, images, the files a style sheet's url() names) is noted as an input
    of the output being built (katern.manifest), so a changed image rebuilds what shows it.
    """

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols=("file", "data"))
        self.resolver = Resolver.for_project(allowed[0], allowed[1:])

    def fetch(self, url: str, headers=None):
        """Refuse anything that is not a data URL or a file inside an allowed folder."""
        from katern.manifest import note_missing, note_read

        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ResourceOutsideProject(f"refused to fetch the network address {url}")
        path = Path(unquote(urlsplit(url).path))
        if not self.resolver.allows(path):
            raise ResourceOutsideProject(f"refused to load {path.resolve()}: it lies outside the project")
        if path.is_file():
            note_read(path.resolve())
        else:
            note_missing(path)
        return super().fetch(url, headers)


@dataclass
class RenderedPdf:
    data: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # resources that failed to load
    anchors: dict[str, int] = field(default_factory=dict)  # element id -> 1-based page number
    lines: list[int] = field(default_factory=list)  # lines of text laid out on each page
    faults: list = field(default_factory=list)  # katern.preflight.Fault, with render_pdf(preflight=True)


# Resource failures WeasyPrint logs (ERROR for images, stylesheets, attachments; DEBUG for font files):
# the resource is dropped silently, so katern reports them as errors, apart from the warnings.
_RESOURCE_KINDS = {
    "Failed to load image at ": "image",
    "Failed to load stylesheet at ": "stylesheet",
    "Failed to load attachment": "attachment",
}
_FONT_FILE_FAILURES = ("Failed to load font at ", "Failed to handle woff font at ")
_FONT_FACE_FAILURE = "Font-face %r cannot be loaded"
_FONTTOOLS_NOTICE = "Using fontTools instead of HarfBuzz-Subset"
_fonttools_noted = False  # the fontTools notice is logged at most once per process


class _Collector(logging.Handler):
    """Sort what WeasyPrint logs into warnings and resource errors; note the fontTools notice."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)  # DEBUG: WeasyPrint logs a font file that fails to load at DEBUG only
        self.warnings: list[str] = []
        self.errors: list[str] = []
        self.fonttools = False
        self._font_files: list[str] = []  # font URLs that failed since the last font-face failure

    def emit(self, record: logging.LogRecord) -> None:
        template = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        if record.levelno < logging.WARNING:
            if template.startswith(_FONT_FILE_FAILURES) and args:
                self._font_files.append(str(args[0]))
            return
        if template.startswith(_FONTTOOLS_NOTICE):
            self.fonttools = True
            return
        if template == _FONT_FACE_FAILURE and self._font_files:
            urls, self._font_files = self._font_files, []
            self.errors.append(f"cannot load the font {args[0] if args else ''!r} from {', '.join(urls)}")
            return
        kind = next((k for prefix, k in _RESOURCE_KINDS.items() if template.startswith(prefix)), None)
        if kind is None:
            self.warnings.append(record.getMessage())
            return
        exception = args[-1] if args and isinstance(args[-1], BaseException) else None
        reason, filename = _reason(exception) if exception else (record.getMessage(), None)
        url = args[0] if kind != "attachment" and len(args) > 1 else filename  # attachments: no URL but the file
        self.errors.append(f"cannot load the {kind} {url or '(unknown)'} ({reason})")


def _reason(exception: BaseException) -> tuple[str, str | None]:
    """Return the short reason a fetch failed ("No such file or directory") and the file it concerned."""
    queue: list[object] = [exception]
    seen: set[int] = set()
    while queue:
        current = queue.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return current.strerror, current.filename
        queue += [current.__cause__, current.__context__, getattr(current, "reason", None)]
    return str(exception), None


def _note_fonttools() -> None:
    """Say once per process that fonts are subset with fontTools; it is not a problem with the publication."""
    global _fonttools_noted
    if not _fonttools_noted:
        _fonttools_noted = True
        log.info(
            "fonts are subset with fontTools (the system library HarfBuzz-Subset is not installed); "
            "the output is the same on every build"
        )


@contextmanager
def collect_weasyprint_warnings() -> Iterator[_Collector]:
    """Capture what WeasyPrint logs (bad CSS, missing resources) instead of losing it."""
    collector = _Collector()
    loggers = [logging.getLogger("weasyprint"), logging.getLogger("weasyprint.progress")]
    saved = [(lg, lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(collector)
    loggers[0].propagate = False
    loggers[0].setLevel(logging.DEBUG)
    loggers[1].setLevel(logging.WARNING)  # progress messages are INFO: not wanted
    try:
        yield collector
    finally:
        for lg, propagate, level in saved:
            lg.removeHandler(collector)
            lg.propagate = propagate
            lg.setLevel(level)
        if collector.fonttools:
            _note_fonttools()


def build_date(pub_date: dt.date) -> dt.datetime:
    """Return the date stamped in the PDF: SOURCE_DATE_EPOCH if set, else the publication date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime(pub_date.year, pub_date.month, pub_date.day, tzinfo=dt.UTC)


@contextmanager
def _source_date_epoch(stamp: dt.datetime) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH to `stamp` meanwhile: fontTools stamps it, not the clock, into subset fonts."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(stamp.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def render_pdf(
    html: str,
    base_url: Path,
    allowed: list[Path],
    stamp: dt.datetime,
    variant: str | None = "pdf/ua-1",
    extra_css: str | None = None,
    preflight: bool = False,
    lazy: bool = False,
) -> RenderedPdf:
    """Lay out `html` with WeasyPrint and return the PDF bytes, page count, WeasyPrint's warnings and errors.

    With `preflight`, also measure the layout faults of the laid-out pages (see katern.preflight) into
    `faults`; should the preflight itself fail, that is one more warning, never a failed layout. With
    `lazy`, the PDF is written when its `data` is first read (LazyPdf): a make-up pass whose layout is
    not kept is never written.
    """
    fetcher = ProjectURLFetcher(allowed)
    identifier = pdf_identifier(html, extra_css)
    with collect_weasyprint_warnings() as collected, _source_date_epoch(stamp):
        try:
            document = lay_out_document(html, base_url, fetcher, extra_css)
            lazy = lazy and not dangling_links(document.pages)
            data = None if lazy else write_document(document, stamp, identifier, variant)
        except ResourceOutsideProject as exc:
            raise BuildError(str(exc)) from exc
        except Exception as exc:  # WeasyPrint raises many kinds; report them as a build error.
            raise BuildError(f"WeasyPrint could not lay out the publication: {exc}") from exc
    rendered = rendered_pdf(document, data, list(collected.warnings), list(collected.errors), preflight)
    if lazy:
        return LazyPdf(lambda: written_later(document, stamp, identifier, variant), rendered)
    return rendered


class LazyPdf(RenderedPdf):
    """A RenderedPdf whose bytes are written when first read; what writing says joins its warnings and errors."""

    def __init__(self, write: Callable[[], tuple[bytes, list[str], list[str]]], rendered: RenderedPdf):
        self._write: Callable | None = write
        self._data: bytes | None = None
        fields = {name: getattr(rendered, name) for name in rendered.__dataclass_fields__ if name != "data"}
        super().__init__(data=None, **fields)

    @property
    def data(self) -> bytes | None:
        if self._data is None and self._write is not None:
            write, self._write = self._write, None
            self._data, warnings, errors = write()
            self.warnings = list(dict.fromkeys([*self.warnings, *warnings]))
            self.errors = list(dict.fromkeys([*self.errors, *errors]))
        return self._data

    @data.setter
    def data(self, value: bytes | None) -> None:
        self._data = value
        if value is not None:
            self._write = None


def written_later(document, stamp: dt.datetime, identifier: bytes, variant: str | None) -> tuple[bytes, list, list]:
    """Write a laid-out Document as render_pdf does, later; return the bytes and what WeasyPrint said."""
    with _source_date_epoch(stamp), collect_weasyprint_warnings() as collected:
        try:
            data = write_document(document, stamp, identifier, variant)
        except Exception as exc:
            raise BuildError(f"WeasyPrint could not write the publication: {exc}") from exc
    return data, list(collected.warnings), list(collected.errors)


def dangling_links(pages) -> bool:
    """Say whether a page links to an anchor no page has (WeasyPrint warns of it when it writes)."""
    anchors = {name for page in pages for name in page.anchors}
    return any(link[0] == "internal" and link[1] not in anchors for page in pages for link in page.links)


# The steps of render_pdf, for katern.storylayout, which lays out a publication story by story and joins
# the pages: the same WeasyPrint options, the same metadata and identifier, the same RenderedPdf.


def lay_out_document(html: str, base_url: Path, fetcher: URLFetcher, extra_css: str | None = None, font_config=None):
    """Lay out `html` with WeasyPrint as render_pdf does and return the Document (not yet written)."""
    return weasyprint.HTML(string=html, base_url=str(base_url) + os.sep, url_fetcher=fetcher).render(
        stylesheets=[weasyprint.CSS(string=extra_css)] if extra_css else None, font_config=font_config
    )


def pdf_identifier(html: str, extra_css: str | None = None) -> bytes:
    """The PDF file identifier render_pdf gives the layout of `html` (with `extra_css`)."""
    return hashlib.md5(html.encode("utf-8") + (extra_css or "").encode()).hexdigest().encode()


def write_document(document, stamp: dt.datetime, identifier: bytes, variant: str | None = "pdf/ua-1") -> bytes:
    """Write a laid-out Document as render_pdf does: tagged, `variant`, dated `stamp`, with `identifier`."""
    stamp_text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    document.metadata.created = stamp_text
    document.metadata.modified = stamp_text
    return document.write_pdf(pdf_variant=variant, pdf_identifier=identifier, pdf_tags=True)


def rendered_pdf(document, data: bytes, warnings: list[str], errors: list[str], preflight: bool = False) -> RenderedPdf:
    """The RenderedPdf of a written Document: anchors, lines per page and (with `preflight`) layout faults."""
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    faults = []
    warnings = list(warnings)
    if preflight:
        from katern.preflight import preflight as layout_preflight

        try:
            faults = layout_preflight(document)
        except Exception as exc:  # a fault of the preflight, not of the publication: say so, keep the PDF
            log.debug("layout preflight failed", exc_info=True)
            warnings.append(f"the layout preflight could not check this publication ({type(exc).__name__}: {exc})")
    return RenderedPdf(
        data=data,
        pages=len(document.pages),
        warnings=warnings,
        errors=list(errors),
        anchors=anchors,
        lines=[_line_count(page) for page in document.pages],
        faults=faults,
    )


def _line_count(page) -> int:
    """Count the lines of text WeasyPrint laid out on a page (its line boxes)."""
    from weasyprint.formatting_structure.boxes import LineBox

    count = 0
    stack = [getattr(page, "_page_box", None)]
    while stack:
        box = stack.pop()
        if box is None:
            continue
        if isinstance(box, LineBox):
            count += 1
            continue
        stack.extend(getattr(box, "children", None) or ())
    return count
