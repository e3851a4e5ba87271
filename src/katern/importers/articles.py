"""The Alles is Gezondheid web articles: each after a 'Terug' line, with a title line and a date line."""

from __future__ import annotations

import re

from katern.importers.common import (
    TITLE_PART_MAX,
    Draft,
    Lines,
    Para,
    Parsed,
    day_date,
    head_lines,
    line_texts,
    links_from,
    make_draft,
    merge_page_breaks,
    paragraphs,
    pull_quote,
    split_lead,
    squash,
)

BACK_RE = re.compile(r"^(?:[←<]\s*)?terug(?: naar (?:het )?overzicht)?$", re.I)
TEASERS_RE = re.compile(r"^(relevante links|lees meer|lees ook|leestips?|meer lezen|zie ook)\s*:?$", re.I)


class ArticlesImporter:
    """Web articles, each after a 'Terug' line, with a title line and a date line."""

    name = "articles"
    description = "articles (each after a 'Terug' line, with a title line and a date line)"

    def detect(self, text: str) -> int:
        """2 when a 'Terug' line is followed by a title and a date, 1 for a 'Terug' line alone."""
        head = head_lines(text)
        backs = [i for i, line in enumerate(head) if BACK_RE.match(line)]
        if not backs:
            return 0
        return 2 if any(i + 2 < len(head) and day_date(head[i + 2]) for i in backs) else 1

    def parse(self, lines: Lines, seed_name: str) -> Parsed:
        """Cut a web export into articles, each after a 'Terug' line."""
        starts = [index for index, (_, line) in enumerate(lines) if BACK_RE.match(line.strip())]
        if not starts:
            return [], []
        unplaced = [(number, squash(line)) for number, line in lines[: starts[0]] if line.strip()]
        drafts = []
        for start, stop in zip(starts, [*starts[1:], len(lines)], strict=True):
            draft = _article(lines[start + 1 : stop], seed_name, unplaced)
            if draft is not None:
                drafts.append(draft)
        return drafts, unplaced


def _article(lines: Lines, seed_name: str, unplaced: Lines) -> Draft | None:
    """Build the draft of one article: title line, date line, body, teasers."""
    paras = paragraphs(lines, join_block=False)
    date = day_date(paras[1].text) if len(paras) > 1 else None
    if date is None:
        unplaced += line_texts(paras)
        return None
    title, printed = paras[0].text, paras[1].text
    body, links = _split_teasers(paras[2:], unplaced)
    body, quotes = _take_pull_quotes(merge_page_breaks(body))
    lead, body = split_lead(body)
    return make_draft(
        body,
        lead,
        title=title,
        kind="interview" if re.match(r"interview\b", title, re.I) else "artikel",
        date=date,
        quotes=quotes,
        links=links,
        sources=[{"title": "Alles is Gezondheid", "seed": seed_name, "edition": printed}],
    )


def _split_teasers(paras: list[Para], unplaced: Lines) -> tuple[list[Para], list[dict[str, str]]]:
    """Cut the trailing 'Relevante links' teasers off a body; their titles become links."""
    start = next((i for i, para in enumerate(paras) if not para.marker and TEASERS_RE.match(para.text)), None)
    if start is None:
        return paras, []
    links: list[dict[str, str]] = []
    after_label = False
    for unit in _group_by_block(paras[start + 1 :]):
        text = " ".join(para.text for para in unit)
        if len(unit) == 1 and _label_shaped(text):
            links += links_from(text)
            after_label = True
        elif after_label:
            unplaced += line_texts(unit)
            after_label = False
        else:
            links += links_from(text)
    return paras[:start], links


def _group_by_block(paras: list[Para]) -> list[list[Para]]:
    """Group consecutive paragraphs that came from the same block."""
    groups: list[list[Para]] = []
    for para in paras:
        if groups and groups[-1][-1].block == para.block:
            groups[-1].append(para)
        else:
            groups.append([para])
    return groups


def _label_shaped(text: str) -> bool:
    """Tell whether a text is short and unfinished enough to be a teaser title."""
    return len(text) <= TITLE_PART_MAX and not text.endswith((".", "!", ";", ",", ":"))


def _take_pull_quotes(paras: list[Para]) -> tuple[list[Para], list[str]]:
    """Move the paragraphs that are one short quotation out of a body."""
    body, quotes = [], []
    for para in paras:
        quote = pull_quote(para)
        if quote is None:
            body.append(para)
        else:
            quotes.append(quote)
    return body, quotes
