"""Load publication files and resolve which records each publication contains."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from katern.errors import Problem
from katern.models import KINDS, PROVINCES, REGIONS, Foreword, Record, Signature
from katern.paths import RefusedPath, Resolver
from katern.query import SORT_KEYS, Query, normalise_province, select
from katern.registry import Layout, Layouts, builtin_layouts
from katern.schema import FieldReader, did_you_mean, load_yaml, shorten

PAGE_SIZES = ("A4", "A5")
OUTPUTS = ("pdf", "html", "booklet", "press")
LANGUAGES = ("nl", "en")
DATE_STYLES = ("day", "month")
EACH_KEYS = ("province", "region", "municipality", "theme")  # `each:` builds one edition per value
READABILITY = ("advice", "strict")  # strict: `check --readability` fails on its records' long sentences
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAMED = 5  # records named one by one in a publication's error; the rest are counted


@dataclass
class Publication:
    name: str
    path: Path
    title: str
    date: dt.date
    layout: str
    subtitle: str | None = None
    edition: str | None = None
    publisher: str | None = None
    date_style: str = "day"
    language: str = "nl"
    theme: str = "vws"
    page_size: str = "A4"
    record_slugs: list[str] | None = None
    query: Query | None = None
    foreword: Foreword | None = None
    factors_after: str | None = None
    factors_position: str | None = None  # "start", "end", or None (no spread unless after is set)
    colophon: str | None = None
    outputs: list[str] = field(default_factory=lambda: ["pdf", "html"])
    max_pages: int | None = None
    story_max_pages: int | None = None
    keywords: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    each: str | None = None  # province, region, municipality or theme: one edition per value
    family: str | None = None  # for an edition made by `each`: the name of the publication file
    each_value: str | None = None  # for such an edition: its province, region, municipality or theme
    readability: str = "advice"  # "strict": `check --readability` fails on its records' long sentences
    layout_spec: Layout = field(default_factory=lambda: builtin_layouts().layouts["brochure"])

    @property
    def has_factors(self) -> bool:
        return bool(self.factors_after or self.factors_position) or self.is_factor_sheet

    @property
    def is_factor_sheet(self) -> bool:
        """Say whether this is the werkende factoren sheet: a layout that takes no records, given none."""
        return "none" in self.layout_spec.records and not self.record_slugs and self.query is None


def parse_publication(
    path: Path, text: str, problems: list[Problem], layouts: Layouts | None = None
) -> Publication | None:
    """Parse one publication file; add every problem to `problems`."""
    name = path.stem
    if not NAME_RE.match(name):
        problems.append(
            Problem(
                path,
                f"'{path.name}' is not a valid publication name: use lower-case letters, digits and hyphens.",
            )
        )
    data, lines, problem = load_yaml(text, path)
    if problem:
        problems.append(problem)
        return None
    if not isinstance(data, dict):
        problems.append(
            Problem(
                path,
                "must be 'field: value' lines (see README, 'Publications').",
                line=1,
            )
        )
        return None
    r = FieldReader(data, path, lines, problems)
    title = r.text("title", True)
    date = r.date("date", True)
    layouts = layouts or builtin_layouts()
    layout = r.choice("layout", list(layouts.layouts), required=True)
    pub = Publication(
        name=name,
        path=path,
        title=title or "",
        date=date or dt.date(1970, 1, 1),
        layout=layout or "brochure",
        subtitle=r.text("subtitle"),
        edition=r.text("edition"),
        publisher=r.text("publisher"),
        date_style=r.choice("date_style", DATE_STYLES, default="day") or "day",
        language=r.choice("language", LANGUAGES, default="nl") or "nl",
        theme=r.text("theme") or "vws",
        page_size=r.choice("page_size", PAGE_SIZES, default="A4") or "A4",
        colophon=r.text("colophon"),
        max_pages=r.integer("max_pages"),
        story_max_pages=r.integer("story_max_pages"),
        keywords=r.text_list("keywords"),
        readability=r.choice("readability", READABILITY, default="advice") or "advice",
    )
    pub.each = r.choice("each", EACH_KEYS)
    pub.foreword = _foreword(r.mapping("foreword"))
    pub.outputs = _outputs(r)
    _factors(r, pub)
    has_records, has_query = "records" in data, "query" in data
    if has_records and has_query:
        r.problem(
            "query",
            "a publication takes either 'records' (a list) or 'query', not both. Remove one.",
        )
    elif has_records:
        pub.record_slugs = r.text_list("records")
        if not pub.record_slugs:
            r.problem("records", "is empty. List the record slugs, one '- slug' per line.")
    elif has_query:
        pub.query = _query(
            r.mapping("query", True),
            r.choice("sort", SORT_KEYS, default="date") or "date",
        )
    pub.layout_spec = layouts.layouts[pub.layout] if layout else pub.layout_spec
    _check_record_forms(r, pub, pub.layout_spec.records, has_records, has_query)
    if pub.each and pub.factors_after:
        r.problem(
            "factors.after",
            "with 'each', not every edition holds that record. Use 'position: start' or 'position: end'.",
        )
    if pub.each and "many" not in pub.layout_spec.records:
        r.problem("each", f"layout '{pub.layout}' is one sheet; 'each' makes editions of a brochure or newsletter.")
    r.warn_unknown()
    return pub if title and date and layout else None


FORM_WORDS = {"none": "no records", "one": "one record", "many": "a list of records or a query"}


def _check_record_forms(
    r: FieldReader, pub: Publication, forms: tuple[str, ...], has_records: bool, has_query: bool
) -> None:
    """Check that the publication gives its layout the records it takes (none, one, or many)."""
    count = len(pub.record_slugs or []) if has_records else 0
    given = "query" if has_query else "many" if count > 1 else "one" if has_records else "none"
    allowed = set(forms) | ({"one"} if "many" in forms else set())
    if given == "query":
        given_ok = "many" in forms
    else:
        given_ok = given in allowed
    if given_ok:
        return
    if given == "none":
        r.problem("records", "is missing. Give 'records' (an ordered list of slugs) or a 'query'.")
        return
    field_name = "query" if has_query else "records"
    takes = " or ".join(FORM_WORDS[f] for f in forms)
    r.problem(field_name, f"layout '{pub.layout}' takes {takes}. Change '{field_name}', or choose another layout.")


def _foreword(r: FieldReader | None) -> Foreword | None:
    if r is None:
        return None
    sig = r.mapping("signature")
    signature = Signature(sig.text("name", True) or "", sig.text("role")) if sig else None
    if sig:
        sig.warn_unknown()
    foreword = Foreword(
        title=r.text("title", True) or "",
        body=r.text("body", True) or "",
        signature=signature,
    )
    r.warn_unknown()
    return foreword


def _outputs(r: FieldReader) -> list[str]:
    outputs = r.text_list("outputs") or ["pdf", "html"]
    valid = []
    for out in outputs:
        if out in OUTPUTS:
            valid.append(out)
        else:
            r.problem(
                "outputs",
                f"'{shorten(out)}' is not an output; use any of: {', '.join(OUTPUTS)}.{did_you_mean(out, OUTPUTS)}",
            )
    return valid


def _factors(r: FieldReader, pub: Publication) -> None:
    if "factors" not in r.data:
        return
    value = r.data.get("factors")
    r.seen.add("factors")
    if value is False or value is None:
        return
    f = r.mapping("factors")
    if f is None:
        return
    pub.factors_after = f.text("after")
    pub.factors_position = f.choice("position", ("start", "end"))
    if not pub.factors_after and not pub.factors_position:
        r.problem(
            "factors",
            "say where the spread goes: 'after: <record slug>' or 'position: start' / 'end'.",
        )
    f.warn_unknown()


QUERY_KEYS = ("province", "region", "theme", "kind", "place", "date_from", "date_to")


def _query(r: FieldReader | None, sort: str) -> Query | None:
    if r is None:
        return None
    for key in r.data:
        if key not in QUERY_KEYS:
            r.problem(
                str(key),
                f"'{shorten(key)}' is not a query criterion, so this query would select the wrong records. "
                f"Use any of: {', '.join(QUERY_KEYS)}.{did_you_mean(str(key), QUERY_KEYS)}",
            )
    for key in QUERY_KEYS:
        if key in r.data and r.data[key] in (None, "", []):
            r.problem(key, "is empty, so it would not narrow the query. Give a value, or remove the line.")
    if not any(key in r.data for key in QUERY_KEYS):
        r.problems.append(
            Problem(
                r.path,
                "has no criteria, so it would select every record. Add a criterion (see README), or list "
                "the records under 'records'.",
                "query",
                r.lines.get("query"),
            )
        )
    provinces = [normalise_province(p) for p in r.text_list("province")]
    for p in provinces:
        if p not in PROVINCES:
            r.problem("province", f"'{shorten(p)}' is not a province.{did_you_mean(p, PROVINCES)}")
    regions = r.text_list("region")
    for reg in regions:
        if reg not in REGIONS:
            r.problem(
                "region",
                f"'{shorten(reg)}' is not a region; use one of: {', '.join(REGIONS)}.{did_you_mean(reg, REGIONS)}",
            )
    kinds = r.text_list("kind")
    for k in kinds:
        if k not in KINDS:
            r.problem(
                "kind",
                f"'{shorten(k)}' is not a kind; use one of: {', '.join(KINDS)}.{did_you_mean(k, KINDS)}",
            )
    date_from, date_to = r.date("date_from"), r.date("date_to")
    if date_from and date_to and date_from > date_to:
        r.problem("date_to", f"{date_to} is before date_from ({date_from}), so nothing can match. Swap them.")
    return Query.build(
        province=provinces,
        region=regions,
        theme=r.text_list("theme"),
        kind=kinds,
        place=r.text_list("place"),
        date_from=date_from,
        date_to=date_to,
        sort=sort,
    )


def load_publications(
    folder: Path, problems: list[Problem], resolver: Resolver | None = None, layouts: Layouts | None = None
) -> list[Publication]:
    """Parse every `*.yaml` publication file in `folder`, sorted by name."""
    pubs = []
    if not folder.is_dir():
        return pubs
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            if resolver is not None:
                resolver.confine(path)
            text = path.read_text(encoding="utf-8")
        except RefusedPath as exc:
            problems.append(Problem(path, exc.message))
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(path, f"cannot be read as UTF-8 text: {exc}."))
            continue
        pub = parse_publication(path, text, problems, layouts)
        if pub is not None:
            pubs.append(pub)
    return pubs


def resolve_records(
    pub: Publication,
    records: dict[str, Record],
    themes: dict[str, str],
    problems: list[Problem],
    shadowed: list[Record] | None = None,
    broken_tables: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Fill `pub.records` from its list or query, reporting unknown slugs and themes.

    A record that a query cannot judge (a field it needs has an error, or the file could not be
    read at all) is an error of the publication naming that record: it is never left out silently.
    """
    shadowed = shadowed or []
    if pub.record_slugs is not None:
        seen = set()
        for slug in pub.record_slugs:
            twins = [r.path for r in shadowed if r.slug == slug]
            if slug in seen:
                problems.append(Problem(pub.path, f"'{shorten(slug)}' is listed twice. Remove one.", "records"))
            elif slug not in records:
                problems.append(
                    Problem(
                        pub.path,
                        f"no record '{shorten(slug)}' in content/records.{did_you_mean(slug, records)}",
                        "records",
                    )
                )
            else:
                pub.records.append(records[slug])
                if twins:
                    problems.append(
                        Problem(
                            pub.path,
                            f"'{slug}' is ambiguous: {records[slug].path} and {twins[0]} have the same file name. "
                            "Rename one.",
                            "records",
                        )
                    )
            seen.add(slug)
    elif pub.query is not None:
        if "municipalities" in broken_tables and (pub.query.province or pub.query.region or pub.query.place):
            problems.append(
                Problem(
                    pub.path,
                    "cannot select records by province, region or place until content/municipalities.csv can "
                    "be read. Fix that file first.",
                    "query",
                )
            )
            return
        for t in pub.query.theme if "themes" not in broken_tables else ():
            if t not in themes:
                problems.append(
                    Problem(
                        pub.path,
                        f"unknown theme '{shorten(t)}'.{did_you_mean(t, themes)}",
                        "query.theme",
                    )
                )
        undecided = []
        for record in [*records.values(), *shadowed]:
            if pub.query.decide(record) is None:
                undecided.append(record)
        for record in undecided[:MAX_NAMED]:
            fields = pub.query.criteria_fields(record)
            what = "it could not be read" if fields == ["*"] else f"its {', '.join(fields)} could not be read"
            if any(record is twin for twin in shadowed):
                what = f"{records[record.slug].path} has the same file name (slug). Rename one"
            problems.append(
                Problem(
                    pub.path,
                    f"cannot tell whether {record.path} belongs in this edition: {what}. "
                    "Fix the errors reported for that file.",
                    "query",
                )
            )
        if len(undecided) > MAX_NAMED:
            problems.append(
                Problem(
                    pub.path,
                    f"and {len(undecided) - MAX_NAMED} more record(s) with errors this query cannot judge.",
                    "query",
                )
            )
        pub.records = select(records.values(), pub.query)
        if not pub.records and not undecided:
            problems.append(
                Problem(
                    pub.path,
                    "the query selects no records. Loosen it, or check it with 'katern list'.",
                    "query",
                )
            )
    slugs = {r.slug for r in pub.records}
    if pub.factors_after and pub.factors_after not in slugs:
        problems.append(
            Problem(
                pub.path,
                f"the factors spread goes after '{shorten(pub.factors_after)}', which is not in this publication."
                f"{did_you_mean(pub.factors_after, slugs)}",
                "factors.after",
            )
        )


def value_slug(value: str) -> str:
    """Return the part of an edition's name made from its value: 'Fryslân' -> 'fryslan'."""
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def _values(record: Record, key: str) -> list[str]:
    """Return the values of `record` an `each:` key groups by."""
    if key == "province":
        return [record.province] if record.province else []
    if key == "region":
        return [record.region] if record.region else []
    if key == "municipality":
        return list(record.municipalities)
    return list(record.themes)


def expand_each(pub: Publication, themes: dict[str, str], problems: list[Problem]) -> list[Publication]:
    """Return the editions of a publication with `each:`, one per value that has records (or the publication)."""
    if not pub.each:
        return [pub]
    groups: dict[str, list[Record]] = {}
    for record in pub.records:
        for value in _values(record, pub.each):
            groups.setdefault(value, []).append(record)
    without = [r.slug for r in pub.records if not _values(r, pub.each)]
    if without:
        problems.append(
            Problem(
                pub.path,
                f"{len(without)} selected record(s) have no {pub.each}, so no edition holds them: "
                f"{', '.join(without[:5])}. Give them one, or narrow the query.",
                "each",
                severity="warning",
            )
        )
    editions = []
    names: dict[str, str] = {}
    for value in sorted(groups, key=lambda v: (themes.get(v, v).casefold(), v)):
        shown = themes.get(value, value) if pub.each == "theme" else value
        name = f"{pub.name}-{value_slug(value)}"
        if name in names:
            problems.append(
                Problem(pub.path, f"'{names[name]}' and '{value}' give the same edition name '{name}'.", "each")
            )
            continue
        names[name] = value
        editions.append(
            replace(
                pub,
                name=name,
                edition=f"{pub.edition}, {shown}" if pub.edition else shown,
                records=list(groups[value]),
                keywords=[*pub.keywords, shown],
                each=None,
                family=pub.name,
                each_value=value,
            )
        )
    return editions
