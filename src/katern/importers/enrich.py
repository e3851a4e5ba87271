"""Fill in a draft's municipalities, province and themes from the project's tables, where its text shows them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from katern.importers.common import Draft, ordered
from katern.models import PROVINCES
from katern.query import normalise_province

MAX_THEMES = 3

# How a place line lists several places: "Hillegom/Lisse/Teylingen", "Huizen, Laren, Blaricum en Eemnes".
LIST_SPLITS = (re.compile(r"\s*[/,&]\s*|\s+en\s+"), re.compile(r"\s*[/,]\s*"))


def fill_from_tables(draft: Draft, municipalities: Mapping[str, str], themes: Mapping[str, str]) -> None:
    """Set `municipalities`, `province` and `themes` of a draft, conservatively; leave the rest alone."""
    fields = dict(draft.fields)
    place = fields.get("place")
    if municipalities and place and not fields.get("municipalities"):
        names = place_municipalities(place, municipalities)
        provinces = {municipalities[name] for name in names}
        if names:
            fields["municipalities"] = names
        if len(provinces) == 1:
            fields["province"] = provinces.pop()
        elif not names and normalise_province(place) in PROVINCES:
            fields["province"] = normalise_province(place)
    if themes and not fields.get("themes"):
        fields["themes"] = named_themes(draft, themes)
    draft.fields = ordered(fields)


def place_municipalities(place: str, municipalities: Mapping[str, str]) -> list[str]:
    """Return the municipalities a place line names, as spelled in the table; [] unless every part is one."""
    index = {_key(name): name for name in municipalities}
    whole = index.get(_key(place))
    if whole:
        return [whole]
    for split in LIST_SPLITS:
        parts = [part for part in split.split(place.strip()) if part.strip()]
        found = [index.get(_key(part)) for part in parts]
        if len(parts) > 1 and all(found):
            return list(dict.fromkeys(name for name in found if name))
    return []


def named_themes(draft: Draft, themes: Mapping[str, str]) -> list[str]:
    """Return up to MAX_THEMES theme ids the story names by id or label, as whole words.

    Conservative: a theme counts when the story names it at least twice, or once in its title or lead.
    Those named in the title or lead come first, then the most named; themes.yaml's order breaks ties.
    """
    head = "\n\n".join(draft.fields.get(key) or "" for key in ("title", "lead"))
    text = _story_text(draft)
    ranked: list[tuple[int, int, int, str]] = []
    for position, (theme, label) in enumerate(themes.items()):
        patterns = [_phrase(words) for words in dict.fromkeys(w.casefold() for w in (theme.replace("-", " "), label))]
        in_text = sum(len(pattern.findall(text)) for pattern in patterns)
        in_head = sum(len(pattern.findall(head)) for pattern in patterns)
        if in_head or in_text >= 2:
            ranked.append((-bool(in_head), -in_text, position, theme))
    return [theme for *_, theme in sorted(ranked)[:MAX_THEMES]]


def _phrase(words: str) -> re.Pattern[str]:
    """Match a theme's words as whole words, case-insensitively, with any spaces or hyphens between them."""
    parts = [re.escape(word) for word in re.split(r"[\s-]+", words.strip()) if word]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(parts) + r"(?![\w-])", re.I)


def _story_text(draft: Draft) -> str:
    """Return the story's own text: title, lead, body, tips, quotes, boxes and reaction (not its source)."""
    fields = draft.fields
    texts = [fields.get("title") or "", fields.get("lead") or "", draft.body]
    texts += list(fields.get("tips") or []) + list(fields.get("quotes") or [])
    texts += [f"{box.get('title', '')}\n{box.get('body', '')}" for box in fields.get("boxes") or []]
    reaction = fields.get("reaction") or {}
    texts += [reaction.get("title") or "", reaction.get("quote") or ""]
    return "\n\n".join(texts)


def _key(name: str) -> str:
    """Compare place names without case, and with ’ as '."""
    return " ".join(name.replace("’", "'").split()).casefold()
