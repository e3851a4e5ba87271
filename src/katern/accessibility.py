"""katern's own PDF checks: only what the two validators (see validators.py) do not cover.

katern's accessibility is proven by two independent validators, page-validation (PDF/UA-1) and
outloud, run by `katern.validators`. This module keeps the checks they do not make. katern used to
check seven points itself; each was compared with what the validators test (by building PDFs that
break exactly that point and reading both reports):

    point                         page-validation (ua1)                   outloud
    tagged, structure tree        PDFUA1-TAGGED-DOCUMENT-001,             DOC-001, DOC-002, TAG-001
                                  PDFUA1-STRUCT-TREE-ROOT-001
    document language             PDFUA1-LANGUAGE-TAG-001                 DOC-013, DOC-014
    title shown in the title bar  PDFUA1-METADATA-TITLE-001,              DOC-010, DOC-011
                                  PDFUA1-VIEWER-PREFERENCES-001
    fonts embedded                PDFUA1-FONT-EMBEDDING-001               TXT-001
    alt text on every figure      PDFUA1-FIGURE-ALTERNATIVE-TEXT-001      FIG-001, FIG-002
    heading levels (role-mapped   PDFUA1-HEADING-NESTING-001              HDG-001, HDG-002
    headings too)
    bookmarks                     -                                       NAV-001, only from 10 pages

So both validators cover the first six, each of them stricter than katern was (the title must be
in the XMP metadata, not only in the document information), and those checks were removed. One stays:

- bookmarks: page-validation has no rule for the document outline, and outloud's NAV-001 is a
  warning that only looks at documents of 10 pages or more. katern promises bookmarks on every PDF
  (a 3-page newsletter too); they are the "multiple ways" of WCAG 2.4.5 and Matterhorn checkpoint
  27 (navigation), and they disappear silently when a layout loses its headings.

These checks cannot prove a PDF accessible either (reading order, alt text quality and contrast
need a person, see a11y_report.py); they catch what a build can get wrong silently.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject, NullObject

from katern.errors import BuildError

logger = logging.getLogger(__name__)

# Each own check with the Matterhorn checkpoint and WCAG criteria it belongs to, for the reports.
OWN_CHECKS = {
    "bookmarks": {"checkpoints": ("27",), "wcag": ("2.4.5",)},
}


@dataclass(frozen=True)
class Check:
    """The outcome of one of katern's own PDF checks."""

    name: str  # stable id, e.g. "bookmarks"
    passed: bool
    detail: str  # what was found; for a failure also what to do about it


def check_pdf(path: Path, data: bytes | None = None) -> list[Check]:
    """Run katern's own checks on the PDF at `path` (or on `data`, named `path`).

    Raises BuildError, naming `path`, when the file cannot be read as a PDF at all.
    """
    path = Path(path)
    reader, catalog = _open(path, data)
    checks: list[tuple[str, Callable[[PdfReader, DictionaryObject], tuple[bool, str]]]] = [
        ("bookmarks", _check_bookmarks),
    ]
    return [_run(name, check, reader, catalog) for name, check in checks]


def failed(checks: list[Check]) -> list[Check]:
    """Return the checks that did not pass."""
    return [check for check in checks if not check.passed]


def _open(path: Path, data: bytes | None = None) -> tuple[PdfReader, DictionaryObject]:
    """Read the PDF and its catalog, raising BuildError when that is impossible."""
    try:
        raw = path.read_bytes() if data is None else data
    except OSError as exc:
        raise BuildError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(raw))
            if reader.is_encrypted and not reader.decrypt(""):
                raise BuildError("the PDF is encrypted and cannot be checked", path=path)
            catalog = _resolve(reader.trailer.get("/Root"))
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"cannot read the PDF: it is damaged or not a PDF file ({exc})", path=path) from exc
    if not isinstance(catalog, DictionaryObject):
        raise BuildError("cannot read the PDF: it is damaged or not a PDF file (it has no document catalog)", path=path)
    return reader, catalog


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """Keep pypdf's warnings about a damaged file ("EOF marker not found") off the terminal meanwhile.

    What is wrong with the file is reported by katern, in one clear message.
    """
    pypdf_logger = logging.getLogger("pypdf")
    level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        pypdf_logger.setLevel(level)


def _run(
    name: str,
    check: Callable[[PdfReader, DictionaryObject], tuple[bool, str]],
    reader: PdfReader,
    catalog: DictionaryObject,
) -> Check:
    """Run one check, turning any error in an odd PDF into a failed check."""
    try:
        passed, detail = check(reader, catalog)
    except Exception as exc:
        logger.debug("check %s could not be evaluated", name, exc_info=True)
        return Check(name, False, f"could not be evaluated, the PDF structure is unusual: {exc}")
    return Check(name, passed, detail)


# --- the checks -------------------------------------------------------------------------------


def _check_bookmarks(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require a document outline with at least one entry."""
    count = _outline_count(_get(catalog, "/Outlines"))
    if count:
        return True, f"{count} top-level bookmark(s)"
    return False, (
        "no bookmarks (document outline); katern makes them from the headings, so give the text headings "
        "(# and ## in the records) and check that the layout prints them as h1-h6"
    )


# --- small helpers ----------------------------------------------------------------------------


def _outline_count(outlines: Any) -> int:
    """Count the top-level entries of an outline dictionary."""
    count = 0
    seen: set[Any] = set()
    item = _get(outlines, "/First", resolve=False)
    while item is not None and _identity(item) not in seen:
        seen.add(_identity(item))
        if not isinstance(_resolve(item), DictionaryObject):
            break
        count += 1
        item = _get(item, "/Next", resolve=False)
    return count


def _resolve(obj: Any) -> Any:
    """Dereference an indirect object; return None for null or broken references."""
    seen = 0
    while isinstance(obj, IndirectObject) and seen < 32:
        obj = obj.get_object()
        seen += 1
    return None if isinstance(obj, NullObject | IndirectObject) else obj


def _get(obj: Any, key: str, resolve: bool = True) -> Any:
    """Return `key` of a (possibly indirect) dictionary, or None."""
    obj = _resolve(obj)
    if not isinstance(obj, DictionaryObject):
        return None
    value = obj.get(key)
    return _resolve(value) if resolve else value


def _identity(obj: Any) -> Any:
    """Return a key identifying an object: its reference if indirect, else the Python object."""
    if isinstance(obj, IndirectObject):
        return ("ref", obj.idnum, obj.generation)
    return ("obj", id(obj))
