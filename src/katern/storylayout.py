"""Lay a publication out story by story, keep the laid-out parts, and join their pages into one PDF.

WeasyPrint lays out a whole document at once, but in a brochure every story starts on a new page.
`StoryLayout.render(html, ...)` takes the print HTML a whole-document build lays out (render.render_html
"print") and gives the same PDF (a katern.pdf.RenderedPdf), laid out in parts:

split   The units of the document are the children of <body> and of its <main> (cover, foreword,
        contents, each story, the factors, colophon, blank pages, back cover). One cheap probe layout of
        the units' empty start tags (every box made zero-sized) shows which units start a page by a forced
        break: those begin a part. A newsletter, whose stories flow on, stays one part (or a few).
layout  Each part is laid out as its own WeasyPrint document with the same base URL, URL fetcher and
        style sheets as katern.pdf uses (katern.pdf.lay_out_document), plus two rules: `@page :first
        { counter-reset: page N }` to continue the folios, and `html { break-before: left }` when the
        part starts on a left-hand page (WeasyPrint takes the first page's side from the root's
        break-before), so left/right page styles are those of the whole document. After its units the
        part has a sentinel: the next part's opening tag, empty and zero-sized, with its own classes and
        so its own break-before. The pages before the sentinel's page are the part's pages, including
        any blank page WeasyPrint puts in for a `break-before: left/right`; the sentinel's page is
        dropped, and its side and number are where the next part starts. A sentinel that does not start
        a page of its own means the parts were not separate pages: they are laid out as one part.
numbers A `target-counter(attr(href), page)` (the contents' page numbers) whose target lies in another
        part cannot be resolved there: the part gets a rule per such link with the same `content` and
        the page number as a literal string. The numbers come from the parts' page counts; a part whose
        numbers were not yet known is laid out again once they are (and the parts after it, should its
        page count change: at most a few rounds).
join    The parts' pages are joined with `Document.copy(pages)` and written once with katern.pdf's
        write options and the whole document's identifier (katern.pdf.write_document). Links to anchors
        in other parts resolve at writing, over all pages; bookmarks and the structure tree are made
        per page, so they are those of the whole document.

The laid-out parts are cached by their HTML and position: a second render with one story changed lays
out only that story (and the parts after it, if its page count or the side it ends on changed, and a
part whose contents numbers changed). What a part read while it was laid out (fonts, images) is traced
(katern.manifest) and replayed when it is reused, so the manifest still names every input.

Not supported (StoryLayoutError; the caller lays the whole document out instead): `@page :first` rules,
`target-text` / `target-counters`, `counter(pages)` and counters that run through the whole document (a
part would start them again) in the style sheets, text directly in <body> or <main>, and a document
without <body>. Not checked: a running string (`string-set`) must be set again on each part's first
page, as every unit of katern's layouts does (a story, the contents, the colophon set the running head;
the covers and blank pages show none); otherwise that page would show it empty where a whole-document
layout carries it over. The equivalence tests (tests/test_storylayout.py) are the judge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from katern.errors import BuildError

log = logging.getLogger(__name__)

SENTINEL = "katern-part-end"
CONTAINERS = ("main",)  # elements whose children are units (besides <body>'s)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
MAX_ROUNDS = 4  # layout rounds for the contents' page numbers to settle
ZERO = "height: 0 !important; min-height: 0 !important; max-height: 0 !important; margin: 0 !important; "
ZERO += "padding: 0 !important; border: 0 !important; position: static !important; float: none !important;"
PROBE_CSS = f"[data-katern-probe] {{ {ZERO} }} [data-katern-probe] > * {{ display: none !important; }}"
SENTINEL_CSS = f"#{SENTINEL} {{ {ZERO} }}"


class StoryLayoutError(BuildError):
    """The document cannot be laid out in parts; lay it out whole."""


# --- split ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One child of <body> (container None) or of a <main> (container: its index)."""

    start: int
    end: int
    tag: str
    start_tag: str
    container: int | None
    ident: str | None


@dataclass
class Split:
    """The print HTML cut into units: the text before and after them, the containers, the units."""

    html: str
    head: str  # everything up to and including <body ...>
    tail: str  # </body> and after
    containers: list[tuple[str, str]]  # (start tag, end tag)
    units: list[Unit]

    def text(self, index: int) -> str:
        unit = self.units[index]
        return self.html[unit.start : unit.end]

    def signature(self) -> tuple:
        return tuple((u.container, u.start_tag) for u in self.units)


class _Scanner(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.source = html
        self.lines = [0]
        for match in re.finditer("\n", html):
            self.lines.append(match.end())
        self.stack: list[str] = []
        self.body: tuple[int, int] | None = None  # offset after <body>, offset of </body>
        self.containers: list[tuple[str, str]] = []
        self.units: list[Unit] = []
        self.open: tuple | None = None  # (start, tag, start_tag, container, ident, depth)
        self.container: int | None = None
        self.container_depth = -1
        self.stray = False

    def _pos(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def _unit_depth(self) -> int:
        return self.container_depth + 1 if self.container is not None else self.body_depth + 1

    def handle_starttag(self, tag, attrs):
        start = self._pos()
        text = self.get_starttag_text() or ""
        if tag == "body" and self.body is None:
            self.body = (start + len(text), -1)
            self.stack.append(tag)
            self.body_depth = len(self.stack)
            return
        if self.body is None or self.body[1] >= 0:
            if tag not in VOID:
                self.stack.append(tag)
            return
        depth = len(self.stack) + 1
        if self.open is None and tag in CONTAINERS and self.container is None and depth == self.body_depth + 1:
            self.containers.append((text, f"</{tag}>"))
            self.container = len(self.containers) - 1
            self.container_depth = depth
            self.stack.append(tag)
            return
        if self.open is None and depth == self._unit_depth():
            ident = dict(attrs).get("id")
            if tag in VOID:
                self.units.append(Unit(start, start + len(text), tag, text, self.container, ident))
                return
            self.open = (start, tag, text, self.container, ident, depth)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1] == tag:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        start = self._pos()
        end = self.source.index(">", start) + 1
        if tag not in self.stack:
            return
        while self.stack and self.stack[-1] != tag:  # implied end tags
            self._close(start, start)
        self._close(start, end)

    def _close(self, start: int, end: int) -> None:
        depth = len(self.stack)
        tag = self.stack.pop()
        if self.open is not None and depth == self.open[5]:
            begin, name, text, container, ident, _ = self.open
            self.units.append(Unit(begin, end, name, text, container, ident))
            self.open = None
        elif self.container is not None and depth == self.container_depth:
            self.container = None
            self.container_depth = -1
        elif tag == "body" and self.body is not None:
            self.body = (self.body[0], start)

    def handle_data(self, data):
        if self.body is not None and self.body[1] < 0 and self.open is None and data.strip():
            self.stray = True


def split_html(html: str) -> Split:
    """Cut the print HTML into its units (see the module's docstring)."""
    scanner = _Scanner(html)
    scanner.feed(html)
    scanner.close()
    if scanner.body is None:
        raise StoryLayoutError("the print HTML has no <body>")
    body_start, body_end = scanner.body
    if body_end < 0:
        body_end = html.rindex("</body>") if "</body>" in html else len(html)
    if scanner.stray:
        raise StoryLayoutError("the print HTML has text directly in <body> or <main>")
    if not scanner.units:
        raise StoryLayoutError("the print HTML has nothing in <body>")
    return Split(html, html[:body_start], html[body_end:], scanner.containers, scanner.units)


def _with_id(start_tag: str, ident: str, extra: str = "") -> str:
    """`start_tag` with its id replaced by `ident` (and `extra` attributes)."""
    tag = re.sub(r"""\sid\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", "", start_tag)
    close = "/>" if tag.endswith("/>") else ">"
    return tag[: -len(close)].rstrip() + f' id="{ident}"{extra}>'


def _body(split: Split, indexes: list[int], sentinel: int | None) -> str:
    """The body of a part: its units in their containers, then the sentinel (an empty next unit)."""
    pieces: list[str] = []
    current: int | None = None

    def enter(container: int | None) -> None:
        nonlocal current
        if container != current:
            if current is not None:
                pieces.append(split.containers[current][1])
            if container is not None:
                pieces.append(split.containers[container][0])
            current = container

    for index in indexes:
        enter(split.units[index].container)
        pieces.append(split.text(index))
    if sentinel is not None:
        unit = split.units[sentinel]
        enter(unit.container)
        pieces.append(_with_id(unit.start_tag, SENTINEL) + ("" if unit.tag in VOID else f"</{unit.tag}>"))
    enter(None)
    return "\n".join(pieces)


def _probe_html(split: Split) -> str:
    """Every unit as its empty, zero-sized start tag, each with an id: which ones start a page?"""
    pieces: list[str] = []
    current: int | None = None
    for index, unit in enumerate(split.units):
        if unit.container != current:
            if current is not None:
                pieces.append(split.containers[current][1])
            if unit.container is not None:
                pieces.append(split.containers[unit.container][0])
            current = unit.container
        tag = _with_id(unit.start_tag, f"katern-probe-{index}", " data-katern-probe")
        pieces.append(tag + ("" if unit.tag in VOID else f"</{unit.tag}>"))
    if current is not None:
        pieces.append(split.containers[current][1])
    return split.head + "\n".join(pieces) + split.tail


# --- contents page numbers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CounterRule:
    selectors: tuple[str, ...]
    before: str  # the content value's text before target-counter(...)
    after: str


def _style_text(html: str) -> str:
    return "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S | re.I))


def counter_rules(css: str) -> list[CounterRule]:
    """The rules whose `content` shows `target-counter(attr(href), page)` (as the contents' page numbers)."""
    import tinycss2

    if re.search(r"target-(text|counters)\s*\(", css):
        raise StoryLayoutError("the style sheets use target-text() or target-counters()")
    if re.search(r"@page[^{]*:first", css):
        raise StoryLayoutError("the style sheets have @page :first rules")
    if re.search(r"counters?\(\s*pages\b", css):
        raise StoryLayoutError("the style sheets show the number of pages (counter(pages))")
    _check_counters(css)
    rules: list[CounterRule] = []

    def visit(nodes) -> None:
        for node in nodes:
            if node.type == "at-rule" and node.content is not None and node.lower_at_keyword in ("media", "supports"):
                visit(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True))
            if node.type != "qualified-rule":
                continue
            for declaration in tinycss2.parse_declaration_list(node.content, skip_comments=True):
                if declaration.type != "declaration" or declaration.lower_name != "content":
                    continue
                functions = [t for t in declaration.value if t.type == "function" and t.lower_name == "target-counter"]
                if not functions:
                    continue
                arguments = tinycss2.serialize(functions[0].arguments).replace(" ", "")
                if len(functions) > 1 or arguments != "attr(href),page":
                    raise StoryLayoutError(f"unsupported content: {tinycss2.serialize(declaration.value)}")
                at = declaration.value.index(functions[0])
                before = tinycss2.serialize(declaration.value[:at]).strip()
                after = tinycss2.serialize(declaration.value[at + 1 :]).strip()
                selectors = tuple(s.strip() for s in _comma_split(tinycss2.serialize(node.prelude)))
                rules.append(CounterRule(selectors, before, after))

    visit(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return rules


def _check_counters(css: str) -> None:
    """Refuse counters that run through the document (a part would start them again): every counter shown
    must be reset by a rule for something smaller than the document (not html, :root, body or main)."""
    shown = set(re.findall(r"(?<![-\w])counters?\(\s*([-\w]+)", css)) - {"page", "pages"}
    for name in sorted(shown):
        resets = re.findall(rf"([^{{}}]*)\{{[^}}]*counter-reset\s*:[^;}}]*\b{re.escape(name)}\b", css)
        roots = [s for s in resets if re.search(r"(^|[\s,>])(html|:root|body|main)\s*(,|$)", s.strip())]
        if not resets or roots:
            raise StoryLayoutError(f"the counter '{name}' runs through the whole document")


def _comma_split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "(["
        depth -= char in ")]"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def numbers_css(rules: list[CounterRule], numbers: dict[str, int]) -> str:
    """A rule per link and counter rule that shows the link target's page number as a literal.

    The rules are !important: style sheets given to WeasyPrint beside the document's are of the user's
    origin, which an author's rule of any specificity beats.
    """
    lines = []
    for name, number in sorted(numbers.items()):
        attribute = f"[href={_css_string('#' + name)}]"
        for rule in rules:
            selectors = []
            for selector in rule.selectors:
                match = re.search(r"(::?(?:after|before|marker))\s*$", selector)
                if match:
                    selectors.append(selector[: match.start()] + attribute + match.group(1))
                else:
                    selectors.append(selector + attribute)
            value = " ".join(v for v in (rule.before, _css_string(str(number)), rule.after) if v)
            lines.append(f"{', '.join(selectors)} {{ content: {value} !important; }}")
    return "\n".join(lines)


# --- the parts and the cache ---------------------------------------------------------------------------------


@dataclass
class LaidOut:
    """One part laid out: its Document (kept alive for its pages and fonts), its pages and where it ends."""

    document: object
    pages: list  # weasyprint Page
    next_side: str | None  # the side the next part starts on (None: the last part)
    warnings: list[str]
    errors: list[str]
    trace: object  # katern.manifest.Trace of what laying it out read
    seconds: float


@dataclass
class Part:
    units: list[int]
    html: str = ""  # the part's document, without the position rules
    links: set[str] = field(default_factory=set)  # internal link targets (#name) in this part
    anchors: set[str] = field(default_factory=set)  # ids of this part's units and their descendants
    last: bool = False  # the last part: no sentinel after it

    @property
    def label(self) -> str:
        return ",".join(str(u) for u in self.units)


class StoryLayout:
    """Lay out print HTML in parts and join them; keep the parts for the next render (see the docstring).

    `layouts` counts the part layouts done, `probes` the probe layouts; `laid_out` and `reused` name the
    parts of the last render laid out and taken from the cache (by their units' numbers, "3" or "0,1,2"),
    for tests and the bench.
    """

    def __init__(self, max_cached: int = 200):
        self.cache: dict[str, LaidOut] = {}
        self.max_cached = max_cached
        self.boundaries: dict[tuple, set[int]] = {}  # split signature -> units that start a part
        self.numbers: dict[str, int] = {}  # anchor -> page number, from the last render
        self.layouts = 0
        self.probes = 0
        self.laid_out: list[str] = []
        self.reused: list[str] = []
        self.seconds: dict[str, float] = {}

    def render(
        self,
        html: str,
        base_url: Path,
        allowed: list[Path],
        stamp: dt.datetime,
        variant: str | None = "pdf/ua-1",
        extra_css: str | None = None,
        preflight: bool = False,
        lazy: bool = False,
    ):
        """Lay `html` out in parts and return the katern.pdf.RenderedPdf a whole-document layout gives.

        With `lazy`, the PDF is written when its `data` is first read (a make-up pass that lays a
        publication out several times keeps one): everything else (pages, anchors, lines, faults,
        warnings) is there at once. A document with a link to an anchor it lacks, of which writing
        warns, is written at once all the same.
        """
        from katern.pdf import (
            LazyPdf,
            ProjectURLFetcher,
            ResourceOutsideProject,
            _source_date_epoch,
            collect_weasyprint_warnings,
            dangling_links,
            pdf_identifier,
            rendered_pdf,
            write_document,
            written_later,
        )

        started = time.perf_counter()
        self.laid_out, self.reused = [], []
        split = split_html(html)
        rules = counter_rules(_style_text(html) + "\n" + (extra_css or ""))
        fetcher = ProjectURLFetcher(allowed)
        try:
            with _source_date_epoch(stamp):
                starts = self._boundaries(split, base_url, fetcher, extra_css)
                parts = self._parts(split, starts)
                laid = self._lay_out_parts(split, parts, rules, base_url, fetcher, extra_css)
                pages = [page for part in laid for page in part.pages]
                document = laid[0].document.copy(pages)
                identifier = pdf_identifier(html, extra_css)
                lazy = lazy and not dangling_links(pages)
                data, written = None, []
                if not lazy:
                    with collect_weasyprint_warnings() as collected:
                        data = write_document(document, stamp, identifier, variant)
                    written = [*collected.warnings, *collected.errors]
        except ResourceOutsideProject as exc:
            raise BuildError(str(exc)) from exc
        except StoryLayoutError:
            raise
        except BuildError:
            raise
        except Exception as exc:  # WeasyPrint raises many kinds; report them as a build error.
            raise BuildError(f"WeasyPrint could not lay out the publication: {exc}") from exc
        warnings = list(dict.fromkeys([w for part in laid for w in part.warnings] + written))
        errors = list(dict.fromkeys(e for part in laid for e in part.errors))
        result = rendered_pdf(document, data, warnings, errors, preflight)
        if lazy:
            result = LazyPdf(lambda: written_later(document, stamp, identifier, variant), result)
        self.numbers = dict(result.anchors)
        self._trim(len(laid))
        self.seconds["render"] = time.perf_counter() - started
        return result

    # --- steps ---------------------------------------------------------------------------------------------

    def _boundaries(self, split: Split, base_url: Path, fetcher, extra_css: str | None) -> set[int]:
        """The units that start a part: those a forced page break puts on a new page (one probe layout)."""
        from katern.pdf import collect_weasyprint_warnings, lay_out_document

        signature = split.signature()
        if signature in self.boundaries:
            return self.boundaries[signature]
        self.probes += 1
        with collect_weasyprint_warnings():
            document = lay_out_document(_probe_html(split), base_url, fetcher, _join_css(extra_css, PROBE_CSS))
        page_of: dict[int, int] = {}
        for number, page in enumerate(document.pages):
            for anchor in page.anchors:
                if anchor.startswith("katern-probe-"):
                    page_of.setdefault(int(anchor.rsplit("-", 1)[1]), number)
        starts = {0}
        for index in range(1, len(split.units)):
            here, before = page_of.get(index), page_of.get(index - 1)
            if here is not None and before is not None and here > before:
                starts.add(index)
        self.boundaries[signature] = starts
        return starts

    def _parts(self, split: Split, starts: set[int]) -> list[Part]:
        parts: list[Part] = []
        for index in range(len(split.units)):
            if index in starts or not parts:
                parts.append(Part([index]))
            else:
                parts[-1].units.append(index)
        return parts

    def _fill(self, split: Split, parts: list[Part]) -> None:
        for number, part in enumerate(parts):
            sentinel = parts[number + 1].units[0] if number + 1 < len(parts) else None
            part.html = split.head + _body(split, part.units, sentinel) + split.tail
            part.last = sentinel is None
            text = "\n".join(split.text(i) for i in part.units)
            part.links = set(re.findall(r"""href\s*=\s*["']#([^"']+)["']""", text))
            part.anchors = set(re.findall(r"""\sid\s*=\s*["']([^"']+)["']""", text))

    def _lay_out_parts(self, split, parts, rules, base_url, fetcher, extra_css) -> list[LaidOut]:
        """Lay out every part (from the cache where it can), merging parts that turn out not to start a page."""
        for _round in range(MAX_ROUNDS):
            self._fill(split, parts)
            owner = {anchor: n for n, part in enumerate(parts) for anchor in part.anchors}
            laid: list[LaidOut] = []
            used: list[dict[str, int]] = []
            start, side = 1, "right"
            merged = False
            for number, part in enumerate(parts):
                foreign = {name for name in part.links if owner.get(name, number) != number} if rules else set()
                numbers = {name: self.numbers.get(name, 0) for name in foreign}
                item = self._lay_out(part, start, side, numbers, rules, base_url, fetcher, extra_css)
                if item is None:  # its sentinel did not start a page: the next part is no part of its own
                    starts = self.boundaries[split.signature()]
                    starts.discard(parts[number + 1].units[0])
                    parts[number : number + 2] = [Part(part.units + parts[number + 1].units)]
                    merged = True
                    break
                laid.append(item)
                used.append(numbers)
                start += len(item.pages)
                side = item.next_side or side
            if merged:
                continue
            real = {}
            page = 1
            for item in laid:
                for p in item.pages:
                    for anchor in p.anchors:
                        real.setdefault(anchor, page)
                    page += 1
            stale = any(real.get(name, 0) != value for numbers in used for name, value in numbers.items())
            self.numbers = real
            if not stale:
                return laid
        raise StoryLayoutError(f"the contents' page numbers did not settle in {MAX_ROUNDS} layouts")

    def _lay_out(self, part, start, side, numbers, rules, base_url, fetcher, extra_css) -> LaidOut | None:
        """Lay out one part at page `start` on side `side`; None when its sentinel does not start a page."""
        from katern.manifest import replay, tracing
        from katern.pdf import collect_weasyprint_warnings, lay_out_document

        position = []
        if start > 1:
            position.append(f"@page :first {{ counter-reset: page {start} !important; }}")
        if side == "left":
            position.append("html { break-before: left !important; }")
        css = _join_css(extra_css, SENTINEL_CSS, "\n".join(position), numbers_css(rules, numbers))
        key = hashlib.sha256((part.html + "\0" + css).encode("utf-8")).hexdigest()
        label = part.label
        cached = self.cache.get(key)
        if cached is not None:
            self.cache[key] = self.cache.pop(key)  # most recently used last
            replay(cached.trace)
            self.reused.append(label)
            return cached
        began = time.perf_counter()
        with tracing() as trace, collect_weasyprint_warnings() as collected:
            document = lay_out_document(part.html, base_url, fetcher, css)
        self.layouts += 1
        self.laid_out.append(label)
        pages = list(document.pages)
        sentinel = next((n for n, page in enumerate(pages) if SENTINEL in page.anchors), None)
        next_side = None
        if not part.last:
            if sentinel is None or sentinel == 0 or not _alone(pages[sentinel]):
                return None
            first = side == "right"
            next_side = "right" if (first if sentinel % 2 == 0 else not first) else "left"
            pages = pages[:sentinel]
        warnings = [w for w in collected.warnings]
        item = LaidOut(document, pages, next_side, warnings, list(collected.errors), trace, time.perf_counter() - began)
        self.cache[key] = item
        return item

    def _trim(self, used: int) -> None:
        """Forget the least recently used parts beyond twice those of the last render (and `max_cached`)."""
        limit = min(self.max_cached, max(2 * used, 8))
        while len(self.cache) > limit:
            self.cache.pop(next(iter(self.cache)))


def _join_css(*pieces: str | None) -> str:
    return "\n".join(p for p in pieces if p)


def _alone(page) -> bool:
    """Say whether the page holds nothing but the sentinel (and the html, body and container boxes)."""
    from weasyprint.formatting_structure.boxes import MarginBox

    stack = list(getattr(page._page_box, "children", ()))
    while stack:
        box = stack.pop()
        if isinstance(box, MarginBox):
            continue
        element = getattr(box, "element", None)
        if element is not None and element.get("id") == SENTINEL:
            continue
        tag = getattr(box, "element_tag", None)
        if tag not in ("html", "body", *CONTAINERS) and element is not None:
            return False
        stack.extend(getattr(box, "children", None) or ())
    return True
