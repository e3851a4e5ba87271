"""Markdown to safe HTML: every Markdown text of a record or publication is converted and cleaned here.

Records are untrusted input. Markdown lets a writer put raw HTML in a text, so after conversion
the HTML is cleaned with nh3 on an allow-list of the elements and attributes the layouts support:
no script, frame, embedded object, style sheet, event handler or `javascript:` link survives, and
an image may only name a file (which the resolver then confines to the project). `inspect_html`
tells `katern check` what the cleaning would remove, so that nothing disappears without a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape, unescape
from html.parser import HTMLParser

import markdown as md
import nh3

from katern.errors import ContentError
from katern.paths import is_url

# Python-Markdown extensions: no raw-HTML blocks with Markdown inside, no attribute lists ({: ...}).
MARKDOWN_EXTENSIONS = ["abbr", "def_list", "fenced_code", "tables", "sane_lists"]

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "b", "i", "sub", "sup", "abbr", "code", "pre", "blockquote",
        "ul", "ol", "li", "dl", "dt", "dd",
        "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
ALLOWED_STYLE_PROPERTIES = frozenset({"text-align"})
LINK_SCHEMES = frozenset({"http", "https", "mailto"})

MAX_NESTING = 20  # levels of lists or block quotes a Markdown text may nest
MAX_HTML_DEPTH = 2 * MAX_NESTING + 4  # elements inside elements, in the converted HTML
MAX_WORD = 60  # characters in one word without a break opportunity
MAX_ADDRESS = 120  # characters in one web or e-mail address printed in the text


class MarkupError(ContentError):
    """A Markdown text that cannot be converted safely (nested too deeply)."""


def markdown_raw(text: str) -> str:
    """Convert Markdown to HTML as Python-Markdown writes it, before cleaning."""
    depth = markdown_depth(text)
    if depth > MAX_NESTING:
        raise MarkupError(
            f"lists or quotes are nested {depth} levels deep; katern allows at most {MAX_NESTING}. "
            "Flatten the structure."
        )
    try:
        return md.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    except RecursionError:
        raise MarkupError(
            f"the text is nested too deeply to convert; katern allows at most {MAX_NESTING} levels "
            "of lists or quotes. Flatten the structure."
        ) from None


def markdown_depth(text: str) -> int:
    """Estimate how deeply lists and block quotes nest in a Markdown text, without converting it."""
    deepest = 0
    for line in text.expandtabs(4).splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        quotes = len(re.match(r"^(?:>\s?)*", stripped)[0].replace(" ", ""))
        rest = stripped.lstrip("> ")
        is_item = bool(re.match(r"^([-*+]|\d+[.)])\s", rest))
        deepest = max(deepest, quotes + indent // 4 + (1 if is_item else 0))
    return deepest


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Drop image sources that are not files; nh3 already checks link schemes."""
    if tag == "img" and attribute == "src" and is_url(value):
        return None
    return value


def clean_html(html: str) -> str:
    """Clean converted HTML down to the allow-list."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(LINK_SCHEMES),
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
        link_rel=None,
        strip_comments=True,
    )


# A web or e-mail address printed bare in a text: https://..., www.example.nl/..., name@example.nl.
# It may not start inside a word, an address or a path (the look-behind).
_ADDRESS_RE = re.compile(
    r"(?<![\w@/.:#%+&-])"
    r"(?:(?P<url>https?://\w[^\s<>\"]*)"
    r"|(?P<www>www\.[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])(?:[/?#][^\s<>\"]*)?)"
    r"|(?P<mail>[\w+-][\w.+-]*@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?![\w-])))",
    re.IGNORECASE,
)
_TAG_RE = re.compile(r"(<!--.*?-->|<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)", re.S)  # a tag or comment, quotes allowed
_NO_AUTOLINK_RE = re.compile(r"<(/?)(a|code|pre)\b", re.I)  # inside these, addresses stay text
_TRAILING = ".,;:!?'\"\u2018\u2019\u201c\u201d\u00bb"  # punctuation that ends a sentence, not an address
_CLOSING = {")": "(", "]": "["}  # a closing bracket belongs to the address only when it opens one


def _address_link(match: re.Match[str]) -> str:
    """Return one bare address as a link, with the punctuation after it left outside."""
    address, tail = match[0], ""
    while address and (
        address[-1] in _TRAILING
        or (address[-1] in _CLOSING and address.count(_CLOSING[address[-1]]) < address.count(address[-1]))
    ):
        address, tail = address[:-1], address[-1] + tail
    if match["mail"]:
        target = "mailto:" + address
    elif match["www"]:
        target = "https://" + address
    else:
        target = address
    href = escape(unescape(target), quote=True)  # the text is already HTML: decode, then encode for the attribute
    return f'<a href="{href}">{address}</a>{tail}'


def autolink(html: str) -> str:
    """Turn bare web and e-mail addresses in the text of `html` into links; tags and links stay as they are."""
    parts = _TAG_RE.split(html)
    depth = 0  # how many <a>, <code> or <pre> elements the text is inside
    for index, part in enumerate(parts):
        if index % 2:  # a tag or comment
            tag = _NO_AUTOLINK_RE.match(part)
            if tag:
                depth = max(0, depth - 1) if tag[1] else depth + 1
        elif depth == 0 and part:
            parts[index] = _ADDRESS_RE.sub(_address_link, part)
    return "".join(parts)


def to_html(text: str | None, shift: int = 0) -> str:
    """Convert Markdown to clean HTML, linking bare addresses and moving headings `shift` levels down."""
    if not text:
        return ""
    html = clean_html(autolink(markdown_raw(text)))
    if shift:
        html = re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m[1]}h{min(int(m[2]) + shift, 6)}", html)
    return html


@dataclass
class Finding:
    """Something in a text's HTML that katern will not publish, and the text to find it by."""

    message: str
    needle: str


@dataclass
class Inspection:
    """What a Markdown text contains that needs checking: its images and what cleaning would remove."""

    images: list[str] = field(default_factory=list)
    without_alt: list[str] = field(default_factory=list)  # image sources that have no alt text
    refused: list[Finding] = field(default_factory=list)


class _Inspector(HTMLParser):
    def __init__(self, result: Inspection) -> None:
        super().__init__(convert_charrefs=True)
        self.result = result
        self.depth = 0
        self.too_deep = False

    def refuse(self, message: str, needle: str) -> None:
        if all(f.message != message for f in self.result.refused):
            self.result.refused.append(Finding(message, needle))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"br", "hr", "img"}:
            self.depth += 1
        if self.depth > MAX_HTML_DEPTH and not self.too_deep:
            self.too_deep = True
            self.refuse(f"elements are nested more than {MAX_HTML_DEPTH} deep. Flatten the structure.", f"<{tag}")
        if tag not in ALLOWED_TAGS:
            self.refuse(
                f"contains <{tag}>, which katern does not publish (it would be removed). "
                "Remove it; use Markdown for headings, lists, links and images.",
                f"<{tag}",
            )
            return
        if tag == "img" and not (dict(attrs).get("alt") or "").strip():
            self.result.without_alt.append(dict(attrs).get("src") or "")
        for name, value in attrs:
            value = value or ""
            if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                self.refuse(
                    f"the attribute '{name}' on <{tag}> is not published (it would be removed). Remove it.", name
                )
            elif tag == "img" and name == "src":
                self.result.images.append(value)
            elif name == "href":
                scheme = value.split(":", 1)[0].strip().lower() if is_url(value) else ""
                if (scheme and scheme not in LINK_SCHEMES) or value.strip().startswith("//"):
                    self.refuse(
                        f"the link '{value[:60]}' is not a web or e-mail address (it would be removed). "
                        "Links start with https://, http:// or mailto:.",
                        value[:40],
                    )
            elif name == "style" and not re.fullmatch(r"\s*(text-align\s*:\s*\w+\s*;?\s*)?", value):
                self.refuse(f"the style '{value[:60]}' on <{tag}> is not published. Remove it.", value[:40])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "hr", "img"}:
            self.depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in {"br", "hr", "img"}:
            self.depth = max(0, self.depth - 1)

    def handle_comment(self, data: str) -> None:
        return None


def inspect_markdown(text: str) -> Inspection:
    """Convert a Markdown text and say which images it uses and what cleaning would remove."""
    result = Inspection()
    parser = _Inspector(result)
    parser.feed(markdown_raw(text))
    parser.close()
    return result


WORD_RE = re.compile(r"\S+")
LINK_TARGET_RE = re.compile(r"\]\([^)]*\)|<(?:https?:|mailto:)[^>]*>|!\[[^\]]*\]")


def long_words(text: str) -> list[str]:
    """Return the words of a printed text that are too long to set in a column."""
    found = []
    for word in WORD_RE.findall(LINK_TARGET_RE.sub("]", text)):
        address = any(c in word for c in "/.@-")
        if len(word) > (MAX_ADDRESS if address else MAX_WORD):
            found.append(word)
    return found


class _LoadFinder(HTMLParser):
    """Collect every reference in a finished HTML page that a browser would load (not follow)."""

    LOADING_ATTRIBUTES = ("src", "srcset", "poster", "data", "background", "action", "formaction", "xlink:href")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag in {"script", "iframe", "frame", "object", "embed", "base"}:
            self.loads.append(f"<{tag}>")
        if tag == "link" and attributes.get("href", "").strip() and not attributes["href"].startswith(("#", "data:")):
            self.loads.append(f"<link href={attributes['href'][:60]!r}>")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.loads.append("<meta http-equiv=refresh>")
        for name in self.LOADING_ATTRIBUTES:
            value = attributes.get(name, "").strip()
            if value and not value.startswith(("data:", "#")):
                self.loads.append(f"<{tag} {name}={value[:60]!r}>")
        href = attributes.get("href", "").strip().lower()
        if tag == "a" and href.startswith(("javascript:", "file:", "//", "data:")):
            self.loads.append(f"<a href={href[:60]!r}>")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.loads.append(f"<{tag} {name}>")
            if name == "style":
                self._css(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)

    def _css(self, css: str) -> None:
        if "@import" in css:
            self.loads.append("@import in a style")
        for url in re.findall(r"url\(\s*['\"]?([^'\")\s]{0,60})", css):
            if not url.startswith(("data:", "#")):
                self.loads.append(f"url({url})")


def external_loads(html: str) -> list[str]:
    """Return what a finished HTML page would load from outside itself (it must be self-contained)."""
    finder = _LoadFinder()
    finder.feed(html)
    finder.close()
    return finder.loads
