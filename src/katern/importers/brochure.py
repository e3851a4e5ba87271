"""The VWS brochure: cover, contents, then stories, each title above a place in CAPITALS."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from katern.importers.common import (
    LINK_LINE_RE,
    MONTH_NAMES,
    MONTHS,
    OPEN_QUOTES,
    PLACE_PARTICLES,
    TITLE_PART_MAX,
    Draft,
    Lines,
    Para,
    Parsed,
    head_lines,
    is_heading,
    line_texts,
    links_from,
    looks_like_place,
    make_draft,
    merge_page_breaks,
    paragraphs,
    pull_quote,
    squash,
)

MONTH_DATE_RE = re.compile(rf"^({MONTH_NAMES})\s*[|/,–-]?\s*(\d{{4}})$", re.I)
CONTENTS_PAGE_RE = re.compile(r"^\d{1,3}$")
SPREAD_RE = re.compile(r"^werkende factoren$", re.I)
COLOPHON_RE = re.compile(r"^(colofon|dit is een uitgave van)\b", re.I)
BOX_RE = re.compile(r"^tips? van\b.{2,60}$", re.I)
CAPS_PLACE_RE = re.compile(r"^['’]?[^\W\d_]+(?:[ /'’-]+[^\W\d_]+)*$")
TITLE_MAX = 100


class BrochureImporter:
    """A brochure: a place in CAPITALS on its own line below each story title."""

    name = "brochure"
    description = "brochure (a place in CAPITALS on its own line below each title)"

    def detect(self, text: str) -> int:
        """1 for an emphasised cover title, a contents page or a place in capitals in the head; never 2."""
        head = head_lines(text)
        cover = any(
            line.startswith("*") and any(end.endswith("*") for end in head[index : index + 4])
            for index, line in enumerate(head)
        )
        contents = sum(bool(CONTENTS_PAGE_RE.match(line)) for line in head) >= 3
        place = any(_caps_place(Para([(0, line)], line)) for line in head)
        return 1 if cover or contents or place else 0

    def parse(self, lines: Lines, seed_name: str) -> Parsed:
        """Cut a brochure into its stories, each under a place in capitals."""
        paras = paragraphs(lines, join_block=True, plain=True)
        dates = [_month_date(para.text) for para in paras]
        silent = {i for i, para in enumerate(paras) if _is_contents_entry(para) or dates[i]}
        debris = _factor_spreads(paras)
        stories = _stories(paras, silent | debris)
        if not stories:
            return [], []
        stoppers = sorted(debris | {i for i, para in enumerate(paras) if COLOPHON_RE.match(para.text)})
        date = next((found for found in dates if found), None)
        title = _cover_title(paras[: stories[0][0]])
        source = {"title": title or seed_name, "seed": seed_name}
        drafts, used = [], set(silent)
        for number, (first, place) in enumerate(stories):
            end = stories[number + 1][0] if number + 1 < len(stories) else len(paras)
            end = min([end, *(stop for stop in stoppers if stop > place)])
            used |= set(range(first, end))
            body = [paras[i] for i in range(place + 1, end) if i not in silent]
            drafts.append(_story(paras[first:place], paras[place], body, date, source))
        skipped = [para for i, para in enumerate(paras) if i not in used and para.text != title]
        return drafts, line_texts(skipped)


def _month_date(text: str) -> dt.date | None:
    """Parse a Dutch month such as 'september | 2017' as the first of that month."""
    match = MONTH_DATE_RE.match(text.strip())
    return dt.date(int(match.group(2)), MONTHS[match.group(1).lower()], 1) if match else None


def _is_contents_entry(para: Para) -> bool:
    """Tell whether a block is a contents-page entry: a page number above a title."""
    return len(para.lines) > 1 and bool(CONTENTS_PAGE_RE.match(para.lines[0][1].strip()))


def _factor_spreads(paras: list[Para]) -> set[int]:
    """Find 'Werkende factoren' spreads: the heading, then factor and municipality pairs."""
    found: set[int] = set()
    for index, para in enumerate(paras):
        if not SPREAD_RE.match(para.text):
            continue
        found.add(index)
        pair = index + 1
        while pair + 1 < len(paras) and paras[pair].text.endswith((".", "!")) and _names_list(paras[pair + 1].text):
            found |= {pair, pair + 1}
            pair += 2
    return found


def _names_list(text: str) -> bool:
    """Tell whether a text is a list of municipality names or 'Alle gemeenten'."""
    if text.lower() == "alle gemeenten":
        return True
    names = [name for name in re.split(r",\s*|\s+en\s+", text) if name]
    return len(names) <= 20 and all(looks_like_place(name) for name in names)


def _stories(paras: list[Para], excluded: set[int]) -> list[tuple[int, int]]:
    """Return (first title paragraph, place paragraph) of every story."""
    stories: list[tuple[int, int]] = []
    floor = -1
    for index, para in enumerate(paras):
        if index in excluded or not _caps_place(para) or index + 1 >= len(paras):
            continue
        if not _lead_shaped(paras[index + 1]):
            continue
        first = index
        while (
            first - 1 > floor
            and first - 1 not in excluded
            and index - first < 3
            and _title_part(paras[first - 1])
            and len(" ".join(p.text for p in paras[first - 1 : index])) <= TITLE_MAX
        ):
            first -= 1
        if first < index:
            stories.append((first, index))
            floor = index + 1
    return stories


def _caps_place(para: Para) -> bool:
    """Tell whether a paragraph is a place name in capitals alone on its line."""
    text = para.text
    letters = sum(char.isalpha() for char in text)
    return (
        len(para.lines) == 1
        and not para.marker
        and letters >= 3
        and len(text) <= 40
        and len(text.split()) <= 5
        and text == text.upper()
        and bool(CAPS_PLACE_RE.match(text))
    )


def _title_part(para: Para) -> bool:
    """Tell whether a paragraph can be (part of) a story title."""
    return (
        _plain_text(para)
        and len(para.text) <= TITLE_PART_MAX
        and not para.text.endswith((".", "!", "?", ";", ","))
        and not _caps_place(para)
        and not BOX_RE.match(para.text)
        and not any(CONTENTS_PAGE_RE.match(line.strip()) for _, line in para.lines)
    )


def _plain_text(para: Para) -> bool:
    """Tell whether a paragraph is ordinary text: no list item, quotation or link line."""
    return (
        not para.marker
        and bool(para.text)
        and not para.text.startswith(OPEN_QUOTES)
        and not LINK_LINE_RE.match(para.text)
    )


def _lead_shaped(para: Para) -> bool:
    """Tell whether a paragraph can open a story: text that is no list, link or pull quote."""
    return not para.marker and bool(para.text) and not LINK_LINE_RE.match(para.text) and pull_quote(para) is None


def _cover_title(front: list[Para]) -> str | None:
    """Return the emphasised title on the cover, if there is one."""
    for para in front:
        raw = para.raw
        if len(raw) > 2 and raw.startswith("*") and raw.endswith("*") and para.text:
            return squash(para.text)
    return None


def _story(
    title_paras: list[Para],
    place_para: Para,
    paras: list[Para],
    date: dt.date | None,
    source: dict[str, str],
) -> Draft:
    """Build the draft of one brochure story."""
    paras = merge_page_breaks(paras)
    lead = paras[0].text if paras and _lead_shaped(paras[0]) else None
    parts = _parts(paras[1:] if lead is not None else paras)
    return make_draft(
        parts["body"],
        lead,
        title=" ".join(para.text for para in title_paras),
        kind="praktijkverhaal",
        place=title_case_place(place_para.text),
        date=date,
        quotes=parts["quotes"],
        boxes=parts["boxes"],
        tips=parts["tips"],
        links=parts["links"],
        sources=[dict(source)],
    )


def _parts(paras: list[Para]) -> dict[str, list[Any]]:
    """Sort the paragraphs of a story into body, pull quotes, boxes, tips and links."""
    parts: dict[str, list[Any]] = {"body": [], "quotes": [], "boxes": [], "tips": [], "links": []}
    index = 0
    while index < len(paras):
        para = paras[index]
        link = LINK_LINE_RE.match(para.text) if not para.marker else None
        if not para.marker and BOX_RE.match(para.text) and index + 1 < len(paras):
            index = _take_box(paras, index, parts)
            continue
        if link:
            parts["links"] += links_from(link.group("rest"))
        elif (quote := pull_quote(para)) is not None:
            parts["quotes"].append(quote)
        else:
            parts["body"].append(para)
        index += 1
    return parts


def _take_box(paras: list[Para], index: int, parts: dict[str, list[Any]]) -> int:
    """Read a 'Tip(s) van ...' box at `index` into tips or boxes; return the next index."""
    title, stop = paras[index].text, index + 1
    if paras[stop].marker:
        while stop < len(paras) and paras[stop].marker:
            parts["tips"].append(paras[stop].text)
            stop += 1
        return stop
    while stop < len(paras) and not _ends_box(paras, stop):
        stop += 1
    body = "\n\n".join(para.text for para in paras[index + 1 : stop])
    if body:
        parts["boxes"].append({"title": title, "body": body})
    else:
        parts["body"].append(paras[index])
    return max(stop, index + 1)


def _ends_box(paras: list[Para], index: int) -> bool:
    """Tell whether a box ends before `paras[index]`: at a subheading, list or link."""
    para = paras[index]
    return bool(para.marker) or bool(LINK_LINE_RE.match(para.text)) or is_heading(paras, index)


def title_case_place(text: str) -> str:
    """Turn a place in capitals into its usual spelling: 'DE MARNE' -> 'De Marne'."""
    words = []
    for position, word in enumerate(text.lower().split()):
        if position and word in PLACE_PARTICLES:
            words.append(word)
        else:
            words.append("-".join(_capitalise(part) for part in word.split("-")))
    return " ".join(words)


def _capitalise(part: str) -> str:
    """Capitalise one word of a place name, keeping 's and the Dutch IJ."""
    if part in ("'s", "’s"):
        return part
    if part.startswith("ij"):
        return "IJ" + part[2:]
    for index, char in enumerate(part):
        if char.isalpha():
            return part[:index] + char.upper() + part[index + 1 :]
    return part
