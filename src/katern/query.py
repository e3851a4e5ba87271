"""Select records by province, region, theme, kind, place and date: used by `katern list` and publications."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from katern.models import PROVINCE_ALIASES, Record

SORT_KEYS = ("date", "title", "place")


def normalise_province(name: str) -> str:
    """Map common alternative spellings ('Friesland') to the table's name ('Fryslân')."""
    return PROVINCE_ALIASES.get(name.strip().lower(), name.strip())


@dataclass(frozen=True)
class Query:
    """A conjunction of criteria; within one criterion, any listed value matches."""

    province: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    include_drafts: bool = False
    sort: str = "date"

    @classmethod
    def build(
        cls,
        province: Iterable[str] = (),
        region: Iterable[str] = (),
        theme: Iterable[str] = (),
        kind: Iterable[str] = (),
        place: Iterable[str] = (),
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        include_drafts: bool = False,
        sort: str = "date",
    ) -> Query:
        """Build a query from plain values, normalising province spellings."""
        return cls(
            province=tuple(normalise_province(p) for p in province),
            region=tuple(region),
            theme=tuple(theme),
            kind=tuple(kind),
            place=tuple(place),
            date_from=date_from,
            date_to=date_to,
            include_drafts=include_drafts,
            sort=sort,
        )

    def matches(self, record: Record) -> bool:
        """Say whether `record` meets every criterion."""
        if record.draft and not self.include_drafts:
            return False
        if self.province and record.province not in self.province:
            return False
        if self.region and record.region not in self.region:
            return False
        if self.theme and not set(self.theme) & set(record.themes):
            return False
        if self.kind and record.kind not in self.kind:
            return False
        if self.place and not any(_place_matches(p, record) for p in self.place):
            return False
        if self.date_from and record.date < self.date_from:
            return False
        return not (self.date_to and record.date > self.date_to)


def _place_matches(wanted: str, record: Record) -> bool:
    wanted = wanted.strip().lower()
    if any(m.lower() == wanted for m in record.municipalities):
        return True
    return bool(record.place) and wanted in record.place.lower()


def sort_records(records: Iterable[Record], key: str = "date") -> list[Record]:
    """Sort records by date, title or place; the slug breaks ties so the order is stable."""
    if key == "title":
        return sorted(records, key=lambda r: (r.title.lower(), r.slug))
    if key == "place":
        return sorted(records, key=lambda r: ((r.place or "").lower(), r.date, r.slug))
    return sorted(records, key=lambda r: (r.date, r.slug))


def select(records: Iterable[Record], query: Query) -> list[Record]:
    """Return the records that match `query`, sorted by its sort key."""
    return sort_records((r for r in records if query.matches(r)), query.sort)
