"""Turn a plain-text export of a publication (a seed) into draft records."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from katern.errors import SeedImportError
from katern.fsutil import atomic_write

FIELD_ORDER = (
    "title",
    "kind",
    "place",
    "date",
    "lead",
    "quotes",
    "boxes",
    "tips",
    "reaction",
    "links",
    "sources",
    "draft",
)

KNOWN_FORMATS = (
    "newsletter ('Onder de loep' / 'In het kort' sections with a 'Place | Title' head), "
    "brochure (a place in CAPITALS on its own line below each title) and "
    "articles (each after a 'Terug' line, with a title line and a date line)"
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
_MONTH = "|".join(MONTHS)
DAY_DATE_RE = re.compile(rf"^(\d{{1,2}})\s+({_MONTH})\s+(\d{{4}})$", re.I)
MONTH_DATE_RE = re.compile(rf"^({_MONTH})\s*[|/,–-]?\s*(\d{{4}})$", re.I)

ITEM_RE = re.compile(r"^\s*([•·▪◦*+–-]|\d{1,2}[.)])\s+(\S.*)$")
SENTENCE_END = (".", "!", "?", "”", '"', ":", ";", "…")
OPEN_QUOTES = ("“", '"', "„")
CLOSE_QUOTES = ("”", '"')

SECTION_RE = re.compile(r"^(onder de loep|in het kort)\s*:?$", re.I)
NAVIGATION_RE = re.compile(r"^navigatie\s*:?$", re.I)
TIPS_RE = re.compile(r"^tips?\s*(?::\s*(?P<inline>.*))?$", re.I)
REACTION_RE = re.compile(r"^reacties?\s*:?$", re.I)
NAME_ROLE_RE = re.compile(r"^[—–-]?\s*(?P<name>[^\W\d_][^()“”\"]{1,80}?)\s*\((?P<role>[^()]{2,})\)\.?$")
NAME_COMMA_RE = re.compile(r"^[—–-]?\s*(?P<name>[^\W\d_][^,“”\"()]{1,60}),\s*(?P<role>[^“”\"]{2,})$")

BACK_RE = re.compile(r"^(?:[←<]\s*)?terug(?: naar (?:het )?overzicht)?$", re.I)
TEASERS_RE = re.compile(r"^(relevante links|lees meer|lees ook|leestips?|meer lezen|zie ook)\s*:?$", re.I)

CONTENTS_PAGE_RE = re.compile(r"^\d{1,3}$")
SPREAD_RE = re.compile(r"^werkende factoren$", re.I)
COLOPHON_RE = re.compile(r"^(colofon|dit is een uitgave van)\b", re.I)
BOX_RE = re.compile(r"^tips? van\b.{2,60}$", re.I)
LINK_LINE_RE = re.compile(
    r"^(?:kijk\s+(?:voor\s+meer\s+informatie\s+|ook\s+)?op|meer\s+informatie\b.*?\bop)\s*:?\s*(?P<rest>.*)$",
    re.I,
)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_RE = re.compile(r"(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,6}(?:/[\w./%?=&#-]*)?", re.I)
CAPS_PLACE_RE = re.compile(r"^['’]?[^\W\d_]+(?:[ /'’-]+[^\W\d_]+)*$")

PLACE_PARTICLES = {"aan", "bij", "de", "den", "der", "en", "het", "in", "onder", "op", "te", "ter", "van"}
SLUG_STOPWORDS = {"de", "het", "een", "en", "van", "op", "in", "voor", "aan", "met", "bij", "te", "als"}
SLUG_WORDS = 6
PULL_QUOTE_MAX = 200
HEADING_MAX = 60
TITLE_PART_MAX = 80
TITLE_MAX = 100


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


@dataclass
class SeedImport:
    """The drafts found in one seed text, and the lines that fitted nowhere."""

    format: str
    drafts: list[Draft]
    unplaced: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class ImportReport:
    """What `import_seed` wrote, what it left alone and what it could not place."""

    written: list[Path]
    skipped: list[Path]
    unplaced: list[tuple[int, str]]
    format: str


@dataclass
class _Para:
    """A paragraph or list item of a seed, with the source lines it came from."""

    lines: list[tuple[int, str]]
    text: str
    marker: str | None = None
    block: int = 0

    @property
    def raw(self) -> str:
        """Return the source lines joined by spaces, markup included."""
        return " ".join(line.strip() for _, line in self.lines)


@dataclass
class _Masthead:
    """Title, region and date printed above the first story of a newsletter."""

    title: str | None = None
    region: str | None = None
    date: dt.date | None = None
    printed_date: str | None = None


_Parsed = tuple[list[Draft], list[tuple[int, str]]]


# --- public API -----------------------------------------------------------------------


def parse_seed(text: str, seed_name: str) -> SeedImport:
    """Detect the format of a seed text and cut it into drafts."""
    lines = _split_lines(text)
    results = [(name, parser(lines, seed_name)) for name, parser in _PARSERS]
    name, (drafts, unplaced) = max(results, key=lambda result: len(result[1][0]))
    if not drafts:
        raise SeedImportError(f"no story recognised; katern knows {KNOWN_FORMATS}", path=seed_name)
    _make_slugs_unique(drafts)
    return SeedImport(format=name, drafts=drafts, unplaced=sorted(set(unplaced)))


def import_seed(seed_path: Path, into: Path, force: bool = False) -> ImportReport:
    """Write the drafts of a seed text as records into a folder, never clobbering by default."""
    seed_path, into = Path(seed_path), Path(into)
    text = _read_seed(seed_path)
    try:
        result = parse_seed(text, seed_path.name)
    except SeedImportError as error:
        raise SeedImportError(error.message, path=seed_path) from None
    report = ImportReport(written=[], skipped=[], unplaced=result.unplaced, format=result.format)
    for draft in result.drafts:
        target = into / f"{draft.slug}.md"
        if target.exists() and not force:
            report.skipped.append(target)
            continue
        _write(target, draft.to_markdown())
        report.written.append(target)
    return report


def _read_seed(path: Path) -> str:
    """Return the UTF-8 text of a seed file, or raise SeedImportError naming it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SeedImportError("the seed text does not exist", path=path) from None
    except OSError as error:
        raise SeedImportError(f"cannot read the seed text: {error.strerror or error}", path=path) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SeedImportError(f"the seed text is not UTF-8 (bad byte at offset {error.start})", path=path) from None


def _write(target: Path, text: str) -> None:
    """Write one record atomically, turning an OS failure into SeedImportError."""
    try:
        atomic_write(target, text)
    except OSError as error:
        raise SeedImportError(f"cannot write the record: {error.strerror or error}", path=target) from None


# --- text primitives ------------------------------------------------------------------


def _split_lines(text: str) -> list[tuple[int, str]]:
    """Return numbered lines without line endings, accepting LF, CRLF and CR."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [(number, line.rstrip()) for number, line in enumerate(text.split("\n"), start=1)]


def _squash(text: str) -> str:
    """Collapse every run of whitespace into one space."""
    return " ".join(text.split())


def _blocks(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Group lines into blocks separated by blank lines."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in lines:
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _paragraphs(lines: list[tuple[int, str]], join_block: bool, plain: bool = False) -> list[_Para]:
    """Cut lines into paragraphs and list items; `join_block` joins all lines of a block."""
    paras: list[_Para] = []
    for index, block in enumerate(_blocks(lines)):
        for number, line in block:
            para = _line_para(number, line, index, plain)
            prev = paras[-1] if paras and paras[-1].block == index else None
            if prev is not None and _continues(prev, para, line, join_block):
                paras[-1] = _joined(prev, para)
            else:
                paras.append(para)
    return paras


def _line_para(number: int, line: str, block: int, plain: bool) -> _Para:
    """Make a paragraph of one line, recognising a list marker."""
    match = ITEM_RE.match(line)
    marker, text = (match.group(1), match.group(2)) if match else (None, line)
    if plain:
        text = text.replace("*", "")
    return _Para(lines=[(number, line)], text=_squash(text), marker=marker, block=block)


def _continues(prev: _Para, para: _Para, line: str, join_block: bool) -> bool:
    """Tell whether a line continues the paragraph before it in the same block."""
    if para.marker:
        return False
    if prev.marker:
        return line[:1].isspace() or _breaks_mid_sentence(prev, para)
    return join_block or _breaks_mid_sentence(prev, para)


def _breaks_mid_sentence(prev: _Para, para: _Para) -> bool:
    """Tell whether `para` carries on the sentence `prev` left unfinished."""
    return bool(prev.text and para.text) and not prev.text.endswith(SENTENCE_END) and para.text[0].islower()


def _joined(first: _Para, second: _Para) -> _Para:
    """Join two paragraphs into one."""
    return _Para(first.lines + second.lines, f"{first.text} {second.text}", first.marker, first.block)


def _merge_page_breaks(paras: list[_Para]) -> list[_Para]:
    """Join paragraphs split mid-sentence, as by a page break."""
    merged: list[_Para] = []
    for para in paras:
        prev = merged[-1] if merged else None
        if prev and not prev.marker and not para.marker and _breaks_mid_sentence(prev, para):
            merged[-1] = _joined(prev, para)
        else:
            merged.append(para)
    return merged


def _line_texts(paras: list[_Para]) -> list[tuple[int, str]]:
    """Return the numbered, squashed source lines of paragraphs."""
    return [(number, _squash(line)) for para in paras for number, line in para.lines]


def _day_date(text: str) -> dt.date | None:
    """Parse a Dutch date such as '8 oktober 2018'."""
    match = DAY_DATE_RE.match(text.strip())
    if not match:
        return None
    day, month, year = int(match.group(1)), MONTHS[match.group(2).lower()], int(match.group(3))
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _month_date(text: str) -> dt.date | None:
    """Parse a Dutch month such as 'september | 2017' as the first of that month."""
    match = MONTH_DATE_RE.match(text.strip())
    return dt.date(int(match.group(2)), MONTHS[match.group(1).lower()], 1) if match else None


def _heading_shaped(para: _Para) -> bool:
    """Tell whether a paragraph is short and unfinished enough to be a heading."""
    text = para.text
    return (
        not para.marker
        and 0 < len(text) <= HEADING_MAX
        and not text.endswith((".", ",", ";", ":", "!"))
        and not text.startswith(OPEN_QUOTES)
        and any(char.isalpha() for char in text)
    )


def _is_heading(paras: list[_Para], index: int) -> bool:
    """Tell whether `paras[index]` is a subheading: heading-shaped, text following soon after."""
    if not _heading_shaped(paras[index]):
        return False
    following = paras[index + 1 : index + 3]
    if following and _heading_shaped(following[0]):
        following = following[1:]
    return bool(following) and not _heading_shaped(following[0])


def _pull_quote(para: _Para) -> str | None:
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


def _strip_quotes(text: str) -> str:
    """Remove the quotation marks around a whole text."""
    if len(text) > 1 and text.startswith(OPEN_QUOTES) and text.endswith(CLOSE_QUOTES):
        return text[1:-1].strip()
    return text


# --- drafts ---------------------------------------------------------------------------


def _draft(body: list[_Para], lead: str | None = None, **fields: Any) -> Draft:
    """Build a draft from its fields; the lead stays in the body when nothing else is there."""
    if lead is not None and not body:
        body = [_Para([], lead)]
        lead = None
    values = {**fields, "lead": lead, "draft": True}
    ordered = {key: values[key] for key in FIELD_ORDER if values.get(key) not in (None, [], {}, "")}
    return Draft(slug=_slug(ordered.get("place"), ordered["title"]), fields=ordered, body=_render_body(body))


def _split_lead(body: list[_Para]) -> tuple[str | None, list[_Para]]:
    """Take the first paragraph of a body as its lead when it is plain text."""
    if body and not body[0].marker and not _heading_shaped(body[0]):
        return body[0].text, body[1:]
    return None, body


def _render_body(paras: list[_Para]) -> str:
    """Render paragraphs as Markdown: subheadings, lists and plain paragraphs."""
    chunks: list[str] = []
    for index, para in enumerate(paras):
        if para.marker:
            item = f"{_list_marker(para.marker)} {para.text}"
            if index and paras[index - 1].marker:
                chunks[-1] += f"\n{item}"
            else:
                chunks.append(item)
        elif _is_heading(paras, index):
            chunks.append(f"## {para.text}")
        else:
            chunks.append(para.text)
    return "\n\n".join(chunks)


def _list_marker(marker: str) -> str:
    """Return the Markdown marker for a printed bullet or number."""
    return f"{marker[:-1]}." if marker[0].isdigit() else "-"


def _slug(place: str | None, title: str) -> str:
    """Make a slug of the place and the first words of the title."""
    place_words = _slug_words(place or "")
    title_words = _slug_words(title)
    if len(title_words) > 1 and title_words[0] in {"de", "het", "een"}:
        title_words = title_words[1:]
    title_words = [word for word in title_words if word not in place_words] or title_words
    words = place_words + title_words[: max(2, SLUG_WORDS - len(place_words))]
    while len(words) > 1 and words[-1] in SLUG_STOPWORDS:
        words.pop()
    return "-".join(words) or "record"


def _slug_words(text: str) -> list[str]:
    """Return the lower-case ASCII words of a text, accents stripped."""
    text = unicodedata.normalize("NFKD", text.replace("&", " en "))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"['’‘`]", "", text.lower())
    return re.findall(r"[a-z0-9]+", text)


def _make_slugs_unique(drafts: list[Draft]) -> None:
    """Give repeated slugs a -2, -3 ... suffix."""
    seen: set[str] = set()
    for draft in drafts:
        slug, number = draft.slug, 1
        while slug in seen:
            number += 1
            slug = f"{draft.slug}-{number}"
        seen.add(slug)
        draft.slug = slug


def _links_from(text: str) -> list[dict[str, str]]:
    """Make links of the e-mail addresses and web addresses in a text, or one label."""
    links = [{"label": email, "url": f"mailto:{email}"} for email in EMAIL_RE.findall(text)]
    for found in URL_RE.findall(EMAIL_RE.sub(" ", text)):
        address = found.rstrip(".")
        url = address if address.lower().startswith(("http://", "https://")) else f"https://{address}"
        links.append({"label": address, "url": url})
    return links or [{"label": text.rstrip(". ")}]


# --- newsletter -----------------------------------------------------------------------


def _parse_newsletter(lines: list[tuple[int, str]], seed_name: str) -> _Parsed:
    """Cut a newsletter into its 'Onder de loep' and 'In het kort' items."""
    starts = [index for index, (_, line) in enumerate(lines) if SECTION_RE.match(line.strip())]
    if not starts:
        return [], []
    unplaced: list[tuple[int, str]] = []
    masthead = _masthead(lines[: starts[0]], unplaced)
    end = next((i for i in range(starts[0], len(lines)) if NAVIGATION_RE.match(lines[i][1].strip())), len(lines))
    unplaced += [(number, _squash(line)) for number, line in lines[end + 1 :] if line.strip()]
    source = _newsletter_source(masthead, seed_name)
    drafts = []
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        if start >= end:
            break
        section = lines[start][1].strip()
        draft = _newsletter_item(section, lines[start + 1 : min(stop, end)], masthead, source, unplaced)
        if draft is None:
            unplaced.append((lines[start][0], section))
        else:
            drafts.append(draft)
    return drafts, unplaced


def _masthead(lines: list[tuple[int, str]], unplaced: list[tuple[int, str]]) -> _Masthead:
    """Read title, region and date from the lines above the first section."""
    head = _Masthead()
    for number, line in lines:
        text = _squash(line)
        if not text or text == head.title:
            continue
        if head.title is None:
            head.title = text
        elif head.date is None and _day_date(text):
            head.date, head.printed_date = _day_date(text), text
        elif head.region is None and len(text) <= 40 and not text.endswith(SENTENCE_END):
            head.region = text
        else:
            unplaced.append((number, text))
    return head


def _newsletter_source(masthead: _Masthead, seed_name: str) -> dict[str, str]:
    """Describe the newsletter edition a draft comes from."""
    title = " — ".join(part for part in (masthead.title, masthead.region) if part) or seed_name
    source = {"title": title, "seed": seed_name}
    if masthead.printed_date:
        source["edition"] = masthead.printed_date
    return source


def _newsletter_item(
    section: str,
    lines: list[tuple[int, str]],
    masthead: _Masthead,
    source: dict[str, str],
    unplaced: list[tuple[int, str]],
) -> Draft | None:
    """Build the draft of one newsletter item: head, body, tips and reaction."""
    paras = _paragraphs(lines, join_block=False)
    if not paras:
        return None
    place, title = _split_head(paras[0].text)
    parts = _newsletter_parts(paras[1:])
    lead, body = _split_lead(_merge_page_breaks(parts["body"]))
    return _draft(
        body,
        lead,
        title=title,
        kind="-".join(_slug_words(section)),
        place=place,
        date=masthead.date,
        tips=parts["tips"],
        reaction=_reaction(parts["reaction"], unplaced) if parts["reaction"] else None,
        links=parts["links"],
        sources=[dict(source)],
    )


def _newsletter_parts(paras: list[_Para]) -> dict[str, list[Any]]:
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
            parts["links"] += _links_from(link.group("rest"))
        else:
            parts[state].append(para.text if state == "tips" else para)
    return parts


def _split_head(text: str) -> tuple[str | None, str]:
    """Split a head 'Place | Title' or 'Place - Title' into place and title."""
    if "|" in text:
        place, title = (part.strip() for part in text.split("|", 1))
        return (place or None), title
    match = re.match(r"^(.+?)\s+[-–—]\s+(.+)$", text)
    if match and _looks_like_place(match.group(1)):
        return match.group(1).strip(), match.group(2).strip()
    return None, text


def _looks_like_place(text: str) -> bool:
    """Tell whether a text reads as place names: capitalised words and particles."""
    words = [word for word in re.split(r"[\s,/]+", text.strip()) if word]
    return (
        0 < len(words) <= 6
        and not text.endswith(SENTENCE_END)
        and all(word[0].isupper() or word[0] in "'’" or word in PLACE_PARTICLES for word in words)
    )


def _reaction(paras: list[_Para], unplaced: list[tuple[int, str]]) -> dict[str, str]:
    """Read a 'Reactie' block: a quoted title, the quote, and 'Name (role)'."""
    signed = [i for i, para in enumerate(paras) if _signature(para.text, i == len(paras) - 1)]
    content, name, role = paras, None, None
    if signed:
        index = signed[-1]
        name, role = _signature(paras[index].text, True) or (None, None)
        content = paras[:index]
        unplaced += _line_texts(paras[index + 1 :])
    title = None
    if len(content) > 1 and _is_quoted_title(content[0].text):
        title, content = content[0].text, content[1:]
    quote = _strip_quotes("\n\n".join(para.text for para in content))
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


# --- articles -------------------------------------------------------------------------


def _parse_articles(lines: list[tuple[int, str]], seed_name: str) -> _Parsed:
    """Cut a web export into articles, each after a 'Terug' line."""
    starts = [index for index, (_, line) in enumerate(lines) if BACK_RE.match(line.strip())]
    if not starts:
        return [], []
    unplaced = [(number, _squash(line)) for number, line in lines[: starts[0]] if line.strip()]
    drafts = []
    for start, stop in zip(starts, [*starts[1:], len(lines)], strict=True):
        draft = _article(lines[start + 1 : stop], seed_name, unplaced)
        if draft is not None:
            drafts.append(draft)
    return drafts, unplaced


def _article(lines: list[tuple[int, str]], seed_name: str, unplaced: list[tuple[int, str]]) -> Draft | None:
    """Build the draft of one article: title line, date line, body, teasers."""
    paras = _paragraphs(lines, join_block=False)
    date = _day_date(paras[1].text) if len(paras) > 1 else None
    if date is None:
        unplaced += _line_texts(paras)
        return None
    title, printed = paras[0].text, paras[1].text
    body, links = _split_teasers(paras[2:], unplaced)
    body, quotes = _take_pull_quotes(_merge_page_breaks(body))
    lead, body = _split_lead(body)
    return _draft(
        body,
        lead,
        title=title,
        kind="interview" if re.match(r"interview\b", title, re.I) else "artikel",
        date=date,
        quotes=quotes,
        links=links,
        sources=[{"title": "Alles is Gezondheid", "seed": seed_name, "edition": printed}],
    )


def _split_teasers(paras: list[_Para], unplaced: list[tuple[int, str]]) -> tuple[list[_Para], list[dict[str, str]]]:
    """Cut the trailing 'Relevante links' teasers off a body; their titles become links."""
    start = next((i for i, para in enumerate(paras) if not para.marker and TEASERS_RE.match(para.text)), None)
    if start is None:
        return paras, []
    links: list[dict[str, str]] = []
    after_label = False
    for unit in _group_by_block(paras[start + 1 :]):
        text = " ".join(para.text for para in unit)
        if len(unit) == 1 and _label_shaped(text):
            links += _links_from(text)
            after_label = True
        elif after_label:
            unplaced += _line_texts(unit)
            after_label = False
        else:
            links += _links_from(text)
    return paras[:start], links


def _group_by_block(paras: list[_Para]) -> list[list[_Para]]:
    """Group consecutive paragraphs that came from the same block."""
    groups: list[list[_Para]] = []
    for para in paras:
        if groups and groups[-1][-1].block == para.block:
            groups[-1].append(para)
        else:
            groups.append([para])
    return groups


def _label_shaped(text: str) -> bool:
    """Tell whether a text is short and unfinished enough to be a teaser title."""
    return len(text) <= TITLE_PART_MAX and not text.endswith((".", "!", ";", ",", ":"))


def _take_pull_quotes(paras: list[_Para]) -> tuple[list[_Para], list[str]]:
    """Move the paragraphs that are one short quotation out of a body."""
    body, quotes = [], []
    for para in paras:
        quote = _pull_quote(para)
        if quote is None:
            body.append(para)
        else:
            quotes.append(quote)
    return body, quotes


# --- brochure -------------------------------------------------------------------------


def _parse_brochure(lines: list[tuple[int, str]], seed_name: str) -> _Parsed:
    """Cut a brochure into its stories, each under a place in capitals."""
    paras = _paragraphs(lines, join_block=True, plain=True)
    dates = [_month_date(para.text) for para in paras]
    silent = {i for i, para in enumerate(paras) if _is_contents_entry(para) or dates[i]}
    debris = _factor_spreads(paras)
    stories = _brochure_stories(paras, silent | debris)
    if not stories:
        return [], []
    stoppers = sorted(debris | {i for i, para in enumerate(paras) if COLOPHON_RE.match(para.text)})
    date = next((found for found in dates if found), None)
    title = _brochure_title(paras[: stories[0][0]])
    source = {"title": title or seed_name, "seed": seed_name}
    drafts, used = [], set(silent)
    for number, (first, place) in enumerate(stories):
        end = stories[number + 1][0] if number + 1 < len(stories) else len(paras)
        end = min([end, *(stop for stop in stoppers if stop > place)])
        used |= set(range(first, end))
        body = [paras[i] for i in range(place + 1, end) if i not in silent]
        drafts.append(_brochure_story(paras[first:place], paras[place], body, date, source))
    skipped = [para for i, para in enumerate(paras) if i not in used and para.text != title]
    return drafts, _line_texts(skipped)


def _is_contents_entry(para: _Para) -> bool:
    """Tell whether a block is a contents-page entry: a page number above a title."""
    return len(para.lines) > 1 and bool(CONTENTS_PAGE_RE.match(para.lines[0][1].strip()))


def _factor_spreads(paras: list[_Para]) -> set[int]:
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
    return len(names) <= 20 and all(_looks_like_place(name) for name in names)


def _brochure_stories(paras: list[_Para], excluded: set[int]) -> list[tuple[int, int]]:
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


def _caps_place(para: _Para) -> bool:
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


def _title_part(para: _Para) -> bool:
    """Tell whether a paragraph can be (part of) a story title."""
    return (
        _plain_text(para)
        and len(para.text) <= TITLE_PART_MAX
        and not para.text.endswith((".", "!", "?", ";", ","))
        and not _caps_place(para)
        and not BOX_RE.match(para.text)
        and not any(CONTENTS_PAGE_RE.match(line.strip()) for _, line in para.lines)
    )


def _plain_text(para: _Para) -> bool:
    """Tell whether a paragraph is ordinary text: no list item, quotation or link line."""
    return (
        not para.marker
        and bool(para.text)
        and not para.text.startswith(OPEN_QUOTES)
        and not LINK_LINE_RE.match(para.text)
    )


def _lead_shaped(para: _Para) -> bool:
    """Tell whether a paragraph can open a story: text that is no list, link or pull quote."""
    return not para.marker and bool(para.text) and not LINK_LINE_RE.match(para.text) and _pull_quote(para) is None


def _brochure_title(front: list[_Para]) -> str | None:
    """Return the emphasised title on the cover, if there is one."""
    for para in front:
        raw = para.raw
        if len(raw) > 2 and raw.startswith("*") and raw.endswith("*") and para.text:
            return _squash(para.text)
    return None


def _brochure_story(
    title_paras: list[_Para],
    place_para: _Para,
    paras: list[_Para],
    date: dt.date | None,
    source: dict[str, str],
) -> Draft:
    """Build the draft of one brochure story."""
    paras = _merge_page_breaks(paras)
    lead = paras[0].text if paras and _lead_shaped(paras[0]) else None
    parts = _brochure_parts(paras[1:] if lead is not None else paras)
    return _draft(
        parts["body"],
        lead,
        title=" ".join(para.text for para in title_paras),
        kind="praktijkverhaal",
        place=_title_case_place(place_para.text),
        date=date,
        quotes=parts["quotes"],
        boxes=parts["boxes"],
        tips=parts["tips"],
        links=parts["links"],
        sources=[dict(source)],
    )


def _brochure_parts(paras: list[_Para]) -> dict[str, list[Any]]:
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
            parts["links"] += _links_from(link.group("rest"))
        elif (quote := _pull_quote(para)) is not None:
            parts["quotes"].append(quote)
        else:
            parts["body"].append(para)
        index += 1
    return parts


def _take_box(paras: list[_Para], index: int, parts: dict[str, list[Any]]) -> int:
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


def _ends_box(paras: list[_Para], index: int) -> bool:
    """Tell whether a box ends before `paras[index]`: at a subheading, list or link."""
    para = paras[index]
    return bool(para.marker) or bool(LINK_LINE_RE.match(para.text)) or _is_heading(paras, index)


def _title_case_place(text: str) -> str:
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


_PARSERS: tuple[tuple[str, Callable[[list[tuple[int, str]], str], _Parsed]], ...] = (
    ("newsletter", _parse_newsletter),
    ("articles", _parse_articles),
    ("brochure", _parse_brochure),
)
