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
        """Say whether `record` meets every criterion (False when that cannot be told)."""
        return self.decide(record) is True

    def decide(self, record: Record) -> bool | None:
        """Say whether `record` meets every criterion; None when a field the query needs could not be read."""
        if "*" in record.unreadable:
            return None
        unknown = False
        for criterion, fields, test in self._criteria():
            if not criterion:
                continue
            if "*" in record.unreadable or record.unreadable & fields:
                unknown = True
                continue
            if not test(record):
                return False
        if record.draft and not self.include_drafts and "draft" not in record.unreadable:
            return False
        return None if unknown else True

    def criteria_fields(self, record: Record) -> list[str]:
        """Return the fields of `record` this query needs but that could not be read."""
        if "*" in record.unreadable:
            return ["*"]
        needed: set[str] = set()
        for criterion, fields, _test in self._criteria():
            if criterion:
                needed |= fields
        return sorted(needed & record.unreadable)

    def _criteria(self):
        """Yield (criterion value, record fields it reads, test) for each criterion."""
        located = {"province", "municipalities"}
        return (
            (self.province, located, lambda r: r.province in self.province),
            (self.region, located, lambda r: r.region in self.region),
            (self.theme, {"themes"}, lambda r: bool(set(self.theme) & set(r.themes))),
            (self.kind, {"kind"}, lambda r: r.kind in self.kind),
            (self.place, {"place", "municipalities"}, lambda r: any(_place_matches(p, r) for p in self.place)),
            (self.date_from, {"date"}, lambda r: r.date is not None and r.date >= self.date_from),
            (self.date_to, {"date"}, lambda r: r.date is not None and r.date <= self.date_to),
        )


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
        return sorted(records, key=lambda r: ((r.place or "").lower(), r.date or dt.date.min, r.slug))
    return sorted(records, key=lambda r: (r.date or dt.date.min, r.slug))


def select(records: Iterable[Record], query: Query) -> list[Record]:
    """Return the records that match `query`, sorted by its sort key."""
    return sort_records((r for r in records if query.matches(r)), query.sort)
