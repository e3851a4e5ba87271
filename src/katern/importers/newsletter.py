"""The "Integraal werken" newsletter: a masthead, then 'Onder de loep' and 'In het kort' items."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from katern.importers.common import (
    LINK_LINE_RE,
    OPEN_QUOTES,
    SENTENCE_END,
    Draft,
    Lines,
    Para,
    Parsed,
    day_date,
    head_lines,
    line_texts,
    links_from,
    looks_like_place,
    make_draft,
    merge_page_breaks,
    paragraphs,
    slug_words,
    split_lead,
    squash,
    strip_quotes,
)

SECTION_RE = re.compile(r"^(onder de loep|in het kort)\s*:?$", re.I)
NAVIGATION_RE = re.compile(r"^navigatie\s*:?$", re.I)
TIPS_RE = re.compile(r"^tips?\s*(?::\s*(?P<inline>.*))?$", re.I)
REACTION_RE = re.compile(r"^reacties?\s*:?$", re.I)
NAME_ROLE_RE = re.compile(r"^[—–-]?\s*(?P<name>[^\W\d_][^()“”\"]{1,80}?)\s*\((?P<role>[^()]{2,})\)\.?$")
NAME_COMMA_RE = re.compile(r"^[—–-]?\s*(?P<name>[^\W\d_][^,“”\"()]{1,60}),\s*(?P<role>[^“”\"]{2,})$")

# A masthead is a few short lines: the first section follows within these.
MASTHEAD_LINES = 12


@dataclass
class _Masthead:
    """Title, region and date printed above the first story of a newsletter."""

    title: str | None = None
    region: str | None = None
    date: dt.date | None = None
    printed_date: str | None = None


class NewsletterImporter:
    """'Onder de loep' / 'In het kort' sections, each item under a 'Place | Title' head."""

    name = "newsletter"
    description = "newsletter ('Onder de loep' / 'In het kort' sections with a 'Place | Title' head)"

    def detect(self, text: str) -> int:
        """2 when a section heading follows a short masthead, 1 when one comes later in the head."""
        head = head_lines(text)
        first = next((i for i, line in enumerate(head) if SECTION_RE.match(line)), None)
        if first is None:
            return 0
        return 2 if first <= MASTHEAD_LINES else 1

    def parse(self, lines: Lines, seed_name: str) -> Parsed:
        """Cut a newsletter into its 'Onder de loep' and 'In het kort' items."""
        starts = [index for index, (_, line) in enumerate(lines) if SECTION_RE.match(line.strip())]
        if not starts:
            return [], []
        unplaced: Lines = []
        masthead = _masthead(lines[: starts[0]], unplaced)
        end = next((i for i in range(starts[0], len(lines)) if NAVIGATION_RE.match(lines[i][1].strip())), len(lines))
        unplaced += [(number, squash(line)) for number, line in lines[end + 1 :] if line.strip()]
        source = _source(masthead, seed_name)
        drafts = []
        for start, stop in zip(starts, [*starts[1:], end], strict=True):
            if start >= end:
                break
            section = lines[start][1].strip()
            draft = _item(section, lines[start + 1 : min(stop, end)], masthead, source, unplaced)
            if draft is None:
                unplaced.append((lines[start][0], section))
            else:
                drafts.append(draft)
        return drafts, unplaced


def _masthead(lines: Lines, unplaced: Lines) -> _Masthead:
    """Read title, region and date from the lines above the first section."""
    head = _Masthead()
    for number, line in lines:
        text = squash(line)
        if not text or text == head.title:
            continue
        if head.title is None:
            head.title = text
        elif head.date is None and day_date(text):
            head.date, head.printed_date = day_date(text), text
        elif head.region is None and len(text) <= 40 and not text.endswith(SENTENCE_END):
            head.region = text
        else:
            unplaced.append((number, text))
    return head


def _source(masthead: _Masthead, seed_name: str) -> dict[str, str]:
    """Describe the newsletter edition a draft comes from."""
    title = " — ".join(part for part in (masthead.title, masthead.region) if part) or seed_name
    source = {"title": title, "seed": seed_name}
    if masthead.printed_date:
        source["edition"] = masthead.printed_date
    return source


def _item(section: str, lines: Lines, masthead: _Masthead, source: dict[str, str], unplaced: Lines) -> Draft | None:
    """Build the draft of one newsletter item: head, body, tips and reaction."""
    paras = paragraphs(lines, join_block=False)
    if not paras:
        return None
    place, title = split_head(paras[0].text)
    parts = _parts(paras[1:])
    lead, body = split_lead(merge_page_breaks(parts["body"]))
    return make_draft(
        body,
        lead,
        title=title,
        kind="-".join(slug_words(section)),
        place=place,
        date=masthead.date,
        tips=parts["tips"],
        reaction=_reaction(parts["reaction"], unplaced) if parts["reaction"] else None,
        links=parts["links"],
        sources=[dict(source)],
    )


def _parts(paras: list[Para]) -> dict[str, list[Any]]:
    """Sort the paragraphs below a head into body, tips, reaction and links."""
    parts: dict[str, list[Any]] = {"body": [], "tips": [], "reaction": [], "links": []}
    state = "body"
    for para in paras:
        tips = TIPS_RE.match(para.text) if not para.marker else None
        link = LINK_LINE_RE.match(para.text) if not para.marker and state != "reaction" else None
        if tips:
            state = "tips"
            if tips.group("inline"):
                parts["tips"].append(tips.group("inline").strip())
        elif not para.marker and REACTION_RE.match(para.text):
            state = "reaction"
        elif link:
            parts["links"] += links_from(link.group("rest"))
        else:
            parts[state].append(para.text if state == "tips" else para)
    return parts


def split_head(text: str) -> tuple[str | None, str]:
    """Split a head 'Place | Title' or 'Place - Title' into place and title."""
    if "|" in text:
        place, title = (part.strip() for part in text.split("|", 1))
        return (place or None), title
    match = re.match(r"^(.+?)\s+[-–—]\s+(.+)$", text)
    if match and looks_like_place(match.group(1)):
        return match.group(1).strip(), match.group(2).strip()
    return None, text


def _reaction(paras: list[Para], unplaced: Lines) -> dict[str, str]:
    """Read a 'Reactie' block: a quoted title, the quote, and 'Name (role)'."""
    signed = [i for i, para in enumerate(paras) if _signature(para.text, i == len(paras) - 1)]
    content, name, role = paras, None, None
    if signed:
        index = signed[-1]
        name, role = _signature(paras[index].text, True) or (None, None)
        content = paras[:index]
        unplaced += line_texts(paras[index + 1 :])
    title = None
    if len(content) > 1 and _is_quoted_title(content[0].text):
        title, content = content[0].text, content[1:]
    quote = strip_quotes("\n\n".join(para.text for para in content))
    reaction = {"title": title, "quote": quote, "name": name, "role": role}
    return {key: value for key, value in reaction.items() if value}


def _signature(text: str, last: bool) -> tuple[str, str | None] | None:
    """Return name and role of a signature line 'Name (role)' (or 'Name, role' when last)."""
    if text.startswith(OPEN_QUOTES + ("‘", "'")):
        return None
    match = NAME_ROLE_RE.match(text) or (NAME_COMMA_RE.match(text) if last and len(text) <= 120 else None)
    if not match or len(match.group("name").split()) > 6:
        return None
    return match.group("name").strip(), match.group("role").strip()


def _is_quoted_title(text: str) -> bool:
    """Tell whether a text is a short title between quotation marks."""
    return len(text) <= 100 and text[:1] in "‘'“\"" and text[-1:] in "’'”\""
