"""Wrap WeasyPrint: tagged PDF/UA-1 with metadata, a fetcher that stays inside the project, warnings kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from katern.errors import BuildError

log = logging.getLogger(__name__)


class ResourceOutsideProject(FatalURLFetchingError):
    """A layout or record asked for a file outside the allowed folders, or for a network address."""


class ProjectURLFetcher(URLFetcher):
    """Fetch `file:` and `data:` URLs inside the allowed folders only; never the network."""

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols=("file", "data"))
        self.allowed = [p.resolve() for p in allowed]

    def fetch(self, url: str, headers=None):
        """Refuse anything that is not a data URL or a file inside an allowed folder."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ResourceOutsideProject(f"refused to fetch the network address {url}")
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not any(path.is_relative_to(root) for root in self.allowed):
            raise ResourceOutsideProject(f"refused to load {path}: it lies outside the project")
        return super().fetch(url, headers)


@dataclass
class RenderedPdf:
    data: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    anchors: dict[str, int] = field(default_factory=dict)  # element id -> 1-based page number


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def collect_weasyprint_warnings() -> Iterator[list[str]]:
    """Capture what WeasyPrint logs (bad CSS, missing resources) instead of losing it."""
    collector = _Collector()
    loggers = [logging.getLogger("weasyprint"), logging.getLogger("weasyprint.progress")]
    saved = [(lg, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(collector)
    loggers[0].propagate = False
    try:
        yield collector.messages
    finally:
        for lg, propagate in saved:
            lg.removeHandler(collector)
            lg.propagate = propagate


def build_date(pub_date: dt.date) -> dt.datetime:
    """Return the date stamped in the PDF: SOURCE_DATE_EPOCH if set, else the publication date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime(pub_date.year, pub_date.month, pub_date.day, tzinfo=dt.UTC)


def render_pdf(
    html: str,
    base_url: Path,
    allowed: list[Path],
    stamp: dt.datetime,
    variant: str | None = "pdf/ua-1",
    extra_css: str | None = None,
) -> RenderedPdf:
    """Lay out `html` with WeasyPrint and return the PDF bytes, page count and WeasyPrint's warnings."""
    stamp_text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    fetcher = ProjectURLFetcher(allowed)
    with collect_weasyprint_warnings() as warnings:
        try:
            document = weasyprint.HTML(string=html, base_url=str(base_url) + os.sep, url_fetcher=fetcher).render(
                stylesheets=[weasyprint.CSS(string=extra_css)] if extra_css else None
            )
            document.metadata.created = stamp_text
            document.metadata.modified = stamp_text
            identifier = hashlib.md5(html.encode("utf-8") + (extra_css or "").encode()).hexdigest().encode()
            data = document.write_pdf(pdf_variant=variant, pdf_identifier=identifier, pdf_tags=True)
        except ResourceOutsideProject as exc:
            raise BuildError(str(exc)) from exc
        except Exception as exc:  # WeasyPrint raises many kinds; report them as a build error.
            raise BuildError(f"WeasyPrint could not lay out the publication: {exc}") from exc
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    return RenderedPdf(data=data, pages=len(document.pages), warnings=list(warnings), anchors=anchors)
