"""The machine-checkable PDF/UA points: tagging, language, title, fonts, alt text, headings, bookmarks.

These checks cannot prove a PDF accessible (reading order, alt text quality and contrast need a
human), but they catch what a build can get wrong silently.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, BooleanObject, DictionaryObject, IndirectObject, NullObject

from katern.errors import BuildError

logger = logging.getLogger(__name__)

EMBEDDED_FONT_KEYS = ("/FontFile", "/FontFile2", "/FontFile3")
NO_TREE = "{what} cannot be checked: the PDF has no structure tree (see the 'tagged' check)"
HEADING_LEVELS = {f"/H{level}": level for level in range(1, 7)}
# Standard structure types of PDF 1.7 (ISO 32000-1, 14.8.4); a role map must not redefine them.
# fmt: off
STANDARD_TYPES = frozenset({
    "/Document", "/Part", "/Art", "/Sect", "/Div", "/BlockQuote", "/Caption",
    "/TOC", "/TOCI", "/Index", "/NonStruct", "/Private",
    "/H", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/P", "/L", "/LI", "/Lbl", "/LBody",
    "/Table", "/TR", "/TH", "/TD", "/THead", "/TBody", "/TFoot", "/Span", "/Quote", "/Note", "/Reference", "/BibEntry",
    "/Code", "/Link", "/Annot", "/Ruby", "/RB", "/RT", "/RP", "/Warichu", "/WT", "/WP", "/Figure", "/Formula", "/Form",
})
# fmt: on


@dataclass(frozen=True)
class Check:
    """The outcome of one PDF/UA check."""

    name: str  # stable id, e.g. "tagged" or "figure-alt"
    passed: bool
    detail: str  # what was found; for a failure also what to do about it


def check_pdf(path: Path, data: bytes | None = None) -> list[Check]:
    """Run every machine-checkable PDF/UA point on the PDF at `path` (or on `data`, named `path`)."""
    path = Path(path)
    reader, catalog = _open(path, data)
    checks: list[tuple[str, Callable[[PdfReader, DictionaryObject], tuple[bool, str]]]] = [
        ("tagged", _check_tagged),
        ("language", _check_language),
        ("title", _check_title),
        ("fonts-embedded", _check_fonts),
        ("figure-alt", _check_figure_alt),
        ("heading-levels", _check_heading_levels),
        ("bookmarks", _check_bookmarks),
    ]
    return [_run(name, check, reader, catalog) for name, check in checks]


def failed(checks: list[Check]) -> list[Check]:
    """Return the checks that did not pass."""
    return [check for check in checks if not check.passed]


def _open(path: Path, data: bytes | None = None) -> tuple[PdfReader, DictionaryObject]:
    """Read the PDF and its catalog, raising BuildError when that is impossible."""
    try:
        reader = PdfReader(io.BytesIO(path.read_bytes() if data is None else data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise BuildError("the PDF is encrypted and cannot be checked", path=path)
        catalog = _resolve(reader.trailer.get("/Root"))
    except BuildError:
        raise
    except Exception as exc:
        raise BuildError(f"cannot read the PDF: {exc}", path=path) from exc
    if not isinstance(catalog, DictionaryObject):
        raise BuildError("cannot read the PDF: it has no document catalog", path=path)
    return reader, catalog


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


def _check_tagged(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require /MarkInfo /Marked true and a structure tree with children."""
    marked = _is_true(_get(_get(catalog, "/MarkInfo"), "/Marked"))
    has_tree = bool(_kids(_get(catalog, "/StructTreeRoot")))
    if marked and has_tree:
        return True, "tagged PDF with a structure tree"
    missing = []
    if not marked:
        missing.append("/MarkInfo /Marked is not true")
    if not has_tree:
        missing.append("there is no structure tree")
    return False, f"not a tagged PDF: {' and '.join(missing)}; render it as PDF/UA (pdf_variant 'pdf/ua-1')"


def _check_language(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require a non-empty /Lang in the catalog."""
    language = _text(_get(catalog, "/Lang"))
    if language:
        return True, f"document language is '{language}'"
    return False, 'no document language (/Lang); set the lang attribute on <html>, e.g. lang="nl"'


def _check_title(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require a document title that viewers show in the title bar."""
    title = _document_title(reader)
    shown = _is_true(_get(_get(catalog, "/ViewerPreferences"), "/DisplayDocTitle"))
    if title and shown:
        return True, f"title '{title}', shown in the title bar"
    if not title:
        return False, "no document title; give the HTML a non-empty <title>"
    return False, (
        f"title '{title}' is set, but /ViewerPreferences /DisplayDocTitle is not true, so viewers show "
        "the file name instead; render it as PDF/UA (pdf_variant 'pdf/ua-1')"
    )


def _check_fonts(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require every font used on the pages to be embedded."""
    fonts = _page_fonts(reader)
    missing = sorted({_font_name(font) for font in fonts if not _is_embedded(font)})
    if not fonts:
        return True, "no fonts used"
    if not missing:
        return True, f"all {len(fonts)} font(s) are embedded"
    return False, (
        f"{len(missing)} font(s) not embedded: {', '.join(missing)}; "
        "use installed font files (TrueType/OpenType) so they can be embedded"
    )


def _check_figure_alt(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require alternative text on every /Figure structure element."""
    if not _kids(_get(catalog, "/StructTreeRoot")):
        return False, NO_TREE.format(what="figures")
    figures = [element for element, role in _struct_elements(catalog) if role == "/Figure"]
    lacking = [figure for figure in figures if not (_text(figure.get("/Alt")) or _text(figure.get("/ActualText")))]
    if not figures:
        return True, "no figures"
    if not lacking:
        return True, f"all {len(figures)} figure(s) have alternative text"
    pages = _page_numbers(reader, lacking)
    where = f" (on page {', '.join(map(str, pages))})" if pages else ""
    return False, (
        f"{len(lacking)} of {len(figures)} figure(s) lack alternative text{where}; "
        "give every image a descriptive alt attribute"
    )


def _check_heading_levels(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require headings to start at H1 and never skip a level going deeper."""
    if not _kids(_get(catalog, "/StructTreeRoot")):
        return False, NO_TREE.format(what="headings")
    levels = [HEADING_LEVELS[role] for _, role in _struct_elements(catalog) if role in HEADING_LEVELS]
    if not levels:
        return True, "no numbered headings (H1-H6)"
    if levels[0] != 1:
        return False, f"the first heading is H{levels[0]}; start the document with an H1"
    for previous, level in pairwise(levels):
        if level > previous + 1:
            return False, f"H{level} follows H{previous}; do not skip heading levels (use H{previous + 1})"
    return True, f"{len(levels)} heading(s), no skipped levels"


def _check_bookmarks(reader: PdfReader, catalog: DictionaryObject) -> tuple[bool, str]:
    """Require a document outline with at least one entry."""
    count = _outline_count(_get(catalog, "/Outlines"))
    if count:
        return True, f"{count} top-level bookmark(s)"
    return False, "no bookmarks (document outline); they are made from the headings, so add h1-h6 headings"


# --- structure tree ---------------------------------------------------------------------------


def _struct_elements(catalog: DictionaryObject) -> Iterator[tuple[DictionaryObject, str]]:
    """Yield every structure element in document order with its role-mapped type."""
    root = _resolve(catalog.get("/StructTreeRoot"))
    if not isinstance(root, DictionaryObject):
        return
    role_map = _resolve(root.get("/RoleMap"))
    role_map = role_map if isinstance(role_map, DictionaryObject) else DictionaryObject()
    seen: set[Any] = set()
    stack = list(reversed(_kids(root)))
    while stack:
        item = stack.pop()
        key = _identity(item)
        element = _resolve(item)
        if key in seen or not _is_struct_element(element):
            continue
        seen.add(key)
        yield element, _role(str(_resolve(element["/S"])), role_map)
        stack.extend(reversed(_kids(element)))


def _kids(node: Any) -> list[Any]:
    """Return the unresolved children (/K) of a structure node as a list."""
    node = _resolve(node)
    if not isinstance(node, DictionaryObject):
        return []
    kids = _resolve(node.get("/K"))
    if kids is None:
        return []
    return list(kids) if isinstance(kids, ArrayObject) else [node.get("/K")]


def _is_struct_element(node: Any) -> bool:
    """Tell a structure element from a marked-content or object reference."""
    return isinstance(node, DictionaryObject) and "/S" in node and node.get("/Type") not in ("/MCR", "/OBJR")


def _role(structure_type: str, role_map: DictionaryObject) -> str:
    """Follow the role map from a custom structure type to a standard one."""
    seen = set()
    while structure_type not in STANDARD_TYPES and structure_type in role_map and structure_type not in seen:
        seen.add(structure_type)
        structure_type = str(_resolve(role_map[structure_type]))
    return structure_type


def _page_numbers(reader: PdfReader, elements: list[DictionaryObject]) -> list[int]:
    """Return the sorted 1-based page numbers the elements are on, where /Pg tells."""
    numbers = {}
    for index, page in enumerate(reader.pages, start=1):
        if page.indirect_reference is not None:
            numbers[page.indirect_reference.idnum] = index
    refs = [element.get("/Pg") for element in elements]
    return sorted({numbers[ref.idnum] for ref in refs if isinstance(ref, IndirectObject) and ref.idnum in numbers})


# --- fonts ------------------------------------------------------------------------------------


def _page_fonts(reader: PdfReader) -> list[DictionaryObject]:
    """Return every distinct font reachable from the pages' resources, forms and patterns included."""
    fonts: list[DictionaryObject] = []
    seen: set[Any] = set()
    stack = [page.get("/Resources") for page in reader.pages]
    while stack:
        item = stack.pop()
        key = _identity(item)
        resources = _resolve(item)
        if key in seen or not isinstance(resources, DictionaryObject):
            continue
        seen.add(key)
        for ref in _values(resources.get("/Font")):
            font = _resolve(ref)
            if _identity(ref) not in seen and isinstance(font, DictionaryObject):
                seen.add(_identity(ref))
                fonts.append(font)
                stack.append(font.get("/Resources"))  # Type3 glyphs may use resources
        for ref in _values(resources.get("/XObject")) + _values(resources.get("/Pattern")):
            stack.append(_get(ref, "/Resources"))
    return fonts


def _is_embedded(font: DictionaryObject) -> bool:
    """Tell whether a font program is embedded (Type3 fonts always are)."""
    subtype = _resolve(font.get("/Subtype"))
    if subtype == "/Type3":
        return True
    if subtype == "/Type0":
        descendants = _resolve(font.get("/DescendantFonts"))
        if not isinstance(descendants, ArrayObject) or not descendants:
            return False
        font = _resolve(descendants[0])
    descriptor = _get(font, "/FontDescriptor")
    return isinstance(descriptor, DictionaryObject) and any(key in descriptor for key in EMBEDDED_FONT_KEYS)


def _font_name(font: DictionaryObject) -> str:
    """Return a font's /BaseFont without the slash, or a placeholder."""
    name = _resolve(font.get("/BaseFont")) or _resolve(font.get("/Name"))
    return str(name).lstrip("/") if name else "(unnamed font)"


# --- small helpers ----------------------------------------------------------------------------


def _document_title(reader: PdfReader) -> str:
    """Return the document info /Title, else the XMP dc:title, else an empty string."""
    try:
        info = reader.metadata
        title = _text(info.get("/Title")) if info is not None else ""
    except Exception:
        title = ""
    if title:
        return title
    try:
        xmp = reader.xmp_metadata
        titles = xmp.dc_title if xmp is not None else None
    except Exception:
        return ""
    return next((text.strip() for text in (titles or {}).values() if text and text.strip()), "")


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


def _values(obj: Any) -> list[Any]:
    """Return the unresolved values of a (possibly indirect) dictionary."""
    obj = _resolve(obj)
    return list(obj.values()) if isinstance(obj, DictionaryObject) else []


def _identity(obj: Any) -> Any:
    """Return a key identifying an object: its reference if indirect, else the Python object."""
    if isinstance(obj, IndirectObject):
        return ("ref", obj.idnum, obj.generation)
    return ("obj", id(obj))


def _is_true(value: Any) -> bool:
    """Tell whether a PDF value is the boolean true."""
    if isinstance(value, BooleanObject):
        return bool(value.value)  # BooleanObject itself is always truthy
    return value is True


def _text(value: Any) -> str:
    """Return a PDF string value stripped, or an empty string for anything else."""
    value = _resolve(value)
    return str(value).strip() if isinstance(value, str) else ""
