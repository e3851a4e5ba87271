"""What every importer shares: drafts, numbered lines, paragraphs, dates, headings, quotes, slugs, links."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

import yaml

# The order of the fields in a draft's front matter (the order of the README's example record).
FIELD_ORDER = (
    "title",
    "kind",
    "place",
    "municipalities",
    "province",
    "date",
    "themes",
    "lead",
    "quotes",
    "boxes",
    "tips",
    "reaction",
    "links",
    "sources",
    "draft",
)

MONTHS = {
    "januari": 1,
    "februari": 2,
    "maart": 3,
    "april": 4,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "augustus": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "december": 12,
}
MONTH_NAMES = "|".join(MONTHS)
DAY_DATE_RE = re.compile(rf"^(\d{{1,2}})\s+({MONTH_NAMES})\s+(\d{{4}})$", re.I)

ITEM_RE = re.compile(r"^\s*([•·▪◦*+–-]|\d{1,2}[.)])\s+(\S.*)$")
SENTENCE_END = (".", "!", "?", "”", '"', ":", ";", "…")
OPEN_QUOTES = ("“", '"', "„")
CLOSE_QUOTES = ("”", '"')

LINK_LINE_RE = re.compile(
    r"^(?:kijk\s+(?:voor\s+meer\s+informatie\s+|ook\s+)?op|meer\s+informatie\b.*?\bop)\s*:?\s*(?P<rest>.*)$",
    re.I,
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_RE = re.compile(r"(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,6}(?:/[\w./%?=&#-]*)?", re.I)

PLACE_PARTICLES = {"aan", "bij", "de", "den", "der", "en", "het", "in", "onder", "op", "te", "ter", "van"}
SLUG_STOPWORDS = {"de", "het", "een", "en", "van", "op", "in", "voor", "aan", "met", "bij", "te", "als"}
SLUG_WORDS = 6
PULL_QUOTE_MAX = 200
HEADING_MAX = 60
TITLE_PART_MAX = 80

# How many lines of a text a `detect` looks at: enough for a masthead or a cover, never the whole text.
HEAD_LINES = 60

Lines = list[tuple[int, str]]


@dataclass
class Draft:
    """One story found in a seed text: its slug, front matter and Markdown body."""

    slug: str
    fields: dict[str, Any]
    body: str

    def to_markdown(self) -> str:
        """Render the draft as a record file: YAML front matter, then the body."""
        front = yaml.safe_dump(self.fields, allow_unicode=True, sort_keys=False, width=88)
        return f"---\n{front}---\n\n{self.body}\n"


# What an importer's `parse` returns: the drafts, and the numbered lines it could not place.
Parsed = tuple[list[Draft], Lines]


class Importer(Protocol):
    """One source format: a name, a cheap guess whether a text is in it, and the parser."""

    name: str
    description: str  # how the format looks, for the error when no format recognises a text

    def detect(self, text: str) -> int:
        """Return how strongly the first lines of `text` look like this format: 0 (not at all) to 2."""
        ...

    def parse(self, lines: Lines, seed_name: str) -> Parsed:
        """Cut numbered lines into drafts; return them and the lines that fitted nowhere."""
        ...


@dataclass
class Para:
    """A paragraph or list item of a seed, with the source lines it came from."""

    lines: Lines
    text: str
    marker: str | None = None
    block: int = 0

    @property
    def raw(self) -> str:
        """Return the source lines joined by spaces, markup included."""
        return " ".join(line.strip() for _, line in self.lines)


# --- text primitives ------------------------------------------------------------------


def split_lines(text: str) -> Lines:
    """Return numbered lines without line endings, accepting LF, CRLF and CR."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [(number, line.rstrip()) for number, line in enumerate(text.split("\n"), start=1)]


def head_lines(text: str, count: int = HEAD_LINES) -> list[str]:
    """Return the first `count` non-blank lines of a text, stripped: what a `detect` looks at."""
    head: list[str] = []
    for line in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            head.append(line.strip())
            if len(head) >= count:
                break
    return head


def squash(text: str) -> str:
    """Collapse every run of whitespace into one space."""
    return " ".join(text.split())


def blocks(lines: Lines) -> list[Lines]:
    """Group lines into blocks separated by blank lines."""
    found: list[Lines] = []
    current: Lines = []
    for number, line in lines:
        if line.strip():
            current.append((number, line))
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def paragraphs(lines: Lines, join_block: bool, plain: bool = False) -> list[Para]:
    """Cut lines into paragraphs and list items; `join_block` joins all lines of a block."""
    paras: list[Para] = []
    for index, block in enumerate(blocks(lines)):
        for number, line in block:
            para = _line_para(number, line, index, plain)
            prev = paras[-1] if paras and paras[-1].block == index else None
            if prev is not None and _continues(prev, para, line, join_block):
                paras[-1] = joined(prev, para)
            else:
                paras.append(para)
    return paras


def _line_para(number: int, line: str, block: int, plain: bool) -> Para:
    """Make a paragraph of one line, recognising a list marker."""
    match = ITEM_RE.match(line)
    marker, text = (match.group(1), match.group(2)) if match else (None, line)
    if plain:
        text = text.replace("*", "")
    return Para(lines=[(number, line)], text=squash(text), marker=marker, block=block)


def _continues(prev: Para, para: Para, line: str, join_block: bool) -> bool:
    """Tell whether a line continues the paragraph before it in the same block."""
    if para.marker:
        return False
    if prev.marker:
        return line[:1].isspace() or breaks_mid_sentence(prev, para)
    return join_block or breaks_mid_sentence(prev, para)


def breaks_mid_sentence(prev: Para, para: Para) -> bool:
    """Tell whether `para` carries on the sentence `prev` left unfinished."""
    return bool(prev.text and para.text) and not prev.text.endswith(SENTENCE_END) and para.text[0].islower()


def joined(first: Para, second: Para) -> Para:
    """Join two paragraphs into one."""
    return Para(first.lines + second.lines, f"{first.text} {second.text}", first.marker, first.block)


def merge_page_breaks(paras: list[Para]) -> list[Para]:
    """Join paragraphs split mid-sentence, as by a page break."""
    merged: list[Para] = []
    for para in paras:
        prev = merged[-1] if merged else None
        if prev and not prev.marker and not para.marker and breaks_mid_sentence(prev, para):
            merged[-1] = joined(prev, para)
        else:
            merged.append(para)
    return merged


def line_texts(paras: list[Para]) -> Lines:
    """Return the numbered, squashed source lines of paragraphs."""
    return [(number, squash(line)) for para in paras for number, line in para.lines]


def day_date(text: str) -> dt.date | None:
    """Parse a Dutch date such as '8 oktober 2018'."""
    match = DAY_DATE_RE.match(text.strip())
    if not match:
        return None
    day, month, year = int(match.group(1)), MONTHS[match.group(2).lower()], int(match.group(3))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def heading_shaped(para: Para) -> bool:
    """Tell whether a paragraph is short and unfinished enough to be a heading."""
    text = para.text
    return (
        not para.marker
        and 0 < len(text) <= HEADING_MAX
        and not text.endswith((".", ",", ";", ":", "!"))
        and not text.startswith(OPEN_QUOTES)
        and any(char.isalpha() for char in text)
    )


def is_heading(paras: list[Para], index: int) -> bool:
    """Tell whether `paras[index]` is a subheading: heading-shaped, text following soon after."""
    if not heading_shaped(paras[index]):
        return False
    following = paras[index + 1 : index + 3]
    if following and heading_shaped(following[0]):
        following = following[1:]
    return bool(following) and not heading_shaped(following[0])


def pull_quote(para: Para) -> str | None:
    """Return the text of a paragraph that is one short quotation, without its marks."""
    text = para.text
    if para.marker or len(text) > PULL_QUOTE_MAX or len(text) < 3:
        return None
    if not (text.startswith(OPEN_QUOTES) and text.endswith(CLOSE_QUOTES)):
        return None
    inner = text[1:-1].strip()
    if any(mark in inner for mark in '“”"') or len(re.findall(r"[.!?]\s+\S", inner)) > 1:
        return None
    return inner


def strip_quotes(text: str) -> str:
    """Remove the quotation marks around a whole text."""
    if len(text) > 1 and text.startswith(OPEN_QUOTES) and text.endswith(CLOSE_QUOTES):
        return text[1:-1].strip()
    return text


def looks_like_place(text: str) -> bool:
    """Tell whether a text reads as place names: capitalised words and particles."""
    words = [word for word in re.split(r"[\s,/]+", text.strip()) if word]
    return (
        0 < len(words) <= 6
        and not text.endswith(SENTENCE_END)
        and all(word[0].isupper() or word[0] in "'’" or word in PLACE_PARTICLES for word in words)
    )


def links_from(text: str) -> list[dict[str, str]]:
    """Make links of the e-mail addresses and web addresses in a text, or one label."""
    links = [{"label": email, "url": f"mailto:{email}"} for email in EMAIL_RE.findall(text)]
    for found in URL_RE.findall(EMAIL_RE.sub(" ", text)):
        address = found.rstrip(".")
        url = address if address.lower().startswith(("http://", "https://")) else f"https://{address}"
        links.append({"label": address, "url": url})
    return links or [{"label": text.rstrip(". ")}]


# --- drafts ---------------------------------------------------------------------------


def make_draft(body: list[Para], lead: str | None = None, **fields: Any) -> Draft:
    """Build a draft from its fields; the lead stays in the body when nothing else is there."""
    if lead is not None and not body:
        body = [Para([], lead)]
        lead = None
    values = ordered({**fields, "lead": lead, "draft": True})
    return Draft(slug=slug(values.get("place"), values["title"]), fields=values, body=render_body(body))


def ordered(values: dict[str, Any]) -> dict[str, Any]:
    """Return the fields that have a value, in FIELD_ORDER."""
    return {key: values[key] for key in FIELD_ORDER if values.get(key) not in (None, [], {}, "")}


def split_lead(body: list[Para]) -> tuple[str | None, list[Para]]:
    """Take the first paragraph of a body as its lead when it is plain text."""
    if body and not body[0].marker and not heading_shaped(body[0]):
        return body[0].text, body[1:]
    return None, body


def render_body(paras: list[Para]) -> str:
    """Render paragraphs as Markdown: subheadings, lists and plain paragraphs."""
    chunks: list[str] = []
    for index, para in enumerate(paras):
        if para.marker:
            item = f"{_list_marker(para.marker)} {para.text}"
            if index and paras[index - 1].marker:
                chunks[-1] += f"\n{item}"
            else:
                chunks.append(item)
        elif is_heading(paras, index):
            chunks.append(f"## {para.text}")
        else:
            chunks.append(para.text)
    return "\n\n".join(chunks)


def _list_marker(marker: str) -> str:
    """Return the Markdown marker for a printed bullet or number."""
    return f"{marker[:-1]}." if marker[0].isdigit() else "-"


def slug(place: str | None, title: str) -> str:
    """Make a slug of the place and the first words of the title."""
    place_words = slug_words(place or "")
    title_words = slug_words(title)
    if len(title_words) > 1 and title_words[0] in {"de", "het", "een"}:
        title_words = title_words[1:]
    title_words = [word for word in title_words if word not in place_words] or title_words
    words = place_words + title_words[: max(2, SLUG_WORDS - len(place_words))]
    while len(words) > 1 and words[-1] in SLUG_STOPWORDS:
        words.pop()
    return "-".join(words) or "record"


def slug_words(text: str) -> list[str]:
    """Return the lower-case ASCII words of a text, accents stripped."""
    text = unicodedata.normalize("NFKD", text.replace("&", " en "))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"['’‘`]", "", text.lower())
    return re.findall(r"[a-z0-9]+", text)


def make_slugs_unique(drafts: list[Draft]) -> None:
    """Give repeated slugs a -2, -3 ... suffix."""
    seen: set[str] = set()
    for draft in drafts:
        base, number, candidate = draft.slug, 1, draft.slug
        while candidate in seen:
            number += 1
            candidate = f"{base}-{number}"
        seen.add(candidate)
        draft.slug = candidate
