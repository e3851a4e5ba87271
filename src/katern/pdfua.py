"""Repair what WeasyPrint 70 gets wrong in a tagged PDF/UA-1 file, so that PDF/UA validators accept it.

WeasyPrint 70 (`pdf_variant="pdf/ua-1"`, `pdf_tags=True`) writes a structure tree that two independent
validators (page-validation's ua1 profile and outloud) reject. `make_accessible` takes the finished PDF
and fixes, in this order:

1. running heads and folios (CSS @page margin boxes): WeasyPrint tags their text as content, but never
   links their structure elements into the tree. They become `/Artifact /Pagination` marked content.
2. link annotations: WeasyPrint gives every box inside an `<a>` its own annotation and puts its object
   reference (OBJR) in that box's element. Each OBJR moves into the outermost enclosing /Link element
   (PDF/UA-1 7.18.5); a /Link nested in a /Link (`a::after`) becomes a /Span.
3. duplicate annotations: an annotation inside another annotation of the same /Link, going to the same
   place, only adds a Tab stop; it is removed.
4. empty structure elements (no content, no /Alt, no /ActualText at any depth) are removed.
5. annotations get the Print flag.

What a page shows does not change: only marked-content operators, the structure tree, the ParentTree,
invisible link annotations and annotation flags are touched. The Info dictionary, the XMP packet and
the trailer /ID are kept as they are, and the same input always gives the same bytes.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields

import pikepdf
from pikepdf import Array, Dictionary, Name, Object, Operator

from katern.errors import BuildError

log = logging.getLogger(__name__)

PRINT_FLAG = 4  # annotation flag bit 3, Print (ISO 32000-1, table 165)
CONTAINMENT_TOLERANCE = 0.5  # points an annotation may stick out of the one it duplicates
TABLE_PARTS = frozenset({"/TR", "/TH", "/TD"})  # kept even when empty: the table must stay regular
TEXT_SHOWING = frozenset({"Tj", "TJ", "'", '"'})
PAINTING = frozenset({"Do", "re", "f", "f*", "F", "S", "B", "B*", "b", "b*", "sh", "BI"})

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class Changes:
    """How many things each repair changed."""

    artifacts: int = 0  # margin-box marked-content sequences turned into pagination artifacts
    links_moved: int = 0  # OBJRs moved into their enclosing /Link
    links_retagged: int = 0  # nested /Link elements re-tagged /Span
    links_dropped: int = 0  # duplicate link annotations removed
    empty_removed: int = 0  # empty structure elements removed
    print_flags: int = 0  # annotations that got the Print flag

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def make_accessible(data: bytes) -> bytes:
    """Return the PDF `data` repaired for PDF/UA-1; raise BuildError if it cannot be processed."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, ValueError) as exc:
        raise BuildError(f"cannot read the PDF to make it accessible (PDF/UA-1): {exc}") from exc
    with pdf:
        file_id = _file_id(pdf)
        try:
            changes = repair(pdf)
        except (pikepdf.PdfError, AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
            raise BuildError(f"cannot make the PDF accessible (PDF/UA-1): its structure is unexpected: {exc}") from exc
        log.debug("PDF/UA repairs: %s", ", ".join(f"{f.name} {getattr(changes, f.name)}" for f in fields(changes)))
        if not changes.total:
            return data  # nothing to repair: the input is already the output
        written = _save(pdf)
    return _restore_file_id(written, file_id)


def repair(pdf: pikepdf.Pdf) -> Changes:
    """Apply every repair to `pdf` in place and return what changed."""
    changes = Changes()
    if "/StructTreeRoot" in pdf.Root:
        changes.artifacts = artifact_margin_boxes(pdf)
        changes.links_moved, changes.links_retagged = move_link_objrs(pdf)
        changes.links_dropped = drop_duplicate_links(pdf)
        changes.empty_removed = remove_empty_elements(pdf)
    else:
        log.debug("the PDF has no structure tree: only annotation flags are repaired")
    changes.print_flags = set_print_flags(pdf)
    return changes


# ------------------------------------------------------------------------------------------------------
# Structure-tree helpers
# ------------------------------------------------------------------------------------------------------


def _kids(node: Object) -> list[Object]:
    """Return the /K of a structure node as a list (/K may be absent, one item or an array)."""
    k = node.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, Array) else [k]


def _is_element(obj: object) -> bool:
    """Tell whether `obj` is a structure element (not an MCID, MCR or OBJR)."""
    return isinstance(obj, Dictionary) and "/S" in obj


def _is_objr(obj: object) -> bool:
    """Tell whether `obj` is an object reference (OBJR) to an annotation."""
    return isinstance(obj, Dictionary) and obj.get("/Type") == Name.OBJR


def _same(a: object, b: object) -> bool:
    """Tell whether `a` and `b` are the same indirect object (MCIDs arrive as plain integers)."""
    return isinstance(a, Object) and isinstance(b, Object) and a.is_indirect and b.is_indirect and a.objgen == b.objgen


def _elements(root: Object) -> Iterator[Object]:
    """Yield every structure element reachable from `root`, in document order, each once."""
    seen: set[tuple[int, int]] = set()
    stack = list(reversed(_kids(root)))
    while stack:
        node = stack.pop()
        if not _is_element(node):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue  # a malformed tree with a cycle or a shared element: visit it once
            seen.add(node.objgen)
        yield node
        stack.extend(reversed(_kids(node)))


def _parent_tree(pdf: pikepdf.Pdf) -> pikepdf.NumberTree:
    """Return the ParentTree (StructParent(s) key -> element or array of elements by MCID)."""
    return pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)


def _objr_owners(pdf: pikepdf.Pdf) -> dict[tuple[int, int], tuple[Object, Object]]:
    """Map each annotation referenced in the tree to (the element that holds its OBJR, the OBJR)."""
    owners = {}
    for element in _elements(pdf.Root.StructTreeRoot):
        for kid in _kids(element):
            if _is_objr(kid) and "/Obj" in kid:
                owners[kid.Obj.objgen] = (element, kid)
    return owners


# ------------------------------------------------------------------------------------------------------
# 1. Margin boxes -> pagination artifacts
# ------------------------------------------------------------------------------------------------------


def artifact_margin_boxes(pdf: pikepdf.Pdf) -> int:
    """Mark content whose structure element is outside the tree as /Artifact /Pagination."""
    # WeasyPrint 70 builds elements for @page margin boxes (running heads, folios) but does not link
    # them into the tree ("could be included in tree as Artifact, but that's only allowed in PDF 2.0").
    # In WeasyPrint 70 only margin boxes produce such unreachable elements, so that is the test.
    reachable = {e.objgen for e in _elements(pdf.Root.StructTreeRoot)}
    tree = _parent_tree(pdf)
    changed = 0
    for number, page in enumerate(pdf.pages, 1):
        key = page.obj.get("/StructParents")
        owners = tree.get(int(key)) if key is not None else None
        if not isinstance(owners, Array):
            continue
        orphans = {mcid for mcid, el in enumerate(owners) if _is_element(el) and el.objgen not in reachable}
        if not orphans:
            continue
        replaced = _rewrite_as_artifacts(pdf, page, orphans)
        for mcid in replaced:
            owners[mcid] = None  # the array is indexed by MCID: the slot is emptied, not removed
        if replaced != orphans:
            log.debug("page %d: %d MCID(s) outside the tree not found in its content", number, len(orphans - replaced))
        changed += len(replaced)
    return changed


def _rewrite_as_artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, mcids: set[int]) -> set[int]:
    """Replace the page's `BDC` operators for `mcids` by pagination artifacts; return the MCIDs replaced."""
    height = float(page.mediabox[1]) + float(page.mediabox[3])
    ctm, saved, tm = IDENTITY, [], IDENTITY
    pending: Dictionary | None = None  # the last new artifact, until its first painting operator
    replaced: set[int] = set()
    out = []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        # Track just enough graphics state to tell a running head from a footer.
        if op == "q":
            saved.append(ctm)
        elif op == "Q":
            ctm = saved.pop() if saved else ctm
        elif op == "cm":
            ctm = _multiply(_matrix(operands), ctm)
        elif op == "BT":
            tm = IDENTITY
        elif op == "Tm":
            tm = _matrix(operands)
        elif op in ("Td", "TD"):
            tm = _multiply((1, 0, 0, 1, float(operands[0]), float(operands[1])), tm)
        elif op == "BDC" and _mcid(operands) in mcids:
            replaced.add(_mcid(operands))
            pending = Dictionary(Type=Name.Pagination)
            out.append(([Name.Artifact, pending], Operator("BDC")))
            continue
        if pending is not None and (op in TEXT_SHOWING or op in PAINTING):
            y = _multiply(tm, ctm)[5] if op in TEXT_SHOWING else ctm[5]
            pending.Subtype = Name.Header if y > height / 2 else Name.Footer
            pending = None
        out.append((operands, operator))
    if replaced:
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(out))
    return replaced


def _mcid(operands: list) -> int | None:
    """Return the MCID of a `BDC` operator's inline property list, if it has one."""
    if len(operands) == 2 and isinstance(operands[1], Dictionary) and "/MCID" in operands[1]:
        return int(operands[1].MCID)
    return None


def _matrix(operands: list) -> Matrix:
    """Return six numeric operands as a matrix."""
    a, b, c, d, e, f = (float(x) for x in operands)
    return (a, b, c, d, e, f)


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """Return the matrix that applies `m`, then `n` (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


# ------------------------------------------------------------------------------------------------------
# 2. Link annotations belong to the enclosing /Link element
# ------------------------------------------------------------------------------------------------------


def _outermost_link(element: Object) -> Object | None:
    """Return the outermost /Link among `element` and its ancestors, or None."""
    found = None
    seen: set[tuple[int, int]] = set()
    while _is_element(element) and element.objgen not in seen:
        if element.is_indirect:
            seen.add(element.objgen)  # a malformed /P cycle ends the walk
        if str(element.S) == "/Link":
            found = element
        element = element.get("/P")
    return found


def move_link_objrs(pdf: pikepdf.Pdf) -> tuple[int, int]:
    """Move each link annotation's OBJR into its outermost /Link; re-tag inner /Links; return both counts."""
    # PDF/UA-1 7.18.5: a Link annotation is the child (by OBJR) of a /Link element, and its /StructParent
    # maps to that element in the ParentTree. WeasyPrint puts the OBJRs of boxes nested in an <a> in the
    # nested box's own element. Moved OBJRs join the /Link's leading OBJRs, in their original order;
    # OBJRs are not read aloud, so the reading order does not change.
    tree = _parent_tree(pdf)
    owners = _objr_owners(pdf)
    moved = 0
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") != Name.Link or annot.objgen not in owners:
                continue
            owner, objr = owners[annot.objgen]
            target = _outermost_link(owner)
            if target is None:
                log.debug("link annotation %s has no enclosing /Link element; left as it is", annot.objgen)
                continue
            if _same(target, owner):
                continue
            owner.K = Array([k for k in _kids(owner) if not _same(k, objr)])
            kids = _kids(target)
            leading = next((i for i, k in enumerate(kids) if not _is_objr(k)), len(kids))
            target.K = Array([*kids[:leading], objr, *kids[leading:]])
            if "/StructParent" in annot:
                tree[int(annot.StructParent)] = target
            owners[annot.objgen] = (target, objr)
            moved += 1
    return moved, _retag_nested_links(pdf)


def _retag_nested_links(pdf: pikepdf.Pdf) -> int:
    """Re-tag as /Span every /Link inside another /Link that owns no annotation; return how many."""
    # WeasyPrint maps `a::before`/`a::after` (a target-counter page number, say) to /Link. Its text stays
    # inside the outer link; readers no longer announce a link within a link.
    retagged = 0
    for element in list(_elements(pdf.Root.StructTreeRoot)):
        if (
            str(element.S) == "/Link"
            and _outermost_link(element.get("/P")) is not None
            and not any(_is_objr(k) for k in _kids(element))
        ):
            element.S = Name.Span
            retagged += 1
    return retagged


# ------------------------------------------------------------------------------------------------------
# 3. Duplicate link annotations
# ------------------------------------------------------------------------------------------------------


def _rect(annot: Object) -> tuple[float, float, float, float]:
    """Return an annotation's rectangle as (left, bottom, right, top)."""
    x0, y0, x1, y1 = (float(v) for v in annot.Rect)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _area(rect: tuple[float, float, float, float]) -> float:
    """Return the area of a rectangle."""
    return (rect[2] - rect[0]) * (rect[3] - rect[1])


def _goes_to(annot: Object) -> bytes:
    """Return what following a link does (its /Dest or /A), as comparable bytes."""
    if "/Dest" in annot:
        return b"Dest " + annot.Dest.unparse(resolved=True)
    if "/A" in annot:
        return b"A " + annot.A.unparse(resolved=True)
    return b""


def _inside(inner: tuple[float, ...], outer: tuple[float, ...], tol: float = CONTAINMENT_TOLERANCE) -> bool:
    """Tell whether rectangle `inner` lies within `outer`, give or take `tol` points."""
    return (
        inner[0] >= outer[0] - tol
        and inner[1] >= outer[1] - tol
        and inner[2] <= outer[2] + tol
        and inner[3] <= outer[3] + tol
    )


def drop_duplicate_links(pdf: pikepdf.Pdf) -> int:
    """Remove link annotations lying inside another of the same /Link with the same target; return how many."""
    # After step 2 a contents entry's /Link owns an annotation for the <a> and one for every span and
    # pseudo-element inside it, stacked on the same spot: one link, several Tab stops. An annotation is
    # dropped only when a kept one of the same /Link on the same page covers it and goes to the same
    # place, so no clickable area is lost.
    owners = _objr_owners(pdf)
    by_link: dict[tuple[int, int], list[tuple[Object, Object]]] = {}
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == Name.Link and annot.objgen in owners:
                by_link.setdefault(owners[annot.objgen][0].objgen, []).append((page.obj, annot))
    drop: set[tuple[int, int]] = set()
    for items in by_link.values():
        kept: list[tuple[Object, bytes, tuple[float, ...]]] = []
        for page, annot in sorted(items, key=lambda item: -_area(_rect(item[1]))):  # stable: ties keep order
            rect, goes_to = _rect(annot), _goes_to(annot)
            if any(_same(page, p) and goes_to == g and _inside(rect, r) for p, g, r in kept):
                drop.add(annot.objgen)
            else:
                kept.append((page, goes_to, rect))
    if drop:
        _remove_annotations(pdf, drop, owners)
    return len(drop)


def _remove_annotations(
    pdf: pikepdf.Pdf, drop: set[tuple[int, int]], owners: dict[tuple[int, int], tuple[Object, Object]]
) -> None:
    """Remove annotations from their pages, their OBJRs from the tree and their ParentTree entries."""
    tree = _parent_tree(pdf)
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is not None and any(a.objgen in drop for a in annots):
            page.obj.Annots = Array([a for a in annots if a.objgen not in drop])
    for objgen in sorted(drop):
        owner, objr = owners[objgen]
        owner.K = Array([k for k in _kids(owner) if not _same(k, objr)])
        annot = objr.Obj
        if "/StructParent" in annot and int(annot.StructParent) in tree:
            del tree[int(annot.StructParent)]


# ------------------------------------------------------------------------------------------------------
# 4. Empty structure elements
# ------------------------------------------------------------------------------------------------------


def remove_empty_elements(pdf: pikepdf.Pdf) -> int:
    """Remove structure elements with no content at any depth; return how many."""
    # Such an element (an empty <span>, an element whose only OBJR moved) announces "here is a span" and
    # then nothing. It owns no MCID, so only its parent's /K changes. Table rows and cells are kept, so
    # that tables stay regular and /Headers references stay valid.
    removed = 0
    seen: set[tuple[int, int]] = set()

    def prune(node: Object) -> bool:
        """Prune the empty elements below `node`; tell whether `node` has content."""
        nonlocal removed
        kids = _kids(node)
        keep = []
        content = "/Alt" in node or "/ActualText" in node
        for kid in kids:
            if not _is_element(kid):
                keep.append(kid)  # an MCID, MCR or OBJR: content
                content = True
            elif kid.is_indirect and kid.objgen in seen:
                keep.append(kid)  # shared or cyclic: leave it alone
                content = True
            else:
                if kid.is_indirect:
                    seen.add(kid.objgen)
                if prune(kid) or str(kid.S) in TABLE_PARTS:
                    keep.append(kid)
                    content = True
                else:
                    removed += 1
        if len(keep) != len(kids):
            node.K = Array(keep)
        return content

    prune(pdf.Root.StructTreeRoot)
    return removed


# ------------------------------------------------------------------------------------------------------
# 5. Print flag
# ------------------------------------------------------------------------------------------------------


def set_print_flags(pdf: pikepdf.Pdf) -> int:
    """Set the Print flag on every annotation but pop-ups; return how many lacked it."""
    # WeasyPrint writes link annotations without /F. Without the Print flag, print and screen differ
    # (outloud LNK-004). Flags already set are kept.
    count = 0
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            if annot.get("/Subtype") == Name.Popup:
                continue
            flags = int(annot.get("/F", 0))
            if not flags & PRINT_FLAG:
                annot.F = flags | PRINT_FLAG
                count += 1
    return count


# ------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------

_ID_RE = re.compile(rb"/ID\s*\[\s*<[0-9A-Fa-f]*>\s*<[0-9A-Fa-f]*>\s*\]")
_STARTXREF_RE = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")


def _file_id(pdf: pikepdf.Pdf) -> tuple[bytes, bytes] | None:
    """Return the trailer's /ID pair, if it has one."""
    ids = pdf.trailer.get("/ID")
    if isinstance(ids, Array) and len(ids) == 2:
        return bytes(ids[0]), bytes(ids[1])
    return None


def _save(pdf: pikepdf.Pdf) -> bytes:
    """Write `pdf` deterministically, keeping the XMP packet as it is."""
    buffer = io.BytesIO()
    # deterministic_id: the new /ID[1] is a hash of the content, not of the time (it is then put back).
    # fix_metadata_version=False: pikepdf would otherwise rewrite the XMP packet.
    pdf.save(
        buffer,
        deterministic_id=True,
        compress_streams=True,
        fix_metadata_version=False,
        object_stream_mode=pikepdf.ObjectStreamMode.preserve,
    )
    return buffer.getvalue()


def _restore_file_id(written: bytes, file_id: tuple[bytes, bytes] | None) -> bytes:
    """Put the input's /ID back into the written file's trailer, so the file keeps its identity."""
    # qpdf keeps /ID[0] but always makes a new /ID[1]. The trailer (or cross-reference stream dictionary)
    # it writes last starts at the startxref offset, and nothing after it is addressed by an offset, so
    # the /ID there can change length without moving any object.
    if file_id is None:
        return written
    end = _STARTXREF_RE.search(written, max(0, len(written) - 64))
    found = _ID_RE.search(written, int(end[1])) if end else None
    if found is None:
        raise BuildError("cannot make the PDF accessible (PDF/UA-1): the written file has no /ID to restore")
    new_id = b"/ID [<" + file_id[0].hex().encode() + b"><" + file_id[1].hex().encode() + b">]"
    restored = written[: found.start()] + new_id + written[found.end() :]
    with pikepdf.open(io.BytesIO(restored)) as check:
        if _file_id(check) != file_id:
            raise BuildError("cannot make the PDF accessible (PDF/UA-1): the /ID could not be restored")
    return restored
