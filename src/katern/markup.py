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


# Typesetting: the finishing pass over finished HTML that Dutch (and English) typesetting wants and CSS
# cannot express. It works on the text between tags only, never inside a tag or an attribute:
# - non-breaking spaces (U+00A0) between a number and its unit or word ("15 gemeenten", "10 %", "€ 15"),
#   in dates ("8 oktober 2018"), after initials ("A.D. Klijne", "J. van Dam"), titles ("dhr. Jansen"),
#   before a number after an abbreviation ("nr. 5", "p. 4") and before a dash inside a sentence;
# - zero-width spaces (U+200B) after "/" and "." in long web and e-mail addresses, so a line may break
#   there (and only there: the theme sets `hyphens: manual` on links and addresses), and a word joiner
#   (U+2060) after a hyphen inside an address, so it never ends a line as if it were a hyphenation;
# - addresses outside links in `<span class="address">`, and names (capitalised words inside a
#   sentence, brands such as "CenteringPregnancy") in `<span class="name">`: the theme never
#   hyphenates these.
# Running it twice gives the same HTML as running it once.

NBSP = "\u00a0"
ZWSP = "\u200b"
WJ = "\u2060"  # word joiner: no line break after the hyphen of an address ("over-ons")
BREAKABLE_ADDRESS = 18  # characters: shorter addresses move to the next line whole
ADDRESS_BREAK_MIN = 3  # characters at least before and after a break inside an address
NAME_MIN = 6  # letters: shorter words are never hyphenated (the theme's hyphenate-limit-chars: 6 3 3)
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
# Text left exactly as it is: code, and the <head> (title, style), so a whole page may be typeset at once.
_VERBATIM = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea", "head", "title"})
_BLOCKS = frozenset(
    {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dt", "dd", "blockquote", "div", "aside",
     "figcaption", "section", "article", "header", "footer", "br", "ul", "ol", "table", "tr", "caption",
     "html", "head", "title", "body", "main", "nav"}
)  # fmt: skip
_OPEN_TAG_RE = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)([^>]*?)(/?)\s*>\Z", re.S)
_OWN_SPAN_RE = re.compile(r"""\bclass\s*=\s*["']?(?:address|name)\b""")
_TLDS = "nl|com|org|net|eu|be|info|frl|nu|de|uk|io|amsterdam"
_BARE_DOMAIN_RE = re.compile(
    rf"(?<![\w@/.:#%+&-])(?:[a-z\d][\w-]*\.)+(?:{_TLDS})(?![\w-])(?:/[^\s<>\"]*)?", re.IGNORECASE
)
_TOKEN_RE = re.compile(r"[^\s<>]+")  # a run of text without spaces: a candidate address
_WORD_RE = re.compile(r"(?<![\w’'&#-])[^\W\d_](?:[^\W_]|[’'-](?=[^\W\d_]))*")

_LANGUAGE_WORDS = {
    "nl": {
        "months": "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december",
        "before_number": r"nr|no|p|pp|blz|pag|art|fig|hfst|tel|artikel|pagina|bladzijde|hoofdstuk|nummer|groep|fase",
        "titles": r"dhr|mevr|mr|dr|drs|ir|ing|prof|ds|mw",
        "particles": r"van|von|de|den|der|het|ten|ter|te|in|op|'t|’t|d'|d’|la|le|du|el",
        # words after a number that are not what it counts: "5 op 10", "2 en 3", "in 4 of 5 jaar"
        "not_counted": r"en|of|op|in|is|zijn|was|waren|wordt|worden|werd|werden|tot|van|voor|met|aan|naar|bij|uit|"
        r"om|dan|die|dat|de|het|een|te|als|maar|door|na|over|tegen|zo|er|ook|nog|al|wel|niet|heeft|hebben|had|"
        r"kan|kunnen|moet|mag|zal|zou|gaat|gaan|komt|komen|staat|keer|x",
    },
    "en": {
        "months": "January|February|March|April|May|June|July|August|September|October|November|December",
        "before_number": r"no|nos|p|pp|fig|vol|ch|art|page|chapter|section|number",
        "titles": r"Mr|Mrs|Ms|Dr|Prof|St",
        "particles": r"van|von|de|der|la|le|du|di|da",
        "not_counted": r"and|or|of|to|in|on|at|is|are|was|were|by|for|with|from|as|than|the|a|an|times|x",
    },
}


def _nbsp_rules(language: str) -> list[tuple[re.Pattern[str], str]]:
    """The non-breaking-space rules for `language`: (pattern, replacement) on unescaped text."""
    words = _LANGUAGE_WORDS.get(language.split("-")[0].lower(), _LANGUAGE_WORDS["en"])
    number = r"(?<![\w.,])[-+−]?\d+(?:[.,]\d+)*"
    year = r"(?:1[89]|20)\d\d"
    counted = rf"(?=[%‰°]|(?!(?:{words['not_counted']})\b)[^\W\d_])"  # a unit or a word the number counts
    return [
        # "15 gemeenten", "3 jaar", "10 %", "620.000 inwoners", "1 januari"; not a year ("in 2015 waren").
        (re.compile(rf"({number})(?<!(?<![\d.,]){year}) {counted}"), r"\1" + NBSP),
        # "oktober 2018", "September 2017"
        (re.compile(rf"\b((?i:{words['months']})) (?=\d)"), r"\1" + NBSP),
        # "€ 15", "$ 3"
        (re.compile(r"([€$£§]) (?=\d)"), r"\1" + NBSP),
        # "nr. 5", "p. 4", "artikel 3"
        (re.compile(rf"(?<![\w.])((?i:{words['before_number']})\.?) (?=\d)"), r"\1" + NBSP),
        # "dhr. Jansen", "Dr. Smith"
        (re.compile(rf"(?<![\w.])((?i:{words['titles']})\.) (?=[^\W\d_])"), r"\1" + NBSP),
        # initials: "A.D. Klijne", "A. D. Klijne", "J.M. van den Berg": no break inside the name
        (re.compile(r"(?<![\w.])([A-Z]\.) (?=[A-Z]\.)"), r"\1" + NBSP),
        (
            re.compile(rf"(?<![\w.])((?:[A-Z]\.(?:{NBSP})?)+) ((?:(?:{words['particles']}) )*)(?=[A-Z][^\W\d_])"),
            lambda m: m[1] + NBSP + m[2].replace(" ", NBSP),
        ),
        # a dash inside a sentence does not start a line: "school – ook"
        (re.compile(r"(?<=[\w,.;:!?’”)]) (?=[–—] )"), NBSP),
    ]


def _address_breaks(address: str) -> str:
    """Return `address` with a zero-width space after each "/" and "." where a line may break.

    Only in long addresses; never inside "://", before punctuation, or leaving fewer than 3 characters on
    either side. An e-mail address breaks only after its "@" and the dots of its domain.
    """
    address = address.replace(ZWSP, "").replace(WJ, "")
    address = re.sub(r"-(?=.)", "-" + WJ, address)
    if len(address.replace(WJ, "")) < BREAKABLE_ADDRESS:
        return address
    at = address.find("@")
    out, last = [], 0
    for index, char in enumerate(address):
        out.append(char)
        after = address[index + 1 :]
        if (
            char in ("/." if at < 0 else "@.")
            and index >= at
            and not (char == "/" and (after.startswith("/") or address[index - 1 : index] in (":", "/")))
            and index + 1 - last >= ADDRESS_BREAK_MIN
            and len(after) >= ADDRESS_BREAK_MIN
            and after[:1].isalnum()
        ):
            out.append(ZWSP)
            last = index + 1
    return "".join(out)


def _plain(text: str) -> str:
    """Return `text` without the zero-width characters `typeset` puts in addresses."""
    return text.replace(ZWSP, "").replace(WJ, "")


def _find_address(token: str) -> tuple[int, int] | None:
    """Return where a web or e-mail address lies in `token` (without its trailing punctuation), if it has one."""
    plain = _plain(token)  # the same length as `token` once `addresses` has removed them
    match = _ADDRESS_RE.search(plain) or _BARE_DOMAIN_RE.search(plain)
    if not match:
        return None
    start, end = match.span()
    while end > start and (plain[end - 1] in _TRAILING or _unopened(plain[start:end])):
        end -= 1
    return (start, end) if end > start else None


def _unopened(address: str) -> bool:
    """Say whether `address` ends in a closing bracket that it did not open (it belongs to the text)."""
    last = address[-1]
    return last in _CLOSING and address.count(_CLOSING[last]) < address.count(last)


def _is_name(word: str, sentence_start: bool) -> bool:
    """Say whether `word` is a name or brand that must not be hyphenated."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) < NAME_MIN or not word[0].isupper():
        return False
    camel = any(a.islower() and b.isupper() for a, b in zip(word, word[1:], strict=False))
    return camel or word.isupper() or not sentence_start


def _split_space(text: str) -> tuple[str, str]:
    """Split one trailing space off `text`: it goes inside the span that follows."""
    return (text[:-1], " ") if text.endswith(" ") else (text, "")


def _own_span(kind: str, html: str) -> str:
    """Return `html` in a span of `kind` ("address" or "name").

    The space before the word goes inside the span: WeasyPrint 70 misplaces a line break when a text
    ending in a space is followed by an inline box that does not fit ("weten" alone on a line).
    """
    return f'<span class="{kind}">{html}</span>'


_CONTEXT_STRIP = " \u00a0\t\n“‘\"'([«„"  # stripped from the text before a word to see if it starts a sentence
TYPESET_CACHE_SIZE = 50_000  # texts set, kept for this process; emptied when full
_TYPESET_CACHE: dict[tuple, tuple[str, str]] = {}


class _Typesetter:
    """Typeset the text of one HTML fragment; see `typeset`."""

    def __init__(self, language: str, breaks: bool = True) -> None:
        self.breaks = breaks
        self.language = language.split("-")[0].lower()
        self.rules = _nbsp_rules(self.language)
        self.names = self.language not in {"de", "lb"}  # in German every noun is capitalised
        self.stack: list[tuple[str, str]] = []  # open elements: (tag, "verbatim" | "link" | "own" | "")
        self.previous = ""  # the text before the current one in the same block, for sentence starts

    def inside(self, kind: str) -> bool:
        return any(k == kind for _, k in self.stack)

    def tag(self, tag: str) -> None:
        match = _OPEN_TAG_RE.match(tag)
        if not match:  # a comment or a declaration
            return
        closing, name, attributes, self_closing = match[1], match[2].lower(), match[3], match[4]
        if name in _BLOCKS:
            self.previous = ""
        if name in _VOID or self_closing:
            return
        if closing:
            for depth in range(len(self.stack) - 1, -1, -1):
                if self.stack[depth][0] == name:
                    del self.stack[depth:]
                    break
            return
        kind = ""
        if name in _VERBATIM:
            kind = "verbatim"
        elif name == "a":
            kind = "link"
        elif name == "span" and _OWN_SPAN_RE.search(attributes):
            kind = "own"
        self.stack.append((name, kind))

    def text(self, html: str) -> str:
        if self.inside("verbatim") or not html:
            return html
        # The same text in the same place is set the same way: a rebuild (katern serve) or a second
        # layout sets most of a publication's text again. What the result depends on is the key: the
        # text, the elements it is in, and the last letter of the text before it (a sentence start).
        key = (
            html,
            self.language,
            self.breaks,
            self.inside("own"),
            self.inside("link"),
            self.previous.rstrip(_CONTEXT_STRIP)[-1:],
        )
        found = _TYPESET_CACHE.get(key)
        if found is None:
            text = unescape(html)
            if not self.inside("own"):
                for pattern, replacement in self.rules:
                    text = pattern.sub(replacement, text)
            found = (self.addresses(text), text)
            if len(_TYPESET_CACHE) >= TYPESET_CACHE_SIZE:
                _TYPESET_CACHE.clear()
            _TYPESET_CACHE[key] = found
        out, text = found
        self.previous = (self.previous + text)[-40:]
        return out

    def addresses(self, text: str) -> str:
        """Break long addresses after "/" and "."; outside links, mark them as addresses."""
        # Without the break opportunities of an earlier run, so that a second run finds the same addresses.
        text = _TOKEN_RE.sub(lambda t: _plain(t[0]) if _find_address(t[0]) else t[0], text)
        protected = self.inside("link") or self.inside("own")
        out, position = [], 0
        for token in _TOKEN_RE.finditer(text):
            found = _find_address(token[0])
            if not found:
                continue
            start, end = token.start() + found[0], token.start() + found[1]
            address = escape(_address_breaks(text[start:end]) if self.breaks else text[start:end], quote=False)
            if protected:
                out.append(self.words(text[position:start], text[:position]) + address)
            else:
                before, space = _split_space(text[position:start])
                out.append(self.words(before, text[:position]) + _own_span("address", space + address))
            position = end
        out.append(self.words(text[position:], text[:position]))
        return "".join(out)

    def words(self, text: str, before: str) -> str:
        """Mark the names in `text` (a stretch without addresses); `before` is the text before it here."""
        if not self.names or self.inside("link") or self.inside("own") or not text:
            return escape(text, quote=False)
        out, position = [], 0
        for word in _WORD_RE.finditer(text):
            context = (self.previous + before + text[: word.start()]).rstrip(_CONTEXT_STRIP)
            sentence_start = not context or context[-1] in ".!?:;…" or context.endswith(("–", "—"))
            if _is_name(word[0], sentence_start):
                lead, space = _split_space(text[position : word.start()])
                out.append(escape(lead, quote=False) + _own_span("name", space + escape(word[0], quote=False)))
                position = word.end()
        out.append(escape(text[position:], quote=False))
        return "".join(out)


def typeset(html: str, language: str, *, breaks: bool = True) -> str:
    """Return finished HTML with the non-breaking spaces, break opportunities and no-hyphenation marks
    that typesetting in `language` wants (see above). Only text changes; tags and attributes stay as they
    are, and text in code, pre, script and style is left alone. Idempotent.

    `breaks=False` leaves out the zero-width characters in addresses: for the HTML booklet, where the
    browser wraps long words itself and a copied address must stay exactly as printed.
    """
    if not html:
        return html
    setter = _Typesetter(language or "nl", breaks)
    parts = _TAG_RE.split(html)
    for index, part in enumerate(parts):
        if index % 2:
            setter.tag(part)
        else:
            parts[index] = setter.text(part)
    return "".join(parts)
