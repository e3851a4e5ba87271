"""Layout preflight: typographic faults measured from WeasyPrint's laid-out document.

`preflight(document)` walks the box tree of every page of a rendered
`weasyprint.document.Document` (what `weasyprint.HTML(...).render()` returns) and reports what a
careful typesetter would fix by hand: widows and orphans, ladders of hyphenated lines, hyphenated
web and e-mail addresses and display text, near-empty and run-out pages, empty or unbalanced
columns, headings and intros stranded at the foot of a page or column, and text running out of its
box. Nothing is guessed from the source: every fault is read from the line boxes WeasyPrint laid
out, so it is exactly what is printed.

Each fault names its page (1-based), the story it sits in (the id of the enclosing
`<article class="story">`, or else of the enclosing section such as "colofon"; "" when neither)
and says in plain words what is wrong and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from weasyprint.formatting_structure import boxes as B

# The kinds of fault, in the order their checks are described in the README.
WIDOW = "widow"
ORPHAN = "orphan"
HYPHEN_LADDER = "hyphen-ladder"
HYPHENATED_ADDRESS = "hyphenated-address"
HYPHENATED_DISPLAY = "hyphenated-display"
NEAR_EMPTY_PAGE = "near-empty-page"
RUN_OUT_PAGE = "run-out-page"
EMPTY_COLUMN = "empty-column"
STRANDED_HEADING = "stranded-heading"
OVERFLOW = "overflow"
KINDS = (
    WIDOW,
    ORPHAN,
    HYPHEN_LADDER,
    HYPHENATED_ADDRESS,
    HYPHENATED_DISPLAY,
    NEAR_EMPTY_PAGE,
    RUN_OUT_PAGE,
    EMPTY_COLUMN,
    STRANDED_HEADING,
    OVERFLOW,
)

# Thresholds. WeasyPrint measures in CSS pixels: 1 px = 0.75 pt.
PX_PER_PT = 4 / 3
MIN_LINES_AT_BREAK = 2  # fewer lines of a paragraph than this on one side of a page or column break: widow/orphan
MAX_HYPHENS_IN_A_ROW = 2  # more hyphenated line ends in a row than this: a hyphen ladder
NEAR_EMPTY_FILL = 0.15  # a page whose lines (width x height) cover less than this share of its text area
RUN_OUT_LINES = 4  # a story's last page holding this many of its lines or fewer is a run-out page
SHORT_COLUMN_FILL = 0.6  # a column the text leaves with less than this share of its height filled, going on
UNBALANCED_FILL = 0.5  # a story's last columns: the first more than this full, the others empty
OVERFLOW_TOLERANCE = 1 * PX_PER_PT  # text may stick out of its box by 1 pt (rounding, italic overhang)

# Text that must never be hyphenated: titles, intros, quotes in display type, labels and names.
DISPLAY_TAGS = frozenset({"h1", "h2", "h3", "h4"})
DISPLAY_CLASSES = frozenset(
    {
        "lead",
        "pullquote",
        "box-title",
        "tips-title",
        "reaction-label",
        "reaction-title",
        "place",
        "reaction-name",
        "signature-name",
        "cover-title",
        "cover-subtitle",
        "masthead-title",
        "masthead-edition",
        "kicker",
        "name",  # a name inside a sentence (markup.py sets it in <span class="name">)
    }
)
# Blocks that must be followed on the same page (or column) by what they introduce.
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
HEADING_CLASSES = frozenset({"place", "lead", "story-header", "kicker"})
# Pages that are meant to hold little: the covers, and the blank pages that pad a brochure to a multiple of 4.
COVER_CLASSES = frozenset({"cover", "back-cover", "blank-page"})  # blank-page: the padding to 4
FORCED_BREAKS = frozenset({"page", "left", "right", "recto", "verso"})

ADDRESS_RE = re.compile(r"https?:|www\.|@|\w\.(nl|com|org|net|eu|be|de|info|gov)\b", re.I)
WORD_END_RE = re.compile(r"(\w+)$")
WORD_START_RE = re.compile(r"^(\w+)")
SPACE_RE = re.compile(r"\s+")
INVISIBLE_RE = re.compile("[\u00ad\u200b\u2060\ufeff]")  # soft hyphen, zero-width space, word joiners


@dataclass(frozen=True)
class Fault:
    """One layout fault: its kind (one of KINDS), 1-based page, story slug ("" outside a story), message."""

    kind: str
    page: int
    story: str
    message: str

    def __str__(self) -> str:
        where = f"page {self.page}" + (f", story '{self.story}'" if self.story else "")
        return f"{where}: {self.kind}: {self.message}"

    @property
    def sort_key(self) -> tuple:
        return (self.page, self.story, KINDS.index(self.kind) if self.kind in KINDS else len(KINDS), self.message)


@dataclass
class _Line:
    box: B.LineBox
    page: int
    story: str
    column: _Column | None
    texts: list[B.TextBox]
    ancestors: tuple  # boxes from the page down to the line's block
    text: str = ""
    chains: list[tuple] = field(default_factory=list)  # for each text box, the boxes above it

    @property
    def bottom(self) -> float:
        return self.box.position_y + self.box.height


@dataclass
class _Fragment:
    """The part of one block's lines that lies on one page (or in one column)."""

    box: B.Box
    key: tuple  # (id(element), element_tag): the same for every fragment of one block
    page: int
    story: str
    column: _Column | None
    nested: bool  # an inline-block inside a line: part of that line, not a paragraph of its own
    lines: list[_Line] = field(default_factory=list)

    @property
    def region(self) -> tuple:
        return (self.page, id(self.column.box) if self.column else None)


@dataclass
class _Column:
    box: B.Box
    container: B.Box
    index: int  # 0 for the first (left) column
    bottom: float | None = None  # lowest content in it


@dataclass
class _Multicol:
    container: B.Box
    key: tuple
    page: int
    story: str
    columns: list[_Column]


@dataclass
class _Page:
    number: int
    box: B.PageBox
    top: float
    bottom: float
    right: float
    content_bottom: float | None = None
    area: float = 0.0  # the area its lines and images cover: their width times their height
    first_chain: tuple = ()  # the boxes above the first line on the page
    classes: set = field(default_factory=set)
    lines: list[_Line] = field(default_factory=list)


def _element_classes(box) -> set[str]:
    element = getattr(box, "element", None)
    if element is None or not hasattr(element, "get"):
        return set()
    return set((element.get("class") or "").split())


def _tag(box) -> str:
    return (getattr(box, "element_tag", None) or "").split("::")[0]


def _unwrap(child):
    """Return the box an absolutely positioned placeholder stands for (or the child itself)."""
    return getattr(child, "_box", child)


def _key(box) -> tuple:
    return (id(box.element), box.element_tag)


def _snippet(text: str, length: int = 40) -> str:
    text = SPACE_RE.sub(" ", text).strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


class _Walker:
    """Collect the lines, block fragments, columns and pages of a laid-out document."""

    def __init__(self, document):
        self.pages: list[_Page] = []
        self.fragments: list[_Fragment] = []
        self.multicols: list[_Multicol] = []
        self.overflows: dict[tuple, tuple[float, _Line, str]] = {}  # (page, fragment key) -> worst
        self.first_page: dict[tuple, int] = {}  # element key -> first page it is laid out on
        self.story_ids: set[str] = set()  # the ids of the stories (the rest are sections: "colofon")
        for number, page in enumerate(document.pages, 1):
            box = page._page_box
            info = _Page(
                number,
                box,
                top=box.content_box_y(),
                bottom=box.content_box_y() + box.height,
                right=box.content_box_x() + box.width,
            )
            self.pages.append(info)
            for child in box.children:
                if isinstance(child, B.MarginBox):
                    continue  # running heads and page numbers
                self._block(child, info, "", None, (), nested=False)

    # The walk ---------------------------------------------------------------------------------

    def _note_element(self, box, page: _Page) -> None:
        if getattr(box, "element", None) is not None:
            self.first_page.setdefault(_key(box), page.number)
            page.classes |= _element_classes(box)

    def _block(self, box, page: _Page, story: str, column, ancestors: tuple, nested: bool) -> None:
        """Walk a block-level box (or the page's root box)."""
        if getattr(box, "is_outside_marker", False):
            return
        self._note_element(box, page)
        element = getattr(box, "element", None)
        if element is not None and element.get("id"):
            if _tag(box) == "article" and "story" in _element_classes(box):
                story = element.get("id")  # a story
                self.story_ids.add(story)
            elif not story and _tag(box) in {"section", "nav"}:
                story = element.get("id")  # a section outside the stories: "voorwoord", "colofon"
        ancestors = (*ancestors, box)
        if isinstance(box, B.ReplacedBox):
            self._content(page, column, box.position_y + box.margin_height())
            page.area += box.width * box.height
            self._overflow_replaced(box, page, story, ancestors)
            return
        if column is not None and not box.is_column and box.border_height() > 0:
            column.bottom = max(column.bottom or 0.0, box.border_box_y() + box.border_height())  # boxes, images
        children = [c for c in map(_unwrap, getattr(box, "children", ())) if isinstance(c, B.Box)]
        columns = [c for c in children if c.is_column]
        if columns:
            multicol = _Multicol(box, _key(box), page.number, story, [])
            self.multicols.append(multicol)
        if any(isinstance(c, B.LineBox) for c in children):
            fragment = _Fragment(box, _key(box), page.number, story, column, nested)
            self.fragments.append(fragment)
            for child in children:
                if isinstance(child, B.LineBox):
                    self._line(child, fragment, page, story, column, ancestors)
                else:
                    self._block(child, page, story, column, ancestors, nested)
            return
        for child in children:
            child_column = column
            if child.is_column:
                child_column = _Column(child, box, len(multicol.columns))
                multicol.columns.append(child_column)
            self._block(child, page, story, child_column, ancestors, nested)

    def _line(self, box: B.LineBox, fragment: _Fragment, page: _Page, story, column, ancestors) -> None:
        line = _Line(box, page.number, story, column, [], ancestors)
        fragment.lines.append(line)
        page.lines.append(line)
        if not page.first_chain:
            page.first_chain = ancestors
        self._content(page, column, line.bottom)
        if not fragment.nested:
            page.area += fragment.box.width * box.height
        self._inline(box, line, page, story, column, ancestors)
        line.text = INVISIBLE_RE.sub("", "".join(t.text for t in line.texts))
        if line.bottom > page.bottom + OVERFLOW_TOLERANCE:
            over = line.bottom - page.bottom
            self._note_overflow(page, fragment.key, over, line, "below the bottom of the page's text area")

    def _inline(self, box, line: _Line, page: _Page, story, column, ancestors) -> None:
        for child in map(_unwrap, getattr(box, "children", ())):
            if not isinstance(child, B.Box):
                continue
            if isinstance(child, B.TextBox):
                line.texts.append(child)
                line.chains.append((*ancestors, box))  # for the display-text check
                self._overflow_text(child, line, page, ancestors)
            elif isinstance(child, B.ReplacedBox):
                self._overflow_replaced(child, page, story, ancestors)
            elif isinstance(child, B.InlineBox):
                self._note_element(child, page)
                self._inline(child, line, page, story, column, (*ancestors, box))
            elif isinstance(child, (B.BlockContainerBox, B.ParentBox)):
                self._block(child, page, story, column, (*ancestors, box), nested=True)

    def _content(self, page: _Page, column, bottom: float) -> None:
        page.content_bottom = bottom if page.content_bottom is None else max(page.content_bottom, bottom)
        if column is not None:
            column.bottom = bottom if column.bottom is None else max(column.bottom, bottom)

    # Overflow ---------------------------------------------------------------------------------

    def _container(self, ancestors):
        return next(
            (a for a in reversed(ancestors) if isinstance(a, B.BlockContainerBox) and not isinstance(a, B.LineBox)),
            None,
        )

    def _overflow_text(self, text: B.TextBox, line: _Line, page: _Page, ancestors) -> None:
        right = text.position_x + text.width
        container = self._container(ancestors)
        where, limit = "past the right edge of the page's text area", page.right
        if container is not None and container.content_box_x() + container.width < limit:
            where, limit = "past the right edge of its column or box", container.content_box_x() + container.width
        if right > limit + OVERFLOW_TOLERANCE:
            self._note_overflow(page, _key(container or line.box), right - limit, line, where)

    def _overflow_replaced(self, box, page: _Page, story, ancestors) -> None:
        line = _Line(box, page.number, story, None, [], ancestors, text="(image)")
        right = box.border_box_x() + box.border_width()
        bottom = box.border_box_y() + box.border_height()
        if right > page.right + OVERFLOW_TOLERANCE:
            self._note_overflow(
                page, _key(box), right - page.right, line, "past the right edge of the page's text area"
            )
        elif bottom > page.bottom + OVERFLOW_TOLERANCE:
            self._note_overflow(page, _key(box), bottom - page.bottom, line, "below the bottom of the page's text area")

    def _note_overflow(self, page: _Page, key, amount: float, line: _Line, where: str) -> None:
        current = self.overflows.get((page.number, key))
        if current is None or amount > current[0]:
            self.overflows[(page.number, key)] = (amount, line, where)


# The checks --------------------------------------------------------------------------------


def preflight(document) -> list[Fault]:
    """Return the layout faults of a laid-out WeasyPrint document, sorted by page, story and kind."""
    walker = _Walker(document)
    faults: list[Fault] = []
    faults += _widows_and_orphans(walker)
    faults += _hyphenation(walker)
    faults += _pages(walker)
    faults += _columns(walker)
    faults += _stranded(walker)
    faults += _overflow(walker)
    return sorted(set(faults), key=lambda f: f.sort_key)


def _where(fragment: _Fragment, page: int) -> str:
    """Say where a fragment lies, as seen from the fault's `page`: "column 2", "page 7", "column 1 of page 7"."""
    column = f"column {fragment.column.index + 1}" if fragment.column is not None else ""
    if fragment.page == page:
        return column or "this page"
    return f"{column} of page {fragment.page}" if column else f"page {fragment.page}"


def _split(before: _Fragment, after: _Fragment) -> bool:
    """Say whether `after` continues the block of `before` across a page or column break."""
    if before.key != after.key or before.region == after.region:
        return False
    if before.box.style["box_decoration_break"] == "clone":
        return True  # WeasyPrint keeps both fragments' decoration: no mark to check
    # WeasyPrint takes the bottom decoration off a block it breaks, and the top off its continuation.
    return "bottom" in before.box.remove_decoration_sides or "top" in after.box.remove_decoration_sides


def _widows_and_orphans(walker: _Walker) -> list[Fault]:
    """A paragraph broken over a page or column leaves fewer than MIN_LINES_AT_BREAK lines on one side."""
    faults = []
    chains: list[list[_Fragment]] = []  # the fragments of each block, when it is broken
    for fragment in (f for f in walker.fragments if not f.nested and f.lines):
        if chains and _split(chains[-1][-1], fragment):
            chains[-1].append(fragment)
        else:
            chains.append([fragment])
    for chain in chains:
        if len(chain) < 2:
            continue
        first, second, last = chain[0], chain[1], chain[-1]
        if len(first.lines) < MIN_LINES_AT_BREAK:
            faults.append(
                Fault(
                    ORPHAN,
                    first.page,
                    first.story,
                    f"the paragraph starting '{_snippet(first.lines[0].text)}' leaves only its first "
                    f"{len(first.lines)} line(s) at the foot of {_where(first, first.page)}; the rest follows in "
                    f"{_where(second, first.page)}. Keep at least {MIN_LINES_AT_BREAK} lines together: cut or add "
                    "a line in the text before it, so the paragraph starts after the break or brings another line.",
                )
            )
        if len(last.lines) < MIN_LINES_AT_BREAK:
            faults.append(
                Fault(
                    WIDOW,
                    last.page,
                    last.story,
                    f"the last {len(last.lines)} line(s) of a paragraph ('{_snippet(last.lines[-1].text)}') "
                    f"stand alone at the top of {_where(last, last.page)}. Keep at least {MIN_LINES_AT_BREAK} lines "
                    "together: cut a few words from the paragraph so it ends before the break, or add some so "
                    "another line comes along.",
                )
            )
    return faults


def _source_text(element, cache: dict) -> str:
    key = id(element)
    if key not in cache:
        text = "".join(element.itertext()) if element is not None and hasattr(element, "itertext") else ""
        cache[key] = SPACE_RE.sub(" ", INVISIBLE_RE.sub("", text)).lower()
    return cache[key]


def _break_at(line: _Line, following: _Line | None, block, cache: dict) -> tuple[bool | None, str]:
    """Say how `line` ends: (True, word) in a hyphen WeasyPrint added, (False, word) in one of the text, or (None, "").

    `word` is the broken word as printed, with the hyphen ("samenwer-king"). A hyphen is the
    text's own when the source has the word with it ("mbo-school"); otherwise it was added.
    """
    if not line.texts or following is None:
        return None, ""
    hyphen = line.texts[-1].style["hyphenate_character"] or "-"
    text = line.text.rstrip()
    if not text.endswith(hyphen):
        return None, ""
    tail = WORD_END_RE.search(text[: -len(hyphen)])
    head = WORD_START_RE.search(following.text.lstrip())
    if tail is None or head is None:
        return None, ""  # a dash standing alone, or no word follows
    word = tail.group(1) + hyphen + head.group(1)
    source = _source_text(block.element, cache)
    if word.lower() in source or (tail.group(1) + "-" + head.group(1)).lower() in source:
        return False, word  # the hyphen is in the text
    if (tail.group(1) + head.group(1)).lower() in source:
        return True, word
    return line.texts[-1].style["hyphens"] == "auto", word  # generated or transformed text: trust the style


def _classes_up(line: _Line) -> tuple[set[str], set[str]]:
    """Return the tags and classes of the line's last text box and every box above it."""
    tags, classes = {_tag(line.texts[-1])}, set()
    for box in line.chains[-1]:
        tags.add(_tag(box))
        classes |= _element_classes(box)
    return tags, classes


def _hyphenation(walker: _Walker) -> list[Fault]:
    """Hyphen ladders, hyphenated addresses and hyphenated display text."""
    faults = []
    cache: dict = {}
    by_block: dict[tuple, list[_Line]] = {}
    blocks: dict[tuple, B.Box] = {}
    for fragment in walker.fragments:
        by_block.setdefault(fragment.key, []).extend(fragment.lines)
        blocks.setdefault(fragment.key, fragment.box)
    for key, lines in by_block.items():
        run: list[tuple[_Line, str]] = []
        display: dict[int, list[tuple[_Line, str, str]]] = {}  # page -> hyphenated display lines
        for index, line in enumerate(lines):
            following = lines[index + 1] if index + 1 < len(lines) else None
            added, word = _break_at(line, following, blocks[key], cache)
            if added is not None:
                tags, classes = _classes_up(line)
                token = line.text.split()[-1] + following.text.split()[0]
                if "address" in classes or ADDRESS_RE.search(token):  # not every link's text is an address
                    faults.append(_address_fault(line, token, added, "a" in tags))
                elif added and (tags & DISPLAY_TAGS or classes & DISPLAY_CLASSES):
                    what = sorted((tags & DISPLAY_TAGS) | (classes & DISPLAY_CLASSES))[0]
                    display.setdefault(line.page, []).append((line, word, what))
            if added:
                run.append((line, word))
                continue
            faults += _ladder(run)
            run = []
        faults += _ladder(run)
        for page, found in display.items():
            first, _, what = found[0]
            words = ", ".join(f"'{w}'" for _, w, _ in found)
            faults.append(
                Fault(
                    HYPHENATED_DISPLAY,
                    page,
                    first.story,
                    f"the {_display_name(what)} '{_snippet(lines[0].text)}' is hyphenated at "
                    f"{len(found)} line end(s): {words}. Titles, intros, quotes and names should not be "
                    "hyphenated: give it `hyphens: manual` in the style, or rephrase it.",
                )
            )
    return faults


def _address_fault(line: _Line, token: str, added: bool, link: bool) -> Fault:
    how = (
        "it was hyphenated, so the hyphen looks like part of the address"
        if added
        else "it breaks after one of its own hyphens, so a reader cannot tell whether the hyphen belongs to it"
    )
    fix = "Reword the sentence so the address fits on one line"
    if added:
        fix += (
            "; links must never be hyphenated: give them `hyphens: manual` in the style"
            if link
            else ", or write it as a link, which is never hyphenated"
        )
    return Fault(
        HYPHENATED_ADDRESS,
        line.page,
        line.story,
        f"the address '{_snippet(token, 60)}' is broken over two lines and {how}. {fix}.",
    )


def _display_name(what: str) -> str:
    names = {
        "h1": "title",
        "h2": "heading",
        "h3": "heading",
        "h4": "heading",
        "lead": "intro",
        "place": "place name",
        "pullquote": "quote",
    }
    return names.get(what, what.replace("-", " "))


def _ladder(run: list[tuple[_Line, str]]) -> list[Fault]:
    if len(run) <= MAX_HYPHENS_IN_A_ROW:
        return []
    first = run[0][0]
    pages = sorted({line.page for line, _ in run})
    on = "" if len(pages) == 1 else f" on pages {pages[0]}-{pages[-1]}"
    words = ", ".join(f"'{word}'" for _, word in run)
    return [
        Fault(
            HYPHEN_LADDER,
            first.page,
            first.story,
            f"{len(run)} lines in a row end in a hyphen{on} ({words}); at most {MAX_HYPHENS_IN_A_ROW} "
            "in a row read well. Rephrase a sentence there, or change a word so a line breaks elsewhere.",
        )
    ]


def _is_cover(page: _Page) -> bool:
    """Say whether the page is a cover or back cover (meant to hold little text)."""
    if page.first_chain:
        return any(_element_classes(box) & COVER_CLASSES for box in page.first_chain)
    return bool(page.classes & COVER_CLASSES)


def _deliberate_start(page: _Page, walker: _Walker) -> bool:
    """Say whether the page starts with an element that asks for a new page (break-before: page)."""
    if page.number == 1:
        return True  # the first page starts the document
    for box in page.first_chain:
        if getattr(box, "element", None) is None:
            continue
        if walker.first_page.get(_key(box)) == page.number and box.style["break_before"] in FORCED_BREAKS:
            return True
    return False


def _pages(walker: _Walker) -> list[Fault]:
    """Near-empty pages and run-out pages."""
    faults = []
    last_page_of: dict[str, int] = {}
    first_page_of: dict[str, int] = {}
    for page in walker.pages:
        for line in page.lines:
            if line.story:
                last_page_of[line.story] = page.number
                first_page_of.setdefault(line.story, page.number)
    for index, page in enumerate(walker.pages):
        if page.box.page_type.blank or _is_cover(page):
            continue
        following = walker.pages[index + 1] if index + 1 < len(walker.pages) else None
        # A page that starts a part of its own and holds all of it (a colophon, a short story) may be short.
        complete = _deliberate_start(page, walker) and (
            following is None
            or following.box.page_type.blank
            or _is_cover(following)
            or _deliberate_start(following, walker)
        )
        area = (page.bottom - page.top) * (page.right - page.box.content_box_x())
        stories = list(dict.fromkeys(line.story for line in page.lines))
        ending = [s for s in stories if s and last_page_of[s] == page.number and first_page_of[s] < page.number]
        if area > 0 and page.area / area < NEAR_EMPTY_FILL and not complete:
            lines = sum(1 for line in page.lines if not _nested_line(line))
            what = f"{lines} line(s) of text" if lines else "no text"
            story = stories[0] if stories else ""
            part = "story" if ending and ending[0] in walker.story_ids else "section"
            runs = (
                ""
                if not ending
                else f", the end of the {part}"
                if ending[0] == story
                else f", the end of '{ending[0]}'"
            )
            fix = (
                f"Shorten the {part} by about {lines} line(s) so it ends on page {page.number - 1}, or add text "
                "to fill this page."
                if ending
                else "Shorten the text before it so this text moves back a page, or add text to fill the page."
            )
            faults.append(
                Fault(
                    NEAR_EMPTY_PAGE,
                    page.number,
                    story,
                    f"the page is nearly empty: it holds {what}{runs}, covering {page.area / area:.0%} of "
                    f"its text area. {fix}",
                )
            )
            continue
        for story in ending:
            count = sum(1 for line in page.lines if line.story == story and not _nested_line(line))
            if count <= RUN_OUT_LINES:
                faults.append(
                    Fault(
                        RUN_OUT_PAGE,
                        page.number,
                        story,
                        f"the story runs out onto this page with only its last {count} line(s). Shorten "
                        f"it by about {count} lines so it ends on page {page.number - 1}, or let it run longer.",
                    )
                )
    return faults


def _nested_line(line: _Line) -> bool:
    return any(isinstance(box, B.LineBox) for box in line.ancestors)


def _columns(walker: _Walker) -> list[Fault]:
    """An empty column while the story goes on, or a last page with all its text in the first column."""
    faults = []
    last_page: dict[tuple, int] = {}
    for multicol in walker.multicols:
        last_page[multicol.key] = max(last_page.get(multicol.key, 0), multicol.page)
    pages = {p.number: p for p in walker.pages}
    for multicol in walker.multicols:
        box = multicol.container
        count = box.style["column_count"]
        if not isinstance(count, int):
            width = multicol.columns[0].box.width if multicol.columns else 0
            gap = box.style["column_gap"]
            gap = box.style["font_size"] if gap == "normal" else getattr(gap, "value", 0)
            count = max(1, round((box.width + gap) / (width + gap))) if width else 1
        if count < 2 or not multicol.columns:
            continue
        filled = [c for c in multicol.columns if (c.bottom or 0.0) - c.box.content_box_y() > OVERFLOW_TOLERANCE]
        empty = count - len(filled)
        page = pages[multicol.page]
        continues = last_page[multicol.key] > multicol.page
        if continues and empty:
            faults.append(
                Fault(
                    EMPTY_COLUMN,
                    multicol.page,
                    multicol.story,
                    f"{empty} of the {count} columns stay(s) empty while the text goes on "
                    f"on page {multicol.page + 1}. Something kept in one piece (a box, quote or image) or a forced "
                    "column break pushed the text on: shorten or move that part, or remove the break.",
                )
            )
        elif continues:
            top = min(c.box.content_box_y() for c in multicol.columns)
            available = page.bottom - top
            for number, column in enumerate(filled, 1):
                share = ((column.bottom or 0.0) - top) / available if available > 0 else 1
                if share < SHORT_COLUMN_FILL:
                    faults.append(
                        Fault(
                            EMPTY_COLUMN,
                            multicol.page,
                            multicol.story,
                            f"column {number} of {count} is {1 - share:.0%} empty while the text goes on on page "
                            f"{multicol.page + 1}. Something that may not be split or left behind (a box, quote, "
                            "tips or a `break-before: avoid` chain) moved on with the text before it: let it break.",
                        )
                    )
                    break
        elif not continues and len(filled) == 1 and filled[0] is multicol.columns[0]:
            first = multicol.columns[0]
            top = first.box.content_box_y()
            available = page.bottom - top
            share = (first.bottom - top) / available if available > 0 else 0
            if share > UNBALANCED_FILL:
                faults.append(
                    Fault(
                        EMPTY_COLUMN,
                        multicol.page,
                        multicol.story,
                        f"on the story's last page all text is in the first column ({share:.0%} of its height) and "
                        f"the other column(s) are empty. Balance the columns (`column-fill: balance` for the last "
                        "page), or add or cut text.",
                    )
                )
    return faults


def _is_heading(fragment: _Fragment) -> bool:
    return _tag(fragment.box) in HEADING_TAGS or bool(_element_classes(fragment.box) & HEADING_CLASSES)


def _stranded(walker: _Walker) -> list[Fault]:
    """A heading, place or intro that is the last thing in its page or column; its text follows after the break."""
    faults = []
    paragraphs = [f for f in walker.fragments if not f.nested and f.lines]
    for fragment, following in zip(paragraphs, paragraphs[1:], strict=False):
        if not _is_heading(fragment) or following.key == fragment.key:
            continue
        if following.page > fragment.page:
            where = "is the last thing on the page"
        elif (
            fragment.column is not None
            and following.column is not None
            and following.column.container is fragment.column.container
            and following.column.index > fragment.column.index
        ):
            where = f"stands at the foot of column {fragment.column.index + 1}"
        else:
            continue
        what = "intro" if "lead" in _element_classes(fragment.box) else "heading"
        element = fragment.box.element
        text = "".join(element.itertext()) if hasattr(element, "itertext") else fragment.lines[-1].text
        faults.append(
            Fault(
                STRANDED_HEADING,
                fragment.page,
                fragment.story,
                f"the {what} '{_snippet(text)}' {where}; the text it introduces starts in "
                f"{_where(following, fragment.page)}. Shorten the text before it by a few lines, or keep it "
                "with what follows (`break-after: avoid`).",
            )
        )
    return faults


def _overflow(walker: _Walker) -> list[Fault]:
    faults = []
    for (page, _), (amount, line, where) in walker.overflows.items():
        faults.append(
            Fault(
                OVERFLOW,
                page,
                line.story,
                f"text runs {amount / PX_PER_PT:.1f} pt {where} in '{_snippet(line.text)}'. Break the long word "
                "or address (a soft hyphen, or a link so it may wrap), or make the text smaller.",
            )
        )
    return faults


def warnings_for(name: str, faults: list[Fault]) -> list[str]:
    """Return one build warning per fault: "NAME: layout: page 5, story 'x': widow: the last 1 line(s) …"."""
    return [f"{name}: layout: {fault}" for fault in faults]
