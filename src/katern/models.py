"""The typed objects katern works with: records, factors, publications and their parts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

KINDS = ("praktijkverhaal", "onder-de-loep", "in-het-kort", "artikel", "interview")

# The printed fields a record may give again under `editions:`, for one publication: a story that
# came from two editions prints each edition's own headline and wording there.
EDITION_FIELDS = (
    "title",
    "place",
    "lead",
    "body",
    "quotes",
    "boxes",
    "tips",
    "reaction",
    "links",
    "links_intro",
    "contact",
)

PROVINCES = (
    "Groningen",
    "Fryslân",
    "Drenthe",
    "Overijssel",
    "Flevoland",
    "Gelderland",
    "Utrecht",
    "Noord-Holland",
    "Zuid-Holland",
    "Zeeland",
    "Noord-Brabant",
    "Limburg",
)

# Other spellings people use for a province.
PROVINCE_ALIASES = {
    "friesland": "Fryslân",
    "fryslan": "Fryslân",
    "brabant": "Noord-Brabant",
}

# The CBS landsdelen: the regions an edition can select by.
REGIONS = {
    "Noord-Nederland": ("Groningen", "Fryslân", "Drenthe"),
    "Oost-Nederland": ("Overijssel", "Flevoland", "Gelderland"),
    "West-Nederland": ("Utrecht", "Noord-Holland", "Zuid-Holland", "Zeeland"),
    "Zuid-Nederland": ("Noord-Brabant", "Limburg"),
}


def region_of(province: str | None) -> str | None:
    """Return the CBS landsdeel a province belongs to."""
    for region, provinces in REGIONS.items():
        if province in provinces:
            return region
    return None


@dataclass(frozen=True)
class Box:
    title: str
    body: str


@dataclass(frozen=True)
class Reaction:
    quote: str
    name: str
    title: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class Link:
    label: str
    url: str | None = None


@dataclass(frozen=True)
class Image:
    src: str
    alt: str
    caption: str | None = None


@dataclass(frozen=True)
class Source:
    title: str
    seed: str | None = None
    edition: str | None = None
    page: int | None = None


@dataclass
class Record:
    slug: str
    path: Path
    title: str
    kind: str
    date: dt.date | None  # None when the record's date could not be read (an error names it)
    body: str
    place: str | None = None
    municipalities: list[str] = field(default_factory=list)
    province: str | None = None
    themes: list[str] = field(default_factory=list)
    lead: str | None = None
    quotes: list[str] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    reaction: Reaction | None = None
    links: list[Link] = field(default_factory=list)
    links_intro: str | None = None  # the words before the links; None: the language's "Kijk voor meer informatie op"
    contact: str | None = None
    factors: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    draft: bool = False
    body_line: int = 1  # the line of the record file where the body starts
    # Publication name -> the printed fields (EDITION_FIELDS) that differ there, already read and typed.
    editions: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Top-level fields whose value could not be read (an error names each); "*" when nothing could be.
    # A query cannot tell whether such a record belongs in an edition, so the edition fails naming it.
    unreadable: set[str] = field(default_factory=set)

    @property
    def region(self) -> str | None:
        """Return the CBS landsdeel of the record's province."""
        return region_of(self.province)

    def for_publication(self, name: str, family: str | None = None) -> Record:
        """Return the record as it prints in publication `name`: its `editions` fields for `name`
        (or for `family`, the publication file an `each` edition comes from) over its own."""
        changes = self.editions.get(name)
        if changes is None and family:
            changes = self.editions.get(family)
        return replace(self, **changes) if changes else self

    def summary(self) -> dict:
        """Return the record's identifying fields as plain data (for listings and JSON)."""
        return {
            "slug": self.slug,
            "title": self.title,
            "kind": self.kind,
            "place": self.place,
            "municipalities": list(self.municipalities),
            "province": self.province,
            "region": self.region,
            "date": self.date.isoformat() if self.date else None,
            "themes": list(self.themes),
            "factors": list(self.factors),
            "sources": [s.title for s in self.sources],
            "draft": self.draft,
            "path": str(self.path),
        }


@dataclass(frozen=True)
class Factor:
    id: str
    text: str
    municipalities: tuple[str, ...] | None  # None means "Alle gemeenten"

    @property
    def applies_to_all(self) -> bool:
        return self.municipalities is None

    def applies_to(self, municipality: str) -> bool:
        """Say whether this factor names the municipality (or all of them)."""
        return self.municipalities is None or municipality in self.municipalities


@dataclass(frozen=True)
class Signature:
    name: str
    role: str | None = None


@dataclass(frozen=True)
class Foreword:
    title: str
    body: str
    signature: Signature | None = None
