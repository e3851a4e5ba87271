"""Page make-up: what a first layout of a publication says its second layout should change.

The build lays a publication out once, reads the layout preflight (preflight.py) and the page each story
starts on, and asks this module for `LayoutHints`: the classes layouts give a story (partials/story.html)
and the blank pages a brochure needs. Nothing here lays anything out; the build does, and keeps the
second layout only if it is better (`better`).

- `tight`: a story whose last page holds only a few of its lines (a run-out or near-empty page) is set a
  little tighter (print.css `.story.tight`: leading, spacing, intro, and only its first pull quote,
  which repeats a sentence of the text) to pull those lines back.
- `few-hyphens`: a story with more than two hyphenated lines in a row (WeasyPrint has no
  hyphenate-limit-lines) is hyphenated only in longer words (print.css `.story.few-hyphens`), so its
  lines break elsewhere.
- `facing`: a brochure's page count is padded to a multiple of 4 with blank pages. The spare pages go,
  first, before a two-page story that would start on a right-hand page and turn over: it then starts on
  a left-hand page and its pages face each other (brochure.css `.story.facing`: break-before: left).
  What is left goes before the back cover.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # katern.preflight imports WeasyPrint, which a build with nothing to do never loads
    from katern.preflight import Fault

# The preflight's fault kinds (katern.preflight) that hints answer.
HYPHEN_LADDER = "hyphen-ladder"
NEAR_EMPTY_PAGE = "near-empty-page"
RUN_OUT_PAGE = "run-out-page"

TIGHT = "tight"
FEW_HYPHENS = "few-hyphens"
FACING = "facing"
FOREWORD = "voorwoord"  # the foreword's id (partials/foreword.html), which a tight hint can name too

# A last page holding more of a story's lines than this share is not worth a try: setting the story tighter
# (print.css: about 3 % in leading and spacing, and its second pull quote left out) cannot pull that back.
TIGHT_REACH = 0.2


@dataclass(frozen=True)
class Span:
    """Where one story lies in a laid-out publication: its first page and how many pages it takes."""

    slug: str
    start: int  # 1-based
    length: int


@dataclass
class LayoutHints:
    """What the layouts are told after a first layout: story classes by kind, and blank pages."""

    stories: dict[str, set[str]] = field(default_factory=dict)  # TIGHT / FEW_HYPHENS / FACING -> slugs
    blank_pages: int = 0  # before the back cover
    pulled: set[int] = field(default_factory=set)  # the pages a tight hint means to pull back (1-based)

    def add(self, kind: str, slug: str) -> None:
        self.stories.setdefault(kind, set()).add(slug)

    def get(self, kind: str) -> set[str]:
        return self.stories.get(kind, set())

    def for_template(self) -> dict[str, tuple[str, ...]]:
        """Return the hints as the layouts read them: `layout_hints.get('tight', ())`."""
        return {kind: tuple(sorted(slugs)) for kind, slugs in sorted(self.stories.items()) if slugs}

    def describe(self, kinds: Iterable[str] = (TIGHT, FEW_HYPHENS, FACING)) -> list[str]:
        """Say in words what these hints (of `kinds`) change, one phrase per kind."""
        said = {
            TIGHT: "set a little tighter (and with one pull quote at most) to pull a last page back",
            FEW_HYPHENS: "hyphenated less, to break more than two hyphenated lines in a row",
            FACING: "moved to a left-hand page so its pages face each other",
        }
        chosen = set(kinds)
        return [
            f"{', '.join(sorted(slugs))}: {said[kind]}"
            for kind, slugs in sorted(self.stories.items())
            if slugs and kind in chosen
        ]

    def __bool__(self) -> bool:
        return bool(self.blank_pages) or any(self.stories.values())


def spans(anchors: Mapping[str, int], slugs: Iterable[str], pages: int, ends: Iterable[str] = ()) -> list[Span]:
    """Return where each story lies: from its anchor's page to the next story's or section's start.

    `ends` names other anchors that start a page of their own (the factors section, the colophon).
    """
    slugs = [s for s in slugs if s in anchors]
    boundaries = sorted({anchors[s] for s in slugs} | {anchors[e] for e in ends if e in anchors} | {pages + 1})
    found = []
    for slug in sorted(slugs, key=lambda s: anchors[s]):
        start = anchors[slug]
        end = next(b for b in boundaries if b > start)
        found.append(Span(slug, start, end - start))
    return found


def story_hints(faults: Iterable[Fault], story_spans: Iterable[Span], lines: list[int]) -> LayoutHints:
    """Return the story hints the faults of a first layout ask for (`lines`: lines of text per page)."""
    hints = LayoutHints()
    story_spans = list(story_spans)
    by_slug = {span.slug: span for span in story_spans}
    for fault in faults:
        span = by_slug.get(fault.story)
        if span is None and fault.story == FOREWORD:
            if fault.kind in (RUN_OUT_PAGE, NEAR_EMPTY_PAGE) and _pulls_back(lines, fault.page):
                hints.add(TIGHT, FOREWORD)  # partials/foreword.html: the foreword gives the room itself
                hints.pulled.add(fault.page)
            continue
        if span is None:
            if fault.kind in (RUN_OUT_PAGE, NEAR_EMPTY_PAGE) and _pulls_back(lines, fault.page):
                # A section after the stories (the colophon) runs a few lines onto a page of its own:
                # the stories on the page before give the room.
                # the stories on the page before, and the last story (which the section may share a page with)
                earlier = [b for b in story_spans if b.start < fault.page]
                last = max((b.start for b in earlier), default=None)
                for before in earlier:
                    if before.start == last or before.start + before.length - 1 >= fault.page - 1:
                        hints.add(TIGHT, before.slug)
                        hints.pulled.add(fault.page)
            continue
        last = span.start + span.length - 1
        if fault.kind in (RUN_OUT_PAGE, NEAR_EMPTY_PAGE) and fault.page == last and span.length > 1:
            story_lines = sum(lines[span.start - 1 : last])
            if story_lines and lines[last - 1] <= TIGHT_REACH * story_lines:
                hints.add(TIGHT, fault.story)
                hints.pulled.add(last)
        elif fault.kind == HYPHEN_LADDER:
            hints.add(FEW_HYPHENS, fault.story)
    return hints


def _pulls_back(lines: list[int], page: int) -> bool:
    """Say whether the lines on `page` are few enough to pull back onto the page before it."""
    if not 1 < page <= len(lines):
        return False
    # `lines` counts the running head and folio too: a page with a colophon's last 4 lines holds 6.
    return lines[page - 1] <= max(TIGHT_REACH * lines[page - 2], 8)


def place_blank_pages(hints: LayoutHints, story_spans: Iterable[Span], pages: int) -> LayoutHints:
    """Add the blank pages that make `pages` a multiple of 4, first before two-page stories that turn over.

    Page 1 is a right-hand page, so a story starting on an odd page starts on the right. Each blank page
    put before a story moves every later page by one, which this accounts for.
    """
    spare = (-pages) % 4
    shift = 0
    for span in sorted(story_spans, key=lambda s: s.start):
        if not spare:
            break
        if span.length == 2 and (span.start + shift) % 2 == 1:
            hints.add(FACING, span.slug)
            shift += 1
            spare -= 1
    hints.blank_pages = spare
    return hints


def expected(story_spans: Iterable[Span], pages: int, hints: LayoutHints) -> tuple[list[Span], int]:
    """Return where the stories will lie, and the page count, once the pages `hints` pull back are gone.

    A guess, so that the blank pages can be placed in the same second layout as the hints; the build
    lays the publication out once more when the guess was wrong.
    """
    gone = sorted(hints.pulled)
    moved = []
    for span in story_spans:
        before = sum(p < span.start for p in gone)
        inside = sum(span.start <= p < span.start + span.length for p in gone)
        moved.append(Span(span.slug, span.start - before, max(span.length - inside, 1)))
    return moved, pages - len(gone)


def without_blank_pages(hints: LayoutHints) -> LayoutHints:
    """Return the story hints of `hints` (tight, few-hyphens) without its blank pages."""
    stories = {kind: set(slugs) for kind, slugs in hints.stories.items() if kind != FACING}
    return LayoutHints(stories, 0, set(hints.pulled))


def weight(faults: Iterable[Fault]) -> int:
    """Return how bad a layout's faults are, to compare two layouts of one publication."""
    return sum(1 for _ in faults)


def better(new: Iterable[Fault], old: Iterable[Fault]) -> bool:
    """Say whether a second layout with faults `new` is better than the first with `old`."""
    return weight(new) < weight(old)
