"""Readability for language level B1: long sentences, long words and a Flesch-Douma score per record.

Government texts are to be written at language level B1. `katern check --readability` reads the
printed texts of every record (the lead, each paragraph of the body, the tips, the box bodies and
the reaction quote) and tells the editor where a text is hard to read: the sentences that are
longer than B1 guidance allows, the words that are long, and a readability score for Dutch. They
are advice (warnings): they never make `check` fail, also not under `--strict`, unless a
publication asks for B1 with `readability: strict` (then the long sentences of its records are
errors).

The score is the Flesch-Douma reading ease (W.H. Douma, 1960: Flesch's formula fitted to Dutch),
computed by the `textstat` library:

    206.835 - 0.93 * (words per sentence) - 77 * (syllables per word)

textstat counts syllables with pyphen's Dutch hyphenation dictionary (nl_NL): the hyphenation
points of a word plus one. katern counts the syllables of a single word the same way. Hyphenation
points are not always syllables (pyphen never splits off one letter at the start or end of a word,
so "idee" counts as one), so the counts are estimates, a little low.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyphen
import yaml
from textstat.textstat import textstatistics

from katern.errors import Problem
from katern.models import Record
from katern.paths import RefusedPath, Resolver
from katern.records import split_front_matter

if TYPE_CHECKING:
    from katern.project import Project

# Dutch plain-language (B1) writing guides keep sentences short: the Rijksoverheid's "Direct
# Duidelijk" programme and the house styles of ministries and municipalities advise 10 to 15 words
# on average and rarely more than 20 (some set 15 as the maximum; there is no single standard).
# katern reports the sentences over 20 words: long for B1 by any of these guides.
MAX_SENTENCE_WORDS = 20
# Long words: more than 4 syllables, or more than 15 letters (B1 guides: short, common words; long
# compounds are hard to read). Names, web and e-mail addresses, abbreviations and numbers are left out.
MAX_WORD_SYLLABLES = 4
MAX_WORD_LETTERS = 15
# Douma's norm table for his formula (W.H. Douma, 1960; as printed in "Taal", DBNL
# _taa014197701_01): 0-30 very difficult, 30-45 difficult, 45-60 fairly difficult, 60-70 normal,
# 70-80 fairly easy, 80-90 easy, 90-100 very easy. A B1 text reads as "normal" or easier: 60 or more.
B1_SCORE = 60
SCORE_BANDS = (
    (90, "very easy"),
    (80, "easy"),
    (70, "fairly easy"),
    (60, "normal"),
    (45, "fairly difficult"),
    (30, "difficult"),
    (float("-inf"), "very difficult"),
)
MIN_SCORE_WORDS = 50  # a score over fewer words says little
SHOW_SENTENCES = 5  # per record, the longest sentences shown (the rest are counted)
SHOW_WORDS = 10  # per record, the longest words shown (the rest are counted)
QUOTE_LIMIT = 60  # characters of Dutch text quoted in a message
# Kinds of finding that become errors for the records of a publication with `readability: strict`.
STRICT_KINDS = frozenset({"sentence"})

# Abbreviations whose full stop does not end a sentence (lower case, without the last full stop).
ABBREVIATIONS = frozenset(
    {
        "a.s", "afd", "apr", "art", "aug", "blz", "bv", "bijv", "ca", "d.w.z", "dec", "dhr", "dr", "drs",
        "e.a", "e.d", "evt", "excl", "feb", "febr", "i.o.m", "i.p.v", "i.s.m", "i.v.m", "incl", "ing", "ir",
        "jan", "jl", "jul", "jun", "m.a.w", "m.b.t", "max", "min", "mln", "mld", "mevr", "mr", "mrt", "n.a.v",
        "nl", "nov", "nr", "o.a", "o.b.v", "okt", "p", "prof", "resp", "sep", "sept", "st", "t.a.v", "t.o.v",
        "tel", "vgl", "vs", "z.g.a.n", "zgn",
    }
)  # fmt: skip

_HEADING = re.compile(r"^#{1,6}(\s|$)")
_RULE = re.compile(r"^([-*_])(\s*\1){2,}$")
_ABBR_DEFINITION = re.compile(r"^\*\[[^\]]*\]:")
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?:|mailto:)[^>]*)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(?<![\w\\])[*_]+|[*_]+(?![\w])")
_END = re.compile(r"([.!?…]+)[\"”’'»)\]]*(?=\s|$)|\n")
_OPENERS = "\"“‘'«„([-–"
_EDGE = "\"“”‘’'«»„()[]{}.,;:!?…*–—-"


@dataclass(frozen=True)
class Finding:
    """One thing that is hard to read at B1, with where it is."""

    kind: str  # "sentence", "word", "score" or "more"
    message: str
    field: str | None = None
    line: int | None = None

    def problem(self, path: Path, severity: str = "warning") -> Problem:
        return Problem(path, self.message, self.field, self.line, severity)


@dataclass
class RecordReadability:
    """What `analyse_record` found in one record."""

    record: Record
    findings: list[Finding] = field(default_factory=list)
    score: float | None = None  # None when the record has too few words to score
    words: int = 0
    sentences: int = 0
    long_sentences: int = 0
    long_words: int = 0  # different long words
    strict: bool = False  # the record is in a publication with `readability: strict`

    def problems(self) -> list[Problem]:
        """Return the findings as Problems: warnings, or errors where a publication asks for B1 strictly."""
        return [
            f.problem(self.record.path, "error" if self.strict and f.kind in STRICT_KINDS else "warning")
            for f in self.findings
        ]


@dataclass
class ProjectReadability:
    """What `analyse_project` found in all records."""

    results: list[RecordReadability]

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.results for p in r.problems()]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def summary(self) -> str:
        scored = [r for r in self.results if r.score is not None]
        low = [r for r in scored if r.score < B1_SCORE]
        text = (
            f"readability: {len(self.results)} record(s), {len(low)} scoring below {B1_SCORE}; "
            f"{sum(r.long_sentences for r in self.results)} sentence(s) over {MAX_SENTENCE_WORDS} words, "
            f"{sum(r.long_words for r in self.results)} long word(s) "
            f"(over {MAX_WORD_SYLLABLES} syllables or {MAX_WORD_LETTERS} letters)"
        )
        if scored:
            lowest = min(scored, key=lambda r: r.score)
            average = sum(r.score for r in scored) / len(scored)
            text += f"; average score {average:.0f}, lowest {lowest.score:.0f} ({lowest.record.slug})"
        errors = len(self.errors)
        return text + (f"; {errors} error(s) from readability: strict" if errors else "")


@dataclass
class _Block:
    """One paragraph of a printed text, as plain text, and how to find its lines in the file."""

    field: str
    where: str  # "paragraph 3 ('Marieke Snel werkt al…')", "the lead", "tip 2", ...
    text: str  # plain text; "\n" separates list items (each ends a sentence)
    starts: list[tuple[int, int]]  # (offset in text, line of the file) of each source line, if known
    source: tuple[int, str] | None = None  # (line of the file, YAML source) of a front matter field
    offsets: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.offsets = [offset for offset, _line in self.starts]

    def line_of(self, offset: int, sentence: str, word: str | None = None) -> int | None:
        """Return the line of the file of a sentence (at `offset` in the text), or of a word in it."""
        if self.starts:
            if word is not None:
                offset += max(sentence.find(word), 0)
            index = bisect_right(self.offsets, offset) - 1
            return self.starts[max(index, 0)][1]
        if self.source is None:
            return None
        line, raw = self.source
        # Find the sentence by its first words in the YAML source (folded over lines), then the word.
        at = 0
        words = sentence.split()[:3]
        found = re.search(r"\s+".join(re.escape(w) for w in words), raw) if words else None
        if found:
            at = found.start()
        if word is not None:
            at = max(raw.find(word, at), at)
        return line + raw[:at].count("\n")


@dataclass
class _Sentence:
    block: _Block
    offset: int
    text: str
    words: list[str]

    @property
    def line(self) -> int | None:
        return self.block.line_of(self.offset, self.text)

    def line_of(self, word: str) -> int | None:
        return self.block.line_of(self.offset, self.text, word)


@dataclass
class _LongWord:
    word: str  # as written (a hyphenated word whole)
    part: str  # the part that is long
    syllables: int
    letters: int
    sentence: _Sentence  # where it first appears
    times: int = 0
    first: str = field(init=False)  # the spelling to find its first appearance by

    def __post_init__(self) -> None:
        self.first = self.word


@functools.cache
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="nl_NL")


@functools.cache
def _scorer() -> textstatistics:
    scorer = textstatistics()  # an instance of its own: textstat.set_lang would change the shared one
    scorer.set_lang("nl_NL")
    return scorer


@functools.lru_cache(maxsize=8192)
def syllables(word: str) -> int:
    """Return the number of syllables of one Dutch word, as textstat counts them (pyphen nl_NL)."""
    return len(_hyphenator().positions(word.lower())) + 1


def interpret(score: float) -> str:
    """Return Douma's plain-words rating of a Flesch-Douma score."""
    return next(label for bound, label in SCORE_BANDS if score >= bound)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """Return `text` on one line, cut at a word to at most `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def first_words(text: str, count: int = 4) -> str:
    """Return the first words of a paragraph, to name it by."""
    words = text.split()
    head = " ".join(words[:count])
    return quote(head, 40) + ("…" if len(words) > count and not head.endswith("…") else "")


def plain(line: str) -> str:
    """Return one line of Markdown as the text a reader sees (links by their label, no markup)."""
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _TAG.sub("", line)
    line = _EMPHASIS.sub("", line).replace("`", "")
    return re.sub(r"\\(.)", r"\1", line).strip()


def paragraphs(text: str) -> list[list[tuple[int, str, bool]]]:
    """Split Markdown into paragraphs: lists of (line index, plain text, starts a list item).

    Headings, rules, tables, code blocks and abbreviation definitions are left out: they are not
    running text.
    """
    found: list[list[tuple[int, str, bool]]] = []
    current: list[tuple[int, str, bool]] = []
    fenced = False

    def flush() -> None:
        if current:
            found.append(current.copy())
            current.clear()

    for index, raw in enumerate(text.replace("\r\n", "\n").split("\n")):
        stripped = raw.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            flush()
            continue
        if fenced:
            continue
        if (
            not stripped
            or _HEADING.match(stripped)
            or _RULE.match(stripped)
            or stripped.startswith("|")
            or _ABBR_DEFINITION.match(stripped)
        ):
            flush()
            continue
        line = re.sub(r"^(?:>\s?)+", "", stripped)
        item = _ITEM.match(line)
        if item:
            line = line[item.end() :]
        line = plain(line)
        if line:
            current.append((index, line, bool(item)))
    flush()
    return found


def _join(lines: list[tuple[int, str, bool]], line_of_index) -> tuple[str, list[tuple[int, int]]]:
    """Join a paragraph's lines into one text; return it and the (offset, file line) of each line."""
    text, starts = "", []
    for index, line, item in lines:
        if text:
            text += "\n" if item else " "
        file_line = line_of_index(index)
        if file_line is not None:
            starts.append((len(text), file_line))
        text += line
    return text, starts


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Split plain Dutch text into (offset, sentence).

    A sentence ends at . ! ? or … (with any closing quote) before a capital or a digit, and at the
    end of a list item; not at the full stop of an abbreviation (o.a., bijv.) or an initial (J.).
    """
    found, start = [], 0
    for match in _END.finditer(text):
        end = match.end()
        if match.group(1) is not None:
            following = text[end:].lstrip().lstrip(_OPENERS)[:1]
            if following and not (following.isupper() or following.isdigit()):
                continue
            if match.group(1) == "." and _abbreviation(text[start : match.start()]):
                continue
        _add_sentence(found, text, start, end)
        start = end
    _add_sentence(found, text, start, len(text))
    return found


def _add_sentence(found: list[tuple[int, str]], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    if piece.strip():
        found.append((start + len(piece) - len(piece.lstrip()), piece.strip()))


def _abbreviation(before: str) -> bool:
    """Say whether the word before a full stop is an abbreviation or an initial."""
    words = before.split()
    if not words:
        return False
    word = words[-1].lstrip(_OPENERS).lower()
    return (len(word) == 1 and word.isalpha()) or word in ABBREVIATIONS or bool(re.fullmatch(r"(\w\.)+\w", word))


def words_of(sentence: str) -> list[str]:
    """Return the words of a sentence: the pieces between spaces that hold a letter or a digit."""
    return [w for w in sentence.split() if any(c.isalnum() for c in w)]


def _is_address(word: str) -> bool:
    return "@" in word or "://" in word or word.lower().startswith("www.") or bool(re.search(r"\w[./]\w", word))


def _candidates(sentence: _Sentence) -> list[tuple[str, str]]:
    """Return (word as written, part to measure, first word of the sentence) for the words that may be long.

    Addresses, numbers and abbreviations are left out here; names are left out by the caller. A
    hyphenated word is measured part by part: the hyphen already breaks it up for the reader.
    """
    found = []
    for position, token in enumerate(sentence.words):
        word = token.strip(_EDGE)
        if not word or _is_address(word) or any(c.isdigit() for c in word):
            continue
        for part in re.split(r"[-–]", word):
            part = part.strip(_EDGE).replace("’", "'")
            part = re.sub(r"'s$", "", part)
            if len(part) < 2 or not part.replace("'", "").isalpha():
                continue
            found.append((word, part, position == 0))
    return found


def _names(sentences: list[_Sentence]) -> set[str]:
    """Return the words written with a capital inside a sentence: names, not words to measure."""
    names = set()
    for sentence in sentences:
        for token in sentence.words[1:]:
            word = token.strip(_EDGE)
            for part in re.split(r"[-–]", word):
                if part[:1].isupper():
                    names.add(part.strip(_EDGE))
    return names


def _is_name(part: str, initial: bool, names: set[str]) -> bool:
    if any(c.isupper() for c in part[1:]):  # GGD, BUURbook, eHealth: abbreviations and brand names
        return True
    if not part[:1].isupper():
        return False
    return not initial or part in names


def _blocks(record: Record, resolver: Resolver | None = None) -> list[_Block]:
    """Return every paragraph of the record's printed running text, with where it is."""
    blocks: list[_Block] = []
    for number, lines in enumerate(paragraphs(record.body), 1):
        text, starts = _join(lines, lambda index: record.body_line + index)
        blocks.append(_Block("body", f"paragraph {number} ('{first_words(text)}')", text, starts))
    sources = _front_sources(record, resolver)
    fields: list[tuple[str, str, str]] = []
    if record.lead:
        fields.append(("lead", "the lead", record.lead))
    fields += [(f"tips[{i}]", f"tip {i}", tip) for i, tip in enumerate(record.tips, 1)]
    fields += [
        (f"boxes[{i}].body", f"box {i} ('{quote(box.title, 30)}')", box.body)
        for i, box in enumerate(record.boxes, 1)
        if box.body
    ]
    if record.reaction and record.reaction.quote:
        fields.append(("reaction.quote", "the reaction quote", record.reaction.quote))
    for name, where, value in fields:
        for lines in paragraphs(value):
            text, _ = _join(lines, lambda index: None)
            blocks.append(_Block(name, where, text, [], sources.get(name)))
    return blocks


def _front_sources(record: Record, resolver: Resolver | None = None) -> dict[str, tuple[int, str]]:
    """Return {field: (line of the file, YAML source)} for the texts in the record's front matter.

    The record is read again for this (the loaded record keeps no lines of its fields); through the
    project's resolver, like every file katern reads. Without lines, findings name the field only.
    """
    try:
        path = resolver.confine(record.path) if resolver is not None else record.path
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, RefusedPath):
        return {}
    front, _body, _line = split_front_matter(text)
    if front is None:
        return {}
    try:
        root = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    first = 2  # the front matter starts on the line after the opening '---'

    def source(node: yaml.Node) -> tuple[int, str]:
        return first + node.start_mark.line, front[node.start_mark.index : node.end_mark.index]

    found: dict[str, tuple[int, str]] = {}
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name == "lead" and isinstance(value, yaml.ScalarNode):
            found["lead"] = source(value)
        elif name == "tips" and isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value, 1):
                found[f"tips[{i}]"] = source(item)
        elif name in ("boxes", "reaction"):
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for i, item in enumerate(items, 1):
                if not isinstance(item, yaml.MappingNode):
                    continue
                for k, v in item.value:
                    if name == "boxes" and getattr(k, "value", None) == "body":
                        found[f"boxes[{i}].body"] = source(v)
                    elif name == "reaction" and getattr(k, "value", None) == "quote":
                        found["reaction.quote"] = source(v)
    return found


def _score_text(sentences: list[_Sentence]) -> str:
    """Return the sentences as textstat should read them: one full stop each, no addresses.

    textstat ends a sentence at every full stop, so abbreviations (o.a.), numbers (1.000) and web
    addresses would otherwise count as extra, short sentences and make a text look easier.
    """
    cleaned = []
    for sentence in sentences:
        words = [re.sub(r"[.!?…;]", "", w) for w in sentence.words if not _is_address(w.strip(_EDGE))]
        words = [w for w in words if any(c.isalnum() for c in w)]
        if words:
            cleaned.append(" ".join(words) + ".")
    return " ".join(cleaned)


def record_sentences(record: Record, resolver: Resolver | None = None) -> list[_Sentence]:
    """Return the sentences of a record's printed running text, in the order of the file."""
    found = [
        _Sentence(block, offset, text, words_of(text))
        for block in _blocks(record, resolver)
        for offset, text in split_sentences(block.text)
    ]
    found = [s for s in found if s.words]
    order = {id(s): i for i, s in enumerate(found)}
    return sorted(found, key=lambda s: (s.line is None, s.line or 0, order[id(s)]))


def analyse_record(
    record: Record,
    names: set[str] | frozenset[str] = frozenset(),
    strict: bool = False,
    sentences: list[_Sentence] | None = None,
) -> RecordReadability:
    """Read a record's printed texts and report what is hard to read at B1.

    `names` are words known to be names (written with a capital inside a sentence elsewhere). With
    `strict` (the record is in a publication with `readability: strict`), every long sentence is
    reported, not only the longest. `sentences` are the record's sentences, if already split.
    """
    result = RecordReadability(record, strict=strict)
    if sentences is None:
        sentences = record_sentences(record)
    if not sentences:
        return result
    result.sentences = len(sentences)
    result.words = sum(len(s.words) for s in sentences)
    position = {id(s): i for i, s in enumerate(sentences)}

    score_text = _score_text(sentences)
    scorer = _scorer()
    if scorer.lexicon_count(score_text) >= MIN_SCORE_WORDS:
        result.score = scorer.flesch_reading_ease(score_text)
        if result.score < B1_SCORE:
            result.findings.append(
                Finding(
                    "score",
                    f"readability score {result.score:.0f} (Flesch-Douma): {interpret(result.score)}; "
                    f"B1 text usually scores {B1_SCORE} or more. "
                    f"{scorer.words_per_sentence(score_text):.1f} words per sentence, "
                    f"{scorer.avg_syllables_per_word(score_text):.2f} syllables per word: "
                    "shorter sentences and shorter words raise it.",
                )
            )

    long = [s for s in sentences if len(s.words) > MAX_SENTENCE_WORDS]
    result.long_sentences = len(long)
    shown = long if strict else sorted(long, key=lambda s: -len(s.words))[:SHOW_SENTENCES]
    for sentence in sorted(shown, key=lambda s: position[id(s)]):
        where = sentence.block.where
        if sentence.offset == 0 and sentence.block.field == "body":
            where = where.split(" (", 1)[0]  # the quote shows how the paragraph starts
        result.findings.append(
            Finding(
                "sentence",
                f"sentence of {len(sentence.words)} words (B1: at most {MAX_SENTENCE_WORDS}) in {where}: "
                f"'{quote(sentence.text)}'. Split it into shorter sentences.",
                sentence.block.field,
                sentence.line,
            )
        )

    known = _names(sentences) | set(names)
    long_words: dict[str, _LongWord] = {}  # by the lower-case part
    for sentence in sentences:
        for word, part, initial in _candidates(sentence):
            if _is_name(part, initial, known):
                continue
            count, letters = syllables(part), sum(c.isalpha() for c in part)
            if count <= MAX_WORD_SYLLABLES and letters <= MAX_WORD_LETTERS:
                continue
            entry = long_words.setdefault(part.lower(), _LongWord(word, part, count, letters, sentence))
            entry.times += 1
            if entry.part[:1].isupper() and part[:1].islower():  # show it as written inside a sentence
                entry.word, entry.part = word, part
    result.long_words = len(long_words)
    chosen = sorted(long_words.values(), key=lambda e: (-e.syllables, -e.letters))[:SHOW_WORDS]
    for entry in sorted(chosen, key=lambda e: position[id(e.sentence)]):
        name = f"'{entry.part}'" + (f" (in '{entry.word}')" if entry.word != entry.part else "")
        more = f", {entry.times} times in this record" if entry.times > 1 else ""
        result.findings.append(
            Finding(
                "word",
                f"long word {name}, {entry.syllables} syllables, {entry.letters} letters, "
                f"in {entry.sentence.block.where}{more}. Is there a shorter, more common word? If not, explain it.",
                entry.sentence.block.field,
                entry.sentence.line_of(entry.first),
            )
        )

    hidden_sentences = result.long_sentences - len(shown)
    hidden_words = result.long_words - len(chosen)
    if hidden_sentences or hidden_words:
        parts = []
        if hidden_sentences:
            parts.append(f"{hidden_sentences} more sentence(s) over {MAX_SENTENCE_WORDS} words")
        if hidden_words:
            parts.append(f"{hidden_words} more long word(s)")
        result.findings.append(
            Finding("more", f"and {' and '.join(parts)} in this record, not shown. Start with the ones above.")
        )
    return result


def strict_records(project: Project) -> set[str]:
    """Return the slugs of the records in a publication that asks for `readability: strict`."""
    return {
        record.slug for pub in project.publications.values() if pub.readability == "strict" for record in pub.records
    }


def analyse_project(project: Project) -> ProjectReadability:
    """Analyse every readable record of the project, in file order."""
    records = sorted(
        (r for r in project.records.values() if "*" not in r.unreadable),
        key=lambda r: str(r.path),
    )
    strict = strict_records(project)
    sentences = {r.slug: record_sentences(r, project.resolver) for r in records}
    names = set().union(*(_names(found) for found in sentences.values()))
    return ProjectReadability([analyse_record(r, names, r.slug in strict, sentences[r.slug]) for r in records])
